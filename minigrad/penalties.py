"""Penalties: every parameter-norm regulariser with its value, gradient and prox written out.

A ``Penalty`` ``p`` offers three views of one function:

* ``p(w)``  — ``w`` a Tensor: the value as a 0-d Tensor built from minigrad ops, so autograd
  gives its gradient (and, where the ops allow, with ``create_graph`` its Hessian);
* ``p.grad(w)`` — ``w`` the backing array (numpy or cupy): the gradient, or the subgradient
  named in the docstring, computed by hand with the array's own module (no autograd);
* ``p.prox(v, step)`` — ``argmin_w p(w) + ‖w − v‖²/(2·step)`` where that has a closed form;
  otherwise ``NotImplementedError`` naming the penalty.

Strengths are validated when a penalty is made: negative, NaN or infinite → ``ValueError``
naming the argument. Penalties add and scale: ``L1(a) + L2(b)``, ``0.5 * L2(b)``. The value and
gradient of a sum are the sums; ``prox`` of a sum exists only where it is a known closed form
(any sum of L1/L2/ElasticNet terms is an elastic net); ``prox_{c·p}(v, s) = prox_p(v, c·s)``.

Conventions: ``L2(lam)`` is ``(lam/2)‖w‖²`` with gradient ``lam·w`` — what torch's
``weight_decay=lam`` adds; the Keras form ``l2·‖w‖²`` (gradient ``2·l2·w``) is ``L2.keras(l2)``.
Soft-thresholding and group soft-thresholding run as kernels (csrc/cpu/prox.pyx,
csrc/cuda/prox.cu; the numpy reference is in minigrad/backend/reference.py).
"""
import math
import numbers
import warnings

import numpy as np

from .autograd import Function, is_grad_enabled
from .ops.special import first_order_only
from .backend import array_module, get_backend, reference
from .tensor import Tensor, _is_array

__all__ = [
    "Penalty", "L2", "L1", "ElasticNet", "GroupLasso", "SpectralNorm", "NuclearNorm",
    "Orthogonal", "PathNorm", "L2SP", "EWC", "ActivityL1", "ActivityL2", "Consistency",
    "apply_penalty",
]


# ---- argument checks ------------------------------------------------------------------------

def _strength(value, name):
    """A penalty strength: a finite real number ≥ 0."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    v = float(value)
    if not math.isfinite(v) or v < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return v


def _check_tensor(w, who):
    if not isinstance(w, Tensor):
        hint = " (for arrays use .grad(w) / .prox(v, step))" if _is_array(w) else ""
        raise TypeError(f"{who} takes a Tensor, got {type(w).__name__}{hint}")
    if w.dtype.kind != "f":
        raise TypeError(f"{who} needs a floating-point tensor, got dtype {w.dtype}")


def _check_array(a, who):
    if isinstance(a, Tensor):
        raise TypeError(f"{who} takes the backing array (numpy or cupy), got a Tensor: pass .data")
    if not _is_array(a):
        raise TypeError(f"{who} takes a numpy or cupy array, got {type(a).__name__}")
    if a.dtype.kind != "f":
        raise TypeError(f"{who} needs a floating-point array, got dtype {a.dtype}")


def _check_step(step):
    if isinstance(step, bool) or not isinstance(step, numbers.Real) or \
            not math.isfinite(float(step)) or step <= 0:
        raise ValueError(f"step must be a finite number > 0, got {step!r}")
    return float(step)


def _xp(a):
    return array_module(a)


def _backend_of(a):
    return get_backend("cpu" if isinstance(a, np.ndarray) else "cuda")


def _const(array, like):
    """A constant of the graph (no history) on ``like``'s device."""
    return Tensor._wrap(array, like.device)


def _contiguous(a):
    return a if a.flags.c_contiguous else a.copy(order="C")


# ---- the prox kernels, through the array's backend ----------------------------------------

def _soft_threshold(v, threshold, divisor=1.0):
    """sign(v)·max(|v| − threshold, 0) / divisor  (kernel ``soft_threshold``)."""
    backend = _backend_of(v)
    a = _contiguous(v)
    out = backend.xp.empty_like(a)
    kernel = backend.soft_threshold if a.dtype in (np.float32, np.float64) else \
        reference.soft_threshold  # float16: the numpy reference
    kernel(a, float(threshold), float(divisor), out)
    return out


def _group_soft_threshold_rows(v2d, threshold):
    """v[r]·max(1 − threshold/‖v[r]‖, 0) for each row of a 2-D array (kernel)."""
    backend = _backend_of(v2d)
    a = _contiguous(v2d)
    out = backend.xp.empty_like(a)
    kernel = backend.group_soft_threshold if a.dtype in (np.float32, np.float64) else \
        reference.group_soft_threshold
    kernel(a, float(threshold), out)
    return out


# ---- the interface ----------------------------------------------------------------------------

class Penalty:
    """Base class: ``p(w)`` value (Tensor), ``p.grad(w)`` closed-form gradient (array),
    ``p.prox(v, step)`` proximal operator (array). See the module docstring."""

    def __call__(self, w):
        _check_tensor(w, repr(self))
        self._check_shape(w.shape)
        return self.value(w)

    def grad(self, w):
        """The gradient (or the documented subgradient) at the array ``w``, by hand."""
        _check_array(w, f"{self!r}.grad")
        self._check_shape(w.shape)
        return self._grad(w)

    def prox(self, v, step):
        """``argmin_w p(w) + ‖w − v‖²/(2·step)`` for the array ``v``."""
        _check_array(v, f"{self!r}.prox")
        step = _check_step(step)
        self._check_shape(v.shape)
        return self._prox(v, step)

    # subclasses implement these
    def value(self, w):
        raise NotImplementedError

    def _grad(self, w):
        raise NotImplementedError

    def _prox(self, v, step):
        raise NotImplementedError(f"{self!r} has no closed-form proximal operator")

    def _check_shape(self, shape):
        pass

    def _elastic(self):
        """(l1, l2) when the penalty is l1·‖w‖₁ + (l2/2)‖w‖², else None (for prox of sums)."""
        return None

    # ---- the algebra
    def __add__(self, other):
        if not isinstance(other, Penalty):
            return NotImplemented
        return _Sum([self, other])

    def __radd__(self, other):
        if isinstance(other, numbers.Number) and other == 0:  # sum([p1, p2])
            return self
        return NotImplemented

    def __mul__(self, c):
        if not isinstance(c, numbers.Real) or isinstance(c, bool):
            return NotImplemented
        return _Scaled(_strength(c, "scale"), self)

    __rmul__ = __mul__


def _matrix_only(name, shape):
    if len(shape) != 2:
        raise ValueError(f"{name} needs a 2-D weight (a matrix), got shape {tuple(shape)}")


class _Sum(Penalty):
    """p₁ + p₂ + …: value and gradient add; prox only where the sum is an elastic net."""

    def __init__(self, terms):
        flat = []
        for t in terms:
            flat.extend(t.terms if isinstance(t, _Sum) else [t])
        self.terms = flat

    def __call__(self, w):
        total = self.terms[0](w)
        for t in self.terms[1:]:
            total = total + t(w)
        return total

    def grad(self, w):
        g = self.terms[0].grad(w)
        for t in self.terms[1:]:
            g = g + t.grad(w)
        return g

    def _check_shape(self, shape):
        for t in self.terms:
            t._check_shape(shape)

    def _elastic(self):
        parts = [t._elastic() for t in self.terms]
        if any(p is None for p in parts):
            return None
        return sum(p[0] for p in parts), sum(p[1] for p in parts)

    def _prox(self, v, step):
        coeffs = self._elastic()
        if coeffs is None:
            raise NotImplementedError(
                f"{self!r}: the prox of a sum has no closed form in general; only sums of "
                "L1 / L2 / ElasticNet terms (an elastic net) are recognised")
        return ElasticNet(*coeffs)._prox(v, step)

    def __repr__(self):
        return " + ".join(repr(t) for t in self.terms)


class _Scaled(Penalty):
    """c·p:  value c·p(w), gradient c·∇p(w), prox_{c·p}(v, s) = prox_p(v, c·s)."""

    def __init__(self, c, inner):
        self.c, self.inner = c, inner

    def __call__(self, w):
        return self.inner(w) * self.c

    def grad(self, w):
        return self.inner.grad(w) * self.c

    def _check_shape(self, shape):
        self.inner._check_shape(shape)

    def _elastic(self):
        e = self.inner._elastic()
        return None if e is None else (self.c * e[0], self.c * e[1])

    def _prox(self, v, step):
        if self.c == 0:
            return v.copy()
        return self.inner._prox(v, self.c * step)

    def __repr__(self):
        return f"{self.c!r} * {self.inner!r}"


# ---- elementwise norms ------------------------------------------------------------------------

class L2(Penalty):
    """Squared L2, the convention of torch's ``weight_decay=lam``:

        value   (lam/2)·‖w‖²
        grad    lam·w
        prox    v / (1 + step·lam)

    The Keras convention ``keras.regularizers.L2(l2)`` is ``l2·‖w‖²`` with gradient
    ``2·l2·w``: ``L2.keras(l2)``, which is ``L2(2·l2)``.
    """

    def __init__(self, lam):
        self.lam = _strength(lam, "lam")

    @classmethod
    def keras(cls, l2):
        """Keras' L2: ``l2·‖w‖²``, gradient ``2·l2·w`` (that is ``L2(lam=2·l2)``)."""
        return cls(2 * _strength(l2, "l2"))

    def value(self, w):
        return (w * w).sum() * (self.lam / 2)

    def _grad(self, w):
        return w * self.lam

    def _prox(self, v, step):
        return v / (1 + step * self.lam)

    def _elastic(self):
        return 0.0, self.lam

    def __repr__(self):
        return f"L2(lam={self.lam!r})"


class L1(Penalty):
    """L1 (the lasso):

        value   lam·‖w‖₁ = lam·Σ|wᵢ|
        grad    lam·sign(w)      (the subgradient 0 at wᵢ = 0)
        prox    sign(v)·max(|v| − step·lam, 0)      soft-thresholding
    """

    def __init__(self, lam):
        self.lam = _strength(lam, "lam")

    def value(self, w):
        return w.abs().sum() * self.lam

    def _grad(self, w):
        return _xp(w).sign(w) * self.lam

    def _prox(self, v, step):
        return _soft_threshold(v, step * self.lam)

    def _elastic(self):
        return self.lam, 0.0

    def __repr__(self):
        return f"L1(lam={self.lam!r})"


class ElasticNet(Penalty):
    """Elastic net:

        value   l1·‖w‖₁ + (l2/2)·‖w‖²
        grad    l1·sign(w) + l2·w      (sign 0 at 0)
        prox    sign(v)·max(|v| − step·l1, 0) / (1 + step·l2)
    """

    def __init__(self, l1, l2):
        self.l1 = _strength(l1, "l1")
        self.l2 = _strength(l2, "l2")

    def value(self, w):
        return w.abs().sum() * self.l1 + (w * w).sum() * (self.l2 / 2)

    def _grad(self, w):
        return _xp(w).sign(w) * self.l1 + w * self.l2

    def _prox(self, v, step):
        return _soft_threshold(v, step * self.l1, 1 + step * self.l2)

    def _elastic(self):
        return self.l1, self.l2

    def __repr__(self):
        return f"ElasticNet(l1={self.l1!r}, l2={self.l2!r})"


# ---- group lasso --------------------------------------------------------------------------

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
        xp = _xp(v)
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
        xp = _xp(a)
        sq = (a * a)[self.mask]
        return xp.bincount(self.gid[self.mask], weights=sq, minlength=self.n).astype(a.dtype)

    def expand(self, t):
        return t[Tensor._wrap(self.gid, t.device)] * _const(self.mask.astype(t.dtype), t)

    def expand_array(self, a):
        return a[self.gid] * self.mask

    def group_soft_threshold(self, v, threshold):
        # ragged groups: no row kernel; the same formula with the array module
        xp = _xp(v)
        n = xp.sqrt(self.sumsq(v))
        factor = xp.where(n > threshold, 1 - threshold / xp.where(n > threshold, n, 1), 0)
        return xp.where(self.mask, v * factor.astype(v.dtype)[self.gid], v)


class _GroupNorms(Function):
    """n_g = ‖w_g‖₂ = √(Σ_{i∈g} wᵢ²)      ∂n_g/∂wᵢ = wᵢ / n_g  for i ∈ g

    At a zero group the norm has no derivative; the backward returns the subgradient 0 there
    (the minimum-norm element of its subdifferential, the unit ball). With create_graph the
    backward ``w · (g/n)`` is built from ops, so second derivatives are exact off zero groups.
    """

    @staticmethod
    def forward(ctx, w, grouping):
        ctx.save_for_backward(w)
        ctx.grouping = grouping
        ctx.norms = _xp(w.data).sqrt(grouping.sumsq(w.data))
        return ctx.norms

    @staticmethod
    def backward(ctx, grad):
        w, = ctx.saved_tensors
        grouping = ctx.grouping
        n = _GroupNorms.apply(w, grouping) if is_grad_enabled() else _const(ctx.norms, w)
        positive = n.data > 0
        safe = n * _const(positive.astype(n.dtype), n) + _const((~positive).astype(n.dtype), n)
        return w * grouping.expand(grad / safe * _const(positive.astype(n.dtype), n)), None


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
        xp = _xp(w)
        grouping = self._grouping(w.shape, xp)
        n = xp.sqrt(grouping.sumsq(w))
        inv = xp.where(n > 0, 1 / xp.where(n > 0, n, 1), 0).astype(w.dtype)
        return w * grouping.expand_array(inv) * self.lam

    def _prox(self, v, step):
        return self._grouping(v.shape, _xp(v)).group_soft_threshold(v, step * self.lam)

    def __repr__(self):
        if self.groups is not None:
            return f"GroupLasso(lam={self.lam!r}, groups=<{len(self.groups)} groups>)"
        d = self.dim[0] if len(self.dim) == 1 else self.dim
        return f"GroupLasso(lam={self.lam!r}, dim={d!r})"


# ---- matrix norms -------------------------------------------------------------------------

def _power_iteration(W, tol, max_iter, start=None):
    """(σ₁, u₁, v₁) of the matrix W, in float64, by power iteration on WᵀW.

    v ← WᵀW v / ‖WᵀW v‖ from ``start`` (the caller's previous v, a warm start: in a training
    loop W moves little between calls, so a few steps suffice) or else a fixed seeded Gaussian,
    stopping when max|v_new − v| ≤ tol; then u = Wv/‖Wv‖ and σ = ‖Wv‖ = uᵀWv. The error of v
    shrinks by (σ₂/σ₁)² per step and σ's error is of the order of v's squared. A zero matrix
    gives σ = 0 and u = v = 0 (the subgradient 0). Not converging within max_iter (σ₁ ≈ σ₂:
    σ_max is then not differentiable) warns.
    """
    xp = _xp(W)
    A = W.astype(np.float64)
    if start is not None and float(xp.linalg.norm(start)) > 0:
        v = start / xp.linalg.norm(start)
    else:
        v = xp.asarray(np.random.default_rng(0).standard_normal(A.shape[1]))
        v /= xp.linalg.norm(v)
    for _ in range(max_iter):
        z = A.T @ (A @ v)
        nz = float(xp.linalg.norm(z))
        if nz == 0:
            return 0.0, xp.zeros(A.shape[0]), xp.zeros(A.shape[1])
        v_new = z / nz
        done = float(xp.abs(v_new - v).max()) <= tol
        v = v_new
        if done:
            break
    else:
        warnings.warn(f"SpectralNorm: power iteration did not reach tol={tol} in {max_iter} "
                      "steps (the top two singular values are close)", RuntimeWarning,
                      stacklevel=3)
    Av = A @ v
    sigma = float(xp.linalg.norm(Av))
    return sigma, Av / sigma, v


class _TopSingularValue(Function):
    """σ₁ = u₁ᵀ W v₁ (u₁, v₁ the converged top singular vectors)      dσ₁/dW = u₁ v₁ᵀ

    Exact to first order; u₁, v₁ depend on W too, which a Hessian would need, so the gradient
    is marked first-order-only (differentiating it again raises).
    """

    @staticmethod
    def forward(ctx, w, u, v):
        ctx.u, ctx.v = u, v
        return u @ w.data @ v

    @staticmethod
    def backward(ctx, grad):
        uvt = Tensor._wrap(_xp(ctx.u).outer(ctx.u, ctx.v), grad.device)
        return first_order_only(grad * uvt, "SpectralNorm", grad, ctx.inputs[0]), None, None


class SpectralNorm(Penalty):
    """Spectral norm (the largest singular value):

        value   lam·σ_max(W)
        grad    lam·u₁v₁ᵀ      (u₁, v₁ the top singular vectors)
        prox    U·diag(min(σᵢ, θ))·Vᵀ, θ ≥ 0 solving Σᵢ max(σᵢ − θ, 0) = step·lam
                (and 0 when Σσᵢ ≤ step·lam): V minus its projection on the nuclear-norm ball
                of radius step·lam, by Moreau's identity (the nuclear norm is the dual norm)

    σ_max comes from power iteration run to convergence (``tol`` on the change of v,
    ``max_iter``; see ``_power_iteration``); it agrees with the SVD to ~1e-12 in float64.
    The value is ``lam·uᵀWv`` with the converged u, v held constant: the gradient of uᵀWv is
    exactly uvᵀ, which is ∂σ₁/∂W at convergence, so the first derivative is right. A second
    derivative would need how u, v move with W, so differentiating the gradient again raises
    NonDifferentiableBackwardError instead of giving a wrong Hessian.
    """

    def __init__(self, lam, tol=1e-10, max_iter=10_000):
        self.lam = _strength(lam, "lam")
        self.tol, self.max_iter = float(tol), int(max_iter)
        self._last_v = {}  # (shape, device) -> the last right singular vector: a warm start

    def _top_pair(self, W):
        key = (W.shape, type(W).__module__)
        sigma, u, v = _power_iteration(W, self.tol, self.max_iter, self._last_v.get(key))
        self._last_v[key] = v
        return sigma, u, v

    def _check_shape(self, shape):
        _matrix_only("SpectralNorm", shape)

    def value(self, w):
        _, u, v = self._top_pair(w.data)
        return _TopSingularValue.apply(w, u.astype(w.dtype), v.astype(w.dtype)) * self.lam

    def _grad(self, w):
        _, u, v = self._top_pair(w)
        return (self.lam * _xp(w).outer(u, v)).astype(w.dtype)

    def _prox(self, v, step):
        xp = _xp(v)
        U, s, Vt = xp.linalg.svd(v.astype(np.float64), full_matrices=False)
        t = step * self.lam
        if float(s.sum()) <= t:
            return xp.zeros_like(v)
        # θ: Σ max(σᵢ − θ, 0) = t, with σ sorted descending (the SVD's order)
        k = xp.arange(1, s.size + 1)
        thetas = (xp.cumsum(s) - t) / k
        j = int(xp.nonzero(s > thetas)[0].max())
        theta = float(thetas[j])
        return ((U * xp.minimum(s, theta)) @ Vt).astype(v.dtype)

    def __repr__(self):
        return f"SpectralNorm(lam={self.lam!r})"


def _svd_uvt(W):
    """U·Vᵀ over the singular values above the rank tolerance (a subgradient of ‖W‖_*)."""
    xp = _xp(W)
    U, s, Vt = xp.linalg.svd(W, full_matrices=False)
    keep = s > max(W.shape) * np.finfo(W.dtype).eps * (float(s.max()) if s.size else 0.0)
    return s, (U * keep) @ Vt


class _NuclearNorm(Function):
    """y = ‖W‖_* = Σσᵢ      dy/dW = U·Vᵀ   (thin SVD; W of full rank, else a subgradient)

    The backward holds U·Vᵀ constant, which is exact to first order only (a Hessian would
    need the 1/(σᵢ ± σⱼ) terms of the SVD's derivative), so differentiating it again raises
    NonDifferentiableBackwardError rather than returning a wrong number.
    """

    @staticmethod
    def forward(ctx, w):
        s, ctx.uvt = _svd_uvt(w.data)
        return s.sum()

    @staticmethod
    def backward(ctx, grad):
        return first_order_only(grad * Tensor._wrap(ctx.uvt, grad.device), "NuclearNorm",
                                grad, *ctx.inputs)


class NuclearNorm(Penalty):
    """Nuclear norm (trace norm):

        value   lam·Σᵢ σᵢ(W)
        grad    lam·U·Vᵀ      (thin SVD W = U·diag(σ)·Vᵀ; for a rank-deficient W, U·Vᵀ over
                               the nonzero σ is a subgradient)
        prox    U·diag(max(σᵢ − step·lam, 0))·Vᵀ      singular-value soft-thresholding
    """

    def __init__(self, lam):
        self.lam = _strength(lam, "lam")

    def _check_shape(self, shape):
        _matrix_only("NuclearNorm", shape)

    def value(self, w):
        return _NuclearNorm.apply(w) * self.lam

    def _grad(self, w):
        return _svd_uvt(w)[1] * self.lam

    def _prox(self, v, step):
        xp = _xp(v)
        U, s, Vt = xp.linalg.svd(v, full_matrices=False)
        return (U * xp.maximum(s - step * self.lam, 0)) @ Vt

    def __repr__(self):
        return f"NuclearNorm(lam={self.lam!r})"


class Orthogonal(Penalty):
    """Soft orthogonality of the columns of W (Bansal et al., 2018):

        value   lam·‖WᵀW − I‖²_F
        grad    4·lam·W·(WᵀW − I)
        prox    none in closed form (the value is a non-convex quartic)

    On a Linear weight (out, in), WᵀW is (in, in): the penalty is 0 when the columns are
    orthonormal (possible when out ≥ in). Pass ``W.T`` for the rows.
    """

    def __init__(self, lam):
        self.lam = _strength(lam, "lam")

    def _check_shape(self, shape):
        _matrix_only("Orthogonal", shape)

    def value(self, w):
        from .tensor import eye
        G = w.T @ w - eye(w.shape[1], dtype=w.dtype, device=w.device)
        return (G * G).sum() * self.lam

    def _grad(self, w):
        xp = _xp(w)
        return 4 * self.lam * (w @ (w.T @ w - xp.eye(w.shape[1], dtype=w.dtype)))

    def __repr__(self):
        return f"Orthogonal(lam={self.lam!r})"


# ---- penalties towards a reference ----------------------------------------------------------

def _reference_array(ref, name):
    if isinstance(ref, Tensor):
        ref = ref.data
    if not _is_array(ref):
        raise TypeError(f"{name} must be a Tensor or an array, got {type(ref).__name__}")
    if ref.dtype.kind != "f":
        raise TypeError(f"{name} must be floating-point, got dtype {ref.dtype}")
    return ref.copy()


def _match(arr, w, name, who):
    """arr is on w's device, with w's shape and dtype (no silent broadcast or cast)."""
    if arr.shape != tuple(w.shape):
        raise ValueError(f"{who}: {name} has shape {arr.shape}, the weight {tuple(w.shape)}")
    if arr.dtype != w.dtype:
        raise TypeError(f"{who}: {name} is {arr.dtype}, the weight {w.dtype}")
    if isinstance(arr, np.ndarray) != isinstance(w.data if isinstance(w, Tensor) else w,
                                                 np.ndarray):
        raise ValueError(f"{who}: {name} and the weight are on different devices")


class _Anchored(Penalty):
    """A penalty on the distance to a reference weight w₀: the weight must have w₀'s shape."""

    def _check_shape(self, shape):
        if tuple(shape) != self.reference.shape:
            raise ValueError(f"{self!r}: reference has shape {self.reference.shape}, the weight "
                             f"{tuple(shape)}")


class L2SP(_Anchored):
    """L2 towards a starting point w₀ (Li et al., 2018), for fine-tuning:

        value   (lam/2)·‖w − w₀‖²
        grad    lam·(w − w₀)
        prox    (v + step·lam·w₀) / (1 + step·lam)
    """

    def __init__(self, lam, reference):
        self.lam = _strength(lam, "lam")
        self.reference = _reference_array(reference, "reference")

    def value(self, w):
        _match(self.reference, w, "reference", repr(self))
        d = w - _const(self.reference, w)
        return (d * d).sum() * (self.lam / 2)

    def _grad(self, w):
        _match(self.reference, w, "reference", repr(self))
        return (w - self.reference) * self.lam

    def _prox(self, v, step):
        _match(self.reference, v, "reference", repr(self))
        return (v + self.reference * (step * self.lam)) / (1 + step * self.lam)

    def __repr__(self):
        return f"L2SP(lam={self.lam!r})"


class EWC(_Anchored):
    """Elastic weight consolidation (Kirkpatrick et al., 2017), F the diagonal Fisher:

        value   (lam/2)·Σᵢ Fᵢ·(wᵢ − w₀ᵢ)²
        grad    lam·F·(w − w₀)
        prox    (v + step·lam·F·w₀) / (1 + step·lam·F)      elementwise
    """

    def __init__(self, lam, fisher, reference):
        self.lam = _strength(lam, "lam")
        self.fisher = _reference_array(fisher, "fisher")
        self.reference = _reference_array(reference, "reference")
        if self.fisher.shape != self.reference.shape:
            raise ValueError(f"EWC: fisher has shape {self.fisher.shape}, reference "
                             f"{self.reference.shape}")
        if not bool((self.fisher >= 0).all()):  # NaN fails too
            raise ValueError("EWC: fisher must be finite and >= 0 everywhere")

    def value(self, w):
        _match(self.reference, w, "reference", repr(self))
        _match(self.fisher, w, "fisher", repr(self))
        d = w - _const(self.reference, w)
        return (_const(self.fisher, w) * d * d).sum() * (self.lam / 2)

    def _grad(self, w):
        _match(self.reference, w, "reference", repr(self))
        return self.fisher * (w - self.reference) * self.lam

    def _prox(self, v, step):
        _match(self.reference, v, "reference", repr(self))
        sf = self.fisher * (step * self.lam)
        return (v + sf * self.reference) / (1 + sf)

    def __repr__(self):
        return f"EWC(lam={self.lam!r})"


# ---- penalties on activations -----------------------------------------------------------------

def _batch(shape, who):
    if len(shape) == 0 or shape[0] == 0:
        raise ValueError(f"{who} needs activations with a batch axis first and at least one "
                         f"sample, got shape {tuple(shape)}")
    return shape[0]


class ActivityL1(Penalty):
    """L1 on a layer's output a of shape (B, …), as tf.keras' ``activity_regularizer=L1(lam)``
    (Keras divides the regulariser by the batch size B = a.shape[0]):

        value   lam·Σ|a| / B
        grad    lam·sign(a) / B
        prox    sign(v)·max(|v| − step·lam/B, 0)
    """

    def __init__(self, lam):
        self.lam = _strength(lam, "lam")

    def _check_shape(self, shape):
        _batch(shape, repr(self))

    def value(self, a):
        return a.abs().sum() * (self.lam / a.shape[0])

    def _grad(self, a):
        return _xp(a).sign(a) * (self.lam / a.shape[0])

    def _prox(self, v, step):
        return _soft_threshold(v, step * self.lam / v.shape[0])

    def __repr__(self):
        return f"ActivityL1(lam={self.lam!r})"


class ActivityL2(Penalty):
    """Squared L2 on a layer's output a of shape (B, …), as tf.keras'
    ``activity_regularizer=L2(lam)`` — Keras' convention, without the ½ of ``L2``:

        value   lam·Σa² / B
        grad    2·lam·a / B
        prox    v / (1 + 2·step·lam/B)
    """

    def __init__(self, lam):
        self.lam = _strength(lam, "lam")

    def _check_shape(self, shape):
        _batch(shape, repr(self))

    def value(self, a):
        return (a * a).sum() * (self.lam / a.shape[0])

    def _grad(self, a):
        return a * (2 * self.lam / a.shape[0])

    def _prox(self, v, step):
        return v / (1 + 2 * step * self.lam / v.shape[0])

    def __repr__(self):
        return f"ActivityL2(lam={self.lam!r})"


class Consistency(Penalty):
    """Consistency under a transformation T on unlabelled inputs u of shape (B, …)
    (the Π-model of Laine & Aila, 2017):

        value   lam · (1/B)·Σ_b ‖f(u)_b − f(T(u))_b‖²      a MEAN over the batch of each
                                                            sample's squared L2 distance
        grad    (with respect to u or f's parameters) needs f's Jacobian: use autograd on
                the value; ``.grad`` raises NotImplementedError; no prox

    ``f`` is the model (any callable Tensor → Tensor), ``transform`` the perturbation T
    (callable Tensor → Tensor: noise, augmentation). Both branches carry gradient.
    """

    def __init__(self, lam, f, transform):
        self.lam = _strength(lam, "lam")
        if not callable(f) or not callable(transform):
            raise TypeError("Consistency(lam, f, transform): f and transform must be callables")
        self.f, self.transform = f, transform

    def _check_shape(self, shape):
        _batch(shape, repr(self))

    def value(self, u):
        d = self.f(u) - self.f(self.transform(u))
        return (d * d).sum() * (self.lam / u.shape[0])

    def _grad(self, u):
        raise NotImplementedError(f"{self!r}: the gradient depends on f's Jacobian; "
                                  "differentiate the value with autograd")

    def __repr__(self):
        return f"Consistency(lam={self.lam!r})"


# ---- the path norm -------------------------------------------------------------------------

def _path_weights(model):
    """The weight Tensors of a chain of Linear layers (a list of Tensors, or a Sequential of
    Linear and ReLU layers)."""
    if isinstance(model, (list, tuple)):
        ws = list(model)
        for i, w in enumerate(ws):
            _check_tensor(w, f"PathNorm (weight {i})")
    else:
        try:
            from . import nn
        except ImportError:
            raise TypeError(f"PathNorm takes a list of weight Tensors or an nn.Sequential, got "
                            f"{type(model).__name__}") from None
        if not hasattr(nn, "Sequential") or not isinstance(model, nn.Sequential):
            raise TypeError(f"PathNorm takes a list of weight Tensors or an nn.Sequential of "
                            f"Linear and ReLU layers, got {type(model).__name__}")
        ws = []
        for i, layer in enumerate(model):
            if isinstance(layer, nn.Linear):
                ws.append(layer.weight)
            elif not isinstance(layer, nn.ReLU):
                raise TypeError(f"PathNorm: layer {i} is {type(layer).__name__}; the path norm "
                                "is defined here for Linear and ReLU layers only")
    if not ws:
        raise ValueError("PathNorm: no Linear weight found")
    for i, w in enumerate(ws):
        if w.ndim != 2:
            raise ValueError(f"PathNorm: weight {i} has shape {tuple(w.shape)}, not 2-D")
        if i and w.shape[1] != ws[i - 1].shape[0]:
            raise ValueError(f"PathNorm: weight {i} has shape {tuple(w.shape)}, which does not "
                             f"follow weight {i - 1} of shape {tuple(ws[i - 1].shape)}")
    return ws


class PathNorm(Penalty):
    """Squared path norm (Neyshabur et al., 2015) of a chain of Linear layers W₁, …, W_L
    (weights (out, in); biases are not penalised), ReLU between them:

        value   lam·Σ over input→output paths of Π (squared weights on the path)
                = lam·1ᵀ (W_L∘W_L) ⋯ (W₁∘W₁) 1          two layers: lam·sum(W₂² @ W₁²)
        grad    ∂/∂W_k = 2·lam·W_k ∘ (b_k a_kᵀ), with a_k = (W_{k−1}²)⋯(W₁²)1 (input side)
                and b_k = (W_{k+1}²)ᵀ⋯(W_L²)ᵀ1 (output side)
        prox    none in closed form

    Call it on an ``nn.Sequential`` of Linear/ReLU layers or on the list of weights; ``.grad``
    takes the list of weight arrays and returns the list of gradients. Invariant when a hidden
    unit's incoming weights (and bias) are scaled by s > 0 and its outgoing weights by 1/s,
    which ReLU networks' functions are too; L2 is not.
    """

    def __init__(self, lam):
        self.lam = _strength(lam, "lam")

    def __call__(self, model):
        ws = _path_weights(model)
        from .tensor import ones
        v = ones(ws[0].shape[1], dtype=ws[0].dtype, device=ws[0].device)
        for w in ws:
            v = (w * w) @ v
        return v.sum() * self.lam

    def grad(self, weights):
        ws = list(weights)
        for i, w in enumerate(ws):
            _check_array(w, f"PathNorm.grad (weight {i})")
        _path_weights([Tensor._wrap(w, "cpu" if isinstance(w, np.ndarray) else "cuda")
                       for w in ws])  # shape checks
        xp = _xp(ws[0])
        sq = [w * w for w in ws]
        a = [xp.ones(ws[0].shape[1], ws[0].dtype)]
        for s in sq[:-1]:
            a.append(s @ a[-1])
        b = [xp.ones(ws[-1].shape[0], ws[-1].dtype)]
        for s in reversed(sq[1:]):
            b.append(s.T @ b[-1])
        b.reverse()
        return [2 * self.lam * w * xp.outer(bk, ak) for w, ak, bk in zip(ws, a, b)]

    def prox(self, v, step):
        raise NotImplementedError(f"{self!r} has no closed-form proximal operator")

    def __repr__(self):
        return f"PathNorm(lam={self.lam!r})"


# ---- attaching one penalty to a whole model ---------------------------------------------------

_NORM_LAYERS = ("BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "LayerNorm", "GroupNorm",
                "InstanceNorm1d", "InstanceNorm2d", "RMSNorm")


def _is_norm_layer(module, nn):
    classes = tuple(getattr(nn, n) for n in _NORM_LAYERS if hasattr(nn, n))
    return isinstance(module, classes)


def _combined(old, new):
    if isinstance(old, Penalty) and isinstance(new, Penalty):
        return old + new
    return lambda w: old(w) + new(w)


def apply_penalty(model, penalty, include_bias=False, include_norm=False):
    """Attaches ``penalty`` to every weight of ``model`` (Keras' ``kernel_regularizer`` on every
    layer at once) and returns the names of the parameters it now penalises.

    For each sub-module with a ``weight`` parameter, ``penalty`` becomes (or is added to) its
    ``weight_penalty``; with ``include_bias=True`` also its ``bias_penalty``. Normalisation
    layers (BatchNorm, LayerNorm, GroupNorm, …) are skipped unless ``include_norm=True``: their
    scale and shift are not weights whose size regularisation means anything, as the usual
    "no decay on norms and biases" rule says. ``model.penalty()`` then sums them.
    A layer that already has a penalty keeps it and gets ``old + penalty``: calling this twice
    counts the penalty twice.
    """
    from . import nn
    if not isinstance(penalty, Penalty) and not callable(penalty):
        raise TypeError(f"apply_penalty: penalty must be a Penalty (or a callable Tensor -> "
                        f"scalar Tensor), got {type(penalty).__name__}")
    if not hasattr(model, "named_modules"):
        raise TypeError(f"apply_penalty takes an nn.Module, got {type(model).__name__}")
    names = []
    for prefix, module in model.named_modules():
        if _is_norm_layer(module, nn) and not include_norm:
            continue
        targets = [("weight", "weight_penalty")]
        if include_bias:
            targets.append(("bias", "bias_penalty"))
        for param_name, slot in targets:
            if getattr(module, param_name, None) is None:
                continue
            old = getattr(module, slot, None)
            setattr(module, slot, penalty if old is None else _combined(old, penalty))
            names.append(f"{prefix}.{param_name}" if prefix else param_name)
    return names
