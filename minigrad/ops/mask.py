"""Masking: the triangles of a matrix (tril, triu) and masked_fill.

Each keeps some elements of x and overwrites the others with a constant, so its gradient is g
where an element was kept and 0 where it was overwritten: the same op applied to g, which makes
it differentiable to any order. Elements are overwritten (numpy's ``where``), never multiplied
by a 0/1 mask, so an inf or NaN in the overwritten part cannot turn into a NaN (inf·0).
"""
import numbers

import numpy as np

from .._operands import _const
from ..autograd import Function
from ..tensor import Tensor
from .inplace import share_versions
from .shape import broadcast_to


class Triangle(Function):
    """y = x on and below the k-th diagonal (lower) or on and above it (upper) of the last two
    axes, 0 elsewhere      dy/dx: g ↦ the same triangle of g   (linear: jvp too)"""

    @staticmethod
    def forward(ctx, x, diagonal, upper):
        ctx.diagonal, ctx.upper = diagonal, upper
        xp = x.backend.xp
        rows, cols = x.shape[-2:]
        # tri(k) marks j - i <= k: the lower triangle up to diagonal k; the upper one from
        # diagonal k is what tri(k - 1) leaves out
        keep = ~xp.tri(rows, cols, diagonal - 1, dtype=bool) if upper else \
            xp.tri(rows, cols, diagonal, dtype=bool)
        return xp.where(keep, x.array, xp.zeros((), x.dtype))

    @staticmethod
    def backward(ctx, grad):
        return Triangle.apply(grad, ctx.diagonal, ctx.upper), None, None

    @staticmethod
    def jvp(ctx, tx, _, __):
        return Triangle.apply(tx, ctx.diagonal, ctx.upper)


def _triangle(x, diagonal, upper):
    name = "triu" if upper else "tril"
    if not isinstance(x, Tensor):
        raise TypeError(f"{name} expects a Tensor, got {type(x).__name__}")
    if x.ndim < 2:
        raise ValueError(f"{name} needs a tensor of at least 2 dimensions (a matrix or a batch "
                         f"of them), got shape {x.shape}")
    if not isinstance(diagonal, numbers.Integral):
        raise TypeError(f"{name}: diagonal must be an integer, got {diagonal!r}")
    return Triangle.apply(x, int(diagonal), upper)


def tril(x, diagonal=0):
    """The lower triangle of each matrix of x (the last two axes): the elements on and below
    the ``diagonal``-th diagonal (0 the main one, > 0 above it, < 0 below); 0 elsewhere."""
    return _triangle(x, diagonal, upper=False)


def triu(x, diagonal=0):
    """The upper triangle of each matrix of x: the elements on and above the ``diagonal``-th
    diagonal; 0 elsewhere."""
    return _triangle(x, diagonal, upper=True)


class MaskedFill(Function):
    """y = value where mask, else x
    dy/dx: g ↦ masked_fill(g, mask, 0);   dy/dvalue = Σ g over the places the mask holds
    (jvp: tvalue where mask, else tx; 0 for a missing one)"""

    @staticmethod
    def forward(ctx, x, mask, value):
        ctx.save_for_backward(mask)   # an in-place write into the mask later is caught
        return x.backend.xp.where(mask.array, value.array, x.array)

    @staticmethod
    def backward(ctx, grad):
        mask, = ctx.saved_tensors
        zero = _const(grad.backend.xp.zeros((), grad.dtype), grad)
        gx = MaskedFill.apply(grad, mask, zero) if ctx.needs_input_grad[0] else None
        gvalue = MaskedFill.apply(grad, ~mask, zero).sum() if ctx.needs_input_grad[2] else None
        return gx, None, gvalue

    @staticmethod
    def jvp(ctx, tx, _, tvalue):
        mask, = ctx.saved_tensors
        x = ctx.inputs[0]
        if tx is None:
            tx = _const(x.backend.xp.zeros(x.shape, x.dtype), x)
        if tvalue is None:
            tvalue = _const(x.backend.xp.zeros((), x.dtype), x)
        return MaskedFill.apply(tx, mask, tvalue)


def masked_fill(x, mask, value):
    """x with ``value`` (a number or a 0-d tensor) where the bool ``mask`` holds
    (torch.masked_fill; mask broadcasts with x). Differentiable in x (0 where masked) and in a
    value tensor (the sum of g over the mask)."""
    if not isinstance(x, Tensor):
        raise TypeError(f"masked_fill expects a Tensor, got {type(x).__name__}")
    if not isinstance(mask, Tensor) or mask.dtype != np.bool_:
        raise TypeError("masked_fill: mask must be a bool Tensor (e.g. x > 0 or "
                        f"mask.bool()), got {getattr(mask, 'dtype', type(mask).__name__)}")
    try:
        full = np.broadcast_shapes(x.shape, mask.shape)
    except ValueError:
        raise ValueError(f"masked_fill: mask of shape {mask.shape} does not broadcast with the "
                         f"tensor's shape {x.shape}") from None
    if mask.shape != full:   # a view of the user's mask, sharing its version counter
        mask = share_versions(Tensor._wrap(mask.backend.xp.broadcast_to(mask.array, full),
                                           mask.device), mask)
    return MaskedFill.apply(broadcast_to(x, full), mask, _fill_value(value, x))


def _fill_value(value, x):
    """The value as a 0-d tensor of x's dtype: a number, or a 0-d tensor (kept, so that a value
    requiring grad receives its gradient). Nothing is truncated or cast between floats."""
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise ValueError(f"masked_fill: a value tensor must be 0-d, got shape {value.shape}")
        if value.dtype == x.dtype:
            return value
        if x.dtype.kind == "f" and value.dtype.kind != "f":   # an integer value: exact
            return Tensor._wrap(value.array.astype(x.dtype), value.device)
        raise TypeError(f"masked_fill: value is {value.dtype}, the tensor {x.dtype}; convert "
                        "one of them (minigrad does not cast silently)")
    if not isinstance(value, numbers.Real):
        raise TypeError(f"masked_fill: value must be a real number or a 0-d tensor, got {value!r}")
    if x.dtype.kind in "iub" and not float(value).is_integer():
        raise TypeError(f"masked_fill: the value {value} does not fit the tensor's {x.dtype} "
                        "(minigrad does not truncate it silently, torch does)")
    return _const(x.backend.xp.asarray(value, dtype=x.dtype), x)
