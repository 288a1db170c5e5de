"""F.scaled_dot_product_attention and nn.MultiheadAttention against torch (torch's weights copied
in): outputs and every gradient, float64 to 1e-10 and float32 to 1e-5, over the masks (bool,
float, key padding, causal), batch_first, kdim/vdim, need_weights/average_attn_weights, bias
options, unbatched input; the fully masked row; initialisation; bad input."""
import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F
from _attention_compare import compare, twin

DTYPES = ["float64", "float32"]


def _rand(rng, *shape):
    return rng.standard_normal(shape)


# ---- scaled_dot_product_attention -----------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("variant", ["plain", "bool mask", "float mask", "causal L<S",
                                     "causal L>S", "scale", "broadcast mask (L,S)"])
def test_sdpa_matches_torch(variant, dtype, rng):
    torch = pytest.importorskip("torch")
    tF = torch.nn.functional
    N, h, L, S, E, Ev = 2, 3, 4, 5, 6, 7
    if variant == "causal L>S":
        L, S = 6, 4
    arrays = [_rand(rng, N, h, L, E), _rand(rng, N, h, S, E), _rand(rng, N, h, S, Ev)]
    kw, masks = {}, {}
    if variant == "bool mask":
        masks["mask"] = rng.uniform(size=(N, h, L, S)) < 0.7
        masks["mask"][..., 0] = True            # no fully masked row here
    elif variant == "float mask":
        masks["mask"] = _rand(rng, N, 1, L, S)
    elif variant.startswith("causal"):
        kw["is_causal"] = True
    elif variant == "scale":
        kw["scale"] = 0.3
    elif variant == "broadcast mask (L,S)":
        masks["mask"] = np.tril(np.ones((L, S), bool), 1)
    tout = compare(torch, None, None, lambda m, x, mk: (
        tF if isinstance(x[0], torch.Tensor) else F).scaled_dot_product_attention(
            x[0], x[1], x[2], attn_mask=mk.get("mask"), **kw), arrays, masks, dtype)
    assert tout.shape == (N, h, L, Ev)


def test_sdpa_bool_mask_is_attend_and_float_mask_is_added(rng):
    """True = attend: masking key j is adding −inf to its score; by hand for one query."""
    q, k, v = (mg.tensor(_rand(rng, *shape)) for shape in [(3, 4), (5, 4), (5, 2)])
    keep = np.array([[True, False, True, True, False]] * 3)
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=mg.tensor(keep)).numpy()
    bias = np.where(keep, 0.0, -np.inf)
    out_f = F.scaled_dot_product_attention(q, k, v, attn_mask=mg.tensor(bias)).numpy()
    s = q.numpy() @ k.numpy().T / 2.0 + bias
    w = np.exp(s - s.max(1, keepdims=True))
    w /= w.sum(1, keepdims=True)
    np.testing.assert_allclose(out, w @ v.numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(out_f, out, rtol=1e-12, atol=1e-12)


def test_sdpa_float_mask_gradient_matches_torch(rng):
    torch = pytest.importorskip("torch")
    arrays = [_rand(rng, 2, 3, 4), _rand(rng, 2, 5, 4), _rand(rng, 2, 5, 3), _rand(rng, 3, 5)]

    def call(_, x, m):
        lib = torch.nn.functional if isinstance(x[0], torch.Tensor) else F
        return lib.scaled_dot_product_attention(x[0], x[1], x[2], attn_mask=x[3])
    compare(torch, None, None, call, arrays)


def test_sdpa_enable_gqa_matches_torch(rng):
    torch = pytest.importorskip("torch")
    arrays = [_rand(rng, 2, 4, 3, 5), _rand(rng, 2, 2, 6, 5), _rand(rng, 2, 2, 6, 3)]

    def call(_, x, m):
        lib = torch.nn.functional if isinstance(x[0], torch.Tensor) else F
        return lib.scaled_dot_product_attention(x[0], x[1], x[2], enable_gqa=True)
    compare(torch, None, None, call, arrays)


def test_sdpa_fully_masked_row_is_zero_with_zero_gradient_as_torch(rng):
    """softmax of a row of −inf is 0/0; torch's function answers a row of zeros (safe softmax)
    and so does minigrad, bool or float mask, output and gradients."""
    torch = pytest.importorskip("torch")
    keep = np.ones((4, 5), bool)
    keep[1] = False
    arrays = [_rand(rng, 2, 4, 3), _rand(rng, 2, 5, 3), _rand(rng, 2, 5, 3)]
    for mask in (keep, np.where(keep, 0.0, -np.inf)):
        def call(_, x, m):
            lib = torch.nn.functional if isinstance(x[0], torch.Tensor) else F
            return lib.scaled_dot_product_attention(x[0], x[1], x[2], attn_mask=m["mask"])
        out = compare(torch, None, None, call, arrays, {"mask": mask})
        assert np.all(out.numpy()[:, 1] == 0)


def test_sdpa_dropout_keeps_the_expected_value(rng):
    """Dropout on the weights: each weight kept with probability 1 − p and scaled by 1/(1 − p),
    so the mean over many draws is the dropout-free output."""
    q, k, v = (mg.tensor(_rand(rng, *shape)) for shape in [(2, 3), (4, 3), (4, 2)])
    exact = F.scaled_dot_product_attention(q, k, v).numpy()
    mg.manual_seed(3)
    draws = np.stack([F.scaled_dot_product_attention(q, k, v, dropout_p=0.3).numpy()
                      for _ in range(3000)])
    assert not np.allclose(draws[0], exact)
    np.testing.assert_allclose(draws.mean(0), exact, atol=0.05)


def test_sdpa_bad_input(rng):
    q, k, v = (mg.tensor(_rand(rng, *shape)) for shape in [(3, 4), (5, 4), (5, 2)])
    with pytest.raises(ValueError, match=r"\(4, 5\).*\(3, 5\)"):
        F.scaled_dot_product_attention(q, k, v, attn_mask=mg.ones(4, 5, dtype=mg.bool))
    with pytest.raises(ValueError, match="same last dimension"):
        F.scaled_dot_product_attention(q, mg.tensor(_rand(rng, 5, 3)), v)
    with pytest.raises(ValueError, match="sequence length"):
        F.scaled_dot_product_attention(q, k, mg.tensor(_rand(rng, 6, 2)))
    with pytest.raises(ValueError, match="not both"):
        F.scaled_dot_product_attention(q, k, v, attn_mask=mg.ones(3, 5, dtype=mg.bool),
                                       is_causal=True)
    with pytest.raises(TypeError, match="int64"):
        F.scaled_dot_product_attention(q, k, v, attn_mask=mg.ones(3, 5, dtype=np.int64))
    with pytest.raises(TypeError, match="float32"):
        F.scaled_dot_product_attention(q, k, v, attn_mask=mg.ones(3, 5, dtype=np.float32))
    with pytest.raises(ValueError, match="dropout_p"):
        F.scaled_dot_product_attention(q, k, v, dropout_p=1.5)


# ---- MultiheadAttention ------------------------------------------------------------------------

def _mha_pair(torch, dtype, *args, **kwargs):
    torch.manual_seed(0)
    tm = torch.nn.MultiheadAttention(*args, **kwargs)
    with torch.no_grad():       # torch zeroes the biases at init: make them count
        for name, p in tm.named_parameters():
            if "bias" in name:
                p.normal_()
    return twin(torch, tm, nn.MultiheadAttention(*args, **kwargs), dtype)


def _mha_call(share="qkv", **kw):
    """Self-attention (q is k is v), cross-attention (k is v) or three distinct inputs."""
    def call(module, x, m):
        q = x[0]
        k = q if share == "qkv" else x[1]
        v = k if share in ("qkv", "kv") else x[2]
        return module(q, k, v, key_padding_mask=m.get("kpm"), attn_mask=m.get("attn"), **kw)
    return call


MHA_VARIANTS = {
    "self": (dict(), "qkv", dict(), {}),
    "cross (k is v)": (dict(), "kv", dict(), {}),
    "three inputs": (dict(), "none", dict(), {}),
    "kdim vdim": (dict(kdim=3, vdim=5), "none", dict(), {}),
    "no bias": (dict(bias=False), "qkv", dict(), {}),
    "bool attn_mask": (dict(), "none", dict(), {"attn": "bool2"}),
    "float attn_mask per head": (dict(), "none", dict(), {"attn": "float3"}),
    "bool key_padding_mask": (dict(), "kv", dict(), {"kpm": "bool"}),
    "float key_padding_mask + bool attn": (dict(), "kv", dict(),
                                           {"kpm": "float", "attn": "bool2"}),
    "need_weights False": (dict(), "kv", dict(need_weights=False), {"kpm": "bool"}),
    "need_weights False, float3 mask": (dict(), "none", dict(need_weights=False),
                                        {"attn": "float3", "kpm": "bool"}),
    "per-head weights": (dict(), "none", dict(average_attn_weights=False), {"attn": "bool2"}),
    "causal hint, no weights": (dict(), "qkv", dict(need_weights=False, is_causal=True),
                                {"attn": "causal"}),
    "causal hint, weights": (dict(), "qkv", dict(is_causal=True), {"attn": "causal"}),
    "add_bias_kv": (dict(add_bias_kv=True), "none", dict(), {"kpm": "bool", "attn": "bool2"}),
    "add_zero_attn": (dict(add_zero_attn=True), "kv", dict(need_weights=False),
                      {"kpm": "bool", "attn": "float3"}),
    "dropout, eval": (dict(dropout=0.5), "qkv", dict(), {}),
}


def _masks(spec, rng, N, h, L, S):
    out = {}
    for name, kind in spec.items():
        if kind == "bool2":
            m = rng.uniform(size=(L, S)) < 0.3
            m[:, 0] = False                    # True hides; keep one key per query
            out[name] = m
        elif kind == "float3":
            out[name] = rng.standard_normal((N * h, L, S))
        elif kind == "causal":
            out[name] = np.triu(np.ones((L, S), bool), 1)
        elif kind == "bool":
            m = np.zeros((N, S), bool)
            m[0, -2:] = True
            m[1, 1] = True
            out[name] = m
        elif kind == "float":
            out[name] = rng.standard_normal((N, S))
    return out


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("batch_first", [False, True], ids=["seq-first", "batch-first"])
@pytest.mark.parametrize("variant", list(MHA_VARIANTS))
def test_multihead_attention_matches_torch(variant, batch_first, dtype, rng):
    torch = pytest.importorskip("torch")
    init_kw, share, call_kw, mask_spec = MHA_VARIANTS[variant]
    E, h, N, L = 4, 2, 2, 3
    S = L if share == "qkv" else 5
    tm, mm = _mha_pair(torch, dtype, E, h, batch_first=batch_first, **init_kw)
    kdim, vdim = init_kw.get("kdim", E), init_kw.get("vdim", E)

    def seq(n, d):
        return _rand(rng, N, n, d) if batch_first else _rand(rng, n, N, d)
    arrays = [seq(L, E), seq(S, kdim), seq(S, vdim)]
    masks = _masks(mask_spec, rng, N, h, L, S)
    out, weights = compare(torch, tm, mm, _mha_call(share, **call_kw), arrays, masks, dtype)
    assert out.shape == ((N, L, E) if batch_first else (L, N, E))
    S_total = S + bool(init_kw.get("add_bias_kv")) + bool(init_kw.get("add_zero_attn"))
    if not call_kw.get("need_weights", True):
        assert weights is None
    elif call_kw.get("average_attn_weights", True):
        assert weights.shape == (N, L, S_total)
        np.testing.assert_allclose(weights.numpy().sum(-1), 1.0, rtol=1e-5)
    else:
        assert weights.shape == (N, h, L, S_total)


@pytest.mark.parametrize("need_weights", [True, False])
def test_multihead_attention_unbatched_matches_torch(need_weights, rng):
    torch = pytest.importorskip("torch")
    tm, mm = _mha_pair(torch, "float64", 6, 3, kdim=2)
    arrays = [_rand(rng, 3, 6), _rand(rng, 4, 2), _rand(rng, 4, 6)]
    masks = {"kpm": np.array([False, True, False, False]),
             "attn": rng.standard_normal((3, 3, 4))}
    out, w = compare(torch, tm, mm, _mha_call("none", need_weights=need_weights,
                                              average_attn_weights=False), arrays, masks)
    assert out.shape == (3, 6)
    assert (w is None) if not need_weights else w.shape == (3, 3, 4)


def test_multihead_attention_fully_masked_row_as_torch(rng):
    """A batch element whose keys are all padded: torch gives NaN with need_weights=True (its
    own softmax) and zeros with need_weights=False (scaled_dot_product_attention); so does
    minigrad."""
    torch = pytest.importorskip("torch")
    tm, mm = _mha_pair(torch, "float64", 4, 2)
    x = _rand(rng, 3, 2, 4)
    kpm = np.zeros((2, 3), bool)
    kpm[0] = True
    for need_weights in (True, False):
        t_out, t_w = tm(torch.tensor(x), torch.tensor(x), torch.tensor(x),
                        key_padding_mask=torch.tensor(kpm), need_weights=need_weights)
        m_out, m_w = mm(mg.tensor(x), mg.tensor(x), mg.tensor(x),
                        key_padding_mask=mg.tensor(kpm), need_weights=need_weights)
        np.testing.assert_allclose(m_out.numpy(), t_out.detach().numpy(), rtol=1e-10,
                                   atol=1e-10, equal_nan=True)
        assert np.isnan(m_out.numpy()[:, 0]).all() == need_weights
        if need_weights:
            np.testing.assert_allclose(m_w.numpy(), t_w.detach().numpy(), equal_nan=True)
        else:
            # the padded element's output is the out-projection's bias alone
            np.testing.assert_allclose(m_out.numpy()[:, 0], np.broadcast_to(
                mm.out_proj.bias.numpy(), (3, 4)), rtol=1e-12)


def test_multihead_attention_parameters_and_init_as_torch():
    torch = pytest.importorskip("torch")
    for kw in (dict(), dict(kdim=3, vdim=5, bias=False), dict(add_bias_kv=True)):
        t, m = torch.nn.MultiheadAttention(8, 2, **kw), nn.MultiheadAttention(8, 2, **kw)
        assert [(k, tuple(v.shape)) for k, v in t.state_dict().items()] == \
               [(k, v.shape) for k, v in m.state_dict().items()]
        assert repr(m) == repr(t)
    mg.manual_seed(0)
    m = nn.MultiheadAttention(64, 4)
    bound = np.sqrt(6.0 / (64 + 3 * 64))                    # xavier_uniform on (3E, E)
    w = m.in_proj_weight.numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.95 * bound
    assert np.all(m.in_proj_bias.numpy() == 0) and np.all(m.out_proj.bias.numpy() == 0)
    assert np.abs(m.out_proj.weight.numpy()).max() <= 1 / 8    # Linear: U(±1/√in)


def test_multihead_attention_bad_input(rng):
    with pytest.raises(ValueError, match="embed_dim=10 must be divisible by num_heads=3"):
        nn.MultiheadAttention(10, 3)
    with pytest.raises(ValueError, match="num_heads must be a positive int, got 0"):
        nn.MultiheadAttention(4, 0)
    m = nn.MultiheadAttention(4, 2).double()
    x = mg.tensor(_rand(rng, 3, 2, 4))
    with pytest.raises(ValueError, match=r"\(L, S\) = \(3, 3\), got \(3, 4\)"):
        m(x, x, x, attn_mask=mg.zeros(3, 4, dtype=mg.bool))
    with pytest.raises(ValueError, match=r"\(N·num_heads, L, S\) = \(4, 3, 3\), got \(2, 3, 3\)"):
        m(x, x, x, attn_mask=mg.zeros(2, 3, 3, dtype=mg.bool))
    with pytest.raises(ValueError, match=r"key_padding_mask should have shape \(N, S\) = "
                                         r"\(2, 3\), got \(3, 2\)"):
        m(x, x, x, key_padding_mask=mg.zeros(3, 2, dtype=mg.bool))
    with pytest.raises(ValueError, match="key_padding_mask must be 2-D"):
        m(x, x, x, key_padding_mask=mg.zeros(2, 3, 1, dtype=mg.bool))
    with pytest.raises(ValueError, match="embedding dimension 5 is not embed_dim=4"):
        y = mg.tensor(_rand(rng, 3, 2, 5))
        m(y, y, y)
    with pytest.raises(ValueError, match="needs attn_mask"):
        m(x, x, x, is_causal=True)
    with pytest.raises(ValueError, match="same batch size"):
        m(x, mg.tensor(_rand(rng, 3, 1, 4)), mg.tensor(_rand(rng, 3, 1, 4)))
    with pytest.raises(TypeError, match="int64"):
        m(x, x, x, attn_mask=mg.zeros(3, 3, dtype=np.int64))


def test_multihead_attention_dropout_in_training_only(rng):
    """Training: each per-head attention weight is dropped or scaled by 1/(1 − p) (inverted
    dropout on the weights, as torch); eval: the weights of a dropout-free layer."""
    p = 0.4
    mg.manual_seed(0)
    m = nn.MultiheadAttention(4, 2, dropout=p).double()
    x = mg.tensor(_rand(rng, 5, 3, 4))
    m.eval()
    w_eval = m(x, x, x, average_attn_weights=False)[1].numpy()
    m.train()
    w_train = m(x, x, x, average_attn_weights=False)[1].numpy()
    ratio = w_train / w_eval
    dropped = np.isclose(ratio, 0.0)
    assert dropped.any() and not dropped.all()
    np.testing.assert_allclose(ratio[~dropped], 1 / (1 - p), rtol=1e-12)
    m.eval()
    np.testing.assert_array_equal(m(x, x, x, average_attn_weights=False)[1].numpy(), w_eval)


def test_forward_mode_through_attention_with_a_fully_masked_row(rng):
    """Forward-mode AD (the ops' jvp rules) through scaled_dot_product_attention against central
    differences, the fully masked query row included (its tangent is 0). torch itself has no
    forward mode for its CPU attention kernel, so the oracle is the differences."""
    from minigrad.autograd import forward_ad as fwAD
    q, k, v = _rand(rng, 2, 4, 3), _rand(rng, 2, 5, 3), _rand(rng, 2, 5, 3)
    tangents = [_rand(rng, *a.shape) for a in (q, k, v)]
    keep = np.ones((4, 5), bool)
    keep[1] = False
    keep[2, :3] = False

    def f(*xs):
        return F.scaled_dot_product_attention(*xs, attn_mask=mg.tensor(keep))
    try:
        with fwAD.dual_level():
            duals = [fwAD.make_dual(mg.tensor(a), mg.tensor(t)) for a, t in zip((q, k, v),
                                                                              tangents)]
            tangent = fwAD.unpack_dual(f(*duals)).tangent.numpy()
    except NotImplementedError as exc:     # the jvp rules of some op are not merged yet
        pytest.skip(f"forward mode: {exc}")
    eps = 1e-6
    plus = f(*(mg.tensor(a + eps * t) for a, t in zip((q, k, v), tangents))).numpy()
    minus = f(*(mg.tensor(a - eps * t) for a, t in zip((q, k, v), tangents))).numpy()
    np.testing.assert_allclose(tangent, (plus - minus) / (2 * eps), atol=1e-8)
    assert np.all(tangent[:, 1] == 0)


@pytest.mark.parametrize("L,S", [(3, 0), (0, 4), (0, 0)])
def test_sdpa_empty_sequences_match_torch(L, S, rng):
    """No keys: every query attends to nothing and gets 0 (torch's value); no queries: an empty
    output. Gradients as torch (zeros, empty)."""
    torch = pytest.importorskip("torch")
    arrays = [_rand(rng, 2, L, 3), _rand(rng, 2, S, 3), _rand(rng, 2, S, 2)]

    def call(_, x, m):
        lib = torch.nn.functional if isinstance(x[0], torch.Tensor) else F
        return lib.scaled_dot_product_attention(x[0], x[1], x[2])
    out = compare(torch, None, None, call, arrays)
    assert out.shape == (2, L, 2) and not out.numpy().any()
