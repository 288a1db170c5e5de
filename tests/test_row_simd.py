"""The vectorised row primitives (csrc/cpu/rowmath.h) behind softmax, log_softmax, logsumexp and
the fused cross-entropy, against the numpy reference (the readable version): every remainder of
the SIMD widths (1..17 columns, 1000, 1001), edge values in odd places, float32 and float64."""
import numpy as np
import pytest

from minigrad.backend import reference

pytest.importorskip("minigrad._C.loss", reason="the compiled CPU kernels are not built")
from minigrad._C import loss, softmax  # noqa: E402

COLS = list(range(1, 18)) + [31, 33, 1000, 1001]
TOL = {np.float32: dict(rtol=2e-6, atol=1e-7), np.float64: dict(rtol=1e-13, atol=1e-15)}


def _logits(rows, cols, dtype, seed=0):
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal((rows, cols)) * 5).astype(dtype)
    x[0, -1] = 50                 # the max in the remainder (after the last full vector)
    if rows > 1:
        x[1, :] = 0.0             # ties everywhere
    if rows > 2 and cols > 1:
        x[2, cols // 2] = -np.inf  # a masked class
    return x


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=lambda d: d.__name__)
@pytest.mark.parametrize("cols", COLS)
def test_row_kernels_match_the_reference_at_every_width(cols, dtype):
    x = _logits(5, cols, dtype)
    for name in ("softmax_forward", "log_softmax_forward"):
        got, want = np.empty_like(x), np.empty_like(x)
        getattr(softmax, name)(x, got, 1)
        getattr(reference, name)(x, want)
        np.testing.assert_allclose(got, want, **TOL[dtype])
    got, want = np.empty(5, dtype), np.empty(5, dtype)
    softmax.logsumexp_forward(x, got, 1)
    reference.logsumexp_forward(x, want)
    np.testing.assert_allclose(got, want, **TOL[dtype])
    inplace = x.copy()
    softmax.softmax_forward(inplace, inplace, 1)   # y may be x
    want = np.empty_like(x)
    reference.softmax_forward(x, want)
    np.testing.assert_allclose(inplace, want, **TOL[dtype])


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=lambda d: d.__name__)
@pytest.mark.parametrize("cols", COLS)
@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_cross_entropy_kernels_match_the_reference_at_every_width(cols, dtype, smoothing):
    rows = 6
    x = _logits(rows, cols, dtype)
    if cols > 2:
        x[2, cols // 2] = -3.0     # no masked class with smoothing: its term would be inf
    rng = np.random.default_rng(cols)
    target = rng.integers(0, cols, rows).astype(np.int64)
    target[3] = -100              # ignored row
    w = rng.uniform(0.5, 2, cols).astype(dtype)
    g = rng.standard_normal(rows).astype(dtype)
    probs, lossv, out = np.empty_like(x), np.empty(rows, dtype), np.empty_like(x)
    want_p, want_l, want_o = np.empty_like(x), np.empty(rows, dtype), np.empty_like(x)
    loss.cross_entropy_forward(x, target, w, smoothing, -100, probs, lossv, 1)
    loss.cross_entropy_backward(probs, target, w, smoothing, -100, g, out, 1)
    reference.cross_entropy_forward(x, target, w, smoothing, -100, want_p, want_l)
    reference.cross_entropy_backward(want_p, target, w, smoothing, -100, g, want_o)
    tol = TOL[dtype] if dtype == np.float64 else dict(rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(probs, want_p, **tol)
    np.testing.assert_allclose(lossv, want_l, **tol)
    np.testing.assert_allclose(out, want_o, **tol)
    assert lossv[3] == 0 and not out[3].any()


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=lambda d: d.__name__)
def test_nan_and_inf_rows(dtype):
    x = np.zeros((4, 37), dtype)
    x[0, 20] = np.nan            # NaN poisons its row
    x[1, :] = -np.inf            # every class masked: 0/0
    x[2, 36] = np.inf            # +inf in the remainder: inf - inf
    x[3, 5] = 1e30 if dtype == np.float64 else 1e30
    got, want = np.empty_like(x), np.empty_like(x)
    with np.errstate(invalid="ignore"):
        softmax.softmax_forward(x, got, 1)
        reference.softmax_forward(x, want)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_allclose(got[3], want[3])
    lse, want_lse = np.empty(4, dtype), np.empty(4, dtype)
    softmax.logsumexp_forward(x, lse, 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        reference.logsumexp_forward(x, want_lse)
    assert np.isnan(lse[0]) and lse[1] == -np.inf and lse[2] == np.inf
    np.testing.assert_allclose(lse[3], want_lse[3])
    probs, lossv = np.empty_like(x), np.empty(4, dtype)
    target = np.array([1, 0, 0, 5], np.int64)
    with np.errstate(invalid="ignore"):
        loss.cross_entropy_forward(x, target, np.ones(37, dtype), 0.0, -100, probs, lossv, 1)
    assert np.isnan(lossv[0]) and np.isnan(probs[0]).all()
    assert lossv[3] == 0 and probs[3, 5] == 1
