"""batch_norm, layer_norm, normalize and cosine_similarity of nn.functional (the layers are
nn/normalization.py); the standardisation and the norms are in ops/norm.py."""
import numbers

import numpy as np

from ..ops import norm as _norm
from ._arguments import _tensor


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    """y = (x − μ)/√(σ² + eps)·γ + β over every axis but the channel axis 1.

    training: μ, σ² are the batch mean and *biased* variance, and the running estimates are
    updated in place as torch does: r ← (1 − momentum)·r + momentum·stat, with the *unbiased*
    variance σ²·m/(m − 1) for running_var (m values per channel). Otherwise: the running ones.
    """
    _tensor(input, "batch_norm: input")
    if input.ndim < 2:
        raise ValueError(f"batch_norm expects (N, C, ...), got shape {input.shape}")
    c = input.shape[1]
    axes = (0,) + tuple(range(2, input.ndim))
    shape = (1, c) + (1,) * (input.ndim - 2)
    if training:
        m = input.numel() // c
        if m <= 1:
            raise ValueError(f"batch_norm: expected more than 1 value per channel when training, "
                             f"got input of shape {input.shape}")
        xhat, mean, var = _norm.standardize(input, axes, eps)
        if running_mean is not None:
            running_mean.array[...] = ((1 - momentum) * running_mean.array
                                      + momentum * mean.array.reshape(c))
        if running_var is not None:
            running_var.array[...] = ((1 - momentum) * running_var.array
                                     + momentum * var.array.reshape(c) * (m / (m - 1)))
    else:
        if running_mean is None or running_var is None:
            raise ValueError("batch_norm: eval mode needs running_mean and running_var")
        mean = running_mean.detach().reshape(shape)
        var = running_var.detach().reshape(shape)
        xhat = (input - mean) / (var + eps).sqrt()
    if weight is not None:
        xhat = xhat * weight.reshape(shape)
    if bias is not None:
        xhat = xhat + bias.reshape(shape)
    return xhat


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """y = (x − μ)/√(σ² + eps)·γ + β over the last len(normalized_shape) axes (biased σ²)."""
    _tensor(input, "layer_norm: input")
    shape = (normalized_shape,) if isinstance(normalized_shape, numbers.Integral) else tuple(
        normalized_shape)
    if tuple(input.shape[input.ndim - len(shape):]) != shape:
        raise ValueError(f"layer_norm: normalized_shape {shape} does not match the trailing "
                         f"dimensions of the input {input.shape}")
    axes = tuple(range(input.ndim - len(shape), input.ndim))
    y, _, _ = _norm.standardize(input, axes, eps)
    if weight is not None:
        y = y * weight
    if bias is not None:
        y = y + bias
    return y


def normalize(input, p=2.0, dim=1, eps=1e-12):
    """x / max(‖x‖_p, eps) along dim, as torch.nn.functional.normalize.

    ‖x‖_p = (Σ|x|^p)^(1/p) for any real p (p = 2 by default, p = 1, p = ±inf: max/min |x|,
    p = 0: the count of nonzeros); its derivative and torch's subgradients at the kinks are
    ops/norm.py's L2Norm and LpNorm; the max passes the whole gradient to the norm where
    ‖x‖_p ≥ eps (torch's clamp_min).
    """
    _tensor(input, "normalize: input")
    if not isinstance(p, numbers.Real) or isinstance(p, bool) or p != p:
        raise TypeError(f"normalize: p must be a real number, got {p!r}")
    if input.ndim == 0:   # torch: a 0-d tensor is a vector of one along dim 0 (or −1)
        _axis(dim, 1, "normalize")
        return normalize(input.reshape(1), p, 0, eps).reshape(())
    axis = _axis(dim, input.ndim, "normalize")
    if p < 0 and input.shape[axis] == 0:   # min|x| and Σ|x|^p, p < 0, have no empty value
        raise ValueError(f"normalize: the {p} norm of an empty axis is undefined (dim {dim} of "
                         f"shape {input.shape})")
    return _norm.lp_normalize(input, float(p), axis, eps)


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """Σ_dim (x1/max(‖x1‖₂, eps))·(x2/max(‖x2‖₂, eps)), x1 and x2 broadcast together, as torch
    (each normalised first, so the result stays in [−1, 1] and ‖x1‖·‖x2‖ never overflows).

    A deliberate difference in the gradient where 0 < ‖x‖ < eps: torch clamps the norm under
    no_grad, so its gradient still carries the norm's derivative there; here it is the
    derivative of the value computed, x/eps (gradcheck holds).
    """
    _tensor(x1, "cosine_similarity: x1")
    _tensor(x2, "cosine_similarity: x2")
    try:
        shape = np.broadcast_shapes(x1.shape, x2.shape)
    except ValueError:
        raise ValueError(f"cosine_similarity: x1 {x1.shape} and x2 {x2.shape} do not broadcast "
                         "together") from None
    if len(shape) == 0:
        _axis(dim, 1, "cosine_similarity")
        return cosine_similarity(x1.reshape(1), x2.reshape(1), 0, eps).reshape(())
    axis = _axis(dim, len(shape), "cosine_similarity")
    if x1.shape != shape:
        x1 = x1.broadcast_to(shape)
    if x2.shape != shape:
        x2 = x2.broadcast_to(shape)
    return (normalize(x1, 2.0, axis, eps) * normalize(x2, 2.0, axis, eps)).sum(axis=axis)


def _axis(dim, ndim, what):
    if not isinstance(dim, numbers.Integral) or isinstance(dim, bool) or not -ndim <= dim < ndim:
        raise ValueError(f"{what}: dim {dim!r} is out of range for {ndim} dimensions")
    return int(dim) % ndim
