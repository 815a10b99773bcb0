"""Chapter 05, batch normalization and layer normalization, written from the formulas.

Batch normalization (Ioffe & Szegedy, 2015) normalizes every feature (every channel of a
convolution) with the statistics of the current mini-batch, then lets the network undo
as much of that as it likes with a learned scale :math:`\\gamma` and shift :math:`\\beta`:

.. math::
    \\mu_B = \\frac1m \\sum_i x_i, \\quad
    \\sigma_B^2 = \\frac1m \\sum_i (x_i - \\mu_B)^2, \\quad
    \\hat x_i = \\frac{x_i - \\mu_B}{\\sqrt{\\sigma_B^2 + \\epsilon}}, \\quad
    y_i = \\gamma \\hat x_i + \\beta .

While training, the layer keeps running estimates of the mean and variance for inference:
``running = (1 - momentum) * running + momentum * batch_value`` (PyTorch's momentum weighs
the *new* batch; ``momentum=None`` keeps the plain cumulative average). The running
variance uses the unbiased batch variance :math:`\\frac{m}{m-1}\\sigma_B^2`, the
normalization the biased one. Layer normalization (Ba et al., 2016) computes the same
statistics over the features of each sample instead, so it does not depend on the batch
and behaves the same in training and evaluation.

What is here, in the order of the lesson:

- functional forms: :func:`batch_norm` and :func:`layer_norm` (argument for argument like
  ``torch.nn.functional``), :func:`batch_statistics`;
- the hand-derived backward pass: :func:`batch_norm_forward` returns the cache that
  :func:`batch_norm_backward` turns into :math:`(\\partial L/\\partial x,
  \\partial L/\\partial\\gamma, \\partial L/\\partial\\beta)`;
- drop-in modules :class:`BatchNorm1d`, :class:`BatchNorm2d`, :class:`LayerNorm` (same
  arguments, parameters, buffers, ``state_dict`` and repr as ``torch.nn``);
- tools for the chapter's experiments: :func:`update_bn` (recompute the running statistics
  in a calibration pass, like ``torch.optim.swa_utils.update_bn``),
  :func:`activation_input_stats` and :func:`track_activation_inputs` (the distribution
  each activation receives, over training),
  :class:`ShiftNoise` (the injected "covariate shift" of Santurkar et al., 2018) and
  :class:`NoisyBatchNorm1d` (BN followed by it, as one BN layer),
  :func:`batch_stat_noise` (how noisy batch statistics are at a batch size);
- measurements behind the chapter's explanations: :func:`unit_input_stats`,
  :func:`unit_drift` and :func:`track_unit_drift` (how far each layer's input
  distributions move, relative to their spread), :func:`scale_invariant_weights`,
  :func:`effective_step` and :func:`rotation_angle` (BN's scale invariance: the effective
  learning rate :math:`\\eta/\\lVert w\\rVert^2`), :func:`weight_gradient_std` (vanishing
  gradients per layer), :func:`loss_along_gradient` and :func:`probe_along_gradient` (how
  far a gradient step can go, in step size and in parameter distance).

``course_utils.batched.fit_batched`` trains many normalized MLPs at once.
"""

from __future__ import annotations

import copy
import math
import numbers
from collections.abc import Iterable, Sequence
from typing import Literal, NamedTuple

import torch
import torch.autograd.forward_ad as fwAD
from torch import Tensor, nn

from course_utils.errors import InvalidArgumentError, ShapeError
from course_utils.models import ACTIVATIONS
from course_utils.training import fit

__all__ = [
    "batch_statistics",
    "batch_norm",
    "layer_norm",
    "BatchNormCache",
    "batch_norm_forward",
    "batch_norm_backward",
    "BatchNorm1d",
    "BatchNorm2d",
    "LayerNorm",
    "is_batch_norm",
    "is_layer_norm",
    "update_bn",
    "activation_input_stats",
    "track_activation_inputs",
    "ShiftNoise",
    "NoisyBatchNorm1d",
    "batch_stat_noise",
    "unit_input_stats",
    "unit_drift",
    "track_unit_drift",
    "scale_invariant_weights",
    "effective_step",
    "rotation_angle",
    "weight_gradient_std",
    "loss_along_gradient",
    "probe_along_gradient",
]


# ---------------------------------------------------------------------------------------
# The functional core
# ---------------------------------------------------------------------------------------


_REDUCED_FLOATS = (torch.float16, torch.bfloat16)


def _upcast(t: Tensor | None) -> Tensor | None:
    """float16 / bfloat16 to float32 (what torch's CPU kernels accumulate in), else as is."""
    return t.float() if t is not None and t.dtype in _REDUCED_FLOATS else t


def _has_tangent(t: Tensor | None) -> bool:
    """True for a forward-mode dual tensor (inside ``torch.autograd.forward_ad.dual_level``)."""
    return t is not None and fwAD.unpack_dual(t).tangent is not None


def _channel_dims(x: Tensor) -> tuple[int, ...]:
    """Dimensions BN averages over: every one except the channel dimension 1."""
    return (0, *range(2, x.dim()))


def _per_channel(t: Tensor, x: Tensor) -> Tensor:
    """View a ``(C,)`` tensor so that it broadcasts against ``x`` of shape ``(N, C, *)``."""
    return t.view(1, -1, *([1] * (x.dim() - 2)))


def _verify_batch_size(x: Tensor) -> None:
    # torch.nn.functional's check and wording: one value per channel has no variance
    values_per_channel = x.shape[0] * math.prod(x.shape[2:])
    if values_per_channel == 1:
        raise ValueError(
            f"Expected more than 1 value per channel when training, got input size {x.size()}"
        )


def _check_eps(eps: float, training: bool) -> None:
    if training and eps <= 0.0:
        raise ValueError(f"batch_norm eps must be positive during training, but got {eps}")
    if eps < 0.0:
        raise ValueError(f"batch_norm eps must be non-negative, but got {eps}")


def _check_channels(x: Tensor, named: dict[str, Tensor | None]) -> None:
    channels = x.shape[1] if x.dim() > 1 else 0
    for name, tensor in named.items():
        if tensor is not None and tensor.numel() != channels:
            # torch's wording, e.g. "running_mean should contain 3 elements not 4": the
            # input has 3 channels, the layer was built for 4
            raise ShapeError(f"{name} should contain {channels} elements not {tensor.numel()}")


def batch_statistics(x: Tensor) -> tuple[Tensor, Tensor]:
    """Per-channel mean and *biased* variance of a batch, the statistics BN normalizes with.

    .. math:: \\mu_c = \\frac1m \\sum_{i} x_{i,c}, \\qquad
              \\sigma_c^2 = \\frac1m \\sum_{i} (x_{i,c} - \\mu_c)^2

    where :math:`i` runs over the batch and, for ``(N, C, H, W)`` inputs, over every pixel,
    so :math:`m = N` (or :math:`N H W`).

    Args:
        x: ``(N, C)`` or ``(N, C, *)`` input.

    Returns:
        ``(mean, var)``, each of shape ``(C,)``.

    Examples:
        >>> mean, var = batch_statistics(torch.tensor([[4.0], [5.0], [6.0]]))
        >>> mean.item(), round(var.item(), 4)
        (5.0, 0.6667)
    """
    dims = _channel_dims(x)
    mean = x.mean(dim=dims)
    var = (x - _per_channel(mean, x)).square().mean(dim=dims)
    return mean, var


@torch.no_grad()
def _update_running_stats(
    running_mean: Tensor, running_var: Tensor, mean: Tensor, var: Tensor, count: int,
    momentum: float,
) -> None:
    """``running <- (1 - momentum) * running + momentum * batch``, with the unbiased var.

    An empty batch (``count == 0``) has no statistics and leaves the estimates unchanged.
    """
    if count == 0:
        return
    unbiased_var = var * (count / (count - 1))
    running_mean.mul_(1.0 - momentum).add_(mean.detach(), alpha=momentum)
    running_var.mul_(1.0 - momentum).add_(unbiased_var.detach(), alpha=momentum)


def _normalize(
    x: Tensor, mean: Tensor, var: Tensor, weight: Tensor | None, bias: Tensor | None, eps: float
) -> Tensor:
    x_hat = (x - _per_channel(mean, x)) * _per_channel(torch.rsqrt(var + eps), x)
    if weight is not None:
        x_hat = x_hat * _per_channel(weight, x)
    if bias is not None:
        x_hat = x_hat + _per_channel(bias, x)
    return x_hat


def batch_norm(
    input: Tensor,  # noqa: A002 (torch's argument name)
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Batch normalization, argument for argument like ``torch.nn.functional.batch_norm``.

    In training (``training=True``) the input is normalized with its own per-channel
    statistics (:func:`batch_statistics`, biased variance) and, if ``running_mean`` and
    ``running_var`` are given, they are updated in place:

    .. math::
        \\hat\\mu \\leftarrow (1 - \\text{momentum})\\,\\hat\\mu + \\text{momentum}\\,\\mu_B,
        \\qquad
        \\hat\\sigma^2 \\leftarrow (1 - \\text{momentum})\\,\\hat\\sigma^2
            + \\text{momentum}\\,\\tfrac{m}{m-1}\\sigma_B^2 .

    In evaluation the running estimates are used instead, so the output of a sample does
    not depend on the rest of the batch. Then :math:`y = \\gamma\\hat x + \\beta`.

    As in torch's CPU kernel, a float16 or bfloat16 input is normalized in float32 and the
    result returned in the input's dtype (also with float32 parameters and statistics); an
    empty batch (``N = 0``) returns an empty output and leaves the running estimates as
    they are.

    Args:
        input: ``(N, C)`` or ``(N, C, *)``.
        running_mean, running_var: ``(C,)`` running estimates, or None.
        weight, bias: ``(C,)`` scale :math:`\\gamma` and shift :math:`\\beta`, or None.
        training: use (and track) the batch's statistics.
        momentum: weight of the *new* batch in the running average (PyTorch's convention).
        eps: added to the variance before the square root.

    Returns:
        A tensor shaped like ``input``.

    Raises:
        ValueError: a batch with one value per channel in training, a non-positive ``eps``
            in training (negative in evaluation) (torch's messages).
        course_utils.errors.ShapeError: statistics or affine parameters whose size is not
            the number of channels (torch's message, which names the parameter; a
            ``ValueError`` and a ``RuntimeError``, as torch raises).
        course_utils.errors.InvalidArgumentError: missing running statistics in evaluation
            (torch's message; a ``ValueError`` and a ``RuntimeError``).
        RuntimeError: in evaluation, forward-mode (dual) tangents on ``running_mean`` or
            ``running_var`` together with a tangent on ``input``, ``weight`` or ``bias``
            (torch's message: batch norm is not differentiable with respect to the running
            statistics).

    Note:
        ``momentum=0.1`` here means "10 % new batch, 90 % old estimate"; texts that write
        :math:`\\hat\\mu \\leftarrow m\\hat\\mu + (1-m)\\mu_B` with :math:`m = 0.9` describe
        the same update with the other weight.
    """
    if training:
        _verify_batch_size(input)
    _check_eps(eps, training)
    _check_channels(input, {"running_mean": running_mean, "running_var": running_var,
                            "weight": weight, "bias": bias})
    if not training:
        for name, tensor in (("running_mean", running_mean), ("running_var", running_var)):
            if tensor is None:
                raise InvalidArgumentError(f"{name} must be defined in evaluation mode")
        running_mean, running_var = _running_stats_for_eval(
            running_mean, running_var, (input, weight, bias))
    x, weight, bias = _upcast(input), _upcast(weight), _upcast(bias)
    if training:
        mean, var = batch_statistics(x)
        if running_mean is not None and running_var is not None:
            count = x.numel() // x.shape[1] if x.shape[1] else 0
            _update_running_stats(running_mean, running_var, mean, var, count, momentum)
    else:
        mean, var = _upcast(running_mean), _upcast(running_var)
    out = _normalize(x, mean, var, weight, bias, eps)
    return out.to(input.dtype) if input.dtype in _REDUCED_FLOATS else out


def _running_stats_for_eval(
    running_mean: Tensor, running_var: Tensor, differentiable: tuple[Tensor | None, ...]
) -> tuple[Tensor, Tensor]:
    """The running statistics without their forward-mode tangents, as torch uses them.

    Batch norm is not differentiable with respect to its running statistics: torch ignores
    their tangents, and refuses them when a tangent flows in through the input or the
    affine parameters.
    """
    if not (_has_tangent(running_mean) or _has_tangent(running_var)):
        return running_mean, running_var
    if any(_has_tangent(t) for t in differentiable):
        raise RuntimeError(
            "batch_norm is not differentiable wrt running_mean and running_var, they cannot "
            "have forward grad defined"
        )
    return fwAD.unpack_dual(running_mean).primal, fwAD.unpack_dual(running_var).primal


def _normalized_dims(
    x: Tensor, normalized_shape: tuple[int, ...], affine: dict[str, Tensor | None]
) -> tuple[int, ...]:
    """The trailing dimensions to normalize over, after torch's checks (and wording)."""
    k = len(normalized_shape)
    if k == 0:
        raise ShapeError(
            "Expected normalized_shape to be at least 1-dimensional, i.e., containing at least "
            f"one element, but got normalized_shape = {list(normalized_shape)}"
        )
    for name, tensor in affine.items():
        if tensor is not None and tuple(tensor.shape) != normalized_shape:
            raise ShapeError(
                f"Expected {name} to be of same shape as normalized_shape, but got {name} of "
                f"shape {list(tensor.shape)} and normalized_shape = {list(normalized_shape)}"
            )
    if x.dim() < k or tuple(x.shape[-k:]) != normalized_shape:
        raise ShapeError(
            f"Given normalized_shape={list(normalized_shape)}, expected input with shape "
            f"[*, {', '.join(map(str, normalized_shape))}], but got input of size"
            f"{list(x.shape)}"
        )
    return tuple(range(x.dim() - k, x.dim()))


def layer_norm(
    input: Tensor,  # noqa: A002 (torch's argument name)
    normalized_shape: Sequence[int],
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Layer normalization, argument for argument like ``torch.nn.functional.layer_norm``.

    Each sample is normalized over its last ``len(normalized_shape)`` dimensions:

    .. math::
        \\mu = \\frac1H \\sum_{j} x_j, \\quad \\sigma^2 = \\frac1H \\sum_j (x_j - \\mu)^2,
        \\quad y_j = \\gamma_j \\frac{x_j - \\mu}{\\sqrt{\\sigma^2 + \\epsilon}} + \\beta_j

    (Ba et al., 2016). No batch statistics, no running estimates: the same computation in
    training and evaluation, and a batch of one is fine. As in torch's CPU kernel, a
    float16 or bfloat16 input is normalized in float32 and the result returned in the
    input's dtype (also with float32 ``weight`` and ``bias``).

    Args:
        input: ``(*, *normalized_shape)``.
        normalized_shape: the trailing shape to normalize over.
        weight, bias: element-wise :math:`\\gamma`, :math:`\\beta` of shape
            ``normalized_shape``, or None.
        eps: added to the variance.

    Returns:
        A tensor shaped like ``input``.

    Raises:
        ValueError: ``eps`` is negative.
        course_utils.errors.ShapeError: an empty ``normalized_shape``, a ``weight`` or
            ``bias`` not of shape ``normalized_shape``, or an input whose trailing shape is
            not ``normalized_shape`` (torch's messages; a ``ValueError`` and a
            ``RuntimeError``, as torch raises).

    Examples:
        >>> x = torch.tensor([[1.0, 2.0, 3.0]])
        >>> [round(v, 3) for v in layer_norm(x, (3,)).flatten().tolist()]
        [-1.225, 0.0, 1.225]
        >>> y = layer_norm(x.to(torch.bfloat16), (3,))  # float32 inside, rounded once
        >>> y.dtype, torch.equal(y, layer_norm(x, (3,)).to(torch.bfloat16))
        (torch.bfloat16, True)
    """
    if eps < 0:
        raise ValueError(f"layer_norm eps must be non-negative, but got {eps}")
    dims = _normalized_dims(input, tuple(normalized_shape), {"weight": weight, "bias": bias})
    x, weight, bias = _upcast(input), _upcast(weight), _upcast(bias)
    mean = x.mean(dim=dims, keepdim=True)
    var = (x - mean).square().mean(dim=dims, keepdim=True)
    out = (x - mean) * torch.rsqrt(var + eps)
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out.to(input.dtype) if input.dtype in _REDUCED_FLOATS else out


# ---------------------------------------------------------------------------------------
# The backward pass, derived by hand
# ---------------------------------------------------------------------------------------


class BatchNormCache(NamedTuple):
    """What the backward pass needs from the forward pass (training mode)."""

    x_hat: Tensor
    """The normalized input :math:`\\hat x = (x - \\mu_B) / \\sqrt{\\sigma_B^2 + \\epsilon}`."""
    inv_std: Tensor
    """:math:`1 / \\sqrt{\\sigma_B^2 + \\epsilon}`, one per channel, shape ``(C,)``."""
    gamma: Tensor
    """The scale :math:`\\gamma`, shape ``(C,)``."""


def batch_norm_forward(
    x: Tensor, gamma: Tensor, beta: Tensor, *, eps: float = 1e-5
) -> tuple[Tensor, BatchNormCache]:
    """Training-mode BN forward pass that also returns the cache for the backward pass.

    .. math:: y = \\gamma \\hat x + \\beta, \\quad
              \\hat x = (x - \\mu_B)\\,(\\sigma_B^2 + \\epsilon)^{-1/2}

    Args:
        x: ``(N, C)`` or ``(N, C, *)``.
        gamma, beta: ``(C,)``.
        eps: added to the (biased) batch variance.

    Returns:
        ``(y, cache)``.

    Raises:
        ValueError: one value per channel or ``eps <= 0``.
        course_utils.errors.ShapeError: ``gamma`` or ``beta`` of the wrong size (also a
            ``RuntimeError``).

    Examples:
        >>> y, cache = batch_norm_forward(torch.tensor([[4.0], [5.0], [6.0]]),
        ...                               torch.ones(1), torch.zeros(1))
        >>> [round(v, 3) for v in y.flatten().tolist()]
        [-1.225, 0.0, 1.225]
    """
    _verify_batch_size(x)
    _check_eps(eps, training=True)
    _check_channels(x, {"weight": gamma, "bias": beta})
    mean, var = batch_statistics(x)
    inv_std = torch.rsqrt(var + eps)
    x_hat = (x - _per_channel(mean, x)) * _per_channel(inv_std, x)
    y = x_hat * _per_channel(gamma, x) + _per_channel(beta, x)
    return y, BatchNormCache(x_hat, inv_std, gamma)


def batch_norm_backward(dout: Tensor, cache: BatchNormCache) -> tuple[Tensor, Tensor, Tensor]:
    """The hand-derived gradients of BN in training mode.

    With :math:`g_i = \\partial L/\\partial y_i` over the :math:`m` values of one channel:

    .. math::
        \\frac{\\partial L}{\\partial \\beta} = \\sum_i g_i, \\qquad
        \\frac{\\partial L}{\\partial \\gamma} = \\sum_i g_i \\hat x_i, \\qquad
        \\frac{\\partial L}{\\partial x_i} = \\frac{\\gamma}{m\\sqrt{\\sigma_B^2+\\epsilon}}
            \\Big(m\\,g_i - \\sum_j g_j - \\hat x_i \\sum_j g_j \\hat x_j\\Big).

    The last line collects three paths from :math:`x_i` to the loss: directly through
    :math:`\\hat x_i`, through :math:`\\mu_B` (every :math:`\\hat x_j` moves, hence
    :math:`-\\sum_j g_j`), and through :math:`\\sigma_B^2` (hence the
    :math:`\\hat x_i \\sum_j g_j \\hat x_j` term). The gradient sums to zero over a channel
    (shifting a channel's inputs changes nothing after normalization) and is orthogonal to
    :math:`\\hat x` up to a term of order :math:`\\epsilon / \\sigma_B^2` (scaling them
    changes nothing either, as long as :math:`\\sigma_B^2 \\gg \\epsilon`).

    Args:
        dout: upstream gradient, shaped like the forward output.
        cache: from :func:`batch_norm_forward`.

    Returns:
        ``(dx, dgamma, dbeta)``.

    Raises:
        course_utils.errors.ShapeError: ``dout``'s shape differs from the cached forward
            output's (a ``ValueError``, and a ``RuntimeError`` like autograd's shape mismatch).
    """
    x_hat, inv_std, gamma = cache
    if dout.shape != x_hat.shape:
        raise ShapeError(
            f"dout must have the forward output's shape {tuple(x_hat.shape)}, but got "
            f"{tuple(dout.shape)}"
        )
    dims = _channel_dims(x_hat)
    m = x_hat.numel() // x_hat.shape[1]
    dbeta = dout.sum(dim=dims)
    dgamma = (dout * x_hat).sum(dim=dims)
    dx_hat = dout * _per_channel(gamma, x_hat)
    centred = m * dx_hat - _per_channel(dx_hat.sum(dim=dims), x_hat)
    projected = centred - x_hat * _per_channel((dx_hat * x_hat).sum(dim=dims), x_hat)
    dx = projected * _per_channel(inv_std / m, x_hat)
    return dx, dgamma, dbeta


# ---------------------------------------------------------------------------------------
# Drop-in modules
# ---------------------------------------------------------------------------------------


def _check_num_features(num_features: object) -> None:
    if not isinstance(num_features, numbers.Integral) or num_features < 1:
        raise ValueError(f"num_features must be a positive integer, but got {num_features!r}")


def _register_affine(
    module: nn.Module, shape: tuple[int, ...], weight: bool, bias: bool, factory: dict
) -> None:
    """``weight`` and ``bias`` as parameters, or registered as None (as torch does, so that
    a parameter can be assigned later)."""
    for name, wanted in (("weight", weight), ("bias", bias)):
        tensor = nn.Parameter(torch.empty(shape, **factory)) if wanted else None
        module.register_parameter(name, tensor)


def _check_momentum(momentum: float | None) -> None:
    if momentum is not None and not 0.0 <= momentum <= 1.0:
        raise ValueError(f"momentum must be None or in [0, 1], but got {momentum}")


class _BatchNorm(nn.Module):
    """Shared body of :class:`BatchNorm1d` and :class:`BatchNorm2d` (torch's ``_BatchNorm``)."""

    _version = 2  # torch's state_dict version for batch norm (with num_batches_tracked)
    __constants__ = ["track_running_stats", "momentum", "eps", "num_features", "affine"]

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__()
        _check_num_features(num_features)
        _check_momentum(momentum)
        factory = {"device": device, "dtype": dtype}
        self.num_features = int(num_features)
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        _register_affine(self, (num_features,), affine, affine and bias, factory)
        if track_running_stats:
            self.register_buffer("running_mean", torch.zeros(num_features, **factory))
            self.register_buffer("running_var", torch.ones(num_features, **factory))
            self.register_buffer(
                "num_batches_tracked", torch.tensor(0, dtype=torch.long, device=device)
            )
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self) -> None:
        """Running mean 0, running variance 1, no batches seen."""
        if self.track_running_stats:
            self.running_mean.zero_()
            self.running_var.fill_(1.0)
            self.num_batches_tracked.zero_()

    def reset_parameters(self) -> None:
        """Reset the running statistics and set :math:`\\gamma = 1`, :math:`\\beta = 0`."""
        self.reset_running_stats()
        with torch.no_grad():
            if self.weight is not None:
                self.weight.fill_(1.0)
            if self.bias is not None:
                self.bias.zero_()

    def _check_input_dim(self, input: Tensor) -> None:  # noqa: A002
        raise NotImplementedError

    def _load_from_state_dict(
        self, state_dict: dict, prefix: str, local_metadata: dict, *args: object
    ) -> None:
        # as torch: checkpoints saved before version 2 have no num_batches_tracked; keep ours
        key = prefix + "num_batches_tracked"
        version = local_metadata.get("version")
        if (version is None or version < 2) and self.track_running_stats and key not in state_dict:
            current = self.num_batches_tracked
            usable = current is not None and current.device != torch.device("meta")
            state_dict[key] = current if usable else torch.tensor(0, dtype=torch.long)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, *args)

    def _average_factor(self) -> float:
        """The weight of this batch in the running average; counts the batch when tracking.

        ``momentum=None`` gives ``1 / n`` for the n-th batch: the cumulative average.
        """
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            self.num_batches_tracked.add_(1)
            if self.momentum is None:
                factor = 1.0 / float(self.num_batches_tracked)
        return factor

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 (torch's argument name)
        self._check_input_dim(input)
        factor = self._average_factor()
        # batch statistics in training, and in evaluation when there are no running ones
        use_batch_stats = self.training or (self.running_mean is None and self.running_var is None)
        # running estimates are updated only while training with tracking switched on
        pass_buffers = not self.training or self.track_running_stats
        return batch_norm(
            input,
            self.running_mean if pass_buffers else None,
            self.running_var if pass_buffers else None,
            self.weight,
            self.bias,
            use_batch_stats,
            factor,
            self.eps,
        )

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
            f"affine={self.affine}, bias={self.bias is not None}, "
            f"track_running_stats={self.track_running_stats}"
        )


class BatchNorm1d(_BatchNorm):
    """Drop-in for ``torch.nn.BatchNorm1d``: BN over ``(N, C)`` or ``(N, C, L)`` inputs.

    In ``train()`` mode each feature is normalized with the batch's mean and biased
    variance (over ``N``, and ``L`` for 3-D inputs), and the running estimates are updated
    with the unbiased variance; in ``eval()`` mode the running estimates are used. See
    :func:`batch_norm` for the formulas.

    Args:
        num_features: ``C``, the number of features.
        eps: added to the variance, default 1e-5.
        momentum: weight of the new batch in the running average (default 0.1), or None
            for the cumulative average over all batches seen.
        affine: learn :math:`\\gamma` (``weight``, init 1) and :math:`\\beta` (``bias``,
            init 0).
        track_running_stats: keep ``running_mean``, ``running_var`` and
            ``num_batches_tracked`` buffers; without them evaluation uses batch statistics.
        device, dtype: where and how to allocate parameters and buffers.
        bias: learn :math:`\\beta` (keyword only, as in torch).

    Raises:
        ValueError: ``num_features`` not a positive integer or ``momentum`` outside [0, 1]
            (torch accepts these and fails later, or silently); in ``forward``, the input's
            dimension (``expected 2D or 3D input (got 4D input)``) and a training batch of
            one, with torch's messages.
        course_utils.errors.ShapeError: in ``forward``, an input whose number of channels
            is not ``num_features`` (torch's message, e.g. ``running_mean should contain 3
            elements not 4``; a ``ValueError`` and a ``RuntimeError``, as torch raises).

    Examples:
        >>> BatchNorm1d(4)
        BatchNorm1d(4, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)
        >>> layer = BatchNorm1d(4).eval()
        >>> layer(torch.randn(1, 4)).shape  # a batch of one is fine in evaluation
        torch.Size([1, 4])
    """

    def _check_input_dim(self, input: Tensor) -> None:  # noqa: A002
        if input.dim() not in (2, 3):
            raise ValueError(f"expected 2D or 3D input (got {input.dim()}D input)")


class BatchNorm2d(_BatchNorm):
    """Drop-in for ``torch.nn.BatchNorm2d``: BN per channel of ``(N, C, H, W)`` inputs.

    Each channel has one :math:`(\\gamma, \\beta)` pair and one set of statistics, taken
    over the batch *and* every pixel (:math:`m = N H W` values), because a convolution
    applies the same filter everywhere. Arguments as in :class:`BatchNorm1d`.

    Raises:
        ValueError: as :class:`BatchNorm1d`, with ``expected 4D input (got 2D input)``.
        course_utils.errors.ShapeError: as :class:`BatchNorm1d`.

    Examples:
        >>> BatchNorm2d(8, momentum=None)
        BatchNorm2d(8, eps=1e-05, momentum=None, affine=True, bias=True, track_running_stats=True)
    """

    def _check_input_dim(self, input: Tensor) -> None:  # noqa: A002
        if input.dim() != 4:
            raise ValueError(f"expected 4D input (got {input.dim()}D input)")


class LayerNorm(nn.Module):
    """Drop-in for ``torch.nn.LayerNorm``: normalize each sample over its last dimensions.

    Args:
        normalized_shape: an int or the trailing shape to normalize over.
        eps: added to the variance, default 1e-5.
        elementwise_affine: learn ``weight`` (init 1) and ``bias`` (init 0) of shape
            ``normalized_shape``.
        bias: learn ``bias`` too (when ``elementwise_affine``).
        device, dtype: where and how to allocate the parameters.

    Raises:
        ValueError: a non-positive entry in ``normalized_shape`` (torch accepts 0).
        course_utils.errors.ShapeError: in ``forward`` (when torch raises it too), an empty
            ``normalized_shape`` or an input whose trailing shape differs (torch's messages;
            a ``ValueError`` and a ``RuntimeError``).

    Examples:
        >>> LayerNorm(4)
        LayerNorm((4,), eps=1e-05, elementwise_affine=True, bias=True)
        >>> LayerNorm(4)(torch.tensor([[4.0, 5.0, 6.0, 5.0]])).abs().max().item() < 1.5
        True
    """

    __constants__ = ["normalized_shape", "eps", "elementwise_affine"]

    def __init__(
        self,
        normalized_shape: int | Sequence[int],
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        if isinstance(normalized_shape, numbers.Integral):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(int(n) for n in normalized_shape)
        if self.normalized_shape and min(self.normalized_shape) < 1:
            raise ValueError(
                f"normalized_shape must be positive integers, but got {self.normalized_shape}"
            )
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        factory = {"device": device, "dtype": dtype}
        shape = self.normalized_shape
        _register_affine(self, shape, elementwise_affine, elementwise_affine and bias, factory)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Set ``weight`` to 1 and ``bias`` to 0."""
        with torch.no_grad():
            if self.weight is not None:
                self.weight.fill_(1.0)
            if self.bias is not None:
                self.bias.zero_()

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 (torch's argument name)
        return layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.normalized_shape}, eps={self.eps}, "
            f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}"
        )


def is_batch_norm(module: nn.Module) -> bool:
    """True for torch's or this module's ``BatchNorm1d`` / ``BatchNorm2d`` / ``BatchNorm3d``."""
    return isinstance(module, (_BatchNorm, nn.modules.batchnorm._BatchNorm))


def is_layer_norm(module: nn.Module) -> bool:
    """True for torch's or this module's ``LayerNorm``."""
    return isinstance(module, (LayerNorm, nn.LayerNorm))


# Every normalization layer the course knows, by type: torch's batch and instance norms
# (``_NormBase``), layer, group, RMS and local-response norm, and this module's drop-ins
# (subclasses of these, a learner's own ``BatchNorm1d(course's BatchNorm1d)`` included).
NORMALIZATION_TYPES: tuple[type[nn.Module], ...] = (
    nn.modules.batchnorm._NormBase, nn.LayerNorm, nn.GroupNorm, nn.LocalResponseNorm,
    nn.RMSNorm, _BatchNorm, LayerNorm,
)


def is_normalization_module(module: nn.Module) -> bool:
    """True for batch, instance, layer, group, RMS and local-response norm layers, torch's
    or this module's (the one place the course tells normalization layers apart, by type).

    Examples:
        >>> is_normalization_module(BatchNorm1d(3)), is_normalization_module(nn.Linear(3, 3))
        (True, False)
    """
    return isinstance(module, NORMALIZATION_TYPES)


# ---------------------------------------------------------------------------------------
# Tools for the experiments
# ---------------------------------------------------------------------------------------


def _first_tensor(batch: Tensor | Sequence[Tensor]) -> Tensor:
    return batch[0] if isinstance(batch, (list, tuple)) else batch


@torch.no_grad()
def update_bn(batches: Iterable[Tensor | Sequence[Tensor]], model: nn.Module) -> None:
    """Recompute every BN layer's running statistics with one pass over ``batches``.

    Like ``torch.optim.swa_utils.update_bn``: the running estimates are reset, ``momentum``
    is set to None (a plain cumulative average over the batches) and the model runs in
    training mode without gradients; afterwards the momenta and the model's mode are
    restored. Use it when the running statistics never saw the data the weights now
    produce (a tiny momentum, averaged or edited weights, a shifted input distribution).

    Args:
        batches: an iterable of input tensors, or of ``(x, y, ...)`` tuples (the first
            element is used), e.g. ``x.split(256)``.
        model: any module; layers that are not batch norm are left alone.

    Note:
        The cumulative average gives every *batch* the same weight, so the mean is exact
        when the batches have equal sizes; the variance is the average of the per-batch
        unbiased variances, as torch computes it.
    """
    norms = [m for m in model.modules() if is_batch_norm(m) and m.track_running_stats]
    if not norms:
        return
    momenta = {m: m.momentum for m in norms}
    for m in norms:
        m.reset_running_stats()
        m.momentum = None
    was_training = model.training
    model.train()
    try:
        for batch in batches:
            model(_first_tensor(batch))
    finally:
        for m, momentum in momenta.items():
            m.momentum = momentum
        model.train(was_training)


def _activation_inputs(model: nn.Sequential) -> list[int]:
    kinds = tuple(cls for name, cls in ACTIVATIONS.items() if name != "identity")
    return [i for i, layer in enumerate(model) if isinstance(layer, kinds)]


@torch.no_grad()
def activation_input_stats(
    model: nn.Sequential, probe: Tensor, *, percentiles: Sequence[float] = (15, 50, 85)
) -> dict[str, Tensor]:
    """The distribution each activation function receives for a fixed probe batch.

    The probe runs through a *copy* of the model in its current mode (in training mode a
    BN layer normalizes with the probe's own statistics, as the next training step would;
    the original's running estimates are not touched).

    Args:
        model: an ``nn.Sequential`` MLP (e.g. from :func:`course_utils.models.mlp`).
        probe: ``(n, features)`` inputs, the same at every call.
        percentiles: which percentiles of the last hidden layer's inputs to report.

    Returns:
        ``{"mean": (L,), "std": (L,), "percentiles": (len(percentiles),)}``: mean and
        standard deviation over all ``n x width`` entries of the input of each of the
        ``L`` activation layers, and percentiles of the last one (Ioffe & Szegedy's
        Figure 1 plots the 15th, 50th and 85th).

    Raises:
        ValueError: the model has no activation layer.
    """
    positions = _activation_inputs(model)
    if not positions:
        raise ValueError("model must contain at least one activation layer, but got none")
    twin = copy.deepcopy(model)
    inputs: list[Tensor] = []
    h = probe
    for i, layer in enumerate(twin):
        if i in positions:
            inputs.append(h)
        h = layer(h)
    q = torch.tensor([p / 100 for p in percentiles], dtype=probe.dtype)
    return {
        "mean": torch.stack([a.mean() for a in inputs]),
        "std": torch.stack([a.std() for a in inputs]),
        "percentiles": torch.quantile(inputs[-1].flatten(), q),
    }


def track_activation_inputs(
    model: nn.Sequential,
    train: tuple[Tensor, Tensor],
    probe: Tensor,
    *,
    steps: int,
    every: int,
    batch_size: int,
    lr: float,
    seed: int = 0,
) -> dict[str, Tensor]:
    """Train with SGD and record :func:`activation_input_stats` of a fixed probe batch.

    Training runs as ``steps // every`` calls of :func:`course_utils.training.fit` of
    ``every`` steps each (seeds ``seed, seed + 1, ...``: each chunk draws its batches
    without replacement from a fresh permutation); the probe is measured before the first
    step and after every chunk, which is how Ioffe & Szegedy's Figure 1 follows the inputs
    of a sigmoid over training.

    Args:
        model: an MLP, trained in place.
        train: ``(x, y)`` training tensors.
        probe: fixed inputs measured at every record (e.g. held-out images).
        steps: total SGD steps, a multiple of ``every``.
        every: steps between records; ``every * batch_size`` must not exceed ``len(x)``.
        batch_size, lr: SGD's batch size and learning rate.
        seed: seed of the first chunk's batch order.

    Returns:
        ``{"step": (T,), "mean": (T, L), "std": (T, L), "percentiles": (T, 3)}`` with
        ``T = steps // every + 1`` records (see :func:`activation_input_stats`).

    Raises:
        ValueError: ``every`` not positive or not dividing ``steps``, or chunks longer than
            one epoch.
    """
    if every < 1 or steps % every:
        raise ValueError(f"every must be a positive divisor of steps={steps}, but got {every}")
    if every * batch_size > len(train[0]):
        raise ValueError(
            f"every * batch_size must not exceed the {len(train[0])} training samples, but got "
            f"{every} * {batch_size}"
        )
    records = [activation_input_stats(model, probe)]
    for chunk in range(steps // every):
        fit(model, train, epochs=1, batch_size=batch_size, lr=lr, max_steps=every,
            seed=seed + chunk, progress=False, eval_train=False)
        records.append(activation_input_stats(model, probe))
    result = {key: torch.stack([r[key] for r in records]) for key in records[0]}
    result["step"] = torch.arange(0, steps + 1, every)
    return result


class ShiftNoise(nn.Module):
    """Injected "internal covariate shift": a random per-unit scale and shift, new each step.

    Santurkar et al. (2018) put such noise after every BN layer to make the distribution
    that each layer sees change from step to step far more than in a plain network, and
    found that training was barely slower: BN's benefit does not come from keeping those
    distributions fixed. In training mode each forward pass draws, per unit,

    .. math:: y = s \\odot x + t, \\quad \\log s \\sim \\mathcal N(0, \\text{scale\\_std}^2),
              \\quad t \\sim \\mathcal N(0, \\text{shift\\_std}^2),

    the same :math:`(s, t)` for every sample of the batch (a shift of the distribution,
    not per-sample noise); in evaluation it is the identity.

    Args:
        num_features: width of the layer.
        shift_std: standard deviation of the shift :math:`t`.
        scale_std: standard deviation of :math:`\\log s`.
        generator: source of randomness (None: torch's global generator).

    Raises:
        ValueError: a negative standard deviation.
    """

    def __init__(
        self,
        num_features: int,
        shift_std: float = 1.0,
        scale_std: float = 0.5,
        *,
        generator: torch.Generator | None = None,
    ) -> None:
        super().__init__()
        _check_num_features(num_features)
        if shift_std < 0 or scale_std < 0:
            raise ValueError(
                f"shift_std and scale_std must be non-negative, but got {shift_std}, {scale_std}"
            )
        self.num_features = num_features
        self.shift_std = shift_std
        self.scale_std = scale_std
        self.generator = generator

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        if not self.training:
            return input
        shape = (1, self.num_features)
        scale = torch.exp(self.scale_std * torch.randn(shape, generator=self.generator))
        shift = self.shift_std * torch.randn(shape, generator=self.generator)
        return input * scale + shift

    def extra_repr(self) -> str:
        return f"{self.num_features}, shift_std={self.shift_std}, scale_std={self.scale_std}"


class NoisyBatchNorm1d(_BatchNorm):
    """:class:`BatchNorm1d` followed by :class:`ShiftNoise`, as one batch-norm layer.

    Santurkar et al.'s (2018) "noisy BN": the layer normalizes exactly as
    :class:`BatchNorm1d` (same parameters, buffers and ``state_dict``), then, in training
    mode only, multiplies each unit by a fresh random scale and adds a fresh random shift.
    Being one BN layer, it counts for :func:`is_batch_norm`, so
    ``mlp(..., bias="except_before_batch_norm")`` drops the (redundant) bias of the linear
    layer before it, as for plain BN; :func:`course_utils.batched.fit_batched` cannot
    stack it (the noise is not a BatchNorm1d operation), so models that hold it train with
    :func:`course_utils.training.fit`.

    Args:
        num_features: ``C``, the number of features.
        shift_std: standard deviation of the shift (see :class:`ShiftNoise`).
        scale_std: standard deviation of the log of the scale.
        generator: source of the noise (None: torch's global generator).
        **kwargs: the other arguments of :class:`BatchNorm1d` (``eps``, ``momentum``, ...).

    Raises:
        ValueError: as :class:`BatchNorm1d` and :class:`ShiftNoise`.

    Examples:
        >>> layer = NoisyBatchNorm1d(4, generator=torch.Generator().manual_seed(0))
        >>> is_batch_norm(layer), layer.eval()(torch.ones(1, 4)).shape
        (True, torch.Size([1, 4]))
    """

    def __init__(
        self,
        num_features: int,
        shift_std: float = 1.0,
        scale_std: float = 0.5,
        *,
        generator: torch.Generator | None = None,
        **kwargs: object,
    ) -> None:
        super().__init__(num_features, **kwargs)  # type: ignore[arg-type]
        self.noise = ShiftNoise(num_features, shift_std, scale_std, generator=generator)

    def _check_input_dim(self, input: Tensor) -> None:  # noqa: A002
        if input.dim() != 2:
            raise ValueError(f"expected 2D input (got {input.dim()}D input)")

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 (torch's argument name)
        return self.noise(super().forward(input))


def batch_stat_noise(
    h: Tensor, batch_sizes: Sequence[int], *, n_batches: int = 200, seed: int = 0
) -> dict[str, list[float]]:
    """How far batch statistics stray from the population's, per batch size.

    For each batch size ``B``, ``n_batches`` random batches (without replacement within a
    batch) are drawn from the rows of ``h``; for every feature the batch mean and biased
    variance are compared with the statistics of all rows:

    .. math::
        \\text{mean noise} = \\operatorname{rms}\\Big(\\frac{\\mu_B - \\mu}{\\sigma}\\Big)
        \\approx \\frac{1}{\\sqrt B}, \\qquad
        \\text{var noise} = \\operatorname{rms}\\Big(\\frac{\\sigma_B^2 - \\sigma^2}{\\sigma^2}\\Big)

    (root mean square over batches and features). The var noise is about
    :math:`\\sqrt{2/B}` for Gaussian features, larger for skewed ones such as ReLU outputs,
    and includes the bias :math:`-1/B` of the biased variance.

    Args:
        h: ``(n, features)`` values of one layer (e.g. the inputs of a BN layer).
        batch_sizes: sizes to measure, each from 2 to ``n``.
        n_batches: batches drawn per size.
        seed: seed of the draws.

    Returns:
        ``{"batch_size": [...], "mean_noise": [...], "var_noise": [...]}``.

    Raises:
        ValueError: a batch size outside [2, n] or ``n_batches < 1``.
    """
    n = len(h)
    if any(not 2 <= b <= n for b in batch_sizes):
        raise ValueError(f"batch_sizes must be between 2 and {n}, but got {list(batch_sizes)}")
    if n_batches < 1:
        raise ValueError(f"n_batches must be at least 1, but got {n_batches}")
    generator = torch.Generator().manual_seed(seed)
    mean, var = h.mean(0), h.var(0, unbiased=False)
    keep = var > 1e-12  # dead units have no spread to compare with
    result: dict[str, list[float]] = {"batch_size": [], "mean_noise": [], "var_noise": []}
    for b in batch_sizes:
        idx = torch.rand(n_batches, n, generator=generator).argsort(dim=1)[:, :b]
        batches = h[idx]  # (n_batches, b, features)
        mean_err = (batches.mean(1) - mean) / var.sqrt().clamp_min(1e-12)
        var_err = (batches.var(1, unbiased=False) - var) / var.clamp_min(1e-12)
        result["batch_size"].append(int(b))
        result["mean_noise"].append(mean_err[:, keep].square().mean().sqrt().item())
        result["var_noise"].append(var_err[:, keep].square().mean().sqrt().item())
    return result


# ---------------------------------------------------------------------------------------
# Measurements behind the chapter's explanations: drift, scale invariance, gradients
# ---------------------------------------------------------------------------------------


@torch.no_grad()
def unit_input_stats(model: nn.Sequential, probe: Tensor) -> list[tuple[Tensor, Tensor]]:
    """Mean and standard deviation of every unit's input to every activation layer.

    Like :func:`activation_input_stats`, but per unit instead of pooled over a layer: for
    activation layer ``l`` and unit ``j``, the mean and the (population) standard
    deviation of the unit's input over the ``n`` probe samples. The probe runs through a
    *copy* of the model in its current mode (in training mode a BN layer normalizes with
    the probe's own statistics, as a training step would, and an injected
    :class:`ShiftNoise` draws the shift the next step would see; the model itself is not
    touched).

    Args:
        model: an ``nn.Sequential`` MLP (e.g. from :func:`course_utils.models.mlp`).
        probe: ``(n, features)`` inputs, ``n >= 2``, the same at every call.

    Returns:
        One ``(mean, std)`` pair per activation layer, each of shape ``(width,)``.

    Raises:
        ValueError: the model has no activation layer, or the probe has fewer than 2 rows.

    Examples:
        >>> net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
        >>> [tuple(t.shape) for t in unit_input_stats(net, torch.randn(8, 3))[0]]
        [(4,), (4,)]
    """
    positions = _activation_inputs(model)
    if not positions:
        raise ValueError("model must contain at least one activation layer, but got none")
    if probe.dim() != 2 or len(probe) < 2:
        raise ValueError(f"probe must be an (n, features) tensor with n >= 2, but got shape "
                         f"{tuple(probe.shape)}")
    twin = copy.deepcopy(model)
    stats: list[tuple[Tensor, Tensor]] = []
    h = probe
    for i, layer in enumerate(twin):
        if i in positions:
            stats.append((h.mean(0), h.std(0, correction=0)))
        h = layer(h)
    return stats


def unit_drift(
    before: Sequence[tuple[Tensor, Tensor]],
    after: Sequence[tuple[Tensor, Tensor]],
    *,
    relative_to: Literal["unit", "layer"] = "unit",
) -> Tensor:
    """How far each layer's input distributions moved, in units of their spread.

    For every unit ``j`` of layer ``l`` with mean :math:`m_j` and standard deviation
    :math:`s_j` (from :func:`unit_input_stats`) the drift is

    .. math:: \\frac{|m_j' - m_j| + |s_j' - s_j|}{S},

    averaged over the units of the layer. With ``relative_to="unit"``, :math:`S = s_j`,
    the unit's own spread (units with :math:`s_j = 0` are left out); with
    ``relative_to="layer"``, :math:`S` is the layer's pooled spread, the standard
    deviation of all its units' inputs over all probe samples,
    :math:`S^2 = \\operatorname{mean}_j s_j^2 + \\operatorname{var}_j m_j`. A value of 0.1
    means the distribution moved by a tenth of its width: the measure can be compared
    across layers and networks whose activations have different scales. The per-unit
    version is large wherever a unit is nearly constant over the probe (:math:`s_j`
    close to 0, e.g. a saturated sigmoid unit), however little it moves; the layer version
    is not.

    Args:
        before: per-layer ``(mean, std)`` pairs at one time.
        after: the same layers later.
        relative_to: ``"unit"`` (each unit's own spread) or ``"layer"`` (the layer's pooled
            spread), measured at ``before``.

    Returns:
        ``(L,)`` drift per layer (NaN for a layer whose units all have zero spread).

    Raises:
        ValueError: ``before`` and ``after`` differ in the number of layers or widths, or
            ``relative_to`` is neither ``"unit"`` nor ``"layer"``.

    Examples:
        >>> before = [(torch.zeros(2), torch.ones(2))]
        >>> after = [(torch.tensor([0.1, -0.1]), torch.tensor([1.0, 1.2]))]
        >>> [round(v, 3) for v in unit_drift(before, after).tolist()]
        [0.2]
    """
    if len(before) != len(after) or any(
            b[0].shape != a[0].shape for b, a in zip(before, after, strict=False)):
        raise ValueError(f"before and after must describe the same layers, but got "
                         f"{[tuple(b[0].shape) for b in before]} and "
                         f"{[tuple(a[0].shape) for a in after]}")
    if relative_to not in ("unit", "layer"):
        raise ValueError(f"relative_to must be 'unit' or 'layer', but got {relative_to!r}")
    drifts = []
    for (mean0, std0), (mean1, std1) in zip(before, after, strict=True):
        moved = (mean1 - mean0).abs() + (std1 - std0).abs()
        if relative_to == "layer":
            pooled = (std0.square().mean() + mean0.var(correction=0)).sqrt()
            drifts.append(moved.mean() / pooled if pooled > 1e-12 else torch.tensor(float("nan")))
            continue
        keep = std0 > 1e-12
        drifts.append((moved[keep] / std0[keep]).mean() if keep.any() else torch.tensor(float("nan")))
    return torch.stack(drifts)


def _chunk_seeds(seed: int | Sequence[int], k: int) -> list[int]:
    seeds = [seed] * k if isinstance(seed, numbers.Integral) else [int(s) for s in seed]
    if len(seeds) != k:
        raise ValueError(f"seed must be an int or one int per model ({k}), but got {len(seeds)} values")
    return seeds


def track_unit_drift(
    models: Sequence[nn.Sequential],
    train: tuple[Tensor, Tensor],
    probe: Tensor,
    *,
    steps: int,
    every: int,
    batch_size: int,
    lr: float | Sequence[float],
    seed: int | Sequence[int] = 0,
    relative_to: Literal["unit", "layer"] = "unit",
) -> Tensor:
    """Train models with SGD and measure the drift of every layer's inputs as they learn.

    Training runs in ``steps // every`` chunks of ``every`` steps. Chunk ``c`` of model
    ``k`` draws its batches from a fresh permutation seeded ``1000 * seed[k] + c``, so two
    models given the same seed see the same batches (paired arms). Models that
    :func:`course_utils.batched.fit_batched` can stack train together (each exactly as its
    own ``fit`` run); others (e.g. with :class:`ShiftNoise` inside) train one by one with
    :func:`course_utils.training.fit`. Before the first chunk and after every chunk
    :func:`unit_input_stats` measures the probe; :func:`unit_drift` compares consecutive
    records.

    Args:
        models: MLPs with the same activation layout, trained in place.
        train: ``(x, y)`` training tensors.
        probe: fixed inputs measured at every record (e.g. held-out images).
        steps: total SGD steps, a multiple of ``every``, at most ``1000 * every``.
        every: steps between records; ``every * batch_size`` must not exceed ``len(x)``.
        batch_size: SGD's batch size.
        lr: one learning rate, or one per model.
        seed: batch-order seed, one for all models or one per model.
        relative_to: the spread drift is measured in, as in :func:`unit_drift`.

    Returns:
        ``(K, steps // every, L)``: the drift of each of the ``L`` activation inputs of
        each model over each chunk.

    Raises:
        ValueError: no models, ``every`` not a positive divisor of ``steps``, too many
            chunks, chunks longer than one epoch, or a wrong number of rates or seeds.
    """
    from course_utils.batched import fit_batched, stack_supported  # batched imports us

    if len(models) == 0:
        raise ValueError("models must contain at least one model, but got none")
    if every < 1 or steps % every or steps // every > 1000:
        raise ValueError(f"every must be a positive divisor of steps={steps} giving at most "
                         f"1000 chunks, but got {every}")
    if every * batch_size > len(train[0]):
        raise ValueError(f"every * batch_size must not exceed the {len(train[0])} training "
                         f"samples, but got {every} * {batch_size}")
    k = len(models)
    rates = [float(lr)] * k if isinstance(lr, numbers.Real) else [float(r) for r in lr]
    if len(rates) != k:
        raise ValueError(f"lr must be a number or one per model ({k}), but got {len(rates)} values")
    seeds = _chunk_seeds(seed, k)
    if relative_to not in ("unit", "layer"):
        raise ValueError(f"relative_to must be 'unit' or 'layer', but got {relative_to!r}")
    batched = all(stack_supported(m) for m in models)
    records = [[unit_input_stats(m, probe) for m in models]]
    for chunk in range(steps // every):
        chunk_seeds = [1000 * s + chunk for s in seeds]
        options = {"epochs": 1, "batch_size": batch_size, "max_steps": every,
                   "eval_every": 0, "eval_train": False}
        if batched:
            fit_batched(models, train, lr=rates, seed=chunk_seeds, **options)
        else:
            for model, rate, s in zip(models, rates, chunk_seeds, strict=True):
                fit(model, train, lr=rate, seed=s, progress=False, **options)
        records.append([unit_input_stats(m, probe) for m in models])
    return torch.stack([
        torch.stack([unit_drift(a[j], b[j], relative_to=relative_to)
                     for a, b in zip(records, records[1:], strict=False)])
        for j in range(k)])


def scale_invariant_weights(model: nn.Sequential) -> list[Tensor]:
    """Copies of the weights of the linear layers whose output goes straight into BN.

    Batch norm makes such a layer's output, and so the loss, independent of the length of
    each weight row: :math:`\\mathcal L(c\\,w_j) = \\mathcal L(w_j)` for every
    :math:`c > 0`. Only the rows' *directions* matter, which :func:`effective_step` and
    :func:`rotation_angle` measure.

    Args:
        model: an ``nn.Sequential`` (e.g. from :func:`course_utils.models.mlp`).

    Returns:
        Detached copies, in model order (empty when no linear layer feeds a BN layer).

    Raises:
        ValueError: ``model`` is not an ``nn.Sequential``.

    Examples:
        >>> net = nn.Sequential(nn.Linear(3, 4, bias=False), BatchNorm1d(4), nn.ReLU(),
        ...                     nn.Linear(4, 2))
        >>> [tuple(w.shape) for w in scale_invariant_weights(net)]
        [(4, 3)]
    """
    if not isinstance(model, nn.Sequential):
        raise ValueError(f"model must be an nn.Sequential, but got {type(model).__name__}")
    layers = list(model)
    return [layer.weight.detach().clone() for layer, after in zip(layers, layers[1:], strict=False)
            if isinstance(layer, nn.Linear) and is_batch_norm(after)]


def effective_step(weights: Sequence[Tensor], lr: float) -> list[float]:
    """The step an SGD update takes in the *direction* of scale-invariant weight rows.

    For a row :math:`w` with :math:`\\mathcal L(c\\,w) = \\mathcal L(w)`, the gradient is
    orthogonal to :math:`w` and shrinks as :math:`1/\\lVert w\\rVert`, so one step of
    learning rate :math:`\\eta` turns the unit vector :math:`w/\\lVert w\\rVert` by about
    :math:`\\eta/\\lVert w\\rVert^2` times the gradient at the unit vector: the effective
    learning rate. Returned per weight matrix, with :math:`\\lVert w\\rVert^2` averaged
    over its rows.

    Args:
        weights: ``(out, in)`` matrices, e.g. from :func:`scale_invariant_weights`.
        lr: the learning rate :math:`\\eta`, positive.

    Returns:
        :math:`\\eta / \\operatorname{mean}_j \\lVert w_j\\rVert^2` per matrix.

    Raises:
        ValueError: a non-positive ``lr`` or a weight that is not a nonzero matrix.

    Examples:
        >>> effective_step([torch.full((2, 4), 0.5)], lr=0.1)
        [0.1]
    """
    if not lr > 0:
        raise ValueError(f"lr must be positive, but got {lr}")
    steps = []
    for w in weights:
        if w.dim() != 2 or not w.abs().sum() > 0:
            raise ValueError(f"weights must be nonzero (out, in) matrices, but got shape "
                             f"{tuple(w.shape)}")
        steps.append(lr / w.double().square().sum(1).mean().item())
    return steps


def rotation_angle(before: Sequence[Tensor], after: Sequence[Tensor]) -> list[float]:
    """Mean angle, in degrees, by which the rows of each weight matrix turned.

    Args:
        before: ``(out, in)`` matrices at one time.
        after: the same matrices later.

    Returns:
        Per matrix, the angle between row ``j`` before and after, averaged over ``j``
        (rows of zero length are left out).

    Raises:
        ValueError: the two lists differ in length or in shapes.

    Examples:
        >>> rotation_angle([torch.tensor([[1.0, 0.0]])], [torch.tensor([[1.0, 1.0]])])
        [45.0]
    """
    if len(before) != len(after) or any(
            b.shape != a.shape or b.dim() != 2 for b, a in zip(before, after, strict=False)):
        raise ValueError(f"before and after must be matrices of the same shapes, but got "
                         f"{[tuple(b.shape) for b in before]} and {[tuple(a.shape) for a in after]}")
    angles = []
    for w0, w1 in zip(before, after, strict=True):
        w0, w1 = w0.double(), w1.double()
        lengths = w0.norm(dim=1) * w1.norm(dim=1)
        keep = lengths > 0
        cos = ((w0 * w1).sum(1)[keep] / lengths[keep]).clamp(-1.0, 1.0)
        angles.append(round(torch.rad2deg(torch.acos(cos)).mean().item(), 10))
    return angles


def _loss_and_copy(model: nn.Module, x: Tensor, y: Tensor) -> tuple[nn.Module, Tensor]:
    if len(x) != len(y) or len(x) < 2:
        raise ValueError(f"x and y must hold the same number (at least 2) of samples, but got "
                         f"{len(x)} and {len(y)}")
    twin = copy.deepcopy(model).train()
    loss = nn.functional.cross_entropy(twin(x), y)
    return twin, loss


def weight_gradient_std(model: nn.Module, x: Tensor, y: Tensor) -> list[float]:
    """Standard deviation of the cross-entropy gradient of every linear layer's weight.

    The gradient :math:`\\partial\\mathcal L/\\partial W` of each ``nn.Linear`` (in module
    order) on the batch ``(x, y)``, computed on a copy of the model in training mode (BN
    with the batch's statistics, as in a training step); its entries' population standard
    deviation says how large that layer's SGD steps are. Vanishing gradients show as
    values that fall by orders of magnitude towards the first layer.

    Args:
        model: a classifier with linear layers, returning logits.
        x: a batch of inputs (at least 2).
        y: their labels.

    Returns:
        One float per linear layer, first layer first.

    Raises:
        ValueError: ``x`` and ``y`` differ in length or hold fewer than 2 samples, or the
            model has no linear layer.

    Examples:
        >>> net = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
        >>> len(weight_gradient_std(net, torch.randn(8, 4), torch.randint(0, 2, (8,))))
        2
    """
    twin, loss = _loss_and_copy(model, x, y)
    weights = [m.weight for m in twin.modules() if isinstance(m, nn.Linear)]
    if not weights:
        raise ValueError("model must contain at least one nn.Linear layer, but got none")
    grads = torch.autograd.grad(loss, weights)
    return [g.double().std(correction=0).item() for g in grads]


def loss_along_gradient(
    model: nn.Module, x: Tensor, y: Tensor, step_sizes: Sequence[float]
) -> list[float]:
    """The loss after one gradient step of each size: how far the gradient can be trusted.

    With :math:`g = \\nabla_\\theta \\mathcal L(\\theta)` on the batch ``(x, y)`` (all
    parameters, a copy of the model in training mode), returns
    :math:`\\mathcal L(\\theta - \\eta\\, g)` for every :math:`\\eta` in ``step_sizes``.
    On a smooth loss surface the loss keeps falling for larger steps; where it turns up
    sharply, steps of that size overshoot (Santurkar et al., 2018, measure BN's effect on
    training this way). The model is not changed.

    Args:
        model: a classifier returning logits.
        x: a batch of inputs (at least 2).
        y: their labels.
        step_sizes: non-negative step sizes :math:`\\eta` (0 gives the current loss).

    Returns:
        One loss per step size.

    Raises:
        ValueError: a negative or non-finite step size, no step sizes, or a bad batch.

    Examples:
        >>> net = nn.Sequential(nn.Linear(4, 3))
        >>> x, y = torch.randn(16, 4), torch.randint(0, 3, (16,))
        >>> current, after = loss_along_gradient(net, x, y, [0.0, 0.1])
        >>> after < current
        True
    """
    sizes = [float(s) for s in step_sizes]
    if not sizes or any(not math.isfinite(s) or s < 0 for s in sizes):
        raise ValueError(f"step_sizes must be non-negative finite numbers, but got {list(step_sizes)}")
    twin, loss = _loss_and_copy(model, x, y)
    params = [p for p in twin.parameters() if p.requires_grad]
    grads = torch.autograd.grad(loss, params)
    start = [p.detach().clone() for p in params]
    losses = []
    with torch.no_grad():
        for size in sizes:
            for p, p0, g in zip(params, start, grads, strict=True):
                p.copy_(p0 - size * g)
            losses.append(nn.functional.cross_entropy(twin(x), y).item())
    return losses


def probe_along_gradient(
    model: nn.Module, x: Tensor, y: Tensor, step_sizes: Sequence[float]
) -> dict[str, list[float]]:
    """Loss, distance and gradient change after one gradient step of each size.

    :func:`loss_along_gradient` compares networks at equal step sizes :math:`\\eta`; but
    a network with a smaller gradient moves a shorter distance for the same
    :math:`\\eta`. This records, with :math:`g = \\nabla_\\theta\\mathcal L(\\theta)`
    on the batch ``(x, y)`` (all parameters, a copy of the model in training mode), for
    every :math:`\\eta`:

    - ``distance``: :math:`\\lVert\\eta g\\rVert`, how far the parameters moved;
    - ``loss``: :math:`\\mathcal L(\\theta - \\eta g)`;
    - ``gradient_change``: :math:`\\lVert\\nabla\\mathcal L(\\theta - \\eta g) - g\\rVert /
      \\lVert\\eta g\\rVert`, the "effective :math:`\\beta`-smoothness" of Santurkar et
      al. (2018): how fast the gradient changes per unit of distance along the step
      (small: the gradient stays a good guide). NaN for :math:`\\eta = 0`.

    The model is not changed.

    Args:
        model: a classifier returning logits.
        x: a batch of inputs (at least 2).
        y: their labels.
        step_sizes: non-negative step sizes :math:`\\eta`.

    Returns:
        ``{"distance": [...], "loss": [...], "gradient_change": [...]}``, one entry per
        step size.

    Raises:
        ValueError: a negative or non-finite step size, no step sizes, or a bad batch.

    Examples:
        >>> net = nn.Sequential(nn.Linear(4, 3))
        >>> x, y = torch.randn(16, 4), torch.randint(0, 3, (16,))
        >>> probe = probe_along_gradient(net, x, y, [0.0, 0.1])
        >>> probe["distance"][0], probe["loss"][1] < probe["loss"][0]
        (0.0, True)
    """
    sizes = [float(s) for s in step_sizes]
    if not sizes or any(not math.isfinite(s) or s < 0 for s in sizes):
        raise ValueError(f"step_sizes must be non-negative finite numbers, but got {list(step_sizes)}")
    twin, loss = _loss_and_copy(model, x, y)
    params = [p for p in twin.parameters() if p.requires_grad]
    grads = [g.detach() for g in torch.autograd.grad(loss, params)]
    norm = torch.sqrt(sum(g.double().square().sum() for g in grads)).item()
    start = [p.detach().clone() for p in params]
    result: dict[str, list[float]] = {"distance": [], "loss": [], "gradient_change": []}
    for size in sizes:
        with torch.no_grad():
            for p, p0, g in zip(params, start, grads, strict=True):
                p.copy_(p0 - size * g)
        moved_loss = nn.functional.cross_entropy(twin(x), y)
        moved = torch.autograd.grad(moved_loss, params)
        change = torch.sqrt(sum((a - b).double().square().sum() for a, b in zip(moved, grads, strict=True)))
        distance = size * norm
        result["distance"].append(distance)
        result["loss"].append(moved_loss.item())
        result["gradient_change"].append(change.item() / distance if distance > 0 else float("nan"))
    return result
