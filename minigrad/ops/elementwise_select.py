"""Elementwise selections: each element of the result is one of the inputs (or a bound).

    clip(x, lo, hi)     number bounds (Clip): dy/dx = [lo ≤ x ≤ hi];  tensor bounds
                        (ClampTensor): the derivative goes to whichever of x, lo, hi y is
    maximum, minimum    to the one chosen, ½ to each on a tie
    where(cond, a, b)   to a where cond holds, to b elsewhere

Their derivatives are 0/1 masks, constants of the graph. At a tie, on a bound and at NaN the
conventions are torch's (each class says which); where torch's forward mode differs from its
backward there (clamp with one tensor bound, maximum/minimum at NaN), each mode follows torch's.
"""
import numbers

import numpy as np

from ..autograd import Function
from .._operands import _binary, _const
from ..tensor import Tensor
from ._elementwise_base import _float
from ._tangents import broadcast_tangent
from .shape import broadcast_to, sum_to_shape

__all__ = ["Clip", "ClampTensor", "Maximum", "Minimum", "Where", "clip", "maximum", "minimum",
           "where"]


class Clip(Function):
    """y = min(max(x, lo), hi)      dy/dx = [lo ≤ x ≤ hi]   (1 on the boundary, as torch)"""

    @staticmethod
    def forward(ctx, x, lo, hi):
        ctx.save_for_backward(x)
        ctx.bounds = (lo, hi)
        return x.backend.xp.clip(x.array, lo, hi)

    @staticmethod
    def backward(ctx, grad):
        return grad * _clip_inside(ctx), None, None

    @staticmethod
    def jvp(ctx, tx, _lo, _hi):
        return tx * _clip_inside(ctx)


def _clip_inside(ctx):
    """[lo ≤ x ≤ hi] as a constant (0 at NaN: torch's, both ways)"""
    x, = ctx.saved_tensors
    lo, hi = ctx.bounds
    inside = x.backend.xp.ones(x.shape, dtype=bool)
    if lo is not None:
        inside &= x.array >= lo
    if hi is not None:
        inside &= x.array <= hi
    return _const(inside.astype(x.dtype), x)


class ClampTensor(Function):
    """y = min(max(x, lo), hi) with tensor bounds (either may be None), broadcast together

        dy/dx  = [lo ≤ x ≤ hi]
        dy/dlo = [x < lo]·[lo < hi]      (no hi: [x < lo])
        dy/dhi = [x > hi] or [hi < lo]   (no lo: [x > hi])

    torch's rules, ties included: on a bound x keeps the gradient; where lo > hi the result is
    hi and hi gets it. A NaN anywhere gives NaN and no gradient to anyone.

    jvp: the tangent of the one that y equals, chosen as torch's forward mode chooses it
    (clamp_jvp), which differs from its backward at a tie with a single bound and at NaN:

        both bounds   hi's where lo > hi, else lo's where x < lo, hi's where x > hi, else x's
        lo only       x's where x > lo, else lo's  (so lo's on the tie x = lo, and at NaN)
        hi only       x's where x < hi, else hi's
    """

    @staticmethod
    def forward(ctx, x, lo, hi):
        xp = x.backend.xp
        ctx.save_for_backward(x, lo, hi)
        y = x.array if lo is None else xp.maximum(x.array, lo.array)
        return y if hi is None else xp.minimum(y, hi.array)

    @staticmethod
    def backward(ctx, grad):
        x, lo, hi = ctx.saved_tensors
        above_lo = True if lo is None else x.array >= lo.array
        below_hi = True if hi is None else x.array <= hi.array
        grads = [None, None, None]
        if ctx.needs_input_grad[0]:
            grads[0] = sum_to_shape(grad * _mask(above_lo & below_hi, grad), x.shape)
        if lo is not None and ctx.needs_input_grad[1]:
            to_lo = (x.array < lo.array) & (True if hi is None else lo.array < hi.array)
            grads[1] = sum_to_shape(grad * _mask(to_lo, grad), lo.shape)
        if hi is not None and ctx.needs_input_grad[2]:
            to_hi = (x.array > hi.array) | (False if lo is None else hi.array < lo.array)
            grads[2] = sum_to_shape(grad * _mask(to_hi, grad), hi.shape)
        return tuple(grads)

    @staticmethod
    def jvp(ctx, tx, tlo, thi):
        x, lo, hi = ctx.saved_tensors
        xp = x.backend.xp
        X, LO, HI = 0, 1, 2   # which tangent each element of y takes
        if hi is None:
            source = xp.where(x.array > lo.array, X, LO)
        elif lo is None:
            source = xp.where(x.array < hi.array, X, HI)
        else:
            source = xp.where(lo.array > hi.array, HI, xp.where(
                x.array < lo.array, LO, xp.where(x.array > hi.array, HI, X)))
        terms = [None if t is None else t * _const((source == k).astype(t.dtype), t)
                 for k, t in ((X, tx), (LO, tlo), (HI, thi))]
        return broadcast_tangent(source.shape, *terms)


def _mask(condition, like):
    """A 0/1 constant of ``like``'s dtype, broadcast to its shape."""
    xp = like.backend.xp
    return _const(xp.broadcast_to(xp.asarray(condition), like.shape).astype(like.dtype), like)


class Maximum(Function):
    """z = max(a, b)      dz/da = [a > b] + ½[a = b],  dz/db = [b > a] + ½[a = b]

    jvp: w·ta + (1 − w)·tb with w = dz/da, as torch's forward mode; where a or b is NaN, w = 0
    (tb's tangent; the backward gives the gradient to both sides there, as torch's).
    """

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a.backend.xp.maximum(a.array, b.array)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return _select_grads(ctx, grad, a, b, a.array > b.array, b.array > a.array)

    @staticmethod
    def jvp(ctx, ta, tb):
        a, b = ctx.saved_tensors
        return _select_tangent(ta, tb, a, b, a.array > b.array)


class Minimum(Function):
    """z = min(a, b)      dz/da = [a < b] + ½[a = b],  dz/db = [b < a] + ½[a = b]

    jvp: w·ta + (1 − w)·tb with w = dz/da, as Maximum's (w = 0 at NaN, as torch's).
    """

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a.backend.xp.minimum(a.array, b.array)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return _select_grads(ctx, grad, a, b, a.array < b.array, b.array < a.array)

    @staticmethod
    def jvp(ctx, ta, tb):
        a, b = ctx.saved_tensors
        return _select_tangent(ta, tb, a, b, a.array < b.array)


def _select_grads(ctx, grad, a, b, a_wins, b_wins):
    """Gradients of an elementwise selection, torch's rule: each side keeps the gradient unless
    it lost (then 0) or tied (then ½). A NaN neither loses nor ties, so a NaN side keeps it."""
    xp = a.backend.xp
    tie = a.array == b.array
    wa = xp.where(tie, 0.5, xp.where(b_wins, 0.0, 1.0)).astype(grad.dtype)
    wb = xp.where(tie, 0.5, xp.where(a_wins, 0.0, 1.0)).astype(grad.dtype)
    ga = sum_to_shape(grad * _const(wa, a), a.shape) if ctx.needs_input_grad[0] else None
    gb = sum_to_shape(grad * _const(wb, b), b.shape) if ctx.needs_input_grad[1] else None
    return ga, gb


def _select_tangent(ta, tb, a, b, a_wins):
    """The tangent of an elementwise selection, torch's forward rule: w·ta + (1 − w)·tb with
    w = 1 where a wins, ½ on a tie, 0 where b wins or either is NaN."""
    xp = a.backend.xp
    w = xp.where(a.array == b.array, 0.5, a_wins).astype(a.dtype)
    return broadcast_tangent(w.shape, None if ta is None else ta * _const(w, a),
                             None if tb is None else tb * _const(1 - w, b))


class Where(Function):
    """z = a where cond else b      dz/da = [cond], dz/db = [not cond]

    Linear in (a, b): its jvp is where(cond, ta, tb), a zero for a missing tangent.
    """

    @staticmethod
    def forward(ctx, cond, a, b):
        ctx.shapes = (a.shape, b.shape)
        ctx.save_for_backward(cond)   # so that writing into cond later is caught
        return a.backend.xp.where(cond.array, a.array, b.array)

    @staticmethod
    def backward(ctx, grad):
        sa, sb = ctx.shapes
        (cond,) = ctx.saved_tensors
        mask = _const(cond.array.astype(grad.dtype), grad)
        ga = sum_to_shape(grad * mask, sa) if ctx.needs_input_grad[1] else None
        gb = sum_to_shape(grad * (1 - mask), sb) if ctx.needs_input_grad[2] else None
        return None, ga, gb

    @staticmethod
    def jvp(ctx, _, ta, tb):
        (cond,) = ctx.saved_tensors
        return where(cond, 0.0 if ta is None else ta, 0.0 if tb is None else tb)


# ---- the functions that apply them -----------------------------------------------------------

def clip(x, min=None, max=None):  # noqa: A002
    """Limits x to [min, max] (either may be None), as torch.clamp. The bounds are numbers, or
    tensors (broadcast with x; see ClampTensor for where the gradient goes)."""
    _float(x, "clip")
    if min is None and max is None:
        raise ValueError("clip needs at least one of min and max")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        lo = None if min is None else _binary(x, min, "clamp", broadcast=False)[1]
        hi = None if max is None else _binary(x, max, "clamp", broadcast=False)[1]
        shapes = [t.shape for t in (x, lo, hi) if t is not None]
        try:
            np.broadcast_shapes(*shapes)
        except ValueError:
            raise ValueError(f"clamp: x and the bounds have shapes {shapes}, which do not "
                             "broadcast together") from None
        return ClampTensor.apply(x, lo, hi)
    for name, v in (("min", min), ("max", max)):
        if v is not None and not isinstance(v, numbers.Real):
            raise TypeError(f"clip: {name} must be a number, got {type(v).__name__}")
    if min is not None and max is not None and min > max:
        raise ValueError(f"clip: min {min} is larger than max {max}")
    return Clip.apply(x, min, max)


def maximum(a, b):
    return Maximum.apply(*_binary(a, b, "maximum"))


def minimum(a, b):
    return Minimum.apply(*_binary(a, b, "minimum"))


def where(condition, a, b):
    """Elements of a where condition holds, else of b (all three broadcast together)."""
    if not isinstance(condition, Tensor) or condition.dtype.kind != "b":
        raise TypeError("where: condition must be a bool Tensor (e.g. x > 0)")
    a, b = _binary(a, b, "where")
    try:
        np.broadcast_shapes(condition.shape, a.shape, b.shape)
    except ValueError:
        raise ValueError(f"where: condition {condition.shape}, a {a.shape} and b {b.shape} do "
                         "not broadcast together") from None
    full = np.broadcast_shapes(condition.shape, a.shape, b.shape)
    cond = Tensor._wrap(condition.backend.xp.broadcast_to(condition.array, full), a.device)
    return Where.apply(cond, broadcast_to(a, full), broadcast_to(b, full))
