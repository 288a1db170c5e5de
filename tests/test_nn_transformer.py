"""The Transformer layers against torch (torch's weights copied in): TransformerEncoderLayer,
TransformerEncoder, TransformerDecoderLayer, TransformerDecoder, Transformer; outputs and every
gradient (inputs and parameters), float64 to 1e-10 and float32 to 1e-5, post- and pre-norm,
relu/gelu/callable activations, batch_first both ways, masks, eval mode with dropout; deep
copies, the causal mask, bad input."""
import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F
from _attention_compare import compare, twin

DTYPES = ["float64", "float32"]
D, H, FF, N, S, T = 8, 2, 16, 2, 5, 4     # d_model, heads, feed-forward, batch, src, tgt lengths


def _perturb_norms(torch, module):
    """LayerNorm weights start at 1 and biases at 0 in both: draw them, so a swapped or
    unused one shows."""
    with torch.no_grad():
        for name, p in module.named_parameters():
            if "norm" in name:
                p.uniform_(0.5, 1.5)
            elif name.endswith("in_proj_bias") or name.endswith("out_proj.bias"):
                p.normal_(0, 0.3)
    return module


def _seq(rng, n, batch_first):
    return rng.standard_normal((N, n, D) if batch_first else (n, N, D))


def _masks(rng, kinds, tgt=T, src=S):
    out = {}
    if "src_mask bool" in kinds:
        m = rng.uniform(size=(src, src)) < 0.3
        np.fill_diagonal(m, False)
        out["src_mask"] = m
    if "src_mask float" in kinds:
        out["src_mask"] = rng.standard_normal((N * H, src, src))
    if "causal" in kinds:
        out["src_mask"] = np.triu(np.full((src, src), -np.inf), 1)
        out["tgt_mask"] = np.triu(np.full((tgt, tgt), -np.inf), 1)
    if "padding" in kinds:
        m = np.zeros((N, src), bool)
        m[1, -2:] = True
        out["src_kpm"] = m
        t = np.zeros((N, tgt), bool)
        t[0, -1] = True
        out["tgt_kpm"] = t
    if "memory_mask" in kinds:
        out["memory_mask"] = rng.standard_normal((tgt, src))
    return out


ACTIVATIONS = {"relu": "relu", "gelu": "gelu", "callable": None}


def _activation(name, lib):
    if name == "callable":   # the same function in each library: GELU with the tanh form
        return (lambda x: lib.nn.functional.gelu(x, approximate="tanh"))
    return name


ENCODER_VARIANTS = {
    "post-norm relu": dict(norm_first=False, activation="relu", masks=()),
    "pre-norm gelu": dict(norm_first=True, activation="gelu", masks=()),
    "post-norm callable, bool mask + padding": dict(norm_first=False, activation="callable",
                                                    masks=("src_mask bool", "padding")),
    "pre-norm, float per-head mask": dict(norm_first=True, activation="relu",
                                          masks=("src_mask float",)),
    "causal hint": dict(norm_first=False, activation="relu", masks=("causal",), causal=True),
    "no bias": dict(norm_first=True, activation="gelu", masks=("padding",), bias=False),
}


def _encoder_layer(lib, variant, batch_first):
    v = ENCODER_VARIANTS[variant]
    return lib.nn.TransformerEncoderLayer(
        D, H, FF, dropout=0.1, activation=_activation(v["activation"], lib),
        layer_norm_eps=1e-4, batch_first=batch_first, norm_first=v["norm_first"],
        bias=v.get("bias", True))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("batch_first", [False, True], ids=["seq-first", "batch-first"])
@pytest.mark.parametrize("variant", list(ENCODER_VARIANTS))
def test_encoder_layer_matches_torch(variant, batch_first, dtype, rng):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    tm = _perturb_norms(torch, _encoder_layer(torch, variant, batch_first))
    tm, mm = twin(torch, tm, _encoder_layer(mg, variant, batch_first), dtype)
    causal = ENCODER_VARIANTS[variant].get("causal", False)

    def call(module, x, m):
        return module(x[0], src_mask=m.get("src_mask"), src_key_padding_mask=m.get("src_kpm"),
                      is_causal=causal)
    masks = _masks(rng, ENCODER_VARIANTS[variant]["masks"])
    out = compare(torch, tm, mm, call, [_seq(rng, S, batch_first)], masks, dtype)
    assert out.shape == ((N, S, D) if batch_first else (S, N, D))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("norm_first", [False, True], ids=["post-norm", "pre-norm"])
def test_encoder_stack_matches_torch(norm_first, dtype, rng):
    """Two layers (deep copies, then drawn apart by torch's state_dict) and a final norm."""
    torch = pytest.importorskip("torch")

    def build(lib):
        layer = lib.nn.TransformerEncoderLayer(D, H, FF, norm_first=norm_first,
                                               batch_first=True)
        return lib.nn.TransformerEncoder(layer, 2, norm=lib.nn.LayerNorm(D),
                                         enable_nested_tensor=False)
    torch.manual_seed(1)
    tm = build(torch)
    with torch.no_grad():
        for p in tm.parameters():
            p.add_(torch.randn_like(p) * 0.1)
    tm, mm = twin(torch, tm, build(mg), dtype)

    def call(module, x, m):
        return module(x[0], mask=m["src_mask"], src_key_padding_mask=m["src_kpm"])
    compare(torch, tm, mm, call, [_seq(rng, S, True)], _masks(rng, ("causal", "padding")),
            dtype)


DECODER_VARIANTS = {
    "post-norm, no masks": dict(norm_first=False, masks=()),
    "pre-norm gelu, causal + padding + memory mask": dict(
        norm_first=True, activation="gelu", masks=("causal", "padding", "memory_mask"),
        causal=True),
    "post-norm, padding only": dict(norm_first=False, masks=("padding",)),
}


def _decoder_layer(lib, variant, batch_first):
    v = DECODER_VARIANTS[variant]
    return lib.nn.TransformerDecoderLayer(D, H, FF, dropout=0.2,
                                          activation=v.get("activation", "relu"),
                                          batch_first=batch_first, norm_first=v["norm_first"])


def _decoder_call(causal):
    def call(module, x, m):
        return module(x[0], x[1], tgt_mask=m.get("tgt_mask"), memory_mask=m.get("memory_mask"),
                      tgt_key_padding_mask=m.get("tgt_kpm"),
                      memory_key_padding_mask=m.get("src_kpm"), tgt_is_causal=causal)
    return call


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("batch_first", [False, True], ids=["seq-first", "batch-first"])
@pytest.mark.parametrize("variant", list(DECODER_VARIANTS))
def test_decoder_layer_matches_torch(variant, batch_first, dtype, rng):
    torch = pytest.importorskip("torch")
    torch.manual_seed(2)
    tm = _perturb_norms(torch, _decoder_layer(torch, variant, batch_first))
    tm, mm = twin(torch, tm, _decoder_layer(mg, variant, batch_first), dtype)
    causal = DECODER_VARIANTS[variant].get("causal", False)
    arrays = [_seq(rng, T, batch_first), _seq(rng, S, batch_first)]
    masks = _masks(rng, DECODER_VARIANTS[variant]["masks"])
    out = compare(torch, tm, mm, _decoder_call(causal), arrays, masks, dtype)
    assert out.shape == ((N, T, D) if batch_first else (T, N, D))


@pytest.mark.parametrize("dtype", DTYPES)
def test_decoder_stack_matches_torch(dtype, rng):
    torch = pytest.importorskip("torch")

    def build(lib):
        layer = lib.nn.TransformerDecoderLayer(D, H, FF)
        return lib.nn.TransformerDecoder(layer, 2, norm=lib.nn.LayerNorm(D))
    torch.manual_seed(3)
    tm = build(torch)
    with torch.no_grad():
        for p in tm.parameters():
            p.add_(torch.randn_like(p) * 0.1)
    tm, mm = twin(torch, tm, build(mg), dtype)
    arrays = [_seq(rng, T, False), _seq(rng, S, False)]
    compare(torch, tm, mm, _decoder_call(None), arrays,
            _masks(rng, ("causal", "padding", "memory_mask")), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("batch_first", [False, True], ids=["seq-first", "batch-first"])
def test_transformer_matches_torch(batch_first, dtype, rng):
    torch = pytest.importorskip("torch")
    kw = dict(d_model=D, nhead=H, num_encoder_layers=2, num_decoder_layers=1,
              dim_feedforward=FF, batch_first=batch_first)
    torch.manual_seed(4)
    tm = _perturb_norms(torch, torch.nn.Transformer(**kw))
    tm, mm = twin(torch, tm, nn.Transformer(**kw), dtype)

    def call(module, x, m):
        return module(x[0], x[1], src_key_padding_mask=m["src_kpm"], tgt_mask=m["tgt_mask"],
                      tgt_key_padding_mask=m["tgt_kpm"], memory_key_padding_mask=m["src_kpm"])
    arrays = [_seq(rng, S, batch_first), _seq(rng, T, batch_first)]
    compare(torch, tm, mm, call, arrays, _masks(rng, ("causal", "padding")), dtype)


def test_parameter_names_and_shapes_as_torch():
    torch = pytest.importorskip("torch")
    pairs = [(torch.nn.TransformerEncoderLayer(D, H, FF), nn.TransformerEncoderLayer(D, H, FF)),
             (torch.nn.TransformerDecoderLayer(D, H, FF, bias=False),
              nn.TransformerDecoderLayer(D, H, FF, bias=False)),
             (torch.nn.Transformer(D, H, 1, 2, FF), nn.Transformer(D, H, 1, 2, FF))]
    for t, m in pairs:
        assert [(k, tuple(v.shape)) for k, v in t.state_dict().items()] == \
               [(k, v.shape) for k, v in m.state_dict().items()]


def test_encoder_layers_are_independent_deep_copies():
    layer = nn.TransformerEncoderLayer(D, H, FF)
    enc = nn.TransformerEncoder(layer, 3)
    ws = [lay.linear1.weight for lay in enc.layers]
    assert len({id(w) for w in ws} | {id(layer.linear1.weight)}) == 4
    for w in ws:
        np.testing.assert_array_equal(w.numpy(), layer.linear1.weight.numpy())
    enc.layers[0].linear1.weight.array[...] = 0
    assert np.abs(enc.layers[1].linear1.weight.numpy()).sum() > 0
    assert len(list(enc.parameters())) == 3 * len(list(layer.parameters()))


def test_transformer_init_is_xavier_on_matrices():
    mg.manual_seed(0)
    m = nn.Transformer(16, 2, 1, 1, 32)
    w = m.encoder.layers[0].linear1.weight.numpy()             # (32, 16)
    bound = np.sqrt(6 / (16 + 32))
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    np.testing.assert_array_equal(m.encoder.norm.weight.numpy(), 1)


def test_generate_square_subsequent_mask_as_torch():
    torch = pytest.importorskip("torch")
    m = nn.Transformer.generate_square_subsequent_mask(4)
    t = torch.nn.Transformer.generate_square_subsequent_mask(4)
    np.testing.assert_array_equal(m.numpy(), t.numpy())
    assert m.dtype == np.float32


def test_dropout_acts_in_training_only(rng):
    layer = nn.TransformerEncoderLayer(D, H, FF, dropout=0.5).double()
    x = mg.tensor(_seq(rng, S, False))
    layer.eval()
    a, b = layer(x).numpy(), layer(x).numpy()
    np.testing.assert_array_equal(a, b)
    layer.train()
    c, d = layer(x).numpy(), layer(x).numpy()
    assert not np.allclose(c, a) and not np.allclose(c, d)


def test_bad_input():
    with pytest.raises(ValueError, match="activation should be 'relu' or 'gelu'.*'tanh'"):
        nn.TransformerEncoderLayer(D, H, activation="tanh")
    with pytest.raises(ValueError, match="embed_dim=8 must be divisible by num_heads=3"):
        nn.TransformerEncoderLayer(D, 3)
    with pytest.raises(ValueError, match="num_layers must be a non-negative int, got -1"):
        nn.TransformerEncoder(nn.TransformerEncoderLayer(D, H, FF), -1)
    layer = nn.TransformerEncoderLayer(D, H, FF)
    x = mg.randn(S, N, D)
    with pytest.raises(ValueError, match=r"\(L, S\) = \(5, 5\), got \(4, 4\)"):
        layer(x, src_mask=mg.zeros(4, 4, dtype=mg.bool))
    model = nn.Transformer(D, H, 1, 1, FF)
    with pytest.raises(ValueError, match="batch sizes of src"):
        model(mg.randn(S, N, D), mg.randn(T, N + 1, D))
    with pytest.raises(ValueError, match="d_model=8"):
        model(mg.randn(S, N, D + 1), mg.randn(T, N, D))


def test_gradients_reach_every_parameter(rng):
    """One backward through a 2-layer pre-norm encoder: every parameter gets a finite,
    nonzero gradient (nothing detached on the way)."""
    mg.manual_seed(0)
    enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(D, H, FF, norm_first=True), 2,
                                norm=nn.LayerNorm(D)).double()
    enc.eval()
    x = mg.tensor(_seq(rng, S, False), requires_grad=True)
    (enc(x) * mg.tensor(rng.standard_normal((S, N, D)))).sum().backward()
    for name, p in enc.named_parameters():
        assert p.grad is not None and np.isfinite(p.grad.numpy()).all(), name
        assert np.abs(p.grad.numpy()).sum() > 0, name


def test_unbatched_layers_match_torch(rng):
    """(S, E) inputs without a batch axis, key padding masks (S,), as torch."""
    torch = pytest.importorskip("torch")
    torch.manual_seed(5)
    te = _perturb_norms(torch, torch.nn.TransformerEncoderLayer(D, H, FF, norm_first=True))
    te, me = twin(torch, te, nn.TransformerEncoderLayer(D, H, FF, norm_first=True), "float64")
    kpm = np.array([False, False, True, False, True])
    compare(torch, te, me, lambda m, x, mk: m(x[0], src_key_padding_mask=mk["kpm"]),
            [rng.standard_normal((S, D))], {"kpm": kpm})
    td = _perturb_norms(torch, torch.nn.TransformerDecoderLayer(D, H, FF))
    td, md = twin(torch, td, nn.TransformerDecoderLayer(D, H, FF), "float64")
    out = compare(torch, td, md, lambda m, x, mk: m(
        x[0], x[1], tgt_mask=mk["causal"], memory_key_padding_mask=mk["kpm"]),
        [rng.standard_normal((T, D)), rng.standard_normal((S, D))],
        {"kpm": kpm, "causal": np.triu(np.ones((T, T), bool), 1)})
    assert out.shape == (T, D)


def test_activation_module_is_a_submodule_as_torch(rng):
    """activation=nn.GELU(approximate='tanh'): a child module without parameters (torch keeps
    it as self.activation too); the same numbers as torch's."""
    torch = pytest.importorskip("torch")
    torch.manual_seed(6)
    tm = torch.nn.TransformerEncoderLayer(D, H, FF, activation=torch.nn.GELU("tanh"))
    mm = nn.TransformerEncoderLayer(D, H, FF, activation=nn.GELU(approximate="tanh"))
    assert list(mm.state_dict()) == list(tm.state_dict())
    assert "activation" in dict(mm.named_children())
    tm, mm = twin(torch, tm, mm, "float64")
    compare(torch, tm, mm, lambda m, x, mk: m(x[0]), [_seq(rng, S, False)])


def test_signatures_are_torchs():
    """Argument names, order and defaults of every function and constructor/forward here."""
    torch = pytest.importorskip("torch")
    import inspect

    def params(f):
        return [(p.name, p.default) for p in inspect.signature(f).parameters.values()
                if p.name != "self"]
    # torch's scaled_dot_product_attention is a builtin without a signature: its documented one
    assert params(F.scaled_dot_product_attention) == [
        ("query", inspect.Parameter.empty), ("key", inspect.Parameter.empty),
        ("value", inspect.Parameter.empty), ("attn_mask", None), ("dropout_p", 0.0),
        ("is_causal", False), ("scale", None), ("enable_gqa", False)]
    pairs = [(F.multi_head_attention_forward, torch.nn.functional.multi_head_attention_forward)]
    for name in ("MultiheadAttention", "TransformerEncoderLayer", "TransformerEncoder",
                 "TransformerDecoderLayer", "TransformerDecoder", "Transformer"):
        pairs.append((getattr(nn, name).__init__, getattr(torch.nn, name).__init__))
        pairs.append((getattr(nn, name).forward, getattr(torch.nn, name).forward))
    for ours, theirs in pairs:
        mine, torchs = params(ours), params(theirs)
        # defaults that are functions (activation=F.relu) compare by name
        norm = [(n, getattr(d, "__name__", d)) for n, d in mine]
        tnorm = [(n, getattr(d, "__name__", d)) for n, d in torchs]
        assert norm == tnorm, (ours.__qualname__, mine, torchs)
