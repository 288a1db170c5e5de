"""Entries of the differential registry (tests/_differential_registry.py): issue 14's attention
functions, F.scaled_dot_product_attention and F.multi_head_attention_forward (the modules on
top of them are compared with torch in test_nn_attention.py and test_nn_transformer.py).

Kinds compared: normal, edge, extreme (NaN/±inf places only, see _ILL_CONDITIONED), and
empty sequences (scaled_dot_product_attention) or non-finite inputs (multi_head_attention_forward,
whose masks keep one key per query). Not compared: scaled_dot_product_attention of "huge" and
"nonfinite" values, where scores overflow or are NaN: torch's own CPU kernels (the fused one it
runs by default and the math one, SDPBackend.MATH) disagree with each other there (6 and 9 of 60
examples' forward values), so there is no oracle; nor multi_head_attention_forward of "huge"
values, for the same reason (its need_weights=False path is that kernel).
"""
import torch.nn.functional as TF

import minigrad.nn.functional as F

from _differential_registry import C, Relax, op

# ==== issue 14 (attn): attention ==============================================================

_ILL_CONDITIONED = Relax(
    "unchecked", "a score is a dot product of entries like 1e30 and 1e15 whose terms cancel, "
    "so its low digits are rounding noise of the order of summation (torch scales q and k by "
    "√scale before the product, minigrad the product), and the softmax of scores 1e45 apart "
    "in their last digits flips between keys: neither library's finite digits mean anything; "
    "the places of NaN and ±inf are compared", kinds=("extreme",))


def _sdpa_sample(c):
    """Leading (batch, head) axes, sequence lengths from 0 (empty kind) or 1 up, and one of: no
    mask, a bool mask (rows may be fully masked), a float mask (differentiable), is_causal."""
    lead = c.pick([(), (2,), (1, 2), (2, 3)])
    L, S, E, Ev = c.pick([1, 2, 3]), c.pick([1, 2, 3, 4]), c.pick([1, 2, 3]), c.pick([1, 2])
    if c.kind == "empty":
        L, S = c.pick([(0, 2), (2, 0), (0, 0)])
    mask_kind = c.pick([None, "bool", "float", "causal"])
    mask = None
    kw = dict(scale=c.pick([None, 0.5]))
    if mask_kind == "bool":
        mask = C(c.rng.random((L, S)) < 0.7)
    elif mask_kind == "float":
        mask = c.x((L, S))
    elif mask_kind == "causal":
        kw["is_causal"] = True
    return [c.x(lead + (L, E)), c.x(lead + (S, E)), c.x(lead + (S, Ev)), mask], kw


op("scaled_dot_product_attention",
   [lambda q, k, v, m, **kw: F.scaled_dot_product_attention(q, k, v, attn_mask=m, **kw)],
   lambda q, k, v, m, **kw: TF.scaled_dot_product_attention(q, k, v, attn_mask=m, **kw),
   _sdpa_sample, covers=("F.scaled_dot_product_attention",),
   kinds=("normal", "edge", "extreme", "empty"), relax=[_ILL_CONDITIONED],
   note="bool (True = attend) and float masks, is_causal, scale; a fully masked row gives 0")


def _mha_sample(c):
    """Sequence-first (L, N, E) or unbatched query, a key/value of another length, packed
    in-projection weights with or without biases, a bool key_padding_mask and/or an attn_mask
    (bool or float, 2-D or per head), need_weights both ways (the output alone is compared)."""
    E, h = c.pick([(2, 1), (2, 2), (4, 2), (3, 1)])
    L, S = c.pick([1, 2, 3]), c.pick([1, 2, 3])
    N = c.pick([None, 1, 2])
    lead = () if N is None else (N,)
    bias = c.bool()
    kpm = None
    if c.bool():
        kpm = c.rng.random(lead + (S,)) < 0.3
        kpm[..., 0] = False                  # keep one key per batch element
        kpm = C(kpm)
    attn = None
    layout = c.pick([None, "2d bool", "2d float", "per head float"])
    if layout == "2d bool":
        m = c.rng.random((L, S)) < 0.3
        m[:, 0] = False
        attn = C(m)
    elif layout == "2d float":
        attn = C(c.values((L, S), kind="normal"))
    elif layout == "per head float":
        attn = C(c.values(((N or 1) * h, L, S), kind="normal"))
    return [c.x((L,) + lead + (E,)), c.x((S,) + lead + (E,)), c.x((S,) + lead + (E,)),
            c.x((3 * E, E)), c.x((3 * E,)) if bias else None, c.x((E, E)),
            c.x((E,)) if bias else None, kpm, attn], dict(num_heads=h,
                                                          need_weights=c.bool())


def _mha(lib_F):
    def call(q, k, v, w_in, b_in, w_out, b_out, kpm, attn, num_heads, need_weights):
        return lib_F.multi_head_attention_forward(
            q, k, v, q.shape[-1], num_heads, w_in, b_in, None, None, False, 0.0, w_out, b_out,
            training=False, key_padding_mask=kpm, need_weights=need_weights,
            attn_mask=attn)[0]
    return call


op("multi_head_attention_forward", [_mha(F)], _mha(TF), _mha_sample,
   covers=("F.multi_head_attention_forward",),
   kinds=("normal", "edge", "extreme", "nonfinite"), relax=[_ILL_CONDITIONED],
   note="packed in-projection, key padding and attention masks (bool = masked out, float "
        "added), unbatched inputs; need_weights=True computes the weights itself, False goes "
        "through scaled_dot_product_attention")
