"""Penalties (minigrad/penalties/): for every penalty, value = its formula (numpy by hand),
autograd gradient = ``.grad`` = central differences (float64), prox = its closed form = a
numerical minimiser of the prox objective; the algebra (sums, scaling); argument checks; the
prox kernels (csrc/cpu/prox.pyx, csrc/cuda/prox.cu) against the numpy reference."""
import glob
import os
import re
import shutil
import subprocess

import numpy as np
import pytest

import minigrad as mg
from minigrad import checks
from minigrad import penalties as P
from minigrad.backend import cpu, get_backend, reference

PENALTY_CASES = [c for c in checks.all_cases() if c.family == "penalty"]
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# ---- gradcheck of every value (the catalogue in minigrad/penalties/_cases.py) ------------------

@pytest.mark.parametrize("case", PENALTY_CASES, ids=[c.name for c in PENALTY_CASES])
def test_gradcheck(case, device):
    err, msg = checks.run_case(case, device, fast_mode=False)
    assert msg is None, msg
    assert err < 1e-6


@pytest.mark.parametrize("case", PENALTY_CASES, ids=[c.name for c in PENALTY_CASES])
def test_gradcheck_fast(case, device):
    err, msg = checks.run_case(case, device, fast_mode=True)
    assert msg is None, msg


def test_catalogue_has_every_penalty():
    names = " ".join(c.name for c in PENALTY_CASES)
    for p in [n for n in P.__all__ if isinstance(getattr(P, n), type) and n != "Penalty"]:
        assert p in names, f"no gradcheck case for {p}"


# ---- value = formula, autograd = .grad = hand formula = central differences -------------------

def _w(shape, seed=0, away=False):
    w = np.random.default_rng(seed).standard_normal(shape)
    return np.sign(w) * (np.abs(w) + 0.1) if away else w


REF = _w((4, 3), 21)
FISHER = np.abs(_w((4, 3), 22)) + 0.05


def _sv(w):
    return np.linalg.svd(w, compute_uv=False)


def _uv(w):
    U, s, Vt = np.linalg.svd(w, full_matrices=False)
    return U, s, Vt


# name, penalty, value(w), grad(w)   -- numpy, written from the formulas
FORMULAS = [
    ("L2", P.L2(0.7), lambda w: 0.35 * (w ** 2).sum(), lambda w: 0.7 * w),
    ("L2.keras", P.L2.keras(0.7), lambda w: 0.7 * (w ** 2).sum(), lambda w: 1.4 * w),
    ("L1", P.L1(0.7), lambda w: 0.7 * np.abs(w).sum(), lambda w: 0.7 * np.sign(w)),
    ("ElasticNet", P.ElasticNet(0.3, 0.7), lambda w: 0.3 * np.abs(w).sum() + 0.35 * (w ** 2).sum(),
     lambda w: 0.3 * np.sign(w) + 0.7 * w),
    ("GroupLasso dim=0", P.GroupLasso(0.7), lambda w: 0.7 * np.linalg.norm(w, axis=0).sum(),
     lambda w: 0.7 * w / np.linalg.norm(w, axis=0, keepdims=True)),
    ("GroupLasso dim=1", P.GroupLasso(0.7, dim=1), lambda w: 0.7 * np.linalg.norm(w, axis=1).sum(),
     lambda w: 0.7 * w / np.linalg.norm(w, axis=1, keepdims=True)),
    ("GroupLasso groups", P.GroupLasso(0.7, groups=[[0, 4], [1, 2, 3]]),
     lambda w: 0.7 * (np.linalg.norm(w.ravel()[[0, 4]]) + np.linalg.norm(w.ravel()[[1, 2, 3]])),
     lambda w: 0.7 * np.concatenate([
         [w.ravel()[0] / np.linalg.norm(w.ravel()[[0, 4]])],
         w.ravel()[1:4] / np.linalg.norm(w.ravel()[1:4]),
         [w.ravel()[4] / np.linalg.norm(w.ravel()[[0, 4]])],
         np.zeros(w.size - 5)]).reshape(w.shape)),
    ("SpectralNorm", P.SpectralNorm(0.7), lambda w: 0.7 * _sv(w)[0],
     lambda w: 0.7 * np.outer(_uv(w)[0][:, 0], _uv(w)[2][0])),
    ("NuclearNorm", P.NuclearNorm(0.7), lambda w: 0.7 * _sv(w).sum(),
     lambda w: 0.7 * _uv(w)[0] @ _uv(w)[2]),
    ("Orthogonal", P.Orthogonal(0.7),
     lambda w: 0.7 * ((w.T @ w - np.eye(w.shape[1])) ** 2).sum(),
     lambda w: 2.8 * w @ (w.T @ w - np.eye(w.shape[1]))),
    ("L2SP", P.L2SP(0.7, REF), lambda w: 0.35 * ((w - REF) ** 2).sum(), lambda w: 0.7 * (w - REF)),
    ("EWC", P.EWC(0.7, FISHER, REF), lambda w: 0.35 * (FISHER * (w - REF) ** 2).sum(),
     lambda w: 0.7 * FISHER * (w - REF)),
    ("ActivityL1", P.ActivityL1(0.7), lambda a: 0.7 * np.abs(a).sum() / a.shape[0],
     lambda a: 0.7 * np.sign(a) / a.shape[0]),
    ("ActivityL2", P.ActivityL2(0.7), lambda a: 0.7 * (a ** 2).sum() / a.shape[0],
     lambda a: 1.4 * a / a.shape[0]),
    ("L1 + L2", P.L1(0.3) + P.L2(0.7), lambda w: 0.3 * np.abs(w).sum() + 0.35 * (w ** 2).sum(),
     lambda w: 0.3 * np.sign(w) + 0.7 * w),
    ("0.5 * L2", 0.5 * P.L2(0.7), lambda w: 0.175 * (w ** 2).sum(), lambda w: 0.35 * w),
    ("sum of three", sum([P.L1(0.1), P.GroupLasso(0.2), 2 * P.Orthogonal(0.05)]),
     lambda w: 0.1 * np.abs(w).sum() + 0.2 * np.linalg.norm(w, axis=0).sum()
     + 0.1 * ((w.T @ w - np.eye(3)) ** 2).sum(),
     lambda w: 0.1 * np.sign(w) + 0.2 * w / np.linalg.norm(w, axis=0) + 0.4 * w @ (w.T @ w - np.eye(3))),
]


def _central(f, w, eps=1e-6):
    g = np.zeros_like(w)
    for i in range(w.size):
        e = np.zeros(w.size)
        e[i] = eps
        e = e.reshape(w.shape)
        g.flat[i] = (f(w + e) - f(w - e)) / (2 * eps)
    return g


@pytest.mark.parametrize("name,pen,value,grad", FORMULAS, ids=[f[0] for f in FORMULAS])
def test_value_autograd_grad_and_differences_agree(name, pen, value, grad, device):
    w = _w((4, 3), seed=3, away=True)
    t = mg.tensor(w, requires_grad=True, device=device)
    if name in ("L2SP", "EWC"):   # their references must live on the weight's device
        on = lambda a: mg.tensor(a, device=device)  # noqa: E731
        pen = P.L2SP(0.7, on(REF)) if name == "L2SP" else P.EWC(0.7, on(FISHER), on(REF))
    v = pen(t)
    assert v.shape == () and v.dtype == np.float64
    np.testing.assert_allclose(v.item(), value(w), rtol=1e-10, atol=1e-12)
    v.backward()
    hand = pen.grad(t.array)
    assert type(hand) is type(t.array) and hand.dtype == np.float64 and hand.shape == w.shape
    np.testing.assert_allclose(get_backend(device).to_numpy(hand), grad(w), rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(t.grad.numpy(), grad(w), rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(_central(value, w), grad(w), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("name,pen,value,grad", FORMULAS[:4], ids=[f[0] for f in FORMULAS[:4]])
def test_float32_stays_float32(name, pen, value, grad):
    w = _w((4, 3), seed=3, away=True).astype(np.float32)
    v = pen(mg.tensor(w))
    assert v.dtype == np.float32
    assert pen.grad(w).dtype == np.float32
    assert pen.prox(w, 0.5).dtype == np.float32
    np.testing.assert_allclose(v.item(), value(w.astype(np.float64)), rtol=1e-5)


def test_l2_hessian_is_lam_identity():
    w = mg.tensor(_w((3,)), requires_grad=True)
    (g,) = mg.grad(P.L2(0.7)(w), w, create_graph=True)
    H = np.stack([mg.grad(g[i], w, retain_graph=True)[0].numpy() for i in range(3)])
    np.testing.assert_allclose(H, 0.7 * np.eye(3), atol=1e-15)


def test_group_lasso_dim0_is_one_group_per_input_feature():
    W = _w((5, 3), seed=4)  # a Linear weight (out=5, in=3)
    W[:, 1] = 0
    norms = P.GroupLasso(1.0).group_norms(mg.tensor(W)).numpy()
    np.testing.assert_allclose(norms, [np.linalg.norm(W[:, 0]), 0, np.linalg.norm(W[:, 2])])


def test_group_lasso_zero_group_has_subgradient_zero():
    W = _w((5, 3), seed=4)
    W[:, 1] = 0
    pen = P.GroupLasso(0.7)
    t = mg.tensor(W, requires_grad=True)
    pen(t).backward()
    for g in (t.grad.numpy(), pen.grad(W)):
        assert np.isfinite(g).all()
        np.testing.assert_array_equal(g[:, 1], 0)
        np.testing.assert_allclose(g[:, 0], 0.7 * W[:, 0] / np.linalg.norm(W[:, 0]))


@pytest.mark.parametrize("shape", [(4, 3), (3, 7), (1, 5), (6, 1), (10, 10)])
def test_spectral_norm_power_iteration_matches_svd(shape):
    for seed in range(3):
        W = _w(shape, seed)
        sigma = P.SpectralNorm(1.0)(mg.tensor(W)).item()
        assert abs(sigma - _sv(W)[0]) <= 1e-6 * _sv(W)[0]
        W32 = W.astype(np.float32)
        assert abs(P.SpectralNorm(1.0)(mg.tensor(W32)).item() - _sv(W)[0]) <= 1e-5 * _sv(W)[0]


def test_spectral_norm_of_zero_matrix_is_zero():
    pen = P.SpectralNorm(0.5)
    assert pen(mg.tensor(np.zeros((3, 2)))).item() == 0
    np.testing.assert_array_equal(pen.grad(np.zeros((3, 2))), 0)


def test_spectral_norm_warns_when_power_iteration_does_not_converge():
    W = np.diag([1.0, 1.0 - 1e-9, 0.5])  # the top two singular values nearly tie
    with pytest.warns(RuntimeWarning, match="did not reach"):
        v = P.SpectralNorm(1.0, max_iter=50)(mg.tensor(W)).item()
    assert abs(v - 1.0) < 1e-8  # σ itself is still right; only u, v are not unique


def test_group_norms_backward_same_with_and_without_create_graph():
    w = mg.tensor(_w((4, 3), seed=6), requires_grad=True)
    pen = P.GroupLasso(0.7, dim=1)
    (plain,) = mg.grad(pen(w), w)
    (graph,) = mg.grad(pen(w), w, create_graph=True)
    assert graph.requires_grad
    np.testing.assert_allclose(graph.numpy(), plain.numpy(), rtol=1e-15)


def test_prox_runs_through_the_backend_kernels(monkeypatch):
    calls = []
    backend = get_backend("cpu")
    for name in ("soft_threshold", "group_soft_threshold"):
        original = getattr(backend, name)
        monkeypatch.setattr(backend, name,
                            lambda *a, _o=original, _n=name: (calls.append(_n), _o(*a)))
    v = _w((4, 3), seed=7)
    P.L1(0.1).prox(v, 0.5)
    P.ElasticNet(0.1, 0.2).prox(v, 0.5)
    P.GroupLasso(0.1).prox(v, 0.5)
    assert calls == ["soft_threshold", "soft_threshold", "group_soft_threshold"]


# ---- prox = closed form = numerical minimisation of the prox objective -----------------------

def _minimise(grad_F, x0, L, m, iters=4000):
    """Nesterov's accelerated gradient for an m-strongly convex F with an L-Lipschitz gradient
    (error shrinks by about 1 − √(m/L) per step). An independent way to reach argmin F."""
    q = np.sqrt(m / L)
    beta = (1 - q) / (1 + q)
    x = y = x0.copy()
    for _ in range(iters):
        x_new = y - grad_F(y) / L
        y = x_new + beta * (x_new - x)
        x = x_new
    return x


MU = 1e-4  # smoothing of the kinks: the smoothed minimiser is within ~MU of the true one


def _huber_l1(w):  # ∇ of Σ huber_μ(wᵢ): |w| smoothed on [−μ, μ]
    return np.clip(w / MU, -1, 1)


def _huber_groups(w, axis):
    n = np.linalg.norm(w, axis=axis, keepdims=True)
    return w / np.maximum(n, MU)


def _huber_nuclear(w):
    U, s, Vt = np.linalg.svd(w, full_matrices=False)
    return (U * np.clip(s / MU, 0, 1)) @ Vt


def _softmax_spectral(w):  # ∇ of μ·log Σ exp(σᵢ/μ), a smooth max of the singular values
    U, s, Vt = np.linalg.svd(w, full_matrices=False)
    e = np.exp((s - s.max()) / MU)
    return (U * (e / e.sum())) @ Vt


def _soft(v, t):
    return np.sign(v) * np.maximum(np.abs(v) - t, 0)


def _svt(v, t):
    U, s, Vt = np.linalg.svd(v, full_matrices=False)
    return (U * np.maximum(s - t, 0)) @ Vt


# name, penalty, closed form (v, s) by hand, smoothed ∇p, Lipschitz constant of ∇p
PROXES = [
    ("L2", P.L2(0.7), lambda v, s: v / (1 + 0.7 * s), lambda w: 0.7 * w, 0.7),
    ("L1", P.L1(0.7), lambda v, s: _soft(v, 0.7 * s), lambda w: 0.7 * _huber_l1(w), 0.7 / MU),
    ("ElasticNet", P.ElasticNet(0.5, 0.7), lambda v, s: _soft(v, 0.5 * s) / (1 + 0.7 * s),
     lambda w: 0.5 * _huber_l1(w) + 0.7 * w, 0.5 / MU + 0.7),
    ("GroupLasso dim=0", P.GroupLasso(0.9),
     lambda v, s: v * np.maximum(1 - 0.9 * s / np.linalg.norm(v, axis=0), 0),
     lambda w: 0.9 * _huber_groups(w, 0), 0.9 / MU),
    ("GroupLasso dim=1", P.GroupLasso(0.9, dim=1),
     lambda v, s: v * np.maximum(1 - 0.9 * s / np.linalg.norm(v, axis=1, keepdims=True), 0),
     lambda w: 0.9 * _huber_groups(w, 1), 0.9 / MU),
    ("NuclearNorm", P.NuclearNorm(0.9), lambda v, s: _svt(v, 0.9 * s),
     lambda w: 0.9 * _huber_nuclear(w), 0.9 / MU),
    ("SpectralNorm", P.SpectralNorm(0.9), None, lambda w: 0.9 * _softmax_spectral(w), 0.9 / MU),
    ("L2SP", P.L2SP(0.7, REF), lambda v, s: (v + 0.7 * s * REF) / (1 + 0.7 * s),
     lambda w: 0.7 * (w - REF), 0.7),
    ("EWC", P.EWC(0.7, FISHER, REF), lambda v, s: (v + 0.7 * s * FISHER * REF) / (1 + 0.7 * s * FISHER),
     lambda w: 0.7 * FISHER * (w - REF), 0.7 * FISHER.max()),
    ("ActivityL1", P.ActivityL1(2.0), lambda v, s: _soft(v, 2.0 * s / 4),
     lambda w: 0.5 * _huber_l1(w), 0.5 / MU),
    ("ActivityL2", P.ActivityL2(2.0), lambda v, s: v / (1 + 2 * 2.0 * s / 4),
     lambda w: 1.0 * w, 1.0),
    ("L1 + L2 (elastic net)", P.L1(0.5) + P.L2(0.7), lambda v, s: _soft(v, 0.5 * s) / (1 + 0.7 * s),
     lambda w: 0.5 * _huber_l1(w) + 0.7 * w, 0.5 / MU + 0.7),
    ("2 * L1 (scaled)", 2 * P.L1(0.35), lambda v, s: _soft(v, 0.7 * s),
     lambda w: 0.7 * _huber_l1(w), 0.7 / MU),
    ("0.5 * NuclearNorm", 0.5 * P.NuclearNorm(1.8), lambda v, s: _svt(v, 0.9 * s),
     lambda w: 0.9 * _huber_nuclear(w), 0.9 / MU),
]


def _prox_input():
    v = _w((4, 3), seed=7) * 1.5
    v[:, 1] *= 0.05  # a column the group lasso zeroes, entries L1 zeroes
    return v


@pytest.mark.parametrize("name,pen,closed,smooth_grad,lip", PROXES, ids=[p[0] for p in PROXES])
def test_prox_closed_form_and_numerical_minimiser(name, pen, closed, smooth_grad, lip):
    v, step = _prox_input(), 0.5
    got = pen.prox(v, step)
    assert got.shape == v.shape and got.dtype == v.dtype
    if closed is not None:
        np.testing.assert_allclose(got, closed(v, step), rtol=1e-12, atol=1e-14)
    numerical = _minimise(lambda w: smooth_grad(w) + (w - v) / step, v, lip + 1 / step, 1 / step)
    np.testing.assert_allclose(got, numerical, atol=3 * MU)
    # and the prox objective itself is no larger at the closed form
    F = lambda w: pen(mg.tensor(w)).item() + ((w - v) ** 2).sum() / (2 * step)  # noqa: E731
    assert F(got) <= F(numerical) + 1e-9


def test_prox_makes_exact_zeros():
    v = _prox_input()
    assert (P.L1(0.7).prox(v, 0.5) == 0).sum() > 0
    g = P.GroupLasso(0.9).prox(v, 0.5)
    np.testing.assert_array_equal(g[:, 1], 0)
    assert (g[:, [0, 2]] != 0).all()
    assert np.linalg.matrix_rank(P.NuclearNorm(0.9).prox(v, 1.0)) < 3


def test_spectral_prox_clips_the_top_singular_values():
    v = _prox_input()
    s = _sv(v)
    out_s = _sv(P.SpectralNorm(0.9).prox(v, 0.5))
    theta = out_s[0]
    np.testing.assert_allclose(np.maximum(s - theta, 0).sum(), 0.45, rtol=1e-12)
    np.testing.assert_allclose(out_s, np.minimum(s, theta), rtol=1e-12, atol=1e-14)
    np.testing.assert_array_equal(P.SpectralNorm(10.0).prox(v, 1.0), 0)  # Σσ ≤ step·lam


def test_group_lasso_explicit_groups_prox():
    v = _prox_input()
    groups = [[0, 1, 2], [5, 7], [10]]
    got = P.GroupLasso(0.9, groups=groups).prox(v, 0.5).ravel()
    want = v.ravel().copy()
    for g in groups:
        n = np.linalg.norm(want[g])
        want[g] = want[g] * max(1 - 0.45 / n, 0)
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_prox_of_zero_scale_is_identity():
    v = _prox_input()
    np.testing.assert_array_equal((0 * P.L1(1.0)).prox(v, 0.5), v)


@pytest.mark.parametrize("pen", [P.Orthogonal(0.1), P.L1(0.1) + P.Orthogonal(0.1),
                                 P.GroupLasso(0.1) + P.L1(0.1)], ids=repr)
def test_prox_without_closed_form_raises_naming_the_penalty(pen):
    with pytest.raises(NotImplementedError, match=re.escape(repr(pen).split("(")[0])):
        pen.prox(_prox_input(), 0.5)


def test_path_norm_and_consistency_have_no_prox_or_hand_gradient():
    with pytest.raises(NotImplementedError, match="PathNorm"):
        P.PathNorm(0.1).prox([_w((3, 2))], 0.5)
    c = P.Consistency(0.1, lambda x: x, lambda x: x * 2)
    with pytest.raises(NotImplementedError, match="Consistency"):
        c.grad(_w((3, 2)))


@pytest.mark.parametrize("name,pen,closed,smooth_grad,lip", PROXES[:4] + PROXES[5:6],
                         ids=[p[0] for p in PROXES[:4] + PROXES[5:6]])
def test_prox_on_device(name, pen, closed, smooth_grad, lip, device):
    be = get_backend(device)
    v = _prox_input()
    for dtype in (np.float32, np.float64):
        got = pen.prox(be.asarray(v.astype(dtype), dtype), 0.5)
        assert isinstance(got, be.xp.ndarray) and got.dtype == dtype
        tol = dict(rtol=1e-5, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(be.to_numpy(got), closed(v, 0.5), **tol)


# ---- specific formulas ---------------------------------------------------------------------------

def test_activity_penalties_divide_by_the_batch_size():
    a = _w((6, 3), seed=8)
    for pen, per_sample in [(P.ActivityL1(0.3), lambda x: 0.3 * np.abs(x).sum()),
                            (P.ActivityL2(0.3), lambda x: 0.3 * (x ** 2).sum())]:
        # Keras: regulariser(output) / batch_size; the same rows twice give the same value
        assert abs(pen(mg.tensor(a)).item() - per_sample(a) / 6) < 1e-12
        doubled = np.concatenate([a, a])
        assert abs(pen(mg.tensor(doubled)).item() - pen(mg.tensor(a)).item()) < 1e-12


def test_consistency_is_a_mean_over_the_batch_of_squared_distances():
    u = _w((5, 4), seed=9)
    A = _w((4, 2), seed=10)
    f = lambda x: (x @ mg.tensor(A)).tanh()  # noqa: E731
    T = lambda x: x * 0.5 + 1.0  # noqa: E731
    got = P.Consistency(0.3, f, T)(mg.tensor(u)).item()
    d = np.tanh(u @ A) - np.tanh((u * 0.5 + 1.0) @ A)
    assert abs(got - 0.3 * (d ** 2).sum(axis=1).mean()) < 1e-12


def test_path_norm_two_layers_and_gradient():
    W1, W2 = _w((4, 3), 1), _w((2, 4), 2)
    t1, t2 = mg.tensor(W1, requires_grad=True), mg.tensor(W2, requires_grad=True)
    v = P.PathNorm(0.7)([t1, t2])
    assert abs(v.item() - 0.7 * (W2 ** 2 @ W1 ** 2).sum()) < 1e-12
    # brute force over paths i -> j -> k
    brute = sum(W2[k, j] ** 2 * W1[j, i] ** 2 for i in range(3) for j in range(4) for k in range(2))
    assert abs(v.item() - 0.7 * brute) < 1e-12
    v.backward()
    g1, g2 = P.PathNorm(0.7).grad([W1, W2])
    np.testing.assert_allclose(g1, t1.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(g2, t2.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(g1, _central(lambda w: 0.7 * (W2 ** 2 @ w ** 2).sum(), W1), rtol=1e-6)


def test_path_norm_rescaling_invariance_plain_tensors():
    rng = np.random.default_rng(5)
    W1, b1, W2, b2 = rng.standard_normal((4, 3)), rng.standard_normal(4), \
        rng.standard_normal((2, 4)), rng.standard_normal(2)
    x = rng.standard_normal((7, 3))
    f = lambda W1, b1, W2, b2: np.maximum(x @ W1.T + b1, 0) @ W2.T + b2  # noqa: E731
    s, j = 3.7, 2
    V1, c1, V2 = W1.copy(), b1.copy(), W2.copy()
    V1[j] *= s
    c1[j] *= s
    V2[:, j] /= s
    pn = lambda *ws: P.PathNorm(1.0)([mg.tensor(w) for w in ws]).item()  # noqa: E731
    np.testing.assert_allclose(f(V1, c1, V2, b2), f(W1, b1, W2, b2), rtol=1e-12)
    assert abs(pn(V1, V2) - pn(W1, W2)) < 1e-12 * pn(W1, W2)
    l2 = lambda *ws: sum(P.L2(1.0)(mg.tensor(w)).item() for w in ws)  # noqa: E731
    assert abs(l2(V1, V2) - l2(W1, W2)) > 0.1


# ---- the algebra and argument checks ---------------------------------------------------------

def test_sums_and_scaling_compose():
    w = _w((4, 3), seed=3, away=True)
    p = P.L1(0.2) + 0.5 * (P.L2(0.6) + P.GroupLasso(0.4))
    want = 0.2 * np.abs(w).sum() + 0.5 * (0.3 * (w ** 2).sum() + 0.4 * np.linalg.norm(w, axis=0).sum())
    assert abs(p(mg.tensor(w)).item() - want) < 1e-12
    assert len(p.terms) == 2 and "GroupLasso" in repr(p)
    with pytest.raises(TypeError):
        P.L1(0.1) + 1.0
    with pytest.raises(ValueError, match="scale"):
        -1 * P.L1(0.1)


@pytest.mark.parametrize("bad", [-0.1, float("nan"), float("inf"), -float("inf")])
@pytest.mark.parametrize("make,arg", [
    (lambda x: P.L1(x), "lam"), (lambda x: P.L2(x), "lam"), (lambda x: P.L2.keras(x), "l2"),
    (lambda x: P.ElasticNet(x, 0.1), "l1"), (lambda x: P.ElasticNet(0.1, x), "l2"),
    (lambda x: P.GroupLasso(x), "lam"), (lambda x: P.SpectralNorm(x), "lam"),
    (lambda x: P.NuclearNorm(x), "lam"), (lambda x: P.Orthogonal(x), "lam"),
    (lambda x: P.PathNorm(x), "lam"), (lambda x: P.L2SP(x, REF), "lam"),
    (lambda x: P.EWC(x, FISHER, REF), "lam"), (lambda x: P.ActivityL1(x), "lam"),
    (lambda x: P.ActivityL2(x), "lam"), (lambda x: P.Consistency(x, abs, abs), "lam")])
def test_bad_strengths_raise_value_error_naming_the_argument(make, arg, bad):
    with pytest.raises(ValueError, match=arg):
        make(bad)


def test_wrong_arguments_raise_clear_errors():
    w = _w((4, 3))
    with pytest.raises(TypeError, match="Tensor"):
        P.L1(0.1)([1.0, 2.0])
    with pytest.raises(TypeError, match="Tensor"):
        P.L1(0.1)(w)
    with pytest.raises(TypeError, match="floating-point"):
        P.L1(0.1)(mg.tensor([1, 2]))
    with pytest.raises(TypeError, match=r"\.data"):
        P.L1(0.1).grad(mg.tensor(w))
    with pytest.raises(TypeError, match="floating-point"):
        P.L1(0.1).prox(np.array([1, 2]), 0.5)
    for pen in (P.NuclearNorm(0.1), P.SpectralNorm(0.1), P.Orthogonal(0.1)):
        name = repr(pen).split("(")[0]
        with pytest.raises(ValueError, match=f"{name} needs a 2-D"):
            pen(mg.tensor(w[0]))
        with pytest.raises(ValueError, match=f"{name} needs a 2-D"):
            pen.grad(w[0])
    with pytest.raises(ValueError, match="step"):
        P.L1(0.1).prox(w, 0.0)
    with pytest.raises(ValueError, match="step"):
        P.L1(0.1).prox(w, float("nan"))
    with pytest.raises(ValueError, match="shape"):
        P.L2SP(0.1, REF)(mg.tensor(w.T.copy()))
    with pytest.raises(TypeError, match="float32"):
        P.L2SP(0.1, REF)(mg.tensor(REF.astype(np.float32)))
    with pytest.raises(ValueError, match="fisher"):
        P.EWC(0.1, -FISHER, REF)
    with pytest.raises(ValueError, match="dim 2"):
        P.GroupLasso(0.1, dim=2)(mg.tensor(w))
    with pytest.raises(ValueError, match="disjoint"):
        P.GroupLasso(0.1, groups=[[0, 1], [1, 2]])
    with pytest.raises(ValueError, match="out of range"):
        P.GroupLasso(0.1, groups=[[0, 100]])(mg.tensor(w))
    with pytest.raises(ValueError, match="batch"):
        P.ActivityL1(0.1)(mg.tensor(np.float64(1.0)))
    with pytest.raises(ValueError, match="does not follow"):
        P.PathNorm(0.1)([mg.tensor(_w((4, 3))), mg.tensor(_w((2, 5)))])
    with pytest.raises(TypeError, match="PathNorm"):
        P.PathNorm(0.1)("model")


# ---- the prox kernels against the numpy reference ---------------------------------------------

TOL = {np.float32: dict(rtol=1e-5, atol=1e-6), np.float64: dict(rtol=1e-12, atol=1e-13)}
BIG = cpu.PARALLEL_MIN_SIZE + 3


def _kernel_case(kernel, shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    v = np.asarray(rng.standard_normal(shape) * 2, dtype=dtype)
    if kernel == "soft_threshold":
        v.reshape(-1)[::7] = 0
        return (v, 0.75, 1.3)
    if v.size:
        v[::3] *= 0.1  # rows below the threshold
        v[:1] = 0      # a zero row
    return (v, 1.1 * np.sqrt(max(shape[-1], 1)))


def _run(device, kernel, args):
    be = get_backend(device)
    v = be.asarray(args[0], args[0].dtype)
    out = be.xp.full(v.shape, 12345.5, v.dtype)
    getattr(be, kernel)(v, *args[1:], out)
    be.synchronize()
    np.testing.assert_array_equal(be.to_numpy(v), args[0])  # input untouched
    return be.to_numpy(out)


def _want(kernel, args):
    dtype = args[0].dtype
    v64 = args[0].astype(np.float64)
    out = np.empty_like(v64)
    scalars = [float(dtype.type(s)) for s in args[1:]]  # rounded to the dtype, as the kernels do
    getattr(reference, kernel)(v64, *scalars, out)
    return out.astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=lambda d: d.__name__)
@pytest.mark.parametrize("kernel,shape", [
    ("soft_threshold", ()), ("soft_threshold", (7,)), ("soft_threshold", (3, 5)),
    ("soft_threshold", (0,)), ("soft_threshold", (BIG,)),
    ("group_soft_threshold", (1, 1)), ("group_soft_threshold", (5, 7)),
    ("group_soft_threshold", (3, 257)), ("group_soft_threshold", (0, 4)),
    ("group_soft_threshold", (BIG // 16 + 1, 16)), ("group_soft_threshold", (1, BIG))])
def test_prox_kernel_matches_reference(kernel, shape, dtype, device):
    args = _kernel_case(kernel, shape, dtype)
    np.testing.assert_allclose(_run(device, kernel, args), _want(kernel, args), **TOL[dtype])
    # and the reference run in the array's own dtype agrees too
    out = np.empty(shape, dtype)
    getattr(reference, kernel)(*args, out)
    np.testing.assert_allclose(_run(device, kernel, args), out, **TOL[dtype])


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=lambda d: d.__name__)
def test_prox_kernels_nan_and_in_place(dtype, device):
    be = get_backend(device)
    v = np.array([np.nan, -3.0, 0.2, 2.0, -0.0], dtype)
    got = _run(device, "soft_threshold", (v, 0.5, 1.0))
    np.testing.assert_array_equal(np.isnan(got), [True, False, False, False, False])
    rows = np.array([[np.nan, 1.0, 2.0], [3.0, 4.0, 0.0]], dtype)
    got = _run(device, "group_soft_threshold", (rows, 1.0))
    assert np.isnan(got[0, 0]) and (got[0, 1:] == 0).all()
    np.testing.assert_allclose(got[1], rows[1] * 0.8, **TOL[dtype])
    a = be.asarray(_kernel_case("group_soft_threshold", (9, 5), dtype)[0], dtype)
    want = be.to_numpy(a) * 1  # copy
    expected = np.empty_like(want)
    reference.group_soft_threshold(want, 2.0, expected)
    be.group_soft_threshold(a, 2.0, a)  # out is the input
    np.testing.assert_allclose(be.to_numpy(a), expected, **TOL[dtype])


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=lambda d: d.__name__)
def test_cpu_prox_kernels_independent_of_threads(dtype):
    if not cpu.COMPILED:
        pytest.skip("compiled kernels not in use (MINIGRAD_PURE_NUMPY=1)")
    from minigrad._C import prox
    v = _kernel_case("soft_threshold", (BIG,), dtype)[0]
    rows = _kernel_case("group_soft_threshold", (501, 33), dtype)[0]
    outs = []
    for n in (1, 2, 3):
        a, b = np.empty_like(v), np.empty_like(rows)
        prox.soft_threshold(v, 0.75, 1.3, a, n)
        prox.group_soft_threshold(rows, 2.0, b, n)
        outs.append((a, b))
    for a, b in outs[1:]:
        np.testing.assert_array_equal(a, outs[0][0])
        np.testing.assert_array_equal(b, outs[0][1])
    with pytest.raises(ValueError, match="size mismatch"):
        prox.soft_threshold(v, 0.1, 1.0, np.empty(3, dtype), 1)
    with pytest.raises(ValueError, match="shape mismatch"):
        prox.group_soft_threshold(rows, 0.1, np.empty((3, 3), dtype), 1)


def test_prox_cuda_source_compiles_with_both_dtypes(tmp_path):
    nvcc = shutil.which("nvcc")
    if nvcc is None:
        pytest.skip("nvcc is not on PATH")
    src = os.path.join(ROOT, "csrc", "cuda", "prox.cu")
    ptx = tmp_path / "prox.ptx"
    r = subprocess.run([nvcc, "-ptx", "-arch=sm_75", src, "-o", str(ptx)], capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    entries = set(re.findall(r"^\.visible \.entry (\w+)\(", ptx.read_text(), re.M))
    assert {f"{k}_{s}" for k in reference.PROX_KERNELS for s in ("f32", "f64")} <= entries
    assert glob.glob(os.path.join(ROOT, "csrc", "cpu", "prox.pyx"))


# ---- with minigrad.nn: penalties attached to layers, model.penalty(), PathNorm on a model -------

def _nn():
    nn = pytest.importorskip("minigrad.nn")
    if not all(hasattr(nn, n) for n in ("Sequential", "Linear", "ReLU", "Module")):
        pytest.skip("minigrad.nn is not ready (no Module / Sequential / Linear / ReLU yet)")
    return nn


def _np(t):
    return t.numpy().astype(np.float64)


def test_apply_penalty_skips_biases_and_norms_by_default():
    nn = _nn()
    mg.manual_seed(0)
    layers = [nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)]
    if hasattr(nn, "BatchNorm1d"):
        layers.insert(1, nn.BatchNorm1d(4))
    model = nn.Sequential(*layers)
    lin = [m for m in model if isinstance(m, nn.Linear)]
    names = P.apply_penalty(model, P.L1(0.1))
    assert len(names) == 2 and all(n.endswith("weight") for n in names)
    want = sum(0.1 * np.abs(_np(m.weight)).sum() for m in lin)
    np.testing.assert_allclose(model.penalty().item(), want, rtol=1e-5)
    model.penalty().backward()
    for m in lin:
        np.testing.assert_allclose(m.weight.grad.numpy(), P.L1(0.1).grad(m.weight.array), rtol=1e-6)
        assert m.bias.grad is None or not np.any(m.bias.grad.numpy())


def test_apply_penalty_with_biases_and_norms():
    nn = _nn()
    if not hasattr(nn, "BatchNorm1d"):
        pytest.skip("nn.BatchNorm1d not there")
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))
    names = P.apply_penalty(model, P.L2(0.5), include_bias=True, include_norm=True)
    assert len(names) == 6
    want = sum(0.25 * (_np(p) ** 2).sum() for p in model.parameters())
    np.testing.assert_allclose(model.penalty().item(), want, rtol=1e-5)


def test_layer_hooks_weight_bias_and_activity_penalties():
    nn = _nn()
    mg.manual_seed(1)
    first = nn.Linear(3, 4, weight_penalty=P.L2(0.2), bias_penalty=P.L1(0.3),
                      activity_penalty=P.ActivityL1(0.05))
    second = nn.Linear(4, 2, weight_penalty=P.GroupLasso(0.7))
    model = nn.Sequential(first, nn.ReLU(), second)
    x = mg.randn(5, 3)
    model(x)
    a = _np(x) @ _np(first.weight).T + _np(first.bias)  # first layer's last output (B = 5)
    want = (0.1 * (_np(first.weight) ** 2).sum() + 0.3 * np.abs(_np(first.bias)).sum()
            + 0.05 * np.abs(a).sum() / 5 + 0.7 * np.linalg.norm(_np(second.weight), axis=0).sum())
    np.testing.assert_allclose(model.penalty().item(), want, rtol=1e-5)


def test_weight_constraint_is_stored_on_the_parameter():
    nn = _nn()
    from minigrad import constraints as C
    c = C.MaxNorm(0.5, dim=1)
    layer = nn.Linear(3, 4, weight_constraint=c)
    assert layer.weight.constraint is c
    projected = layer.weight.constraint(layer.weight.array * 10)
    assert np.all(np.linalg.norm(projected, axis=1) <= 0.5 + 1e-6)


def test_path_norm_of_a_sequential_and_its_rescaling_invariance():
    nn = _nn()
    mg.manual_seed(2)
    mg.set_default_dtype(np.float64)
    model = nn.Sequential(nn.Linear(3, 5), nn.ReLU(), nn.Linear(5, 2))
    l1, l2 = model[0], model[2]
    pn = P.PathNorm(0.7)
    v = pn(model).item()
    assert abs(v - 0.7 * (_np(l2.weight) ** 2 @ _np(l1.weight) ** 2).sum()) < 1e-12
    x = mg.randn(6, 3)
    before, l2_before = model(x).numpy().copy(), P.L2(1.0)(l1.weight).item() + P.L2(1.0)(l2.weight).item()
    s, j = 4.0, 1
    l1.weight.array[j] *= s
    l1.bias.array[j] *= s
    l2.weight.array[:, j] /= s
    np.testing.assert_allclose(model(x).numpy(), before, rtol=1e-12, atol=1e-12)
    assert abs(pn(model).item() - v) < 1e-12 * v
    assert abs(P.L2(1.0)(l1.weight).item() + P.L2(1.0)(l2.weight).item() - l2_before) > 0.1
    with pytest.raises(TypeError, match="Tanh"):
        pn(nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 2)))


def test_consistency_with_a_model():
    nn = _nn()
    mg.manual_seed(3)
    mg.set_default_dtype(np.float64)
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    u = mg.randn(6, 4)
    T = lambda x: x * 0.9  # noqa: E731
    c = P.Consistency(0.4, model, T)
    value = c(u)
    d = model(u).numpy() - model(T(u)).numpy()
    assert abs(value.item() - 0.4 * (d ** 2).sum(1).mean()) < 1e-12
    value.backward()
    assert model[0].weight.grad is not None and np.any(model[0].weight.grad.numpy())


def test_spectral_norm_warm_start_converges_fast_and_agrees_with_the_svd():
    import warnings
    from minigrad.penalties import SpectralNorm
    rng = np.random.default_rng(3)
    W = rng.standard_normal((20, 12))
    p = SpectralNorm(1.0, tol=1e-10, max_iter=10_000)
    g_cold = p.grad(W)
    W2 = W + 1e-4 * rng.standard_normal(W.shape)   # a small training step later
    p_few = SpectralNorm(1.0, tol=1e-10, max_iter=10_000)
    p_few._last_v = dict(p._last_v)
    p_few.max_iter = 160  # a warm start from the previous vector needs only a few steps
    cold = SpectralNorm(1.0, tol=1e-10, max_iter=160)
    with pytest.warns(RuntimeWarning, match="did not reach"):
        cold.grad(W2)     # the same budget from the fixed cold start is not enough
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        g_warm = p_few.grad(W2)
    U, s, Vt = np.linalg.svd(W2)
    # u vᵀ does not depend on the joint sign of the singular vectors
    np.testing.assert_allclose(g_warm, np.outer(U[:, 0], Vt[0]), atol=1e-8)
    np.testing.assert_allclose(float(p_few(mg.tensor(W2)).item()), s[0], rtol=1e-10)
    assert g_cold.shape == W.shape


@pytest.mark.parametrize("name", ["SpectralNorm", "NuclearNorm"])
def test_first_order_only_penalties_refuse_a_second_derivative(name):
    from minigrad import penalties as P
    W = mg.tensor(np.random.default_rng(0).standard_normal((5, 4)), requires_grad=True)
    pen = getattr(P, name)(0.7)
    (g,) = mg.grad(pen(W), W, create_graph=True)
    np.testing.assert_allclose(g.numpy(), pen.grad(W.numpy()), rtol=1e-8, atol=1e-10)
    with pytest.raises(mg.NonDifferentiableBackwardError, match=name):
        mg.grad((g * g).sum(), W)
    (g1,) = mg.grad(pen(W), W)          # without create_graph: plain gradient, no marker
    np.testing.assert_allclose(g1.numpy(), g.numpy())


def test_spectral_norm_warns_when_the_top_singular_value_is_nearly_repeated():
    W = np.diag([1.0, 0.9995, 0.5])    # σ₂/σ₁ = 0.9995 > 0.999: converges, but warns
    with pytest.warns(RuntimeWarning, match="nearly repeated"):
        P.SpectralNorm(1.0, max_iter=100_000)(mg.tensor(W))
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        P.SpectralNorm(1.0)(mg.tensor(np.diag([1.0, 0.99, 0.5])))   # a clear gap: silent
