"""Core rows: elementwise chains, softmax-cross-entropy, per-op overhead, gradcheck throughput."""
import numpy as np

import minigrad as mg

from .harness import Row, torch


def _elementwise_chain(n=1_000_000):
    """y = sum(tanh(x·w + b)·x), forward + backward, on n float32 elements."""
    rng = np.random.default_rng(0)
    xs, ws, bs = (rng.standard_normal(n).astype(np.float32) for _ in range(3))
    x, w, b = (mg.tensor(a, requires_grad=True) for a in (xs, ws, bs))

    def run_mg():
        for t in (x, w, b):
            t.grad = None
        ((x * w + b).tanh() * x).sum().backward()

    def run_np():
        h = xs * ws + bs
        t = np.tanh(h)
        g_t = xs                      # d/dt of sum(t·x)
        g_h = g_t * (1 - t * t)
        return g_h * ws + t, g_h * xs, g_h   # dx, dw, db

    rows = [Row("elementwise", f"tanh chain fwd+bwd, {n:.0e} f32", run_mg, run_np)]
    if torch:
        tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (xs, ws, bs))

        def run_torch():
            for t in (tx, tw, tb):
                t.grad = None
            ((tx * tw + tb).tanh() * tx).sum().backward()
        rows[0].torch = run_torch
    return rows


def _softmax_cross_entropy(batch=128, classes=1000):
    rng = np.random.default_rng(0)
    logits_np = rng.standard_normal((batch, classes)).astype(np.float32)
    target = rng.integers(0, classes, batch)
    logits = mg.tensor(logits_np, requires_grad=True)
    rows_idx = mg.arange(batch)
    tgt = mg.tensor(target)

    def cross_entropy(z):
        try:
            return mg.nn.functional.cross_entropy(z, tgt)
        except AttributeError:  # before minigrad.nn exists: the composite
            return -z.log_softmax(-1)[rows_idx, tgt].mean()

    def run_mg():
        logits.grad = None
        cross_entropy(logits).backward()

    def run_np():
        z = logits_np - logits_np.max(1, keepdims=True)
        e = np.exp(z)
        p = e / e.sum(1, keepdims=True)
        loss = -np.log(p[np.arange(batch), target]).mean()
        p[np.arange(batch), target] -= 1
        return loss, p / batch

    row = Row("loss", f"softmax-CE fwd+bwd ({batch}, {classes})", run_mg, run_np)
    if torch:
        tl = torch.tensor(logits_np, requires_grad=True)
        tt = torch.tensor(target)

        def run_torch():
            tl.grad = None
            torch.nn.functional.cross_entropy(tl, tt).backward()
        row.torch = run_torch
    return [row]


def _tiny_op_overhead():
    a = mg.tensor(np.ones(4, np.float32), requires_grad=True)
    b = mg.tensor(np.ones(4, np.float32), requires_grad=True)
    an, bn = np.ones(4, np.float32), np.ones(4, np.float32)
    ops = {
        "a + b": (lambda: a + b, lambda: an + bn),
        "a * b": (lambda: a * b, lambda: an * bn),
        "a @ b": (lambda: a @ b, lambda: an @ bn),
        "a.relu()": (lambda: a.relu(), lambda: np.maximum(an, 0)),
        "a.exp()": (lambda: a.exp(), lambda: np.exp(an)),
        "a.sum()": (lambda: a.sum(), lambda: an.sum()),
    }
    rows = []
    for name, (f_mg, f_np) in ops.items():
        row = Row("overhead", f"{name} on 4 elements, recording", f_mg, f_np, unit="us")
        if torch:
            ta, tb = torch.ones(4, requires_grad=True), torch.ones(4, requires_grad=True)
            row.torch = {"a + b": lambda: ta + tb, "a * b": lambda: ta * tb,
                         "a @ b": lambda: ta @ tb, "a.relu()": lambda: ta.relu(),
                         "a.exp()": lambda: ta.exp(), "a.sum()": lambda: ta.sum()}[name]
        rows.append(row)
    return rows


def _gradcheck_throughput():
    rng = np.random.default_rng(0)
    x = mg.tensor(rng.standard_normal((8, 10)), requires_grad=True)
    w = mg.tensor(rng.standard_normal((10, 6)), requires_grad=True)

    def fn(x_, w_):
        return (x_ @ w_).tanh().softmax(-1)

    rows = []
    for fast in (False, True):
        row = Row("gradcheck", f"{'fast' if fast else 'full'} mode, (8,10)@(10,6) tanh softmax",
                  lambda fast=fast: mg.gradcheck(fn, (x, w), fast_mode=fast), unit="ms")
        if torch:
            tx = torch.tensor(x.numpy(), requires_grad=True)
            tw = torch.tensor(w.numpy(), requires_grad=True)
            row.torch = lambda fast=fast: torch.autograd.gradcheck(
                lambda a, b: (a @ b).tanh().softmax(-1), (tx, tw), fast_mode=fast)
        rows.append(row)
    return rows


def rows(quick=False):
    return (_elementwise_chain(100_000 if quick else 1_000_000) + _softmax_cross_entropy()
            + _tiny_op_overhead() + _gradcheck_throughput())
