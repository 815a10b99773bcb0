"""The interactive explorers: a pure compute function plus a thin ipywidgets class.

The compute functions take plain arguments and return data (tensors, dicts, histories),
so they are unit-tested without a browser; each explorer class only wires sliders to a
compute function and a plotting function. Constructing an explorer does not display it:
call ``.show()`` (or let the notebook display ``.widget``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import ipywidgets as widgets
import torch
from IPython.display import display

from course_utils.data import load_splits
from course_utils.models import mlp
from course_utils.plotting import show_figure
from course_utils.training import History, fit


class Explorer:
    """Controls plus an output area that redraws ``draw(**values)`` when a control changes.

    Args:
        controls: name -> widget (its ``value`` is passed to ``draw`` under that name).
        draw: ``(**values) -> matplotlib Figure or None``; called once at construction
            and again after each change.
    """

    def __init__(self, controls: dict[str, widgets.ValueWidget], draw: Callable[..., Any]):
        self.controls = controls
        self.draw = draw
        self.output = widgets.Output()
        self.last_result: Any = None
        for control in controls.values():
            control.observe(self._on_change, names="value")
        self.widget = widgets.VBox([widgets.HBox(list(controls.values())), self.output])
        self.update()

    @property
    def values(self) -> dict[str, Any]:
        """The current value of every control."""
        return {name: control.value for name, control in self.controls.items()}

    def update(self) -> Any:
        """Recompute and redraw with the current values; returns ``draw``'s result."""
        with self.output:
            self.output.clear_output(wait=True)
            self.last_result = self.draw(**self.values)
            if self.last_result is not None and hasattr(self.last_result, "savefig"):
                show_figure(self.last_result)
        return self.last_result

    def _on_change(self, _change: dict) -> None:
        self.update()

    def show(self) -> None:
        """Display the explorer in the notebook."""
        display(self.widget)


# ---------------------------------------------------------------------------------------
# Chapter 00: introduction
# ---------------------------------------------------------------------------------------


def capacity_run(
    hidden_width: int, n_hidden: int, n_train: int, *, epochs: int = 60, seed: int = 0
) -> History:
    """Train ``784-(hidden_width x n_hidden)-10`` on the first ``n_train`` training images.

    The compute behind the chapter 00 explorer: the images come from the course's ``train``
    split (:func:`course_utils.data.load_splits`), and the history holds train and
    validation accuracy every 5 epochs (SGD with momentum, lr 0.05, batch 50). The test
    split is never touched, so a learner moving the sliders chooses nothing on it.

    Raises:
        ValueError: non-positive sizes or ``n_train`` outside [10, 7000].
    """
    if hidden_width < 1 or n_hidden < 0:
        raise ValueError(
            f"hidden_width must be >= 1 and n_hidden >= 0, but got {hidden_width}, {n_hidden}"
        )
    (x_train, y_train), val, _ = load_splits()
    if not 10 <= n_train <= len(y_train):
        raise ValueError(f"n_train must be in [10, {len(y_train)}], but got {n_train}")
    generator = torch.Generator().manual_seed(seed)
    model = mlp([784] + [hidden_width] * n_hidden + [10], init="he_normal", generator=generator)
    return fit(model, (x_train[:n_train], y_train[:n_train]), val=val, epochs=epochs,
               batch_size=50, lr=0.05, optimizer="momentum", seed=seed, progress=False,
               eval_every=5)


class CapacityExplorer(Explorer):
    """Sliders for model size and training-set size -> train/validation accuracy curves."""

    def __init__(self) -> None:
        from course_utils.plotting import plot_train_test_curves

        def draw(hidden_width: int, n_hidden: int, n_train: int):
            history = capacity_run(hidden_width, n_hidden, n_train)
            final = history.final()
            title = (f"{n_hidden} x {hidden_width} hidden units, {n_train} images: "
                     f"train {final['train_acc']:.1%}, validation {final['val_acc']:.1%}")
            return plot_train_test_curves({"model": history}, held_out="validation",
                                          title=title)

        controls = {
            "hidden_width": widgets.IntSlider(value=100, min=2, max=200, step=2,
                                              description="width", continuous_update=False),
            "n_hidden": widgets.IntSlider(value=2, min=0, max=6, description="hidden layers",
                                          continuous_update=False),
            "n_train": widgets.IntSlider(value=300, min=50, max=2000, step=50,
                                         description="images", continuous_update=False),
        }
        super().__init__(controls, draw)


# ---------------------------------------------------------------------------------------
# Chapter 01: initialization
# ---------------------------------------------------------------------------------------

INIT_EXPLORER_SCHEMES = ("std", "lecun_normal", "xavier_normal", "he_normal", "torch_default")


def init_explorer_data(
    activation: str, scheme: str, depth: int, std: float, *, width: int = 100,
    n_samples: int = 500, seed: int = 0,
) -> list:
    """The chapter 01 explorer's compute: per-layer statistics of a deep stack at init.

    Runs :func:`course_utils.diagnostics.probe_stack` with ``depth`` layers of ``width``
    units on ``n_samples`` N(0, 1) inputs, keeping the activations for histograms.
    ``scheme="std"`` draws the weights from N(0, ``std``^2); any other scheme ignores
    ``std``. Every scheme has zero biases (as ``mlp`` gives them), except
    ``"torch_default"``, which is ``nn.Linear``'s whole default, biases included.

    Returns:
        One ``LayerStats`` per layer (with ``output``); the same arguments give the same
        numbers.

    Raises:
        ValueError: unknown activation or scheme, ``std`` not positive, ``depth`` outside
            [1, 100].
    """
    from course_utils.diagnostics import probe_stack

    if scheme not in INIT_EXPLORER_SCHEMES:
        raise ValueError(f"scheme must be one of {INIT_EXPLORER_SCHEMES}, but got {scheme!r}")
    if scheme == "std" and not std > 0:
        raise ValueError(f"std must be positive, but got {std}")
    if not 1 <= depth <= 100:
        raise ValueError(f"depth must be in [1, 100], but got {depth}")
    return probe_stack(activation, std if scheme == "std" else scheme, depth=depth,  # type: ignore[arg-type]
                       width=width, n_samples=n_samples, keep_outputs=True, seed=seed,
                       bias="torch_default" if scheme == "torch_default" else False)


class InitExplorer(Explorer):
    """Activation x scheme x depth x std -> histograms of a few layers and std per layer.

    Every scheme draws zero biases (as ``mlp`` does), except ``torch_default``, which is
    ``nn.Linear``'s whole default: its weights and its biases U(±1/sqrt(100)) (see
    :func:`init_explorer_data`). (Zero biases and no biases give the same numbers at
    initialization.)
    """

    def __init__(self) -> None:
        from course_utils.plotting import plot_init_explorer

        def draw(activation: str, scheme: str, depth: int, std: float):
            stats = init_explorer_data(activation, scheme, depth, std)
            label = {"std": f"N(0, {std:.3g}^2)",
                     "torch_default": "torch_default (weights and biases)"}.get(scheme, scheme)
            last = stats[-1]
            return plot_init_explorer(
                stats, title=f"{activation}, {label}, {depth} layers: last layer std "
                             f"{last.std:.3g}, first-layer gradient std {stats[0].grad_std:.3g}")

        controls = {
            "activation": widgets.Dropdown(options=["sigmoid", "tanh", "relu"], value="relu",
                                           description="activation"),
            "scheme": widgets.Dropdown(options=list(INIT_EXPLORER_SCHEMES), value="he_normal",
                                       description="scheme"),
            "depth": widgets.IntSlider(value=10, min=1, max=50, description="depth",
                                       continuous_update=False),
            "std": widgets.FloatLogSlider(value=0.01, base=10, min=-3, max=1, step=0.25,
                                          description="std", continuous_update=False),
        }
        super().__init__(controls, draw)


# ---------------------------------------------------------------------------------------
# Chapter 02: weight decay
# ---------------------------------------------------------------------------------------

DECAY_PENALTIES = ("none", "l2", "l1")


def decay_toy_data(seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """The chapter 02 toy set: 100 noisy moons (noise 0.3), few enough to overfit."""
    from course_utils.data import make_moons

    return make_moons(100, noise=0.3, seed=seed)


def decay_toy_val_data() -> tuple[torch.Tensor, torch.Tensor]:
    """The chapter 02 validation points: 1,000 fresh moons (noise 0.3, seed 2000), for
    choosing λ (the chapter's test points use another seed and are scored once)."""
    from course_utils.data import make_moons

    return make_moons(1000, noise=0.3, seed=2000)


def decay_toy_model(
    lam: float,
    penalty: str = "l2",
    *,
    data: tuple[torch.Tensor, torch.Tensor] | None = None,
    hidden: tuple[int, ...] = (64, 64),
    steps: int = 1000,
    lr: float = 0.5,
    seed: int = 0,
) -> torch.nn.Module:
    """Train a 2-D classifier with weight decay or an L1 penalty (the chapter 02
    explorer's compute; about a second).

    Full-batch plain SGD (learning rate ``lr``) on ``data`` (default
    :func:`decay_toy_data`) for ``steps`` steps, He-initialized ``2-hidden-2`` ReLU
    network, weights drawn from ``seed``: the setting of the chapter's decision-boundary
    experiment. The penalty acts on the weights only (biases are exempt,
    :func:`course_utils.regularization.decay_parameter_groups`).

    Args:
        lam: the coefficient λ >= 0 of the penalty.
        penalty: ``"none"``, ``"l2"`` (weight decay: ``torch.optim.SGD(weight_decay=λ)``,
            which for SGD is the penalty λ·½Σw²) or ``"l1"`` (λ·Σ|w| by proximal
            soft-threshold steps, :class:`course_utils.regularization.ProximalSGD`).
        data: ``(x, y)`` training points.
        hidden: hidden-layer widths.
        steps: full-batch SGD steps.
        lr: the SGD learning rate, > 0.
        seed: the seed of the initial weights.

    Returns:
        The trained model (in training mode; it has no dropout or normalization).

    Raises:
        ValueError: ``lam < 0``, unknown ``penalty``, ``steps < 1`` or ``lr <= 0``.
    """
    from course_utils.regularization import ProximalSGD, decay_parameter_groups

    if not lam >= 0:
        raise ValueError(f"lam must be non-negative, but got {lam}")
    if penalty not in DECAY_PENALTIES:
        raise ValueError(f"penalty must be one of {DECAY_PENALTIES}, but got {penalty!r}")
    if steps < 1:
        raise ValueError(f"steps must be at least 1, but got {steps}")
    if not lr > 0:
        raise ValueError(f"lr must be positive, but got {lr}")
    x, y = data if data is not None else decay_toy_data()
    model = mlp([2, *hidden, 2], init="he_normal", generator=torch.Generator().manual_seed(seed))
    strength = lam if penalty != "none" else 0.0
    if penalty == "l1":
        groups = decay_parameter_groups(model, strength, option="l1")
        make = lambda _params: ProximalSGD(groups, lr=lr)  # noqa: E731
    else:
        make = lambda _params: torch.optim.SGD(decay_parameter_groups(model, strength), lr=lr)  # noqa: E731
    fit(model, (x, y), epochs=steps, batch_size=len(x), lr=lr, optimizer=make, seed=seed,
        progress=False, eval_every=0, eval_train=False)
    return model


class DecayExplorer(Explorer):
    """λ (log slider) and penalty type -> the toy set's decision boundary, trained live,
    titled with the training and validation accuracy (never the test points)."""

    def __init__(
        self,
        data: tuple[torch.Tensor, torch.Tensor] | None = None,
        *,
        val: tuple[torch.Tensor, torch.Tensor] | None = None,
        steps: int = 1000,
    ) -> None:
        from course_utils.plotting import plot_decision_boundaries
        from course_utils.regularization import max_abs_weight

        x, y = data if data is not None else decay_toy_data()
        x_val, y_val = val if val is not None else decay_toy_val_data()

        def draw(lam: float, penalty: str):
            model = decay_toy_model(lam, penalty, data=(x, y), steps=steps)
            with torch.no_grad():
                train_acc = (model(x).argmax(1) == y).float().mean().item()
                val_acc = (model(x_val).argmax(1) == y_val).float().mean().item()
            title = (f"{penalty}, λ = {lam:.2g}: train {train_acc:.0%}, "
                     f"validation {val_acc:.1%}, max |w| = {max_abs_weight(model):.2f}")
            return plot_decision_boundaries({title: lambda g: model(g).softmax(1)}, x, y)

        controls = {
            "lam": widgets.FloatLogSlider(value=1e-2, base=10, min=-4, max=-1, step=0.25,
                                          description="λ", continuous_update=False),
            "penalty": widgets.Dropdown(options=[("L2 (weight decay)", "l2"),
                                                 ("L1 (proximal)", "l1"), ("none", "none")],
                                        value="l2", description="penalty"),
        }
        super().__init__(controls, draw)


# ---------------------------------------------------------------------------------------
# Chapter 03: ensembles and boosting
# ---------------------------------------------------------------------------------------

ENSEMBLE_EXPLORER_METHODS = ("AdaBoost (SAMME)", "bagging")


def ensemble_explorer_data(
    method: str, n_estimators: int, max_depth: int, *, n_train: int = 200, noise: float = 0.3,
    seed: int = 0,
) -> dict[str, Any]:
    """The chapter 03 explorer's compute: an ensemble of decision trees on the moons.

    Fits ``AdaBoostClassifier`` or ``BaggingClassifier`` from
    :mod:`course_utils.ensembles` with ``n_estimators`` trees of depth ``max_depth`` (the
    base learner's capacity) on ``n_train`` noisy moons, and scores it after every added
    member on 1,000 validation points from the same distribution (``seed + 2``: with the
    default seed, the chapter's validation moons), so that a number of members read off
    the curve is chosen on validation data; no test points are drawn.

    Returns:
        ``{"model", "method", "n_estimators", "max_depth", "x_train", "y_train",
        "train_acc", "val_acc", "train_curve", "val_curve"}``; the same arguments give
        the same result.

    Raises:
        ValueError: unknown method, ``n_estimators`` outside [1, 500] or ``max_depth``
            outside [1, 20].
    """
    from sklearn.tree import DecisionTreeClassifier

    from course_utils.data import make_moons
    from course_utils.ensembles import AdaBoostClassifier, BaggingClassifier, staged_accuracy

    if method not in ENSEMBLE_EXPLORER_METHODS:
        raise ValueError(f"method must be one of {ENSEMBLE_EXPLORER_METHODS}, but got {method!r}")
    if not 1 <= n_estimators <= 500:
        raise ValueError(f"n_estimators must be in [1, 500], but got {n_estimators}")
    if not 1 <= max_depth <= 20:
        raise ValueError(f"max_depth must be in [1, 20], but got {max_depth}")
    x_train, y_train = make_moons(n_train, noise=noise, seed=seed)
    x_val, y_val = make_moons(1000, noise=noise, seed=seed + 2)
    tree = DecisionTreeClassifier(max_depth=max_depth)
    if method == "bagging":
        model = BaggingClassifier(tree, n_estimators, random_state=seed)
    else:
        model = AdaBoostClassifier(tree, n_estimators=n_estimators, random_state=seed)
    model.fit(x_train.numpy(), y_train.numpy())
    curves = [staged_accuracy(model, x, y) for x, y in ((x_train, y_train), (x_val, y_val))]
    return {"model": model, "method": method, "n_estimators": n_estimators,
            "max_depth": max_depth, "x_train": x_train, "y_train": y_train,
            "train_acc": curves[0][-1], "val_acc": curves[1][-1],
            "train_curve": curves[0], "val_curve": curves[1]}


class EnsembleExplorer(Explorer):
    """Method x number of members x tree depth -> decision boundary and accuracy curves.

    The held-out curve is scored on the chapter's 1,000 *validation* moons (see
    :func:`ensemble_explorer_data`); the test points are never drawn.
    """

    def __init__(self) -> None:
        from course_utils.plotting import plot_ensemble_explorer

        def draw(method: str, n_estimators: int, max_depth: int):
            return plot_ensemble_explorer(ensemble_explorer_data(method, n_estimators, max_depth))

        controls = {
            "method": widgets.Dropdown(options=list(ENSEMBLE_EXPLORER_METHODS),
                                       value=ENSEMBLE_EXPLORER_METHODS[0], description="method"),
            "n_estimators": widgets.IntSlider(value=20, min=1, max=200, description="members",
                                              continuous_update=False),
            "max_depth": widgets.IntSlider(value=1, min=1, max=10, description="tree depth",
                                           continuous_update=False),
        }
        super().__init__(controls, draw)


# ---------------------------------------------------------------------------------------
# Chapter 04: dropout
# ---------------------------------------------------------------------------------------


def dropout_explorer_data(
    p: float, *, n_train: int = 300, weight_decay: float = 0.0, epochs: int = 40, seed: int = 0
) -> dict[str, Any]:
    """The chapter 04 explorer's compute: four masks on a digit and a quick training run.

    Trains ``784-100-100-10`` (ReLU, He init, :class:`course_utils.dropout.Dropout` with
    drop probability ``p`` after each hidden layer) on the first ``n_train`` images of the
    course's training split (:func:`course_utils.data.load_splits`) with SGD + momentum 0.9
    (lr 0.05, batch 50, ``weight_decay``) for ``epochs`` epochs, a faster recipe than the
    chapter's plain SGD; about a second for 300 images. It reports the accuracy on the
    course's validation split: an explorer must not invite tuning on the test images.

    Returns:
        ``{"p", "weight_decay", "digit" (784,), "digit_masks" (4, 784) bool keep masks,
        "train_acc", "val_acc", "history"}``; the same ``seed`` gives the same result.

    Raises:
        ValueError: ``p`` outside [0, 1), ``n_train`` outside [10, 7000] or a negative
            ``weight_decay``.
    """
    from course_utils.dropout import Dropout, dropout_mask

    if not 0.0 <= p < 1.0:
        raise ValueError(f"p must be in [0, 1) for a trainable network, but got {p}")
    if not 10 <= n_train <= 7000:
        raise ValueError(f"n_train must be in [10, 7000], but got {n_train}")
    if weight_decay < 0:
        raise ValueError(f"weight_decay must be non-negative, but got {weight_decay}")
    (x_train, y_train), val, _ = load_splits()
    generator = torch.Generator().manual_seed(seed)
    digit_masks = dropout_mask(val[0][:4], p, generator=generator)
    model = mlp([784, 100, 100, 10], dropout=p, dropout_layer=Dropout, init="he_normal",
                generator=generator)
    # The training masks come from torch's global generator: seed it inside a fork, so the
    # caller's global random state is the same afterwards.
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        history = fit(model, (x_train[:n_train], y_train[:n_train]), val=val,
                      epochs=epochs, batch_size=50, lr=0.05, optimizer="momentum",
                      weight_decay=weight_decay, seed=seed, progress=False, eval_every=0)
    final = history.final()
    return {"p": p, "weight_decay": weight_decay, "digit": val[0][0], "digit_masks": digit_masks,
            "train_acc": final["train_acc"], "val_acc": final["val_acc"], "history": history}


class DropoutExplorer(Explorer):
    """Sliders for the drop probability p, the number of training images and the weight
    decay -> masks on a digit and the train/validation accuracy of a quick run."""

    def __init__(self) -> None:
        from course_utils.plotting import plot_dropout_explorer

        def draw(p: float, n_train: int, weight_decay: float):
            result = dropout_explorer_data(round(p, 2), n_train=n_train, weight_decay=weight_decay)
            return plot_dropout_explorer(result)

        controls = {
            "p": widgets.FloatSlider(value=0.2, min=0.0, max=0.9, step=0.1, description="p",
                                     continuous_update=False),
            "n_train": widgets.IntSlider(value=300, min=100, max=3000, step=100,
                                         description="images", continuous_update=False),
            "weight_decay": widgets.Dropdown(options=[0.0, 1e-4, 1e-3, 1e-2], value=0.0,
                                             description="weight decay"),
        }
        super().__init__(controls, draw)


# ---------------------------------------------------------------------------------------
# Chapter 05: batch normalization
# ---------------------------------------------------------------------------------------


def batchnorm_explorer_runs(
    weight_std: float, lr: float, *, n_train: int = 500, epochs: int = 10, seed: int = 0
) -> dict[str, History]:
    """The chapter 05 explorer's compute: the same network with and without batch norm.

    Trains ``784-50x4-10`` ReLU nets whose weights start from N(0, ``weight_std``^2), one
    with :class:`course_utils.normalization.BatchNorm1d` before each activation (and, as
    the chapter recommends, no bias in the linear layers that feed a BN layer), on the
    first ``n_train`` images of the course's training split with plain SGD (batch 50,
    learning rate ``lr``), and records train and **validation** accuracy (the first 500
    images of :func:`course_utils.data.load_splits`' validation split) every 2 epochs.
    Moving sliders while watching a score is tuning, so the explorer never touches the
    test split.

    Args:
        weight_std: standard deviation of every initial weight, positive.
        lr: SGD's learning rate, positive.
        n_train: number of training images, in [50, 7000].
        epochs: passes over the training images, at least 1.
        seed: initial weights and batch order (the same for both networks).

    Returns:
        ``{"with BN": History, "without BN": History}`` (the histories' ``val_*`` fields
        hold validation scores); the same arguments give the same histories.

    Raises:
        ValueError: a non-positive ``weight_std`` or ``lr``, ``n_train`` outside
            [50, 7000], or ``epochs < 1``.
    """
    from course_utils.normalization import BatchNorm1d

    if not (weight_std > 0 and lr > 0):
        raise ValueError(f"weight_std and lr must be positive, but got {weight_std}, {lr}")
    if not 50 <= n_train <= 7000:
        raise ValueError(f"n_train must be in [50, 7000], but got {n_train}")
    if epochs < 1:
        raise ValueError(f"epochs must be at least 1, but got {epochs}")
    (x_train, y_train), (x_val, y_val), _ = load_splits()
    train, val = (x_train[:n_train], y_train[:n_train]), (x_val[:500], y_val[:500])
    runs = {}
    for name, norm in (("with BN", BatchNorm1d), ("without BN", None)):
        model = mlp([784, 50, 50, 50, 50, 10], norm=norm, init=weight_std,
                    bias="except_before_batch_norm", generator=torch.Generator().manual_seed(seed))
        runs[name] = fit(model, train, val=val, epochs=epochs, batch_size=50, lr=lr,
                         seed=seed, progress=False, eval_every=2)
    return runs


class BatchNormExplorer(Explorer):
    """Sliders for the initial weight scale and the learning rate -> train/validation
    accuracy curves of the same network with and without batch normalization."""

    def __init__(self) -> None:
        from course_utils.plotting import plot_train_test_curves

        def draw(weight_std: float, lr: float):
            runs = batchnorm_explorer_runs(weight_std, lr)
            # a diverged run (infinite or NaN loss) has no accuracy: say so, not a low score
            finals = ", ".join(
                f"{name}: diverged (loss inf or NaN)" if h.val_loss and not math.isfinite(h.val_loss[-1])
                else f"{name}: validation {h.final()['val_acc']:.1%}"
                for name, h in runs.items())
            return plot_train_test_curves(runs, held_out="validation",
                                          title=f"std {weight_std:.0e}, lr {lr:g} - {finals}")

        controls = {
            "weight_std": widgets.FloatLogSlider(value=0.01, base=10, min=-4, max=0, step=0.5,
                                                 description="weight std",
                                                 continuous_update=False),
            "lr": widgets.FloatLogSlider(value=0.1, base=10, min=-3, max=1, step=0.5,
                                         description="learning rate", continuous_update=False),
        }
        super().__init__(controls, draw)


# ---------------------------------------------------------------------------------------
# Chapter 06: hyperparameter search
# ---------------------------------------------------------------------------------------


def coverage_score(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """The explorer's illustrative response on the unit square: a narrow peak along the
    important axis ``x`` (at 0.7) and a slope of 0.02 along the unimportant axis ``y``."""
    return 0.5 + 0.45 * torch.exp(-(((x - 0.7) / 0.07) ** 2)) + 0.02 * (y - 0.5)


def search_coverage(budget: int, *, seed: int = 0) -> dict[str, Any]:
    """Grid and random search with the same budget on :func:`coverage_score`.

    ``budget`` is a square number ``n * n``: the grid puts ``n`` values per axis at the
    cell centres, random search draws ``budget`` points uniformly, so both get exactly
    ``budget`` trials (searches are compared at equal budgets).

    Returns:
        ``grid`` and ``random``: ``(trials, 2)`` points; ``*_distinct``: how many different
        values of the important axis each tried; ``*_best``: the best score each found;
        ``curve_x`` / ``curve_score``: the response along x (at y = 0.5).

    Raises:
        ValueError: ``budget`` below 1 or not a square number.
    """
    n = math.isqrt(budget) if budget >= 1 else 0
    if budget < 1 or n * n != budget:
        raise ValueError(f"budget must be a square number of at least 1 (1, 4, 9, ...), "
                         f"but got {budget}")
    centres = (torch.arange(n, dtype=torch.float64) + 0.5) / n
    grid = torch.cartesian_prod(centres, centres).reshape(-1, 2)
    random = torch.rand(budget, 2, generator=torch.Generator().manual_seed(seed),
                        dtype=torch.float64)
    curve_x = torch.linspace(0, 1, 401, dtype=torch.float64)
    result: dict[str, Any] = {"grid": grid, "random": random, "curve_x": curve_x,
                              "curve_score": coverage_score(curve_x, torch.full_like(curve_x, 0.5))}
    for name, points in (("grid", grid), ("random", random)):
        result[f"{name}_distinct"] = len(torch.unique(points[:, 0]))
        result[f"{name}_best"] = coverage_score(points[:, 0], points[:, 1]).max().item()
    return result


class SearchCoverageExplorer(Explorer):
    """Sliders for the budget and the seed -> where grid and random search put their trials.

    The budget slider offers square numbers (1, 4, ..., 64), so that the grid's
    ``sqrt(budget)`` values per axis use the whole budget and both searches get equally
    many trials.
    """

    def __init__(self) -> None:
        from course_utils.plotting import plot_search_coverage

        def draw(budget: int, seed: int):
            return plot_search_coverage(search_coverage(budget, seed=seed))

        # square budgets only: a grid of n x n trials and random search then get the same
        # number of trials (the chapter compares searches at equal budgets)
        controls = {
            "budget": widgets.SelectionSlider(options=[n * n for n in range(1, 9)], value=9,
                                              description="trials", continuous_update=False),
            "seed": widgets.IntSlider(value=0, min=0, max=20, description="seed",
                                      continuous_update=False),
        }
        super().__init__(controls, draw)
