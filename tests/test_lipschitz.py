"""Lipschitz bounds and certified radii (minigrad/lipschitz.py).

certified_radius: the formula m/(√2·K), that no perturbation smaller than it (random or found
by gradient ascent on the margin) changes a prediction, and that it is exact on the model where
the bound is tight. lipschitz_bound: the product of the layers' spectral norms (needs
minigrad.nn; skipped while that package is not there)."""
import math

import numpy as np
import pytest

import minigrad as mg
from minigrad.lipschitz import certified_radius, lipschitz_bound


def test_formula_on_arrays_and_tensors():
    z = np.array([[1.0, 3.0, 2.5], [0.0, -1.0, 5.0], [2.0, 2.0, 1.0]])
    want = np.array([0.5, 5.0, 0.0]) / (math.sqrt(2) * 2.0)
    np.testing.assert_allclose(certified_radius(z, 2.0), want, rtol=1e-15)
    np.testing.assert_allclose(certified_radius(z[1], 2.0), want[1], rtol=1e-15)
    t = mg.tensor(z[:2], requires_grad=True)
    r = certified_radius(t, 2.0)
    np.testing.assert_allclose(r.numpy(), want[:2], rtol=1e-15)
    r.sum().backward()  # d radius / d logits = (e_top − e_runner_up) / (√2·K)
    g = np.array([[0, 1, -1], [-1, 0, 1]]) / (math.sqrt(2) * 2.0)
    np.testing.assert_allclose(t.grad.numpy(), g, rtol=1e-15)


def test_bad_arguments():
    z = np.array([[1.0, 2.0]])
    for K in (0.0, -1.0, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="K"):
            certified_radius(z, K)
    with pytest.raises(ValueError, match="C >= 2"):
        certified_radius(np.array([[1.0]]), 1.0)
    with pytest.raises(TypeError, match="list"):
        certified_radius([[1.0, 2.0]], 1.0)
    with pytest.raises(TypeError, match="floating-point"):
        certified_radius(np.array([[1, 2]]), 1.0)


def _mlp(seed=0):
    rng = np.random.default_rng(seed)
    W1, b1 = rng.standard_normal((8, 4)), rng.standard_normal(8)
    W2, b2 = rng.standard_normal((3, 8)), rng.standard_normal(3)

    def f(x):  # Tensor (B, 4) -> (B, 3)
        return (x @ mg.tensor(W1.T) + mg.tensor(b1)).relu() @ mg.tensor(W2.T) + mg.tensor(b2)
    K = np.linalg.norm(W1, 2) * np.linalg.norm(W2, 2)
    return f, K


def test_no_perturbation_inside_the_radius_changes_the_prediction():
    f, K = _mlp()
    rng = np.random.default_rng(1)
    x = rng.standard_normal((20, 4))
    logits = f(mg.tensor(x)).numpy()
    pred = logits.argmax(1)
    r = certified_radius(logits, K)
    assert (r > 0).all()
    # random directions on the sphere of radius 0.999·r
    d = rng.standard_normal((500, 20, 4))
    d *= (0.999 * r)[None, :, None] / np.linalg.norm(d, axis=2, keepdims=True)
    moved = f(mg.tensor((x[None] + d).reshape(-1, 4))).numpy().reshape(500, 20, 3)
    assert (moved.argmax(2) == pred[None]).all()
    # gradient ascent on −margin (projected onto the ball), the strongest simple attack
    delta = np.zeros_like(x)
    other = np.ones((20, 3), bool)
    other[np.arange(20), pred] = False
    for _ in range(100):
        xt = mg.tensor(x + delta, requires_grad=True)
        z = f(xt)
        runner = mg.where(mg.tensor(~other), -math.inf, z).amax(axis=1)
        margin = z[np.arange(20), pred] - runner
        margin.sum().backward()
        g = xt.grad.numpy()
        delta -= 0.05 * r[:, None] * g / (np.linalg.norm(g, axis=1, keepdims=True) + 1e-300)
        n = np.linalg.norm(delta, axis=1, keepdims=True)
        delta *= np.minimum(1, 0.999 * r[:, None] / n)
    attacked = f(mg.tensor(x + delta)).numpy()
    assert (attacked.argmax(1) == pred).all()
    # the attack did work hard: the margins shrank, but stayed positive
    m0 = np.sort(logits, 1)[:, -1] - np.sort(logits, 1)[:, -2]
    m1 = attacked[np.arange(20), pred] - np.where(other, attacked, -np.inf).max(1)
    assert (m1 > 0).all() and (m1 < m0).all()


def test_radius_is_exact_where_the_bound_is_tight():
    # f(x) = W x with W = [w; −w]: K = ‖W‖₂ = √2‖w‖ and the decision boundary is at distance
    # m/‖w₁ − w₂‖ = m/(2‖w‖) = m/(√2·K): just beyond the radius the prediction flips.
    w = np.array([0.6, -1.2, 0.3])
    W = np.stack([w, -w])
    K = np.linalg.norm(W, 2)
    x = np.array([0.5, -0.4, 0.1])
    z = W @ x
    r = certified_radius(z, K)
    direction = -(W[0] - W[1]) / np.linalg.norm(W[0] - W[1])
    assert (W @ (x + 0.999 * r * direction)).argmax() == z.argmax()
    assert (W @ (x + 1.001 * r * direction)).argmax() != z.argmax()


# ---- lipschitz_bound (needs minigrad.nn) --------------------------------------------------------

def _nn():
    nn = pytest.importorskip("minigrad.nn")
    if not all(hasattr(nn, n) for n in ("Sequential", "Linear", "ReLU")):
        pytest.skip("minigrad.nn is not ready (no Sequential / Linear / ReLU yet)")
    return nn


def test_bound_is_the_product_of_spectral_norms_and_holds():
    nn = _nn()
    mg.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 3))
    ws = [m.weight.numpy().astype(np.float64) for m in model if isinstance(m, nn.Linear)]
    K = lipschitz_bound(model)
    np.testing.assert_allclose(K, np.prod([np.linalg.svd(w, compute_uv=False)[0] for w in ws]),
                               rtol=1e-12)
    rng = np.random.default_rng(2)
    x, y = rng.standard_normal((200, 4)), rng.standard_normal((200, 4))
    fx = model(mg.tensor(x.astype(model[0].weight.dtype))).numpy()
    fy = model(mg.tensor(y.astype(model[0].weight.dtype))).numpy()
    ratio = np.linalg.norm(fx - fy, axis=1) / np.linalg.norm(x - y, axis=1)
    assert ratio.max() <= K * (1 + 1e-5)


def test_sigmoid_counts_a_quarter_and_unknown_layers_raise():
    nn = _nn()
    if not hasattr(nn, "Sigmoid"):
        pytest.skip("nn.Sigmoid not there")
    a, b = nn.Linear(3, 3), nn.Linear(3, 2)
    K = lipschitz_bound(nn.Sequential(a, nn.Sigmoid(), b))
    Ka = np.linalg.norm(a.weight.numpy().astype(np.float64), 2)
    Kb = np.linalg.norm(b.weight.numpy().astype(np.float64), 2)
    np.testing.assert_allclose(K, 0.25 * Ka * Kb, rtol=1e-6)
    if hasattr(nn, "BatchNorm1d"):
        with pytest.raises(TypeError, match="BatchNorm1d"):
            lipschitz_bound(nn.Sequential(a, nn.BatchNorm1d(3)))


def test_single_linear_conv_refused_and_end_to_end_certificate():
    nn = _nn()
    mg.manual_seed(4)
    mg.set_default_dtype(np.float64)
    lin = nn.Linear(5, 3)
    np.testing.assert_allclose(lipschitz_bound(lin), np.linalg.norm(lin.weight.numpy(), 2),
                               rtol=1e-12)
    if hasattr(nn, "Conv2d"):
        with pytest.raises(TypeError, match="Conv2d"):
            lipschitz_bound(nn.Sequential(nn.Conv2d(1, 1, 3), nn.Flatten()))
    model = nn.Sequential(nn.Linear(5, 16), nn.ReLU(), nn.Linear(16, 3))
    K = lipschitz_bound(model)
    rng = np.random.default_rng(6)
    x = rng.standard_normal((10, 5))
    logits = model(mg.tensor(x))
    r = certified_radius(logits, K).numpy()
    d = rng.standard_normal((300, 10, 5))
    d *= (0.999 * r)[None, :, None] / np.linalg.norm(d, axis=2, keepdims=True)
    moved = model(mg.tensor((x[None] + d).reshape(-1, 5))).numpy().reshape(300, 10, 3)
    assert (moved.argmax(2) == logits.numpy().argmax(1)[None]).all()
