"""The interactive explorers: a pure compute function plus a thin ipywidgets class.

The compute functions take plain arguments and return data (tensors, dicts, histories),
so they are unit-tested without a browser; each explorer class only wires sliders to a
compute function and a plotting function. Constructing an explorer does not display it:
call ``.show()`` (or let the notebook display ``.widget``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ipywidgets as widgets
import torch
from IPython.display import display

from course_utils.data import load_mnist
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
    """Train ``784-(hidden_width x n_hidden)-10`` on the first ``n_train`` MNIST images.

    The compute behind the chapter 00 explorer: returns the history with train and test
    accuracy every 5 epochs (SGD with momentum, lr 0.05, batch 50).

    Raises:
        ValueError: non-positive sizes or ``n_train`` outside [10, 8000].
    """
    if hidden_width < 1 or n_hidden < 0:
        raise ValueError(
            f"hidden_width must be >= 1 and n_hidden >= 0, but got {hidden_width}, {n_hidden}"
        )
    if not 10 <= n_train <= 8000:
        raise ValueError(f"n_train must be in [10, 8000], but got {n_train}")
    (x_train, y_train), test = load_mnist()
    generator = torch.Generator().manual_seed(seed)
    model = mlp([784] + [hidden_width] * n_hidden + [10], init="he_normal", generator=generator)
    return fit(model, (x_train[:n_train], y_train[:n_train]), val=test, epochs=epochs,
               batch_size=50, lr=0.05, optimizer="momentum", seed=seed, progress=False,
               eval_every=5)


class CapacityExplorer(Explorer):
    """Sliders for model size and training-set size -> train/test accuracy curves."""

    def __init__(self) -> None:
        from course_utils.plotting import plot_histories

        def draw(hidden_width: int, n_hidden: int, n_train: int):
            history = capacity_run(hidden_width, n_hidden, n_train)
            final = history.final()
            title = (f"{n_hidden} x {hidden_width} hidden units, {n_train} images: "
                     f"train {final['train_acc']:.1%}, test {final['val_acc']:.1%}")
            return plot_histories({"model": history}, title=title)

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


# ---------------------------------------------------------------------------------------
# Chapter 02: weight decay
# ---------------------------------------------------------------------------------------

DECAY_PENALTIES = ("none", "l2", "l1")


def decay_toy_data(seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """The chapter 02 toy set: 100 noisy moons (noise 0.3), few enough to overfit."""
    from course_utils.data import make_moons

    return make_moons(100, noise=0.3, seed=seed)


def decay_toy_model(
    lam: float,
    penalty: str = "l2",
    *,
    data: tuple[torch.Tensor, torch.Tensor] | None = None,
    hidden: tuple[int, ...] = (64, 64),
    steps: int = 400,
    seed: int = 0,
) -> torch.nn.Module:
    """Train a 2-D classifier with ``lam * penalty`` added to its loss (the chapter 02
    explorer's compute; runs in well under a second).

    Full-batch Adam (lr 0.01) on ``data`` (default :func:`decay_toy_data`) for ``steps``
    steps, He-initialized ``2-hidden-2`` ReLU network, weights drawn from ``seed``.

    Args:
        lam: the coefficient λ >= 0 of the penalty.
        penalty: ``"none"``, ``"l2"`` (λ·½Σw², see
            :func:`course_utils.regularization.l2_penalty`) or ``"l1"`` (λ·Σ|w|); biases are
            not penalized.

    Returns:
        The trained model (in training mode; it has no dropout or normalization).

    Raises:
        ValueError: ``lam < 0``, unknown ``penalty`` or ``steps < 1``.
    """
    from course_utils.regularization import l1_penalty, l2_penalty

    if not lam >= 0:
        raise ValueError(f"lam must be non-negative, but got {lam}")
    if penalty not in DECAY_PENALTIES:
        raise ValueError(f"penalty must be one of {DECAY_PENALTIES}, but got {penalty!r}")
    if steps < 1:
        raise ValueError(f"steps must be at least 1, but got {steps}")
    x, y = data if data is not None else decay_toy_data()
    generator = torch.Generator().manual_seed(seed)
    model = mlp([2, *hidden, 2], init="he_normal", generator=generator)
    term = {"l2": l2_penalty, "l1": l1_penalty}.get(penalty)
    add = (lambda m: lam * term(m)) if term is not None and lam > 0 else None
    fit(model, (x, y), epochs=steps, batch_size=len(x), lr=0.01, optimizer="adam", seed=seed,
        progress=False, penalty=add, eval_every=0, eval_train=False)
    return model


class DecayExplorer(Explorer):
    """λ (log slider) and penalty type -> the toy set's decision boundary, trained live."""

    def __init__(self, data: tuple[torch.Tensor, torch.Tensor] | None = None) -> None:
        from course_utils.plotting import plot_decision_boundaries
        from course_utils.regularization import max_abs_weight

        x, y = data if data is not None else decay_toy_data()

        def draw(lam: float, penalty: str):
            model = decay_toy_model(lam, penalty, data=(x, y))
            with torch.no_grad():
                train_acc = (model(x).argmax(1) == y).float().mean().item()
            title = (f"{penalty}, λ = {lam:.2g}: train {train_acc:.0%}, "
                     f"max |w| = {max_abs_weight(model):.2f}")
            return plot_decision_boundaries({title: lambda g: model(g).softmax(1)}, x, y)

        controls = {
            "lam": widgets.FloatLogSlider(value=1e-2, base=10, min=-4, max=0, step=0.25,
                                          description="λ", continuous_update=False),
            "penalty": widgets.Dropdown(options=[("L2", "l2"), ("L1", "l1"), ("none", "none")],
                                        value="l2", description="penalty"),
        }
        super().__init__(controls, draw)


# ---------------------------------------------------------------------------------------
# Chapter 03: ensembles and boosting
# ---------------------------------------------------------------------------------------


# ---------------------------------------------------------------------------------------
# Chapter 04: dropout
# ---------------------------------------------------------------------------------------


# ---------------------------------------------------------------------------------------
# Chapter 05: batch normalization
# ---------------------------------------------------------------------------------------


# ---------------------------------------------------------------------------------------
# Chapter 06: hyperparameter search
# ---------------------------------------------------------------------------------------
