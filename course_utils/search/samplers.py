"""Samplers, as ``optuna.samplers``: how a trial's hyperparameters are drawn.

==========================  ==============================================================
Optuna                      here
==========================  ==============================================================
``BaseSampler``             :class:`BaseSampler` (``before_trial``, ``sample_independent``,
                            ``after_trial(study, trial, state, values)``, ``reseed_rng``)
``RandomSampler(seed)``     :class:`RandomSampler` (one generator per trial and parameter,
                            so a resumed search draws what an unbroken one would)
``GridSampler(grid, seed)`` :class:`GridSampler`
(the course's)              :func:`sample_log_uniform`: the same share of samples per decade
==========================  ==============================================================
"""

from __future__ import annotations

import math
import secrets
import warnings
import zlib
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch import Tensor

from course_utils.search.distributions import (
    CategoricalDistribution,
    Distribution,
    FloatDistribution,
    IntDistribution,
    ParamValue,
    _choice_equal,
)

if TYPE_CHECKING:
    from course_utils.search.study import Study
    from course_utils.search.trial import FrozenTrial, Trial, TrialState

__all__ = ["BaseSampler", "GridSampler", "RandomSampler", "sample_log_uniform"]


def sample_log_uniform(
    low: float,
    high: float,
    size: int | Sequence[int] = (),
    *,
    generator: torch.Generator | None = None,
) -> Tensor:
    r"""Draw ``x = exp(u)`` with ``u ~ U(ln low, ln high)``: uniform in the exponent.

    The density is :math:`p(x) = 1 / (x \ln(high / low))`, so every factor-of-ten interval
    (decade) inside ``[low, high]`` receives the same share of samples,
    :math:`\ln 10 / \ln(high / low)`. Uniform sampling over ``[1e-6, 1e-2]`` puts 90 % of
    its samples in the top decade; log-uniform puts 25 % in each. The uniform numbers are
    float64 (``torch.rand(size, generator=generator, dtype=torch.float64)``).

    Args:
        low, high: the range, ``0 < low <= high``.
        size: shape of the result.
        generator: source of randomness.

    Returns:
        A float64 tensor of samples in ``[low, high]``.

    Raises:
        ValueError: ``low <= 0`` or ``low > high`` (Optuna's wording).

    Examples:
        >>> x = sample_log_uniform(1e-6, 1e-2, 4000, generator=torch.Generator().manual_seed(0))
        >>> share = ((x >= 1e-3) & (x < 1e-2)).double().mean().item()  # one decade of four
        >>> abs(share - 0.25) < 0.03
        True
    """
    FloatDistribution(low, high, log=True)  # validates with Optuna's messages
    size = (size,) if isinstance(size, int) else tuple(size)
    u = torch.rand(size, generator=generator, dtype=torch.float64)
    log_low, log_high = math.log(low), math.log(high)
    return torch.exp(log_low + u * (log_high - log_low)).clamp(low, high)


class BaseSampler:
    """What a sampler does: pick a value for one hyperparameter of one trial.

    The hooks have Optuna's names and signatures; two of the objects they receive differ,
    because this package keeps trials in memory instead of behind a storage API:
    ``before_trial`` gets the running :class:`Trial` itself (Optuna: a RUNNING
    ``FrozenTrial``, which a sampler annotates through ``study._storage``), so a sampler
    notes what it chose in ``trial.system_attrs``; ``after_trial`` gets the trial already
    finished (Optuna: still RUNNING, its ``state`` and ``values`` given beside it, as here).
    A sampler that reads only ``trial.number``, ``trial.params`` and the ``state`` and
    ``values`` arguments behaves the same with both libraries.
    """

    def before_trial(self, study: Study, trial: Trial) -> None:
        """Called when a trial starts (the grid sampler picks its grid point here)."""

    def sample_independent(
        self, study: Study, trial: Trial, param_name: str, param_distribution: Distribution
    ) -> Any:
        """Return a value for ``param_name`` drawn from ``param_distribution``."""
        raise NotImplementedError

    def after_trial(
        self, study: Study, trial: FrozenTrial, state: TrialState, values: Sequence[float] | None
    ) -> None:
        """Called when a trial has finished with ``state`` and ``values`` (Optuna's signature)."""

    def reseed_rng(self) -> None:
        """Draw a new random seed (Optuna's method; a sampler without randomness ignores it)."""


def _trial_generator(seed: int, number: int, name: str) -> torch.Generator:
    """A generator that depends only on (seed, trial number, parameter name)."""
    sequence = np.random.SeedSequence([seed, number, zlib.crc32(name.encode())])
    return torch.Generator().manual_seed(int(sequence.generate_state(1, np.uint64)[0] >> 1))


class RandomSampler(BaseSampler):
    """Random search: every hyperparameter drawn independently from its distribution.

    Floats are uniform on ``[low, high)``, or log-uniform (:func:`sample_log_uniform`)
    with ``log=True``; integers and categories are uniform over their values. Each value
    is drawn from a generator seeded by ``(seed, trial number, parameter name)``, so trial
    ``n`` gets the same hyperparameters whether the search ran without a break or was
    killed and resumed, and whichever order the objective asks in. (Optuna's
    ``RandomSampler`` draws from one stream instead: its values agree with these in
    distribution, not one by one.)

    Args:
        seed: seed of the search; None draws one at random.
    """

    def __init__(self, seed: int | None = None):
        self.seed = secrets.randbits(63) if seed is None else int(seed)

    def __repr__(self) -> str:
        return f"RandomSampler(seed={self.seed})"

    def reseed_rng(self) -> None:
        """Replace the seed by a random one: later trials draw other values."""
        self.seed = secrets.randbits(63)

    def sample_independent(
        self, study: Study, trial: Trial, param_name: str, param_distribution: Distribution
    ) -> Any:
        generator = _trial_generator(self.seed, trial.number, param_name)
        return _draw(param_distribution, generator)


def _draw(distribution: Distribution, generator: torch.Generator) -> ParamValue:
    if isinstance(distribution, CategoricalDistribution):
        index = torch.randint(len(distribution.choices), (1,), generator=generator).item()
        return distribution.choices[index]
    low, high = distribution.low, distribution.high
    if isinstance(distribution, IntDistribution):
        if distribution.log:  # log-uniform over [low - 0.5, high + 0.5], then round (Optuna)
            value = sample_log_uniform(low - 0.5, high + 0.5, generator=generator).item()
            return min(max(round(value), low), high)
        n_values = (high - low) // distribution.step + 1
        return low + distribution.step * torch.randint(n_values, (1,), generator=generator).item()
    if distribution.log:
        return sample_log_uniform(low, high, generator=generator).item()
    u = torch.rand((), generator=generator, dtype=torch.float64).item()
    if distribution.step is None:
        return low + u * (high - low)
    n_values = int(math.floor((high - low) / distribution.step + 1e-9)) + 1
    value = low + distribution.step * min(int(u * n_values), n_values - 1)
    return min(value, high)  # low + k * step may round to just above high


class GridSampler(BaseSampler):
    """Grid search: every combination of the listed values, each once.

    Trial ``n`` gets grid point ``n`` of the product of the value lists (parameter names
    sorted), taken in an order shuffled by ``seed`` as Optuna's ``GridSampler`` does, so
    that a search stopped early still spreads out; a point already evaluated is replaced
    by the first one not evaluated yet. Each trial records its ``grid_id`` and the
    ``search_space`` in ``system_attrs`` (Optuna's keys), so that a study that changes
    grids counts each grid's points apart. The study stops by itself once every point
    has been evaluated.

    Args:
        search_space: parameter name -> list of values (None, bool, int, float or str;
            other types warn, as in Optuna).
        seed: seed of the shuffled order (None means 0).

    Raises:
        ValueError: an empty list of values.
    """

    def __init__(self, search_space: Mapping[str, Sequence[ParamValue]], seed: int | None = None):
        for name, values in search_space.items():
            if len(values) == 0:
                raise ValueError(f"search_space[{name!r}] must list at least one value, but got "
                                 f"{list(values)}")
            for value in values:
                self._check_value(name, value)
        self.search_space = {name: list(search_space[name]) for name in sorted(search_space)}
        self._search_space = self.search_space  # Optuna's attribute name
        points = _product(list(self.search_space.values()))
        order = torch.randperm(len(points), generator=torch.Generator().manual_seed(seed or 0))
        self.grid = [points[i] for i in order.tolist()]

    def __repr__(self) -> str:
        return f"GridSampler({self.search_space})"

    @staticmethod
    def _check_value(param_name: str, param_value: Any) -> None:
        if param_value is None or isinstance(param_value, (str, int, float, bool)):
            return
        warnings.warn(f"{param_name} contains a value with the type of {type(param_value)}, "
                      "which is not supported by `GridSampler`. Please make sure a value is "
                      "`str`, `int`, `float`, `bool` or `None` for persistent storage.",
                      UserWarning, stacklevel=3)

    def _same_search_space(self, search_space: Mapping[str, Sequence[ParamValue]]) -> bool:
        if search_space is self.search_space:
            return True
        if set(search_space) != set(self.search_space):
            return False
        return all(
            len(values) == len(self.search_space[name])
            and all(_choice_equal(a, b) for a, b in zip(values, self.search_space[name],
                                                        strict=True))
            for name, values in search_space.items())

    def _grid_ids(self, study: Study, finished_only: bool) -> set[int]:
        """The grid points of this search space that trials took (or finished)."""
        return {t.system_attrs["grid_id"] for t in study.get_trials(deepcopy=False)
                if "grid_id" in t.system_attrs and (t.state.is_finished() or not finished_only)
                and self._same_search_space(t.system_attrs.get("search_space", self.search_space))}

    def before_trial(self, study: Study, trial: Trial) -> None:
        visited = self._grid_ids(study, finished_only=False)
        grid_id = trial.number if trial.number < len(self.grid) else None
        if grid_id is None or grid_id in visited:
            unvisited = [i for i in range(len(self.grid)) if i not in visited]
            grid_id = unvisited[0] if unvisited else trial.number % len(self.grid)
        trial.system_attrs["search_space"] = self.search_space
        trial.system_attrs["grid_id"] = grid_id

    def sample_independent(
        self, study: Study, trial: Trial, param_name: str, param_distribution: Distribution
    ) -> Any:
        if param_name not in self.search_space:
            raise ValueError(f"The parameter name, {param_name}, is not found in the given grid.")
        point = self.grid[trial.system_attrs["grid_id"]]
        value = point[list(self.search_space).index(param_name)]
        if not param_distribution._contains(param_distribution.to_internal_repr(value)):
            warnings.warn(f"The value `{value}` is out of range of the parameter `{param_name}`. "
                          f"The value will be used but the actual distribution is: "
                          f"`{param_distribution}`.", UserWarning, stacklevel=2)
        return value

    def after_trial(
        self, study: Study, trial: FrozenTrial, state: TrialState, values: Sequence[float] | None
    ) -> None:
        """Stop the study once every grid point has been evaluated."""
        if study._optimizing and self.is_exhausted(study):  # ask / tell may go on
            study.stop()

    def is_exhausted(self, study: Study) -> bool:
        """Whether every grid point has been evaluated."""
        return self._grid_ids(study, finished_only=True) >= set(range(len(self.grid)))


def _product(value_lists: list[list[ParamValue]]) -> list[tuple[ParamValue, ...]]:
    points: list[tuple[ParamValue, ...]] = [()]
    for values in value_lists:
        points = [point + (value,) for point in points for value in values]
    return points
