"""Training-step rows: MLP 784-512-512-10 + AdamW, the course-size MLP 64-64-10 + SGD momentum,
a LeNet-style CNN + SGD, AdamW on 10M floats.

Each framework's step is built by its own function (see bench/harness.py) from the same batch
(seeded NumPy arrays). The weights are each framework's own default initialisation: the cost
of a step does not depend on their values. The NumPy column is a hand-written forward,
backward and update where that is short enough to be honest (the MLPs and the AdamW update),
and empty for the CNN.
"""
import numpy as np

from .harness import Row


def _training_step(model, opt, x, y, cross_entropy):
    """One step, the same lines in either framework: zero, loss, backward, update."""
    def step():
        opt.zero_grad()
        cross_entropy(model(x), y).backward()
        opt.step()
    return step


def _batch(batch, shape, classes=10):
    rng = np.random.default_rng(0)
    return (rng.standard_normal((batch,) + tuple(shape)).astype(np.float32),
            rng.integers(0, classes, batch))


def _mlp(nn, sizes):
    """Linear, ReLU, ..., Linear through ``sizes`` (e.g. (784, 512, 512, 10))."""
    layers = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        layers += [nn.Linear(fan_in, fan_out), nn.ReLU()]
    return nn.Sequential(*layers[:-1])


def _optimizer(optim, params, name, fused=False):
    """``name`` "adamw": AdamW(lr 1e-3, wd 1e-2); "sgd": SGD(lr 0.1, momentum 0.9)."""
    if name == "adamw":
        return optim.AdamW(params, lr=1e-3, weight_decay=1e-2, **({"fused": True} if fused else {}))
    return optim.SGD(params, lr=0.1, momentum=0.9)


# --- MLP steps ------------------------------------------------------------------------------

def mlp_minigrad(sizes, batch, optimizer):
    import minigrad as mg
    model = _mlp(mg.nn, sizes)
    x, y = _batch(batch, sizes[:1])
    return _training_step(model, _optimizer(mg.optim, model.parameters(), optimizer),
                          mg.tensor(x), mg.tensor(y), mg.nn.functional.cross_entropy)


def mlp_torch(sizes, batch, optimizer):
    import torch
    model = _mlp(torch.nn, sizes)
    x, y = _batch(batch, sizes[:1])
    note = ""
    try:
        opt = _optimizer(torch.optim, model.parameters(), optimizer, fused=optimizer == "adamw")
    except (RuntimeError, TypeError):
        opt = _optimizer(torch.optim, model.parameters(), optimizer)
        note = "torch AdamW not fused"
    step = _training_step(model, opt, torch.tensor(x), torch.tensor(y),
                          torch.nn.functional.cross_entropy)
    step.note = note
    return step


def mlp_numpy(sizes, batch, optimizer):
    """The same math (forward, backward, AdamW or SGD momentum) written out, no autograd."""
    rng = np.random.default_rng(1)
    x, y = _batch(batch, sizes[:1])
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        bound = 1 / np.sqrt(fan_in)   # torch.nn.Linear's default range
        params += [rng.uniform(-bound, bound, (fan_out, fan_in)).astype(np.float32),
                   rng.uniform(-bound, bound, fan_out).astype(np.float32)]
    state = [[np.zeros_like(p), np.zeros_like(p)] for p in params]
    step = [0]

    def grads():
        hs = [x]                                  # inputs of each Linear
        for W, b in zip(params[:-2:2], params[1:-2:2]):
            hs.append(np.maximum(hs[-1] @ W.T + b, 0))
        z = hs[-1] @ params[-2].T + params[-1]
        z -= z.max(1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(1, keepdims=True)
        p[np.arange(batch), y] -= 1
        g = p / batch                             # d loss / d z of the last Linear
        out = []
        for i in range(len(hs) - 1, -1, -1):
            W = params[2 * i]
            out = [g.T @ hs[i], g.sum(0)] + out
            if i:
                g = (g @ W) * (hs[i] > 0)
        return out

    def run():
        step[0] += 1
        t = step[0]
        for w, g, (m, v) in zip(params, grads(), state):
            if optimizer == "adamw":
                w *= 1 - 1e-3 * 1e-2
                m *= 0.9
                m += 0.1 * g
                v *= 0.999
                v += 0.001 * g * g
                w -= 1e-3 * (m / (1 - 0.9 ** t)) / (np.sqrt(v / (1 - 0.999 ** t)) + 1e-8)
            else:
                m *= 0.9
                m += g
                w -= 0.1 * m
    return run


# --- LeNet-style CNN step -------------------------------------------------------------------

def _lenet(nn):
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(16 * 5 * 5, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
        nn.Linear(84, 10))


def _cnn_step(lib, batch):
    model = _lenet(lib.nn)
    opt = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    x, y = _batch(batch, (1, 28, 28))
    return _training_step(model, opt, lib.tensor(x), lib.tensor(y),
                          lib.nn.functional.cross_entropy)


def cnn_minigrad(batch):
    import minigrad
    return _cnn_step(minigrad, batch)


def cnn_torch(batch):
    import torch
    return _cnn_step(torch, batch)


# --- AdamW update alone ---------------------------------------------------------------------

def _adamw_arrays(n):
    rng = np.random.default_rng(0)
    return rng.standard_normal(n).astype(np.float32), rng.standard_normal(n).astype(np.float32)


def adamw_minigrad(n):
    import minigrad as mg
    w_np, g_np = _adamw_arrays(n)
    w = mg.tensor(w_np, requires_grad=True)
    w.grad = mg.tensor(g_np)
    return mg.optim.AdamW([w], lr=1e-3, weight_decay=1e-2).step


def adamw_torch(n):
    import torch
    w_np, g_np = _adamw_arrays(n)
    w = torch.tensor(w_np, requires_grad=True)
    w.grad = torch.tensor(g_np)
    try:
        step = torch.optim.AdamW([w], lr=1e-3, weight_decay=1e-2, fused=True).step
        return step
    except (RuntimeError, TypeError):
        opt = torch.optim.AdamW([w], lr=1e-3, weight_decay=1e-2)

        def step():
            opt.step()
        step.note = "torch AdamW not fused"
        return step


def adamw_numpy(n):
    wn, g_np = _adamw_arrays(n)
    m, v = np.zeros_like(wn), np.zeros_like(wn)
    step = [0]

    def run():
        step[0] += 1
        t = step[0]
        wn[:] *= 1 - 1e-5
        m[:] = 0.9 * m + 0.1 * g_np
        v[:] = 0.999 * v + 0.001 * g_np * g_np
        wn[:] -= 1e-3 * (m / (1 - 0.9 ** t)) / (np.sqrt(v / (1 - 0.999 ** t)) + 1e-8)
    return run


def _builders(work, frameworks=("minigrad", "numpy", "torch")):
    return {k: f"bench.training:{work}_{k}" for k in frameworks}


def rows(quick=False):
    n = 1_000_000 if quick else 10_000_000
    return [
        Row("training", "MLP 784-512-512-10 step, batch 128, AdamW", _builders("mlp"),
            {"sizes": [784, 512, 512, 10], "batch": 128, "optimizer": "adamw"}),
        Row("training", "course MLP 64-64-10 step, batch 32, SGD momentum", _builders("mlp"),
            {"sizes": [64, 64, 10], "batch": 32, "optimizer": "sgd"}, unit="us"),
        Row("training", "LeNet CNN step, batch 64, 1x28x28, SGD momentum+wd",
            _builders("cnn", ("minigrad", "torch")), {"batch": 64}),
        # read p, g, m, v and write p, m, v: 7 float32 arrays per step (bench/bandwidth.py)
        Row("optimizer", f"AdamW update, {n / 1e6:.0f}M float32", _builders("adamw"), {"n": n},
            bytes_per_call=7 * 4 * n),
    ]
