"""Reading and writing along one axis at the positions an index tensor names: gather,
scatter_add, scatter, index_select, take_along_dim.

For a position p of the index, write p→i for p with its coordinate on axis ``dim`` replaced by
index[p]. gather reads y[p] = x[p→i]; scatter_add adds src[p] into x[p→i]. They are each
other's adjoints: gather's gradient adds g back at the positions it read (a scatter_add into
zeros), and scatter_add's gradient with respect to src reads g at the positions it wrote (a
gather). Each backward is the other op, so both are differentiable to any order.

As in torch, an index is an integer tensor (a float one is a TypeError) whose entries lie in
[0, size): no negative indices. An entry out of range is a ValueError naming it (torch raises
a RuntimeError).
"""
import numbers

import numpy as np

from .._operands import _const
from ..autograd import Function
from ..backend import array_module
from ..tensor import Tensor
from .shape import IndexAdd, _axis, _scatter_add, broadcast_to, getitem, reshape


def _along(index, dim):
    """The advanced index (a tuple of arrays) of the positions p→i of the module docstring:
    ``x[_along(index, dim)]`` has index's shape and reads x[p→i] at p."""
    xp = array_module(index)
    coords = [xp.arange(n).reshape((1,) * k + (n,) + (1,) * (index.ndim - k - 1))
              for k, n in enumerate(index.shape)]
    coords[dim] = index
    return tuple(coords)


def _leading(shape):
    """The basic index of the leading block of that shape: src may be larger than index."""
    return tuple(slice(0, n) for n in shape)


def _padded(g, shape):
    """g in the leading block of zeros of ``shape`` (differentiable: IndexAdd ↔ indexing)."""
    return g if g.shape == tuple(shape) else IndexAdd.apply(g, _leading(g.shape), tuple(shape))


class Gather(Function):
    """y[p] = x[p→i]      dy/dx: g ↦ scatter_add(zeros like x, dim, index, g)
    Linear: jvp gathers the tangent the same way."""

    @staticmethod
    def forward(ctx, x, dim, index):
        ctx.save_for_backward(index)   # an in-place write into index later is caught
        ctx.dim, ctx.in_shape = dim, x.shape
        return x.array[_along(index.array, dim)]

    @staticmethod
    def backward(ctx, grad):
        index, = ctx.saved_tensors
        zeros = _const(grad.backend.xp.zeros(ctx.in_shape, grad.dtype), grad)
        return ScatterAdd.apply(zeros, ctx.dim, index, grad), None, None

    @staticmethod
    def jvp(ctx, tx, _, __):
        index, = ctx.saved_tensors
        return Gather.apply(tx, ctx.dim, index)


class ScatterAdd(Function):
    """y = x with src[p] added into y[p→i] (repeated positions add up)
    dy/dx = 1;   dy/dsrc: g ↦ gather(g, dim, index), 0 where src reaches beyond index
    Linear in (x, src): jvp scatter-adds tsrc into tx the same way (zeros for a missing one)."""

    @staticmethod
    def forward(ctx, x, dim, index, src):
        ctx.save_for_backward(index)
        ctx.dim, ctx.src_shape = dim, src.shape
        out = x.array.copy()
        _scatter_add(x.backend.xp, out, _along(index.array, dim), src.array[_leading(index.shape)])
        return out

    @staticmethod
    def backward(ctx, grad):
        index, = ctx.saved_tensors
        gsrc = _padded(Gather.apply(grad, ctx.dim, index), ctx.src_shape) \
            if ctx.needs_input_grad[3] else None
        return grad, None, None, gsrc

    @staticmethod
    def jvp(ctx, tx, _, __, tsrc):
        index, = ctx.saved_tensors
        if tsrc is None:
            return tx
        return ScatterAdd.apply(_zeros_if_none(tx, ctx.inputs[0]), ctx.dim, index, tsrc)


class Scatter(Function):
    """y = x with src[p] (or the number ``src``) written into y[p→i]
    dy/dx: g ↦ g with 0 at the written places;   dy/dsrc: g ↦ gather(g, dim, index), padded

    Where index repeats a place, which src value lands there is unspecified in torch; numpy
    writes the last.

    jvp: tx with tsrc written at the same places (0 there for a number src, or no tsrc); the
    writes go in the same order, so a repeated place takes the tangent of the value it holds.
    """

    @staticmethod
    def forward(ctx, x, dim, index, src):
        ctx.save_for_backward(index)
        ctx.dim = dim
        ctx.src_shape = src.shape if isinstance(src, Tensor) else None
        out = x.array.copy()
        out[_along(index.array, dim)] = (src.array[_leading(index.shape)]
                                        if isinstance(src, Tensor) else src)
        return out

    @staticmethod
    def backward(ctx, grad):
        index, = ctx.saved_tensors
        gx = Scatter.apply(grad, ctx.dim, index, 0) if ctx.needs_input_grad[0] else None
        gsrc = _padded(Gather.apply(grad, ctx.dim, index), ctx.src_shape) \
            if ctx.src_shape is not None and ctx.needs_input_grad[3] else None
        return gx, None, None, gsrc

    @staticmethod
    def jvp(ctx, tx, _, __, tsrc):
        index, = ctx.saved_tensors
        return Scatter.apply(_zeros_if_none(tx, ctx.inputs[0]), ctx.dim, index,
                             0 if tsrc is None else tsrc)


def _zeros_if_none(tangent, like):
    """The tangent, or zeros shaped like its primal ``like`` (a constant) when it has none."""
    if tangent is not None:
        return tangent
    return _const(like.backend.xp.zeros(like.shape, like.dtype), like)


# ---- checks and the public functions --------------------------------------------------------

def _check_index(index, x, what, dim_size, dim):
    """An integer tensor on x's device whose entries lie in [0, dim_size)."""
    if not isinstance(index, Tensor):
        raise TypeError(f"{what}: index must be an integer Tensor, got {type(index).__name__}")
    if index.dtype.kind not in "iu":
        raise TypeError(f"{what}: index must be an integer tensor, got {index.dtype}")
    if index.device != x.device:
        raise ValueError(f"{what}: index is on {index.device}, the tensor on {x.device}")
    if index.array.size:
        lo, hi = int(index.array.min()), int(index.array.max())
        if lo < 0 or hi >= dim_size:
            raise ValueError(f"{what}: index {lo if lo < 0 else hi} is out of range for dim "
                             f"{dim} of size {dim_size} (indices lie in [0, {dim_size}))")


def _check_along(x, d, index, what, src=None):
    """index has x's number of dimensions, is no larger than x off axis ``d`` (and no larger
    than src on any axis)."""
    _check_index(index, x, what, x.shape[d], d)
    if index.ndim != x.ndim or (src is not None and src.ndim != x.ndim):
        raise ValueError(f"{what}: index {index.shape}" + ("" if src is None else
                         f", src {src.shape}") + f" and the tensor {x.shape} must have the "
                         "same number of dimensions")
    if any(i > s for k, (i, s) in enumerate(zip(index.shape, x.shape)) if k != d):
        raise ValueError(f"{what}: index of shape {index.shape} is larger than the tensor's "
                         f"{x.shape} off dim {d}")
    if src is not None and any(i > s for i, s in zip(index.shape, src.shape)):
        raise ValueError(f"{what}: index of shape {index.shape} is larger than src's "
                         f"{src.shape}")


def _as_vector(x, dim, index, what):
    """A 0-d x read as 1-D: torch lets dim be 0 or -1 and index have one axis at most."""
    _axis(dim, 0, f"{what}: dim")
    if not isinstance(index, Tensor) or index.ndim > 1:
        raise ValueError(f"{what}: a 0-d tensor takes a 0-d or 1-D index tensor")
    return reshape(x, (1,))


def gather(x, dim, index, *, sparse_grad=False):
    """y[p] = x[p→i] (torch.gather): y has index's shape; index has x's number of dimensions
    and is no larger than x off ``dim``. ``sparse_grad`` is accepted and has no effect."""
    if x.ndim == 0:
        return reshape(gather(_as_vector(x, dim, index, "gather"), 0, reshape(index, (-1,))),
                       index.shape)
    d = _axis(dim, x.ndim, "gather: dim")
    _check_along(x, d, index, "gather")
    return Gather.apply(x, d, index)


def _scatter_args(x, dim, index, src, what):
    if x.ndim == 0:
        raise ValueError(f"{what} needs a tensor with at least one dimension")
    d = _axis(dim, x.ndim, f"{what}: dim")
    src_tensor = src if isinstance(src, Tensor) else None
    if src_tensor is not None and src.dtype != x.dtype:
        raise TypeError(f"{what}: src is {src.dtype}, the tensor {x.dtype}; they must match")
    _check_along(x, d, index, what, src_tensor)
    return d


def scatter_add(x, dim, index, src):
    """x with src[p] added into x[p→i], repeated places adding up (torch.scatter_add,
    out of place); differentiable in x and src."""
    if not isinstance(src, Tensor):
        raise TypeError(f"scatter_add: src must be a Tensor, got {type(src).__name__}")
    return ScatterAdd.apply(x, _scatter_args(x, dim, index, src, "scatter_add"), index, src)


def scatter(x, dim, index, src=None, *, value=None):
    """x with src[p] (a tensor) or ``value`` (a number) written into x[p→i] (torch.scatter,
    out of place); differentiable in x and src."""
    if (src is None) == (value is None):
        raise TypeError("scatter takes src (a Tensor) or value (a number), one of them")
    src = value if src is None else src
    if not isinstance(src, Tensor):
        _check_number(src, x, "scatter")
    return Scatter.apply(x, _scatter_args(x, dim, index, src, "scatter"), index, src)


def _check_number(value, x, what):
    """A number that x's dtype holds as it is (a float into an integer tensor is refused:
    torch would truncate it)."""
    if not isinstance(value, numbers.Real):
        raise TypeError(f"{what}: the value must be a real number, got {value!r}")
    if x.dtype.kind in "iub" and not float(value).is_integer():
        raise TypeError(f"{what}: the value {value} does not fit the tensor's {x.dtype} "
                        "(minigrad does not truncate it silently, torch does)")


def index_select(x, dim, index):
    """The slices of x at the positions ``index`` (0-d or 1-D) along ``dim``, in that order
    (torch.index_select, a copy). Its gradient adds g back at those positions (indexing's)."""
    if isinstance(index, Tensor) and index.ndim > 1:
        raise ValueError(f"index_select: index must be 0-d or 1-D, got shape {index.shape}")
    if x.ndim == 0:
        return reshape(index_select(_as_vector(x, dim, index, "index_select"), 0, index), ())
    d = _axis(dim, x.ndim, "index_select: dim")
    _check_index(index, x, "index_select", x.shape[d], d)
    return getitem(x, (slice(None),) * d + (index.array.reshape(-1),))


def take_along_dim(x, indices, dim=None):
    """torch.take_along_dim: with ``dim``, gather after x and indices are broadcast against each
    other on every axis but ``dim``; without, gather from the flattened x at the flattened
    indices."""
    if not isinstance(indices, Tensor):
        raise TypeError(f"take_along_dim: indices must be a Tensor, got {type(indices).__name__}")
    if dim is None:
        return gather(reshape(x, (-1,)), 0, reshape(indices, (-1,)))
    if indices.ndim != x.ndim:
        raise ValueError(f"take_along_dim: indices have {indices.ndim} dimensions, the tensor "
                         f"{x.ndim}; they must have the same number")
    if x.ndim == 0:
        return gather(x, dim, indices)
    d = _axis(dim, x.ndim, "take_along_dim: dim")
    off = [1 if k == d else n for k, n in enumerate(x.shape)]
    try:
        common = list(np.broadcast_shapes(tuple(off), tuple(
            1 if k == d else n for k, n in enumerate(indices.shape))))
    except ValueError:
        raise ValueError(f"take_along_dim: shapes {x.shape} and {indices.shape} do not "
                         f"broadcast off dim {d}") from None
    x_shape, i_shape = list(common), list(common)
    x_shape[d], i_shape[d] = x.shape[d], indices.shape[d]
    wide = Tensor._wrap(indices.backend.xp.broadcast_to(indices.array, tuple(i_shape)),
                        indices.device)
    return gather(broadcast_to(x, tuple(x_shape)), d, wide)
