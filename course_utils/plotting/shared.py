"""What every chapter's figures share: the style, the one palette, bands and error bars.

==========================================  ===============================================
need                                        code
==========================================  ===============================================
the course's matplotlib settings            :func:`set_style` (called by ``setup_notebook``)
show a figure in a notebook or explorer     :func:`show_figure`
one colour and marker per method            :class:`MethodStyle`, :data:`PALETTE`, :func:`style`
find the method inside a legend label       :func:`find_style`, :func:`series_styles`
train / validation / test of a label        :func:`split_of`; :data:`SPLITS` (linestyles)
line keyword arguments of a style           :func:`line_kwargs`
mean line with a band (sd or CI)            :func:`band`, :func:`plot_mean_std_curves`
means with error bars (sd or CI)            :func:`errorbars`, :func:`bar_errors`
what a band or bar shows                    :func:`spread`, :func:`spread_label`
decision regions of a 2-D classifier        :func:`plot_decision_boundary`
==========================================  ===============================================

The palette (Okabe & Ito's colour-blind-safe colours, each method also with its own marker):
every method of the course has one :class:`MethodStyle`, used by every figure of every
chapter, so He is vermillion circles in chapter 01 and wherever else He appears. The
baselines ("no regularization", "no dropout", "without BN", "single member", "full budget")
are grey. The data splits are black and differ by line style: train solid, validation
dashed, test dotted (open markers and hatched bars for the held-out splits), so in a figure
of methods the colour says which method and the line style which split. Series that are not
a method of the course (an architecture, a momentum convention) get :data:`OTHER_COLORS`.

Error bands and bars come from :mod:`course_utils.stats` summaries (sample sd with ddof = 1,
Student-t intervals), and their legend entries say what they are: "He (mean ± sd, 3 seeds)"
or "He (mean, 95 % CI, 3 seeds)".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import TYPE_CHECKING, Literal, Protocol

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from torch import Tensor

if TYPE_CHECKING:
    from matplotlib.container import ErrorbarContainer

Split = Literal["train", "validation", "test"]
Spread = Literal["sd", "ci"]


class SummaryLike(Protocol):
    """What :func:`band` and :func:`errorbars` read: a :class:`course_utils.stats.Summary`."""

    mean: float
    sd: float
    low: float
    high: float
    n: int
    confidence: float


# ---------------------------------------------------------------------------------------
# The palette
# ---------------------------------------------------------------------------------------

#: Okabe & Ito (2008), "Color Universal Design": distinguishable with every common colour
#: vision deficiency. Black is reserved for the data splits, grey for the baselines.
OKABE_ITO = MappingProxyType({
    "orange": "#E69F00", "sky blue": "#56B4E9", "bluish green": "#009E73", "yellow": "#F0E442",
    "blue": "#0072B2", "vermillion": "#D55E00", "reddish purple": "#CC79A7", "grey": "#999999",
    "black": "#000000",
})
_C = OKABE_ITO

#: Colours of series that are not methods of the course (Paul Tol's "muted" scheme), in order.
OTHER_COLORS = ("#332288", "#117733", "#882255", "#999933", "#44AA99", "#AA4499", "#88CCEE",
                "#DDCC77")
_OTHER_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")

#: Colours of the classes in decision-region plots (classes are not methods).
CLASS_COLORS = (_C["blue"], _C["orange"], _C["bluish green"], _C["reddish purple"],
                _C["sky blue"], _C["vermillion"], _C["yellow"], _C["grey"])

#: Reference lines (chance level, a formula, ln 10): thin, grey, dash-dotted, so they are
#: never mistaken for a train, validation or test curve.
REFERENCE = MappingProxyType({"color": "0.4", "linestyle": "-.", "linewidth": 1.0})


@dataclass(frozen=True)
class MethodStyle:
    """How one method (or data split) looks in every figure of the course.

    Attributes:
        color: a matplotlib colour.
        marker: a matplotlib marker, unique to the method together with ``color``.
        linestyle: the line style when the figure does not use line styles for the splits.
        label: the method's name in a legend when the caller gives none.
        hatch: bar hatching (used by the held-out splits).
    """

    color: str
    marker: str
    linestyle: str = "-"
    label: str = ""
    hatch: str = ""


@dataclass(frozen=True)
class _Entry:
    family: str
    style: MethodStyle
    aliases: tuple[str, ...]


def _entry(family: str, label: str, color: str, marker: str, *aliases: str,
           linestyle: str = "-", hatch: str = "") -> tuple[str, _Entry]:
    return label, _Entry(family, MethodStyle(color, marker, linestyle, label, hatch),
                         (label, *aliases))


_ENTRIES: dict[str, _Entry] = dict([
    # chapter 01: initialization schemes
    _entry("init", "all zeros", _C["grey"], "x", "zeros", "zero", "zero init", "zeros_"),
    _entry("init", "constant", _C["yellow"], "P", "constant init", "constant_"),
    _entry("init", "N(0, 0.01²)", _C["sky blue"], "v", "std 0.01", "N(0, 0.01^2)",
           "normal 0.01", "normal std 0.01", "gaussian 0.01", "small random"),
    _entry("init", "N(0, 1)", _C["reddish purple"], "^", "std 1", "N(0, 1²)", "normal 1",
           "standard normal", "normal std 1"),
    _entry("init", "LeCun", _C["orange"], "s", "lecun normal", "lecun uniform",
           "lecun_normal_", "lecun_uniform_"),
    _entry("init", "Xavier", _C["bluish green"], "D", "glorot", "xavier normal", "xavier uniform",
           "glorot normal", "glorot uniform", "xavier_normal_", "xavier_uniform_"),
    _entry("init", "He", _C["vermillion"], "o", "kaiming", "he normal", "he uniform",
           "kaiming normal", "kaiming uniform", "kaiming_normal_", "kaiming_uniform_"),
    _entry("init", "PyTorch default", _C["blue"], "P", "torch default", "torch_default",
           "default init", "nn.Linear default", "pytorch default init"),
    # chapter 02: regularizers
    _entry("regularization", "no regularization", _C["grey"], "o", "no decay", "no penalty",
           "no weight decay", "unregularized", "without regularization"),
    _entry("regularization", "L2 penalty", _C["blue"], "s", "L2", "L2 regularization",
           "weight decay", "SGD weight decay", "ridge", "l2_penalty"),
    _entry("regularization", "L1 subgradient", _C["orange"], "^", "L1", "L1 penalty",
           "L1 regularization", "lasso", "l1_penalty"),
    _entry("regularization", "L1 proximal", _C["vermillion"], "v", "proximal", "proximal L1",
           "soft threshold", "soft thresholding", "ProximalSGD"),
    _entry("regularization", "Adam", _C["sky blue"], "D", "Adam no decay", "Adam without decay"),
    _entry("regularization", "Adam + L2", _C["reddish purple"], "P", "Adam with L2",
           "Adam weight decay", "coupled weight decay"),
    _entry("regularization", "AdamW", _C["bluish green"], "X", "decoupled weight decay",
           "decoupled", "decoupled decay"),
    # chapter 03: ensembles
    _entry("ensembles", "single member", _C["grey"], "D", "single", "one network", "one model",
           "average member", "single network", "one member"),
    _entry("ensembles", "seeds ensemble", _C["blue"], "^", "seeds", "seeds only",
           "seed ensemble", "different seeds"),
    _entry("ensembles", "bagging", _C["orange"], "o", "bootstrap", "bagged",
           "BaggingClassifier"),
    _entry("ensembles", "pasting", _C["sky blue"], "s", "pasting ensemble"),
    _entry("ensembles", "hard vote", _C["reddish purple"], "s", "hard", "hard voting",
           "majority vote", "hard_vote"),
    _entry("ensembles", "soft vote", _C["bluish green"], "s", "soft", "soft voting",
           "probability average", "soft_vote"),
    _entry("ensembles", "AdaBoost", _C["vermillion"], "D", "SAMME", "boosting", "AdaBoost SAMME",
           "AdaBoostClassifier"),
    # chapter 04: dropout
    _entry("dropout", "no dropout", _C["grey"], "^", "without dropout", "p = 0", "p = 0.0"),
    _entry("dropout", "dropout", _C["bluish green"], "o", "with dropout", "inverted",
           "inverted dropout", "p =", "model.eval", "nn.Dropout"),
    _entry("dropout", "vanilla dropout", _C["vermillion"], "s", "vanilla", "unscaled dropout"),
    _entry("dropout", "MC dropout", _C["reddish purple"], "v", "Monte Carlo dropout",
           "Monte-Carlo dropout", "MC average", "average of K masked passes", "model.train",
           "mc_dropout_predict"),
    # chapter 05: normalization
    _entry("normalization", "no normalization", _C["grey"], "s", "no norm", "without BN", "no BN",
           "no batch norm", "without batch norm", "without normalization"),
    _entry("normalization", "batch norm", _C["blue"], "o", "BN", "with BN", "BatchNorm",
           "batch normalization", "BatchNorm1d", "BatchNorm2d", "with batch norm"),
    _entry("normalization", "BN + injected shift", _C["sky blue"], "^", "BN injected shift",
           "BN shift", "injected shift", "ShiftNoise"),
    _entry("normalization", "layer norm", _C["orange"], "D", "LN", "LayerNorm",
           "layer normalization", "with layer norm"),
    # chapter 06: search
    _entry("search", "random search", _C["blue"], "v", "random", "RandomSampler", "random sampler",
           "random log", "random log scale", "log uniform", "random log uniform"),
    _entry("search", "random, uniform scale", _C["reddish purple"], "D", "random uniform",
           "uniform", "uniform random", "random uniform scale"),
    _entry("search", "grid search", _C["orange"], "X", "grid", "GridSampler", "grid sampler"),
    _entry("search", "successive halving", _C["bluish green"], "^", "halving",
           "SuccessiveHalvingPruner", "successive_halving"),
    _entry("search", "TPE", _C["reddish purple"], "o", "TPESampler", "Optuna TPE",
           "tree-structured Parzen estimator"),
    _entry("search", "early stopping", _C["vermillion"], "^", "early stop", "EarlyStopping"),
    _entry("search", "full budget", _C["grey"], "v", "full search", "full training"),
    _entry("search", "chosen on test", _C["vermillion"], "X", "tuned on the test set",
           "tuned on test", "picked on test", "picked on the test set", "selected on test"),
    _entry("search", "chosen on validation", _C["bluish green"], "P", "picked on validation",
           "tuned on validation", "selected on validation", "chosen on the validation set"),
    _entry("search", "single split", _C["grey"], "P", "one split", "holdout", "hold-out"),
    _entry("search", "k-fold cross-validation", _C["bluish green"], "v", "k-fold", "kfold",
           "fold", "cross-validation", "cross validation", "CV"),
    # the data splits: black, told apart by line style, marker and hatching
    _entry("split", "train", _C["black"], "o", "training", "train set", "training set",
           linestyle="-"),
    _entry("split", "validation", _C["black"], "s", "val", "valid", "validation set",
           linestyle="--", hatch="//"),
    _entry("split", "test", _C["black"], "^", "test set", "held-out test", linestyle=":",
           hatch=".."),
])

#: Every method's (and split's) style, by canonical name.
PALETTE: Mapping[str, MethodStyle] = MappingProxyType(
    {name: entry.style for name, entry in _ENTRIES.items()})

#: The canonical names of each family ("init", "regularization", "ensembles", "dropout",
#: "normalization", "search", "split").
FAMILIES: Mapping[str, tuple[str, ...]] = MappingProxyType({
    family: tuple(name for name, entry in _ENTRIES.items() if entry.family == family)
    for family in dict.fromkeys(entry.family for entry in _ENTRIES.values())
})

#: The three data splits' styles (train solid, validation dashed, test dotted).
SPLITS: Mapping[str, MethodStyle] = MappingProxyType(
    {name: PALETTE[name] for name in FAMILIES["split"]})

_TOKEN = re.compile(r"=|[^\W_]+(?:[.^/][^\W_]+)*")


def _tokens(text: str) -> tuple[str, ...]:
    """Lower-case words of ``text``: ``"N(0, 0.01²)"`` -> ``("n", "0", "0.01^2")``."""
    text = text.lower().replace("²", "^2").replace("×", "x")
    return tuple(_TOKEN.findall(text))


_ALIASES: dict[tuple[str, ...], str] = {}
for _name, _item in _ENTRIES.items():
    for _alias in _item.aliases:
        _other = _ALIASES.setdefault(_tokens(_alias), _name)
        assert _other == _name, f"alias {_alias!r} names both {_other!r} and {_name!r}"


def style(name: str) -> MethodStyle:
    """The style of one method of the course (or data split), by name or alias.

    The lookup ignores case, spacing and punctuation: ``"He"``, ``"kaiming"``,
    ``"He normal"`` and ``"kaiming_normal_"`` give the same style.

    Raises:
        ValueError: ``name`` is not a known method; the message lists the known ones.

    Examples:
        >>> style("kaiming") == style("He normal") == PALETTE["He"]
        True
        >>> style("Glorot").label
        'Xavier'
    """
    key = _ALIASES.get(_tokens(str(name)))
    if key is None:
        raise ValueError(f"unknown method {name!r}: the palette knows {', '.join(PALETTE)} "
                         "(and their aliases)")
    return PALETTE[key]


def find_style(label: str, *, prefer: Iterable[str] = ()) -> MethodStyle | None:
    """The method named somewhere inside a legend label, or None.

    ``"L2, λ = 0.1"`` finds the L2 penalty, ``"Adam + L2 (0.01)"`` Adam + L2 (the longest
    alias wins at a position), ``"bagging (soft vote)"`` bagging (the first method named
    wins). Methods of the ``prefer`` families (e.g. ``("init",)`` in chapter 01, where
    ``"random (He)"`` means He, not random search) win over the others. Data splits are not
    found here: see :func:`split_of`.
    """
    words = _tokens(str(label))
    preferred = set(prefer)
    best: tuple[int, int, int] | None = None
    found = None
    for alias, name in _ALIASES.items():
        if _ENTRIES[name].family == "split" or not alias:
            continue
        for start in range(len(words) - len(alias) + 1):
            if words[start:start + len(alias)] == alias:
                rank = (0 if _ENTRIES[name].family in preferred else 1, start, -len(alias))
                if best is None or rank < best:
                    best, found = rank, name
                break
    return None if found is None else PALETTE[found]


def split_of(label: str) -> Split | None:
    """Which data split a label names (the first one it mentions), or None.

    Examples:
        >>> split_of("test error (1,000 new points)"), split_of("no decay: train")
        ('test', 'train')
    """
    names = {"train": "train", "training": "train", "val": "validation",
             "validation": "validation", "valid": "validation", "test": "test"}
    for word in _tokens(str(label)):
        if word in names:
            return names[word]  # type: ignore[return-value]
    return None


def shade(color: str, amount: float) -> str:
    """``color`` mixed with black (``amount > 0``) or white (``amount < 0``) by ``|amount|``."""
    rgb = np.array(mpl.colors.to_rgb(color))
    target = np.zeros(3) if amount > 0 else np.ones(3)
    return mpl.colors.to_hex(rgb + abs(amount) * (target - rgb))


_VARIANT_SHADES = (0.0, 0.4, -0.45, 0.65, -0.7)


def other_style(index: int, label: str = "") -> MethodStyle:
    """The ``index``-th style for a series that is not a method of the course."""
    return MethodStyle(OTHER_COLORS[index % len(OTHER_COLORS)],
                       _OTHER_MARKERS[index % len(_OTHER_MARKERS)], "-", label)


def series_styles(
    labels: Iterable[str],
    *,
    prefer: Iterable[str] = (),
    default: str | MethodStyle | None = None,
    distinct: bool = True,
    splits: bool = False,
) -> dict[str, MethodStyle]:
    """A style for every series of a figure, found from its label.

    Each label gets its method's style (:func:`find_style`); a label that names no method
    gets, with ``splits``, the style of the data split it names (``"test error"``), else
    ``default`` (a method name or style), or else the next of :data:`OTHER_COLORS`.
    With ``distinct`` (for series drawn on the same axes), a second, third, ... label of the
    same method keeps its marker but gets a darker or lighter shade of its colour
    (``"relu, BN"`` and ``"sigmoid, BN"``). Returned styles carry the label as ``label``.
    """
    labels = list(labels)
    fallback = style(default) if isinstance(default, str) else default
    seen: dict[MethodStyle, int] = {}
    styles, others = {}, 0
    for label in labels:
        found = find_style(label, prefer=prefer)
        if found is None and splits and split_of(label) is not None:
            found = SPLITS[split_of(label)]
        found = found or fallback
        if found is None:
            styles[label] = other_style(others, label)
            others += 1
            continue
        count = seen.get(found, 0)
        seen[found] = count + 1
        amount = _VARIANT_SHADES[count % len(_VARIANT_SHADES)] if distinct else 0.0
        styles[label] = replace(found, color=shade(found.color, amount) if amount else found.color,
                                label=label)
    return styles


def line_kwargs(
    method: MethodStyle, *, split: Split | None = None, n_points: int | None = None,
    markers: bool = True,
) -> dict[str, object]:
    """``ax.plot`` keyword arguments for a method's line (and a split's line style).

    With ``split`` the line style is the split's (train solid, validation dashed, test
    dotted) and held-out splits get open markers. Long lines (``n_points`` above 15) get
    markers at even distances along the line only (about ten).
    """
    kwargs: dict[str, object] = {"color": method.color, "linestyle": method.linestyle,
                                 "label": method.label or None}
    if split is not None:
        kwargs["linestyle"] = SPLITS[split].linestyle
    if markers:
        kwargs.update(marker=method.marker, markersize=5)
        if split in ("validation", "test"):
            kwargs["markerfacecolor"] = "white"
        if n_points is not None and n_points > 15:
            kwargs["markevery"] = 0.1  # evenly spaced on screen, also on log axes
    return kwargs


def _as_style(method: str | MethodStyle | None, color: str | None) -> MethodStyle:
    if method is None:
        found = MethodStyle(color or OTHER_COLORS[0], "o")
    else:
        found = style(method) if isinstance(method, str) else method
    return replace(found, color=color) if color is not None else found


# ---------------------------------------------------------------------------------------
# Bands and error bars from course_utils.stats summaries
# ---------------------------------------------------------------------------------------


def _check_spread(what: str) -> None:
    if what not in ("sd", "ci"):
        raise ValueError(f"what must be 'sd' or 'ci', but got {what!r}")


def spread_label(summaries: Sequence[SummaryLike], what: Spread, *, unit: str = "seeds") -> str:
    """What a band or error bar shows: ``"mean ± sd, 3 seeds"`` or ``"mean, 95 % CI, 3 seeds"``.

    ``unit`` names what was repeated (``"seeds"``, ``"repetitions"``, ``"folds"``); a range
    of counts is printed as ``"2-3 seeds"``.

    Raises:
        ValueError: ``what`` is neither ``"sd"`` nor ``"ci"``, or ``summaries`` is empty.
    """
    _check_spread(what)
    if not summaries:
        raise ValueError("summaries must hold at least one summary, but got none")
    counts = sorted({int(s.n) for s in summaries})
    count = f"{counts[0]}" if len(counts) == 1 else f"{counts[0]}-{counts[-1]}"
    if what == "sd":
        return f"mean ± sd, {count} {unit}"
    return f"mean, {100 * summaries[0].confidence:.6g} % CI, {count} {unit}"


def spread_words(what: Spread, *, confidence: float = 0.95) -> str:
    """``"mean ± sd"`` or ``"mean, 95 % CI"``: a band's name for a title or an axis label."""
    _check_spread(what)
    return "mean ± sd" if what == "sd" else f"mean, {100 * confidence:.6g} % CI"


def spread(summaries: Sequence[SummaryLike], what: Spread) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper ends: ``mean ± sd`` (``"sd"``) or the t interval ``[low, high]``."""
    _check_spread(what)
    mean = np.array([s.mean for s in summaries], dtype=float)
    if what == "sd":
        sd = np.array([s.sd for s in summaries], dtype=float)
        return mean - sd, mean + sd
    return (np.array([s.low for s in summaries], dtype=float),
            np.array([s.high for s in summaries], dtype=float))


def bar_errors(
    runs: Sequence[Sequence[float] | np.ndarray], what: Spread
) -> tuple[np.ndarray | None, str]:
    """Error bars for bars drawn at the means of ``runs`` (one sequence of per-seed values
    per bar): the ``(2, bars)`` lengths below and above each mean for ``yerr``/``xerr``,
    and what they show (``"mean ± sd, 3 seeds"``). Bars of a single run get no error bars
    and the text ``"1 run"``: one run has no spread."""
    _check_spread(what)
    arrays = [np.asarray(r, dtype=float) for r in runs]
    counts = sorted({len(a) for a in arrays})
    if counts[0] < 2:
        return None, f"{counts[-1]} run" + ("s" if counts[-1] > 1 else "")
    summaries = [summarize_values(a) for a in arrays]
    means = np.array([s.mean for s in summaries])
    low, high = spread(summaries, what)
    return np.vstack([means - low, high - means]), spread_label(summaries, what)


def band(
    ax: Axes,
    x: Sequence[float] | np.ndarray,
    summaries: Sequence[SummaryLike],
    *,
    what: Spread,
    method: str | MethodStyle,
    label: str | None = None,
    split: Split | None = None,
    unit: str = "seeds",
    color: str | None = None,
    alpha: float = 0.18,
) -> Line2D:
    """Draw the mean of ``summaries`` as a line with a shaded band on ``ax``.

    Args:
        ax: the axes.
        x: one x value per summary.
        summaries: :class:`course_utils.stats.Summary` objects (``summarize_curves``), or
            anything with ``mean``, ``sd``, ``low``, ``high``, ``n`` and ``confidence``.
        what: ``"sd"`` shades mean ± sample sd (the spread of the method over seeds),
            ``"ci"`` the t interval of the mean (how well the mean is known).
        method: the method's name (see :func:`style`) or a :class:`MethodStyle`.
        label: the legend text before the band's description; default the method's label.
        split: draw in this split's line style (train solid, validation dashed, test dotted).
        unit: what was repeated, for the legend.
        color: overrides the method's colour.
        alpha: opacity of the band.

    Returns:
        The mean line; its legend entry says what the band is, e.g.
        ``"He (mean ± sd, 10 seeds)"`` or ``"He (mean, 95 % CI, 10 seeds)"``.

    Raises:
        ValueError: ``what`` is not ``"sd"``/``"ci"``, an unknown method, or as many x
            values as summaries are not given.
    """
    if len(x) != len(summaries):
        raise ValueError(f"x and summaries must have the same length, but got {len(x)} and "
                         f"{len(summaries)}")
    method_style = _as_style(method, color)
    text = f"{label or method_style.label} ({spread_label(summaries, what, unit=unit)})"
    mean = np.array([s.mean for s in summaries], dtype=float)
    low, high = spread(summaries, what)
    kwargs = line_kwargs(replace(method_style, label=text), split=split, n_points=len(mean))
    (line,) = ax.plot(np.asarray(x), mean, **kwargs)
    ax.fill_between(np.asarray(x, dtype=float), low, high, color=method_style.color, alpha=alpha,
                    linewidth=0)
    return line


def errorbars(
    ax: Axes,
    x: Sequence[float] | np.ndarray,
    summaries: Sequence[SummaryLike],
    *,
    what: Spread,
    method: str | MethodStyle,
    label: str | None = None,
    split: Split | None = None,
    unit: str = "seeds",
    color: str | None = None,
    horizontal: bool = False,
    capsize: float = 3,
    linestyle: str | None = None,
) -> ErrorbarContainer:
    """Draw the means of ``summaries`` as markers with error bars (sd or t interval).

    The arguments are those of :func:`band`; ``horizontal`` puts the values on the x axis
    (``x`` are then the y positions); ``linestyle="none"`` draws the markers unconnected
    (for categories). The legend entry says what the bars are.
    """
    method_style = _as_style(method, color)
    mean = np.array([s.mean for s in summaries], dtype=float)
    low, high = spread(summaries, what)
    error = np.vstack([mean - low, high - mean])
    text = f"{label or method_style.label} ({spread_label(summaries, what, unit=unit)})"
    kwargs = line_kwargs(replace(method_style, label=text), split=split)
    kwargs.pop("markevery", None)
    if linestyle is not None:
        kwargs["linestyle"] = linestyle
    if horizontal:
        return ax.errorbar(mean, np.asarray(x), xerr=error, capsize=capsize, **kwargs)
    return ax.errorbar(np.asarray(x), mean, yerr=error, capsize=capsize, **kwargs)


def summarize_runs(runs: np.ndarray | Sequence[Sequence[float]]) -> list[SummaryLike]:
    """One :mod:`course_utils.stats` summary per column of ``runs`` (seeds x points)."""
    from course_utils.stats import summarize_curves

    return summarize_curves(np.asarray(runs, dtype=float))


def summarize_values(values: Sequence[float] | np.ndarray) -> SummaryLike:
    """The :func:`course_utils.stats.summarize` of one set of per-seed values."""
    from course_utils.stats import summarize

    return summarize(np.asarray(values, dtype=float))


def plot_mean_std_curves(
    ax: Axes,
    x: Sequence[float] | np.ndarray,
    runs: np.ndarray,
    *,
    label: str,
    color: str | None = None,
    linestyle: str = "-",
    method: str | MethodStyle | None = None,
    split: Split | None = None,
    what: Spread = "sd",
    unit: str = "seeds",
) -> Line2D:
    """Draw the mean over runs (rows of ``runs``) with a band on ``ax``: :func:`band` of
    :func:`summarize_runs` (mean ± sample sd by default, ``what="ci"`` for the t interval).

    A single run is drawn as a plain line labelled ``"(1 seed)"``: it has no spread.
    """
    runs = np.asarray(runs, dtype=float)
    found = method if method is not None else find_style(label)
    method_style = replace(_as_style(found, color), linestyle=linestyle)
    if len(runs) < 2:
        kwargs = line_kwargs(replace(method_style, label=f"{label} (1 {unit.rstrip('s')})"),
                             split=split, n_points=runs.shape[-1])
        (line,) = ax.plot(np.asarray(x), runs.reshape(-1, runs.shape[-1])[0], **kwargs)
        return line
    return band(ax, x, summarize_runs(runs), what=what, method=method_style, label=label,
                split=split, unit=unit)


# ---------------------------------------------------------------------------------------
# Style, display and other helpers used by several chapters
# ---------------------------------------------------------------------------------------


def set_style() -> None:
    """The course's plot style: PNG output at a modest resolution, readable fonts, grids."""
    mpl.rcParams.update(
        {
            "figure.dpi": 80,
            "savefig.dpi": 80,
            "figure.figsize": (6.4, 3.6),
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.titlesize": 11,
            "axes.labelsize": 10,
            "legend.fontsize": 9,
            "axes.prop_cycle": mpl.cycler(color=OTHER_COLORS),
            "hatch.linewidth": 0.8,
        }
    )
    try:
        from matplotlib_inline.backend_inline import set_matplotlib_formats

        set_matplotlib_formats("png")
    except ImportError:  # outside IPython
        pass


def show_figure(fig: Figure) -> None:
    """Display ``fig`` in the notebook (or an explorer's output area) and close it."""
    from IPython.display import display

    display(fig)
    plt.close(fig)


def share_limits(axes: Iterable[Axes], *, x: bool = True, y: bool = True) -> None:
    """Give panels meant to be compared the same x and/or y limits (the union of theirs)."""
    axes = list(axes)
    for flag, get, put in ((x, "get_xlim", "set_xlim"), (y, "get_ylim", "set_ylim")):
        if flag and axes:
            limits = np.array([getattr(ax, get)() for ax in axes])
            for ax in axes:
                getattr(ax, put)(limits[:, 0].min(), limits[:, 1].max())


def plot_decision_boundary(
    ax: Axes,
    predict_proba: Callable[[Tensor], Tensor],
    x: Tensor,
    y: Tensor,
    *,
    title: str = "",
    resolution: int = 150,
    sizes: Tensor | np.ndarray | None = None,
) -> None:
    """Shade a 2-D classifier's predicted class over the data's range and scatter the data.

    ``predict_proba`` maps ``(n, 2)`` points to ``(n, n_classes)`` probabilities; the
    shading shows the most likely class (:data:`CLASS_COLORS`), its boundary is drawn in
    black. ``sizes`` sets marker areas (e.g. boosting's sample weights).
    """
    x_np, y_np = np.asarray(x), np.asarray(y)
    lo, hi = x_np.min(axis=0) - 0.5, x_np.max(axis=0) + 0.5
    g0, g1 = np.meshgrid(np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution))
    grid = torch.tensor(np.c_[g0.ravel(), g1.ravel()], dtype=torch.float32)
    with torch.no_grad():
        pred = np.asarray(predict_proba(grid)).argmax(axis=1).reshape(g0.shape)
    n_classes = int(max(pred.max(), y_np.max())) + 1
    cmap = mpl.colors.ListedColormap(CLASS_COLORS[:n_classes])
    ax.contourf(g0, g1, pred, levels=np.arange(n_classes + 1) - 0.5, cmap=cmap, alpha=0.25)
    ax.contour(g0, g1, pred, levels=np.arange(n_classes) + 0.5, colors="k", linewidths=0.8)
    ax.scatter(x_np[:, 0], x_np[:, 1], c=y_np, cmap=cmap, s=12 if sizes is None else sizes,
               edgecolors="k", linewidths=0.3, vmin=-0.5, vmax=n_classes - 0.5)
    ax.set(xlabel="$x_1$", ylabel="$x_2$", title=title)
    ax.grid(False)
