"""Normalisation as compositions of ops (so every derivative, of any order, comes from them).

    batch / layer norm:  y = (x − μ) / √(σ² + eps)        μ, σ² the mean and the *biased*
                                                           variance over the normalised axes
    Lp normalise:        y = x / max(‖x‖_p, eps)           along one axis (torch's normalize)

The norms themselves are Functions (L2Norm, LpNorm): torch's subgradients where ‖·‖ has a kink
(a zero vector, a zero entry for p ≤ 1, tied entries for p = ∞), and scaled so that no power
of |x| overflows.

Written with Tensor ops rather than a fused kernel: the backward of the standardisation
(dx = (g − mean(g) − x̂·mean(g·x̂)) / σ) then needs no code of its own and stays differentiable.
"""
import numpy as np

import math

from ..autograd import Function, backward_is_differentiated
from ..tensor import Tensor
from .elementwise import where


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
        s = xp.abs(centred.array).max(axis=axes, keepdims=True)
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
    return x / clamp_min(L2Norm.apply(x, axis), eps)


def lp_normalize(x, p, axis, eps):
    """x / max(‖x‖_p along axis, eps)"""
    return x / clamp_min(lp_norm(x, p, axis), eps)


def clamp_min(n, eps):
    return ClampMin.apply(n, float(eps))


class ClampMin(Function):
    """y = max(n, eps)      dy/dn = [n ≥ eps]

    torch's clamp_min: the whole gradient at the tie n = eps (maximum would split it ½/½), and
    selected rather than multiplied by the mask, so an infinite gradient arriving where n < eps
    gives 0, not inf·0 = NaN (x/max(‖x‖, eps) with x holding inf sends one). NaN stays NaN.
    (jvp: t where n ≥ eps, else 0)
    """

    @staticmethod
    def forward(ctx, n, eps):
        ctx.keep = ~(n.array < eps)
        return n.backend.xp.where(ctx.keep, n.array, eps).astype(n.dtype)

    @staticmethod
    def backward(ctx, grad):
        return where(Tensor._wrap(ctx.keep, grad.device), grad, 0.0), None

    @staticmethod
    def jvp(ctx, tn, t_eps):
        return where(Tensor._wrap(ctx.keep, tn.device), tn, 0.0)


def lp_norm(x, p, axis):
    """‖x‖_p along axis (kept): L2Norm for p = 2, else LpNorm."""
    return L2Norm.apply(x, axis) if p == 2 else LpNorm.apply(x, float(p), axis)


class L2Norm(Function):
    """n = ‖x‖₂ along axis (kept)      dn/dx = x / n,  and 0 where n = 0 (a subgradient, as torch)

    Composed as sqrt(Σx²) the derivative at a zero vector is ∞·0 = NaN; torch's norm backward
    uses the subgradient 0 there, which keeps normalize and info_nce finite on a zero row.
    jvp: Σ (x/n)·t along axis, 0 where n = 0 (torch's norm jvp); x/n ≤ 1, so no overflow.
    """

    saves_output = True   # backward reads the output kept on ctx

    @staticmethod
    def forward(ctx, x, axis):
        ctx.axis = axis
        xp = x.backend.xp
        # ‖x‖ = s·‖x/s‖ with s = max|x|: x² would overflow for |x| ≳ 1e154 (and underflow
        # below 1e-154), where torch, which scales too, still gives the norm
        with np.errstate(over="ignore", invalid="ignore"):
            s = xp.abs(x.array).max(axis=axis, keepdims=True) if x.array.size else None
        # squares overflow above √max and lose digits below √tiny: 1e150 / 1e-150 in float64,
        # 1e18 / 1e-18 in float32 (thresholds of the tensor's own dtype: no cast that overflows)
        big, small = (1e150, 1e-150) if x.dtype == np.float64 else (1e18, 1e-18)
        if s is None or not bool(((s > big) | ((s < small) & (s > 0))).any()):
            norm = xp.sqrt((x.array * x.array).sum(axis=axis, keepdims=True))
        else:
            s = xp.where(xp.isfinite(s) & (s > 0), s, 1).astype(x.dtype)
            norm = s * xp.sqrt(((x.array / s) ** 2).sum(axis=axis, keepdims=True))
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
        if backward_is_differentiated():  # second order: build n from x again so its dependence is recorded
            safe = where(Tensor._wrap(n != 0, x.device), L2Norm.apply(x, ctx.axis), safe)
        return grad * x / safe * nonzero, None

    @staticmethod
    def jvp(ctx, tx, t_axis):
        (x,) = ctx.saved_tensors
        n = ctx.norm
        zero = Tensor._wrap(n == 0, x.device)
        norm = L2Norm.apply(x, ctx.axis) if backward_is_differentiated() else \
            Tensor._wrap(n, x.device)
        safe = where(zero, 1.0, norm)
        return where(zero, 0.0, (x / safe * tx).sum(axis=ctx.axis, keepdims=True))


class LpNorm(Function):
    """n = (Σ|x|^p)^(1/p) along axis (kept);  p = ∞: max|x|,  p = −∞: min|x|,  p = 0: #{x ≠ 0}

        dn/dx = sign(x)·(|x|/n)^(p−1)            (p = 1: sign(x); for p < 1, 0 at x = ±∞)
        p = ±∞: sign(x)·[|x| = n] / #{|x| = n}   (tied entries share it; a NaN counts as hit)
        p = 0:  0                                (n is a step function of x)

    with torch's subgradients: 0 at an entry x = 0 (where, for p < 1, (|x|/n)^(p−1) is ∞) and
    0 everywhere when n = 0. Computed as s·(Σ(|x|/s)^p)^(1/p) with s = max|x|, so |x|^p does
    not overflow (torch's does, for |x|^p > 1e308: a deliberate difference, as L2Norm's).
    """

    saves_output = True   # backward reads the output kept on ctx

    @staticmethod
    def forward(ctx, x, p, axis):
        ctx.p, ctx.axis = p, axis
        xp = x.backend.xp
        size = x.array.ndim and x.array.shape[axis]
        a = xp.abs(x.array)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            if math.isinf(p):
                norm = a.max(axis=axis, keepdims=True) if p > 0 else a.min(axis=axis,
                                                                         keepdims=True)
            elif p == 0:
                norm = (a != 0).sum(axis=axis, keepdims=True).astype(x.dtype)
            elif p == 1:
                norm = a.sum(axis=axis, keepdims=True)
            else:
                s = a.max(axis=axis, keepdims=True) if size else xp.ones_like(
                    a.sum(axis=axis, keepdims=True))
                s = xp.where(xp.isfinite(s) & (s > 0), s, 1).astype(x.dtype)
                norm = s * ((a / s) ** p).sum(axis=axis, keepdims=True) ** (1.0 / p)
        ctx.save_for_backward(x)
        ctx.norm = norm
        return norm

    @staticmethod
    def backward(ctx, grad):
        derivative = _lp_norm_derivative(ctx)
        if derivative is None:   # p = 0: zero, not grad·0 (NaN where the upstream grad is ±inf)
            x = ctx.saved_tensors[0]
            return Tensor._wrap(x.backend.xp.zeros_like(x.array), x.device), None, None
        return grad * derivative, None, None

    @staticmethod
    def jvp(ctx, tx, t_p, t_axis):
        """Σ (dn/dx)·t along axis, with the backward's dn/dx (torch's norm jvp, kinks too)."""
        derivative = _lp_norm_derivative(ctx)
        if derivative is None:   # p = 0: n is a step function
            return Tensor._wrap(tx.backend.xp.zeros_like(ctx.norm), tx.device)
        return (derivative * tx).sum(axis=ctx.axis, keepdims=True)


def _lp_norm_derivative(ctx):
    """dn/dx of an LpNorm node, shaped like x (see LpNorm's docstring); None for p = 0."""
    (x,) = ctx.saved_tensors
    p, axis, n = ctx.p, ctx.axis, ctx.norm
    xp = x.backend.xp

    def const(array):
        return Tensor._wrap(xp.asarray(array).astype(x.dtype), x.device)

    if p == 0:
        return None
    sign = const(xp.sign(x.array))
    if p == 1:
        return sign
    if math.isinf(p):
        a = xp.abs(x.array)
        hit = (a == n) | xp.isnan(a)
        return sign * const(hit / hit.sum(axis=axis, keepdims=True))
    norm = const(n)
    if backward_is_differentiated():   # second order: n as a function of x, its dependence kept
        norm = LpNorm.apply(x, p, axis)
    # (|x|/n)^(p−1) only where x ≠ 0 and n ≠ 0 (for p < 0 a zero entry makes n = 0 with
    # other entries ≠ 0) and, for p < 1, |x| < ∞ (where it is 0): elsewhere |x| is replaced
    # by 1 and n = 0 by 1 before dividing and raising, so that neither the value nor its
    # derivative is 0·∞ there (a NaN x gives NaN, via sign(x))
    regular = (x.array != 0) & (n != 0)
    if p < 1:
        regular &= ~xp.isinf(x.array)
    regular = Tensor._wrap(regular, x.device)
    ratio = where(regular, x.abs(), 1.0) / where(Tensor._wrap(n != 0, x.device), norm, 1.0)
    return sign * where(regular, ratio ** (p - 1), 0.0)
