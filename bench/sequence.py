"""Recurrent rows: an LSTM forward+backward against torch CPU (attention: bench/attention.py)."""
import numpy as np

import minigrad as mg

from .harness import Row, torch


def _copy_weights(mine, theirs):
    """torch's initial weights into minigrad's module (the same parameter names)."""
    state = {k: v.detach().numpy() for k, v in theirs.state_dict().items()}
    mine.load_state_dict({k: mg.tensor(v) for k, v in state.items()})


def _forward_backward(module, x, select=lambda out: out):
    def run():
        for p in module.parameters():
            p.grad = None
        select(module(x)).sum().backward()
    return run


def _lstm(seq=64, batch=32, hidden=256):
    """nn.LSTM(hidden, hidden), batch_first, input (batch, seq, hidden): output.sum() backward."""
    if not hasattr(mg.nn, "LSTM"):
        return []
    rng = np.random.default_rng(0)
    x_np = rng.standard_normal((batch, seq, hidden)).astype(np.float32)
    mine = mg.nn.LSTM(hidden, hidden, batch_first=True)
    row = Row("sequence", f"LSTM fwd+bwd, seq {seq}, batch {batch}, hidden {hidden}",
              _forward_backward(mine, mg.tensor(x_np, requires_grad=True), lambda o: o[0]))
    if torch:
        theirs = torch.nn.LSTM(hidden, hidden, batch_first=True)
        _copy_weights(mine, theirs)
        row.torch = _forward_backward(theirs, torch.tensor(x_np, requires_grad=True),
                                      lambda o: o[0])
    return [row]


def rows(quick=False):
    return _lstm(seq=16, batch=8, hidden=64) if quick else _lstm()
