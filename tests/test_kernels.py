"""Every fast kernel against the numpy reference (minigrad/backend/reference.py), on every device
present, in float32 and float64.

Each call writes into a window of a larger buffer filled with a sentinel: the guard cells on
both sides must be untouched afterwards, every cell of the window must have been written, and
the inputs must be unchanged. Only minigrad.backend.* is imported, so these tests run while the
rest of the package is being written.
"""
import os

import numpy as np
import pytest

from minigrad.backend import cpu, cuda_available, cuda_unavailable_reason, get_backend, reference
from minigrad.backend.specs import AdamSpec, SgdSpec

DEVICES = [
    "cpu",
    pytest.param("cuda", marks=pytest.mark.skipif(
        not cuda_available(), reason=f"CUDA backend unavailable: {cuda_unavailable_reason()}")),
]
DTYPES = [np.float32, np.float64]
# Tight: float64 kernels agree with numpy to a few ulp; float32 ones within ~10 ulp (libm's
# expf/tanhf vs numpy's SIMD versions, double vs float accumulation). atol covers results near 0
# (e.g. tanh' = 1 - y² with y ≈ 1, or underflowing softmax entries), all of order 1 here.
TOL = {np.float32: dict(rtol=1e-5, atol=1e-6), np.float64: dict(rtol=1e-12, atol=1e-13)}

ELEMENTWISE = ("relu_forward", "relu_backward", "sigmoid_forward", "sigmoid_backward",
               "tanh_forward", "tanh_backward")
ROW = ("softmax_forward", "softmax_backward", "log_softmax_forward", "log_softmax_backward",
       "logsumexp_forward", "sum_rows")
assert set(ELEMENTWISE + ROW) == set(reference.KERNELS), "new kernel: add it to these tests"

BIG = cpu.PARALLEL_MIN_SIZE + 3  # above the threshold: the threaded path runs
ELEMENTWISE_SHAPES = [(), (1,), (7,), (3, 5), (2, 3, 4), (0,), (BIG,)]
ROW_SHAPES = [(1, 1), (1, 7), (5, 1), (4, 10), (3, 257), (0, 5),
              (cpu.PARALLEL_MIN_SIZE // 257 + 1, 257),  # many rows, threaded
              (1, BIG),                                  # one long row, threaded
              (BIG // 8 + 1, 8)]                         # many short rows (sum_rows: few columns)
SCALES = [1.0, 100.0, 1000.0]
SENTINEL = 12345.5
GUARD = 17


def _backend(device):
    return get_backend(device)


def out_shape(kernel, shape):
    if kernel == "logsumexp_forward":
        return shape[:1]
    if kernel == "sum_rows":
        return shape[1:]
    return shape


def make_inputs(kernel, shape, dtype, scale=1.0, seed=0):
    """The kernel's inputs as numpy arrays; a backward gets y = forward(x) and a random grad."""
    rng = np.random.default_rng(seed)
    x = np.asarray(rng.standard_normal(shape) * scale, dtype=dtype)  # 0-d stays an array
    flat = x.reshape(-1)
    flat[::5] = 0  # relu's kink
    if scale > 1:  # the large magnitudes named in the contract, exactly
        k = max(0, min(4, flat.size - 1))
        flat[1:1 + k] = [100, -100, 1000, -1000][:k]
    if not kernel.endswith("_backward"):
        return (x,)
    grad = np.asarray(rng.standard_normal(shape), dtype=dtype)  # never all ones: errors could cancel
    if kernel == "relu_backward":
        return (x, grad)
    y = np.empty(shape, dtype)
    getattr(reference, kernel.replace("_backward", "_forward"))(x, y)
    return (y, grad)


def run_kernel(device, kernel, inputs, shape_out):
    """Calls the device's kernel; checks guard cells and inputs; returns out as numpy."""
    be = _backend(device)
    dtype = inputs[0].dtype
    originals = [a.copy() for a in inputs]
    dev_inputs = [be.asarray(a, dtype) for a in inputs]
    n = int(np.prod(shape_out))
    buf = be.xp.full(n + 2 * GUARD, SENTINEL, dtype=dtype)
    out = buf[GUARD:GUARD + n].reshape(shape_out)
    with np.errstate(invalid="ignore"):  # MINIGRAD_PURE_NUMPY=1 runs the reference here
        getattr(be, kernel)(*dev_inputs, out)
    be.synchronize()
    host = be.to_numpy(buf)
    assert np.all(host[:GUARD] == SENTINEL) and np.all(host[GUARD + n:] == SENTINEL), \
        f"{kernel} wrote outside out"
    for a, orig in zip(dev_inputs, originals):
        np.testing.assert_array_equal(be.to_numpy(a), orig, err_msg=f"{kernel} changed an input")
    return host[GUARD:GUARD + n].reshape(shape_out)


_SUMS = ("sum_rows", "softmax_backward", "log_softmax_backward")


def expected(kernel, inputs, shape_out):
    dtype = inputs[0].dtype
    if kernel in _SUMS:
        # numpy's float32 sums accumulate in float32 (their error grows with the length); the
        # kernels accumulate in double (CPU) or in another order (CUDA), so the oracle is the
        # float64 result, compared with a tolerance scaled by the summed magnitudes.
        inputs = [a.astype(np.float64) for a in inputs]
    out = np.empty(shape_out, inputs[0].dtype)
    with np.errstate(invalid="ignore"):  # inf * 0 and NaN inputs are on purpose
        getattr(reference, kernel)(*inputs, out)
    return out.astype(dtype)


def check(device, kernel, inputs):
    dtype = inputs[0].dtype.type
    shape_out = out_shape(kernel, inputs[0].shape)
    got = run_kernel(device, kernel, inputs, shape_out)
    want = expected(kernel, inputs, shape_out)
    assert not np.any(got == SENTINEL) or np.any(want == SENTINEL), f"{kernel} left out unwritten"
    tol = dict(TOL[dtype])
    if kernel == "sum_rows" and got.size:
        # A sum's error scales with the sum of magnitudes, not with the (possibly tiny) result.
        tol["atol"] = tol["rtol"] * float(np.abs(inputs[0]).astype(np.float64).sum(axis=0).max())
    elif kernel in _SUMS and got.size:
        # out[r] holds Σ_c grad[r, c]·y (softmax) or Σ_c grad[r, c] (log-softmax) times y ≤ 1 or
        # eʸ ≤ 1: one rounding of that sum is up to eps·Σ_c |grad[r, c]|, and a sum in another
        # order (CUDA) may differ from the float64 oracle by about twice that.
        row_sums = np.abs(inputs[1]).astype(np.float64).sum(axis=1)
        row_sums = row_sums[np.isfinite(row_sums)].max(initial=0)
        tol["atol"] = max(tol["atol"], 2 * np.finfo(dtype).eps * float(row_sums))
    np.testing.assert_allclose(got, want, err_msg=f"{kernel} {inputs[0].shape} {dtype.__name__}",
                               **tol)  # equal_nan: NaNs must be in the same places
    return got


# ---- the contract itself ----------------------------------------------------------------------

@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("kernel", reference.KERNELS)
def test_backend_has_kernel(device, kernel):
    assert callable(getattr(_backend(device), kernel, None)), f"{device} backend lacks {kernel}"


@pytest.mark.parametrize("device", DEVICES)
def test_backend_module_attributes(device):
    be = _backend(device)
    assert be.name == device
    a = be.asarray([1.0, 2.0], np.float32)
    assert isinstance(a, be.xp.ndarray) and a.dtype == np.float32
    assert isinstance(be.to_numpy(a), np.ndarray)
    be.synchronize()


def test_cpu_uses_compiled_kernels():
    if os.environ.get("MINIGRAD_PURE_NUMPY") == "1":
        pytest.skip("MINIGRAD_PURE_NUMPY=1: the cpu backend runs the reference on purpose")
    assert cpu.COMPILED


# ---- fast kernel == reference ----------------------------------------------------------------

@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("shape", ELEMENTWISE_SHAPES, ids=str)
@pytest.mark.parametrize("kernel", ELEMENTWISE)
def test_elementwise_matches_reference(device, kernel, shape, dtype):
    scales = SCALES if int(np.prod(shape)) >= 5 else [1.0]
    for scale in scales:
        check(device, kernel, make_inputs(kernel, shape, dtype, scale))


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("shape", ROW_SHAPES, ids=str)
@pytest.mark.parametrize("kernel", ROW)
def test_row_kernel_matches_reference(device, kernel, shape, dtype):
    for scale in SCALES:
        check(device, kernel, make_inputs(kernel, shape, dtype, scale))


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("kernel", [k for k in reference.KERNELS
                                    if k not in ("logsumexp_forward", "sum_rows")])
def test_in_place(device, kernel, dtype):
    """out may be one of the inputs (an autograd engine reuses buffers): same result."""
    be = _backend(device)
    shape = (37, 11)
    inputs = make_inputs(kernel, shape, dtype, seed=2)
    want = expected(kernel, inputs, shape)
    for i in range(len(inputs)):
        args = [be.asarray(a.copy(), dtype) for a in inputs]
        getattr(be, kernel)(*args, args[i])
        be.synchronize()
        np.testing.assert_allclose(be.to_numpy(args[i]), want, **TOL[dtype],
                                   err_msg=f"{kernel} with out = input {i}")


# ---- non-finite values -------------------------------------------------------------------------

@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("kernel", ["relu_forward", "sigmoid_forward", "tanh_forward"])
def test_elementwise_nan_propagates(device, kernel, dtype):
    x = np.array([np.nan, -1.0, 0.0, 2.0, np.nan], dtype)
    got = check(device, kernel, (x,))
    assert np.isnan(got[[0, 4]]).all() and np.isfinite(got[1:4]).all()


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("kernel", ["softmax_forward", "log_softmax_forward", "logsumexp_forward"])
def test_row_nan_poisons_its_row_only(device, kernel, dtype):
    x = make_inputs(kernel, (4, 6), dtype)[0]
    x[1, 3] = np.nan
    x[2, 0] = np.nan  # first entry: the one the row maximum starts from
    got = check(device, kernel, (x,))
    assert np.isnan(got[1]).all() and np.isnan(got[2]).all()
    assert np.isfinite(got[0]).all() and np.isfinite(got[3]).all()


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("kernel", ["softmax_forward", "log_softmax_forward", "logsumexp_forward"])
def test_row_masked_with_minus_inf(device, kernel, dtype):
    x = make_inputs(kernel, (3, 5), dtype)[0]
    x[0, [1, 3]] = -np.inf  # attention-style masking: exp(-inf) = 0, the rest stays finite
    got = check(device, kernel, (x,))
    assert np.isfinite(got[1:]).all()


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_relu_backward_nonfinite(device, dtype):
    x = np.array([np.nan, -1.0, 0.0, 2.0, 3.0, -2.0], dtype)
    grad = np.array([1.0, 1.0, 1.0, np.nan, np.inf, np.inf], dtype)
    got = check(device, "relu_backward", (x, grad))
    np.testing.assert_array_equal(np.isnan(got), [False, False, False, True, False, True])


# ---- threads and argument checks (CPU) ----------------------------------------------------------

def _compiled():
    if not cpu.COMPILED:
        pytest.skip("compiled kernels not in use (MINIGRAD_PURE_NUMPY=1)")
    from minigrad._C import activation, reduce, softmax
    return {"activation": activation, "softmax": softmax, "reduce": reduce}


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("kernel", reference.KERNELS)
def test_cpu_result_independent_of_threads(kernel, dtype):
    mods = _compiled()
    mod = mods["activation" if kernel in ELEMENTWISE else "reduce" if kernel == "sum_rows"
               else "softmax"]
    if not hasattr(mod, kernel):
        pytest.skip(f"{kernel} has no Cython kernel on the CPU (numpy's is used)")
    shape = (BIG,) if kernel in ELEMENTWISE else (1001, 67)
    inputs = make_inputs(kernel, shape, dtype, seed=1)
    results = []
    for nthreads in (1, 2, 3):
        out = np.empty(out_shape(kernel, shape), dtype)
        getattr(mod, kernel)(*inputs, out, nthreads)
        results.append(out)
    for r in results[1:]:
        if kernel in ELEMENTWISE:
            # Where the thread split falls decides which elements glibc's SIMD exp/tanh
            # (<= 4 ulp) and which its scalar tail loop compute; rows and columns are owned by
            # one thread each, so those kernels are bitwise independent of nthreads.
            np.testing.assert_allclose(r, results[0], rtol=4 * np.finfo(dtype).eps, atol=0)
        else:
            np.testing.assert_array_equal(r, results[0])


def test_cpu_picks_threads_by_size():
    assert cpu._threads(np.empty(cpu.PARALLEL_MIN_SIZE - 1)) == 1
    assert cpu._threads(np.empty(cpu.PARALLEL_MIN_SIZE)) == cpu.NUM_THREADS >= 1


def test_cpu_rejects_bad_arguments():
    be = get_backend("cpu")   # the compiled kernels, or the reference under MINIGRAD_PURE_NUMPY=1
    x = np.ones((4, 3), np.float32)
    with pytest.raises(ValueError, match="size mismatch"):
        be.relu_forward(x, np.empty(11, np.float32))
    with pytest.raises(ValueError, match="C-contiguous"):
        be.relu_forward(x, np.empty((3, 4), np.float32).T)
    with pytest.raises((TypeError, ValueError)):
        be.relu_forward(x, np.empty((4, 3), np.float64))
    with pytest.raises(ValueError, match="shape mismatch"):
        be.softmax_forward(x, np.empty((4, 4), np.float32))
    with pytest.raises(ValueError, match="shape mismatch"):
        be.softmax_backward(x, np.ones((3, 3), np.float32), np.empty((4, 3), np.float32))
    with pytest.raises(ValueError, match="shape mismatch"):
        be.logsumexp_forward(x, np.empty(3, np.float32))
    with pytest.raises(ValueError, match="shape mismatch"):
        be.sum_rows(x, np.empty(4, np.float32))


# ---- every backend raises the same error for the same bad call ----------------------------------

def _all_backends():
    """The numpy reference backend, the compiled CPU one (unless MINIGRAD_PURE_NUMPY=1) and the
    CUDA one (when a GPU is present), each checking its arguments with minigrad/backend/_checks.py."""
    backends = [cpu.ReferenceBackend()]
    if cpu.COMPILED:
        backends.append(cpu.CpuBackend())
    if cuda_available():
        backends.append(get_backend("cuda"))
    return backends


def test_the_backend_is_chosen_where_it_is_built():
    be = get_backend("cpu")
    assert type(be) is (cpu.CpuBackend if cpu.COMPILED else cpu.ReferenceBackend)
    assert get_backend("cpu") is be       # one object per device, cached
    for kernel in (*reference.KERNELS, *reference.OPTIM_KERNELS, *reference.PROX_KERNELS,
                   *reference.NN_KERNELS):
        for cls in (cpu.CpuBackend, cpu.ReferenceBackend):
            assert kernel in vars(cls), f"{cls.__name__} does not define {kernel} itself"


def _bad_calls():
    """(what is wrong, call(backend, make)): ``make(shape, dtype)`` makes an array on the device."""
    f32, f64 = np.float32, np.float64
    spec = AdamSpec(step_size=0.1, bias_correction2_sqrt=0.3, beta1=0.9, beta2=0.999, eps=1e-8,
                    coupled_weight_decay=0.0, decoupled_decay=0.0, amsgrad=False, maximize=False)
    sgd = SgdSpec(lr=0.1, coupled_weight_decay=0.0, momentum=0.9, dampening=0.0,
                  nesterov=False, maximize=False, first_step=True)
    return [
        ("wrong dtype (float16)", lambda be, m: be.relu_forward(m(4, np.float16),
                                                                m(4, np.float16))),
        ("dtype mismatch", lambda be, m: be.relu_forward(m(4, f32), m(4, f64))),
        ("dtype mismatch grad", lambda be, m: be.relu_backward(m(4, f32), m(4, f64), m(4, f32))),
        ("non-contiguous out", lambda be, m: be.sigmoid_forward(m((4, 3), f32),
                                                                m((3, 4), f32).T)),
        ("non-contiguous input", lambda be, m: be.tanh_forward(m((4, 6), f64)[:, ::2],
                                                               m((4, 3), f64))),
        ("size mismatch", lambda be, m: be.relu_forward(m((4, 3), f32), m(11, f32))),
        ("size mismatch grad", lambda be, m: be.tanh_backward(m(5, f32), m(4, f32), m(5, f32))),
        ("row out shape", lambda be, m: be.softmax_forward(m((4, 3), f32), m((4, 4), f32))),
        ("row input not 2-D", lambda be, m: be.log_softmax_forward(m(6, f32), m(6, f32))),
        ("row grad shape", lambda be, m: be.softmax_backward(m((4, 3), f64), m((3, 3), f64),
                                                             m((4, 3), f64))),
        ("logsumexp out", lambda be, m: be.logsumexp_forward(m((4, 3), f32), m(3, f32))),
        ("sum_rows out", lambda be, m: be.sum_rows(m((4, 3), f32), m(4, f32))),
        ("sum_rows dtype", lambda be, m: be.sum_rows(m((4, 3), f32), m(3, f64))),
        ("soft_threshold size", lambda be, m: be.soft_threshold(m(5, f32), 0.1, 1.0, m(4, f32))),
        ("group_soft_threshold shape", lambda be, m: be.group_soft_threshold(
            m((4, 3), f64), 0.1, m((3, 3), f64))),
        ("im2col patches", lambda be, m: be.im2col(m((2, 3, 5, 5), f32), 1, 1, 0, 0, 1, 1,
                                                   m((2, 3, 3, 2, 3, 3), f32))),
        ("col2im dtype", lambda be, m: be.col2im(m((3, 3, 3, 2, 3, 3), f32), 1, 1, 0, 0, 1, 1,
                                                 m((2, 3, 5, 5), f64))),
        ("cross-entropy target dtype", lambda be, m: be.cross_entropy_forward(
            m((4, 3), f32), m(4, np.int32), m(3, f32), 0.0, -100, m((4, 3), f32), m(4, f32))),
        ("cross-entropy target non-contiguous", lambda be, m: be.cross_entropy_forward(
            m((4, 3), f32), m(8, np.int64)[::2], m(3, f32), 0.0, -100, m((4, 3), f32),
            m(4, f32))),
        ("cross-entropy weight shape", lambda be, m: be.cross_entropy_forward(
            m((4, 3), f32), m(4, np.int64), m(4, f32), 0.0, -100, m((4, 3), f32), m(4, f32))),
        ("cross-entropy no classes", lambda be, m: be.cross_entropy_backward(
            m((4, 0), f64), m(4, np.int64), m(0, f64), 0.0, -100, m(4, f64), m((4, 0), f64))),
        ("erf size", lambda be, m: be.erf_forward(m(3, f64), m(4, f64))),
        ("adam grad size", lambda be, m: be.adam_step(m(5, f32), m(4, f32), m(5, f32),
                                                      m(5, f32), None, spec)),
        ("adam dtype", lambda be, m: be.adam_step(m(5, f32), m(5, f32), m(5, f64), m(5, f32),
                                                  None, spec)),
        ("adam non-contiguous state", lambda be, m: be.adam_step(
            m((2, 3), f64), m((2, 3), f64), m((3, 2), f64).T, m((2, 3), f64), None, spec)),
        ("sgd missing momentum buffer", lambda be, m: be.sgd_step(m(5, f32), m(5, f32), None,
                                                                  sgd)),
    ]


@pytest.mark.parametrize("what, call", _bad_calls(), ids=[w for w, _ in _bad_calls()])
def test_every_backend_raises_the_same_error(what, call):
    errors = []
    for be in _all_backends():
        make = lambda shape, dtype, be=be: be.xp.zeros(shape, dtype)  # noqa: E731
        with pytest.raises((TypeError, ValueError)) as info:
            call(be, make)
        errors.append((type(be).__name__, info.type, str(info.value)))
    for name, kind, message in errors[1:]:
        assert (kind, message) == errors[0][1:], f"{what}: {name} and {errors[0][0]} differ"
