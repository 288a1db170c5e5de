"""ProxSGD and FISTA with minigrad.penalties reach the known solutions, exact zeros included.

scikit-learn (optional oracle) minimises, with fit_intercept=False and n samples:

    Lasso            (1/(2n))‖y − Xw‖² + α‖w‖₁
    ElasticNet       (1/(2n))‖y − Xw‖² + αρ‖w‖₁ + (α(1−ρ)/2)‖w‖²
    MultiTaskLasso   (1/(2n))‖Y − XW‖²_F + α·Σ_j ‖W_j‖₂      (W_j: feature j across tasks)

so the minigrad loss is the same (1/(2n))‖y − Xw‖² and the penalties are L1(α),
ElasticNet(l1=αρ, l2=α(1−ρ)) (value l1‖w‖₁ + (l2/2)‖w‖²) and GroupLasso(α, dim=1) on W of shape
(features, tasks) (norms along the task axis: one group per feature, as sklearn's ‖W‖₂₁).
The torch-free closed forms: the lasso on an orthogonal design (XᵀX = n·I) is soft-thresholded
least squares, w* = S_α(Xᵀy/n); nuclear-norm denoising min ½‖W − M‖²_F + λ‖W‖_* is singular
value soft-thresholding of M.
"""
import numpy as np
import pytest

import minigrad as mg
from minigrad import optim

penalties = pytest.importorskip("minigrad.penalties")


def _regression(seed=0, n=60, d=12, tasks=None):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    shape = (d,) if tasks is None else (d, tasks)
    w_true = np.zeros(shape)
    w_true[[0, 3, 7]] = rng.choice([-2.0, -1.0, 1.0, 1.5], size=(3,) + shape[1:])
    y = X @ w_true + 0.2 * rng.standard_normal((n,) + shape[1:])
    return X, y


def _half_mse(w, X, y):
    """(1/(2n))‖y − Xw‖²_F as a Tensor expression (sklearn's data term)."""
    r = mg.tensor(X) @ w - mg.tensor(y)
    return (r * r).sum() / (2 * X.shape[0])


def _solve(cls, penalty, X, y, steps):
    lr = 1 / np.linalg.eigvalsh(X.T @ X / X.shape[0]).max()     # 1/L
    w = mg.tensor(np.zeros((X.shape[1],) + y.shape[1:]), requires_grad=True)
    opt = cls([w], lr=lr, penalty=penalty)
    for _ in range(steps):
        opt.zero_grad()
        _half_mse(w, X, y).backward()
        opt.step()
    return w.array.copy()


SOLVERS = [(optim.FISTA, 600), (optim.ProxSGD, 3000)]


def _assert_same_solution(w, ref):
    np.testing.assert_allclose(w, ref, atol=1e-9)
    np.testing.assert_array_equal(w == 0, ref == 0)       # exact zeros, at sklearn's zeros
    assert (ref == 0).sum() >= 3


@pytest.mark.parametrize("cls, steps", SOLVERS, ids=["FISTA", "ProxSGD"])
def test_lasso_reaches_sklearn(cls, steps):
    sklearn = pytest.importorskip("sklearn.linear_model")
    X, y = _regression()
    alpha = 0.1
    ref = sklearn.Lasso(alpha=alpha, fit_intercept=False, tol=1e-14,
                        max_iter=100_000).fit(X, y).coef_
    _assert_same_solution(_solve(cls, penalties.L1(alpha), X, y, steps), ref)


@pytest.mark.parametrize("cls, steps", SOLVERS, ids=["FISTA", "ProxSGD"])
def test_elastic_net_reaches_sklearn(cls, steps):
    sklearn = pytest.importorskip("sklearn.linear_model")
    X, y = _regression(1)
    alpha, rho = 0.15, 0.7
    ref = sklearn.ElasticNet(alpha=alpha, l1_ratio=rho, fit_intercept=False, tol=1e-14,
                             max_iter=100_000).fit(X, y).coef_
    pen = penalties.ElasticNet(l1=alpha * rho, l2=alpha * (1 - rho))
    _assert_same_solution(_solve(cls, pen, X, y, steps), ref)


@pytest.mark.parametrize("cls, steps", SOLVERS, ids=["FISTA", "ProxSGD"])
def test_group_lasso_reaches_sklearn_multitask_lasso(cls, steps):
    sklearn = pytest.importorskip("sklearn.linear_model")
    X, Y = _regression(2, tasks=3)
    alpha = 0.12
    ref = sklearn.MultiTaskLasso(alpha=alpha, fit_intercept=False, tol=1e-14,
                                 max_iter=100_000).fit(X, Y).coef_.T     # (features, tasks)
    w = _solve(cls, penalties.GroupLasso(alpha, dim=1), X, Y, steps)
    np.testing.assert_allclose(w, ref, atol=1e-9)
    zero_rows = (ref == 0).all(axis=1)
    assert zero_rows.sum() >= 3
    np.testing.assert_array_equal((w == 0).all(axis=1), zero_rows)   # whole features removed
    assert not (w[~zero_rows] == 0).any()


@pytest.mark.parametrize("cls", [optim.ProxSGD, optim.FISTA])
def test_lasso_on_an_orthogonal_design_is_soft_thresholded_least_squares(cls):
    """Torch- and sklearn-free: XᵀX = n·I makes the lasso separable, w* = S_α(Xᵀy/n)."""
    rng = np.random.default_rng(4)
    n, d, alpha = 40, 8, 0.4
    Q, _ = np.linalg.qr(rng.standard_normal((n, d)))
    X = Q * np.sqrt(n)
    y = X @ np.array([2.0, -1.0, 0.1, 0.0, 0.5, -0.3, 0.0, 1.0]) + 0.2 * rng.standard_normal(n)
    z = X.T @ y / n
    closed = np.sign(z) * np.maximum(np.abs(z) - alpha, 0)
    w = _solve(cls, penalties.L1(alpha), X, y, 100)
    np.testing.assert_allclose(w, closed, atol=1e-12)
    np.testing.assert_array_equal(w == 0, closed == 0)
    assert (closed == 0).sum() >= 3


@pytest.mark.parametrize("cls", [optim.ProxSGD, optim.FISTA])
def test_nuclear_norm_denoising_is_singular_value_thresholding(cls):
    rng = np.random.default_rng(5)
    M = rng.standard_normal((6, 2)) @ rng.standard_normal((2, 5)) + 0.1 * rng.standard_normal(
        (6, 5))
    lam = 0.5
    U, s, Vt = np.linalg.svd(M, full_matrices=False)
    closed = (U * np.maximum(s - lam, 0)) @ Vt
    W = mg.tensor(np.zeros_like(M), requires_grad=True)
    opt = cls([W], lr=0.5, penalty=penalties.NuclearNorm(lam))
    for _ in range(80):
        opt.zero_grad()
        (((W - mg.tensor(M)) ** 2).sum() * 0.5).backward()
        opt.step()
    np.testing.assert_allclose(W.array, closed, atol=1e-12)
    assert np.linalg.matrix_rank(W.array, tol=1e-9) == np.sum(s > lam) < min(M.shape)


def test_a_subgradient_step_on_loss_plus_l1_never_gives_exact_zeros():
    """SGD on loss + L1 (the penalty's value, differentiated by autograd: sign(w)·α) hovers
    around the lasso solution's zeros; ProxSGD lands on them exactly."""
    X, y = _regression()
    alpha = 0.1
    l1 = penalties.L1(alpha)
    lr = 1 / np.linalg.eigvalsh(X.T @ X / X.shape[0]).max()
    w = mg.tensor(np.zeros(X.shape[1]), requires_grad=True)
    opt = optim.SGD([w], lr=lr)
    for _ in range(3000):
        opt.zero_grad()
        (_half_mse(w, X, y) + l1(w)).backward()
        opt.step()
    w_prox = _solve(optim.ProxSGD, l1, X, y, 3000)
    zeros = w_prox == 0
    assert zeros.sum() >= 3
    assert not (w.array[zeros] == 0).any()
    assert np.abs(w.array[zeros]).max() < 0.05        # close to 0, never at it
