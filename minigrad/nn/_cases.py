"""gradcheck / gradgradcheck cases of minigrad.nn (family "nn"): every layer's functional form
with its parameters as checked inputs, every activation, every loss. Registered with
``minigrad.checks.register``; run by ``python -m minigrad check`` and tests/test_nn_gradcheck.py.

Inputs avoid the kinks: no ties inside a max-pool window, relu/leaky/elu/abs away from 0,
huber/smooth-l1 differences away from delta/beta, probabilities inside (0, 1).
"""
import numpy as np

import minigrad as mg

from ..checks import Case, register
from . import functional as F


def _ints(values):
    return lambda rng: np.asarray(values, dtype=np.int64)


def _distinct(shape):
    def make(rng):
        n = int(np.prod(shape))
        return (rng.permutation(n).reshape(shape) * 0.37 + rng.uniform(-0.05, 0.05, shape))
    return make


def _uniform(shape, low, high):
    return lambda rng: rng.uniform(low, high, shape)


def _away_from(shape, points, gap=0.1, scale=2.0):
    """Normal samples·scale, moved off ±each point by at least gap (kinks of huber etc.)."""
    def make(rng):
        x = rng.standard_normal(shape) * scale
        for p in points:
            for s in (p, -p):
                close = np.abs(x - s) < gap
                x[close] += 2 * gap
        return x
    return make


def _running(c, seed, device):
    rng = np.random.default_rng(seed)
    return (mg.tensor(rng.standard_normal(c) * 0.3, dtype=np.float64, device=device),
            mg.tensor(rng.uniform(0.5, 2.0, c), dtype=np.float64, device=device))


def _const(values, like):
    """Fixed float64 values (class weights) on the checked input's device."""
    return mg.tensor(np.array(values), dtype=np.float64, device=like.device)


def _dropout_fixed_mask(x):
    mg.manual_seed(7)  # the same mask at every call, so the function is deterministic
    return F.dropout(x, 0.4, training=True)


def _bn_eval(x, w, b):
    rm, rv = _running(x.shape[1], 3, x.device)
    return F.batch_norm(x, rm, rv, w, b, training=False, eps=1e-3)


def _kl_target(shape):
    def make(rng):
        t = rng.uniform(0.1, 1.0, shape)  # (a zero target is a kink in t: tested in test_nn.py)
        return t / t.sum(axis=1, keepdims=True)
    return make


def _cases():
    C = Case
    nn = dict(family="nn")
    return [
        # layers (functional form, parameters checked as inputs)
        C("nn linear", lambda x, w, b: F.linear(x, w, b), [(3, 4), (2, 4), (2,)], **nn),
        C("nn linear 3-d input, no bias", lambda x, w: F.linear(x, w), [(2, 3, 4), (5, 4)], **nn),
        C("nn conv2d", lambda x, w, b: F.conv2d(x, w, b), [(2, 2, 5, 5), (3, 2, 3, 3), (3,)],
          **nn),
        C("nn conv2d stride 2 pad 1", lambda x, w: F.conv2d(x, w, None, 2, 1),
          [(1, 2, 5, 4), (2, 2, 3, 2)], **nn),
        C("nn conv2d dilation 2 pad (1,2) stride (1,2)",
          lambda x, w, b: F.conv2d(x, w, b, (1, 2), (1, 2), 2), [(1, 1, 6, 6), (2, 1, 2, 3), (2,)],
          **nn),
        C("nn max_pool2d 2", lambda x: F.max_pool2d(x, 2), [_distinct((2, 2, 4, 4))], **nn),
        C("nn max_pool2d k3 s2 pad1", lambda x: F.max_pool2d(x, 3, 2, 1),
          [_distinct((1, 2, 5, 5))], **nn),
        C("nn avg_pool2d 2", lambda x: F.avg_pool2d(x, 2), [(2, 2, 4, 4)], **nn),
        C("nn avg_pool2d k3 s2 pad1 no pad count", lambda x: F.avg_pool2d(
            x, 3, 2, 1, count_include_pad=False), [(1, 2, 5, 5)], **nn),
        C("nn batch_norm 1d train", lambda x, w, b: F.batch_norm(x, None, None, w, b, True),
          [(5, 3), (3,), (3,)], **nn),
        C("nn batch_norm 2d train", lambda x, w, b: F.batch_norm(x, None, None, w, b, True),
          [(2, 3, 2, 2), (3,), (3,)], **nn),
        C("nn batch_norm 2d eval", _bn_eval, [(2, 3, 2, 2), (3,), (3,)], **nn),
        C("nn layer_norm", lambda x, w, b: F.layer_norm(x, (4,), w, b), [(3, 4), (4,), (4,)],
          **nn),
        C("nn layer_norm 2 axes", lambda x, w, b: F.layer_norm(x, (2, 3), w, b),
          [(2, 2, 3), (2, 3), (2, 3)], **nn),
        C("nn dropout fixed mask (train)", _dropout_fixed_mask, [(4, 5)], **nn),
        C("nn dropout eval", lambda x: F.dropout(x, 0.5, training=False) * 2, [(3, 2)], **nn),
        C("nn embedding", lambda w, i: F.embedding(i, w), [(5, 3), _ints([[0, 2], [4, 2]])], **nn),
        # padding_idx deliberately zeroes a true derivative (torch's rule): tested in test_nn.py
        # activations
        C("nn relu", F.relu, [(3, 4)], away_from_zero=True, **nn),
        C("nn leaky_relu", lambda x: F.leaky_relu(x, 0.2), [(3, 4)], away_from_zero=True, **nn),
        C("nn gelu", F.gelu, [(3, 4)], **nn),
        C("nn gelu tanh", lambda x: F.gelu(x, "tanh"), [(3, 4)], **nn),
        C("nn softplus", F.softplus, [_away_from((3, 4), [], scale=5.0)], **nn),
        C("nn softplus beta 2 threshold 3", lambda x: F.softplus(x, 2.0, 3.0),
          [_away_from((3, 4), [1.5], gap=0.05)], **nn),
        C("nn elu", lambda x: F.elu(x, 0.7), [(3, 4)], away_from_zero=True, **nn),
        C("nn sigmoid", F.sigmoid, [(3, 4)], **nn),
        C("nn tanh", F.tanh, [(3, 4)], **nn),
        C("nn softmax dim 1", lambda x: F.softmax(x, 1), [(3, 4)], **nn),
        C("nn log_softmax dim 0", lambda x: F.log_softmax(x, 0), [(3, 4)], **nn),
        C("nn normalize dim 1", lambda x: F.normalize(x, dim=1), [(3, 4)], **nn),
        C("nn normalize dim 0", lambda x: F.normalize(x, dim=0), [(3, 4)], **nn),
        # losses
        C("nn cross_entropy", lambda x, t: F.cross_entropy(x, t), [(4, 5), _ints([0, 4, 2, 2])],
          **nn),
        C("nn cross_entropy weight+smoothing+ignore", lambda x, t, w: F.cross_entropy(
            x, t, _const([0.5, 2.0, 1.0, 1.5], x),
            ignore_index=1, label_smoothing=0.2) + 0 * w.sum(),
          [(5, 4), _ints([0, 1, 3, 2, 3]), (1,)], **nn),
        C("nn cross_entropy sum", lambda x, t: F.cross_entropy(x, t, reduction="sum"),
          [(3, 4), _ints([3, 0, 1])], **nn),
        C("nn cross_entropy none (N,C,d)", lambda x, t: F.cross_entropy(x, t, reduction="none"),
          [(2, 3, 2), _ints([[0, 2], [1, 1]])], **nn),
        C("nn nll_loss weight", lambda x, t: F.nll_loss(
            x, t, _const([1.0, 0.5, 2.0], x)),
          [(4, 3), _ints([0, 2, 1, 2])], **nn),
        C("nn mse_loss", F.mse_loss, [(3, 4), (3, 4)], **nn),
        C("nn l1_loss sum", lambda x, y: F.l1_loss(x, y * 0, reduction="sum"), [(3, 4), (3, 4)],
          away_from_zero=True, **nn),
        C("nn huber_loss delta 0.8", lambda x: F.huber_loss(x, x.detach() * 0, delta=0.8),
          [_away_from((3, 4), [0.8])], **nn),
        C("nn smooth_l1_loss beta 0.5 none", lambda x: F.smooth_l1_loss(
            x, x.detach() * 0, reduction="none", beta=0.5), [_away_from((3, 4), [0.5])], **nn),
        C("nn binary_cross_entropy", lambda p, y: F.binary_cross_entropy(p, y),
          [_uniform((3, 4), 0.1, 0.9), _uniform((3, 4), 0.0, 1.0)], **nn),
        C("nn binary_cross_entropy_with_logits pos_weight weight",
          lambda x, y, pw, w: F.binary_cross_entropy_with_logits(x, y, w, pos_weight=pw),
          [(3, 4), _uniform((3, 4), 0.0, 1.0), _uniform((4,), 0.5, 2.0),
           _uniform((3, 4), 0.5, 2.0)], **nn),
        C("nn multi_margin_loss p=1", lambda x, t: F.multi_margin_loss(x, t),
          [_distinct((4, 3)), _ints([0, 2, 1, 1])], **nn),
        C("nn multi_margin_loss p=2 weight margin 0.5", lambda x, t: F.multi_margin_loss(
            x, t, p=2, margin=0.5, weight=_const([1.0, 2.0, 0.5], x)),
          [_distinct((4, 3)), _ints([0, 2, 1, 1])], **nn),
        C("nn kl_div batchmean", lambda x, t: F.kl_div(x.log_softmax(1), t, "batchmean"),
          [(3, 4), _kl_target((3, 4))], **nn),
        C("nn kl_div log_target", lambda x, t: F.kl_div(x, t, "sum", log_target=True),
          [(3, 4), (3, 4)], **nn),
        C("nn info_nce", lambda a, b: F.info_nce(a, b, 0.5), [(4, 3), (4, 3)], **nn),
    ] + _surface_cases()


def _surface_cases():
    """Issue 12: unbatched inputs, conv groups and string padding, conv1d, pad, ceil_mode,
    adaptive pooling, normalize with p ≠ 2, cosine_similarity, silu/mish, soft targets."""
    C = Case
    nn = dict(family="nn")
    inf = float("inf")
    return [
        C("nn conv2d unbatched (C,H,W)", lambda x, w, b: F.conv2d(x, w, b, padding=1),
          [(2, 4, 4), (3, 2, 3, 3), (3,)], **nn),
        C("nn conv2d groups 2 stride (2,1) pad 1", lambda x, w, b: F.conv2d(
            x, w, b, (2, 1), 1, groups=2), [(2, 4, 5, 4), (6, 2, 3, 2), (6,)], **nn),
        C("nn conv2d depthwise groups=C", lambda x, w: F.conv2d(x, w, groups=3),
          [(1, 3, 4, 4), (6, 1, 2, 3)], **nn),
        C("nn conv2d padding same, even kernel, dilation", lambda x, w: F.conv2d(
            x, w, padding="same", dilation=(1, 3)), [(1, 2, 4, 5), (2, 2, 2, 2)], **nn),
        C("nn conv2d padding valid", lambda x, w: F.conv2d(x, w, padding="valid"),
          [(1, 2, 4, 4), (2, 2, 3, 3)], **nn),
        C("nn conv1d groups 2 stride 2 pad 2 dilation 2", lambda x, w, b: F.conv1d(
            x, w, b, 2, 2, 2, groups=2), [(2, 4, 7), (4, 2, 3), (4,)], **nn),
        C("nn conv1d unbatched (C,L) padding same", lambda x, w: F.conv1d(x, w, padding="same"),
          [(2, 6), (3, 2, 4)], **nn),
        C("nn pad constant and cropping", lambda x: F.pad(x, (1, -1, 2, 0), value=0.5),
          [(2, 3, 4)], **nn),
        C("nn pad reflect", lambda x: F.pad(x, (2, 1, 1, 2), mode="reflect"),
          [(1, 2, 3, 4)], **nn),
        C("nn pad replicate", lambda x: F.pad(x, (3, 1), mode="replicate"), [(2, 3)], **nn),
        C("nn pad circular", lambda x: F.pad(x, (1, 2, 2, 0), mode="circular"),
          [(2, 3, 3)], **nn),
        C("nn max_pool2d ceil_mode pad 1", lambda x: F.max_pool2d(x, 3, 2, 1, ceil_mode=True),
          [_distinct((1, 2, 6, 5))], **nn),
        C("nn max_pool2d unbatched dilation 2", lambda x: F.max_pool2d(x, 2, 1, dilation=2),
          [_distinct((2, 5, 4))], **nn),
        C("nn avg_pool2d ceil_mode no pad count", lambda x: F.avg_pool2d(
            x, 3, 2, 1, ceil_mode=True, count_include_pad=False), [(1, 2, 6, 5)], **nn),
        C("nn avg_pool2d unbatched ceil_mode", lambda x: F.avg_pool2d(x, 2, ceil_mode=True),
          [(2, 5, 3)], **nn),
        C("nn adaptive_avg_pool2d global (1,1)", lambda x: F.adaptive_avg_pool2d(x, 1),
          [(2, 3, 4, 5)], **nn),
        C("nn adaptive_avg_pool2d overlapping windows", lambda x: F.adaptive_avg_pool2d(
            x, (3, 2)), [(1, 2, 5, 5)], **nn),
        C("nn adaptive_avg_pool2d unbatched (2, None)", lambda x: F.adaptive_avg_pool2d(
            x, (2, None)), [(2, 4, 3)], **nn),
        C("nn normalize p=1", lambda x: F.normalize(x, 1), [(3, 4)], away_from_zero=True, **nn),
        C("nn normalize p=3 dim 0", lambda x: F.normalize(x, 3, 0), [(3, 4)], **nn),
        C("nn normalize p=0.5", lambda x: F.normalize(x, 0.5, 1), [(3, 4)],
          away_from_zero=True, **nn),
        C("nn normalize p=inf", lambda x: F.normalize(x, inf, 1), [_distinct((3, 4))], **nn),
        C("nn normalize p=-inf", lambda x: F.normalize(x, -inf, 1), [_distinct((3, 4))], **nn),
        C("nn cosine_similarity broadcast", lambda a, b: F.cosine_similarity(a, b, dim=1),
          [(2, 3, 4), (3, 1)], **nn),
        C("nn silu", F.silu, [(3, 4)], **nn),
        C("nn mish", F.mish, [_away_from((3, 4), [], scale=3.0)], **nn),
        C("nn cross_entropy probability targets weight smoothing", lambda x, t: F.cross_entropy(
            x, t, _const([0.5, 2.0, 1.0, 1.5], x), label_smoothing=0.2),
          [(3, 4), _uniform((3, 4), 0.0, 1.0)], **nn),
        C("nn cross_entropy probability targets (N,C,d) none", lambda x, t: F.cross_entropy(
            x, t, reduction="none"), [(2, 3, 2), _uniform((2, 3, 2), 0.0, 1.0)], **nn),
        C("nn cross_entropy (C,) input, 0-d target, smoothing", lambda x, t: F.cross_entropy(
            x, t, label_smoothing=0.3), [(4,), lambda rng: np.asarray(2, dtype=np.int64)], **nn),
    ]


register(*_cases())


# ---- recurrent layers: the recurrent cells and a stacked bidirectional LSTM and GRU, every weight a
# checked input (minigrad/nn/_rnn_cells.py, minigrad/nn/rnn.py)
def _rnn_cases():
    from ._rnn_cells import gru_step, lstm_step, rnn_step
    from .rnn import run_layers
    C = Case
    nn = dict(family="nn")

    def lstm(xw, carry, w_hh, b_hh, w_hr):
        return list(lstm_step(xw, carry[0], carry[1], w_hh, b_hh, w_hr))

    def gru(xw, carry, w_hh, b_hh, w_hr):
        return [gru_step(xw, carry[0], w_hh, b_hh)]

    def stacked(step, x, states, weights, per):
        """2 layers × 2 directions; weights flat, ``per`` tensors per layer and direction."""
        rows = [tuple(weights[k * per:(k + 1) * per]) + (None,) * (5 - per) for k in range(4)]
        out, finals = run_layers(step, x, states, rows, bidirectional=True)
        return mg.cat([out.reshape(-1)] + [f.reshape(-1) for f in finals])

    def layer_shapes(gates, i, h):
        """w_ih, w_hh, b_ih, b_hh of l0, l0_reverse, l1, l1_reverse (input 2·h above l0)."""
        out = []
        for layer_in in (i, i, 2 * h, 2 * h):
            out += [(gates * h, layer_in), (gates * h, h), (gates * h,), (gates * h,)]
        return out

    return [
        C("nn rnn_cell tanh", lambda x, h, wi, wh, bi, bh: rnn_step(F.linear(x, wi, bi), h, wh, bh),
          [(2, 3), (2, 4), (4, 3), (4, 4), (4,), (4,)], **nn),
        C("nn rnn_cell relu, no bias", lambda x, h, wi, wh: rnn_step(
            F.linear(x, wi), h, wh, None, "relu"), [(2, 3), (2, 4), (4, 3), (4, 4)], **nn),
        C("nn lstm_cell (h', c')", lambda x, h, c, wi, wh, bi, bh: mg.cat(
            list(lstm_step(F.linear(x, wi, bi), h, c, wh, bh)), -1),
          [(2, 3), (2, 2), (2, 2), (8, 3), (8, 2), (8,), (8,)], **nn),
        C("nn lstm_cell with projection (proj_size 2, hidden 3)",
          lambda x, h, c, wi, wh, wr: mg.cat(list(lstm_step(F.linear(x, wi), h, c, wh, None, wr)),
                                             -1),
          [(2, 3), (2, 2), (2, 3), (12, 3), (12, 2), (2, 3)], **nn),
        C("nn gru_cell", lambda x, h, wi, wh, bi, bh: gru_step(F.linear(x, wi, bi), h, wh, bh),
          [(2, 3), (2, 2), (6, 3), (6, 2), (6,), (6,)], **nn),
        # the stacked layers at hidden size 1 (each full gradgradcheck perturbs every weight;
        # hidden 2 takes ~3x longer): the cells above, at hidden ≥ 2, check the matmuls' layout
        C("nn lstm 2 layers bidirectional (output, h_n, c_n)",
          lambda x, h0, c0, *w: stacked(lstm, x, [h0, c0], w, 4),
          [(2, 1, 1), (4, 1, 1), (4, 1, 1)] + layer_shapes(4, 1, 1), **nn),
        C("nn gru 2 layers bidirectional (output, h_n)",
          lambda x, h0, *w: stacked(gru, x, [h0], w, 4),
          [(3, 1, 1), (4, 1, 1)] + layer_shapes(3, 1, 1), **nn),
    ]


register(*_rnn_cases())

# ---- attention: scaled_dot_product_attention, MultiheadAttention, a Transformer encoder layer
def _with_parameters(build, names):
    """A layer checked with its parameters as gradcheck inputs: returns module_on(device), the
    module from build() (float64, eval so no dropout, built once per device), and
    bind(module, params), which puts the given tensors where the parameters `names` were."""
    modules = {}

    def module_on(device):
        key = str(device)
        if key not in modules:
            modules[key] = build().double().to(device).eval()
        return modules[key]

    def bind(module, params):
        for name, p in zip(names, params):
            owner, _, leaf = name.rpartition(".")
            target = module.get_submodule(owner) if owner else module
            target._parameters[leaf] = p     # a plain Tensor where the Parameter was
    return module_on, bind


def _attention_cases():
    C = Case
    nn = dict(family="nn")
    from .attention import MultiheadAttention
    from .transformer import TransformerEncoderLayer

    keep = np.array([[True, False, True, True, False],
                     [True, True, False, True, True],
                     [False, False, False, True, True]])

    def sdpa_bool(q, k, v):
        return F.scaled_dot_product_attention(q, k, v, attn_mask=mg.tensor(keep, device=q.device))

    def sdpa_float_causal(q, k, v, bias):
        causal = F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=0.7)
        return causal + F.scaled_dot_product_attention(q, k, v, attn_mask=bias)

    mha_names = ["in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"]
    mha_on, mha_bind = _with_parameters(lambda: MultiheadAttention(4, 2), mha_names)
    kpm = np.array([[False, False, True], [False, True, False]])

    def mha(x, *params):
        m = mha_on(x.device)
        mha_bind(m, params)
        attn = np.array([[0.0, -1.0, 0.5], [0.3, 0.0, -np.inf], [0.0, 0.2, 0.0]])
        return m(x, x, x, key_padding_mask=mg.tensor(kpm, device=x.device),
                 attn_mask=mg.tensor(attn, device=x.device))

    cross_names = ["q_proj_weight", "k_proj_weight", "v_proj_weight", "in_proj_bias"]
    cross_on, cross_bind = _with_parameters(
        lambda: MultiheadAttention(4, 2, kdim=3, vdim=2, batch_first=True), cross_names)

    def mha_cross(q, k, v, *params):
        m = cross_on(q.device)
        cross_bind(m, params)
        return m(q, k, v, need_weights=False)[0]

    enc_names = ["self_attn.in_proj_weight", "self_attn.in_proj_bias",
                 "self_attn.out_proj.weight", "linear1.weight", "linear1.bias",
                 "linear2.weight", "norm1.weight", "norm2.bias"]
    enc_on, enc_bind = _with_parameters(
        lambda: TransformerEncoderLayer(4, 2, 6, activation="gelu"), enc_names)

    def encoder_layer(x, *params):
        m = enc_on(x.device)
        enc_bind(m, params)
        return m(x, src_key_padding_mask=mg.tensor(kpm, device=x.device))

    return [
        C("nn scaled_dot_product_attention bool mask", sdpa_bool,
          [(2, 3, 4), (2, 5, 4), (2, 5, 3)], **nn),
        C("nn scaled_dot_product_attention causal, scale, float mask", sdpa_float_causal,
          [(2, 3, 4), (2, 3, 4), (2, 3, 2), (3, 3)], **nn),
        C("nn MultiheadAttention self, masks, weights", mha,
          [(3, 2, 4), (12, 4), (12,), (4, 4), (4,)], **nn),
        C("nn MultiheadAttention kdim vdim batch_first", mha_cross,
          [(2, 3, 4), (2, 4, 3), (2, 4, 2), (4, 4), (4, 3), (4, 2), (12,)], **nn),
        C("nn TransformerEncoderLayer gelu, padding", encoder_layer,
          [(3, 2, 4), (12, 4), (12,), (4, 4), (6, 4), (6,), (4, 6), (4,), (4,)], **nn),
    ]


register(*_attention_cases())
