"""``StudyDirection`` (Optuna's ``optuna.study.StudyDirection``) and the parsing of
``direction="minimize" | "maximize"``; its own module so that pruners and studies share it."""

from __future__ import annotations

from enum import IntEnum
from typing import Literal

Direction = Literal["minimize", "maximize"]


class StudyDirection(IntEnum):
    """Whether the objective is minimized or maximized (Optuna's enum values)."""

    NOT_SET = 0
    MINIMIZE = 1
    MAXIMIZE = 2


def _direction(direction: Direction | StudyDirection | None) -> StudyDirection:
    if isinstance(direction, StudyDirection) and direction != StudyDirection.NOT_SET:
        return direction
    if direction in (None, "minimize"):
        return StudyDirection.MINIMIZE
    if direction == "maximize":
        return StudyDirection.MAXIMIZE
    raise ValueError(f"Please set either 'minimize' or 'maximize' to direction. You specified "
                     f"{direction}.")
