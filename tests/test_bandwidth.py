"""The STREAM-like kernels of csrc/cpu/bandwidth.pyx (copy, triad) against numpy.

They are timed by ``python -m bench``; here only their values and their argument checks are
tested: float32 and float64, empty, odd and large sizes (above any split between threads),
special values, 1 to 3 threads.
"""
import numpy as np
import pytest

bandwidth = pytest.importorskip("minigrad._C.bandwidth",
                                reason="compiled kernels not built (make build)")

SIZES = [0, 1, 7, 1000, 1_000_003]


def _arrays(n, dtype, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(n).astype(dtype), rng.standard_normal(n).astype(dtype),
            np.full(n, np.nan, dtype))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("nthreads", [1, 2, 3])
def test_copy_and_triad_equal_numpy(dtype, n, nthreads):
    b, c, out = _arrays(n, dtype)
    assert bandwidth.copy(out, b, nthreads) is out
    np.testing.assert_array_equal(out, b)
    out[:] = np.nan
    assert bandwidth.triad(out, b, c, 0.3, nthreads) is out
    expected = b + dtype(0.3) * c           # s rounded to the arrays' dtype, as numpy does
    np.testing.assert_allclose(out, expected, rtol=2 * np.finfo(dtype).eps, atol=0)
    assert out.dtype == dtype


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_special_values_pass_through(dtype):
    b = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1.0, np.finfo(dtype).max], dtype)
    c = np.array([1.0, 1.0, 1.0, 1.0, 1.0, np.inf, np.finfo(dtype).max], dtype)
    out = np.empty_like(b)
    np.testing.assert_array_equal(bandwidth.copy(out, b), b)
    with np.errstate(over="ignore", invalid="ignore"):
        expected = b + dtype(2.0) * c
    np.testing.assert_array_equal(bandwidth.triad(out, b, c, 2.0), expected)
    assert np.signbit(bandwidth.copy(out, b)[1])          # -0.0 copied as -0.0


def test_in_place_triad_reads_before_it_writes():
    b = np.arange(10, dtype=np.float64)
    c = np.ones(10)
    bandwidth.triad(b, b, c, 5.0, 2)           # b[i] = b[i] + 5 c[i], element by element
    np.testing.assert_array_equal(b, np.arange(10) + 5.0)


def test_wrong_dtypes_are_named():
    f32, f64 = np.zeros(4, np.float32), np.zeros(4, np.float64)
    with pytest.raises(TypeError, match="out: float32, b: float64"):
        bandwidth.copy(f32, f64)
    with pytest.raises(TypeError, match="int64"):
        bandwidth.triad(np.zeros(4, np.int64), np.zeros(4, np.int64), np.zeros(4, np.int64), 1.0)
    with pytest.raises(TypeError, match="b must be a numpy array, got list"):
        bandwidth.copy(f32, [0.0] * 4)


def test_wrong_shapes_are_named():
    with pytest.raises(ValueError, match=r"out: \(4,\), b: \(5,\)"):
        bandwidth.copy(np.zeros(4), np.zeros(5))
    with pytest.raises(ValueError, match=r"c: \(2, 2\)"):
        bandwidth.triad(np.zeros(4), np.zeros(4), np.zeros((2, 2)), 1.0)
    with pytest.raises(ValueError, match="C-contiguous"):
        bandwidth.copy(np.zeros(4), np.zeros(8)[::2])


def test_read_only_output_and_bad_thread_counts():
    ro = np.zeros(4)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        bandwidth.copy(ro, np.zeros(4))
    with pytest.raises(ValueError, match="at least 1, got 0"):
        bandwidth.copy(np.zeros(4), np.zeros(4), 0)
    with pytest.raises(TypeError, match="nthreads must be an int, got float"):
        bandwidth.copy(np.zeros(4), np.zeros(4), 2.0)
