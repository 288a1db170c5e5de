"""MultiheadAttention, as torch.nn.MultiheadAttention: the same arguments, parameter names and
shapes (so a torch state_dict loads as it is), initialisation and numbers. The math is
``multi_head_attention_forward`` in nn/_attention_functions.py.

Parameters, as torch:

    in_proj_weight (3E, E)   [W_q; W_k; W_v] stacked, when kdim = vdim = embed_dim
    q_proj_weight (E, E), k_proj_weight (E, kdim), v_proj_weight (E, vdim)   otherwise
    in_proj_bias (3E,)       [b_q; b_k; b_v] (bias=True)
    out_proj                 a Linear(E, E) (torch's NonDynamicallyQuantizableLinear)
    bias_k, bias_v (1, 1, E) add_bias_kv=True only

Initialisation: xavier_uniform_ for the projection weights, zeros for in_proj_bias and
out_proj.bias, out_proj.weight as any Linear, xavier_normal_ for bias_k/bias_v.
"""
from . import init
from ._attention_functions import _canonical_mask, multi_head_attention_forward
from ._layer import new_parameter
from .linear import Linear
from .module import Module

__all__ = ["MultiheadAttention", "NonDynamicallyQuantizableLinear"]


class NonDynamicallyQuantizableLinear(Linear):
    """A Linear under torch's name for MultiheadAttention.out_proj (torch uses the subclass to
    keep its quantisation passes away from it; here it only makes the repr the same)."""


class MultiheadAttention(Module):
    """out = concat(head₁ … head_h) W_oᵀ + b_o, headᵢ = softmax(Qᵢ Kᵢᵀ/√(E/h) + B) Vᵢ with
    Q, K, V the projected query, key and value split into h = num_heads heads of E/h features.

    Inputs (L, N, E) sequence first, or (N, L, E) with batch_first=True, or unbatched (L, E).
    forward returns (attn_output, attn_weights) with weights (N, L, S) averaged over the heads,
    (N, h, L, S) with average_attn_weights=False, None with need_weights=False. Bool masks mark
    what to hide (True = masked out); float masks are added to the scores.
    """

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False,
                 add_zero_attn=False, kdim=None, vdim=None, batch_first=False, device=None,
                 dtype=None):
        super().__init__()
        for name, v in (("embed_dim", embed_dim), ("num_heads", num_heads)):
            if not isinstance(v, int) or isinstance(v, bool) or v <= 0:
                raise ValueError(f"MultiheadAttention: {name} must be a positive int, got {v!r}")
        if embed_dim % num_heads:
            raise ValueError(f"MultiheadAttention: embed_dim={embed_dim} must be divisible by "
                             f"num_heads={num_heads}")
        if not 0 <= dropout <= 1:
            raise ValueError(f"MultiheadAttention: dropout must be in [0, 1], got {dropout!r}")
        self.embed_dim = embed_dim
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.num_heads, self.dropout, self.batch_first = num_heads, dropout, batch_first
        self.head_dim = embed_dim // num_heads

        if not self._qkv_same_embed_dim:
            self.q_proj_weight = new_parameter((embed_dim, embed_dim), dtype, device)
            self.k_proj_weight = new_parameter((embed_dim, self.kdim), dtype, device)
            self.v_proj_weight = new_parameter((embed_dim, self.vdim), dtype, device)
            self.register_parameter("in_proj_weight", None)
        else:
            self.in_proj_weight = new_parameter((3 * embed_dim, embed_dim), dtype, device)
            self.register_parameter("q_proj_weight", None)
            self.register_parameter("k_proj_weight", None)
            self.register_parameter("v_proj_weight", None)
        if bias:
            self.in_proj_bias = new_parameter((3 * embed_dim,), dtype, device)
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = NonDynamicallyQuantizableLinear(embed_dim, embed_dim, bias=bias,
                                                        device=device, dtype=dtype)
        if add_bias_kv:
            self.bias_k = new_parameter((1, 1, embed_dim), dtype, device)
            self.bias_v = new_parameter((1, 1, embed_dim), dtype, device)
        else:
            self.bias_k = self.bias_v = None
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()

    def _reset_parameters(self):
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            init.xavier_uniform_(self.q_proj_weight)
            init.xavier_uniform_(self.k_proj_weight)
            init.xavier_uniform_(self.v_proj_weight)
        if self.in_proj_bias is not None:
            init.zeros_(self.in_proj_bias)
            init.zeros_(self.out_proj.bias)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
        if self.bias_v is not None:
            init.xavier_normal_(self.bias_v)

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True,
                attn_mask=None, average_attn_weights=True, is_causal=False):
        key_padding_mask = _canonical_mask(key_padding_mask, "key_padding_mask", query)
        attn_mask = _canonical_mask(attn_mask, "attn_mask", query)
        is_batched = query.ndim == 3
        if self.batch_first and is_batched:
            # (N, L, E) -> (L, N, E), keeping "key is value" and "query is key" (the packed
            # in-projection makes one product for self-attention)
            same_kv, same_qk = key is value, query is key
            query = query.transpose(0, 1)
            key = query if same_qk else key.transpose(0, 1)
            value = key if same_kv else value.transpose(0, 1)
        separate = not self._qkv_same_embed_dim
        out, weights = multi_head_attention_forward(
            query, key, value, self.embed_dim, self.num_heads, self.in_proj_weight,
            self.in_proj_bias, self.bias_k, self.bias_v, self.add_zero_attn, self.dropout,
            self.out_proj.weight, self.out_proj.bias, training=self.training,
            key_padding_mask=key_padding_mask, need_weights=need_weights, attn_mask=attn_mask,
            use_separate_proj_weight=separate, q_proj_weight=self.q_proj_weight,
            k_proj_weight=self.k_proj_weight, v_proj_weight=self.v_proj_weight,
            average_attn_weights=average_attn_weights, is_causal=is_causal)
        if self.batch_first and is_batched:
            out = out.transpose(0, 1)
        return out, weights

    def extra_repr(self):
        return ""
