"""Core rows: elementwise chains, softmax-cross-entropy, per-op overhead, gradcheck throughput.

Every row names one builder per framework (see bench/harness.py): ``<work>_minigrad``,
``<work>_numpy``, ``<work>_torch``. Each imports only its own framework, inside the function,
so that a child process building one never loads the others.
"""
import numpy as np

from .harness import Row


# --- y = sum(tanh(x·w + b)·x), forward + backward, on n float32 elements ---------------------

def _chain_arrays(n):
    rng = np.random.default_rng(0)
    return [rng.standard_normal(n).astype(np.float32) for _ in range(3)]


def _chain(lib, n):
    """((x·w + b).tanh()·x).sum() forward and backward, written once for minigrad and torch
    (the same names in both: ``lib`` is the imported module)."""
    x, w, b = (lib.tensor(a, requires_grad=True) for a in _chain_arrays(n))

    def run():
        for t in (x, w, b):
            t.grad = None
        ((x * w + b).tanh() * x).sum().backward()
    return run


def chain_minigrad(n):
    import minigrad as mg
    return _chain(mg, n)


def chain_numpy(n):
    xs, ws, bs = _chain_arrays(n)

    def run():
        h = xs * ws + bs
        t = np.tanh(h)
        g_t = xs                      # d/dt of sum(t·x)
        g_h = g_t * (1 - t * t)
        return g_h * ws + t, g_h * xs, g_h   # dx, dw, db
    return run


def chain_torch(n):
    import torch
    return _chain(torch, n)


def _ce_arrays(batch, classes):
    rng = np.random.default_rng(0)
    return (rng.standard_normal((batch, classes)).astype(np.float32),
            rng.integers(0, classes, batch))


def _cross_entropy(lib, batch, classes):
    """F.cross_entropy forward and backward, written once for minigrad and torch."""
    logits_np, target = _ce_arrays(batch, classes)
    logits, tgt = lib.tensor(logits_np, requires_grad=True), lib.tensor(target)

    def run():
        logits.grad = None
        lib.nn.functional.cross_entropy(logits, tgt).backward()
    return run


def cross_entropy_minigrad(batch, classes):
    import minigrad as mg
    return _cross_entropy(mg, batch, classes)


def cross_entropy_numpy(batch, classes):
    logits_np, target = _ce_arrays(batch, classes)

    def run():
        z = logits_np - logits_np.max(1, keepdims=True)
        e = np.exp(z)
        p = e / e.sum(1, keepdims=True)
        loss = -np.log(p[np.arange(batch), target]).mean()
        p[np.arange(batch), target] -= 1
        return loss, p / batch
    return run


def cross_entropy_torch(batch, classes):
    import torch
    return _cross_entropy(torch, batch, classes)


# --- one tiny op on 4 elements, recording the graph: the per-op overhead ---------------------

#: op name -> the expression applied to two 4-element operands a, b (a method or an operator)
TINY_OPS = {
    "a + b": lambda a, b: a + b,
    "a * b": lambda a, b: a * b,
    "a @ b": lambda a, b: a @ b,
    "a.relu()": lambda a, b: a.relu(),
    "a.exp()": lambda a, b: a.exp(),
    "a.sum()": lambda a, b: a.sum(),
}

_NUMPY_TINY_OPS = {"a.relu()": lambda a, b: np.maximum(a, 0), "a.exp()": lambda a, b: np.exp(a)}


def tiny_op_minigrad(op):
    import minigrad as mg
    a = mg.tensor(np.ones(4, np.float32), requires_grad=True)
    b = mg.tensor(np.ones(4, np.float32), requires_grad=True)
    f = TINY_OPS[op]
    return lambda: f(a, b)


def tiny_op_numpy(op):
    a, b = np.ones(4, np.float32), np.ones(4, np.float32)
    f = _NUMPY_TINY_OPS.get(op, TINY_OPS[op])
    return lambda: f(a, b)


def tiny_op_torch(op):
    import torch
    a, b = torch.ones(4, requires_grad=True), torch.ones(4, requires_grad=True)
    f = TINY_OPS[op]
    return lambda: f(a, b)


# --- gradcheck of (8,10)@(10,6) -> tanh -> softmax, float64 ---------------------------------

def _gradcheck_arrays():
    rng = np.random.default_rng(0)
    return rng.standard_normal((8, 10)), rng.standard_normal((10, 6))


def _gradcheck_fn(x, w):
    return (x @ w).tanh().softmax(-1)


def gradcheck_minigrad(fast):
    import minigrad as mg
    x, w = (mg.tensor(a, requires_grad=True) for a in _gradcheck_arrays())
    return lambda: mg.gradcheck(_gradcheck_fn, (x, w), fast_mode=fast)


def gradcheck_torch(fast):
    import torch
    x, w = (torch.tensor(a, requires_grad=True) for a in _gradcheck_arrays())
    return lambda: torch.autograd.gradcheck(_gradcheck_fn, (x, w), fast_mode=fast)


def _builders(work, frameworks=("minigrad", "numpy", "torch")):
    return {k: f"bench.core:{work}_{k}" for k in frameworks}


def rows(quick=False):
    n = 100_000 if quick else 1_000_000
    out = [Row("elementwise", f"tanh chain fwd+bwd, {n:.0e} f32", _builders("chain"), {"n": n}),
           Row("loss", "softmax-CE fwd+bwd (128, 1000)", _builders("cross_entropy"),
               {"batch": 128, "classes": 1000})]
    out += [Row("overhead", f"{op} on 4 elements, recording", _builders("tiny_op"), {"op": op},
                unit="us") for op in TINY_OPS]
    out += [Row("gradcheck", f"{'fast' if fast else 'full'} mode, (8,10)@(10,6) tanh softmax",
                _builders("gradcheck", ("minigrad", "torch")), {"fast": fast})
            for fast in (False, True)]
    return out
