"""Training-step rows: MLP 784-512-512-10 + AdamW, LeNet-style CNN + SGD, AdamW on 10M floats.

Each minigrad row has a PyTorch twin with the same initial weights and the same batch; the
NumPy column is a hand-written forward/backward/update where that is short enough to be
honest (the MLP and the AdamW update), and empty for the CNN.
"""
import numpy as np

import minigrad as mg

from .harness import Row, torch


def _training_step(model, opt, x, y, cross_entropy):
    """One step, the same lines in either framework: zero, loss, backward, update."""
    def step():
        opt.zero_grad()
        cross_entropy(model(x), y).backward()
        opt.step()
    return step


def _have_training_api():
    return hasattr(mg, "nn") and hasattr(mg, "optim")


def _mlp_step(batch=128):
    rng = np.random.default_rng(0)
    nn = mg.nn
    model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(),
                          nn.Linear(512, 10))
    opt = mg.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-2)
    x_np = rng.standard_normal((batch, 784)).astype(np.float32)
    y_np = rng.integers(0, 10, batch)
    run_mg = _training_step(model, opt, mg.tensor(x_np), mg.tensor(y_np),
                            nn.functional.cross_entropy)

    # hand-written numpy: same math (forward, backward, AdamW) with no autograd
    Ws = [p.numpy().copy() for p in model.parameters()]
    moments = [[np.zeros_like(w), np.zeros_like(w)] for w in Ws]
    step = [0]

    def run_np():
        W1, b1, W2, b2, W3, b3 = Ws
        h1 = np.maximum(x_np @ W1.T + b1, 0)
        h2 = np.maximum(h1 @ W2.T + b2, 0)
        z = h2 @ W3.T + b3
        z -= z.max(1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(1, keepdims=True)
        p[np.arange(batch), y_np] -= 1
        g3 = p / batch
        g2 = (g3 @ W3) * (h2 > 0)
        g1 = (g2 @ W2) * (h1 > 0)
        grads = [g1.T @ x_np, g1.sum(0), g2.T @ h1, g2.sum(0), g3.T @ h2, g3.sum(0)]
        step[0] += 1
        t = step[0]
        for w, g, (m, v) in zip(Ws, grads, moments):
            w *= 1 - 1e-3 * 1e-2
            m *= 0.9
            m += 0.1 * g
            v *= 0.999
            v += 0.001 * g * g
            w -= 1e-3 * (m / (1 - 0.9 ** t)) / (np.sqrt(v / (1 - 0.999 ** t)) + 1e-8)

    row = Row("training", f"MLP 784-512-512-10 step, batch {batch}, AdamW", run_mg, run_np)
    if torch:
        tmodel = torch.nn.Sequential(torch.nn.Linear(784, 512), torch.nn.ReLU(),
                                     torch.nn.Linear(512, 512), torch.nn.ReLU(),
                                     torch.nn.Linear(512, 10))
        kw = {"fused": True}
        try:
            topt = torch.optim.AdamW(tmodel.parameters(), lr=1e-3, weight_decay=1e-2, **kw)
        except (RuntimeError, TypeError):
            topt = torch.optim.AdamW(tmodel.parameters(), lr=1e-3, weight_decay=1e-2)
            row.note = "torch AdamW not fused"
        row.torch = _training_step(tmodel, topt, torch.tensor(x_np), torch.tensor(y_np),
                                   torch.nn.functional.cross_entropy)
    return row


def _lenet(nn):
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(16 * 5 * 5, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
        nn.Linear(84, 10))


def _cnn_step(batch=64):
    rng = np.random.default_rng(0)
    model = _lenet(mg.nn)
    opt = mg.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    x_np = rng.standard_normal((batch, 1, 28, 28)).astype(np.float32)
    y_np = rng.integers(0, 10, batch)
    run_mg = _training_step(model, opt, mg.tensor(x_np), mg.tensor(y_np),
                            mg.nn.functional.cross_entropy)
    row = Row("training", f"LeNet CNN step, batch {batch}, 1x28x28, SGD momentum+wd", run_mg)
    if torch:
        tmodel = _lenet(torch.nn)
        topt = torch.optim.SGD(tmodel.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
        row.torch = _training_step(tmodel, topt, torch.tensor(x_np), torch.tensor(y_np),
                                   torch.nn.functional.cross_entropy)
    return row


def _adamw_update(n):
    rng = np.random.default_rng(0)
    w_np = rng.standard_normal(n).astype(np.float32)
    g_np = rng.standard_normal(n).astype(np.float32)
    w = mg.tensor(w_np, requires_grad=True)
    w.grad = mg.tensor(g_np)
    opt = mg.optim.AdamW([w], lr=1e-3, weight_decay=1e-2)
    m, v = np.zeros_like(w_np), np.zeros_like(w_np)
    wn = w_np.copy()
    step = [0]

    def run_np():
        step[0] += 1
        t = step[0]
        wn[:] *= 1 - 1e-5
        m[:] = 0.9 * m + 0.1 * g_np
        v[:] = 0.999 * v + 0.001 * g_np * g_np
        wn[:] -= 1e-3 * (m / (1 - 0.9 ** t)) / (np.sqrt(v / (1 - 0.999 ** t)) + 1e-8)

    row = Row("optimizer", f"AdamW update, {n / 1e6:.0f}M float32", opt.step, run_np)
    if torch:
        tw = torch.tensor(w_np, requires_grad=True)
        tw.grad = torch.tensor(g_np)
        try:
            topt = torch.optim.AdamW([tw], lr=1e-3, weight_decay=1e-2, fused=True)
        except (RuntimeError, TypeError):
            topt = torch.optim.AdamW([tw], lr=1e-3, weight_decay=1e-2)
            row.note = "torch AdamW not fused"
        row.torch = topt.step
    return row


def rows(quick=False):
    if not _have_training_api():
        return []
    return [_mlp_step(), _cnn_step(), _adamw_update(1_000_000 if quick else 10_000_000)]
