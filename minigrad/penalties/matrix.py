"""Matrix norms of a 2-D weight: spectral (σ_max), nuclear (Σσᵢ), soft orthogonality.

σ_max comes from power iteration (``_power_iteration``), the nuclear norm from the SVD. Their
differentiable values are the Functions ``_TopSingularValue`` and ``_NuclearNorm`` in
minigrad/ops/penalty.py, which hold the singular vectors constant: exact first derivatives,
and a second derivative that raises instead of being wrong.
"""
import warnings

import numpy as np

from ..backend import array_module
from ..ops.penalty import _NuclearNorm, _svd_uvt, _TopSingularValue
from .base import Penalty, _strength


def _matrix_only(name, shape):
    if len(shape) != 2:
        raise ValueError(f"{name} needs a 2-D weight (a matrix), got shape {tuple(shape)}")


_CLOSE = 0.999   # σ₂/σ₁ above this: warn (the gradient error measured 5e-8 at 0.999)


def _power_iteration(W, tol, max_iter, start=None):
    """(σ₁, u₁, v₁) of the matrix W, in float64, by power iteration on WᵀW.

    v ← WᵀW v / ‖WᵀW v‖ from ``start`` (the caller's previous v, a warm start: in a training
    loop W moves little between calls, so a few steps suffice) or else a fixed seeded Gaussian,
    stopping when max|v_new − v| ≤ tol; then u = Wv/‖Wv‖ and σ = ‖Wv‖ = uᵀWv. The error of v
    shrinks by (σ₂/σ₁)² per step and σ's error is of the order of v's squared. A zero matrix
    gives σ = 0 and u = v = 0 (the subgradient 0). Not converging within max_iter (σ₁ ≈ σ₂:
    σ_max is then not differentiable) warns.
    """
    xp = array_module(W)
    A = W.astype(np.float64)
    if start is not None and float(xp.linalg.norm(start)) > 0:
        v = start / xp.linalg.norm(start)
    else:
        v = xp.asarray(np.random.default_rng(0).standard_normal(A.shape[1]))
        v /= xp.linalg.norm(v)
    deltas, converged = [], False
    for _ in range(max_iter):
        z = A.T @ (A @ v)
        nz = float(xp.linalg.norm(z))
        if nz == 0:
            return 0.0, xp.zeros(A.shape[0]), xp.zeros(A.shape[1])
        v_new = z / nz
        deltas.append(float(xp.linalg.norm(v_new - v)))
        done = float(xp.abs(v_new - v).max()) <= tol
        v = v_new
        if done:
            converged = True
            break
    if not converged:
        warnings.warn(f"SpectralNorm: power iteration did not reach tol={tol} in {max_iter} "
                      "steps (the top two singular values are close)", RuntimeWarning,
                      stacklevel=3)
    # each step shrinks v's error by (σ₂/σ₁)²: the last steps' ratio estimates the gap
    elif len(deltas) >= 8 and deltas[-3] > 0 and deltas[-2] / deltas[-3] > _CLOSE ** 2:
        warnings.warn(f"SpectralNorm: σ₂/σ₁ ≈ {(deltas[-2] / deltas[-3]) ** 0.5:.5f} > {_CLOSE}: "
                      "the top singular value is nearly repeated, where σ_max is not "
                      "differentiable; its gradient u₁v₁ᵀ is unreliable there", RuntimeWarning,
                      stacklevel=3)
    Av = A @ v
    sigma = float(xp.linalg.norm(Av))
    return sigma, Av / sigma, v


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
        _, u, v = self._top_pair(w.array)
        return _TopSingularValue.apply(w, u.astype(w.dtype), v.astype(w.dtype)) * self.lam

    def _grad(self, w):
        _, u, v = self._top_pair(w)
        return (self.lam * array_module(w).outer(u, v)).astype(w.dtype)

    def _prox(self, v, step):
        xp = array_module(v)
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
        xp = array_module(v)
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
        from ..creation import eye
        G = w.T @ w - eye(w.shape[1], dtype=w.dtype, device=w.device)
        return (G * G).sum() * self.lam

    def _grad(self, w):
        xp = array_module(w)
        return 4 * self.lam * (w @ (w.T @ w - xp.eye(w.shape[1], dtype=w.dtype)))

    def __repr__(self):
        return f"Orthogonal(lam={self.lam!r})"
