"""Layers against PyTorch (optional oracle: same weights → same outputs and parameter gradients)
and against hand-written numpy references (torch-free), plus initialisation and bad input."""
import math

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F


def _copy_from_torch(mg_module, torch_module):
    mg_module.load_state_dict({k: v.detach().numpy() for k, v in torch_module.state_dict().items()})


def _compare_with_torch(torch, mg_module, torch_module, x_np, dtype, tol, steps=1):
    """Forward, then backward of a random-weighted sum; outputs, input and parameter grads."""
    _copy_from_torch(mg_module, torch_module)
    rng = np.random.default_rng(5)
    for _ in range(steps):
        xt = torch.tensor(x_np, dtype=dtype, requires_grad=True)
        xm = mg.tensor(x_np.astype(np.float64 if dtype == torch.float64 else np.float32),
                       requires_grad=True)
        yt, ym = torch_module(xt), mg_module(xm)
        g = rng.standard_normal(tuple(yt.shape))
        (yt * torch.tensor(g, dtype=dtype)).sum().backward()
        (ym * mg.tensor(g, dtype=ym.dtype)).sum().backward()
        np.testing.assert_allclose(ym.numpy(), yt.detach().numpy(), rtol=tol, atol=tol)
        np.testing.assert_allclose(xm.grad.numpy(), xt.grad.numpy(), rtol=tol, atol=tol)
    tparams = dict(torch_module.named_parameters())
    for name, p in mg_module.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), tparams[name].grad.numpy(), rtol=tol,
                                   atol=tol, err_msg=name)
    tstate = torch_module.state_dict()
    for name, b in mg_module.named_buffers():
        np.testing.assert_allclose(b.numpy(), tstate[name].numpy(), rtol=tol, atol=tol,
                                   err_msg=name)


LAYERS = [
    ("Linear", lambda m: m.Linear(5, 3), (4, 5)),
    ("Linear no bias 3-d", lambda m: m.Linear(5, 3, bias=False), (2, 4, 5)),
    ("Conv2d", lambda m: m.Conv2d(2, 3, 3), (2, 2, 6, 5)),
    ("Conv2d stride pad dilation", lambda m: m.Conv2d(2, 3, (3, 2), stride=(2, 1),
                                                       padding=(1, 2), dilation=(1, 2)),
     (2, 2, 7, 6)),
    ("MaxPool2d", lambda m: m.MaxPool2d(2), (2, 3, 4, 6)),
    ("MaxPool2d k3 s2 p1", lambda m: m.MaxPool2d(3, 2, 1), (2, 2, 7, 7)),
    ("AvgPool2d", lambda m: m.AvgPool2d(2), (2, 3, 4, 6)),
    ("AvgPool2d k3 s2 p1 no pad count", lambda m: m.AvgPool2d(3, 2, 1, count_include_pad=False),
     (2, 2, 7, 7)),
    ("BatchNorm1d", lambda m: m.BatchNorm1d(4), (6, 4)),
    ("BatchNorm1d (N,C,L) momentum 0.3", lambda m: m.BatchNorm1d(3, momentum=0.3), (4, 3, 5)),
    ("BatchNorm2d", lambda m: m.BatchNorm2d(3), (2, 3, 4, 4)),
    ("BatchNorm2d momentum None", lambda m: m.BatchNorm2d(3, momentum=None), (2, 3, 4, 4)),
    ("BatchNorm2d no affine", lambda m: m.BatchNorm2d(3, affine=False), (2, 3, 2, 2)),
    ("LayerNorm", lambda m: m.LayerNorm(5), (3, 5)),
    ("LayerNorm 2 axes", lambda m: m.LayerNorm((3, 4)), (2, 3, 4)),
    ("ReLU", lambda m: m.ReLU(), (3, 4)),
    ("LeakyReLU", lambda m: m.LeakyReLU(0.2), (3, 4)),
    ("Tanh", lambda m: m.Tanh(), (3, 4)),
    ("Sigmoid", lambda m: m.Sigmoid(), (3, 4)),
    ("GELU", lambda m: m.GELU(), (3, 4)),
    ("GELU tanh", lambda m: m.GELU("tanh"), (3, 4)),
    ("Softplus", lambda m: m.Softplus(), (3, 4)),
    ("Softplus beta 2 threshold 1", lambda m: m.Softplus(2.0, 1.0), (3, 4)),
    ("ELU", lambda m: m.ELU(0.7), (3, 4)),
    ("Flatten", lambda m: m.Flatten(), (2, 3, 4)),
]


@pytest.mark.parametrize("dtype_name,tol", [("float64", 1e-12), ("float32", 4e-6)])
@pytest.mark.parametrize("name,make,shape", LAYERS, ids=[n for n, _, _ in LAYERS])
def test_layer_matches_torch_in_train_and_eval(name, make, shape, dtype_name, tol):
    torch = pytest.importorskip("torch")
    dtype = getattr(torch, dtype_name)
    np_dtype = np.dtype(dtype_name)
    torch.manual_seed(0)
    tm = make(torch.nn).to(dtype)
    mm = make(nn).to(np_dtype)
    x = np.random.default_rng(1).standard_normal(shape) * 2
    _compare_with_torch(torch, mm, tm, x, dtype, tol, steps=3)  # train: running stats move
    tm.eval()
    mm.eval()
    _compare_with_torch(torch, mm, tm, x * 0.5 + 0.3, dtype, tol)


def test_embedding_matches_torch_with_padding_idx():
    torch = pytest.importorskip("torch")
    te = torch.nn.Embedding(6, 3, padding_idx=2).double()
    me = nn.Embedding(6, 3, padding_idx=2, dtype=np.float64)
    assert not me.weight.numpy()[2].any()
    _copy_from_torch(me, te)
    idx = np.array([[0, 2, 5], [2, 1, 0]])
    g = np.random.default_rng(0).standard_normal((2, 3, 3))
    (te(torch.tensor(idx)) * torch.tensor(g)).sum().backward()
    out = me(mg.tensor(idx))
    (out * mg.tensor(g)).sum().backward()
    np.testing.assert_allclose(out.numpy(), te(torch.tensor(idx)).detach().numpy(), rtol=1e-15)
    np.testing.assert_allclose(me.weight.grad.numpy(), te.weight.grad.numpy(), rtol=1e-12)


def test_embedding_gradient_by_hand():
    me = nn.Embedding(4, 2, padding_idx=1, dtype=np.float64)
    idx = np.array([3, 1, 3, 0])
    g = np.arange(8.0).reshape(4, 2)
    (me(mg.tensor(idx)) * mg.tensor(g)).sum().backward()
    want = np.zeros((4, 2))
    for i, row in zip(idx, g):
        if i != 1:
            want[i] += row
    np.testing.assert_array_equal(me.weight.grad.numpy(), want)


# ---- torch-free references ---------------------------------------------------------------------

def _conv_loops(x, w, b, stride, pad, dil):
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad[0], pad[0]), (pad[1], pad[1])))
    oh = (h + 2 * pad[0] - dil[0] * (kh - 1) - 1) // stride[0] + 1
    ow = (wd + 2 * pad[1] - dil[1] * (kw - 1) - 1) // stride[1] + 1
    out = np.zeros((n, o, oh, ow))
    for i in range(oh):
        for j in range(ow):
            patch = xp[:, :, i * stride[0]:i * stride[0] + dil[0] * (kh - 1) + 1:dil[0],
                       j * stride[1]:j * stride[1] + dil[1] * (kw - 1) + 1:dil[1]]
            out[:, :, i, j] = np.einsum("nckl,ockl->no", patch, w) + b
    return out


@pytest.mark.parametrize("stride,pad,dil", [((1, 1), (0, 0), (1, 1)), ((2, 1), (1, 2), (1, 2)),
                                            ((1, 3), (2, 0), (2, 1))])
def test_conv2d_against_loops(stride, pad, dil, device):
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((2, 3, 7, 8)), rng.standard_normal((4, 3, 3, 2)), rng.standard_normal(4)
    out = F.conv2d(mg.tensor(x, device=device), mg.tensor(w, device=device),
                   mg.tensor(b, device=device), stride, pad, dil)
    np.testing.assert_allclose(out.numpy(), _conv_loops(x, w, b, stride, pad, dil), rtol=1e-12,
                               atol=1e-12)


def test_pooling_against_loops():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 6, 5))
    mx = F.max_pool2d(mg.tensor(x), 3, 2, 1).numpy()
    av = F.avg_pool2d(mg.tensor(x), 3, 2, 1).numpy()
    av_valid = F.avg_pool2d(mg.tensor(x), 3, 2, 1, count_include_pad=False).numpy()
    padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)), constant_values=np.nan)
    for i in range(mx.shape[2]):
        for j in range(mx.shape[3]):
            win = padded[:, :, 2 * i:2 * i + 3, 2 * j:2 * j + 3]
            np.testing.assert_allclose(mx[:, :, i, j], np.nanmax(win, axis=(2, 3)), rtol=1e-15)
            np.testing.assert_allclose(av[:, :, i, j], np.nansum(win, axis=(2, 3)) / 9, rtol=1e-13)
            np.testing.assert_allclose(av_valid[:, :, i, j], np.nanmean(win, axis=(2, 3)),
                                       rtol=1e-13)


def test_max_pool_gradient_goes_to_the_maximum():
    x = mg.tensor(np.array([[[[1.0, 5.0], [3.0, 2.0]]]]), requires_grad=True)
    F.max_pool2d(x, 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[[[0, 1], [0, 0]]]])


def test_batch_norm_running_statistics_by_hand():
    bn = nn.BatchNorm1d(3, momentum=0.2, dtype=np.float64)
    rng = np.random.default_rng(0)
    rm, rv = np.zeros(3), np.ones(3)
    for _ in range(3):
        x = rng.standard_normal((5, 3)) * 3 + 1
        y = bn(mg.tensor(x)).numpy()
        mean, var = x.mean(0), x.var(0)
        np.testing.assert_allclose(y, (x - mean) / np.sqrt(var + 1e-5), rtol=1e-12)
        rm = 0.8 * rm + 0.2 * mean
        rv = 0.8 * rv + 0.2 * x.var(0, ddof=1)   # the running estimate uses the unbiased variance
    np.testing.assert_allclose(bn.running_mean.numpy(), rm, rtol=1e-12)
    np.testing.assert_allclose(bn.running_var.numpy(), rv, rtol=1e-12)
    assert int(bn.num_batches_tracked.item()) == 3
    bn.eval()
    x = rng.standard_normal((4, 3))
    np.testing.assert_allclose(bn(mg.tensor(x)).numpy(), (x - rm) / np.sqrt(rv + 1e-5),
                               rtol=1e-12)
    assert int(bn.num_batches_tracked.item()) == 3


def test_layer_norm_and_normalize_by_hand():
    x = np.random.default_rng(0).standard_normal((3, 4))
    y = F.layer_norm(mg.tensor(x), 4).numpy()
    np.testing.assert_allclose(y, (x - x.mean(1, keepdims=True)) / np.sqrt(
        x.var(1, keepdims=True) + 1e-5), rtol=1e-12)
    z = F.normalize(mg.tensor(x), dim=0).numpy()
    np.testing.assert_allclose(z, x / np.linalg.norm(x, axis=0), rtol=1e-14)
    zero = F.normalize(mg.zeros(2, 3, dtype=np.float64)).numpy()
    assert not zero.any()  # ‖0‖ is clamped to eps: 0, not NaN


def test_activations_by_hand():
    x = np.linspace(-30, 30, 61) + 0.25
    t = mg.tensor(x)
    erf = np.vectorize(math.erf)
    np.testing.assert_allclose(F.gelu(t).numpy(), 0.5 * x * (1 + erf(x / math.sqrt(2))),
                               rtol=1e-15, atol=1e-300)
    np.testing.assert_allclose(F.softplus(t).numpy(),
                               np.where(x > 20, x, np.logaddexp(0, x)), rtol=1e-14, atol=2e-16)
    np.testing.assert_allclose(F.elu(t, 0.5).numpy(), np.where(x > 0, x, 0.5 * np.expm1(x)),
                               rtol=1e-14)
    np.testing.assert_allclose(F.leaky_relu(t).numpy(), np.where(x > 0, x, 0.01 * x))
    # derivative of the exact GELU: Φ(x) + x·φ(x)
    t = mg.tensor(x[25:36], requires_grad=True)
    F.gelu(t).sum().backward()
    u = x[25:36]
    np.testing.assert_allclose(t.grad.numpy(), 0.5 * (1 + erf(u / math.sqrt(2))) + u * np.exp(
        -u * u / 2) / math.sqrt(2 * math.pi), rtol=1e-13, atol=1e-16)


def test_gelu_float32_uses_erff_to_float32_accuracy():
    x = np.linspace(-6, 6, 1001)
    want = 0.5 * x * (1 + np.vectorize(math.erf)(x / math.sqrt(2)))
    got = F.gelu(mg.tensor(x.astype(np.float32))).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)


def test_dropout_is_inverted_and_identity_in_eval():
    mg.manual_seed(0)
    x = mg.ones(200, 100, dtype=np.float64)
    layer = nn.Dropout(0.3)
    y = layer(x).numpy()
    assert set(np.unique(y)) == {0.0, 1 / 0.7}
    assert abs((y == 0).mean() - 0.3) < 0.01   # 20000 draws: sd of the fraction ≈ 0.003
    layer.eval()
    assert layer(x) is x
    assert not F.dropout(x, 1.0).numpy().any()
    x = mg.tensor(np.full((50, 40), 2.0), requires_grad=True)
    y = F.dropout(x, 0.5)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), (y.numpy() != 0) * 2.0)


def test_initialisation_follows_torch():
    mg.manual_seed(0)
    lin = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)
    w, b = lin.weight.numpy(), lin.bias.numpy()
    assert w.shape == (300, 400) and np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound
    assert np.abs(b).max() <= bound and abs(w.std() - bound / math.sqrt(3)) < 0.01 * bound
    conv = nn.Conv2d(8, 4, 3)
    cb = 1 / math.sqrt(8 * 9)
    assert np.abs(conv.weight.numpy()).max() <= cb and np.abs(conv.bias.numpy()).max() <= cb
    w = nn.init.xavier_uniform_(mg.empty(200, 300))
    assert abs(w.numpy().std() - math.sqrt(2 / 500)) < 0.02 * math.sqrt(2 / 500)
    w = nn.init.kaiming_normal_(mg.empty(300, 200), nonlinearity="relu")
    assert abs(w.numpy().std() - math.sqrt(2 / 200)) < 0.02 * math.sqrt(2 / 200)
    w = nn.init.xavier_normal_(mg.empty(200, 300), gain=2.0)
    assert abs(w.numpy().std() - 2 * math.sqrt(2 / 500)) < 0.02 * 2 * math.sqrt(2 / 500)
    w = nn.init.kaiming_uniform_(mg.empty(100, 300), mode="fan_out", nonlinearity="relu")
    assert np.abs(w.numpy()).max() <= math.sqrt(6 / 100)
    assert not nn.init.zeros_(mg.ones(3)).numpy().any()
    assert (nn.init.ones_(mg.zeros(3)).numpy() == 1).all()
    assert nn.init.calculate_gain("tanh") == 5 / 3
    e = nn.Embedding(100, 50).weight.numpy()
    assert abs(e.std() - 1) < 0.03


# ---- bad input ---------------------------------------------------------------------------------

def test_bad_inputs_name_the_values():
    with pytest.raises(ValueError, match=r"in_features=7.*is 6"):
        nn.Linear(7, 4)(mg.randn(3, 6))
    with pytest.raises(ValueError, match=r"expects 3 input channels, got 2"):
        nn.Conv2d(3, 4, 3)(mg.randn(1, 2, 5, 5))
    with pytest.raises(ValueError, match=r"4-D input.*\(5,\)"):   # 3-D is unbatched (C, H, W)
        nn.MaxPool2d(2)(mg.randn(5))
    with pytest.raises(ValueError, match=r"4-D input.*\(5, 5\)"):
        nn.AvgPool2d(2)(mg.randn(5, 5))
    with pytest.raises(ValueError, match="-0.1"):
        nn.Dropout(-0.1)
    with pytest.raises(ValueError, match="1.5"):
        F.dropout(mg.randn(3), 1.5)
    with pytest.raises(ValueError, match=r"BatchNorm2d\(3\).*2 channels"):
        nn.BatchNorm2d(3)(mg.randn(2, 2, 3, 3))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        nn.BatchNorm1d(3)(mg.randn(1, 3))
    with pytest.raises(IndexError, match="index 7 is out of range for 5"):
        nn.Embedding(5, 2)(mg.tensor([1, 7]))
    with pytest.raises(ValueError, match=r"normalized_shape \(4,\)"):
        nn.LayerNorm(4)(mg.randn(3, 5))
    with pytest.raises(ValueError, match="larger than the padded input"):
        F.conv2d(mg.randn(1, 1, 2, 2), mg.randn(1, 1, 3, 3))
    with pytest.raises(TypeError, match="stride"):
        F.conv2d(mg.randn(1, 1, 4, 4), mg.randn(1, 1, 3, 3), stride=1.5)
