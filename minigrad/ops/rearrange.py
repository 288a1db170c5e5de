"""Moving and copying elements: flip and roll move every element somewhere else (the gradient
moves back the inverse way), repeat, tile and repeat_interleave copy each element (its
gradient is the sum of g over its copies).
"""
import numbers

import numpy as np

from ..autograd import Function
from ..tensor import Tensor
from .elementwise import Clone
from .shape import _axes, _axis, _int, broadcast_to, getitem, reshape


class Flip(Function):
    """y = x with the order of its elements reversed along ``dims``
    dy/dx: g ↦ g reversed along dims (flip is its own inverse)   (linear: jvp flips too)"""

    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return x.backend.xp.flip(x.array, dims).copy()   # a copy, as torch's (not a view)

    @staticmethod
    def backward(ctx, grad):
        return Flip.apply(grad, ctx.dims), None

    @staticmethod
    def jvp(ctx, tx, _):
        return Flip.apply(tx, ctx.dims)


def flip(x, *dims):
    """x reversed along each of ``dims`` (torch.flip; ``x.flip(0, 1)`` or ``x.flip((0, 1))``)."""
    if not dims:
        raise TypeError("flip needs the dims to reverse, e.g. x.flip(0) or x.flip((0, 1))")
    dims = dims[0] if len(dims) == 1 and isinstance(dims[0], (tuple, list)) else dims
    axes = _axes(dims, x.ndim, "flip")
    return Flip.apply(x, axes if x.ndim else ())


class Roll(Function):
    """y = x shifted cyclically by ``shifts`` along ``dims`` (along the flattened x when dims is
    None)      dy/dx: g ↦ g rolled back by −shifts   (linear: jvp rolls the tangent too)"""

    @staticmethod
    def forward(ctx, x, shifts, dims):
        ctx.shifts, ctx.dims = shifts, dims
        return x.backend.xp.roll(x.array, shifts, dims)

    @staticmethod
    def backward(ctx, grad):
        back = -ctx.shifts if ctx.dims is None else tuple(-s for s in ctx.shifts)
        return Roll.apply(grad, back, ctx.dims), None, None

    @staticmethod
    def jvp(ctx, tx, _, __):
        return Roll.apply(tx, ctx.shifts, ctx.dims)


def roll(x, shifts, dims=None):
    """x rolled by ``shifts`` along ``dims`` (ints or tuples of one length); without dims,
    the flattened x is rolled and the shape restored (torch.roll)."""
    shifts = (shifts,) if isinstance(shifts, numbers.Integral) else tuple(shifts)
    shifts = tuple(_int(s, "roll: a shift") for s in shifts)
    if dims is None:
        if len(shifts) != 1:
            raise ValueError(f"roll: {len(shifts)} shifts {shifts} without dims; give one shift "
                             "per dim")
        return Roll.apply(x, shifts[0], None)
    dims = (dims,) if isinstance(dims, numbers.Integral) else tuple(dims)
    if len(dims) != len(shifts):
        raise ValueError(f"roll: shifts {shifts} and dims {dims} must have one length")
    if x.ndim == 0:
        raise ValueError("roll: a 0-d tensor has no dim to roll along; leave dims out")
    return Roll.apply(x, shifts, tuple(_axis(d, x.ndim, "roll: dim") for d in dims))


def repeat(x, *sizes):
    """x tiled ``sizes[k]`` times along axis k (torch.Tensor.repeat, numpy's tile): sizes has at
    least x's number of dimensions, the extra ones adding leading axes.

    A composition: x viewed as (1, s₀, 1, s₁, …), broadcast to (r₀, s₀, r₁, s₁, …) and reshaped
    to (r₀·s₀, r₁·s₁, …); so the gradient sums g over the copies (broadcast_to's adjoint).
    """
    sizes = tuple(sizes[0]) if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)) else sizes
    reps = tuple(_int(r, "repeat: a size") for r in sizes)
    if len(reps) < x.ndim or any(r < 0 for r in reps):
        raise ValueError(f"repeat: sizes {reps} must be non-negative and at least one per "
                         f"dimension of the tensor's shape {x.shape}")
    shape = (1,) * (len(reps) - x.ndim) + x.shape
    ones_between = tuple(v for s in shape for v in (1, s))
    copies = tuple(v for r, s in zip(reps, shape) for v in (r, s))
    tiled = reshape(broadcast_to(reshape(x, ones_between), copies),
                    tuple(r * s for r, s in zip(reps, shape)))
    # with every size 1 nothing was broadcast, and tiled is a view of x: torch's repeat copies
    return Clone.apply(tiled) if all(r == 1 for r in reps) else tiled


def tile(x, *dims):
    """torch.tile: repeat, with ``dims`` padded in front with 1s to x's number of dimensions."""
    dims = tuple(dims[0]) if len(dims) == 1 and isinstance(dims[0], (tuple, list)) else dims
    return repeat(x, (1,) * (x.ndim - len(dims)) + tuple(dims))


def repeat_interleave(x, repeats, dim=None, *, output_size=None):
    """Each slice of x along ``dim`` repeated ``repeats`` times in place (an int, or an integer
    tensor with one count per slice); without dim, of the flattened x (torch.repeat_interleave).

    The result is x indexed by [0, 0, …, 1, 1, …] (each position ``repeats`` times), so the
    gradient adds up g over the copies of each slice (indexing's).
    """
    if dim is None:
        x, d = reshape(x, (-1,)), 0
    elif x.ndim == 0:
        raise ValueError("repeat_interleave: a 0-d tensor has no dim; leave dim out")
    else:
        d = _axis(dim, x.ndim, "repeat_interleave: dim")
    n = x.shape[d]
    if isinstance(repeats, Tensor):
        if repeats.dtype.kind not in "iu" or repeats.ndim > 1 or repeats.numel() not in (1, n):
            raise ValueError(f"repeat_interleave: repeats must be an integer tensor of 1 or {n} "
                             f"elements, got {repeats.dtype} of shape {repeats.shape}")
        counts = repeats.numpy().reshape(-1)
    elif isinstance(repeats, numbers.Integral):
        counts = np.asarray([int(repeats)])
    else:
        raise TypeError(f"repeat_interleave: repeats must be an int or an integer Tensor, got "
                        f"{type(repeats).__name__}")
    if (counts < 0).any():
        raise ValueError(f"repeat_interleave: repeats must be non-negative, got {counts.tolist()}")
    positions = np.repeat(np.arange(n), np.broadcast_to(counts, (n,)))
    if output_size is not None and output_size != positions.size:
        raise ValueError(f"repeat_interleave: output_size {output_size}, but the repeats give "
                         f"{positions.size}")
    return getitem(x, (slice(None),) * d + (x.backend.asarray(positions, np.int64),))
