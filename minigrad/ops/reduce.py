"""Reductions: sum, mean, max/min, and the softmax family along an axis.

Reductions take ``axis`` (an int, a tuple, or None for all) and ``keepdims``; torch's names
``dim`` and ``keepdim`` are accepted too by the Tensor methods.
"""
import numbers

import numpy as np

from ..autograd import Function, backward_is_differentiated
from ..backend import array_module
from ..tensor import Tensor
from .shape import _axis, broadcast_to, reshape


_ALL_AXES = [tuple(range(n)) for n in range(33)]


def normalize_axes(axis, ndim):
    """None or () -> all axes (torch's dim=(), not numpy's axis=()); an int or a tuple -> a
    sorted tuple of non-negative axes."""
    if axis is None or (isinstance(axis, (tuple, list)) and len(axis) == 0):
        return _ALL_AXES[ndim]
    if isinstance(axis, numbers.Integral):
        axes = (axis,)
    elif isinstance(axis, (tuple, list)):
        axes = tuple(axis)
    else:
        raise TypeError(f"axis must be an int, a tuple of ints or None, got {axis!r}")
    out = tuple(sorted({_axis(a, ndim) for a in axes}))
    if len(out) != len(axes):
        raise ValueError(f"repeated axis in {axis}")
    if ndim == 0:  # a 0-d tensor reduced over its (only) axis 0 or -1 is itself, as torch
        return ()
    return out


def _kept_shape(shape, axes):
    return tuple(1 if i in axes else s for i, s in enumerate(shape))


class Sum(Function):
    """y = Σ x over ``axes``      dy/dx: g ↦ g broadcast back over the summed axes

    Linear: the jvp is the same sum of the tangent.
    """

    @staticmethod
    def forward(ctx, x, axes, keepdims):
        ctx.in_shape = x.shape
        ctx.axes, ctx.keepdims = axes, keepdims
        everything = len(axes) == x.ndim  # numpy's axis=None path is the fast one
        return x.array.sum(axis=None if everything else axes, keepdims=keepdims)

    @staticmethod
    def backward(ctx, grad):
        kept = _kept_shape(ctx.in_shape, ctx.axes)
        return broadcast_to(reshape(grad, kept), ctx.in_shape), None, None

    @staticmethod
    def jvp(ctx, tx, t_axes, t_keepdims):
        return Sum.apply(tx, ctx.axes, ctx.keepdims)


def _torch_spelling(axis, keepdims, dim, keepdim):
    """The reduced axis and keepdims, given as numpy's ``axis``/``keepdims`` or torch's
    ``dim``/``keepdim`` (``mg.sum(x, dim=1)`` as ``torch.sum``); both spellings at once is an
    error."""
    if dim is not None:
        if axis is not None and axis != -1:
            raise TypeError(f"give axis or dim, not both (axis={axis!r}, dim={dim!r})")
        axis = dim
    return axis, bool(keepdims or keepdim)


def sum(x, axis=None, keepdims=False, *, dim=None, keepdim=False):
    axis, keepdims = _torch_spelling(axis, keepdims, dim, keepdim)
    return Sum.apply(x, normalize_axes(axis, x.ndim), bool(keepdims))


def mean(x, axis=None, keepdims=False, *, dim=None, keepdim=False):
    """y = (1/n) Σ x, n the number of elements reduced"""
    axis, keepdims = _torch_spelling(axis, keepdims, dim, keepdim)
    axes = normalize_axes(axis, x.ndim)
    n = int(np.prod([x.shape[a] for a in axes])) if axes else 1
    if x.dtype.kind != "f":
        raise TypeError(f"mean needs a floating-point tensor, got {x.dtype}")
    return Sum.apply(x, axes, bool(keepdims)) * (1.0 / max(n, 1) if n else float("nan"))


class Amax(Function):
    """y = max x over ``axes``      dy/dx = [x = y] / (number of maximal elements; NaNs count
                                                 as maximal where y is NaN)

    Ties share the gradient evenly (torch's amax); the derivative is 0 for every other
    element, so the second derivative is 0. jvp: Σ t·[x = y] / #ties, the mean of the tied
    elements' tangents, as torch's amax jvp (at a NaN maximum: the NaNs' mean tangent, the
    row the backward uses; torch's jvp gives NaN there).
    """

    @staticmethod
    def forward(ctx, x, axes, keepdims, smallest):
        xp = x.backend.xp
        y_kept = (x.array.min if smallest else x.array.max)(axis=axes, keepdims=True)
        # a NaN is the max (or min) of its slice: the gradient goes to the NaNs there, as torch
        hits = ((x.array == y_kept) | (xp.isnan(x.array) & xp.isnan(y_kept))).astype(x.dtype)
        ctx.weights = hits / hits.sum(axis=axes, keepdims=True)
        ctx.kept = y_kept.shape
        ctx.axes, ctx.keepdims = axes, keepdims
        return y_kept if keepdims else y_kept.reshape([s for i, s in enumerate(x.shape) if i not in axes])

    @staticmethod
    def backward(ctx, grad):
        weights = Tensor._wrap(ctx.weights, grad.device)
        return broadcast_to(reshape(grad, ctx.kept), weights.shape) * weights, None, None, None

    @staticmethod
    def jvp(ctx, tx, t_axes, t_keepdims, t_smallest):
        weights = Tensor._wrap(ctx.weights, tx.device)
        return Sum.apply(tx * weights, ctx.axes, ctx.keepdims)


def _nonempty_axes(x, axis, what):
    """The axes of max/min, none of them empty (an empty slice has no max; as torch, other
    axes may be empty: the result is then empty too)."""
    axes = normalize_axes(axis, x.ndim)
    if x.array.size == 0 and (not axes or any(x.shape[a] == 0 for a in axes)):
        raise ValueError(f"{what} of an empty tensor (shape {x.shape}, reduced over {axes})")
    return axes


def amax(x, axis=None, keepdims=False, *, dim=None, keepdim=False):
    axis, keepdims = _torch_spelling(axis, keepdims, dim, keepdim)
    return Amax.apply(x, _nonempty_axes(x, axis, "max"), bool(keepdims), False)


def amin(x, axis=None, keepdims=False, *, dim=None, keepdim=False):
    axis, keepdims = _torch_spelling(axis, keepdims, dim, keepdim)
    return Amax.apply(x, _nonempty_axes(x, axis, "min"), bool(keepdims), True)


# ---- the softmax family: row kernels along one axis -------------------------------------------

def _to_rows(a, axis):
    """(…, n, …) with ``axis`` moved last and flattened to a C-contiguous (rows, n) array."""
    xp = array_module(a)
    moved = xp.moveaxis(a, axis, -1)
    return xp.ascontiguousarray(moved).reshape(-1, a.shape[axis]), moved.shape


def _from_rows(rows, moved_shape, axis):
    xp = array_module(rows)
    return xp.moveaxis(rows.reshape(moved_shape), -1, axis)


def _run_rows(kernel, *arrays, axis, out_cols=True):
    """A row kernel of the backend (e.g. ``x.backend.softmax_forward``) along ``axis``: the
    arrays as (rows, n), ``kernel(*rows, out)``, and ``out`` moved back. ``out_cols=False``:
    one value per row (logsumexp), the axis dropped."""
    rows = []
    for a in arrays:
        r, moved = _to_rows(a, axis)
        rows.append(r)
    xp = array_module(rows[0])
    out = xp.empty_like(rows[0]) if out_cols else xp.empty(rows[0].shape[0], rows[0].dtype)
    kernel(*rows, out)
    if not out_cols:
        return out.reshape(moved[:-1])
    return _from_rows(out, moved, axis)


class Softmax(Function):
    """yᵢ = e^{xᵢ} / Σⱼ e^{xⱼ} along ``axis``      dy/dx: g ↦ y ⊙ (g − Σⱼ gⱼ yⱼ)

    (jvp: y ⊙ (t − Σⱼ yⱼ tⱼ): the Jacobian diag(y) − y yᵀ is symmetric, so the same formula)
    """

    saves_output = True   # backward reads the output kept on ctx

    @staticmethod
    def forward(ctx, x, axis):
        ctx.axis = axis
        ctx.y = _run_rows(x.backend.softmax_forward, x.array, axis=axis)
        return ctx.y

    @staticmethod
    def backward(ctx, grad):
        x, axis = ctx.inputs[0], ctx.axis
        if not backward_is_differentiated():  # one fused pass per row
            return Tensor._wrap(_run_rows(x.backend.softmax_backward, ctx.y, grad.array,
                                          axis=axis), x.device), None
        y = softmax(x, axis)
        return y * (grad - (grad * y).sum(axis=axis, keepdims=True)), None

    @staticmethod
    def jvp(ctx, tx, t_axis):
        y = _softmax_of_input(ctx, lambda: ctx.y)
        return y * (tx - (tx * y).sum(axis=ctx.axis, keepdims=True))


class LogSoftmax(Function):
    """yᵢ = xᵢ − log Σⱼ e^{xⱼ} along ``axis``      dy/dx: g ↦ g − softmax(x) · Σⱼ gⱼ

    (jvp: t − Σⱼ softmax(x)ⱼ tⱼ, the other side of the Jacobian I − 1·softmax(x)ᵀ)
    """

    saves_output = True   # backward reads the output kept on ctx

    @staticmethod
    def forward(ctx, x, axis):
        ctx.axis = axis
        ctx.y = _run_rows(x.backend.log_softmax_forward, x.array, axis=axis)
        return ctx.y

    @staticmethod
    def backward(ctx, grad):
        x, axis = ctx.inputs[0], ctx.axis
        if not backward_is_differentiated():
            return Tensor._wrap(_run_rows(x.backend.log_softmax_backward, ctx.y, grad.array,
                                          axis=axis), x.device), None
        return grad - softmax(x, axis) * grad.sum(axis=axis, keepdims=True), None

    @staticmethod
    def jvp(ctx, tx, t_axis):
        p = _softmax_of_input(ctx, lambda: ctx.inputs[0].backend.xp.exp(ctx.y))
        return tx - (p * tx).sum(axis=ctx.axis, keepdims=True)


class LogSumExp(Function):
    """y = log Σⱼ e^{xⱼ} along ``axis``      dy/dx = softmax(x)   (jvp: Σⱼ softmax(x)ⱼ tⱼ)"""

    @staticmethod
    def forward(ctx, x, axis, keepdims):
        ctx.axis, ctx.keepdims = axis, keepdims
        ctx.kept = _kept_shape(x.shape, (axis,))
        y = _run_rows(x.backend.logsumexp_forward, x.array, axis=axis, out_cols=False)
        return y.reshape(ctx.kept) if keepdims else y

    @staticmethod
    def backward(ctx, grad):
        x, axis = ctx.inputs[0], ctx.axis
        g = broadcast_to(reshape(grad, ctx.kept), x.shape)
        if not backward_is_differentiated():
            p = _run_rows(x.backend.softmax_forward, x.array, axis=axis)
            return g * Tensor._wrap(p, x.device), None, None
        return g * softmax(x, axis), None, None

    @staticmethod
    def jvp(ctx, tx, t_axis, t_keepdims):
        x = ctx.inputs[0]
        p = _softmax_of_input(ctx, lambda: _run_rows(x.backend.softmax_forward, x.array,
                                                     axis=ctx.axis))
        return (p * tx).sum(axis=ctx.axis, keepdims=ctx.keepdims)


def _softmax_of_input(ctx, from_forward):
    """softmax(x) of the softmax family's input, for a jvp rule: recomputed with ops when the
    tangent's own derivative is being recorded (so its dependence on x is kept), else the
    array ``from_forward()`` (e.g. the saved output) as a constant."""
    x = ctx.inputs[0]
    if backward_is_differentiated():
        return softmax(x, ctx.axis)
    return Tensor._wrap(from_forward(), x.device)


def _float_axis(x, axis, what):
    if x.dtype.kind != "f":
        raise TypeError(f"{what} needs a floating-point tensor, got {x.dtype}")
    if x.ndim == 0:
        raise ValueError(f"{what} needs at least one dimension, got a 0-d tensor")
    return _axis(axis, x.ndim)


def softmax(x, axis=-1, *, dim=None):
    axis, _ = _torch_spelling(axis, False, dim, False)
    return Softmax.apply(x, _float_axis(x, axis, "softmax"))


def log_softmax(x, axis=-1, *, dim=None):
    axis, _ = _torch_spelling(axis, False, dim, False)
    return LogSoftmax.apply(x, _float_axis(x, axis, "log_softmax"))


def logsumexp(x, axis=-1, keepdims=False, *, dim=None, keepdim=False):
    axis, keepdims = _torch_spelling(axis, keepdims, dim, keepdim)
    return LogSumExp.apply(x, _float_axis(x, axis, "logsumexp"), bool(keepdims))


# ---- indices of the extremes: integer results, no gradient ------------------------------------

def argmax(x, axis=None, keepdims=False, *, dim=None, keepdim=False):
    """Index of the largest value over ``axis`` (an int; None: of the flattened tensor)."""
    axis, keepdims = _torch_spelling(axis, keepdims, dim, keepdim)
    return Tensor._wrap(x.backend.xp.asarray(x.array.argmax(axis=axis, keepdims=keepdims)),
                        x.device)


def argmin(x, axis=None, keepdims=False, *, dim=None, keepdim=False):
    """Index of the smallest value over ``axis`` (an int; None: of the flattened tensor)."""
    axis, keepdims = _torch_spelling(axis, keepdims, dim, keepdim)
    return Tensor._wrap(x.backend.xp.asarray(x.array.argmin(axis=axis, keepdims=keepdims)),
                        x.device)


# ---- products ---------------------------------------------------------------------------------

class Prod(Function):
    """y = Π xᵢ along ``dim``      dy/dxᵢ = Π_{j≠i} xⱼ   (the product of the others)

    The product of the others is not y/xᵢ where xᵢ = 0: ``_product_of_others`` forms it
    exactly, zeros included (one zero in a slice: that element's gradient is the product of the
    rest, every other one 0; two zeros: all 0), as torch's prod does.

    jvp: Σᵢ tᵢ·Π_{j≠i} xⱼ, with the same exact product of the others.
    """

    @staticmethod
    def forward(ctx, x, dim, keepdim):
        ctx.save_for_backward(x)
        ctx.dim, ctx.keepdim = dim, keepdim
        return x.array.prod(axis=dim, keepdims=keepdim)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        g = grad if ctx.keepdim else reshape(grad, _kept_shape(x.shape, (ctx.dim,)))
        if x.shape[ctx.dim] == 1:   # the identity (so no division by x: x may be 0 or inf)
            return g, None, None
        return g * _product_of_others(x, ctx.dim), None, None

    @staticmethod
    def jvp(ctx, tx, t_dim, t_keepdim):
        (x,) = ctx.saved_tensors
        if x.shape[ctx.dim] == 1:   # the identity, as in backward
            return Sum.apply(tx, (ctx.dim,), ctx.keepdim)
        return Sum.apply(tx * _product_of_others(x, ctx.dim), (ctx.dim,), ctx.keepdim)


def _product_of_others(x, dim):
    """eᵢ = Π_{j≠i} xⱼ along ``dim``, exact where x has zeros, differentiable to any order.

    With no zero in x, e = prod(x)/x. Otherwise let z be the first zero of a slice and u be x
    with that zero replaced by 1 (a slice without a zero: u = x, and x_z is read as 1):

        e_z = prod(u)           the others of x_z are the others of u_z = 1
        eᵢ  = x_z · e(u)ᵢ       i ≠ z: x_z is one of the others of xᵢ

    and e(u) is found the same way (u has one zero less per slice). Each line is an identity
    between polynomials, with x_z kept as a variable, so every derivative is exact too.
    """
    from .elementwise import where
    levels = []
    while True:
        zero = x.array == 0
        if not bool(zero.any()):
            break
        first = Tensor._wrap(zero & (x.backend.xp.cumsum(zero, axis=dim) == 1), x.device)
        has_zero = Tensor._wrap(zero.any(axis=dim, keepdims=True), x.device)
        u = where(first, 1.0, x)
        x_z = where(has_zero, where(first, x, 0.0).sum(axis=dim, keepdims=True), 1.0)
        levels.append((first, Prod.apply(u, dim, True), x_z))
        x = u
    e = Prod.apply(x, dim, True) / x
    for first, prod_u, x_z in reversed(levels):
        e = where(first, prod_u, x_z * e)
    return e


def prod(x, dim=None, keepdim=False):
    """Π of the elements along ``dim`` (one dim, or None for all), as torch.prod; an integer
    or bool tensor gives int64."""
    if x.dtype.kind in "biu":
        x = Tensor._wrap(x.array.astype(np.int64), x.device)
    if dim is None:
        out = Prod.apply(reshape(x, (-1,)), 0, False)
        return reshape(out, (1,) * x.ndim) if keepdim else out
    return Prod.apply(x, _axis(dim, x.ndim, "dim"), bool(keepdim)) if x.ndim else x
