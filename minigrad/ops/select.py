"""Selecting along a dimension: max/min with their indices, sort, argsort, topk, kthvalue,
median and mode, each returning torch's named tuple ``(values, indices)``
(minigrad/return_types.py).

The indices are found on the arrays (integers: no gradient). The values are x taken at them,

    values = x[..., indices, ...] along dim        d values/dx: g ↦ zeros like x, g put at
                                                    the indices

which is torch.gather (ops/index.py Gather, whose backward ScatterAdd is its adjoint), so
every value here is differentiable, and differentiable again, with no code of its own. The
gradient goes to the chosen element only, as torch's: a tie does not share it (amax does).

The order is torch's (CPU):

* NaN is larger than every number: it sorts last ascending and first descending, and a slice
  with a NaN has NaN as its max, its min and its median (at the first NaN's index);
* ties: max/min/argmax/argmin take the first occurrence; sort is stable, also descending
  (equal elements keep their order); median(dim) and kthvalue take the element at that place
  of the stable order; mode takes the smallest of the most frequent values, at its last
  occurrence.

Deliberate difference: torch's ``sort(stable=False)``, ``topk`` and ``kthvalue`` order equal
elements in a way it does not specify (a quickselect's); minigrad always uses the stable
order, so with ties their indices (and so where the gradient goes) may differ from torch's.
The values are the same. ``topk(sorted=False)`` returns them sorted (torch: any order).
"""
import builtins

import numpy as np

from .. import return_types
from ..autograd import Function
from ..backend import array_module
from ..tensor import Tensor
from .elementwise import maximum, minimum
from .reduce import amax, amin
from .index import Gather
from .shape import _axis, reshape

__all__ = ["max", "min", "sort", "argsort", "topk", "kthvalue", "median", "mode"]


def _take_along(x, indices, dim):
    """x at ``indices`` (an integer array shaped like x, except along ``dim``): differentiable,
    torch.gather's Function."""
    return Gather.apply(x, dim, Tensor._wrap(indices, x._device))


def _check(x, dim, what, nonempty=True):
    """The dim as a non-negative int (0 for a 0-d tensor, as torch), after the checks."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{what} expects a Tensor, got {type(x).__name__}")
    if isinstance(dim, (tuple, list)):
        raise TypeError(f"{what} takes one dim, got {dim!r} (amax/amin reduce several)")
    dim = _axis(dim, x.ndim, "dim")
    if nonempty and x.ndim and x.shape[dim] == 0:
        raise ValueError(f"{what}: dim {dim} of the tensor of shape {x.shape} is empty")
    return dim


def _as_1d(x):
    """A 0-d tensor as shape (1,), so that dim 0 exists (results go back to 0-d)."""
    return reshape(x, (1,)) if x.ndim == 0 else x


def _pair(kind, x, values, indices, dim, keepdim):
    """The named tuple ``kind(values, indices)``; ``dim`` dropped unless ``keepdim``."""
    if x.ndim == 0:
        shape = ()
    elif keepdim:
        shape = values.shape
    else:
        shape = values.shape[:dim] + values.shape[dim + 1:]
    ind = Tensor._wrap(indices.reshape(shape).astype(np.int64, copy=False), x.device)
    return kind(reshape(values, shape), ind)


def _stable_order(data, dim, descending):
    """Indices that sort ``data`` along ``dim``, stable, NaN as the largest value.

    Descending: the ascending stable order of the reversed slice, read backwards, puts
    equal elements in their original order again and NaN first.
    """
    xp = array_module(data)
    if not descending:
        return xp.argsort(data, axis=dim, kind="stable")
    n = data.shape[dim]
    flip = (slice(None),) * dim + (slice(None, None, -1),)
    return (n - 1) - xp.argsort(data[flip], axis=dim, kind="stable")[flip]


# ---- max and min ------------------------------------------------------------------------------

def _extreme(x, dim, keepdim, largest, what, other):
    """The three forms of max/min (see ``max``); ``dim`` may hold ``other``, as torch's first
    positional argument does."""
    if other is not None:
        if dim is not None:
            raise TypeError(f"{what}(dim, keepdim) or {what}(other), not both")
        dim = other
    if isinstance(dim, Tensor):   # torch.max(input, other): the elementwise maximum
        if keepdim:
            raise TypeError(f"{what}(other) takes no keepdim")
        return (maximum if largest else minimum)(x, dim)
    if dim is None:
        if keepdim:
            raise TypeError(f"{what}(): keepdim needs a dim")
        return (amax if largest else amin)(x)   # ties share the gradient, as torch's max()
    dim = _check(x, dim, what)
    x1 = _as_1d(x)
    find = x1.array.argmax if largest else x1.array.argmin   # the first of ties; NaN wins
    indices = x1.backend.xp.expand_dims(find(axis=dim), dim)
    kind = return_types.max if largest else return_types.min
    return _pair(kind, x, _take_along(x1, indices, dim), indices, dim, keepdim)


def max(x, dim=None, keepdim=False, *, other=None):  # noqa: A001  (torch's name)
    """torch.max's three forms:

        max(x)                      the largest value (0-d; ties share the gradient, as amax)
        max(x, dim, keepdim=False)  (values, indices) along dim; indices of the first of ties
        max(x, other)               the elementwise maximum (ties share the gradient ½/½)
    """
    return _extreme(x, dim, keepdim, True, "max", other)


def min(x, dim=None, keepdim=False, *, other=None):  # noqa: A001
    """torch.min's three forms (see ``max``)."""
    return _extreme(x, dim, keepdim, False, "min", other)


# ---- sorting ----------------------------------------------------------------------------------

def sort(x, dim=-1, descending=False, *, stable=False):
    """(values, indices) of x sorted along dim; stable in every case (see the module
    docstring), NaN last ascending and first descending."""
    dim = _check(x, dim, "sort", nonempty=False)
    x1 = _as_1d(x)
    indices = _stable_order(x1.array, dim, descending)
    return _pair(return_types.sort, x, _take_along(x1, indices, dim), indices, dim, True)


def argsort(x, dim=-1, descending=False, stable=False):
    """The indices of ``sort`` (int64, no gradient)."""
    return sort(x, dim, descending, stable=stable).indices


def topk(x, k, dim=-1, largest=True, sorted=True):  # noqa: A002  (torch's name)
    """(values, indices) of the k largest (``largest=False``: smallest) along dim, in order."""
    dim = _check(x, dim, "topk", nonempty=False)
    x1 = _as_1d(x)
    n = x1.shape[dim]
    if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or not 0 <= k <= n:
        raise ValueError(f"topk: k must be an int in [0, {n}] (the size of dim {dim}), "
                         f"got {k!r}")
    order = _stable_order(x1.array, dim, largest)
    indices = order[(slice(None),) * dim + (slice(0, int(k)),)]
    return _pair(return_types.topk, x, _take_along(x1, indices, dim), indices, dim, True)


def kthvalue(x, k, dim=-1, keepdim=False):
    """(values, indices) of the k-th smallest element along dim (k counts from 1)."""
    dim = _check(x, dim, "kthvalue")
    x1 = _as_1d(x)
    n = x1.shape[dim]
    if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or not 1 <= k <= n:
        raise ValueError(f"kthvalue: k must be an int in [1, {n}] (the size of dim {dim}), "
                         f"got {k!r}")
    order = _stable_order(x1.array, dim, False)
    indices = order[(slice(None),) * dim + (slice(k - 1, k),)]
    return _pair(return_types.kthvalue, x, _take_along(x1, indices, dim), indices, dim,
                 keepdim)


# ---- median and mode --------------------------------------------------------------------------

class SharedValue(Function):
    """y = v, a value that x's elements equal (the median of all of x)

    dy/dx = [x = v] / #{x = v}   (NaN counting as equal to a NaN v): ties share the gradient
    evenly, as torch's median() and max() do. The weights are constants, so the second
    derivative is 0.   (jvp: Σ weights·tx, the mean of the tangent over the ties)
    """

    @staticmethod
    def forward(ctx, x, value):
        xp = x.backend.xp
        hits = (x.array == value) | (xp.isnan(x.array) & xp.isnan(value))
        ctx.weights = hits.astype(x.dtype) / builtins.max(int(hits.sum()), 1)
        return value

    @staticmethod
    def backward(ctx, grad):
        return grad * Tensor._wrap(ctx.weights, grad.device), None

    @staticmethod
    def jvp(ctx, tx, _):
        return (tx * Tensor._wrap(ctx.weights, tx.device)).sum()


def median(x, dim=None, keepdim=False):
    """The lower median: the element at place (n − 1)//2 of the sorted slice; NaN where the
    slice has one.

        median(x)                    a 0-d value (of every element; ties share the gradient)
        median(x, dim, keepdim)      (values, indices) along dim
    """
    if dim is None:
        if not isinstance(x, Tensor):
            raise TypeError(f"median expects a Tensor, got {type(x).__name__}")
        xp = x.backend.xp
        flat = x.array.reshape(-1)
        if flat.size == 0 and x.dtype.kind != "f":
            raise ValueError(f"median of an empty {x.dtype} tensor")
        if flat.size == 0 or (x.dtype.kind == "f" and bool(xp.isnan(flat).any())):
            value = xp.nan
        else:
            value = xp.sort(flat)[(flat.size - 1) // 2]
        return SharedValue.apply(x, xp.asarray(value, dtype=x.dtype))
    dim = _check(x, dim, "median")
    x1 = _as_1d(x)
    xp = x1.backend.xp
    n = x1.shape[dim]
    order = _stable_order(x1.array, dim, False)
    # the place in the stable order: the first NaN (after the numbers) where there is one
    nans = (xp.isnan(x1.array) if x1.dtype.kind == "f" else xp.zeros(x1.shape, bool)).sum(
        axis=dim, keepdims=True)
    place = xp.where(nans > 0, n - nans, (n - 1) // 2)
    indices = xp.take_along_axis(order, place, axis=dim)
    return _pair(return_types.median, x, _take_along(x1, indices, dim), indices, dim, keepdim)


def mode(x, dim=-1, keepdim=False):
    """(values, indices): the most frequent value along dim (the smallest of those that tie)
    and the index of its last occurrence. Counted on the host (numpy)."""
    dim = _check(x, dim, "mode")
    x1 = _as_1d(x)
    data = x1.backend.to_numpy(x1.array)
    order = _stable_order(data, dim, False)
    rows = np.moveaxis(np.take_along_axis(data, order, axis=dim), dim, -1)
    n = rows.shape[-1]
    at = np.arange(n)
    differs = rows[..., 1:] != rows[..., :-1]        # NaN ≠ NaN: each NaN is a run of its own
    starts = np.concatenate([np.ones(rows.shape[:-1] + (1,), bool), differs], axis=-1)
    ends = np.concatenate([differs, np.ones(rows.shape[:-1] + (1,), bool)], axis=-1)
    run_start = np.maximum.accumulate(np.where(starts, at, 0), axis=-1)
    run_end = np.flip(np.minimum.accumulate(np.flip(np.where(ends, at, n - 1), -1), axis=-1), -1)
    longest = np.argmax(run_end - run_start, axis=-1)[..., None]   # the first: the smallest
    last = np.take_along_axis(run_end, longest, axis=-1)          # place of its last copy
    indices = np.take_along_axis(np.moveaxis(order, dim, -1), last, axis=-1)
    indices = x1.backend.asarray(np.moveaxis(indices, -1, dim), np.int64)
    return _pair(return_types.mode, x, _take_along(x1, indices, dim), indices, dim, keepdim)
