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
decision regions of several, side by side   :func:`plot_decision_boundaries`
train / held-out curves of conditions       :func:`plot_train_test_curves` (one run, seeds,
                                            or arrays; x in epochs or steps; the final gap)
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
import textwrap
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


def plot_decision_boundaries(
    panels: Mapping[str, Callable[[Tensor], Tensor]
                    | tuple[Callable[[Tensor], Tensor], Tensor | np.ndarray | None]],
    x: Tensor,
    y: Tensor,
    *,
    title: str = "",
    resolution: int = 150,
) -> Figure:
    """Decision regions of several 2-D classifiers side by side, on the same data (and so
    the same axis limits), each panel drawn by :func:`plot_decision_boundary`.

    Args:
        panels: ``{panel title: predict_proba}``, each mapping ``(n, 2)`` points to class
            probabilities; a value may also be a ``(predict_proba, sizes)`` pair, where
            ``sizes`` are the marker areas of the points on that panel (e.g. boosting's
            sample weights after a round) or None.
        x: the ``(n, 2)`` points drawn on every panel.
        y: their labels.
        title: the figure's title.
        resolution: grid points per axis of the shading.

    Returns:
        The figure, one axes per panel.

    Raises:
        ValueError: ``panels`` is empty, or a value is neither a function nor a pair.
    """
    if not panels:
        raise ValueError("panels must hold at least one classifier, but got {}")
    drawn = []
    for panel_title, value in panels.items():
        pair = isinstance(value, tuple) and len(value) == 2
        predict_proba, sizes = value if pair else (value, None)
        if not callable(predict_proba):
            raise ValueError(f"panels[{panel_title!r}] must be predict_proba or a "
                             f"(predict_proba, sizes) pair, but got {type(value).__name__}")
        drawn.append((panel_title, predict_proba, sizes))
    fig, axes = plt.subplots(1, len(drawn), figsize=(3.5 * len(drawn), 3.5), squeeze=False)
    for ax, (panel_title, predict_proba, sizes) in zip(axes[0], drawn, strict=True):
        plot_decision_boundary(ax, predict_proba, x, y, title=panel_title, sizes=sizes,
                               resolution=resolution)
        ax.title.set_fontsize(9 if "\n" in str(panel_title) else 10)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------------------------------
# Train and held-out curves of several conditions (every chapter)
# ---------------------------------------------------------------------------------------

_METRIC_NAMES = MappingProxyType({"acc": "accuracy", "loss": "loss"})


class HistoryLike(Protocol):
    """What :func:`plot_train_test_curves` reads: a :class:`course_utils.training.History`."""

    epoch: list[int]
    train_acc: list[float]
    val_acc: list[float]
    train_loss: list[float]
    val_loss: list[float]


#: One condition of :func:`plot_train_test_curves`: one run, runs over seeds, or arrays.
Condition = HistoryLike | Sequence[HistoryLike] | Mapping[str, np.ndarray | Sequence[Sequence[float]]]


@dataclass(frozen=True)
class _Curves:
    """One condition's curves: x values, ``{split name: seeds x points}``, one run or seeds."""

    x: np.ndarray
    splits: dict[str, np.ndarray]
    single: bool


def _is_history(run: object) -> bool:
    return hasattr(run, "epoch") and hasattr(run, "train_acc") and hasattr(run, "val_acc")


def _condition_curves(
    name: str, run: Condition, *, epochs: np.ndarray | None, metric: str, held_out: Split,
) -> _Curves:
    """Check one condition of :func:`plot_train_test_curves` and read its curves."""
    where = f"runs[{name!r}]"
    if isinstance(run, Mapping):
        if not run:
            raise ValueError(f"{where} must map splits to seeds x epochs arrays, but got {{}}")
        if epochs is None:
            raise ValueError(f"epochs must be given when {where} holds arrays (they carry no "
                             "epochs), but got None")
        splits = {}
        for key, values in run.items():
            array = np.asarray(values, dtype=float)
            array = array[None] if array.ndim == 1 else array
            if array.ndim != 2 or array.shape[0] == 0 or array.shape[1] != len(epochs):
                raise ValueError(f"{where}[{key!r}] must be a seeds x epochs array with "
                                 f"{len(epochs)} epochs (as in epochs), but got shape "
                                 f"{np.shape(values)}")
            splits[str(key)] = array
        return _Curves(epochs, splits, single=False)
    single = _is_history(run)
    histories = [run] if single else list(run) if isinstance(run, Sequence) else []
    if not histories or not all(_is_history(h) for h in histories):
        raise ValueError(f"{where} must be a History, a sequence of History (one per seed) or "
                         f"a {{split: seeds x epochs}} mapping, but got {type(run).__name__}")
    x = np.asarray(histories[0].epoch if epochs is None else epochs, dtype=float)
    splits = {}
    for key, attribute in (("train", f"train_{metric}"), (held_out, f"val_{metric}")):
        rows = [list(getattr(h, attribute)) for h in histories]
        if not any(rows):  # not recorded (e.g. fit(..., eval_train=False))
            continue
        lengths = sorted({len(row) for row in rows})
        if len(lengths) != 1 or lengths[0] > len(x):
            raise ValueError(f"{where} must hold runs with one {attribute} value per epoch "
                             f"({len(x)} epochs), but got lengths {lengths}")
        splits[key] = np.array(rows, dtype=float)
    if not splits:
        raise ValueError(f"{where} recorded no {metric!r} curve: its History.train_{metric} "
                         f"and History.val_{metric} are empty")
    return _Curves(x, splits, single=single)


def _train_and_held_out(name: str, curves: _Curves) -> tuple[np.ndarray, str, np.ndarray]:
    """The train curve, the held-out curve's name and the held-out curve of one condition."""
    train = [key for key in curves.splits if split_of(key) == "train"]
    others = [key for key in curves.splits if split_of(key) != "train"]
    if len(train) != 1 or len(others) != 1:
        raise ValueError(f"with gap=True each condition needs a 'train' curve and one held-out "
                         f"curve ('validation' or 'test'), but runs[{name!r}] has "
                         f"{list(curves.splits)}")
    return curves.splits[train[0]], others[0], curves.splits[others[0]]


def _steps_of(
    steps_per_epoch: int | Mapping[str, int] | None, names: Sequence[str]
) -> dict[str, int]:
    if steps_per_epoch is None:
        return dict.fromkeys(names, 1)
    if isinstance(steps_per_epoch, Mapping):
        missing = [name for name in names if name not in steps_per_epoch]
        if missing:
            raise ValueError(f"steps_per_epoch must give every condition's steps, but "
                             f"{', '.join(map(repr, missing))} is missing from "
                             f"{dict(steps_per_epoch)}")
        steps = {name: steps_per_epoch[name] for name in names}
    else:
        steps = dict.fromkeys(names, steps_per_epoch)
    bad = {name: value for name, value in steps.items()
           if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1}
    if bad:
        raise ValueError(f"steps_per_epoch must be positive integers, but got {bad}")
    return {name: int(value) for name, value in steps.items()}


def plot_train_test_curves(
    runs: Mapping[str, Condition],
    *,
    epochs: Sequence[float] | np.ndarray | None = None,
    metric: str = "acc",
    steps_per_epoch: int | Mapping[str, int] | None = None,
    held_out: str = "test",
    what: Spread = "sd",
    title: str = "",
    ylabel: str | None = None,
    ylim: tuple[float | None, float | None] | None = None,
    gap: bool = False,
    ax: Axes | None = None,
) -> Figure:
    """Train and held-out curves of several conditions: one colour per condition (its
    method's, found from its name by :func:`series_styles`), the split in the line style
    (train solid, validation dashed, test dotted).

    A condition of several seeds is drawn as its mean with a band (:func:`plot_mean_std_curves`:
    mean ± sample sd, or with ``what="ci"`` the 95 % t interval), and its legend entry says
    which (``"L2: train (mean ± sd, 3 seeds)"``); a single run (one :class:`History`) is a
    plain line (``"L2: train"``). With ``gap`` a right panel shows each condition's final
    train - held-out gap: one dot per seed and a bar at their mean with the same kind of
    error bar as the bands.

    Args:
        runs: ``{condition: curves}``, where the curves are one
            :class:`course_utils.training.History`, a sequence of them (one per seed, with
            the same epochs), or ``{split: seeds x epochs array}`` (e.g. ``{"train": ...,
            "validation": ...}``; a key that names no split is drawn as held out, and every
            key is named in the legend).
        epochs: the evaluated epochs (x values); needed for arrays, by default a
            History's ``epoch``.
        metric: ``"acc"`` or ``"loss"``: which of a History's curves to draw
            (``train_acc`` and ``val_acc``, or ``train_loss`` and ``val_loss``), and the
            default y label (arrays are drawn as given).
        steps_per_epoch: optimization steps per epoch, one number or one per condition:
            the x axis is then the training step, so conditions trained with different
            batch sizes line up.
        held_out: what a History's ``val_*`` curves were measured on: ``"test"`` (dotted)
            or ``"validation"`` (dashed), for the legend and the line style.
        what: the bands and the gap's error bars: ``"sd"`` or ``"ci"``.
        title: the title of the curves' axes (default: the metric per epoch or step).
        ylabel: the y label (default ``"accuracy"`` or ``"loss"``).
        ylim: the y limits of the curves' axes (default: matplotlib's).
        gap: add the panel of the final gaps (in points for accuracies; held-out minus
            train for losses); each condition needs exactly one train and one held-out
            curve.
        ax: draw the curves on these axes instead of a new figure (not with ``gap``).

    Returns:
        The figure: the curves' axes first, then the gap panel.

    Raises:
        ValueError: ``runs`` is empty; a condition is empty, of mismatched shapes (an array
            whose number of epochs differs from ``epochs``, runs of different lengths) or
            of an unknown kind; ``epochs`` is missing for arrays; ``metric``, ``held_out``,
            ``what`` or ``steps_per_epoch`` is unknown or invalid; with ``gap``, a
            condition without one train and one held-out curve, or ``ax`` is given.

    Examples:
        >>> runs = {"no decay": {"train": [[0.6, 0.9], [0.7, 1.0]],
        ...                      "test": [[0.5, 0.7], [0.6, 0.8]]}}
        >>> fig = plot_train_test_curves(runs, epochs=[1, 2])
        >>> [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
        ['no decay: train (mean ± sd, 2 seeds)', 'no decay: test (mean ± sd, 2 seeds)']
        >>> plt.close(fig)
    """
    _check_spread(what)
    if metric not in _METRIC_NAMES:
        raise ValueError(f"metric must be 'acc' or 'loss', but got {metric!r}")
    held_split = split_of(held_out)
    if held_split not in ("validation", "test"):
        raise ValueError(f"held_out must be 'validation' or 'test', but got {held_out!r}")
    if not runs:
        raise ValueError("runs must hold at least one condition, but got {}")
    if gap and ax is not None:
        raise ValueError("ax cannot be given with gap=True (the gap needs its own panel), "
                         f"but got ax={ax!r}")
    x_given = None if epochs is None else np.asarray(epochs, dtype=float)
    if x_given is not None and x_given.ndim != 1:
        raise ValueError(f"epochs must be one x value per epoch, but got shape {x_given.shape}")
    names = list(runs)
    conditions = {name: _condition_curves(name, run, epochs=x_given, metric=metric,
                                          held_out=held_split) for name, run in runs.items()}
    steps = _steps_of(steps_per_epoch, names)
    gaps = {name: _train_and_held_out(name, curves) for name, curves in conditions.items()} \
        if gap else {}

    entries = sum(len(curves.splits) for curves in conditions.values())
    outside = entries > 4  # a long legend goes right of the curves, where it hides none
    if gap:
        bars = max(1.0, 0.3 * len(conditions))  # room for the conditions' names
        fig, (ax, ax_gap) = plt.subplots(
            1, 2, figsize=(10.0 + 2.2 * (bars - 1) + (3.0 if outside else 0.0), 3.8),
            width_ratios=(2.2, bars))
    elif ax is None:
        fig, ax = plt.subplots(figsize=(9.6 if outside else 7.0, 3.8))
    else:
        fig = ax.figure
    styles = series_styles(names)
    banded = False
    for name, curves in conditions.items():
        for key, values in curves.splits.items():
            split = split_of(key) or "test"
            x = curves.x[: values.shape[1]] * steps[name]
            label = f"{name}: {key}"
            if curves.single:
                kwargs = line_kwargs(styles[name], split=split, n_points=len(x))
                ax.plot(x, values[0], **{**kwargs, "label": label})
            else:
                plot_mean_std_curves(ax, x, values, label=label, method=styles[name],
                                     split=split, what=what)
                banded = banded or len(values) > 1
    ylabel = ylabel or _METRIC_NAMES[metric]
    per = "training step" if steps_per_epoch is not None else "epoch"
    default_title = f"{ylabel[:1].upper()}{ylabel[1:]} per {per}"
    if banded:
        default_title += f" ({spread_words(what)})"
    ax.set(xlabel=per, ylabel=ylabel, title=title or default_title)
    if ylim is not None:
        ax.set_ylim(*ylim)
    if outside:
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    else:
        ax.legend(fontsize=8, loc="best")
    if gap:
        _draw_gaps(ax_gap, gaps, styles, metric=metric, ylabel=ylabel, what=what)
    fig.tight_layout()
    return fig


def _draw_gaps(
    ax: Axes, gaps: Mapping[str, tuple[np.ndarray, str, np.ndarray]],
    styles: Mapping[str, MethodStyle], *, metric: str, ylabel: str, what: Spread,
) -> None:
    """The gap panel of :func:`plot_train_test_curves`: per-seed final gaps and their mean."""
    n_seeds, held_names = [], set()
    for i, (name, (train, key, held)) in enumerate(gaps.items()):
        held_names.add(split_of(key) or key)
        final_train, final_held = train[:, -1], held[:, -1]
        values = 100 * (final_train - final_held) if metric == "acc" else final_held - final_train
        n_seeds.append(len(values))
        error, _ = bar_errors([values], what)
        ax.bar(i, values.mean(), yerr=error, color=styles[name].color, alpha=0.6, capsize=6)
        ax.scatter(np.full(len(values), i), values, color="k", s=14, zorder=3)
    held_name = " / ".join(sorted(held_names))
    ax.set_xticks(range(len(gaps)), [textwrap.fill(str(name), 16 if len(gaps) < 3 else 10)
                                     for name in gaps])
    if metric == "acc":
        ax.set_ylabel(f"final train - {held_name} {ylabel} (points)")
    else:
        ax.set_ylabel(f"final {held_name} - train {ylabel}")
    low, high = min(n_seeds), max(n_seeds)
    bars = spread_words(what) if low > 1 else "mean"
    count = f"{low}" if low == high else f"{low}-{high}"
    ax.set_title(f"Final gap (bar: {bars}, {count} seed{'s' if high > 1 else ''}; dots: seeds)",
                 fontsize=9)
