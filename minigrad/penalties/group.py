"""Group lasso: the norm of each group of weights, so whole groups (a column, a filter) go to 0.

A grouping is one of two objects with the same methods: ``_AxisGroups`` (the fibres along
some axes: columns, rows, conv filters) and ``_IndexGroups`` (explicit, possibly ragged groups
of flat indices). ``sumsq`` gives Σ_{i∈g} wᵢ² per group; ``expand`` (a Tensor) and
``expand_array`` (an array) spread one value per group back over w's elements;
``group_soft_threshold`` is the prox. The differentiable group norms are the Function
``_GroupNorms`` in minigrad/ops/penalty.py.
"""
import numbers

import numpy as np

from ..backend import array_module
from ..ops.penalty import _GroupNorms
from ..tensor import Tensor
from ._kernels import _group_soft_threshold_rows
from .base import Penalty, _check_tensor, _const, _strength


class _AxisGroups:
    """Groups = the fibres along ``axes``: one group per index of the remaining axes."""

    def __init__(self, shape, axes):
        self.shape, self.axes = tuple(shape), axes
        self.kept = tuple(1 if i in axes else s for i, s in enumerate(shape))

    def sumsq(self, a):
        return (a * a).sum(axis=self.axes)

    def expand(self, t):  # Tensor of group values -> Tensor of w's shape
        return t.reshape(self.kept).broadcast_to(self.shape)

    def expand_array(self, a):
        return a.reshape(self.kept)

    def group_soft_threshold(self, v, threshold):
        xp = array_module(v)
        rest = [i for i in range(v.ndim) if i not in self.axes]
        moved = xp.transpose(v, rest + list(self.axes))  # groups as rows
        rows = moved.reshape(int(np.prod([v.shape[i] for i in rest])), -1)
        out = _group_soft_threshold_rows(rows, threshold).reshape(moved.shape)
        return xp.ascontiguousarray(xp.transpose(out, np.argsort(rest + list(self.axes))))


class _IndexGroups:
    """Explicit groups of flat indices; elements in no group are not penalised."""

    def __init__(self, shape, groups, device_xp):
        size = int(np.prod(shape))
        gid = np.full(size, -1, np.int64)
        for g, idx in enumerate(groups):
            if idx.max() >= size:
                raise ValueError(f"GroupLasso: group {g} has index {int(idx.max())}, out of "
                                 f"range for a weight of {size} elements (shape {tuple(shape)})")
            gid[idx] = g
        self.shape, self.n = tuple(shape), len(groups)
        xp = device_xp
        self.gid = xp.asarray(np.maximum(gid, 0).reshape(shape))
        self.mask = xp.asarray((gid >= 0).reshape(shape))

    def sumsq(self, a):
        xp = array_module(a)
        sq = (a * a)[self.mask]
        return xp.bincount(self.gid[self.mask], weights=sq, minlength=self.n).astype(a.dtype)

    def expand(self, t):
        return t[Tensor._wrap(self.gid, t.device)] * _const(self.mask.astype(t.dtype), t)

    def expand_array(self, a):
        return a[self.gid] * self.mask

    def group_soft_threshold(self, v, threshold):
        # ragged groups: no row kernel; the same formula with the array module
        xp = array_module(v)
        n = xp.sqrt(self.sumsq(v))
        factor = xp.where(n > threshold, 1 - threshold / xp.where(n > threshold, n, 1), 0)
        return xp.where(self.mask, v * factor.astype(v.dtype)[self.gid], v)


class GroupLasso(Penalty):
    """Group lasso:

        value   lam·Σ_g ‖w_g‖₂
        grad    lam·w_g/‖w_g‖₂ on each group      (the subgradient 0 on a zero group)
        prox    v_g·max(1 − step·lam/‖v_g‖₂, 0)   group soft-thresholding

    Groups: with ``dim`` (an int or a tuple) the norms run along ``dim`` and one group is each
    index of the other axes — on a Linear weight (out, in), ``dim=0`` makes one group per input
    feature (column), so a zero group removes that input. With ``groups=`` (a list of
    sequences of flat indices into ``w``, disjoint) the groups are explicit and ``dim`` is not
    used; elements in no group are not penalised.
    """

    def __init__(self, lam, dim=0, groups=None):
        self.lam = _strength(lam, "lam")
        if groups is not None:
            gs = []
            for g, idx in enumerate(groups):
                a = np.asarray(idx)
                if a.ndim != 1 or a.size == 0 or a.dtype.kind not in "iu" or (a < 0).any():
                    raise ValueError(f"GroupLasso: group {g} must be a non-empty sequence of "
                                     f"non-negative flat indices, got {idx!r}")
                gs.append(a.astype(np.int64))
            if not gs:
                raise ValueError("GroupLasso: groups= is empty")
            every = np.concatenate(gs)
            if np.unique(every).size != every.size:
                raise ValueError("GroupLasso: groups must be disjoint (an index is repeated)")
            self.groups, self.dim = gs, None
        else:
            dims = (dim,) if isinstance(dim, numbers.Integral) else tuple(dim)
            if not dims or any(not isinstance(d, numbers.Integral) for d in dims):
                raise TypeError(f"GroupLasso: dim must be an int or a tuple of ints, got {dim!r}")
            self.groups, self.dim = None, dims

    def _grouping(self, shape, xp):
        if self.groups is not None:
            return _IndexGroups(shape, self.groups, xp)
        nd = len(shape)
        for d in self.dim:
            if not -nd <= d < nd:
                raise ValueError(f"GroupLasso: dim {d} is out of range for a weight of shape "
                                 f"{tuple(shape)}")
        return _AxisGroups(shape, tuple(sorted({d % nd for d in self.dim})))

    def _check_shape(self, shape):
        if self.groups is None:
            self._grouping(shape, np)

    def group_norms(self, w):
        """The vector of ‖w_g‖₂ (a differentiable Tensor)."""
        _check_tensor(w, repr(self))
        return _GroupNorms.apply(w, self._grouping(w.shape, w.backend.xp))

    def value(self, w):
        return _GroupNorms.apply(w, self._grouping(w.shape, w.backend.xp)).sum() * self.lam

    def _grad(self, w):
        xp = array_module(w)
        grouping = self._grouping(w.shape, xp)
        n = xp.sqrt(grouping.sumsq(w))
        inv = xp.where(n > 0, 1 / xp.where(n > 0, n, 1), 0).astype(w.dtype)
        return w * grouping.expand_array(inv) * self.lam

    def _prox(self, v, step):
        return self._grouping(v.shape, array_module(v)).group_soft_threshold(v, step * self.lam)

    def __repr__(self):
        if self.groups is not None:
            return f"GroupLasso(lam={self.lam!r}, groups=<{len(self.groups)} groups>)"
        d = self.dim[0] if len(self.dim) == 1 else self.dim
        return f"GroupLasso(lam={self.lam!r}, dim={d!r})"
