"""conv2d's fused Function (ops/conv.py Conv2d: im2col, one GEMM, the bias added as the result
moves to (N, O, OH, OW), backward on the arrays) against its readable version written with ops
(nn/_conv_functions.py _convolve_by_ops), and against torch."""
import numpy as np
import pytest

import minigrad as mg
import minigrad.nn.functional as F
from minigrad.nn import _conv_functions
from minigrad.ops import conv as conv_ops

CASES = [  # (input shape, weight shape, stride, padding, dilation)
    ((4, 1, 12, 12), (6, 1, 5, 5), (1, 1), (2, 2), (1, 1)),      # LeNet's first layer, smaller
    ((3, 6, 7, 7), (16, 6, 5, 5), (1, 1), (0, 0), (1, 1)),
    ((2, 3, 9, 8), (4, 3, 3, 2), (2, 1), (1, 0), (1, 2)),
    ((1, 2, 5, 6), (3, 2, 1, 1), (2, 2), (0, 0), (1, 1)),
    ((2, 3, 7, 5), (5, 3, 3, 3), (3, 2), (2, 1), (2, 1))]


def _pair_of_runs(case, dtype, with_bias, seed=0):
    """Output and gradients of the fused Conv2d and of the ops version at the same inputs."""
    shape, wshape, stride, padding, dilation = case
    rng = np.random.default_rng(seed)
    x_np = rng.standard_normal(shape).astype(dtype)
    w_np = rng.standard_normal(wshape).astype(dtype)
    b_np = rng.standard_normal(wshape[0]).astype(dtype)
    results = []
    for fused in (True, False):
        x, w = mg.tensor(x_np, requires_grad=True), mg.tensor(w_np, requires_grad=True)
        b = mg.tensor(b_np, requires_grad=True) if with_bias else None
        if fused:
            out = conv_ops.Conv2d.apply(x, w, b, stride, padding, dilation)
        else:
            out = _conv_functions._convolve_by_ops(x, w, b, stride, padding, dilation, 1)
        g = mg.tensor(np.random.default_rng(seed + 1).standard_normal(out.shape).astype(dtype))
        out.backward(g)
        results.append([out.numpy(), x.grad.numpy(), w.grad.numpy()] +
                       ([b.grad.numpy()] if with_bias else []))
    return results


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("with_bias", [True, False])
def test_fused_conv2d_agrees_with_its_readable_version(case, dtype, with_bias):
    fused, by_ops = _pair_of_runs(case, dtype, with_bias)
    tol = dict(rtol=1e-5, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-12)
    for a, b in zip(fused, by_ops):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, **tol)


@pytest.mark.parametrize("chunk_bytes", [1, 3 * 18 * 30 * 8, 1 << 30])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_chunks_of_images_give_the_same_result(monkeypatch, chunk_bytes, dtype):
    """On the CPU the batch is done in chunks of images: one image per chunk, 3 per chunk
    (7 = 3 + 3 + 1 images), or all in one, the results agree with the ops version."""
    monkeypatch.setattr(conv_ops, "PATCH_CHUNK_BYTES", chunk_bytes)
    case = ((7, 2, 6, 7), (3, 2, 3, 3), (1, 1), (1, 0), (1, 1))    # 18 taps, 6·5 = 30 positions
    fused, by_ops = _pair_of_runs(case, dtype, True, seed=4)
    tol = dict(rtol=1e-5, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-12)
    for a, b in zip(fused, by_ops):
        np.testing.assert_allclose(a, b, **tol)


def test_image_chunks():
    assert conv_ops._image_chunks(7, 100, np) == [(0, 7)]
    assert conv_ops._image_chunks(7, conv_ops.PATCH_CHUNK_BYTES // 3, np) == [(0, 3), (3, 6),
                                                                               (6, 7)]
    assert conv_ops._image_chunks(2, 10 * conv_ops.PATCH_CHUNK_BYTES, np) == [(0, 1), (1, 2)]
    assert conv_ops._image_chunks(0, 100, np) == [(0, 0)]


def test_fused_conv2d_output_and_weight_gradient_are_c_contiguous():
    x = mg.randn(2, 3, 6, 6, requires_grad=True)
    w = mg.randn(4, 3, 3, 3, requires_grad=True)
    out = F.conv2d(x, w, mg.randn(4, requires_grad=True), padding=1)
    assert out.array.flags.c_contiguous and out.grad_fn is not None
    out.sum().backward()
    assert w.grad.array.flags.c_contiguous and x.grad.array.flags.c_contiguous


def test_edge_values_pass_as_in_the_readable_version():
    """NaN and ±inf in the input go where the ops version sends them (equal_nan)."""
    x_np = np.random.default_rng(3).standard_normal((2, 2, 6, 6))
    x_np[0, 0, 1, 1], x_np[1, 1, 2, 3], x_np[0, 1, 4, 4] = np.nan, np.inf, -np.inf
    w = mg.tensor(np.random.default_rng(4).standard_normal((3, 2, 3, 3)))
    x = mg.tensor(x_np)
    with np.errstate(invalid="ignore"):
        fused = conv_ops.Conv2d.apply(x, w, None, (1, 1), (1, 1), (1, 1)).numpy()
        by_ops = _conv_functions._convolve_by_ops(x, w, None, (1, 1), (1, 1), (1, 1), 1).numpy()
    np.testing.assert_allclose(fused, by_ops, rtol=1e-12, equal_nan=True)


def test_empty_batch():
    x = mg.zeros(0, 2, 5, 5, requires_grad=True)
    w = mg.randn(3, 2, 3, 3, requires_grad=True)
    out = F.conv2d(x, w, mg.zeros(3, requires_grad=True))
    assert out.shape == (0, 3, 3, 3)
    out.sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), np.zeros((3, 2, 3, 3), np.float32))


def test_gradients_of_any_order_and_forward_mode():
    mg.manual_seed(5)
    x = mg.randn(2, 2, 5, 4, dtype=mg.float64, requires_grad=True)
    w = mg.randn(3, 2, 3, 2, dtype=mg.float64, requires_grad=True)
    b = mg.randn(3, dtype=mg.float64, requires_grad=True)
    f = lambda x, w, b: F.conv2d(x, w, b, stride=(2, 1), padding=1, dilation=(1, 2))  # noqa
    assert mg.autograd.gradcheck(f, (x, w, b))
    assert mg.autograd.gradgradcheck(f, (x, w, b))
    assert mg.autograd.gradcheck(f, (x, w, b), check_forward_ad=True, check_backward_ad=False)


def test_matches_torch():
    torch = pytest.importorskip("torch")
    for shape, wshape, stride, padding, dilation in CASES:
        rng = np.random.default_rng(7)
        x, w, b = (rng.standard_normal(s) for s in (shape, wshape, wshape[:1]))
        g = None
        got, want = [], []
        for lib, out_list in ((mg, got), (torch, want)):
            xt, wt, bt = (lib.tensor(a, requires_grad=True) for a in (x, w, b))
            out = lib.nn.functional.conv2d(xt, wt, bt, stride, padding, dilation)
            if g is None:
                g = rng.standard_normal(tuple(out.shape))
            out.backward(lib.tensor(g))
            out_list += [out.detach().numpy(), xt.grad.numpy(), wt.grad.numpy(), bt.grad.numpy()]
        for a, b_ in zip(got, want):
            np.testing.assert_allclose(a, b_, rtol=1e-10, atol=1e-10)
