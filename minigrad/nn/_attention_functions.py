"""Attention as functions of tensors, as torch.nn.functional: scaled_dot_product_attention and
multi_head_attention_forward (the module is nn/attention.py, the Transformer layers
nn/transformer.py).

Scaled dot-product attention of queries Q (L, E), keys K (S, E) and values V (S, Eᵥ):

    A = softmax(Q Kᵀ · scale + B)      scale = 1/√E unless given; B the mask bias
    out = A V                           (L, Eᵥ)

Everything is a composition of minigrad ops (matmul, masked_fill, softmax, where, reshape), so
gradients of every order and forward-mode tangents come from the ops' own rules.

Two mask conventions, both torch's, and easy to mix up:

* ``scaled_dot_product_attention``: a **bool** attn_mask says where to attend (True = keep,
  False = masked out); a float mask is added to the scores.
* ``multi_head_attention_forward`` / ``nn.MultiheadAttention`` / the Transformer layers: a
  **bool** attn_mask or key_padding_mask says what to *hide* (True = masked out); a float mask is
  added. Both are first turned into float masks of 0 and −inf (``_canonical_mask``) and summed.

A query row whose keys are all masked has softmax(−inf, …, −inf) = 0/0. Torch answers that row
differently on its two paths, and minigrad matches each: ``scaled_dot_product_attention`` (and so
MultiheadAttention with need_weights=False, which the Transformer layers use) returns a row of
zeros with zero gradient ("safe softmax"); MultiheadAttention with need_weights=True computes
the weights itself and returns NaN for that row, output and weights.
"""
import math
import numbers

import numpy as np

from .. import ops
from ..creation import ones, zeros
from ._arguments import _tensor
from ._conv_functions import linear, pad
from ._dropout_functions import dropout

__all__ = ["scaled_dot_product_attention", "multi_head_attention_forward"]

_NEG_INF = float("-inf")


# ---- masks -----------------------------------------------------------------------------------

def _check_mask_dtype(mask, name, query):
    _tensor(mask, name)
    if mask.dtype != np.bool_ and mask.dtype.kind != "f":
        raise TypeError(f"{name} must be a bool or floating tensor, got {mask.dtype}")
    if mask.dtype.kind == "f" and mask.dtype != query.dtype:
        raise TypeError(f"{name} of dtype {mask.dtype} does not match the query's dtype "
                        f"{query.dtype} (torch refuses this too; cast one of them)")


def _canonical_mask(mask, name, query):
    """A bool mask (True = masked out) as a float one: 0 where False, −inf where True.
    A float mask is returned as it is (it is added to the scores)."""
    if mask is None:
        return None
    _check_mask_dtype(mask, name, query)
    if mask.dtype == np.bool_:
        return zeros(*mask.shape, dtype=query.dtype, device=query.device).masked_fill(
            mask, _NEG_INF)
    return mask


def _safe_softmax(scores):
    """softmax over the last axis, except that a row of only −inf gives zeros (torch's
    _safe_softmax: such a row attends to nothing), with zero gradient there. No keys at all
    (S = 0): the empty weights themselves, so the output is 0 as torch's (softmax over an
    empty axis is refused by the op)."""
    if scores.shape[-1] == 0:
        return scores
    empty = (scores == _NEG_INF).all(dim=-1, keepdim=True)
    if not bool(empty.any()):
        return scores.softmax(-1)
    weights = ops.where(empty, 0.0, scores).softmax(-1)
    return ops.where(empty, 0.0, weights)


# ---- scaled dot-product attention -----------------------------------------------------------

def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0,
                                 is_causal=False, scale=None, enable_gqa=False):
    """softmax(Q Kᵀ·scale + B) V over the last two axes; leading (batch, head) axes broadcast.

    query (..., L, E), key (..., S, E), value (..., S, Eᵥ) → (..., L, Eᵥ). scale = 1/√E by
    default. attn_mask broadcasts to (..., L, S): bool True = attend (False gives −inf), a float
    mask is added. is_causal: query i attends to keys j ≤ i (the top-left triangle when L ≠ S,
    as torch); it excludes attn_mask. dropout_p drops attention weights (inverted dropout) at
    every call, as torch's function does; modules pass 0 in eval. enable_gqa: key/value with
    fewer heads (axis −3) than the query are repeated to match (grouped-query attention).
    A fully masked query row gives zeros (see the module docstring); a masked score is
    replaced by −inf (masked_fill, not an addition), so even a NaN there is ignored.
    """
    for name, t in (("query", query), ("key", key), ("value", value)):
        _tensor(t, f"scaled_dot_product_attention: {name}")
        if t.ndim < 2:
            raise ValueError(f"scaled_dot_product_attention: {name} must have at least 2 "
                             f"dimensions (..., sequence, features), got shape {t.shape}")
    if query.shape[-1] != key.shape[-1]:
        raise ValueError(f"scaled_dot_product_attention: query {query.shape} and key "
                         f"{key.shape} must have the same last dimension")
    if key.shape[-2] != value.shape[-2]:
        raise ValueError(f"scaled_dot_product_attention: key {key.shape} and value "
                         f"{value.shape} must have the same sequence length (dim -2)")
    if not isinstance(dropout_p, numbers.Real) or not 0 <= dropout_p <= 1:
        raise ValueError(f"scaled_dot_product_attention: dropout_p must be in [0, 1], got "
                         f"{dropout_p!r}")
    if enable_gqa and query.ndim >= 3 and key.ndim >= 3 and key.shape[-3] != query.shape[-3]:
        heads, kv_heads = query.shape[-3], key.shape[-3]
        if kv_heads == 0 or heads % kv_heads:
            raise ValueError(f"scaled_dot_product_attention: with enable_gqa the query's "
                             f"{heads} heads must be a multiple of the key's {kv_heads}")
        key = key.repeat_interleave(heads // kv_heads, dim=-3)
        value = value.repeat_interleave(heads // kv_heads, dim=-3)
    L, S = query.shape[-2], key.shape[-2]
    if scale is None:
        scale = 1.0 / math.sqrt(query.shape[-1]) if query.shape[-1] else 1.0
    scores = (query @ key.mT) * float(scale)
    if is_causal:
        if attn_mask is not None:
            raise ValueError("scaled_dot_product_attention: give either attn_mask or "
                             "is_causal=True, not both")
        causal = ops.tril(ones(L, S, dtype=np.bool_, device=query.device))
        scores = scores.masked_fill(~causal, _NEG_INF)
    if attn_mask is not None:
        _check_mask_dtype(attn_mask, "scaled_dot_product_attention: attn_mask", query)
        try:
            shape = np.broadcast_shapes(attn_mask.shape, scores.shape)
        except ValueError:
            shape = None
        if shape != tuple(scores.shape):
            raise ValueError(f"scaled_dot_product_attention: attn_mask of shape "
                             f"{attn_mask.shape} does not broadcast to the attention scores' "
                             f"shape {scores.shape} (..., L={L}, S={S})")
        if attn_mask.dtype == np.bool_:
            scores = scores.masked_fill(~attn_mask, _NEG_INF)
        else:
            scores = scores + attn_mask
    weights = _safe_softmax(scores)
    if dropout_p > 0:
        weights = dropout(weights, dropout_p, training=True)
    return weights @ value


# ---- multi-head attention --------------------------------------------------------------------

def _in_projection_packed(q, k, v, w, b):
    """Q, K, V = q W_qᵀ + b_q, k W_kᵀ + b_k, v W_vᵀ + b_v with W = [W_q; W_k; W_v] (3E, E):
    one product when q, k and v are the same tensor (self-attention), two when k is v."""
    E = q.shape[-1]
    if k is v:
        if q is k:
            return linear(q, w, b).chunk(3, dim=-1)
        b_q, b_kv = (None, None) if b is None else (b[:E], b[E:])
        return (linear(q, w[:E], b_q),) + linear(k, w[E:], b_kv).chunk(2, dim=-1)
    b_q, b_k, b_v = (None, None, None) if b is None else b.chunk(3)
    return linear(q, w[:E], b_q), linear(k, w[E:2 * E], b_k), linear(v, w[2 * E:], b_v)


def _shape_check(query, key, value, key_padding_mask, attn_mask, num_heads):
    """Whether the input is batched ((L, N, E) rather than (L, E)); the ranks of the rest must
    agree (torch's _mha_shape_check), else a ValueError naming the shapes."""
    def fail(msg):
        raise ValueError(f"multi_head_attention_forward: {msg}")
    if query.ndim == 3:
        if key.ndim != 3 or value.ndim != 3:
            fail(f"for a batched (3-D) query, key and value must be 3-D, got key {key.shape} "
                 f"and value {value.shape}")
        if key_padding_mask is not None and key_padding_mask.ndim != 2:
            fail(f"for a batched (3-D) query, key_padding_mask must be 2-D (N, S), got "
                 f"{key_padding_mask.shape}")
        if attn_mask is not None and attn_mask.ndim not in (2, 3):
            fail(f"for a batched (3-D) query, attn_mask must be 2-D or 3-D, got "
                 f"{attn_mask.shape}")
        return True
    if query.ndim == 2:
        if key.ndim != 2 or value.ndim != 2:
            fail(f"for an unbatched (2-D) query, key and value must be 2-D, got key "
                 f"{key.shape} and value {value.shape}")
        if key_padding_mask is not None and key_padding_mask.ndim != 1:
            fail(f"for an unbatched (2-D) query, key_padding_mask must be 1-D (S,), got "
                 f"{key_padding_mask.shape}")
        if attn_mask is not None:
            if attn_mask.ndim not in (2, 3):
                fail(f"for an unbatched (2-D) query, attn_mask must be 2-D or 3-D, got "
                     f"{attn_mask.shape}")
            if attn_mask.ndim == 3 and attn_mask.shape != (num_heads, query.shape[0],
                                                           key.shape[0]):
                fail(f"for an unbatched (2-D) query, a 3-D attn_mask must have shape "
                     f"{(num_heads, query.shape[0], key.shape[0])}, got {attn_mask.shape}")
        return False
    fail(f"query must be 2-D (L, E) or 3-D (L, N, E), got shape {query.shape}")


def multi_head_attention_forward(query, key, value, embed_dim_to_check, num_heads,
                                 in_proj_weight, in_proj_bias, bias_k, bias_v, add_zero_attn,
                                 dropout_p, out_proj_weight, out_proj_bias, training=True,
                                 key_padding_mask=None, need_weights=True, attn_mask=None,
                                 use_separate_proj_weight=False, q_proj_weight=None,
                                 k_proj_weight=None, v_proj_weight=None, static_k=None,
                                 static_v=None, average_attn_weights=True, is_causal=False):
    """Multi-head attention of sequence-first inputs, as torch.nn.functional's.

    query (L, N, E), key (S, N, kdim), value (S, N, vdim) (or unbatched (L, E) ...):

        Q = query W_qᵀ + b_q,  K = key W_kᵀ + b_k,  V = value W_vᵀ + b_v      (E features)
        split E into num_heads heads of E/h features; per head and batch element:
        headᵢ = softmax(Qᵢ Kᵢᵀ/√(E/h) + B) Vᵢ
        out = concat(head₁ … head_h) W_oᵀ + b_o                                (L, N, E)

    B merges attn_mask ((L, S), or (N·h, L, S) per head) and key_padding_mask ((N, S), one row
    per batch element), each bool (True = masked out) or float (added). bias_k/bias_v append a
    learned key/value position, add_zero_attn a zero one (both extend the masks by a column of
    0). need_weights: also return the attention weights (N, L, S), averaged over the heads
    unless average_attn_weights=False ((N, h, L, S)); otherwise they are None and the heads go
    through scaled_dot_product_attention. is_causal is torch's hint that attn_mask is causal:
    it needs attn_mask. static_k/static_v (N·h, S, E/h) replace the projected keys/values.
    """
    is_batched = _shape_check(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not is_batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query.shape
    src_len = key.shape[0]
    if embed_dim != embed_dim_to_check:
        raise ValueError(f"multi_head_attention_forward: the query's embedding dimension "
                         f"{embed_dim} is not embed_dim={embed_dim_to_check}")
    if num_heads <= 0 or embed_dim % num_heads:
        raise ValueError(f"multi_head_attention_forward: embed_dim={embed_dim} must be "
                         f"divisible by num_heads={num_heads}")
    if key.shape[:2] != value.shape[:2]:
        raise ValueError(f"multi_head_attention_forward: key {key.shape} and value "
                         f"{value.shape} must agree in sequence length and batch size")
    if key.shape[1] != bsz:
        raise ValueError(f"multi_head_attention_forward: query {query.shape} and key "
                         f"{key.shape} must have the same batch size")
    head_dim = embed_dim // num_heads
    key_padding_mask = _canonical_mask(key_padding_mask, "key_padding_mask", query)
    if is_causal and attn_mask is None:
        raise ValueError("multi_head_attention_forward: is_causal is a hint that attn_mask is "
                         "the causal mask, so it needs attn_mask (see "
                         "nn.Transformer.generate_square_subsequent_mask)")
    if is_causal and key_padding_mask is None and not need_weights:
        attn_mask = None     # scaled_dot_product_attention builds the causal mask itself
    else:
        attn_mask = _canonical_mask(attn_mask, "attn_mask", query)
        is_causal = False

    # in-projection
    if use_separate_proj_weight:
        for name, w, d in (("q_proj_weight", q_proj_weight, embed_dim),
                           ("k_proj_weight", k_proj_weight, key.shape[-1]),
                           ("v_proj_weight", v_proj_weight, value.shape[-1])):
            if w is None or w.shape != (embed_dim, d):
                raise ValueError(f"multi_head_attention_forward: {name} must have shape "
                                 f"{(embed_dim, d)}, got {None if w is None else w.shape}")
        b_q, b_k, b_v = (None,) * 3 if in_proj_bias is None else in_proj_bias.chunk(3)
        q = linear(query, q_proj_weight, b_q)
        k = linear(key, k_proj_weight, b_k)
        v = linear(value, v_proj_weight, b_v)
    else:
        if key.shape[-1] != embed_dim or value.shape[-1] != embed_dim:
            raise ValueError(f"multi_head_attention_forward: with a packed in_proj_weight, key "
                             f"{key.shape} and value {value.shape} must have embed_dim="
                             f"{embed_dim} features (give kdim/vdim to the module otherwise)")
        q, k, v = _in_projection_packed(query, key, value, in_proj_weight, in_proj_bias)

    if attn_mask is not None:
        if attn_mask.ndim == 2:
            if attn_mask.shape != (tgt_len, src_len):
                raise ValueError(f"multi_head_attention_forward: the 2-D attn_mask should have "
                                 f"shape (L, S) = {(tgt_len, src_len)}, got {attn_mask.shape}")
            attn_mask = attn_mask.unsqueeze(0)
        elif attn_mask.shape != (bsz * num_heads, tgt_len, src_len):
            raise ValueError(f"multi_head_attention_forward: the 3-D attn_mask should have "
                             f"shape (N·num_heads, L, S) = {(bsz * num_heads, tgt_len, src_len)},"
                             f" got {attn_mask.shape}")
    if key_padding_mask is not None and key_padding_mask.shape != (bsz, src_len):
        raise ValueError(f"multi_head_attention_forward: key_padding_mask should have shape "
                         f"(N, S) = {(bsz, src_len)}, got {key_padding_mask.shape}")

    # learned bias position appended to the keys and values
    if (bias_k is None) != (bias_v is None):
        raise ValueError("multi_head_attention_forward: give both bias_k and bias_v, or neither")
    if bias_k is not None:
        if static_k is not None or static_v is not None:
            raise ValueError("multi_head_attention_forward: bias_k/bias_v cannot be combined "
                             "with static_k/static_v")
        k = ops.concatenate([k, bias_k.expand(1, bsz, embed_dim)], dim=0)
        v = ops.concatenate([v, bias_v.expand(1, bsz, embed_dim)], dim=0)
        attn_mask = None if attn_mask is None else pad(attn_mask, (0, 1))
        key_padding_mask = None if key_padding_mask is None else pad(key_padding_mask, (0, 1))

    # split the heads: (L, N, E) -> (N·h, L, E/h)
    q = q.reshape(tgt_len, bsz * num_heads, head_dim).transpose(0, 1)
    k = _heads(k, static_k, "static_k", bsz * num_heads, head_dim)
    v = _heads(v, static_v, "static_v", bsz * num_heads, head_dim)
    if add_zero_attn:
        zero = zeros(bsz * num_heads, 1, head_dim, dtype=q.dtype, device=q.device)
        k = ops.concatenate([k, zero], dim=1)
        v = ops.concatenate([v, zero], dim=1)
        attn_mask = None if attn_mask is None else pad(attn_mask, (0, 1))
        key_padding_mask = None if key_padding_mask is None else pad(key_padding_mask, (0, 1))
    src_len = k.shape[1]

    # merge key padding and attention masks into one additive bias (N·h, L or 1, S)
    if key_padding_mask is not None:
        per_head = key_padding_mask.reshape(bsz, 1, 1, src_len).expand(
            bsz, num_heads, 1, src_len).reshape(bsz * num_heads, 1, src_len)
        attn_mask = per_head if attn_mask is None else attn_mask + per_head
    if not training:
        dropout_p = 0.0

    if need_weights:
        scores = (q * math.sqrt(1.0 / head_dim)) @ k.mT
        if attn_mask is not None:
            scores = scores + attn_mask
        weights = scores.softmax(-1)          # NaN for a fully masked row, as torch here
        if dropout_p > 0:
            weights = dropout(weights, dropout_p, training=True)
        out = weights @ v                                            # (N·h, L, E/h)
        out = out.transpose(0, 1).reshape(tgt_len * bsz, embed_dim)
        out = linear(out, out_proj_weight, out_proj_bias).reshape(tgt_len, bsz, embed_dim)
        weights = weights.reshape(bsz, num_heads, tgt_len, src_len)
        if average_attn_weights:
            weights = weights.mean(dim=1)
        if not is_batched:
            out, weights = out.squeeze(1), weights.squeeze(0)
        return out, weights

    if attn_mask is not None:
        if attn_mask.shape[0] == 1:
            attn_mask = attn_mask.unsqueeze(0)                       # (1, 1, L, S)
        else:
            attn_mask = attn_mask.reshape(bsz, num_heads, -1, src_len)
    q = q.reshape(bsz, num_heads, tgt_len, head_dim)
    k = k.reshape(bsz, num_heads, src_len, head_dim)
    v = v.reshape(bsz, num_heads, src_len, head_dim)
    out = scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, is_causal)
    out = out.permute(2, 0, 1, 3).reshape(bsz * tgt_len, embed_dim)
    out = linear(out, out_proj_weight, out_proj_bias).reshape(tgt_len, bsz, embed_dim)
    if not is_batched:
        out = out.squeeze(1)
    return out, None


def _heads(x, static, name, batch_heads, head_dim):
    """(S, N, E) -> (N·h, S, E/h), or the given static keys/values of that shape."""
    if static is None:
        return x.reshape(x.shape[0], batch_heads, head_dim).transpose(0, 1)
    _tensor(static, f"multi_head_attention_forward: {name}")
    if static.ndim != 3 or static.shape[0] != batch_heads or static.shape[2] != head_dim:
        raise ValueError(f"multi_head_attention_forward: {name} must have shape (N·num_heads, "
                         f"S, head_dim) = ({batch_heads}, S, {head_dim}), got {static.shape}")
    return static
