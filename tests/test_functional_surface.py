"""Issue 12 (func): the torch.nn.functional surface that ported programs use — unbatched conv and
pooling inputs, conv groups / "same" / "valid" / padding modes, Conv1d, pad, ceil_mode and
return_indices, adaptive average pooling, normalize with p ≠ 2, cosine_similarity, one_hot,
SiLU / Mish, cross-entropy with probability targets and label smoothing.

Against torch (values and gradients, float64 and float32) where it is installed; against
hand-written numpy everywhere; bad input named. (Gradcheck and gradgradcheck of every new path:
minigrad/nn/_cases.py; random draws against torch: tests/_differential_registry.py.)
"""
import math

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn.functional as F
from minigrad.nn.activation import Mish, SiLU
from minigrad.nn.conv import Conv1d, Conv2d
from minigrad.nn.loss import CrossEntropyLoss
from minigrad.nn.pooling import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d

def _t(a, grad=True):
    return mg.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


# ---- modules against torch: same weights -> same outputs, input and parameter gradients -------

MODULES = [
    ("Conv2d groups 2 same", lambda m: m.Conv2d(4, 6, (4, 3), padding="same", groups=2),
     (2, 4, 5, 6)),
    ("Conv2d depthwise valid no bias", lambda m: m.Conv2d(3, 6, 3, padding="valid", groups=3,
                                                          bias=False), (2, 3, 5, 5)),
    ("Conv2d reflect", lambda m: m.Conv2d(2, 3, 3, padding=1, padding_mode="reflect"),
     (2, 2, 4, 5)),
    ("Conv2d replicate same dilation", lambda m: m.Conv2d(2, 3, 2, padding="same", dilation=3,
                                                          padding_mode="replicate"),
     (1, 2, 5, 4)),
    ("Conv2d circular stride", lambda m: m.Conv2d(2, 2, 3, 2, (1, 2),
                                                  padding_mode="circular"), (2, 2, 5, 5)),
    ("Conv2d unbatched", lambda m: m.Conv2d(2, 3, 3, padding=1), (2, 5, 4)),
    ("Conv1d groups stride dilation", lambda m: m.Conv1d(4, 2, 3, 2, 2, 2, groups=2),
     (3, 4, 9)),
    ("Conv1d same unbatched", lambda m: m.Conv1d(3, 4, 4, padding="same"), (3, 7)),
    ("Conv1d circular", lambda m: m.Conv1d(2, 3, 3, padding=2, padding_mode="circular"),
     (2, 2, 6)),
    ("MaxPool2d ceil_mode pad", lambda m: m.MaxPool2d(3, 2, 1, ceil_mode=True), (2, 3, 6, 7)),
    ("MaxPool2d unbatched", lambda m: m.MaxPool2d(2), (3, 5, 4)),
    ("AvgPool2d ceil_mode", lambda m: m.AvgPool2d(3, 2, 1, ceil_mode=True), (2, 3, 6, 7)),
    ("AvgPool2d ceil_mode no pad count", lambda m: m.AvgPool2d(2, 2, 1, ceil_mode=True,
                                                               count_include_pad=False),
     (2, 2, 5, 6)),
    ("AvgPool2d unbatched", lambda m: m.AvgPool2d(2, ceil_mode=True), (3, 5, 5)),
    ("AdaptiveAvgPool2d 1", lambda m: m.AdaptiveAvgPool2d(1), (2, 3, 5, 6)),
    ("AdaptiveAvgPool2d (3, 4)", lambda m: m.AdaptiveAvgPool2d((3, 4)), (2, 3, 7, 5)),
    ("AdaptiveAvgPool2d (None, 2) unbatched", lambda m: m.AdaptiveAvgPool2d((None, 2)),
     (3, 4, 5)),
    ("SiLU", lambda m: m.SiLU(), (3, 4)),
    ("Mish", lambda m: m.Mish(), (3, 4)),
]

_OURS = dict(Conv2d=Conv2d, Conv1d=Conv1d, MaxPool2d=MaxPool2d, AvgPool2d=AvgPool2d,
             AdaptiveAvgPool2d=AdaptiveAvgPool2d, SiLU=SiLU, Mish=Mish)


class _Ours:
    """minigrad.nn's new classes by name (imported from their files, whatever nn exports)."""

    def __getattr__(self, name):
        return _OURS[name]


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")  # torch's
@pytest.mark.parametrize("dtype_name,tol", [("float64", 1e-12), ("float32", 4e-6)])
@pytest.mark.parametrize("name,make,shape", MODULES, ids=[m[0] for m in MODULES])
def test_module_matches_torch(name, make, shape, dtype_name, tol):
    rng = np.random.default_rng(1)
    torch = pytest.importorskip("torch")
    dtype, np_dtype = getattr(torch, dtype_name), np.dtype(dtype_name)
    torch.manual_seed(0)
    tm = make(torch.nn).to(dtype)
    mm = make(_Ours()).to(np_dtype)
    assert repr(mm) == repr(tm)
    mm.load_state_dict({k: v.detach().numpy() for k, v in tm.state_dict().items()})
    x = rng.standard_normal(shape)
    xt = torch.tensor(x, dtype=dtype, requires_grad=True)
    xm = mg.tensor(x.astype(np_dtype), requires_grad=True)
    yt, ym = tm(xt), mm(xm)
    assert ym.shape == tuple(yt.shape) and ym.dtype == np_dtype
    g = rng.standard_normal(ym.shape)
    (yt * torch.tensor(g, dtype=dtype)).sum().backward()
    (ym * mg.tensor(g.astype(np_dtype))).sum().backward()
    np.testing.assert_allclose(ym.numpy(), yt.detach().numpy(), rtol=tol, atol=tol)
    np.testing.assert_allclose(xm.grad.numpy(), xt.grad.numpy(), rtol=tol, atol=tol)
    tparams = dict(tm.named_parameters())
    for pname, p in mm.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), tparams[pname].grad.numpy(), rtol=tol,
                                   atol=tol, err_msg=pname)


def test_conv_initialisation_follows_torch_with_groups():
    for conv in (Conv2d(4, 6, 3, groups=2), Conv1d(6, 3, 5, groups=3)):
        fan_in = conv.weight.shape[1] * math.prod(conv.weight.shape[2:])
        bound = 1 / math.sqrt(fan_in)
        assert conv.weight.shape[1] == conv.in_channels // conv.groups
        assert np.abs(conv.weight.numpy()).max() <= bound
        assert np.abs(conv.bias.numpy()).max() <= bound


def test_max_pool2d_return_indices_match_torch():
    rng = np.random.default_rng(2)
    torch = pytest.importorskip("torch")
    for shape, kw in [((2, 3, 7, 6), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
                      ((3, 5, 5), dict(kernel_size=2, ceil_mode=True)),
                      ((1, 2, 8, 7), dict(kernel_size=3, stride=2, padding=1, dilation=2))]:
        x = np.round(rng.standard_normal(shape), 1)            # rounded: ties in windows
        vm, im = F.max_pool2d(mg.tensor(x), return_indices=True, **kw)
        vt, it = torch.nn.functional.max_pool2d(torch.tensor(x), return_indices=True, **kw)
        np.testing.assert_array_equal(vm.numpy(), vt.numpy())
        assert im.dtype == np.int64
        np.testing.assert_array_equal(im.numpy(), it.numpy())
    m, i = MaxPool2d(2, return_indices=True)(mg.randn(1, 1, 4, 4))
    assert m.shape == i.shape == (1, 1, 2, 2)


def test_cross_entropy_loss_module_with_probabilities_and_smoothing_matches_torch():
    rng = np.random.default_rng(3)
    torch = pytest.importorskip("torch")
    x = rng.standard_normal((5, 4, 2))
    probs = rng.dirichlet(np.ones(4), size=(5, 2)).transpose(0, 2, 1)
    w = rng.uniform(0.5, 2.0, 4)
    labels = np.array([[0, 3], [1, 1], [2, -100], [3, 0], [1, 2]])
    for target, kw in [(probs, {}), (labels, dict(ignore_index=-100))]:
        for red in ("mean", "sum", "none"):
            tm = torch.nn.CrossEntropyLoss(torch.tensor(w), reduction=red, label_smoothing=0.15,
                                           **kw)
            mm = CrossEntropyLoss(mg.tensor(w), reduction=red, label_smoothing=0.15, **kw)
            xt, xm = torch.tensor(x, requires_grad=True), _t(x)
            tt = torch.tensor(target, requires_grad=target.dtype.kind == "f")
            tmg = mg.tensor(target, requires_grad=target.dtype.kind == "f")
            lt, lm = tm(xt, tt), mm(xm, tmg)
            g = rng.standard_normal(lm.shape)
            (lt * torch.tensor(g)).sum().backward()
            (lm * mg.tensor(g)).sum().backward()
            np.testing.assert_allclose(lm.numpy(), lt.detach().numpy(), rtol=1e-13, atol=1e-15)
            np.testing.assert_allclose(xm.grad.numpy(), xt.grad.numpy(), rtol=1e-12, atol=1e-15)
            if target.dtype.kind == "f":
                np.testing.assert_allclose(tmg.grad.numpy(), tt.grad.numpy(), rtol=1e-12)


def test_unbatched_inputs_equal_a_batch_of_one():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 5, 6))
    w = rng.standard_normal((3, 2, 3, 3))
    cases = [(lambda v: F.conv2d(v, mg.tensor(w), padding="same")),
             (lambda v: F.max_pool2d(v, 3, 2, 1, ceil_mode=True)),
             (lambda v: F.avg_pool2d(v, 2, ceil_mode=True)),
             (lambda v: F.adaptive_avg_pool2d(v, (2, 4)))]
    for fn in cases:
        np.testing.assert_array_equal(fn(mg.tensor(x)).numpy(), fn(mg.tensor(x[None])).numpy()[0])
    values, index = F.max_pool2d(mg.tensor(x), 2, return_indices=True)
    assert values.shape == index.shape == (2, 2, 3)
    s = rng.standard_normal(4)
    for target in (mg.tensor(2), mg.tensor(np.array([0.1, 0.2, 0.3, 0.4]))):
        assert F.cross_entropy(mg.tensor(s), target, reduction="none").shape == ()
        np.testing.assert_allclose(F.cross_entropy(mg.tensor(s), target).numpy(),
                                   F.cross_entropy(mg.tensor(s[None]), target[None]).numpy(),
                                   rtol=1e-15)
    assert F.linear(mg.tensor(s), mg.randn(3, 4, dtype=np.float64)).shape == (3,)


# ---- convolution by hand ---------------------------------------------------------------------

def test_grouped_conv_is_the_groups_convolved_apart():
    rng = np.random.default_rng(5)
    x, w, b = rng.standard_normal((2, 6, 5, 5)), rng.standard_normal((4, 3, 3, 2)), \
        rng.standard_normal(4)
    out = F.conv2d(mg.tensor(x), mg.tensor(w), mg.tensor(b), padding=(1, 0), groups=2).numpy()
    for g in range(2):
        part = F.conv2d(mg.tensor(x[:, 3 * g:3 * g + 3]), mg.tensor(w[2 * g:2 * g + 2]),
                        mg.tensor(b[2 * g:2 * g + 2]), padding=(1, 0)).numpy()
        np.testing.assert_allclose(out[:, 2 * g:2 * g + 2], part, rtol=1e-13, atol=1e-13)


def test_depthwise_conv_by_hand():
    rng = np.random.default_rng(6)
    x, w = rng.standard_normal((1, 3, 4, 4)), rng.standard_normal((3, 1, 2, 2))
    out = F.conv2d(mg.tensor(x), mg.tensor(w), groups=3).numpy()
    for c in range(3):
        for i in range(3):
            for j in range(3):
                assert out[0, c, i, j] == pytest.approx((x[0, c, i:i + 2, j:j + 2] * w[c, 0]).sum(),
                                                        rel=1e-13)


@pytest.mark.parametrize("kernel,dilation", [((3, 3), (1, 1)), ((4, 2), (1, 1)),
                                             ((2, 3), (3, 2)), ((1, 4), (1, 1))])
def test_same_padding_keeps_the_size_with_the_odd_zero_after(kernel, dilation):
    rng = np.random.default_rng(7)
    x, w = rng.standard_normal((1, 2, 5, 6)), rng.standard_normal((3, 2) + kernel)
    out = F.conv2d(mg.tensor(x), mg.tensor(w), padding="same", dilation=dilation).numpy()
    assert out.shape == (1, 3, 5, 6)
    total = [d * (k - 1) for k, d in zip(kernel, dilation)]
    padded = np.pad(x, ((0, 0), (0, 0), (total[0] // 2, total[0] - total[0] // 2),
                        (total[1] // 2, total[1] - total[1] // 2)))
    want = F.conv2d(mg.tensor(padded), mg.tensor(w), dilation=dilation).numpy()
    np.testing.assert_allclose(out, want, rtol=1e-13, atol=1e-13)
    np.testing.assert_array_equal(
        F.conv2d(mg.tensor(x), mg.tensor(w), padding="valid", dilation=dilation).numpy(),
        F.conv2d(mg.tensor(x), mg.tensor(w), dilation=dilation).numpy())


def test_conv1d_is_conv2d_over_a_height_of_one():
    rng = np.random.default_rng(8)
    x, w, b = rng.standard_normal((2, 4, 9)), rng.standard_normal((6, 2, 3)), rng.standard_normal(6)
    out = F.conv1d(mg.tensor(x), mg.tensor(w), mg.tensor(b), 2, 1, 2, groups=2).numpy()
    want = F.conv2d(mg.tensor(x[:, :, None]), mg.tensor(w[:, :, None]), mg.tensor(b), (1, 2),
                    (0, 1), (1, 2), groups=2).numpy()[:, :, 0]
    np.testing.assert_array_equal(out, want)


def test_padding_modes_by_hand():
    x = np.arange(12.0).reshape(1, 3, 4)
    np.testing.assert_array_equal(F.pad(mg.tensor(x), (2, 1), mode="reflect").numpy(),
                                  np.pad(x, ((0, 0), (0, 0), (2, 1)), mode="reflect"))
    np.testing.assert_array_equal(F.pad(mg.tensor(x), (1, 3), mode="replicate").numpy(),
                                  np.pad(x, ((0, 0), (0, 0), (1, 3)), mode="edge"))
    np.testing.assert_array_equal(F.pad(mg.tensor(x), (1, 2, 2, 0), mode="circular").numpy(),
                                  np.pad(x, ((0, 0), (2, 0), (1, 2)), mode="wrap"))
    np.testing.assert_array_equal(F.pad(mg.tensor(x), (1, -1, 0, 1), value=7.0).numpy(),
                                  np.pad(x[:, :, :-1], ((0, 0), (0, 1), (1, 0)),
                                         constant_values=7.0))
    # the gradient of a copy goes back to its source: [x2 x1 | x0 x1 x2 x3 | x2]
    v = _t([1.0, 2.0, 3.0, 4.0])
    F.pad(v.reshape(1, 4), (2, 1), mode="reflect").sum().backward()
    np.testing.assert_array_equal(v.grad.numpy(), [1, 2, 3, 1])


# ---- pooling by hand -------------------------------------------------------------------------

@pytest.mark.parametrize("size,k,s,p", [(5, 2, 2, 0), (6, 3, 2, 1), (7, 3, 3, 1), (4, 2, 3, 0),
                                        (5, 3, 2, 1), (1, 2, 2, 1), (8, 4, 3, 2)])
def test_ceil_mode_output_size_rule(size, k, s, p):
    rng = np.random.default_rng(9)
    x = mg.tensor(rng.standard_normal((1, 1, size, size)))
    floor = (size + 2 * p - k) // s + 1
    ceil = -(-(size + 2 * p - k) // s) + 1
    if (ceil - 1) * s >= size + p:   # the last window must start inside the input or left pad
        ceil -= 1
    assert F.max_pool2d(x, k, s, p, ceil_mode=True).shape[2:] == (ceil, ceil)
    assert F.avg_pool2d(x, k, s, p, ceil_mode=True).shape[2:] == (ceil, ceil)
    assert F.max_pool2d(x, k, s, p).shape[2:] == (floor, floor)


def test_ceil_mode_average_divisors_by_hand():
    x = np.ones((1, 1, 5, 5))
    # k=2, s=2, ceil: the last window covers one input column and nothing else
    out = F.avg_pool2d(mg.tensor(x * 4.0), 2, ceil_mode=True).numpy()[0, 0]
    np.testing.assert_array_equal(out, np.full((3, 3), 4.0))
    # k=3, s=2, p=1, ceil (6 → 4): the last window runs past the right padding; the divisor
    # counts the padding (count_include_pad) but not what lies beyond it
    out = F.avg_pool2d(mg.tensor(np.ones((1, 1, 6, 6))), 3, 2, 1, ceil_mode=True).numpy()[0, 0]
    np.testing.assert_allclose(out[0], [4 / 9, 6 / 9, 6 / 9, 2 / 6], rtol=1e-15)
    # the last window (rows 5, 6, 7): row 5 inside, row 6 padding, row 7 beyond: 1·1 / (2·2)
    np.testing.assert_allclose(out[3, 3], 1 / 4, rtol=1e-15)
    out = F.avg_pool2d(mg.tensor(np.ones((1, 1, 6, 6))), 3, 2, 1, ceil_mode=True,
                       count_include_pad=False).numpy()
    np.testing.assert_array_equal(out, np.ones((1, 1, 4, 4)))


def test_max_pool_chooses_as_torchs_kernel():
    nan, inf = float("nan"), float("inf")
    # two NaNs in a window: the last one gets the gradient (and is the index)
    x = _t([[[[nan, 1.0, nan, 2.0]]]])
    out, index = F.max_pool2d(x, (1, 4), return_indices=True)
    out.sum().backward()
    assert np.isnan(out.item()) and index.item() == 2
    np.testing.assert_array_equal(x.grad.numpy(), [[[[0, 0, 1, 0]]]])
    # a window of −inf beside the padding: the first entry inside the input, not the padding
    x = _t([[[[-inf, -inf, 3.0]]]])
    out, index = F.max_pool2d(x, (1, 2), (1, 2), (0, 1), return_indices=True)
    out.sum().backward()
    np.testing.assert_array_equal(out.numpy(), [[[[-inf, 3.0]]]])
    np.testing.assert_array_equal(index.numpy(), [[[[0, 2]]]])
    np.testing.assert_array_equal(x.grad.numpy(), [[[[1, 0, 1]]]])
    # ties: the first maximum, row by row
    x = _t([[[[1.0, 2.0], [2.0, 0.0]]]])
    out, index = F.max_pool2d(x, 2, return_indices=True)
    assert index.item() == 1


@pytest.mark.parametrize("size,out", [(6, 3), (7, 3), (5, 4), (3, 5), (10, 1), (4, 4), (1, 3)])
def test_adaptive_windows_by_hand(size, out):
    rng = np.random.default_rng(10)
    x = rng.standard_normal((2, 1, size, size + 1))
    got = F.adaptive_avg_pool2d(mg.tensor(x), (out, 2)).numpy()
    for i in range(out):
        h0, h1 = (i * size) // out, -(-((i + 1) * size) // out)
        for j in range(2):
            w0, w1 = (j * (size + 1)) // 2, -(-((j + 1) * (size + 1)) // 2)
            np.testing.assert_allclose(got[:, 0, i, j], x[:, 0, h0:h1, w0:w1].mean(axis=(1, 2)),
                                       rtol=1e-13)


def test_global_average_pooling_gradient_is_uniform():
    rng = np.random.default_rng(11)
    x = _t(rng.standard_normal((2, 3, 4, 5)))
    F.adaptive_avg_pool2d(x, 1).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.full((2, 3, 4, 5), 1 / 20), rtol=1e-15)
    y = _t(rng.standard_normal((1, 1, 5, 3)))
    F.adaptive_avg_pool2d(y, (3, 3)).sum().backward()     # windows 0:2, 1:4, 3:5 overlap
    np.testing.assert_allclose(y.grad.numpy()[0, 0, :, 0], [1 / 2, 1 / 2 + 1 / 3, 1 / 3,
                                                            1 / 3 + 1 / 2, 1 / 2], rtol=1e-15)
    # an empty batch pools to an empty batch; an empty H or W to NaN (0/0)
    assert F.adaptive_avg_pool2d(mg.zeros(0, 2, 4, 4), 2).shape == (0, 2, 2, 2)
    assert np.isnan(F.adaptive_avg_pool2d(mg.zeros(1, 1, 0, 3), 1).numpy()).all()


# ---- normalize, cosine_similarity --------------------------------------------------------------

@pytest.mark.parametrize("p", [1, 3, 0.5, 1.5, -1.0, math.inf, -math.inf, 0])
def test_normalize_with_p_by_hand(p):
    rng = np.random.default_rng(12)
    x = rng.standard_normal((3, 4))
    x[0, 2] = 0.0
    a = np.abs(x)
    if math.isinf(p):
        n = a.max(axis=1, keepdims=True) if p > 0 else a.min(axis=1, keepdims=True)
    elif p == 0:
        n = (a != 0).sum(axis=1, keepdims=True)
    else:
        with np.errstate(divide="ignore"):
            n = (a ** p).sum(axis=1, keepdims=True) ** (1 / p)
    np.testing.assert_allclose(F.normalize(mg.tensor(x), p).numpy(),
                               x / np.maximum(n, 1e-12), rtol=1e-13)


def test_normalize_subgradients_are_torchs():
    rng = np.random.default_rng(13)
    # p = 1 at a zero entry: sign(0) = 0; p < 1 at a zero entry: 0 (not ∞); a zero vector: 0
    for p in (1, 0.5, 3):
        x = _t([[0.0, 2.0, -1.0], [0.0, 0.0, 0.0]])
        y = F.normalize(x, p)
        (y * mg.tensor(rng.standard_normal((2, 3)))).sum().backward()
        assert np.isfinite(x.grad.numpy()).all()
    # p = ∞ with tied largest entries: the norm's gradient is shared between them
    x = _t([3.0, -3.0, 1.0])
    n = mg.ops.norm.lp_norm(x, math.inf, 0)
    n.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.5, -0.5, 0.0])
    # ‖x‖ = eps exactly: the whole gradient goes through the norm, as torch's clamp_min
    x = _t([0.0, -0.5])
    (F.normalize(x, 2, 0, eps=0.5) * _t([1.0, 2.0], grad=False)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 0.0], atol=1e-15)


def test_normalize_and_norm_of_huge_values_scale_before_the_power():
    for p in (3, 0.5):
        np.testing.assert_allclose(F.normalize(_t([1e300, 1e300]), p, 0).detach().numpy(),
                                   np.full(2, 2 ** (-1 / p)), rtol=1e-14)


def test_cosine_similarity_by_hand_and_deliberate_gradient_below_eps():
    rng = np.random.default_rng(14)
    a, b = rng.standard_normal((2, 3, 4)), rng.standard_normal((3, 1))
    got = F.cosine_similarity(mg.tensor(a), mg.tensor(b), dim=1).numpy()
    bb = np.broadcast_to(b, a.shape)
    want = (a * bb).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(bb, axis=1))
    np.testing.assert_allclose(got, want, rtol=1e-14, atol=1e-15)
    # below eps the value is x1·x̂2/eps: its derivative (gradcheck holds), not torch's
    small = np.array([3e-9, -4e-9])
    assert mg.gradcheck(lambda u, v: F.cosine_similarity(u, v, dim=0),
                        [_t(small), _t([1.0, 2.0])], eps=1e-12, atol=1e-6)
    assert F.cosine_similarity(_t([1e300, 1e300]), _t([2.0, 2.0]), 0).item() \
        == pytest.approx(1.0, rel=1e-14)


# ---- one_hot, silu, mish, soft targets -------------------------------------------------------

def test_one_hot_by_hand():
    out = F.one_hot(mg.tensor([[0, 2], [1, 1]]))
    assert out.dtype == np.int64 and out.shape == (2, 2, 3) and not out.requires_grad
    np.testing.assert_array_equal(out.numpy(), np.eye(3, dtype=np.int64)[[[0, 2], [1, 1]]])
    assert F.one_hot(mg.tensor(1), 4).tolist() == [0, 1, 0, 0]
    assert F.one_hot(mg.tensor(np.zeros(0, np.int64)), 3).shape == (0, 3)
    # any integer dtype (torch: int64 only), always an int64 result
    assert F.one_hot(mg.tensor(np.array([2], np.int32)), 3).dtype == np.int64


def test_silu_and_mish_by_hand():
    x = np.linspace(-30, 30, 61)
    sig = 1 / (1 + np.exp(-x))
    np.testing.assert_allclose(F.silu(mg.tensor(x)).numpy(), x * sig, rtol=1e-14, atol=1e-300)
    # softplus's accuracy is absolute (no log1p): far left only a few relative digits
    np.testing.assert_allclose(F.mish(mg.tensor(x)).numpy(), x * np.tanh(np.logaddexp(0, x)),
                               rtol=1e-13, atol=1e-14)


def test_cross_entropy_probability_targets_by_hand():
    rng = np.random.default_rng(15)
    x, w = rng.standard_normal((4, 3)), np.array([0.5, 1.0, 2.0])
    q = rng.dirichlet(np.ones(3), size=4)
    logp = x - np.log(np.exp(x).sum(1, keepdims=True))
    eps = 0.2
    per_row = -(w * ((1 - eps) * q + eps / 3) * logp).sum(1)
    got = F.cross_entropy(mg.tensor(x), mg.tensor(q), mg.tensor(w), label_smoothing=eps)
    assert got.item() == pytest.approx(per_row.mean(), rel=1e-14)   # rows, not weights, divide
    got = F.cross_entropy(mg.tensor(x), mg.tensor(q), reduction="none", label_smoothing=eps)
    np.testing.assert_allclose(got.numpy(), -(((1 - eps) * q + eps / 3) * logp).sum(1),
                               rtol=1e-14)
    # one-hot probabilities are the class indices
    onehot = np.eye(3)[[0, 2, 1, 1]]
    assert F.cross_entropy(mg.tensor(x), mg.tensor(onehot)).item() == pytest.approx(
        F.cross_entropy(mg.tensor(x), mg.tensor([0, 2, 1, 1])).item(), rel=1e-14)
    assert math.isnan(F.cross_entropy(mg.tensor(np.zeros((0, 3))),
                                      mg.tensor(np.zeros((0, 3)))).item())


# ---- bad input -------------------------------------------------------------------------------

def _img(*shape):
    return mg.randn(*(shape or (1, 2, 5, 5)), dtype=np.float64)


BAD = [
    ("same with stride", lambda: F.conv2d(_img(), _img(3, 2, 3, 3), stride=2, padding="same"),
     ValueError, "'same' is not supported for strided"),
    ("padding string", lambda: F.conv2d(_img(), _img(3, 2, 3, 3), padding="full"),
     ValueError, "invalid padding string 'full'"),
    ("groups and channels", lambda: F.conv2d(_img(1, 3, 5, 5), _img(4, 2, 3, 3), groups=2),
     ValueError, r"expects 4 input channels .* has 3"),
    ("groups and outputs", lambda: F.conv2d(_img(1, 4, 5, 5), _img(3, 2, 3, 3), groups=2),
     ValueError, "groups=2 must divide the 3 output"),
    ("groups 0", lambda: F.conv2d(_img(), _img(3, 2, 3, 3), groups=0), ValueError, "groups"),
    ("bias shape", lambda: F.conv2d(_img(), _img(3, 2, 3, 3), _img(2)), ValueError,
     r"bias must have shape \(3,\)"),
    ("conv1d 4-D weight", lambda: F.conv1d(_img(1, 2, 5), _img(3, 2, 3, 3)), ValueError,
     r"conv1d .*\(3, 2, 3, 3\)"),
    ("Conv2d groups", lambda: Conv2d(3, 4, 3, groups=2), ValueError,
     "in_channels=3 must be divisible by groups=2"),
    ("Conv2d padding_mode", lambda: Conv2d(3, 4, 3, padding_mode="mirror"), ValueError,
     "padding_mode .* 'mirror'"),
    ("Conv1d same stride", lambda: Conv1d(3, 4, 3, stride=2, padding="same"), ValueError,
     "strided"),
    ("pad odd length", lambda: F.pad(_img(), (1, 2, 3)), ValueError, r"\(1, 2, 3\)"),
    ("pad mode", lambda: F.pad(_img(), (1, 1), mode="mirror"), ValueError, "'mirror'"),
    ("pad reflect too far", lambda: F.pad(_img(2, 5), (5, 0), mode="reflect"), ValueError,
     "less than the size 5"),
    ("pad circular too far", lambda: F.pad(_img(2, 5), (6, 0), mode="circular"), ValueError,
     "at most the size 5"),
    ("pad reflect dims", lambda: F.pad(_img(5), (1, 1), mode="reflect"), ValueError,
     r"shape \(5,\)"),
    ("pad crop too much", lambda: F.pad(_img(), (-3, -3)), ValueError, "remove 6"),
    ("pad value with reflect", lambda: F.pad(_img(), (1, 1), mode="reflect", value=2.0),
     ValueError, "takes no value"),
    ("adaptive output", lambda: F.adaptive_avg_pool2d(_img(), (1, 2, 3)), ValueError,
     "output_size"),
    ("pool 2-D input", lambda: F.avg_pool2d(_img(5, 5), 2), ValueError, r"3-D .*\(5, 5\)"),
    ("adaptive 2-D input", lambda: F.adaptive_avg_pool2d(_img(5, 5), 1), ValueError,
     r"3-D .*\(5, 5\)"),
    ("normalize p string", lambda: F.normalize(_img(), "fro"), TypeError, "'fro'"),
    ("normalize dim", lambda: F.normalize(_img(3), dim=1), ValueError, "dim 1"),
    ("normalize -inf empty", lambda: F.normalize(mg.zeros(2, 0), -math.inf), ValueError,
     "empty axis"),
    ("cosine shapes", lambda: F.cosine_similarity(_img(2, 3), _img(4, 3)), ValueError,
     r"\(2, 3\) and x2 \(4, 3\)"),
    ("one_hot negative", lambda: F.one_hot(mg.tensor([0, -1])), ValueError, "non-negative"),
    ("one_hot too large", lambda: F.one_hot(mg.tensor([0, 3]), 3), ValueError,
     r"smaller than num_classes \(3\), got 3"),
    ("one_hot empty", lambda: F.one_hot(mg.tensor(np.zeros(0, np.int64))), ValueError,
     "empty"),
    ("one_hot float", lambda: F.one_hot(mg.tensor([1.0])), TypeError, "integer"),
    ("soft target of int dtype", lambda: F.cross_entropy(_img(2, 3), mg.tensor([[0, 1, 0]] * 2)),
     TypeError, "probabilities and must be floating"),
    ("soft target ignore_index", lambda: F.cross_entropy(_img(2, 3), _img(2, 3),
                                                         ignore_index=1),
     ValueError, "ignore_index"),
    ("float target of another shape", lambda: F.cross_entropy(_img(2, 3), _img(2)), TypeError,
     r"class probabilities need the input's shape \(2, 3\)"),
]


@pytest.mark.parametrize("name,call,error,message", BAD, ids=[b[0] for b in BAD])
def test_bad_input_is_named(name, call, error, message):
    with pytest.raises(error, match=message):
        call()
