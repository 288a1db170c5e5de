"""Attention rows: forward + backward of scaled_dot_product_attention, of a MultiheadAttention
self-attention and of a TransformerEncoderLayer (the "attention block"), float32, with torch
CPU's twin on the same weights and batch. (Add "bench.attention" to GROUPS in __main__.py.)

The backward is of a weighted sum with fixed random weights, so no output gradient is all
ones; each call zeroes the gradients first, as a training step would.
"""
import numpy as np

import minigrad as mg

from .harness import Row, torch


def _fwd_bwd(forward, inputs, params, weights):
    """One call: clear the gradients, forward, backward of Σ weights·output."""
    def run():
        for p in list(inputs) + list(params):
            p.grad = None
        (forward(*inputs) * weights).sum().backward()
    return run


def _sdpa(batch, heads, seq, head_dim):
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal((batch, heads, seq, head_dim)).astype(np.float32)
              for _ in range(3)]
    w = rng.standard_normal((batch, heads, seq, head_dim)).astype(np.float32)
    causal = dict(is_causal=True)
    xs = [mg.tensor(a, requires_grad=True) for a in arrays]
    row = Row("attention", f"scaled_dot_product_attention causal fwd+bwd, (N, h, L, E) = "
                           f"{(batch, heads, seq, head_dim)}",
              _fwd_bwd(lambda q, k, v: mg.nn.functional.scaled_dot_product_attention(
                  q, k, v, **causal), xs, [], mg.tensor(w)))
    if torch:
        ts = [torch.tensor(a, requires_grad=True) for a in arrays]
        row.torch = _fwd_bwd(lambda q, k, v: torch.nn.functional.scaled_dot_product_attention(
            q, k, v, **causal), ts, [], torch.tensor(w))
    return row


def _module_row(name, build, call, x_shape):
    rng = np.random.default_rng(0)
    x_np = rng.standard_normal(x_shape).astype(np.float32)
    model = build(mg.nn).eval()
    x = mg.tensor(x_np, requires_grad=True)
    w = rng.standard_normal(x_shape).astype(np.float32)
    row = Row("attention", name, _fwd_bwd(lambda x: call(model, x), [x],
                                          list(model.parameters()), mg.tensor(w)))
    if torch:
        tmodel = build(torch.nn).eval()
        model.load_state_dict({k: v.detach().numpy() for k, v in tmodel.state_dict().items()})
        tx = torch.tensor(x_np, requires_grad=True)
        row.torch = _fwd_bwd(lambda x: call(tmodel, x), [tx], list(tmodel.parameters()),
                             torch.tensor(w))
    return row


def rows(quick=False):
    if not hasattr(mg.nn, "MultiheadAttention"):
        return []
    batch, seq, d, heads = (8, 32, 64, 4) if quick else (32, 64, 256, 4)
    return [
        _sdpa(batch, heads, seq, d // heads),
        _module_row(f"MultiheadAttention self-attention fwd+bwd, (N, L, E) = {(batch, seq, d)}, "
                    f"{heads} heads", lambda nn: nn.MultiheadAttention(d, heads,
                                                                        batch_first=True),
                    lambda m, x: m(x, x, x, need_weights=False)[0], (batch, seq, d)),
        _module_row(f"TransformerEncoderLayer fwd+bwd, (N, L, E) = {(batch, seq, d)}, "
                    f"{heads} heads, FF {4 * d}", lambda nn: nn.TransformerEncoderLayer(
                        d, heads, 4 * d, dropout=0.0, batch_first=True),
                    lambda m, x: m(x), (batch, seq, d)),
    ]
