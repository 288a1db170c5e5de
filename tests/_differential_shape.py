"""Entries of the differential registry (tests/_differential_registry.py): issue 12's views,
pieces, masks and indexing along an axis.
"""
import math

import numpy as np
import torch

import minigrad as mg
from minigrad import ops

from _differential_registry import (  # noqa: F401
    C, S, SHAPE_KINDS, op, unary
)
from _differential_core import (  # noqa: F401
    _cat_sample, _grown, _shapes_of_size, _stack_sample, _transpose_sample
)

# ==== issue 12 (shape): torch's views, pieces, masks, indexing along an axis ====================
# Ops that return a tuple (split, chunk, unbind) are compared through the pieces joined back in
# reverse order, so every piece's value and gradient is checked.


def _like_sample(grow):
    """x and a constant tensor whose shape x is viewed as (view_as) or expanded to (expand_as)."""
    def sample(c):
        if grow:
            shape = c.shape(0, 3, (1, 1, 2, 3))
            return [c.x(shape), C(np.zeros(_grown(c, shape)))], {}
        shape = c.shape()
        return [c.x(shape), C(np.zeros(c.pick(_shapes_of_size(int(np.prod(shape))))))], {}
    return sample


op("view_as", [lambda x, o: x.view_as(o), lambda x, o: x.reshape_as(o)],
   lambda x, o: x.view_as(o), _like_sample(False), kinds=SHAPE_KINDS,
   covers=("Tensor.view_as", "Tensor.reshape_as"))
op("expand_as", [lambda x, o: x.expand_as(o)], lambda x, o: x.expand_as(o), _like_sample(True),
   kinds=SHAPE_KINDS, covers=("Tensor.expand_as",))


def _expand_sample(c):
    shape = c.shape(0, 3, (1, 1, 2, 3))
    sizes = list(_grown(c, shape))
    lead = len(sizes) - len(shape)
    for k in range(lead, len(sizes)):
        if c.int(0, 2) == 0:
            sizes[k] = -1   # keeps the size
    return [c.x(shape)], dict(sizes=tuple(sizes))


op("expand", [lambda x, sizes: x.expand(sizes), lambda x, sizes: x.expand(*sizes),
              lambda x, sizes: ops.expand(x, *sizes)],
   lambda x, sizes: x.expand(sizes), _expand_sample, kinds=SHAPE_KINDS,
   covers=("Tensor.expand", "ops.expand"), note="-1 keeps a size; new leading axes")
op("t", [lambda x: x.t(), mg.t, ops.t], lambda x: x.t(), unary(max_dims=2), kinds=SHAPE_KINDS,
   covers=("Tensor.t", "mg.t", "ops.t"))


def _contiguous_sample(c):
    return [c.x(c.shape())], dict(reverse=c.bool())


def _reversed_axes(x):
    return x.permute(*reversed(range(x.ndim))) if x.ndim else x


op("contiguous", [lambda x, reverse: (_reversed_axes(x) if reverse else x).contiguous(),
                  lambda x, reverse: ops.contiguous(_reversed_axes(x) if reverse else x)],
   lambda x, reverse: (_reversed_axes(x) if reverse else x).contiguous(), _contiguous_sample,
   kinds=SHAPE_KINDS, covers=("Tensor.contiguous", "ops.contiguous"),
   note="a transposed (non-contiguous) input is copied")
op("swapaxes", [lambda x, d0, d1: x.swapaxes(d0, d1), lambda x, d0, d1: x.swapdims(d0, d1),
                lambda x, d0, d1: mg.swapaxes(x, d0, d1), lambda x, d0, d1: mg.swapdims(x, d0, d1),
                lambda x, d0, d1: ops.swapaxes(x, d0, d1),
                lambda x, d0, d1: ops.swapdims(x, d0, d1)],
   lambda x, d0, d1: torch.swapaxes(x, d0, d1), _transpose_sample, kinds=SHAPE_KINDS,
   covers=("Tensor.swapaxes", "Tensor.swapdims", "mg.swapaxes", "mg.swapdims", "ops.swapaxes",
           "ops.swapdims"))


def _movedim_sample(c):
    shape = c.shape()
    n = max(len(shape), 1)
    k = c.int(1, n)
    src = [int(a) for a in c.rng.permutation(n)[:k]]
    dst = [int(a) - (n if c.bool() else 0) for a in c.rng.permutation(n)[:k]]
    if k == 1 and c.bool():
        return [c.x(shape)], dict(source=src[0], destination=dst[0])
    return [c.x(shape)], dict(source=tuple(src), destination=tuple(dst))


op("movedim", [lambda x, source, destination: x.movedim(source, destination),
               lambda x, source, destination: x.moveaxis(source, destination),
               mg.movedim, mg.moveaxis, ops.movedim],
   lambda x, source, destination: torch.movedim(x, source, destination), _movedim_sample,
   kinds=SHAPE_KINDS, covers=("Tensor.movedim", "Tensor.moveaxis", "mg.movedim", "mg.moveaxis",
                              "ops.movedim"))


def _unflatten_sample(c):
    shape = c.shape(1, 3)
    dim = c.axis(len(shape))
    n = shape[dim % len(shape)]
    sizes = list(c.pick([s for s in _shapes_of_size(n, 3) if s]))
    if n and c.bool():
        sizes[c.int(0, len(sizes) - 1)] = -1
    return [c.x(shape)], dict(dim=dim, sizes=tuple(sizes))


op("unflatten", [lambda x, dim, sizes: x.unflatten(dim, sizes), mg.unflatten, ops.unflatten],
   lambda x, dim, sizes: x.unflatten(dim, sizes), _unflatten_sample, kinds=("normal", "empty"),
   covers=("Tensor.unflatten", "mg.unflatten", "ops.unflatten"))


def _narrow_sample(c):
    shape = c.shape(1, 3)
    dim = c.axis(len(shape))
    n = shape[dim % len(shape)]
    start = c.int(-n, n)
    length = c.int(0, n - (start + n if start < 0 else start))
    return [c.x(shape)], dict(dim=dim, start=start, length=length)


op("narrow", [lambda x, dim, start, length: x.narrow(dim, start, length), mg.narrow, ops.narrow],
   lambda x, dim, start, length: torch.narrow(x, dim, start, length), _narrow_sample,
   kinds=("normal", "empty"), covers=("Tensor.narrow", "mg.narrow", "ops.narrow"))


def _dim_sample(c):
    shape = c.shape(1, 3)
    return [c.x(shape)], dict(dim=c.axis(len(shape)))


op("unbind", [lambda x, dim: mg.stack(x.unbind(dim)[::-1], dim),
              lambda x, dim: mg.stack(mg.unbind(x, dim)[::-1], dim),
              lambda x, dim: mg.stack(ops.unbind(x, dim)[::-1], dim)],
   lambda x, dim: torch.stack(x.unbind(dim)[::-1], dim), _dim_sample, kinds=("normal", "empty"),
   covers=("Tensor.unbind", "mg.unbind", "ops.unbind"),
   note="the slices stacked back in reverse order")


def _split_sample(c):
    shape = c.shape(1, 3, (1, 2, 3, 4, 5))
    dim = c.axis(len(shape))
    n = shape[dim % len(shape)]
    if c.bool():
        return [c.x(shape)], dict(s=c.int(1, n + 1) if n else c.int(0, 2), dim=dim)
    cuts = sorted(c.rng.integers(0, n + 1, size=c.int(0, 3)).tolist())
    return [c.x(shape)], dict(s=[b - a for a, b in zip([0] + cuts, cuts + [n])], dim=dim)


op("split", [lambda x, s, dim: mg.cat(x.split(s, dim)[::-1], dim),
             lambda x, s, dim: mg.cat(mg.split(x, s, dim)[::-1], dim),
             lambda x, s, dim: mg.cat(ops.split(x, s, dim=dim)[::-1], dim)],
   lambda x, s, dim: torch.cat(x.split(s, dim)[::-1], dim), _split_sample,
   kinds=("normal", "empty"), covers=("Tensor.split", "mg.split", "ops.split"),
   note="an int (the last piece smaller) or a list of sizes; pieces joined back in reverse")


def _chunk_sample(c):
    shape = c.shape(1, 3, (1, 2, 3, 4, 5, 6))
    return [c.x(shape)], dict(chunks=c.int(1, 5), dim=c.axis(len(shape)))


op("chunk", [lambda x, chunks, dim: mg.cat(x.chunk(chunks, dim)[::-1], dim),
             lambda x, chunks, dim: mg.cat(mg.chunk(x, chunks, dim)[::-1], dim),
             lambda x, chunks, dim: mg.cat(ops.chunk(x, chunks, dim)[::-1], dim)],
   lambda x, chunks, dim: torch.cat(x.chunk(chunks, dim)[::-1], dim), _chunk_sample,
   kinds=("normal", "empty"), covers=("Tensor.chunk", "mg.chunk", "ops.chunk"),
   note="ceil(size / chunks) per piece, so fewer pieces at times (6 in 4 chunks: 3 of 2)")


def _cat_dim_sample(c):
    args, kw = _cat_sample(c)
    xs = args[0]
    for _ in range(c.int(0, 2)):   # torch skips 1-D empty tensors, whatever the others' shapes
        xs.insert(c.int(0, len(xs)), c.x((0,)))
    return [xs], dict(dim=kw["axis"])


op("cat_dim", [lambda xs, dim: mg.cat(xs, dim=dim), lambda xs, dim: mg.concat(xs, dim=dim),
               lambda xs, dim: mg.concatenate(tuple(xs), axis=dim),
               lambda xs, dim: ops.concatenate(xs, dim=dim)],
   lambda xs, dim: torch.cat(xs, dim=dim), _cat_dim_sample, kinds=("normal", "empty"),
   covers=("mg.cat", "mg.concat", "mg.concatenate", "ops.concatenate"),
   note="dim= (torch) or axis=; tensors of shape (0,) skipped, as torch")
op("stack_dim", [lambda xs, axis: mg.stack(xs, dim=axis), lambda xs, axis: mg.stack(tuple(xs),
                                                                                   axis=axis)],
   lambda xs, axis: torch.stack(xs, dim=axis), _stack_sample, kinds=SHAPE_KINDS,
   covers=("mg.stack",))


def _hvstack_sample(c):
    shape = c.shape(0, 3)
    return [[c.x(shape) for _ in range(c.int(1, 3))]], dict(how=c.pick(["hstack", "vstack"]))


op("hstack_vstack", [lambda xs, how: getattr(mg, how)(xs), lambda xs, how: getattr(ops, how)(xs)],
   lambda xs, how: getattr(torch, how)(xs), _hvstack_sample, kinds=SHAPE_KINDS,
   covers=("mg.hstack", "mg.vstack", "ops.hstack", "ops.vstack"))


def _dim_kw_sample(c):
    shape = c.shape(0, 3, (1, 1, 2, 3))
    which = c.pick(["squeeze", "unsqueeze"])
    return [c.x(shape)], dict(which=which, dim=c.axis(len(shape),
                                                      extra=int(which == "unsqueeze")))


op("squeeze_dim_kw", [lambda x, which, dim: getattr(x, which)(dim=dim),
                      lambda x, which, dim: getattr(mg, which)(x, dim=dim)],
   lambda x, which, dim: getattr(x, which)(dim=dim), _dim_kw_sample, kinds=SHAPE_KINDS,
   covers=("Tensor.squeeze", "Tensor.unsqueeze", "mg.squeeze", "mg.unsqueeze"),
   note="torch's dim= keyword")


def _triangle_sample(c):
    return [c.x(c.shape(2, 4))], dict(which=c.pick(["tril", "triu"]), diagonal=c.int(-3, 3))


op("tril_triu", [lambda x, which, diagonal: getattr(x, which)(diagonal),
                 lambda x, which, diagonal: getattr(mg, which)(x, diagonal=diagonal),
                 lambda x, which, diagonal: getattr(ops, which)(x, diagonal)],
   lambda x, which, diagonal: getattr(torch, which)(x, diagonal), _triangle_sample,
   kinds=("normal", "nonfinite", "empty"),
   covers=("Tensor.tril", "Tensor.triu", "mg.tril", "mg.triu", "ops.tril", "ops.triu"),
   note="batched over leading axes; an inf outside the triangle does not become NaN")


def _masked_fill_sample(c):
    sx, sm = c.broadcast_shapes(2)
    what = c.pick(["number", "tensor", "-inf"])
    value = {"number": lambda: c.scalar(), "tensor": lambda: c.x(()),
             "-inf": lambda: -math.inf}[what]()
    return [c.x(sx), C(c.rng.random(sm) < 0.5), value], {}


op("masked_fill", [lambda x, m, v: x.masked_fill(m, v), mg.masked_fill, ops.masked_fill],
   lambda x, m, v: x.masked_fill(m, v), _masked_fill_sample,
   kinds=("normal", "nonfinite", "zero_d", "empty"),
   covers=("Tensor.masked_fill", "mg.masked_fill", "ops.masked_fill"),
   note="value a number or a 0-d tensor (which gets the sum of g over the mask)")


def _masked_fill_inplace_sample(c):
    shape = c.shape()
    return [S(c.values(shape)), C(c.rng.random(shape) < 0.5), c.scalar()], {}


op("masked_fill_", [lambda s, m, v: s.masked_fill_(m, v)], lambda s, m, v: s.masked_fill_(m, v),
   _masked_fill_inplace_sample, grad=False, kinds=SHAPE_KINDS, covers=("Tensor.masked_fill_",),
   note="in place: the state compared after the call")


def _where_method_sample(c):
    sc, sa, sb = c.broadcast_shapes(3)
    other = c.x(sb) if c.int(0, 2) else c.scalar()
    return [c.x(sa), C(c.rng.random(sc) < 0.5), other], dict(first=c.bool())


op("where_method", [lambda x, cond, y, first: x.where(cond, y) if first
                    else mg.where(cond, y, x)],
   lambda x, cond, y, first: x.where(cond, y) if first else torch.where(cond, y, x),
   _where_method_sample, covers=("Tensor.where", "mg.where"),
   note="x.where(cond, y) is where(cond, x, y); a Python number on either side")


def _index_array(c, n, shape):
    """Integer positions in [0, n) of that shape (an empty one where n is 0)."""
    shape = tuple(shape)
    return np.zeros(shape, np.int64) if not n else c.rng.integers(0, n, size=shape)


def _along_sample(c, src=False, distinct=False):
    """x, dim and an index no larger than x off dim (gather / scatter), and src if asked."""
    shape = c.shape(1, 3)
    dim = c.axis(len(shape))
    d = dim % len(shape)
    n = shape[d]
    ishape = [c.int(min(1, s), s) if k != d else c.int(0, 3) for k, s in enumerate(shape)]
    if distinct:   # scatter: no place written twice (torch leaves the winner unspecified)
        ishape[d] = min(ishape[d], n)
        keys = c.rng.random(tuple(ishape[:d]) + (n,) + tuple(ishape[d + 1:]))
        index = np.argsort(keys, axis=d).take(range(ishape[d]), axis=d)
    else:
        ishape[d] = ishape[d] if n else 0
        index = _index_array(c, n, ishape)
    args = [c.x(shape), dim, C(index.astype(np.int64))]
    if src:
        args.append(c.x(tuple(i + c.int(0, 1) for i in ishape)))
    return args


op("gather", [lambda x, d, i: x.gather(d, i), mg.gather, ops.gather],
   lambda x, d, i: torch.gather(x, d, i), lambda c: (_along_sample(c), {}),
   kinds=("normal", "empty"), covers=("Tensor.gather", "mg.gather", "ops.gather"),
   note="index smaller than x off dim; repeated positions add up in the gradient")
op("gather_0d", [lambda x, d, i: x.gather(d, i)], lambda x, d, i: torch.gather(x, d, i),
   lambda c: ([c.x(()), c.pick([0, -1]), C(np.zeros(c.pick([(), (1,), (2,)]), np.int64))], {}),
   kinds=("normal",), covers=("Tensor.gather",), note="a 0-d tensor reads as 1-D")
op("scatter_add", [lambda x, d, i, s: x.scatter_add(d, i, s), mg.scatter_add, ops.scatter_add],
   lambda x, d, i, s: torch.scatter_add(x, d, i, s), lambda c: (_along_sample(c, src=True), {}),
   kinds=("normal", "empty"), covers=("Tensor.scatter_add", "mg.scatter_add", "ops.scatter_add"),
   tol={"forward": (1e-12, 1e-12)}, note="src may be larger than index; repeats add up")


def _scatter_sample(c):
    args = _along_sample(c, src=True, distinct=True)
    if c.bool():
        return args[:3], dict(value=c.scalar())
    return args, {}


op("scatter", [lambda x, d, i, s=None, value=None: x.scatter(d, i, s, value=value),
               lambda x, d, i, s=None, value=None: mg.scatter(x, d, i, s, value=value),
               lambda x, d, i, s=None, value=None: ops.scatter(x, d, i, s, value=value)],
   lambda x, d, i, s=None, value=None: x.scatter(d, i, value=value) if s is None
   else x.scatter(d, i, s), _scatter_sample, kinds=("normal", "empty"),
   covers=("Tensor.scatter", "mg.scatter", "ops.scatter"),
   note="src or value=; each place written once (torch leaves a repeated one unspecified)")


def _index_select_sample(c):
    shape = c.shape(0, 3)
    dim = c.axis(len(shape))
    n = shape[dim % len(shape)] if shape else 1
    ishape = c.pick([(), (1,), (3,), (0,)]) if n else (0,)
    return [c.x(shape), dim, C(_index_array(c, n, ishape))], {}


op("index_select", [lambda x, d, i: x.index_select(d, i), mg.index_select, ops.index_select],
   lambda x, d, i: torch.index_select(x, d, i), _index_select_sample, kinds=SHAPE_KINDS,
   covers=("Tensor.index_select", "mg.index_select", "ops.index_select"),
   note="a 0-d or 1-D index with repeats (gradients add)")


def _take_along_dim_sample(c):
    shape = c.shape(1, 3)
    if c.int(0, 3) == 0:
        return [c.x(shape), C(_index_array(c, int(np.prod(shape)), (c.int(0, 4),)))], {}
    dim = c.axis(len(shape))
    d = dim % len(shape)
    ishape = [c.pick([1, s]) if k != d else c.int(0, 3) for k, s in enumerate(shape)]
    ishape[d] = ishape[d] if shape[d] else 0
    return [c.x(shape), C(_index_array(c, shape[d], ishape))], dict(dim=dim)


op("take_along_dim", [lambda x, i, dim=None: x.take_along_dim(i, dim),
                      lambda x, i, dim=None: mg.take_along_dim(x, i, dim),
                      lambda x, i, dim=None: ops.take_along_dim(x, i, dim=dim)],
   lambda x, i, dim=None: torch.take_along_dim(x, i, dim), _take_along_dim_sample,
   kinds=("normal", "empty"),
   covers=("Tensor.take_along_dim", "mg.take_along_dim", "ops.take_along_dim"),
   note="broadcast off dim; without dim, on the flattened tensor")


def _flip_sample(c):
    shape = c.shape()
    return [c.x(shape)], dict(dims=c.axes(len(shape), none=False))


op("flip", [lambda x, dims: x.flip(dims), lambda x, dims: mg.flip(x, dims),
            lambda x, dims: ops.flip(x, dims)],
   lambda x, dims: x.flip(dims), _flip_sample, kinds=SHAPE_KINDS,
   covers=("Tensor.flip", "mg.flip", "ops.flip"))


def _roll_sample(c):
    shape = c.shape(1, 3)
    if c.int(0, 2) == 0:
        return [c.x(shape)], dict(shifts=c.int(-7, 7), dims=None)
    dims = c.axes(len(shape), none=False)
    shifts = c.int(-7, 7) if isinstance(dims, int) else tuple(c.int(-7, 7) for _ in dims)
    return [c.x(shape)], dict(shifts=shifts, dims=dims)


op("roll", [lambda x, shifts, dims: x.roll(shifts, dims), mg.roll, ops.roll],
   lambda x, shifts, dims: torch.roll(x, shifts, dims), _roll_sample, kinds=("normal", "empty"),
   covers=("Tensor.roll", "mg.roll", "ops.roll"), note="without dims: the flattened tensor rolled")
op("roll_0d", [lambda x: x.roll(2)], lambda x: x.roll(2), unary(), kinds=("zero_d",),
   covers=("Tensor.roll",))


def _repeat_sample(c):
    shape = c.shape()
    return [c.x(shape)], dict(sizes=tuple(c.int(0, 3) for _ in range(len(shape) + c.int(0, 2))))


op("repeat", [lambda x, sizes: x.repeat(sizes), lambda x, sizes: x.repeat(*sizes),
              lambda x, sizes: ops.repeat(x, sizes)],
   lambda x, sizes: x.repeat(sizes), _repeat_sample, kinds=SHAPE_KINDS,
   covers=("Tensor.repeat", "ops.repeat"), note="numpy's tile: extra sizes add leading axes")


def _tile_sample(c):
    shape = c.shape()
    return [c.x(shape)], dict(dims=tuple(c.int(0, 3) for _ in range(c.int(0, len(shape) + 1))))


op("tile", [lambda x, dims: x.tile(dims), lambda x, dims: mg.tile(x, dims),
            lambda x, dims: ops.tile(x, dims)],
   lambda x, dims: torch.tile(x, dims), _tile_sample, kinds=SHAPE_KINDS,
   covers=("Tensor.tile", "mg.tile", "ops.tile"), note="fewer dims than x: 1s put in front")


def _repeat_interleave_sample(c):
    shape = c.shape(1, 3)
    dim = c.axis(len(shape)) if c.bool() else None
    n = int(np.prod(shape)) if dim is None else shape[dim % len(shape)]
    what = c.pick(["int", "tensor", "one"])
    repeats = {"int": lambda: c.int(0, 3),
               "tensor": lambda: C(c.rng.integers(0, 4, size=(n,))),
               "one": lambda: C(np.array([c.int(0, 3)]))}[what]()
    return [c.x(shape), repeats], dict(dim=dim)


op("repeat_interleave", [lambda x, r, dim: x.repeat_interleave(r, dim),
                         lambda x, r, dim: mg.repeat_interleave(x, r, dim=dim),
                         lambda x, r, dim: ops.repeat_interleave(x, r, dim)],
   lambda x, r, dim: torch.repeat_interleave(x, r, dim), _repeat_interleave_sample,
   kinds=("normal", "empty"),
   covers=("Tensor.repeat_interleave", "mg.repeat_interleave", "ops.repeat_interleave"),
   note="an int or one count per slice; without dim, the flattened tensor")


