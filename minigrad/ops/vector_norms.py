"""Vector norms over dims: torch.linalg.vector_norm and torch.norm.

    ord = 2       ‖x‖₂ = √Σx²              d/dx = x/‖x‖, 0 where ‖x‖ = 0   (L2Norm, ops/norm.py)
    ord = 1       Σ|x|                     d/dx = sign(x)
    ord = ±inf    max|x| / min|x|          ties share the gradient (amax/amin of |x|)
    ord = 0       #{x ≠ 0} (NaN counts)    d/dx = 0
    other p       (Σ|x|ᵖ)^(1/p)            d/dx = sign(x)·|x|^(p−1) / ‖x‖_p^(p−1)

The last is the Function ``PNorm``; its gradient follows torch's norm_backward where the
formula divides by 0: where ‖x‖_p = 0 it is 0 (p > 1), and for p < 1 it is 0 where x = 0.
The 2-norm is L2Norm, which scales by max|x| first: it does not overflow for |x| ~ 1e200,
where torch's gives inf (a deliberate difference, the one of normalize: README).
"""
import math
import numbers

import numpy as np

from ..autograd import Function, backward_is_differentiated
from ..tensor import Tensor
from .elementwise import where
from .norm import L2Norm
from .reduce import amax, amin, normalize_axes, sum
from .rounding import Step, sign
from .shape import reshape

__all__ = ["vector_norm", "norm"]


class PNorm(Function):
    """n = (Σ|x|ᵖ)^(1/p) over ``axes`` (kept), p not 0, 1, 2 or ±inf

    dn/dx = sign(x)·|x|^(p−1) / n^(p−1)
          = sign(x)·|x|^(p−1) · n^(1−p)       (p < 1; 0 where x = 0, as torch)
          = 0 where n = 0                      (p > 1, as torch)
    (jvp: Σ (dn/dx)·t, the same derivative)
    """

    saves_output = True   # backward reads the output kept on ctx

    @staticmethod
    def forward(ctx, x, axes, p):
        ctx.save_for_backward(x)
        ctx.axes, ctx.p = axes, p
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            ctx.y = (x.backend.xp.abs(x.array) ** p).sum(axis=axes, keepdims=True) ** (1.0 / p)
        return ctx.y

    @staticmethod
    def backward(ctx, grad):
        return _pnorm_derivative(ctx, grad), None, None

    @staticmethod
    def jvp(ctx, tx, t_axes, t_p):
        """Σ (dn/dx)·t over the axes, with the backward's dn/dx (torch's norm jvp)."""
        return (_pnorm_derivative(ctx, 1.0) * tx).sum(axis=ctx.axes, keepdims=True)


def _pnorm_derivative(ctx, grad):
    """grad·dn/dx of a PNorm node, shaped like x (see PNorm's docstring): grad the upstream
    gradient, or 1.0 for dn/dx itself. grad enters before the 0 of a zero norm is selected,
    so an infinite upstream gradient gives 0 there, not inf·0 = NaN."""
    (x,), p = ctx.saved_tensors, ctx.p
    n = PNorm.apply(x, ctx.axes, p) if backward_is_differentiated() else \
        Tensor._wrap(ctx.y, x.device)
    magnitude = x.abs()
    if p < 1:   # |x|^(p−1) is infinite at x = 0, where torch takes 0
        at_zero = Tensor._wrap(x.array == 0, x.device)
        power = where(at_zero, 0.0, where(at_zero, 1.0, magnitude) ** (p - 1))
        return sign(x) * power * grad * n ** (1 - p)
    zero_norm = Tensor._wrap(n.array == 0, x.device)
    scale = where(zero_norm, 0.0, grad / where(zero_norm, 1.0, n) ** (p - 1))
    return sign(x) * magnitude ** (p - 1) * scale


def vector_norm(x, ord=2, dim=None, keepdim=False):  # noqa: A002  (torch's name)
    """‖x‖_ord over ``dim`` (an int, a tuple, None or (): every axis), as
    torch.linalg.vector_norm (see the module docstring for each ord)."""
    if not isinstance(x, Tensor) or x.dtype.kind != "f":
        raise TypeError(f"vector_norm needs a floating-point Tensor, got "
                        f"{getattr(x, 'dtype', type(x).__name__)}")
    if not isinstance(ord, numbers.Real) or isinstance(ord, bool):
        raise TypeError(f"vector_norm: ord must be a number, got {ord!r}")
    axes = normalize_axes(dim, x.ndim)
    kept = tuple(s for i, s in enumerate(x.shape) if i not in axes)
    if ord < 0 and any(x.shape[a] == 0 for a in axes):
        raise ValueError(f"vector_norm: ord={ord} of an empty slice (shape {x.shape}, dims "
                         f"{axes}) has no value (no identity), as in torch")
    if ord == math.inf:
        return amax(x.abs(), axes, keepdim)
    if ord == -math.inf:
        return amin(x.abs(), axes, keepdim)
    if ord == 0:
        return sum(Step.apply(x, lambda a: (a != 0).astype(a.dtype)), axes, keepdim)
    if ord == 1:
        return sum(x.abs(), axes, keepdim)
    with np.errstate(over="ignore"):   # L2Norm's float64 thresholds, cast to float32
        norm = L2Norm.apply(x, axes) if ord == 2 else PNorm.apply(x, axes, float(ord))
    return norm if keepdim else reshape(norm, kept)


def norm(x, p="fro", dim=None, keepdim=False):
    """torch.norm: ``p`` "fro" (or None) is the 2-norm of the elements over ``dim``, a number
    the vector p-norm (``vector_norm``). "nuc" is not here (minigrad.penalties has the nuclear
    norm)."""
    if p is None or p == "fro":
        p = 2
    elif isinstance(p, str):
        raise ValueError(f"norm: p={p!r} is not supported (use 'fro' or a number)")
    return vector_norm(x, p, dim, keepdim)
