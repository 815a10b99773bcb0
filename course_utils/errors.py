"""The errors the course raises where PyTorch raises ``RuntimeError`` for a bad argument.

The course reports a bad argument with a ``ValueError`` whose message names the argument
and the value it got. PyTorch reports several of the same mistakes with a
``RuntimeError`` (a running mean of the wrong size, an input whose trailing shape is not
a layer norm's ``normalized_shape``, a negative standard deviation for ``normal_``). For
those cases the course raises the classes below, which derive from both: code written for
PyTorch that catches ``RuntimeError`` keeps working on the course's drop-ins, and code
that catches ``ValueError`` does too.

Examples:
    >>> issubclass(ShapeError, ValueError) and issubclass(ShapeError, RuntimeError)
    True
    >>> try:
    ...     raise ShapeError("running_mean should contain 3 elements not 4")
    ... except RuntimeError as error:  # as written for torch
    ...     print(error)
    running_mean should contain 3 elements not 4
"""

from __future__ import annotations

__all__ = ["InvalidArgumentError", "ShapeError"]


class InvalidArgumentError(ValueError, RuntimeError):
    """A bad argument, raised where PyTorch raises ``RuntimeError`` for the same mistake.

    Both a ``ValueError`` (the course's convention for bad arguments) and a
    ``RuntimeError`` (what PyTorch raises): code written for PyTorch that catches
    ``RuntimeError`` keeps working, and code catching ``ValueError`` too.

    Examples:
        >>> from course_utils.init import normal_
        >>> import torch
        >>> try:
        ...     normal_(torch.empty(3), std=-1.0)
        ... except ValueError as error:
        ...     print(type(error).__name__, isinstance(error, RuntimeError))
        InvalidArgumentError True
    """


class ShapeError(InvalidArgumentError):
    """A tensor argument whose size or shape does not fit the others.

    Raised, for instance, for running statistics or affine parameters whose length is not
    the number of channels, or an input whose trailing shape is not a layer norm's
    ``normalized_shape``; the message names the argument and the size it got. Caught by
    ``except RuntimeError`` (as PyTorch raises it) and by ``except ValueError``.

    Examples:
        >>> from course_utils.normalization import batch_norm
        >>> import torch
        >>> try:
        ...     batch_norm(torch.randn(2, 3), torch.zeros(4), torch.ones(3))
        ... except RuntimeError as error:
        ...     print(type(error).__name__, error)
        ShapeError running_mean should contain 3 elements not 4
    """
