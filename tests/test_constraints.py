"""Constraints (minigrad/constraints.py): Keras' formulas, and each strict one is a projection:
idempotent, its result satisfies the constraint, and for convex sets it is the nearest point
(checked against a brute-force search over the set)."""
import numpy as np
import pytest

import minigrad as mg
from minigrad import constraints as C
from minigrad.backend import get_backend


def _w(shape=(4, 3), seed=0, scale=2.0):
    return np.random.default_rng(seed).standard_normal(shape) * scale


def _keras(w, desired_fn, axis, eps=1e-7):
    """Keras' code path: w * desired / (epsilon + norms)."""
    norms = np.sqrt((w ** 2).sum(axis=axis, keepdims=True))
    return w * (desired_fn(norms) / (eps + norms))


def test_max_norm_formula_and_keras_eps():
    w = _w()
    got = C.MaxNorm(1.5)(w)
    n = np.linalg.norm(w, axis=0, keepdims=True)
    np.testing.assert_allclose(got, w * np.minimum(n, 1.5) / n, rtol=1e-15)
    np.testing.assert_allclose(C.MaxNorm(1.5, eps=1e-7)(w),
                               _keras(w, lambda n: np.clip(n, 0, 1.5), 0), rtol=1e-15)
    assert np.all(np.linalg.norm(got, axis=0) <= 1.5 * (1 + 1e-15))


def test_min_max_norm_formula_with_rate():
    w = _w(seed=1)
    for rate in (1.0, 0.3):
        got = C.MinMaxNorm(1.0, 2.0, rate=rate, dim=1)(w)
        want = _keras(w, lambda n: rate * np.clip(n, 1.0, 2.0) + (1 - rate) * n, 1, eps=0)
        np.testing.assert_allclose(got, want, rtol=1e-14)
    n = np.linalg.norm(C.MinMaxNorm(1.0, 2.0, dim=1)(w), axis=1)
    assert np.all((n >= 1 - 1e-12) & (n <= 2 + 1e-12))


def test_unit_norm_and_nonneg_formulas():
    w = _w(seed=2)
    np.testing.assert_allclose(C.UnitNorm()(w), w / np.linalg.norm(w, axis=0), rtol=1e-15)
    np.testing.assert_allclose(C.UnitNorm(dim=1, eps=1e-7)(w), _keras(w, np.ones_like, 1),
                               rtol=1e-15)
    np.testing.assert_array_equal(C.NonNeg()(w), np.where(w >= 0, w, 0))


def test_l2_ball_formula():
    w = _w(seed=3)
    n = np.linalg.norm(w)
    np.testing.assert_allclose(C.L2Ball(1.0)(w), w / n, rtol=1e-15)
    np.testing.assert_array_equal(C.L2Ball(2 * n)(w), w)


PROJECTIONS = [C.MaxNorm(1.5), C.MaxNorm(1.5, dim=1), C.MaxNorm(1.0, dim=(0, 1)),
               C.MinMaxNorm(1.0, 2.0), C.UnitNorm(), C.UnitNorm(dim=1), C.NonNeg(), C.L2Ball(1.2)]


@pytest.mark.parametrize("c", PROJECTIONS, ids=repr)
def test_projection_is_idempotent_and_leaves_its_input_alone(c, device):
    be = get_backend(device)
    w = be.asarray(_w(seed=4), np.float64)
    before = be.to_numpy(w).copy()
    once = c(w)
    assert isinstance(once, be.xp.ndarray) and once.dtype == w.dtype and once.shape == w.shape
    np.testing.assert_array_equal(be.to_numpy(w), before)
    np.testing.assert_allclose(be.to_numpy(c(once)), be.to_numpy(once), rtol=1e-14, atol=1e-15)


def _satisfies(c, w, tol=1e-12):
    if isinstance(c, C.NonNeg):
        return bool((w >= 0).all())
    if isinstance(c, C.L2Ball):
        return np.linalg.norm(w) <= c.radius + tol
    dims = tuple(d % w.ndim for d in c.dim)
    n = np.sqrt((w ** 2).sum(axis=dims))
    if isinstance(c, C.MaxNorm):
        return bool((n <= c.max_value + tol).all())
    if isinstance(c, C.UnitNorm):
        return bool((abs(n - 1) <= tol).all())
    return bool(((n >= c.min_value - tol) & (n <= c.max_value + tol)).all())


@pytest.mark.parametrize("c", PROJECTIONS, ids=repr)
def test_projection_satisfies_the_constraint_and_is_the_nearest_point(c):
    rng = np.random.default_rng(5)
    w = _w(seed=5)
    p = c(w)
    assert _satisfies(c, p)
    # brute force: no feasible point (made by perturbing p and projecting) is nearer to w.
    # For the convex sets this is the definition; for the spheres (UnitNorm, MinMaxNorm) the
    # radial projection is also the nearest point.
    d = np.linalg.norm(w - p)
    for _ in range(2000):
        q = c(p + rng.standard_normal(w.shape) * rng.choice([1e-3, 1e-1, 1.0]))
        assert _satisfies(c, q)
        assert np.linalg.norm(w - q) >= d - 1e-12


def test_points_inside_are_unchanged_and_zero_vectors_stay_zero():
    w = _w(seed=6) * 0.01
    np.testing.assert_array_equal(C.MaxNorm(1.0)(w), w)
    z = np.zeros((3, 2))
    for c in (C.MaxNorm(1.0), C.UnitNorm(), C.MinMaxNorm(0.5, 1.0)):
        np.testing.assert_array_equal(c(z), z)  # no 0/0


def test_float32_stays_float32():
    w = _w().astype(np.float32)
    for c in PROJECTIONS:
        assert c(w).dtype == np.float32


def test_bad_arguments():
    for make, name in [(lambda: C.MaxNorm(-1.0), "max_value"), (lambda: C.MaxNorm(np.nan), "max_value"),
                       (lambda: C.MinMaxNorm(2.0, 1.0), "min_value"),
                       (lambda: C.MinMaxNorm(rate=1.5), "rate"), (lambda: C.L2Ball(np.inf), "radius"),
                       (lambda: C.UnitNorm(eps=-1.0), "eps")]:
        with pytest.raises(ValueError, match=name):
            make()
    with pytest.raises(TypeError, match=r"\.data"):
        C.NonNeg()(mg.tensor([1.0]))
    with pytest.raises(TypeError, match="array"):
        C.NonNeg()([1.0, -1.0])
    with pytest.raises(TypeError, match="floating-point"):
        C.MaxNorm()(np.array([1, 2]))
    with pytest.raises(ValueError, match="dim 2"):
        C.MaxNorm(dim=2)(_w())
