"""Every optimizer, every flag combination: a multi-step float64 trajectory against

  1. the update equations written out here in plain numpy (the torch docs' algorithm boxes,
     not calling minigrad), and
  2. torch.optim itself as an oracle (skipped without torch),

both to float64 round-off. The gradients come from a fixed quadratic plus a fixed noise
sequence, so each step's gradient depends on the trajectory so far. Two parameters in two
param groups (the second with its own lr) check the group handling at the same time.
"""
import itertools
import math

import numpy as np
import pytest

import minigrad as mg
from minigrad import optim

STEPS = 7
RTOL, ATOL = 1e-12, 1e-14


def _problem(seed=0):
    rng = np.random.default_rng(seed)
    shapes = [(3, 4), (5,)]
    w0 = [rng.standard_normal(s) for s in shapes]
    # f(w) = Σ ½ wᵀ A w − bᵀ w per (flattened) parameter, plus noise: g = A w − b + ξ_k
    A = [(lambda m: m @ m.T / m.shape[0] + 0.1 * np.eye(m.shape[0]))(
        rng.standard_normal((np.prod(s), np.prod(s)))) for s in shapes]
    b = [rng.standard_normal(np.prod(s)) for s in shapes]
    noise = [[0.3 * rng.standard_normal(s) for s in shapes] for _ in range(STEPS)]

    def grads(ws, k):
        return [(a @ w.ravel() - bb).reshape(w.shape) + n
                for w, a, bb, n in zip(ws, A, b, noise[k])]
    return w0, grads


LR2 = 0.5    # the second param group's own lr (an override of the default)


def _run_minigrad(cls, kwargs, fused=None):
    w0, grads = _problem()
    ps = [mg.tensor(w.copy(), dtype=mg.float64, requires_grad=True) for w in w0]
    extra = {} if fused is None else {"fused": fused}
    opt = cls([{"params": [ps[0]]}, {"params": [ps[1]], "lr": LR2}], **kwargs, **extra)
    traj = []
    for k in range(STEPS):
        gs = grads([p.array for p in ps], k)
        for p, g in zip(ps, gs):
            p.grad = mg.tensor(g)
        opt.step()
        traj.append([p.array.copy() for p in ps])
    return traj


def _run_reference(step_fn, kwargs):
    w0, grads = _problem()
    ws = [w.copy() for w in w0]
    lrs = [kwargs["lr"], LR2]
    states = [{}, {}]
    traj = []
    for k in range(STEPS):
        gs = grads(ws, k)
        ws = [step_fn(w, g, st, dict(kwargs, lr=lr), k + 1)
              for w, g, st, lr in zip(ws, gs, states, lrs)]
        traj.append([w.copy() for w in ws])
    return traj


def _run_torch(name, kwargs):
    torch = pytest.importorskip("torch")
    w0, grads = _problem()
    ps = [torch.tensor(w.copy(), dtype=torch.float64, requires_grad=True) for w in w0]
    # torch keeps step counters and NAdam's μ-product in the default dtype: float64 here, so
    # the oracle is not limited by float32 state scalars.
    saved = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        opt = getattr(torch.optim, name)([{"params": [ps[0]]}, {"params": [ps[1]], "lr": LR2}],
                                         **kwargs)
        traj = []
        for k in range(STEPS):
            gs = grads([p.detach().numpy() for p in ps], k)
            for p, g in zip(ps, gs):
                p.grad = torch.tensor(g)
            opt.step()
            traj.append([p.detach().numpy().copy() for p in ps])
    finally:
        torch.set_default_dtype(saved)
    return traj


def _assert_same(a, b, rtol=RTOL, atol=ATOL):
    for k, (sa, sb) in enumerate(zip(a, b)):
        for i, (x, y) in enumerate(zip(sa, sb)):
            np.testing.assert_allclose(x, y, rtol=rtol, atol=atol,
                                       err_msg=f"step {k + 1}, parameter {i}")


# ---- the update equations, written out independently ------------------------------------------

def ref_sgd(w, g, st, h, t):
    g = -g if h.get("maximize") else g
    g = g + h.get("weight_decay", 0) * w
    mu, tau = h.get("momentum", 0), h.get("dampening", 0)
    if mu:
        st["b"] = g.copy() if t == 1 else mu * st["b"] + (1 - tau) * g
        g = g + mu * st["b"] if h.get("nesterov") else st["b"]
    return w - h["lr"] * g


def ref_adam(w, g, st, h, t, decoupled=None):
    b1, b2 = h.get("betas", (0.9, 0.999))
    lr, lam, eps = h["lr"], h.get("weight_decay", 0), h.get("eps", 1e-8)
    if decoupled is None:
        decoupled = h.get("decoupled_weight_decay", False)
    g = -g if h.get("maximize") else g
    if decoupled:
        w = w * (1 - lr * lam)               # the torch docs' box: θ ← θ − γλθ first
    else:
        g = g + lam * w
    st["m"] = b1 * st.get("m", 0) + (1 - b1) * g
    st["v"] = b2 * st.get("v", 0) + (1 - b2) * g * g
    m_hat = st["m"] / (1 - b1 ** t)
    v = st["v"]
    if h.get("amsgrad"):
        st["vmax"] = np.maximum(st.get("vmax", 0), v)
        v = st["vmax"]
    v_hat = v / (1 - b2 ** t)
    return w - lr * m_hat / (np.sqrt(v_hat) + eps)


def ref_adamw(w, g, st, h, t):
    return ref_adam(w, g, st, dict(h, weight_decay=h.get("weight_decay", 1e-2)), t,
                    decoupled=True)


def ref_adamax(w, g, st, h, t):
    b1, b2 = h.get("betas", (0.9, 0.999))
    g = -g if h.get("maximize") else g
    g = g + h.get("weight_decay", 0) * w
    st["m"] = b1 * st.get("m", 0) + (1 - b1) * g
    st["u"] = np.maximum(b2 * st.get("u", 0), np.abs(g) + h.get("eps", 1e-8))
    return w - h["lr"] / (1 - b1 ** t) * st["m"] / st["u"]


def ref_nadam(w, g, st, h, t):
    b1, b2 = h.get("betas", (0.9, 0.999))
    lr, lam, eps, psi = h["lr"], h.get("weight_decay", 0), h.get("eps", 1e-8), \
        h.get("momentum_decay", 4e-3)
    g = -g if h.get("maximize") else g
    if h.get("decoupled_weight_decay"):
        w = w * (1 - lr * lam)
    else:
        g = g + lam * w
    mu = lambda k: b1 * (1 - 0.5 * 0.96 ** (k * psi))  # noqa: E731
    prod = math.prod(mu(k) for k in range(1, t + 1))
    st["m"] = b1 * st.get("m", 0) + (1 - b1) * g
    st["v"] = b2 * st.get("v", 0) + (1 - b2) * g * g
    m_hat = mu(t + 1) * st["m"] / (1 - prod * mu(t + 1)) + (1 - mu(t)) * g / (1 - prod)
    v_hat = st["v"] / (1 - b2 ** t)
    return w - lr * m_hat / (np.sqrt(v_hat) + eps)


def ref_radam(w, g, st, h, t):
    b1, b2 = h.get("betas", (0.9, 0.999))
    lr, lam, eps = h["lr"], h.get("weight_decay", 0), h.get("eps", 1e-8)
    g = -g if h.get("maximize") else g
    if h.get("decoupled_weight_decay"):
        w = w * (1 - lr * lam)
    else:
        g = g + lam * w
    st["m"] = b1 * st.get("m", 0) + (1 - b1) * g
    st["v"] = b2 * st.get("v", 0) + (1 - b2) * g * g
    m_hat = st["m"] / (1 - b1 ** t)
    rho_inf = 2 / (1 - b2) - 1
    rho = rho_inf - 2 * t * b2 ** t / (1 - b2 ** t)
    if rho > 5:
        l = np.sqrt(1 - b2 ** t) / (np.sqrt(st["v"]) + eps)  # noqa: E741
        r = np.sqrt((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho))
        return w - lr * m_hat * l * r
    return w - lr * m_hat


def ref_rmsprop(w, g, st, h, t):
    a, eps, mu = h.get("alpha", 0.99), h.get("eps", 1e-8), h.get("momentum", 0)
    g = -g if h.get("maximize") else g
    g = g + h.get("weight_decay", 0) * w
    st["v"] = a * st.get("v", 0) + (1 - a) * g * g
    v = st["v"]
    if h.get("centered"):
        st["ga"] = a * st.get("ga", 0) + (1 - a) * g
        v = v - st["ga"] ** 2
    if mu > 0:
        st["b"] = mu * st.get("b", 0) + g / (np.sqrt(v) + eps)
        return w - h["lr"] * st["b"]
    return w - h["lr"] * g / (np.sqrt(v) + eps)


def ref_adagrad(w, g, st, h, t):
    g = -g if h.get("maximize") else g
    g = g + h.get("weight_decay", 0) * w
    clr = h["lr"] / (1 + (t - 1) * h.get("lr_decay", 0))
    st["G"] = st.get("G", h.get("initial_accumulator_value", 0)) + g * g
    return w - clr * g / (np.sqrt(st["G"]) + h.get("eps", 1e-10))


def ref_adadelta(w, g, st, h, t):
    rho, eps = h.get("rho", 0.9), h.get("eps", 1e-6)
    g = -g if h.get("maximize") else g
    g = g + h.get("weight_decay", 0) * w
    st["v"] = rho * st.get("v", 0) + (1 - rho) * g * g
    dx = np.sqrt(st.get("u", 0) + eps) / np.sqrt(st["v"] + eps) * g
    st["u"] = rho * st.get("u", 0) + (1 - rho) * dx * dx
    return w - h["lr"] * dx


def ref_rprop(w, g, st, h, t):
    em, ep = h.get("etas", (0.5, 1.2))
    lo, hi = h.get("step_sizes", (1e-6, 50))
    g = -g if h.get("maximize") else g
    prev = st.get("prev", np.zeros_like(w))
    eta = st.get("eta", np.full_like(w, h["lr"]))
    s = g * prev
    eta = np.clip(np.where(s > 0, eta * ep, np.where(s < 0, eta * em, eta)), lo, hi)
    g = np.where(s < 0, 0.0, g)
    st["prev"], st["eta"] = g, eta
    return w - np.sign(g) * eta


def ref_asgd(w, g, st, h, t):
    lr, lambd, alpha, t0 = h["lr"], h.get("lambd", 1e-4), h.get("alpha", 0.75), h.get("t0", 1e6)
    g = -g if h.get("maximize") else g
    g = g + h.get("weight_decay", 0) * w
    eta = lr / (1 + lambd * lr * (t - 1)) ** alpha          # η used at step t
    w = w * (1 - lambd * eta) - eta * g
    return w


def ref_sgdw(w, g, st, h, t):
    # the SGDW of Loshchilov & Hutter: momentum on the gradient alone, decay outside it
    lam = h.get("weight_decay", 0)
    d = ref_sgd(np.zeros_like(w), g, st, dict(h, weight_decay=0), t) / -h["lr"] \
        if h["lr"] else 0 * w
    return w - h["lr"] * d - h["lr"] * lam * w


def ref_lion(w, g, st, h, t):
    b1, b2 = h.get("betas", (0.9, 0.99))
    g = -g if h.get("maximize") else g
    m = st.get("m", np.zeros_like(w))
    c = b1 * m + (1 - b1) * g
    st["m"] = b2 * m + (1 - b2) * g
    return w - h["lr"] * (np.sign(c) + h.get("weight_decay", 0) * w)


def ref_lamb(w, g, st, h, t):
    b1, b2 = h.get("betas", (0.9, 0.999))
    g = -g if h.get("maximize") else g
    st["m"] = b1 * st.get("m", 0) + (1 - b1) * g
    st["v"] = b2 * st.get("v", 0) + (1 - b2) * g * g
    r = (st["m"] / (1 - b1 ** t)) / (np.sqrt(st["v"] / (1 - b2 ** t)) + h.get("eps", 1e-6))
    r = r + h.get("weight_decay", 0) * w
    ratio = np.linalg.norm(w) / np.linalg.norm(r)
    return w - h["lr"] * ratio * r


def _grid(**axes):
    keys = list(axes)
    return [dict(zip(keys, vals)) for vals in itertools.product(*axes.values())]


def _sgd_cases():
    out = []
    for c in _grid(momentum=[0, 0.9], dampening=[0, 0.3], nesterov=[False, True],
                   weight_decay=[0, 0.1], maximize=[False, True]):
        if c["nesterov"] and (c["momentum"] == 0 or c["dampening"] != 0):
            continue
        out.append(dict(lr=0.05, **c))
    return out


# (minigrad class, torch name or None, reference, list of kwargs)
CATALOGUE = [
    (optim.SGD, "SGD", ref_sgd, _sgd_cases()),
    (optim.Adam, "Adam", ref_adam,
     [dict(lr=0.05, **c) for c in _grid(weight_decay=[0, 0.1], amsgrad=[False, True],
                                        maximize=[False, True],
                                        decoupled_weight_decay=[False, True])]),
    (optim.AdamW, "AdamW", ref_adamw,
     [dict(lr=0.05, betas=(0.8, 0.99), **c) for c in _grid(weight_decay=[0.0, 0.1],
                                                           amsgrad=[False, True],
                                                           maximize=[False, True])]),
    (optim.Adamax, "Adamax", ref_adamax,
     [dict(lr=0.05, **c) for c in _grid(weight_decay=[0, 0.1], maximize=[False, True])]),
    (optim.NAdam, "NAdam", ref_nadam,
     [dict(lr=0.05, **c) for c in _grid(weight_decay=[0, 0.1], maximize=[False, True],
                                        decoupled_weight_decay=[False, True],
                                        momentum_decay=[4e-3, 0.1])]),
    # betas[1] = 0.9: ρ_t crosses 5 at step 6, so both branches of the rectification run
    (optim.RAdam, "RAdam", ref_radam,
     [dict(lr=0.05, betas=(0.9, 0.9), **c) for c in _grid(
         weight_decay=[0, 0.1], maximize=[False, True], decoupled_weight_decay=[False, True])]),
    (optim.RMSprop, "RMSprop", ref_rmsprop,
     [dict(lr=0.01, **c) for c in _grid(weight_decay=[0, 0.1], momentum=[0, 0.5],
                                        centered=[False, True], maximize=[False, True])]),
    (optim.Adagrad, "Adagrad", ref_adagrad,
     [dict(lr=0.1, **c) for c in _grid(weight_decay=[0, 0.1], lr_decay=[0, 0.05],
                                       initial_accumulator_value=[0, 0.5],
                                       maximize=[False, True])]),
    (optim.Adadelta, "Adadelta", ref_adadelta,
     [dict(lr=1.0, **c) for c in _grid(weight_decay=[0, 0.1], rho=[0.9, 0.5],
                                       maximize=[False, True])]),
    (optim.Rprop, "Rprop", ref_rprop,
     [dict(lr=0.01, **c) for c in _grid(etas=[(0.5, 1.2), (0.3, 1.5)],
                                        step_sizes=[(1e-6, 50), (1e-3, 0.02)],
                                        maximize=[False, True])]),
    (optim.ASGD, "ASGD", ref_asgd,
     [dict(lr=0.05, **c) for c in _grid(weight_decay=[0, 0.1], lambd=[1e-4, 0.5],
                                        maximize=[False, True])]),
    (optim.SGDW, None, ref_sgdw,
     [dict(lr=0.05, **c) for c in _grid(momentum=[0, 0.9], weight_decay=[0, 0.1],
                                        maximize=[False, True])]
     + [dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.1)]),
    (optim.Lion, None, ref_lion,
     [dict(lr=0.01, **c) for c in _grid(weight_decay=[0, 0.1], maximize=[False, True])]),
    (optim.LAMB, None, ref_lamb,
     [dict(lr=0.01, **c) for c in _grid(weight_decay=[0, 0.1], maximize=[False, True])]),
]

CASES = [pytest.param(cls, torch_name, ref, kw, id=f"{cls.__name__}-{i}")
         for cls, torch_name, ref, kws in CATALOGUE for i, kw in enumerate(kws)]


@pytest.mark.parametrize("cls, torch_name, ref, kwargs", CASES)
def test_trajectory_matches_the_written_out_equations(cls, torch_name, ref, kwargs):
    _assert_same(_run_minigrad(cls, kwargs), _run_reference(ref, kwargs))


@pytest.mark.parametrize("cls, torch_name, ref, kwargs",
                         [c for c in CASES if c.values[1] is not None])
def test_trajectory_matches_torch(cls, torch_name, ref, kwargs):
    _assert_same(_run_minigrad(cls, kwargs), _run_torch(torch_name, kwargs))


@pytest.mark.parametrize("cls, torch_name, ref, kwargs",
                         [c for c in CASES if c.values[0] in
                          (optim.SGD, optim.Adam, optim.AdamW, optim.RMSprop, optim.Adagrad)])
def test_readable_path_matches_the_equations_too(cls, torch_name, ref, kwargs):
    """The fused kernel runs by default; fused=False checks the readable path on its own."""
    _assert_same(_run_minigrad(cls, kwargs, fused=False), _run_reference(ref, kwargs))


def test_the_trajectories_are_not_trivial():
    """Guards the tests above: the flags and groups change the trajectory."""
    a = _run_minigrad(optim.SGD, dict(lr=0.05, momentum=0.9))
    b = _run_minigrad(optim.SGD, dict(lr=0.05))
    assert np.abs(a[-1][0] - b[-1][0]).max() > 1e-3
    w0, _ = _problem()
    assert np.abs(a[-1][1] - w0[1]).max() > 1e-2
