r"""Gradient clipping, as torch.nn.utils: by the total norm of all gradients, or by value.

    get_total_norm(grads, p)          total = ‖(‖g₁‖_p, …, ‖g_k‖_p)‖_p  (= ‖all entries‖_p;
                                      p = inf: max |g|, p = 0: how many gᵢ are nonzero, as torch)
    clip_grads_with_norm_(ps, m, t)   gᵢ ← gᵢ · min(1, m / (t + 1e-6))
    clip_grad_norm_(ps, m, p)         the two above; returns total (the norm BEFORE clipping)
    clip_grad_value_(ps, c)           gᵢ ← clamp(gᵢ, −c, c)

All of them act in place on each parameter's ``.grad`` (parameters without one are skipped)
and record nothing. ``foreach`` (torch's choice of a multi-tensor kernel) is accepted and has
no effect: the arithmetic is the same.
"""
import math

import numpy as np

from ...creation import tensor as _new_tensor
from ...tensor import Tensor

__all__ = ["clip_grad_norm_", "clip_grad_value_", "clip_grads_with_norm_", "get_total_norm"]


def _grads(parameters):
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p.grad for p in parameters if p.grad is not None]


def _vector_norm(array, xp, norm_type):
    """‖array‖_p over all its entries (a Python float)."""
    if array.size == 0:
        return 0.0
    magnitude = xp.abs(array)
    if norm_type == math.inf:
        return float(xp.max(magnitude))
    if norm_type == -math.inf:
        return float(xp.min(magnitude))
    if norm_type == 0:
        return float(xp.count_nonzero(array))
    return float(xp.sum(magnitude ** norm_type) ** (1.0 / norm_type))


def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """The p-norm of the per-tensor p-norms (a 0-d tensor of the first tensor's dtype; 0.0 if
    there is none). With ``error_if_nonfinite`` a NaN or infinite total raises RuntimeError."""
    tensors = [tensors] if isinstance(tensors, Tensor) else [t for t in tensors if t is not None]
    norm_type = float(norm_type)
    if not tensors:
        return _new_tensor(0.0)
    first = tensors[0]
    norms = [_vector_norm(t.array, t.backend.xp, norm_type) for t in tensors]
    total = _vector_norm(np.asarray(norms), np, norm_type)
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from "
                           "`parameters` is non-finite, so it cannot be clipped. To disable "
                           "this error and scale the gradients by the non-finite norm anyway, "
                           "set `error_if_nonfinite=False`")
    return Tensor._wrap(first.backend.xp.asarray(total, dtype=first.dtype), first.device)


def clip_grads_with_norm_(parameters, max_norm, total_norm, foreach=None):
    """Scales every ``.grad`` by min(1, max_norm / (total_norm + 1e-6)), in place (a NaN
    total makes them NaN, as torch)."""
    total = float(total_norm)
    coef = min(float(max_norm) / (total + 1e-6), 1.0) if not math.isnan(total) else math.nan
    for g in _grads(parameters):
        g.array[...] = g.array * coef


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False,
                    foreach=None):
    r"""Scales all gradients together so that their total norm is at most ``max_norm``.

        total = ‖(‖g₁‖_p, …, ‖g_k‖_p)‖_p        (p = ``norm_type``; inf: max |g|)
        g_i ← g_i · min(1, max_norm / (total + 1e-6))

    Returns ``total`` (the norm BEFORE clipping) as a 0-d tensor, as torch. With
    ``error_if_nonfinite`` a NaN or infinite total raises RuntimeError (torch's type); otherwise
    such gradients are scaled by NaN as in torch.
    """
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    parameters = list(parameters)  # a generator (model.parameters()) is read twice
    total = get_total_norm(_grads(parameters), norm_type, error_if_nonfinite)
    clip_grads_with_norm_(parameters, max_norm, total)
    return total


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamps every gradient entry into [−clip_value, clip_value], in place."""
    clip_value = float(clip_value)
    for g in _grads(parameters):
        g.array[...] = g.backend.xp.clip(g.array, -clip_value, clip_value)
