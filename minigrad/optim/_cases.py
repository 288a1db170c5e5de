"""Optimizer identities for ``python -m minigrad check`` (family "optim").

Each case runs a few steps two ways that must agree and returns the largest difference; the
tests (tests/test_optim*.py) check the same identities in more detail, this list puts them in
the one table a user reads.
"""
import numpy as np

from .. import checks
from ..tensor import Tensor
from . import SGD, SGDW, AdamW, ProxSGD
from .trace import trace

_STEPS = 5


def _problem(device, seed=0):
    """A least-squares loss on a fixed (8, 5) design; returns (w0 array, loss(w) function)."""
    from ..backend import get_backend
    rng = np.random.default_rng(seed)
    backend = get_backend(device)
    X = Tensor._wrap(backend.asarray(rng.standard_normal((8, 5)), np.float64), device)
    y = Tensor._wrap(backend.asarray(rng.standard_normal(8), np.float64), device)
    w0 = backend.asarray(rng.standard_normal(5), np.float64)

    def loss(w):
        r = X @ w - y
        return (r * r).mean() * 0.5
    return w0, loss


def _run(device, make_opt, extra_loss=None):
    w0, loss = _problem(device)
    w = Tensor._wrap(w0.copy(), device)
    w.requires_grad = True
    opt = make_opt([w])
    for _ in range(_STEPS):
        opt.zero_grad()
        total = loss(w) if extra_loss is None else loss(w) + extra_loss(w)
        total.backward()
        opt.step()
    return w.numpy()


def _max_diff(a, b):
    return float(np.abs(np.asarray(a) - np.asarray(b)).max())


def _coupled_decay_is_l2(device):
    """SGD(weight_decay=λ) == SGD on loss + (λ/2)‖w‖², with momentum."""
    lam = 0.3
    a = _run(device, lambda p: SGD(p, lr=0.1, momentum=0.9, weight_decay=lam))
    b = _run(device, lambda p: SGD(p, lr=0.1, momentum=0.9), lambda w: (w * w).sum() * (lam / 2))
    return _max_diff(a, b)


def _sgd_equals_sgdw_without_momentum(device):
    """At momentum 0, coupled and decoupled decay take the same step: w − lr·(g + λw)."""
    a = _run(device, lambda p: SGD(p, lr=0.1, weight_decay=0.3))
    b = _run(device, lambda p: SGDW(p, lr=0.1, weight_decay=0.3))
    return _max_diff(a, b)


def _trace_reproduces_the_step(device):
    """AdamW's recorded terms (adam + decoupled_decay = update) add up to the actual change."""
    w0, loss = _problem(device)
    w = Tensor._wrap(w0.copy(), device)
    w.requires_grad = True
    opt = AdamW([w], lr=0.05, weight_decay=0.1)
    worst = 0.0
    for _ in range(_STEPS):
        opt.zero_grad()
        loss(w).backward()
        before = w.numpy().copy()
        with trace(opt) as tr:
            opt.step()
        terms = {k: w.backend.to_numpy(v) for k, v in tr[w].items() if hasattr(v, "shape")}
        worst = max(worst, _max_diff(w.numpy() - before, terms["update"]),
                    _max_diff(terms["adam"] + terms["decoupled_decay"], terms["update"]))
    return worst


def _fused_equals_readable(device):
    """The fused AdamW kernel and the readable array code give the same trajectory."""
    a = _run(device, lambda p: AdamW(p, lr=0.05, weight_decay=0.1, fused=True))
    b = _run(device, lambda p: AdamW(p, lr=0.05, weight_decay=0.1, fused=False))
    return _max_diff(a, b)


def _prox_step_is_soft_thresholding(device):
    """ProxSGD with L1: w ← sign(v)·max(|v| − lr·λ, 0), v = w − lr·g (one step, by hand)."""
    from ..penalties import L1
    w0, loss = _problem(device)
    w = Tensor._wrap(w0.copy(), device)
    w.requires_grad = True
    loss(w).backward()
    v = w.numpy() - 0.1 * w.grad.numpy()
    expected = np.sign(v) * np.maximum(np.abs(v) - 0.1 * 0.5, 0)
    ProxSGD([w], lr=0.1, penalty=L1(0.5)).step()
    return _max_diff(w.numpy(), expected)


checks.register(*[
    checks.Case(name, None, (), family="optim", atol=1e-12, check=fn)
    for name, fn in [
        ("SGD weight_decay = SGD on loss + L2", _coupled_decay_is_l2),
        ("SGD = SGDW at momentum 0", _sgd_equals_sgdw_without_momentum),
        ("AdamW trace terms = actual step", _trace_reproduces_the_step),
        ("AdamW fused = readable", _fused_equals_readable),
        ("ProxSGD L1 step = soft-threshold", _prox_step_is_soft_thresholding),
    ]
])


# issue 14 (lbfgs)
def _lbfgs_two_loop_is_dense_bfgs(device):
    """L-BFGS's two-loop direction = −H·g, with H the dense BFGS updates H ← VᵀHV + ρssᵀ
    (V = I − ρysᵀ) of γI over the stored pairs, oldest first (after the history wrapped)."""
    from .lbfgs import LBFGS, two_loop_direction
    w0, loss = _problem(device)
    w = Tensor._wrap(w0.copy(), device)
    w.requires_grad = True
    opt = LBFGS([w], history_size=2, max_iter=4, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        total = loss(w)
        total.backward()
        return total
    opt.step(closure)
    state, to_numpy = opt.state[id(w)], w.backend.to_numpy
    g = state["prev_flat_grad"]
    d = to_numpy(two_loop_direction(g, state["old_dirs"], state["old_stps"], state["ro"],
                                    state["H_diag"], [None] * len(state["ro"])))
    n = g.size
    H = float(state["H_diag"]) * np.eye(n)
    for y, s, rho in zip(state["old_dirs"], state["old_stps"], state["ro"]):
        y, s, rho = to_numpy(y), to_numpy(s), float(rho)
        V = np.eye(n) - rho * np.outer(y, s)
        H = V.T @ H @ V + rho * np.outer(s, s)
    return _max_diff(d, -H @ to_numpy(g))


checks.register(checks.Case("LBFGS two-loop direction = -H g (dense BFGS)", None, (),
                            family="optim", atol=1e-12, check=_lbfgs_two_loop_is_dense_bfgs))
