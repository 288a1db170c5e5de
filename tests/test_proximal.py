"""ProxSGD and FISTA with a local soft-threshold prox (torch-free closed forms): single steps,
trajectories written out by hand, the lasso on an orthogonal design (solution: soft-thresholded
least squares), per-group penalties, and exact zeros where a subgradient step has none."""
import math

import numpy as np
import pytest

import minigrad as mg
from minigrad import optim


class SoftThreshold:
    """prox of step·α‖w‖₁:  sign(v)·max(|v| − step·α, 0)."""

    def __init__(self, alpha):
        self.alpha = alpha

    def prox(self, v, step):
        return np.sign(v) * np.maximum(np.abs(v) - step * self.alpha, 0.0)


def _orthogonal_lasso(seed=0, n=40, d=8):
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.standard_normal((n, d)))
    X = Q * math.sqrt(n)                           # XᵀX = n·I
    w_true = np.array([3.0, -2.0, 0.0, 0.0, 0.5, 0.0, -0.05, 1.0])
    y = X @ w_true + 0.3 * rng.standard_normal(n)
    return X, y


def _lasso_loss(w, X, y):
    """(1/(2n))‖y − Xw‖²: the smooth part, as a Tensor expression."""
    r = mg.tensor(X) @ w - mg.tensor(y)
    return (r * r).sum() / (2 * len(y))


def _solve(cls, X, y, alpha, steps, lr, **kw):
    w = mg.tensor(np.zeros(X.shape[1]), requires_grad=True)
    opt = cls([w], lr=lr, penalty=SoftThreshold(alpha), **kw)
    for _ in range(steps):
        opt.zero_grad()
        _lasso_loss(w, X, y).backward()
        opt.step()
    return w.array.copy(), opt


def test_one_prox_sgd_step_is_soft_thresholding_of_the_gradient_step():
    w = mg.tensor(np.array([0.3, -0.05, 1.0, 0.02]), requires_grad=True)
    g = np.array([0.1, 0.05, -1.0, 0.05])
    w.grad = mg.tensor(g)
    opt = optim.ProxSGD([w], lr=0.5, penalty=SoftThreshold(0.2))
    with optim.trace(opt) as tr:
        opt.step()
    v = np.array([0.3, -0.05, 1.0, 0.02]) - 0.5 * g
    expected = np.sign(v) * np.maximum(np.abs(v) - 0.1, 0)
    np.testing.assert_array_equal(w.array, expected)
    np.testing.assert_array_equal(tr[w]["gradient_step"], v)
    assert (w.array == 0).sum() == 2


@pytest.mark.parametrize("cls, steps", [(optim.ProxSGD, 200), (optim.FISTA, 200)])
@pytest.mark.parametrize("alpha", [0.1, 0.6])
def test_lasso_on_an_orthogonal_design_reaches_soft_thresholded_least_squares(cls, steps, alpha):
    X, y = _orthogonal_lasso()
    n = len(y)
    closed = np.sign(X.T @ y / n) * np.maximum(np.abs(X.T @ y / n) - alpha, 0)
    w, opt = _solve(cls, X, y, alpha, steps, lr=0.5)
    np.testing.assert_allclose(w, closed, atol=1e-12)
    np.testing.assert_array_equal(w == 0, closed == 0)       # exact zeros, the same ones
    assert (closed == 0).sum() >= 2


def test_a_subgradient_step_never_gives_exact_zeros_the_prox_step_does():
    X, y = _orthogonal_lasso()
    alpha = 0.6
    w = mg.tensor(np.zeros(X.shape[1]), requires_grad=True)
    opt = optim.SGD([w], lr=0.05)
    for _ in range(300):
        opt.zero_grad()
        (_lasso_loss(w, X, y) + alpha * w.abs().sum()).backward()
        opt.step()
    w_prox, _ = _solve(optim.ProxSGD, X, y, alpha, 300, lr=0.05)
    zeros = w_prox == 0
    assert zeros.sum() >= 2
    assert not (w.array == 0).any()               # it oscillates around 0 instead
    assert np.abs(w.array[zeros]).max() < 0.05    # ...close to 0, never at it


def test_prox_sgd_with_momentum_trajectory_written_out():
    X, y = _orthogonal_lasso()
    n, lr, mu, st = len(y), 0.1, 0.7, SoftThreshold(0.3)
    w_ref, b = np.zeros(X.shape[1]), None
    w = mg.tensor(np.zeros(X.shape[1]), requires_grad=True)
    opt = optim.ProxSGD([w], lr=lr, penalty=st, momentum=mu)
    for _ in range(10):
        g = X.T @ (X @ w_ref - y) / n
        b = g.copy() if b is None else mu * b + g
        w_ref = st.prox(w_ref - lr * b, lr)
        opt.zero_grad()
        _lasso_loss(w, X, y).backward()
        opt.step()
        np.testing.assert_allclose(w.array, w_ref, rtol=1e-13, atol=1e-15)


def test_fista_trajectory_written_out():
    """Beck & Teboulle (2009), FISTA with constant step: the y_k, x_k, t_k sequences."""
    rng = np.random.default_rng(2)
    X = rng.standard_normal((30, 6)) @ np.diag([1, 2, 3, 4, 5, 6])
    y = rng.standard_normal(30)
    n, lr, st = 30, 0.02, SoftThreshold(0.5)
    x_prev = yk = np.zeros(6)
    t = 1.0
    w = mg.tensor(np.zeros(6), requires_grad=True)
    opt = optim.FISTA([w], lr=lr, penalty=st)
    for _ in range(15):
        x = st.prox(yk - lr * X.T @ (X @ yk - y) / n, lr)
        t_next = (1 + math.sqrt(1 + 4 * t * t)) / 2
        yk = x + (t - 1) / t_next * (x - x_prev)
        x_prev, t = x, t_next
        opt.zero_grad()
        _lasso_loss(w, X, y).backward()
        opt.step()
        np.testing.assert_allclose(w.array, yk, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(opt.state[id(w)]["x"], x, rtol=1e-12, atol=1e-14)
    assert opt.state[id(w)]["t"] == t


def test_fista_converges_faster_than_prox_sgd_on_an_ill_conditioned_lasso():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((50, 10)) @ np.diag(np.geomspace(0.1, 3, 10))
    y = X @ rng.standard_normal(10) + 0.1 * rng.standard_normal(50)
    L = np.linalg.eigvalsh(X.T @ X / 50).max()

    def objective(w):
        return 0.5 * np.mean((y - X @ w) ** 2) + 0.05 * np.abs(w).sum()
    ref, _ = _solve(optim.FISTA, X, y, 0.05, 5000, lr=1 / L)
    f_star = objective(ref)
    gap = {cls: objective(_solve(cls, X, y, 0.05, 100, lr=1 / L)[0]) - f_star
           for cls in (optim.ProxSGD, optim.FISTA)}
    assert gap[optim.FISTA] < 0.2 * gap[optim.ProxSGD]


def test_per_group_penalty_and_no_penalty():
    a = mg.tensor(np.array([0.3, -0.3]), requires_grad=True)
    b = mg.tensor(np.array([0.3, -0.3]), requires_grad=True)
    opt = optim.ProxSGD([{"params": [a], "penalty": SoftThreshold(1.0)}, {"params": [b]}],
                        lr=0.5)
    a.grad = mg.tensor(np.zeros(2))
    b.grad = mg.tensor(np.array([0.2, 0.2]))
    opt.step()
    np.testing.assert_array_equal(a.array, [0.0, 0.0])
    # a plain gradient step (w + ((w − lr·g) − w): equal up to one rounding)
    np.testing.assert_allclose(b.array, [0.2, -0.4], rtol=1e-15)


def test_a_penalty_without_prox_is_refused():
    with pytest.raises(TypeError, match="prox"):
        optim.ProxSGD([mg.tensor([1.0], requires_grad=True)], lr=0.1, penalty=lambda w: w)
