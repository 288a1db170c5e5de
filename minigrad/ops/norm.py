"""Normalisation as compositions of ops (so every derivative, of any order, comes from them).

    batch / layer norm:  y = (x − μ) / √(σ² + eps)        μ, σ² the mean and the *biased*
                                                           variance over the normalised axes
    L2 normalise:        y = x / max(‖x‖₂, eps)            along one axis (torch's normalize)

Written with Tensor ops rather than a fused kernel: the backward of the standardisation
(dx = (g − mean(g) − x̂·mean(g·x̂)) / σ) then needs no code of its own and stays differentiable.
"""
import numpy as np

from ..autograd import Function, is_grad_enabled
from ..tensor import Tensor
from .elementwise import maximum, where


def standardize(x, axes, eps):
    """(x − mean) / sqrt(biased var + eps) over ``axes``; returns (x̂, mean, biased var).

    With c = x − mean and a scale s ≥ 1 held constant, this is computed as

        x̂ = (c/s) / sqrt(mean((c/s)²) + eps/s²),     var = s²·mean((c/s)²)

    which is the same function of x for every constant s, so values and derivatives of every
    order are exact; s = max(max|c|, 1) only keeps c² from overflowing for |c| near 1e154 and
    beyond (there c² is inf and x̂ came out 0; torch gives NaN). s = 1 for ordinary inputs.
    """
    mean = x.mean(axis=axes, keepdims=True)
    centred = x - mean
    xp = x.backend.xp
    with _ignore_overflow():
        s = xp.abs(centred.data).max(axis=axes, keepdims=True)
    s = xp.where(xp.isfinite(s) & (s > 1), s, 1).astype(x.dtype)
    if not bool((s != 1).any()):    # the ordinary case: no rescaling, the plain formula
        var = (centred * centred).mean(axis=axes, keepdims=True)
        return centred / (var + eps).sqrt(), mean, var
    scale = Tensor._wrap(s, x.device)
    scaled = centred / scale
    mean_square = (scaled * scaled).mean(axis=axes, keepdims=True)
    with _ignore_overflow():  # var itself may be inf in the dtype (as it honestly is); x̂ is not
        var = mean_square * (scale * scale)
        return scaled / (mean_square + Tensor._wrap(eps / (s * s), x.device)).sqrt(), mean, var


def _ignore_overflow():
    return np.errstate(over="ignore", invalid="ignore")


def l2_normalize(x, axis, eps):
    """x / max(‖x‖₂ along axis, eps)  (the max is torch's clamp_min(eps) on the norm)"""
    return x / maximum(L2Norm.apply(x, axis), eps)


class L2Norm(Function):
    """n = ‖x‖₂ along axis (kept)      dn/dx = x / n,  and 0 where n = 0 (a subgradient, as torch)

    Composed as sqrt(Σx²) the derivative at a zero vector is ∞·0 = NaN; torch's norm backward
    uses the subgradient 0 there, which keeps normalize and info_nce finite on a zero row.
    """

    saves_output = True   # backward reads the output kept on ctx

    @staticmethod
    def forward(ctx, x, axis):
        ctx.axis = axis
        xp = x.backend.xp
        # ‖x‖ = s·‖x/s‖ with s = max|x|: x² would overflow for |x| ≳ 1e154 (and underflow
        # below 1e-154), where torch, which scales too, still gives the norm
        with np.errstate(over="ignore", invalid="ignore"):
            s = xp.abs(x.data).max(axis=axis, keepdims=True) if x.data.size else None
        if s is None or not bool(((s > 1e150) | ((s < 1e-150) & (s > 0))).any()):
            norm = xp.sqrt((x.data * x.data).sum(axis=axis, keepdims=True))
        else:
            s = xp.where(xp.isfinite(s) & (s > 0), s, 1).astype(x.dtype)
            norm = s * xp.sqrt(((x.data / s) ** 2).sum(axis=axis, keepdims=True))
        ctx.save_for_backward(x)
        ctx.norm = norm
        return norm

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        xp = x.backend.xp
        n = ctx.norm
        safe = Tensor._wrap(xp.where(n == 0, 1, n).astype(x.dtype), x.device)
        nonzero = Tensor._wrap((n != 0).astype(x.dtype), x.device)
        if is_grad_enabled():  # second order: build n from x again so its dependence is recorded
            safe = where(Tensor._wrap(n != 0, x.device), L2Norm.apply(x, ctx.axis), safe)
        return grad * x / safe * nonzero, None
