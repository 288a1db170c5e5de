"""Shape operations: they move numbers around, so each backward moves the gradient back.

Pairs of adjoints: broadcast_to ↔ sum_to_shape, getitem ↔ index_add (scatter-add),
reshape ↔ reshape, permute ↔ the inverse permutation, concatenate ↔ slicing.

torch's other views (expand, t, swapaxes, movedim, unflatten, narrow, unbind) are compositions
of these, so they need no backward of their own. Neighbours: pieces (split, chunk) in join.py,
reading and writing along an axis (gather, scatter_add, index_select) in index.py, masks
(tril, triu, masked_fill) in mask.py, flips and repeats in rearrange.py.
"""
import numbers
import operator

import numpy as np

from .._operands import _const
from ..autograd import Function
from ..tensor import Tensor


def _reduced_axes(shape, target):
    """Axes of ``shape`` summed to obtain ``target`` (numpy broadcasting, read backwards)."""
    lead = len(shape) - len(target)
    if lead < 0:
        raise ValueError(f"cannot sum shape {shape} down to the larger shape {target}")
    axes = list(range(lead))
    for i, (s, t) in enumerate(zip(shape[lead:], target)):
        if t == 1 and s != 1:
            axes.append(lead + i)
        elif t != s:
            raise ValueError(f"cannot sum shape {shape} down to {target}")
    return tuple(axes), lead


def _sum_to_shape_array(backend, a, target):
    axes, lead = _reduced_axes(a.shape, target)
    if not axes:
        return a
    # the bias-gradient case, (rows, cols) -> (cols,) or (1, cols): one cache-friendly pass
    if a.ndim == 2 and axes == (0,) and a.flags.c_contiguous and a.dtype.kind == "f":
        out = backend.xp.empty(a.shape[1], a.dtype)
        backend.sum_rows(a, out)
        return out.reshape(target)
    return a.sum(axis=axes).reshape(target)


class SumToShape(Function):
    """y = x summed over the axes that broadcasting to x.shape had added or stretched.

    It is the adjoint of ``broadcast_to``: dy/dx maps a gradient g of shape ``target`` to
    ``broadcast_to(g, x.shape)``. Linear: jvp sums the tangent the same way.
    """

    @staticmethod
    def forward(ctx, x, shape):
        ctx.in_shape, ctx.shape = x.shape, shape
        return _sum_to_shape_array(x.backend, x.array, shape)

    @staticmethod
    def backward(ctx, grad):
        return broadcast_to(grad, ctx.in_shape), None

    @staticmethod
    def jvp(ctx, tx, _):
        return SumToShape.apply(tx, ctx.shape)


def sum_to_shape(t, shape):
    """Sums ``t`` down to ``shape`` (the gradient of a broadcast); a no-op when equal."""
    shape = tuple(shape)
    if t.shape == shape:
        return t
    return SumToShape.apply(t, shape)


class BroadcastTo(Function):
    """y = x repeated along broadcast axes      dy/dx: g ↦ sum_to_shape(g, x.shape)
    Linear: jvp broadcasts the tangent the same way."""

    @staticmethod
    def forward(ctx, x, shape):
        ctx.in_shape, ctx.shape = x.shape, shape
        return x.backend.xp.broadcast_to(x.array, shape)

    @staticmethod
    def backward(ctx, grad):
        return sum_to_shape(grad, ctx.in_shape), None

    @staticmethod
    def jvp(ctx, tx, _):
        return BroadcastTo.apply(tx, ctx.shape)


def broadcast_to(t, shape):
    shape = tuple(shape)
    if t.shape == shape:
        return t
    try:
        fits = np.broadcast_shapes(t.shape, shape) == shape  # broadcasting may not grow `shape`
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(f"cannot broadcast a tensor of shape {t.shape} to shape {shape}")
    return BroadcastTo.apply(t, shape)


class Reshape(Function):
    """y = x with a new shape (same elements, row-major)      dy/dx: g ↦ g.reshape(x.shape)
    Linear: jvp reshapes the tangent the same way."""

    @staticmethod
    def forward(ctx, x, shape):
        ctx.in_shape, ctx.shape = x.shape, shape
        return x.array.reshape(shape)

    @staticmethod
    def backward(ctx, grad):
        return Reshape.apply(grad, ctx.in_shape), None

    @staticmethod
    def jvp(ctx, tx, _):
        return Reshape.apply(tx, ctx.shape)


def reshape(t, *shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    try:
        new = np.empty(t.shape, dtype=np.bool_).reshape(shape).shape  # resolves a -1, validates
    except ValueError:
        raise ValueError(f"cannot reshape a tensor of shape {t.shape} "
                         f"({t.array.size} elements) to {tuple(shape)}") from None
    if new == t.shape:
        return t
    return Reshape.apply(t, new)


class Permute(Function):
    """y = x with its axes reordered      dy/dx: g ↦ g permuted by the inverse order
    Linear: jvp permutes the tangent the same way."""

    @staticmethod
    def forward(ctx, x, axes):
        ctx.axes = axes
        return x.backend.xp.transpose(x.array, axes)

    @staticmethod
    def backward(ctx, grad):
        return Permute.apply(grad, tuple(np.argsort(ctx.axes))), None

    @staticmethod
    def jvp(ctx, tx, _):
        return Permute.apply(tx, ctx.axes)


def _axis(axis, ndim, what="axis"):
    if not isinstance(axis, numbers.Integral):
        raise TypeError(f"{what} must be an integer, got {axis!r}")
    if not -max(ndim, 1) <= axis < max(ndim, 1):
        raise ValueError(f"{what} {axis} is out of range for a tensor with {ndim} dimensions")
    return int(axis) % max(ndim, 1)


def _axes(dims, ndim, what):
    """An int or a sequence of distinct axes, made non-negative (a repeat is an error)."""
    dims = (dims,) if isinstance(dims, numbers.Integral) else tuple(dims)
    axes = tuple(_axis(d, ndim, f"{what}: dim") for d in dims)
    if len(set(axes)) != len(axes):
        raise ValueError(f"{what}: dims {dims} name an axis twice")
    return axes


def _dim_or_axis(dim, axis):
    """torch's ``dim=`` or numpy's ``axis=`` (not both)."""
    if dim is not None and axis is not None:
        raise TypeError("give axis or dim, not both")
    return axis if dim is None else dim


def permute(t, *axes):
    if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
        axes = tuple(axes[0])
    axes = tuple(_axis(a, t.ndim) for a in axes)
    if sorted(axes) != list(range(t.ndim)):
        raise ValueError(f"permute needs a permutation of {t.ndim} axes, got {axes}")
    if axes == tuple(range(t.ndim)):
        return t
    return Permute.apply(t, axes)


def transpose(t, dim0, dim1):
    """Swaps two axes (torch.transpose)."""
    axes = list(range(t.ndim))
    d0, d1 = _axis(dim0, t.ndim), _axis(dim1, t.ndim)
    if t.ndim == 0:  # axes 0 and -1 of a 0-d tensor: nothing to swap, as torch
        return t
    axes[d0], axes[d1] = axes[d1], axes[d0]
    return permute(t, axes)


# ---- indexing --------------------------------------------------------------------------------

def _normalize_index(index):
    """Tensors in an index become their arrays; lists become integer arrays."""
    if isinstance(index, tuple):
        return tuple(_normalize_index(i) for i in index)
    if isinstance(index, Tensor):
        if index.dtype.kind not in "iub":
            raise TypeError(f"tensors used as indices must be integer or bool, got {index.dtype}")
        return index.array
    if isinstance(index, list):
        return np.asarray(index)
    return index


def _has_advanced(index):
    items = index if isinstance(index, tuple) else (index,)
    return any(not isinstance(i, (slice, numbers.Integral, type(None), type(Ellipsis)))
               for i in items)


def _scatter_add(xp, out, index, values):
    """out[index] += values, adding repeated indices (numpy's add.at / cupyx.scatter_add)."""
    if xp is np:
        np.add.at(out, index, values)
    else:
        import cupyx
        cupyx.scatter_add(out, index, values)


class GetItem(Function):
    """y = x[index]      dy/dx: g ↦ zeros like x with g added at index (repeats add up)
    Linear: jvp indexes the tangent the same way."""

    @staticmethod
    def forward(ctx, x, index):
        ctx.in_shape = x.shape
        ctx.index = index
        return x.array[index]

    @staticmethod
    def backward(ctx, grad):
        return IndexAdd.apply(grad, ctx.index, ctx.in_shape), None

    @staticmethod
    def jvp(ctx, tx, _):
        return GetItem.apply(tx, ctx.index)


class IndexAdd(Function):
    """y = zeros(shape) with g added at index      dy/dg: h ↦ h[index]

    The backward of indexing; its own backward is indexing again, so indexing is twice
    differentiable. Linear: jvp adds the tangent in at index the same way.
    """

    @staticmethod
    def forward(ctx, g, index, shape):
        ctx.index, ctx.shape = index, shape
        xp = g.backend.xp
        out = xp.zeros(shape, g.dtype)
        if _has_advanced(index):
            _scatter_add(xp, out, index, g.array)
        else:  # basic indexing never repeats an element: plain assignment
            out[index] = g.array
        return out

    @staticmethod
    def backward(ctx, grad):
        return GetItem.apply(grad, ctx.index), None, None

    @staticmethod
    def jvp(ctx, tg, _, __):
        return IndexAdd.apply(tg, ctx.index, ctx.shape)


def getitem(t, index):
    index = _normalize_index(index)
    try:
        return GetItem.apply(t, index)
    except IndexError as exc:
        raise IndexError(f"index {index!r} is invalid for a tensor of shape {t.shape}: {exc}") from None


class Concatenate(Function):
    """y = [x₁, x₂, …] joined along an axis      dy/dxᵢ: g ↦ the slice of g where xᵢ sits
    Linear: jvp joins the tangents the same way (zeros for an input without one)."""

    @staticmethod
    def forward(ctx, axis, *xs):
        # A 1-D empty input is skipped (torch's rule) but stays an input, so the result still
        # depends on it (requires grad if it does); its gradient is empty.
        skip = [x.shape == (0,) for x in xs] if not all(x.shape == (0,) for x in xs) else \
            [False] * len(xs)
        ctx.axis = axis
        ctx.sizes = [None if s else x.shape[axis] for x, s in zip(xs, skip)]
        return xs[0].backend.xp.concatenate([x.array for x, s in zip(xs, skip) if not s],
                                            axis=axis)

    @staticmethod
    def backward(ctx, grad):
        grads, start = [None], 0
        for i, size in enumerate(ctx.sizes):
            if not ctx.needs_input_grad[i + 1]:
                grads.append(None)
            elif size is None:   # a skipped (0,) input
                grads.append(_const(grad.backend.xp.zeros((0,), grad.dtype), grad))
            else:
                index = (slice(None),) * ctx.axis + (slice(start, start + size),)
                grads.append(GetItem.apply(grad, index))
            start += size or 0
        return tuple(grads)

    @staticmethod
    def jvp(ctx, _, *txs):
        xs = ctx.inputs[1:]
        return Concatenate.apply(ctx.axis, *[
            _const(x.backend.xp.zeros(x.shape, x.dtype), x) if tx is None else tx
            for x, tx in zip(xs, txs)])


def concatenate(tensors, axis=None, *, dim=None):
    """Joins tensors along an existing axis: torch.cat (``mg.cat`` and ``mg.concat`` are this
    function; ``dim=`` or ``axis=``).

    torch's two rules are kept: a 1-D empty tensor (shape (0,)) is skipped whatever the shapes
    of the others, and integer or bool tensors joined with float ones are promoted to the float
    dtype (exact). float32 with float64 is a TypeError, as everywhere in minigrad.
    """
    axis = _dim_or_axis(dim, axis) or 0
    given = _tensor_list(tensors, "concatenate")
    tensors = [t for t in given if t.shape != (0,)] or given
    first = tensors[0]
    if first.ndim == 0:
        raise ValueError("zero-dimensional tensors cannot be concatenated")
    axis = _axis(axis, first.ndim)
    for i, t in enumerate(tensors[1:], 1):
        if t.ndim != first.ndim or any(a != b for k, (a, b) in enumerate(zip(t.shape, first.shape))
                                       if k != axis):
            raise ValueError(f"concatenate along axis {axis}: tensor {i} has shape {t.shape}, "
                             f"incompatible with tensor 0's shape {first.shape}")
        if t.device != first.device:
            raise ValueError(f"concatenate: tensor {i} is on {t.device}, tensor 0 on {first.device}")
    skipped = [t for t in given if t.shape == (0,) and t.requires_grad and len(tensors) < len(given)]
    return Concatenate.apply(axis, *_common_dtype(tensors + skipped, "concatenate"))


def _tensor_list(tensors, what):
    """The sequence of tensors to join, as a list (a lone Tensor or a non-Tensor is refused)."""
    if isinstance(tensors, Tensor):
        raise TypeError(f"{what} takes a list or tuple of tensors, got a single Tensor")
    tensors = list(tensors)
    if not tensors:
        raise ValueError(f"{what} needs at least one tensor")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"{what}: element {i} is a {type(t).__name__}, not a Tensor")
    return tensors


def _common_dtype(tensors, what):
    """The tensors in one dtype: integer and bool ones promoted (exactly) to the float dtype or
    the widest integer, as torch; two float dtypes are a TypeError (minigrad's rule)."""
    dtypes = {t.dtype for t in tensors}
    if len(dtypes) == 1:
        return tensors
    floats = sorted({str(d) for d in dtypes if d.kind == "f"})
    if len(floats) > 1:
        raise TypeError(f"{what}: tensors of dtypes {' and '.join(floats)}; minigrad does not "
                        "cast silently: convert them with .float() or .double()")
    target = np.dtype(floats[0]) if floats else np.result_type(*dtypes)
    return [t if t.dtype == target else Tensor._wrap(t.array.astype(target), t.device)
            for t in tensors]


def stack(tensors, axis=None, *, dim=None):
    """Joins tensors of one shape along a new axis (torch.stack; ``dim=`` or ``axis=``)."""
    axis = _dim_or_axis(dim, axis) or 0
    tensors = _tensor_list(tensors, "stack")
    shapes = {t.shape for t in tensors}
    if len(shapes) != 1:
        raise ValueError(f"stack needs tensors of one shape, got {sorted(shapes)}")
    axis = _axis(axis, tensors[0].ndim + 1)
    return concatenate([unsqueeze(t, axis) for t in tensors], axis=axis)


def unsqueeze(t, axis=None, *, dim=None):
    axis = _axis(_dim_or_axis(dim, axis), t.ndim + 1)
    return reshape(t, t.shape[:axis] + (1,) + t.shape[axis:])


def squeeze(t, axis=None, *, dim=None):
    """Drops the axes of size 1 among ``dim`` (an int or a tuple, torch 2.x), or all of them."""
    axis = _dim_or_axis(dim, axis)
    if axis is None:
        return reshape(t, tuple(s for s in t.shape if s != 1))
    axes = _axes(axis, t.ndim, "squeeze")
    return reshape(t, tuple(s for i, s in enumerate(t.shape) if not (i in axes and s == 1)))


def flatten(t, start_dim=0, end_dim=-1):
    if t.ndim == 0:
        return reshape(t, (1,))
    s, e = _axis(start_dim, t.ndim), _axis(end_dim, t.ndim)
    if s > e:
        raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
    size = int(np.prod(t.shape[s:e + 1]))
    return reshape(t, t.shape[:s] + (size,) + t.shape[e + 1:])


# ---- torch's other views: compositions of the ops above ---------------------------------------

def _int(value, what):
    """An integer argument; a one-element integer tensor counts (torch accepts both)."""
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError(f"{what} must be an integer, got {value!r}") from None


def expand(t, *sizes):
    """t broadcast to ``sizes`` (torch.Tensor.expand): -1 keeps that axis's size; new axes can
    only be added in front, and there -1 has no size to keep."""
    sizes = tuple(sizes[0]) if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)) else sizes
    lead = len(sizes) - t.ndim
    if lead < 0:
        raise ValueError(f"expand: {len(sizes)} sizes {sizes} for a tensor of {t.ndim} "
                         f"dimensions {t.shape}; give at least one size per dimension")
    shape = [_int(s, "expand: a size") for s in sizes]
    for i, s in enumerate(shape):
        if s == -1:
            if i < lead:
                raise ValueError(f"expand: -1 at position {i} of {sizes} is a new leading axis, "
                                 "which has no size to keep")
            shape[i] = t.shape[i - lead]
    return broadcast_to(t, tuple(shape))


def t(x):
    """The transpose of a matrix (torch.t); a tensor of 0 or 1 dimensions is returned as is."""
    if x.ndim > 2:
        raise ValueError(f"t() needs a tensor of at most 2 dimensions, got shape {x.shape}; "
                         "use transpose(dim0, dim1), permute or .mT")
    return x if x.ndim < 2 else transpose(x, 0, 1)


def swapaxes(x, axis0, axis1):
    """torch.swapaxes: transpose under numpy's name."""
    return transpose(x, axis0, axis1)


def swapdims(x, dim0, dim1):
    """torch.swapdims: transpose under another name."""
    return transpose(x, dim0, dim1)


def movedim(x, source, destination):
    """Moves the axes ``source`` to the places ``destination`` (ints, or sequences of one
    length); the other axes keep their order (torch.movedim, numpy's moveaxis)."""
    src, dst = _axes(source, x.ndim, "movedim"), _axes(destination, x.ndim, "movedim")
    if len(src) != len(dst):
        raise ValueError(f"movedim: source {source} and destination {destination} name "
                         "different numbers of axes")
    order = [a for a in range(x.ndim) if a not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return permute(x, order) if x.ndim else x


def unflatten(x, dim, sizes):
    """Axis ``dim`` split into the axes ``sizes``, one of which may be -1 (torch.unflatten)."""
    if x.ndim == 0:
        raise ValueError("unflatten needs a tensor with at least one dimension")
    d = _axis(dim, x.ndim, "unflatten: dim")
    if isinstance(sizes, numbers.Integral) or not len(sizes):
        raise ValueError(f"unflatten: sizes must be a non-empty sequence, got {sizes!r}")
    sizes = tuple(_int(s, "unflatten: a size") for s in sizes)
    n, known = x.shape[d], int(np.prod([s for s in sizes if s != -1]))
    if sizes.count(-1) > 1 or any(s < -1 for s in sizes) or (-1 in sizes and known == 0):
        raise ValueError(f"unflatten: sizes {sizes} are not sizes (one -1 at most, next to "
                         "sizes that are not 0)")
    if -1 in sizes and n % known == 0:
        sizes = tuple(n // known if s == -1 else s for s in sizes)
    if -1 in sizes or int(np.prod(sizes)) != n:
        raise ValueError(f"unflatten: sizes {sizes} do not multiply to the size {n} of dim {dim} "
                         f"of a tensor of shape {x.shape}")
    return reshape(x, x.shape[:d] + sizes + x.shape[d + 1:])


def narrow(x, dim, start, length):
    """The slice start : start + length along ``dim``, a view (torch.narrow); a negative start
    counts from the end."""
    if x.ndim == 0:
        raise ValueError("narrow needs a tensor with at least one dimension")
    d = _axis(dim, x.ndim, "narrow: dim")
    start, length, n = _int(start, "narrow: start"), _int(length, "narrow: length"), x.shape[d]
    if not -n <= start <= n:
        raise ValueError(f"narrow: start {start} is out of range for dim {dim} of size {n}")
    start = start + n if start < 0 else start
    if length < 0 or start + length > n:
        raise ValueError(f"narrow: length {length} from start {start} does not fit in dim {dim} "
                         f"of size {n}")
    return getitem(x, (slice(None),) * d + (slice(start, start + length),))


class Unbind(Function):
    """(x[…, 0, …], …, x[…, n−1, …]) along ``dim``, in one node
    backward: (g_0, …, g_{n−1}) ↦ stack(g, dim)        (jvp: the tangent unbound the same way)

    One node rather than n indexings: their backward would add n zero-padded arrays of x's
    full size, O(n²) work for a sequence of n steps (an RNN's time steps). A slice whose output
    is unused gets zeros from the engine, and stacking is an op, so the backward is
    differentiable again."""

    @staticmethod
    def forward(ctx, x, dim):
        ctx.dim = dim
        index = (slice(None),) * dim
        return tuple(x.array[index + (i,)] for i in range(x.shape[dim]))

    @staticmethod
    def backward(ctx, *grads):
        return stack(grads, ctx.dim), None

    @staticmethod
    def jvp(ctx, tx, t_dim):
        return Unbind.apply(tx, ctx.dim)


def unbind(x, dim=0):
    """The slices of x along ``dim``, each without that axis, as a tuple (torch.unbind): views
    of x that share its version counter, as torch's."""
    if x.ndim == 0:
        raise ValueError("unbind needs a tensor with at least one dimension")
    d = _axis(dim, x.ndim, "unbind: dim")
    if x.shape[d] == 0:
        return ()
    slices = Unbind.apply(x, d)
    if x._versions is None:
        x._versions = [0]
    for s in slices:
        s._versions = x._versions
    return slices


class Contiguous(Function):
    """y = x laid out in row-major order (a copy)      dy/dx = 1   (jvp: the tangent, copied)"""

    @staticmethod
    def forward(ctx, x):
        return x.backend.xp.ascontiguousarray(x.array)

    @staticmethod
    def backward(ctx, grad):
        return grad

    @staticmethod
    def jvp(ctx, tx):
        return Contiguous.apply(tx)


def contiguous(x):
    """x itself when its array is C-contiguous, else a C-contiguous copy (as torch)."""
    return x if x.array.flags.c_contiguous else Contiguous.apply(x)


class ToDevice(Function):
    """y = x on another device      dy/dx: g ↦ g moved back   (jvp: the tangent moved too)"""

    @staticmethod
    def forward(ctx, x, device):
        from ..backend import get_backend
        ctx.src, ctx.dst = x.device, device
        host = x.backend.to_numpy(x.array)
        return Tensor._wrap(get_backend(device).asarray(host, x.dtype), device)

    @staticmethod
    def backward(ctx, grad):
        return ToDevice.apply(grad, ctx.src), None

    @staticmethod
    def jvp(ctx, tx, _):
        return ToDevice.apply(tx, ctx.dst)


# ---- writing into a tensor (Tensor.__setitem__): not recorded --------------------------------
