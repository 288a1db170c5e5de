"""Attention rows: forward + backward of scaled_dot_product_attention, of a MultiheadAttention
self-attention and of a TransformerEncoderLayer (the "attention block"), float32, minigrad
against torch CPU on the same weights (bench.sequence.load_numpy_state) and the same batch.

The backward is of a weighted sum with fixed random weights, so no output gradient is all
ones; each call zeroes the gradients first, as a training step would. Each framework's
callable is built in its own process by the ``*_minigrad`` / ``*_torch`` functions.
"""
import numpy as np

from .harness import Row
from .sequence import load_numpy_state


def _fwd_bwd(forward, inputs, params, weights):
    """One call: clear the gradients, forward, backward of Σ weights·output."""
    def run():
        for p in list(inputs) + list(params):
            p.grad = None
        (forward(*inputs) * weights).sum().backward()
    return run


def _sdpa(lib, shape):
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(shape).astype(np.float32) for _ in range(3)]
    w = rng.standard_normal(shape).astype(np.float32)
    xs = [lib.tensor(a, requires_grad=True) for a in arrays]
    return _fwd_bwd(lambda q, k, v: lib.nn.functional.scaled_dot_product_attention(
        q, k, v, is_causal=True), xs, [], lib.tensor(w))


def sdpa_minigrad(shape):
    import minigrad
    return _sdpa(minigrad, shape)


def sdpa_torch(shape):
    import torch
    return _sdpa(torch, shape)


def _module(lib, kind, batch, seq, d, heads):
    """MultiheadAttention self-attention or a TransformerEncoderLayer on (batch, seq, d)."""
    rng = np.random.default_rng(0)
    x_np = rng.standard_normal((batch, seq, d)).astype(np.float32)
    w = rng.standard_normal((batch, seq, d)).astype(np.float32)
    if kind == "mha":
        model = lib.nn.MultiheadAttention(d, heads, batch_first=True)
        call = lambda x: model(x, x, x, need_weights=False)[0]   # noqa: E731
    else:
        model = lib.nn.TransformerEncoderLayer(d, heads, 4 * d, dropout=0.0, batch_first=True)
        call = model
    load_numpy_state(model.eval(), lib.tensor)
    x = lib.tensor(x_np, requires_grad=True)
    return _fwd_bwd(call, [x], list(model.parameters()), lib.tensor(w))


def module_minigrad(kind, batch, seq, d, heads):
    import minigrad
    return _module(minigrad, kind, batch, seq, d, heads)


def module_torch(kind, batch, seq, d, heads):
    import torch
    return _module(torch, kind, batch, seq, d, heads)


def _builders(work):
    return {k: f"bench.attention:{work}_{k}" for k in ("minigrad", "torch")}


def rows(quick=False):
    batch, seq, d, heads = (8, 32, 64, 4) if quick else (32, 64, 256, 4)
    shape = (batch, heads, seq, d // heads)
    size = dict(batch=batch, seq=seq, d=d, heads=heads)
    return [
        Row("attention", f"scaled_dot_product_attention causal fwd+bwd, (N, h, L, E) = "
                         f"{shape}", _builders("sdpa"), {"shape": list(shape)}),
        Row("attention", f"MultiheadAttention self-attention fwd+bwd, (N, L, E) = "
                         f"{(batch, seq, d)}, {heads} heads", _builders("module"),
            dict(kind="mha", **size)),
        Row("attention", f"TransformerEncoderLayer fwd+bwd, (N, L, E) = {(batch, seq, d)}, "
                         f"{heads} heads, FF {4 * d}", _builders("module"),
            dict(kind="encoder", **size)),
    ]
