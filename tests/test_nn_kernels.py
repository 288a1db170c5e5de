"""The nn kernels (im2col, col2im, fused cross-entropy, erf) of every backend present against the
numpy reference (minigrad/backend/reference.py), float32 and float64; col2im is im2col's adjoint."""
import math

import numpy as np
import pytest

from minigrad.backend import get_backend, reference

DTYPES = [np.float32, np.float64]
GEOMETRIES = [  # (kh, kw, sh, sw, ph, pw, dh, dw)
    (3, 3, 1, 1, 0, 0, 1, 1), (3, 2, 2, 1, 1, 2, 1, 2), (2, 3, 1, 3, 2, 0, 2, 1),
    (1, 1, 2, 2, 0, 0, 1, 1), (5, 5, 1, 1, 2, 2, 1, 1)]


def _out_size(size, k, s, p, d):
    return (size + 2 * p - d * (k - 1) - 1) // s + 1


def _tol(dtype):
    return dict(rtol=1e-6, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-14, atol=1e-14)


@pytest.mark.parametrize("geometry", GEOMETRIES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_im2col_and_col2im_match_the_reference(device, dtype, geometry):
    backend = get_backend(device)
    kh, kw, sh, sw, ph, pw, dh, dw = geometry
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 7, 6)).astype(dtype)
    shape = (3, kh, kw, 2, _out_size(7, kh, sh, ph, dh), _out_size(6, kw, sw, pw, dw))
    want = np.empty(shape, dtype)
    reference.im2col(x, sh, sw, ph, pw, dh, dw, want)
    got = backend.xp.full(shape, np.nan, dtype)
    backend.im2col(backend.asarray(x, dtype), sh, sw, ph, pw, dh, dw, got)
    np.testing.assert_array_equal(backend.to_numpy(got), want)
    cols = rng.standard_normal(shape).astype(dtype)
    want_img = np.empty_like(x)
    reference.col2im(cols, sh, sw, ph, pw, dh, dw, want_img)
    got_img = backend.xp.full(x.shape, np.nan, dtype)
    backend.col2im(backend.asarray(cols, dtype), sh, sw, ph, pw, dh, dw, got_img)
    np.testing.assert_allclose(backend.to_numpy(got_img), want_img, **_tol(dtype))
    # adjoint: <im2col(x), c> = <x, col2im(c)>
    np.testing.assert_allclose((want.astype(np.float64) * cols).sum(),
                               (x.astype(np.float64) * want_img).sum(), rtol=1e-5)


def test_im2col_reads_the_right_pixels():
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    out = np.empty((1, 2, 2, 1, 2, 2))          # (C, KH, KW, N, OH, OW)
    reference.im2col(x, 2, 2, 1, 1, 1, 1, out)   # k2 s2 p1: windows start at -1, 1
    np.testing.assert_array_equal(out[0, :, :, 0, 0, 0], [[0, 0], [0, 0]])  # corner: pad, x[0, 0]
    np.testing.assert_array_equal(out[0, :, :, 0, 1, 1], [[5, 6], [9, 10]])
    np.testing.assert_array_equal(out[0, :, :, 0, 0, 1], [[0, 0], [1, 2]])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("smoothing,ignore", [(0.0, -100), (0.25, 2), (1.0, 0)])
def test_cross_entropy_kernels_match_the_reference(device, dtype, smoothing, ignore):
    backend = get_backend(device)
    rng = np.random.default_rng(1)
    x = (rng.standard_normal((9, 5)) * 4).astype(dtype)
    x[0, 1] = 80  # large logits: the row max is subtracted before exp
    t = np.array([0, 4, 2, 1, 3, 2, 0, 2, 1], dtype=np.int64)
    w = rng.uniform(0.5, 2, 5).astype(dtype)
    g = rng.standard_normal(9).astype(dtype)
    probs, loss, out = np.empty_like(x), np.empty(9, dtype), np.empty_like(x)
    reference.cross_entropy_forward(x, t, w, smoothing, ignore, probs, loss)
    reference.cross_entropy_backward(probs, t, w, smoothing, ignore, g, out)
    dev = lambda a: backend.asarray(a, a.dtype)  # noqa: E731
    p2, l2, o2 = (backend.xp.full(a.shape, np.nan, dtype) for a in (probs, loss, out))
    backend.cross_entropy_forward(dev(x), dev(t), dev(w), smoothing, ignore, p2, l2)
    backend.cross_entropy_backward(p2, dev(t), dev(w), smoothing, ignore, dev(g), o2)
    for a, b in ((p2, probs), (l2, loss), (o2, out)):
        np.testing.assert_allclose(backend.to_numpy(a), b, **_tol(dtype))
    assert not loss[t == ignore].any() and not out[t == ignore].any()


def test_cross_entropy_reference_against_a_textbook_row():
    x = np.array([[1.0, 2.0, 3.0]])
    probs, loss = np.empty_like(x), np.empty(1)
    reference.cross_entropy_forward(x, np.array([2]), np.ones(3), 0.0, -100, probs, loss)
    np.testing.assert_allclose(loss[0], math.log(math.exp(1) + math.exp(2) + math.exp(3)) - 3,
                               rtol=1e-14)


@pytest.mark.parametrize("dtype", DTYPES)
def test_erf_kernel_matches_math_erf(device, dtype):
    backend = get_backend(device)
    x = np.linspace(-5, 5, 1001).astype(dtype)
    want = np.array([math.erf(float(v)) for v in x])
    out = backend.xp.empty(x.shape, dtype)
    backend.erf_forward(backend.asarray(x, dtype), out)
    np.testing.assert_allclose(backend.to_numpy(out), want,
                               **(dict(rtol=1e-6, atol=1e-7) if dtype == np.float32
                                  else dict(rtol=1e-15, atol=1e-16)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_lstm_gate_kernel_matches_the_reference_and_refuses_bad_shapes(device, dtype):
    """c' = σ(f)·c + σ(i)·tanh(g), h' = σ(o)·tanh(c') (csrc/cpu/rnn.pyx, csrc/cuda/rnn.cu)."""
    backend = get_backend(device)
    rng = np.random.default_rng(3)
    gates = (rng.standard_normal((5, 4 * 7)) * 5).astype(dtype)
    gates[0, :4] = [-800, 800, np.nan, 0]
    c = rng.standard_normal((5, 7)).astype(dtype)
    want_h, want_c = np.empty_like(c), np.empty_like(c)
    reference.lstm_pointwise_forward(gates, c, want_h, want_c)
    sigmoid = lambda v: 1 / (1 + np.exp(-v.astype(np.float64)))  # noqa: E731
    i, f, g, o = np.split(gates.astype(np.float64), 4, axis=1)
    with np.errstate(over="ignore"):
        textbook_c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
        np.testing.assert_allclose(want_c, textbook_c, rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(want_h, sigmoid(o) * np.tanh(textbook_c), rtol=1e-6, atol=1e-7)
    h_out = backend.asarray(np.zeros_like(c), dtype)
    c_out = backend.asarray(np.zeros_like(c), dtype)
    backend.lstm_pointwise_forward(backend.asarray(gates, dtype), backend.asarray(c, dtype),
                                   h_out, c_out)
    tol = 1e-6 if dtype == np.float32 else 1e-14
    np.testing.assert_allclose(backend.to_numpy(h_out), want_h, rtol=tol, atol=tol)
    np.testing.assert_allclose(backend.to_numpy(c_out), want_c, rtol=tol, atol=tol)
    short = backend.asarray(np.zeros((5, 4 * 7 - 1)), dtype)
    with pytest.raises(ValueError, match="gates"):
        backend.lstm_pointwise_forward(short, backend.asarray(c, dtype), h_out, c_out)
    with pytest.raises(ValueError, match="h_out"):
        backend.lstm_pointwise_forward(backend.asarray(gates, dtype), backend.asarray(c, dtype),
                                       backend.asarray(np.zeros((4, 7)), dtype), c_out)
    with pytest.raises(TypeError, match="dtype"):
        backend.lstm_pointwise_forward(backend.asarray(gates, np.float64 if dtype == np.float32
                                                       else np.float32),
                                       backend.asarray(c, dtype), h_out, c_out)
