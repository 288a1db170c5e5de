"""Recurrent rows: an LSTM forward+backward against torch CPU (attention: bench/attention.py).

Each framework builds its own module in its own process (see bench/harness.py) and loads the
same weights, drawn with NumPy for every entry of the module's state_dict (the same names and
shapes in minigrad and torch), so both compute the same numbers on the same input.
"""
import numpy as np

from .harness import Row


def numpy_state(shapes, seed=0):
    """{name: float32 array}: uniform in ±1/√(last dim), drawn in sorted-name order."""
    rng = np.random.default_rng(seed)
    state = {}
    for name in sorted(shapes):
        shape = tuple(shapes[name])
        bound = 1 / np.sqrt(shape[-1]) if shape else 1.0
        state[name] = rng.uniform(-bound, bound, shape).astype(np.float32)
    return state


def load_numpy_state(module, tensor):
    """Fills ``module`` (minigrad's or torch's) with ``numpy_state`` of its own state_dict."""
    shapes = {k: tuple(v.shape) for k, v in module.state_dict().items()}
    module.load_state_dict({k: tensor(v) for k, v in numpy_state(shapes).items()})
    return module


def _forward_backward(module, x, select=lambda out: out):
    def run():
        for p in module.parameters():
            p.grad = None
        select(module(x)).sum().backward()
    return run


def _lstm(lib, seq, batch, hidden):
    """nn.LSTM(hidden, hidden), batch_first, input (batch, seq, hidden): output.sum() backward."""
    x_np = np.random.default_rng(0).standard_normal((batch, seq, hidden)).astype(np.float32)
    module = load_numpy_state(lib.nn.LSTM(hidden, hidden, batch_first=True), lib.tensor)
    return _forward_backward(module, lib.tensor(x_np, requires_grad=True), lambda o: o[0])


def lstm_minigrad(seq, batch, hidden):
    import minigrad
    return _lstm(minigrad, seq, batch, hidden)


def lstm_torch(seq, batch, hidden):
    import torch
    return _lstm(torch, seq, batch, hidden)


def rows(quick=False):
    seq, batch, hidden = (16, 8, 64) if quick else (64, 32, 256)
    return [Row("sequence", f"LSTM fwd+bwd, seq {seq}, batch {batch}, hidden {hidden}",
                {k: f"bench.sequence:lstm_{k}" for k in ("minigrad", "torch")},
                {"seq": seq, "batch": batch, "hidden": hidden})]
