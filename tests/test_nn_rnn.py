"""nn.RNN, nn.LSTM, nn.GRU and the cells against PyTorch (torch's weights loaded through
load_state_dict; outputs, final states and every input, state and parameter gradient; float64
to 1e-10, float32 to 1e-5), and torch-free checks: parameter names, shapes, order and init,
dropout between layers, bad input, weight-decay groups and penalties on recurrent weights.
The gradcheck/gradgradcheck cases are in minigrad/nn/_cases.py (tests/test_nn_gradcheck.py)."""
import math
import warnings

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn

TOL = {np.float64: 1e-10, np.float32: 1e-5}


def _torch_dtype(torch, dtype):
    return torch.float64 if dtype == np.float64 else torch.float32


def _load_torch_weights(mg_module, torch_module):
    """torch's state_dict, as numpy arrays, into the minigrad module: the names must match."""
    state = {k: v.detach().numpy() for k, v in torch_module.state_dict().items()}
    result = mg_module.load_state_dict(state)
    assert list(result.missing_keys) == [] and list(result.unexpected_keys) == []


def _close(a, b, tol, what):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=tol, atol=tol, err_msg=what)


def _run_both(torch, cls, kwargs, layout, with_state, dtype, device="cpu", T=4, B=3, I=5):
    """Runs torch's and minigrad's layer on one input and initial state, backpropagates a
    random-weighted sum of every output, and compares everything."""
    tol = TOL[dtype]
    tdt = _torch_dtype(torch, dtype)
    rng = np.random.default_rng(3)
    tm = getattr(torch.nn, cls)(I, **kwargs).to(tdt).eval()  # eval: no dropout between layers
    mm = getattr(nn, cls)(I, **kwargs, dtype=dtype).eval()
    _load_torch_weights(mm, tm)
    mm = mm.to(device)
    D = 2 if kwargs.get("bidirectional") else 1
    L = kwargs.get("num_layers", 1)
    H = kwargs["hidden_size"]
    H_out = kwargs.get("proj_size", 0) or H
    shape = {"seq first": (T, B, I), "batch first": (B, T, I), "unbatched": (T, I)}[layout]
    x = rng.standard_normal(shape).astype(dtype)
    state_shape = (D * L, B) if layout != "unbatched" else (D * L,)
    states = []
    if with_state:
        states = [rng.standard_normal(state_shape + (H_out,)).astype(dtype)]
        if cls == "LSTM":
            states.append(rng.standard_normal(state_shape + (H,)).astype(dtype))
    xt = torch.tensor(x, requires_grad=True)
    xm = mg.tensor(x, requires_grad=True, device=device)
    st = [torch.tensor(s, requires_grad=True) for s in states]
    sm = [mg.tensor(s, requires_grad=True, device=device) for s in states]
    if cls == "LSTM":
        ot, (ht, ct) = tm(xt, tuple(st) if st else None)
        om, (hm, cm) = mm(xm, tuple(sm) if sm else None)
        pairs = [(ot, om), (ht, hm), (ct, cm)]
    else:
        ot, ht = tm(xt, st[0] if st else None)
        om, hm = mm(xm, sm[0] if sm else None)
        pairs = [(ot, om), (ht, hm)]
    loss_t, loss_m = 0, 0
    for k, (a, b) in enumerate(pairs):
        assert tuple(b.shape) == tuple(a.shape), (k, b.shape, a.shape)
        _close(b.numpy(), a.detach().numpy(), tol, f"output {k}")
        g = rng.standard_normal(tuple(a.shape))
        loss_t = loss_t + (a * torch.tensor(g, dtype=tdt)).sum()
        loss_m = loss_m + (b * mg.tensor(g, dtype=dtype, device=device)).sum()
    loss_t.backward()
    loss_m.backward()
    _close(xm.grad.numpy(), xt.grad.numpy(), tol, "input grad")
    for k, (a, b) in enumerate(zip(st, sm)):
        _close(b.grad.numpy(), a.grad.numpy(), tol, f"initial state {k} grad")
    tparams = dict(tm.named_parameters())
    assert [n for n, _ in mm.named_parameters()] == list(tparams)
    for name, p in mm.named_parameters():
        _close(p.grad.numpy(), tparams[name].grad.numpy(), tol, f"grad of {name}")


LAYERS = [
    ("RNN", dict(hidden_size=4)),
    ("RNN", dict(hidden_size=4, nonlinearity="relu")),
    ("LSTM", dict(hidden_size=4)),
    ("LSTM", dict(hidden_size=4, proj_size=2)),
    ("GRU", dict(hidden_size=4)),
]
LAYER_IDS = ["RNN tanh", "RNN relu", "LSTM", "LSTM proj_size 2", "GRU"]


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("with_state", [False, True], ids=["no h0", "h0"])
@pytest.mark.parametrize("layout", ["seq first", "batch first", "unbatched"])
@pytest.mark.parametrize("bidirectional", [False, True], ids=["uni", "bi"])
@pytest.mark.parametrize("num_layers", [1, 2], ids=["1 layer", "2 layers"])
@pytest.mark.parametrize("cls,kwargs", LAYERS, ids=LAYER_IDS)
def test_layer_matches_torch(cls, kwargs, num_layers, bidirectional, layout, with_state, dtype):
    torch = pytest.importorskip("torch")
    kwargs = dict(kwargs, num_layers=num_layers, bidirectional=bidirectional,
                  batch_first=layout == "batch first")
    _run_both(torch, cls, kwargs, layout, with_state, dtype)


@pytest.mark.parametrize("cls", ["RNN", "LSTM", "GRU"])
def test_layer_without_bias_and_dropout_in_eval_matches_torch(cls):
    torch = pytest.importorskip("torch")
    kwargs = dict(hidden_size=3, num_layers=3, bias=False, dropout=0.5, bidirectional=True)
    assert not any("bias" in n for n, _ in getattr(nn, cls)(2, **kwargs).named_parameters())
    _run_both(torch, cls, kwargs, "seq first", True, np.float64, T=3, B=2, I=2)


def test_lstm_on_every_device_matches_torch(device):
    torch = pytest.importorskip("torch")
    _run_both(torch, "LSTM", dict(hidden_size=6, num_layers=2, bidirectional=True), "seq first",
              True, np.float64, device=device, T=5, B=3, I=4)


def test_loss_on_the_final_state_only_matches_torch():
    """The outputs at every step get no gradient: the time steps' node fills in zeros."""
    torch = pytest.importorskip("torch")
    tm = torch.nn.GRU(3, 4, num_layers=2, bidirectional=True).double()
    mm = nn.GRU(3, 4, num_layers=2, bidirectional=True, dtype=np.float64)
    _load_torch_weights(mm, tm)
    x = np.random.default_rng(0).standard_normal((6, 2, 3))
    xt, xm = torch.tensor(x, requires_grad=True), mg.tensor(x, requires_grad=True)
    (tm(xt)[1] ** 2).sum().backward()
    (mm(xm)[1] ** 2).sum().backward()
    _close(xm.grad.numpy(), xt.grad.numpy(), 1e-10, "input grad")
    _close(mm.weight_hh_l0_reverse.grad.numpy(), tm.weight_hh_l0_reverse.grad.numpy(), 1e-10,
           "weight_hh_l0_reverse")


def test_second_order_through_lstm_matches_torch():
    """d/dθ ‖∂L/∂x‖² (a gradient penalty) through a 2-layer bidirectional LSTM."""
    torch = pytest.importorskip("torch")
    tm = torch.nn.LSTM(3, 4, num_layers=2, bidirectional=True).double()
    mm = nn.LSTM(3, 4, num_layers=2, bidirectional=True, dtype=np.float64)
    _load_torch_weights(mm, tm)
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal((4, 2, 3)), rng.standard_normal((4, 2, 8))
    xt, xm = torch.tensor(x, requires_grad=True), mg.tensor(x, requires_grad=True)
    (gt,) = torch.autograd.grad((tm(xt)[0] * torch.tensor(w)).sum(), xt, create_graph=True)
    (gm,) = mg.autograd.grad((mm(xm)[0] * mg.tensor(w)).sum(), xm, create_graph=True)
    _close(gm.numpy(), gt.detach().numpy(), 1e-10, "first derivative")
    (gt ** 2).sum().backward()
    (gm ** 2).sum().backward()
    tparams = dict(tm.named_parameters())
    for name, p in mm.named_parameters():
        _close(p.grad.numpy(), tparams[name].grad.numpy(), 1e-9, f"second order, {name}")
    _close(xm.grad.numpy(), xt.grad.numpy(), 1e-9, "second order, input")


def test_forward_mode_through_lstm_matches_torch():
    torch = pytest.importorskip("torch")
    from minigrad.autograd import forward_ad as fwAD
    tm = torch.nn.LSTM(3, 4, bidirectional=True).double()
    mm = nn.LSTM(3, 4, bidirectional=True, dtype=np.float64)
    _load_torch_weights(mm, tm)
    rng = np.random.default_rng(2)
    x, u = rng.standard_normal((3, 2, 3)), rng.standard_normal((3, 2, 3))
    _, jt = torch.func.jvp(lambda v: tm(v)[0], (torch.tensor(x),), (torch.tensor(u),))
    with fwAD.dual_level():
        out = mm(fwAD.make_dual(mg.tensor(x), mg.tensor(u)))[0]
        jm = fwAD.unpack_dual(out).tangent
    _close(jm.detach().numpy(), jt.detach().numpy(), 1e-10, "J·u")


# ---- cells ---------------------------------------------------------------------------------------

CELLS = [("RNNCell", {}), ("RNNCell", dict(nonlinearity="relu")), ("LSTMCell", {}),
         ("GRUCell", {}), ("LSTMCell", dict(bias=False)), ("GRUCell", dict(bias=False))]


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("with_state", [False, True], ids=["no hx", "hx"])
@pytest.mark.parametrize("batched", [True, False], ids=["batched", "unbatched"])
@pytest.mark.parametrize("cls,kwargs", CELLS,
                         ids=["RNNCell", "RNNCell relu", "LSTMCell", "GRUCell",
                              "LSTMCell no bias", "GRUCell no bias"])
def test_cell_matches_torch(cls, kwargs, batched, with_state, dtype):
    torch = pytest.importorskip("torch")
    tol, tdt = TOL[dtype], _torch_dtype(torch, dtype)
    tm = getattr(torch.nn, cls)(3, 4, **kwargs).to(tdt)
    mm = getattr(nn, cls)(3, 4, **kwargs, dtype=dtype)
    _load_torch_weights(mm, tm)
    rng = np.random.default_rng(4)
    lead = (2,) if batched else ()
    x = rng.standard_normal(lead + (3,)).astype(dtype)
    states = [rng.standard_normal(lead + (4,)).astype(dtype)
              for _ in range((2 if cls == "LSTMCell" else 1) if with_state else 0)]
    xt, xm = torch.tensor(x, requires_grad=True), mg.tensor(x, requires_grad=True)
    st = [torch.tensor(s, requires_grad=True) for s in states]
    sm = [mg.tensor(s, requires_grad=True) for s in states]
    if cls == "LSTMCell":
        outs_t = tm(xt, tuple(st) if st else None)
        outs_m = mm(xm, tuple(sm) if sm else None)
    else:
        outs_t, outs_m = (tm(xt, st[0] if st else None),), (mm(xm, sm[0] if sm else None),)
    loss_t, loss_m = 0, 0
    for a, b in zip(outs_t, outs_m):
        _close(b.numpy(), a.detach().numpy(), tol, "output")
        g = rng.standard_normal(tuple(a.shape))
        loss_t = loss_t + (a * torch.tensor(g, dtype=tdt)).sum()
        loss_m = loss_m + (b * mg.tensor(g, dtype=dtype)).sum()
    loss_t.backward()
    loss_m.backward()
    _close(xm.grad.numpy(), xt.grad.numpy(), tol, "input grad")
    for a, b in zip(st, sm):
        _close(b.grad.numpy(), a.grad.numpy(), tol, "state grad")
    tparams = dict(tm.named_parameters())
    assert [n for n, _ in mm.named_parameters()] == list(tparams)
    for name, p in mm.named_parameters():
        _close(p.grad.numpy(), tparams[name].grad.numpy(), tol, name)


def test_lstm_cell_unrolled_equals_lstm_layer():
    """The cell stepped by hand and the layer compute the same recurrence (torch-free)."""
    layer = nn.LSTM(3, 5, dtype=np.float64)
    cell = nn.LSTMCell(3, 5, dtype=np.float64)
    for kind in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
        getattr(cell, kind).array[...] = getattr(layer, kind + "_l0").array
    x = mg.tensor(np.random.default_rng(0).standard_normal((4, 2, 3)))
    out, (h_n, c_n) = layer(x)
    h = c = None
    for t in range(4):
        h, c = cell(x[t], None if h is None else (h, c))
        np.testing.assert_allclose(h.numpy(), out[t].numpy(), rtol=1e-14, atol=1e-14)
    np.testing.assert_allclose(c.numpy(), c_n[0].numpy(), rtol=1e-14, atol=1e-14)


# ---- parameters, init, repr ----------------------------------------------------------------------

@pytest.mark.parametrize("cls,kwargs", [
    ("LSTM", dict(num_layers=2, bidirectional=True, proj_size=3)),
    ("GRU", dict(num_layers=3, bias=False)), ("RNN", dict(num_layers=2, bidirectional=True)),
    ("LSTMCell", {}), ("GRUCell", dict(bias=False)), ("RNNCell", dict(nonlinearity="relu"))])
def test_parameter_names_shapes_order_and_repr_as_torch(cls, kwargs):
    torch = pytest.importorskip("torch")
    tm, mm = getattr(torch.nn, cls)(7, 5, **kwargs), getattr(nn, cls)(7, 5, **kwargs)
    assert [(n, tuple(p.shape)) for n, p in mm.named_parameters()] == \
        [(n, tuple(p.shape)) for n, p in tm.named_parameters()]
    assert repr(mm) == repr(tm)


def test_init_is_uniform_within_one_over_sqrt_hidden():
    mg.manual_seed(0)
    m = nn.LSTM(20, 64, num_layers=2, bidirectional=True)
    bound = 1 / math.sqrt(64)
    values = np.concatenate([p.numpy().ravel() for p in m.parameters()])
    assert np.abs(values).max() <= bound
    assert np.abs(values).max() > 0.99 * bound
    assert abs(values.mean()) < 0.01 * bound
    assert abs(values.std() - bound / math.sqrt(3)) < 0.01 * bound  # U(−b, b): std b/√3
    cell = nn.GRUCell(3, 16)
    assert max(np.abs(p.numpy()).max() for p in cell.parameters()) <= 1 / 4


def test_all_weights_and_flatten_parameters():
    m = nn.LSTM(3, 4, num_layers=2, bidirectional=True)
    assert m.flatten_parameters() is None
    assert len(m.all_weights) == 4 and all(len(w) == 4 for w in m.all_weights)
    assert m.all_weights[1][1] is m.weight_hh_l0_reverse
    assert m.all_weights[2][0].shape == (16, 8)  # layer 1 reads both directions of layer 0


# ---- dropout -------------------------------------------------------------------------------------

@pytest.mark.parametrize("cls", ["RNN", "LSTM", "GRU"])
def test_dropout_only_between_layers_and_only_in_training(cls):
    mg.manual_seed(0)
    m = getattr(nn, cls)(3, 4, num_layers=2, dropout=0.5, dtype=np.float64)
    plain = getattr(nn, cls)(3, 4, num_layers=2, dtype=np.float64)
    plain.load_state_dict(m.state_dict())
    x = mg.tensor(np.random.default_rng(0).standard_normal((5, 2, 3)))
    h_of = (lambda out: out[1][0]) if cls == "LSTM" else (lambda out: out[1])
    m.eval()
    np.testing.assert_array_equal(m(x)[0].numpy(), plain(x)[0].numpy())
    m.train()
    trained = m(x)
    # layer 0 runs before any dropout: its final state is the same; layer 1's input is dropped
    np.testing.assert_array_equal(h_of(trained)[0].numpy(), h_of(plain(x))[0].numpy())
    assert np.abs(trained[0].numpy() - plain(x)[0].numpy()).max() > 1e-3
    with pytest.warns(UserWarning, match="num_layers greater than 1"):
        single = getattr(nn, cls)(3, 4, dropout=0.5)
    single.train()
    x32 = x.float()
    np.testing.assert_array_equal(single(x32)[0].numpy(), single.eval()(x32)[0].numpy())


# ---- bad input -----------------------------------------------------------------------------------

def test_bad_input_raises_naming_the_shapes():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lstm = nn.LSTM(5, 4, num_layers=2, bidirectional=True)
    with pytest.raises(ValueError, match=r"Expected 5, got 3.*\(7, 2, 3\)"):
        lstm(mg.randn(7, 2, 3))
    with pytest.raises(ValueError, match=r"2D or 3D, got 4D.*\(1, 7, 2, 5\)"):
        lstm(mg.randn(1, 7, 2, 5))
    h, c = mg.zeros(4, 2, 4), mg.zeros(4, 2, 4)
    with pytest.raises(ValueError, match=r"hidden\[0\] size \(4, 2, 4\), got \(2, 2, 4\)"):
        lstm(mg.randn(7, 2, 5), (mg.zeros(2, 2, 4), c))
    with pytest.raises(ValueError, match=r"hidden\[1\] size \(4, 2, 4\), got \(4, 3, 4\)"):
        lstm(mg.randn(7, 2, 5), (h, mg.zeros(4, 3, 4)))
    with pytest.raises(ValueError, match=r"unbatched 2-D input, hidden\[0\] should also be 2-D"):
        lstm(mg.randn(7, 5), (h, c))
    with pytest.raises(TypeError, match="tuple"):
        lstm(mg.randn(7, 2, 5), h)
    with pytest.raises(TypeError, match="float64"):
        lstm(mg.randn(7, 2, 5, dtype=mg.float64))
    gru = nn.GRU(5, 4, batch_first=True)
    with pytest.raises(ValueError, match=r"Expected hidden size \(1, 2, 4\), got \(1, 7, 4\)"):
        gru(mg.randn(2, 7, 5), mg.zeros(1, 7, 4))
    with pytest.raises(ValueError, match=r"Expected hidden size \(1, 4\), got \(2, 4\)"):
        gru(mg.randn(7, 5), mg.zeros(2, 4))
    with pytest.raises(ValueError, match="empty"):
        gru(mg.randn(2, 0, 5))
    cell = nn.LSTMCell(5, 4)
    with pytest.raises(ValueError, match=r"got 3 expected 5.*\(2, 3\)"):
        cell(mg.randn(2, 3))
    with pytest.raises(ValueError, match=r"hx\[1\] size \(2, 4\), got \(2, 3\)"):
        cell(mg.randn(2, 5), (mg.zeros(2, 4), mg.zeros(2, 3)))
    with pytest.raises(ValueError, match=r"1D or 2D, got 3D"):
        nn.GRUCell(5, 4)(mg.randn(1, 2, 5))


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="only supported for LSTM"):
        nn.RNNBase("GRU", 3, 4, proj_size=2)
    with pytest.raises(ValueError, match="smaller than hidden_size"):
        nn.LSTM(3, 4, proj_size=4)
    with pytest.raises(ValueError, match="Unknown nonlinearity 'gelu'"):
        nn.RNN(3, 4, nonlinearity="gelu")
    with pytest.raises(ValueError, match="range \\[0, 1\\]"):
        nn.LSTM(3, 4, num_layers=2, dropout=1.5)
    with pytest.raises(ValueError, match="hidden_size must be greater than zero"):
        nn.GRU(3, 0)
    with pytest.raises(ValueError, match="num_layers"):
        nn.RNN(3, 4, num_layers=0)
    with pytest.raises(ValueError, match="Unknown nonlinearity"):
        nn.RNNCell(3, 4, nonlinearity="sigmoid")


# ---- weight decay and penalties on recurrent weights ----------------------------------------

class _Tagger(nn.Module):
    """Embedding → LSTM → LayerNorm → Linear: a small sequence model."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(10, 6)
        self.lstm = nn.LSTM(6, 8, num_layers=2, bidirectional=True)
        self.norm = nn.LayerNorm(16)
        self.head = nn.Linear(16, 3)

    def forward(self, tokens):
        return self.head(self.norm(self.lstm(self.embed(tokens))[0]))


def test_param_groups_no_decay_splits_recurrent_weights_from_biases_and_norms():
    model = _Tagger()
    decay, no_decay = mg.optim.param_groups_no_decay(model, 0.1)
    assert decay["weight_decay"] == 0.1 and no_decay["weight_decay"] == 0.0
    ids = {id(p) for p in decay["params"]}
    names = dict(model.named_parameters())
    decayed = sorted(n for n, p in names.items() if id(p) in ids)
    assert decayed == sorted(["embed.weight", "head.weight"] + [
        f"lstm.{kind}_l{layer}{sfx}" for kind in ("weight_ih", "weight_hh")
        for layer in (0, 1) for sfx in ("", "_reverse")])
    not_decayed = {n for n, p in names.items() if id(p) in {id(q) for q in no_decay["params"]}}
    assert {"norm.weight", "norm.bias", "head.bias", "lstm.bias_ih_l0", "lstm.bias_hh_l0",
            "lstm.bias_hh_l1_reverse"} <= not_decayed
    assert len(not_decayed) + len(decayed) == len(names)


def test_apply_penalty_reaches_recurrent_weights():
    model = _Tagger()
    names = mg.penalties.apply_penalty(model, mg.penalties.L2(0.5))
    assert "lstm.weight_ih_l0" in names and "lstm.weight_hh_l0_reverse" in names
    expected = sum(0.25 * float((p.numpy() ** 2).sum()) for n, p in model.named_parameters()
                   if "weight" in n and "norm" not in n)
    np.testing.assert_allclose(float(model.penalty().item()), expected, rtol=1e-6)
    assert not any("bias" in n for n in names)
    with_bias = mg.penalties.apply_penalty(_Tagger(), mg.penalties.L2(0.5), include_bias=True)
    assert "lstm.bias_ih_l0" in with_bias and "lstm.bias_hh_l0_reverse" in with_bias


# ---- the fused LSTM gate kernel (the backend's lstm_pointwise_forward) against the ops version ---

def _kernel_or_skip():
    from minigrad.nn import _rnn_cells
    return _rnn_cells


@pytest.mark.parametrize("dtype,tol", [(np.float64, 1e-14), (np.float32, 2e-6)],
                         ids=["f64", "f32"])
@pytest.mark.parametrize("shape", [(1, 1), (3, 5), (32, 67)])
def test_fused_lstm_gates_agree_with_the_ops_version(shape, dtype, tol, device):
    cells = _kernel_or_skip()
    rng = np.random.default_rng(7)
    B, H = shape
    gates = rng.standard_normal((B, 4 * H)) * 4
    gates.flat[::7] = rng.choice([-800.0, 800.0, -30.0, 30.0, 0.0], size=gates.flat[::7].shape)
    c = rng.standard_normal((B, H)) * 3
    gates = mg.tensor(gates.astype(dtype), device=device)
    c = mg.tensor(c.astype(dtype), device=device)
    h_ops, c_ops = cells.lstm_pointwise_ops(gates, c)
    h_fused, c_fused = cells.lstm_pointwise_fused(gates, c)
    assert h_fused.dtype == h_ops.dtype and h_fused.shape == h_ops.shape
    np.testing.assert_allclose(h_fused.numpy(), h_ops.numpy(), rtol=tol, atol=tol)
    np.testing.assert_allclose(c_fused.numpy(), c_ops.numpy(), rtol=tol, atol=tol)
    assert np.isfinite(h_fused.numpy()).all()  # σ of ±800 neither overflows nor gives NaN


def test_fused_lstm_gates_propagate_nan_like_the_ops_version():
    cells = _kernel_or_skip()
    gates = mg.tensor(np.array([[np.nan, 0.0, 1.0, 2.0], [0.5, 0.5, 0.5, np.nan]]))
    c = mg.tensor(np.array([[1.0], [2.0]]))
    for a, b in zip(cells.lstm_pointwise_fused(gates, c), cells.lstm_pointwise_ops(gates, c)):
        np.testing.assert_array_equal(np.isnan(a.numpy()), np.isnan(b.numpy()))


def test_fused_kernel_runs_only_when_no_graph_is_recorded(monkeypatch):
    cells = _kernel_or_skip()
    calls = []
    fused = cells.lstm_pointwise_fused
    monkeypatch.setattr(cells, "lstm_pointwise_fused", lambda g, c: calls.append(1) or fused(g, c))
    m = nn.LSTM(3, 4, num_layers=2, bidirectional=True, dtype=np.float64)
    x = mg.tensor(np.random.default_rng(0).standard_normal((5, 2, 3)))
    out, (h, c) = m(x)
    assert calls == [] and out.requires_grad  # recorded: the ops version
    with mg.no_grad():
        out2, (h2, c2) = m(x)
    assert len(calls) == 5 * 4  # every step of 2 layers × 2 directions
    for a, b in ((out, out2), (h, h2), (c, c2)):
        np.testing.assert_allclose(b.numpy(), a.detach().numpy(), rtol=1e-13, atol=1e-13)
    calls.clear()
    for p in m.parameters():
        p.requires_grad_(False)
    m(x)  # nothing requires grad: nothing is recorded
    assert len(calls) == 20


def test_time_steps_node_forward_and_reverse():
    """The time steps of the recurrence come from one node (ops.unbind, Unbind): slices
    forward, their gradients stacked back (zeros where a step is unused), its jvp the slices of
    the tangent, views sharing x's version counter."""
    from minigrad.autograd import forward_ad as fwAD
    time_steps = mg.ops.unbind
    rng = np.random.default_rng(0)
    x_np, u_np = rng.standard_normal((3, 2)), rng.standard_normal((3, 2))
    x = mg.tensor(x_np, requires_grad=True)
    steps = time_steps(x)
    assert len(steps) == 3 and all(s.shape == (2,) for s in steps)
    (steps[0] * steps[2] * 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2 * x_np[2], [0, 0], 2 * x_np[0]])
    with fwAD.dual_level():
        s = time_steps(fwAD.make_dual(mg.tensor(x_np), mg.tensor(u_np)))
        tangent = fwAD.unpack_dual(s[0] * s[1]).tangent
    np.testing.assert_allclose(tangent.numpy(), u_np[0] * x_np[1] + x_np[0] * u_np[1])
    y = mg.tensor(x_np)
    first = time_steps(y)[0]
    with mg.no_grad():
        y.mul_(2)
    assert first._version == y._version == 1 and first[0].item() == 2 * x_np[0, 0]
    assert time_steps(mg.zeros(0, 3)) == ()


def test_orthogonal_penalty_per_gate_block_of_weight_hh():
    """Orthogonal(λ) on an LSTM's weight_hh (4H, H) would push WᵀW = Σ_gates W_gᵀW_g to I (each
    block's scale to ~1/2); what RNN papers mean is each gate's (H, H) block orthogonal: chunk it.
    Its gradient through autograd equals the penalty's hand-written gradient, block by block."""
    lstm = nn.LSTM(3, 4, dtype=np.float64)
    penalty = mg.penalties.Orthogonal(0.3)
    total = sum(penalty(block) for block in lstm.weight_hh_l0.chunk(4, 0))
    total.backward()
    w = lstm.weight_hh_l0.numpy()
    expected = np.concatenate([penalty.grad(block) for block in np.split(w, 4, 0)])
    np.testing.assert_allclose(lstm.weight_hh_l0.grad.numpy(), expected, rtol=1e-12, atol=1e-12)
    value = sum(0.3 * ((b.T @ b - np.eye(4)) ** 2).sum() for b in np.split(w, 4, 0))
    np.testing.assert_allclose(float(total.item()), value, rtol=1e-12)


def test_char_model_training_trajectory_matches_torch():
    """Embedding → 2-layer LSTM → Linear, cross-entropy, AdamW on param_groups_no_decay and
    gradient clipping: 5 steps give torch's losses and weights (float64)."""
    torch = pytest.importorskip("torch")
    V, E, H, T, B = 7, 5, 6, 8, 3

    def build(lib, **kw):
        return [lib.nn.Embedding(V, E, **kw), lib.nn.LSTM(E, H, num_layers=2, **kw),
                lib.nn.Linear(H, V, **kw)]

    tmods = build(torch, dtype=torch.float64)
    mmods = build(mg, dtype=np.float64)
    for a, b in zip(mmods, tmods):
        _load_torch_weights(a, b)
    rng = np.random.default_rng(0)
    tokens = rng.integers(0, V, (T + 1, B))

    def named(mods):
        return [(f"{k}.{n}", p) for k, m in enumerate(mods) for n, p in m.named_parameters()]

    topt = torch.optim.AdamW(mg.optim.param_groups_no_decay(named(tmods), 0.1), lr=0.01)
    mopt = mg.optim.AdamW(mg.optim.param_groups_no_decay(named(mmods), 0.1), lr=0.01)
    for step in range(5):
        losses = []
        for lib, mods, opt in ((torch, tmods, topt), (mg, mmods, mopt)):
            x, y = lib.tensor(tokens[:-1]), lib.tensor(tokens[1:])
            logits = mods[2](mods[1](mods[0](x))[0])
            loss = lib.nn.functional.cross_entropy(logits.reshape(-1, V), y.reshape(-1))
            opt.zero_grad()
            loss.backward()
            lib.nn.utils.clip_grad_norm_([p for _, p in named(mods)], 0.5)
            opt.step()
            losses.append(float(loss.item()))
        np.testing.assert_allclose(losses[1], losses[0], rtol=1e-10, err_msg=f"step {step}")
    for (n, a), (_, b) in zip(named(mmods), named(tmods)):
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=1e-9, atol=1e-10,
                                   err_msg=n)
