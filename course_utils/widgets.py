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
import matplotlib.pyplot as plt
from IPython.display import display


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
                plt.show()
        return self.last_result

    def _on_change(self, _change: dict) -> None:
        self.update()

    def show(self) -> None:
        """Display the explorer in the notebook."""
        display(self.widget)


# ---------------------------------------------------------------------------------------
# Chapter 01: initialization
# ---------------------------------------------------------------------------------------


# ---------------------------------------------------------------------------------------
# Chapter 02: weight decay
# ---------------------------------------------------------------------------------------


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
