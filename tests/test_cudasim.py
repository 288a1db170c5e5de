"""Every kernel of csrc/cuda/*.cu run under the CUDA simulator (minigrad.cudasim), float32 and
float64, against the numpy reference (minigrad/backend/reference.py), under every schedule and
with the grid as launched and capped at 1 and 3 blocks (so grid-stride loops make several
trips). Launch configurations are backend/cuda.py's (block sizes copied here: cuda.py itself
imports only with CuPy). Plus the simulator's own machinery: argument checks, errors, printf.

`python tests/test_cudasim.py` prints the kernel-by-kernel table of maximum errors.
"""
import glob
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from minigrad import cudasim
from minigrad.backend import reference, specs

pytestmark = pytest.mark.skipif(
    shutil.which(os.environ.get("CXX") or "g++") is None,
    reason="no C++ compiler (g++ or $CXX): the CUDA simulator compiles the kernels with it")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOURCES = sorted(glob.glob(os.path.join(ROOT, "csrc", "cuda", "*.cu")))
CAPS = (None, 1, 3)
ELEMENTWISE_BLOCK = 256   # as backend/cuda.py
ERRORS = {}               # (kernel, dtype) -> max |simulated - reference|, over every run


def module(filename, directory=os.path.join(ROOT, "csrc", "cuda")):
    with open(os.path.join(directory, filename), encoding="utf-8") as f:
        return cudasim.compile_module(f.read(), name=filename)


def grid(n):
    return (-(-n // ELEMENTWISE_BLOCK),)


def row_block(cols):   # backend/cuda.py's _row_block
    return (min(1024, 32 * max(1, -(-cols // 128))),)


# ---- the cases: (file, kernel op, build(rng, dtype, cap) -> Launch) ---------------------------

class Launch:
    """What one case launches and what the reference says: ``args`` for the kernel, the
    ``outputs`` it writes (arrays in args), and ``expected`` (the same outputs, by the
    reference)."""

    def __init__(self, grid, block, args, outputs, expected):
        self.grid, self.block, self.args = grid, block, args
        self.outputs, self.expected = outputs, expected


def _elementwise(op, n_inputs, positive=False):
    def build(rng, dtype, cap, n=1000):
        inputs = [rng.standard_normal(n).astype(dtype) for _ in range(n_inputs)]
        if positive:  # sigmoid / tanh backward take y = f(x)
            inputs[0] = np.tanh(inputs[0]).astype(dtype)
        out, expected = np.full(n, np.nan, dtype), np.empty(n, dtype)
        getattr(reference, op)(*inputs, expected)
        return Launch(grid(n), (ELEMENTWISE_BLOCK,), (*inputs, out, np.int64(n)), [out],
                      [expected])
    return build


def _rows(op, n_inputs, rows=5, cols=300):
    def build(rng, dtype, cap):
        inputs = [rng.standard_normal((rows, cols)).astype(dtype) for _ in range(n_inputs)]
        if op == "log_softmax_backward":
            inputs[0] = np.log(np.exp(inputs[0]) / np.exp(inputs[0]).sum(1, keepdims=True))
            inputs[0] = inputs[0].astype(dtype)
        shape = (rows,) if op == "logsumexp_forward" else (rows, cols)
        out, expected = np.full(shape, np.nan, dtype), np.empty(shape, dtype)
        getattr(reference, op)(*inputs, expected)
        return Launch((rows,), row_block(cols), (*inputs, out, np.int64(rows), np.int64(cols)),
                      [out], [expected])
    return build


def _sum_rows(rng, dtype, cap):
    # not a grid-stride kernel: one block per 32 columns, so a capped grid must cover the columns
    rows, cols = 70, (40 if cap is None else 32 * cap - 3)
    x = rng.standard_normal((rows, cols)).astype(dtype)
    out, expected = np.full(cols, np.nan, dtype), np.empty(cols, dtype)
    reference.sum_rows(x, expected)
    return Launch((-(-cols // 32),), (32, 32), (x, out, np.int64(rows), np.int64(cols)), [out],
                  [expected])


def _scalars(spec):  # backend/cuda.py's _c_types: a bool flag as int, a float as double
    return [np.int32(v) if isinstance(v, bool) else np.float64(v) for v in spec]


def _optim(op, n_buffers, spec, n=1000):
    def build(rng, dtype, cap):
        param, grad = (rng.standard_normal(n).astype(dtype) for _ in range(2))
        buffers = [rng.uniform(1, 2, n).astype(dtype) for _ in range(n_buffers)]
        if op == "rmsprop_step":  # grad_avg: small enough that square_avg - grad_avg² > 0
            buffers[1] = rng.uniform(-0.5, 0.5, n).astype(dtype)
        expected = [a.copy() for a in (param, *buffers)]
        getattr(reference, op)(expected[0], grad, *expected[1:], spec)
        args = (param, grad, *buffers, *_scalars(spec), np.int64(n))
        return Launch(grid(n), (ELEMENTWISE_BLOCK,), args, [param, *buffers], expected)
    return build


def _soft_threshold(rng, dtype, cap, n=1000):
    v = rng.standard_normal(n).astype(dtype)
    out, expected = np.full(n, np.nan, dtype), np.empty(n, dtype)
    reference.soft_threshold(v, dtype(0.3), dtype(1.5), expected)
    return Launch(grid(n), (ELEMENTWISE_BLOCK,), (v, dtype(0.3), dtype(1.5), out, np.int64(n)),
                  [out], [expected])


def _group_soft_threshold(rng, dtype, cap, rows=6, cols=300):
    v = rng.standard_normal((rows, cols)).astype(dtype)
    v[1] *= 0.01  # a row whose norm is below the threshold: becomes 0
    out, expected = np.full_like(v, np.nan), np.empty_like(v)
    reference.group_soft_threshold(v, dtype(2.0), expected)
    return Launch((rows,), row_block(cols), (v, dtype(2.0), out, np.int64(rows), np.int64(cols)),
                  [out], [expected])


CONV = dict(n=2, c=3, h=9, w=8, kh=3, kw=2, sh=2, sw=1, ph=1, pw=0, dh=1, dw=2)


def _conv_shapes():
    k = CONV
    oh = (k["h"] + 2 * k["ph"] - k["dh"] * (k["kh"] - 1) - 1) // k["sh"] + 1
    ow = (k["w"] + 2 * k["pw"] - k["dw"] * (k["kw"] - 1) - 1) // k["sw"] + 1
    return (k["n"], k["c"], k["h"], k["w"]), (k["c"], k["kh"], k["kw"], k["n"], oh, ow)


def _conv_scalars(oh, ow):
    k = CONV
    return (*(np.int64(k[a]) for a in ("n", "c", "h", "w", "kh", "kw")), np.int64(oh),
            np.int64(ow), *(np.int32(k[a]) for a in ("sh", "sw", "ph", "pw", "dh", "dw")))


def _conv(op):
    def build(rng, dtype, cap):
        image, cols = _conv_shapes()
        src_shape, dst_shape = (image, cols) if op == "im2col" else (cols, image)
        src = rng.standard_normal(src_shape).astype(dtype)
        out, expected = np.full(dst_shape, np.nan, dtype), np.empty(dst_shape, dtype)
        k = CONV
        getattr(reference, op)(src, k["sh"], k["sw"], k["ph"], k["pw"], k["dh"], k["dw"],
                               expected)
        return Launch(grid(out.size), (ELEMENTWISE_BLOCK,),
                      (src, out, *_conv_scalars(cols[4], cols[5])), [out], [expected])
    return build


POOL = dict(n=2, c=3, h=9, w=8, kh=3, kw=2, sh=2, sw=1, ph=1, pw=1, dh=1, dw=2)


def _pool(op):
    """max_pool2d_forward, gather_planes, scatter_add_planes on a geometry with padding,
    stride and dilation, an input with ties (0), and indices from the reference (NaN and ±inf:
    tests/test_pool_kernels.py, on every device)."""
    def build(rng, dtype, cap):
        k = POOL
        geometry = tuple(k[a] for a in ("kh", "kw", "sh", "sw", "ph", "pw", "dh", "dw"))
        oh = (k["h"] + 2 * k["ph"] - k["dh"] * (k["kh"] - 1) - 1) // k["sh"] + 1
        ow = (k["w"] + 2 * k["pw"] - k["dw"] * (k["kw"] - 1) - 1) // k["sw"] + 1
        image, pooled = (k["n"], k["c"], k["h"], k["w"]), (k["n"], k["c"], oh, ow)
        x = rng.standard_normal(image).astype(dtype)
        x.flat[::5] = 0.0
        values, index = np.empty(pooled, dtype), np.empty(pooled, np.int64)
        reference.max_pool2d_forward(x, *geometry, values, index)
        sizes = (*(np.int64(v) for v in (*image, oh, ow)), *(np.int32(v) for v in geometry))
        if op == "max_pool2d_forward":
            out, got_index = np.full(pooled, np.nan, dtype), np.full(pooled, 7, np.int64)
            return Launch(grid(out.size), (ELEMENTWISE_BLOCK,), (x, out, got_index, *sizes),
                          [out, got_index], [values, index])
        if op == "gather_planes":
            out, expected = np.full(pooled, np.nan, dtype), np.empty(pooled, dtype)
            reference.gather_planes(x, index, expected)
            return Launch(grid(out.size), (ELEMENTWISE_BLOCK,),
                          (x, index, out, np.int64(k["n"] * k["c"]),
                           np.int64(k["h"] * k["w"]), np.int64(oh * ow)), [out], [expected])
        src = rng.standard_normal(pooled).astype(dtype)
        out, expected = np.full(image, np.nan, dtype), np.empty(image, dtype)
        reference.scatter_add_planes(src, index, *geometry, expected)
        return Launch(grid(out.size), (ELEMENTWISE_BLOCK,), (src, index, out, *sizes), [out],
                      [expected])
    return build


def _cross_entropy(op, eps, rows=300, classes=7, ignore=-100):
    def build(rng, dtype, cap):
        x = rng.standard_normal((rows, classes)).astype(dtype)
        target = rng.integers(0, classes, rows).astype(np.int64)
        target[::7] = ignore
        weight = rng.uniform(0.5, 2.0, classes).astype(dtype)
        probs = np.empty_like(x)
        if op == "cross_entropy_forward":
            loss, exp_probs, exp_loss = np.full(rows, np.nan, dtype), np.empty_like(x), \
                np.empty(rows, dtype)
            probs[...] = np.nan
            reference.cross_entropy_forward(x, target, weight, eps, ignore, exp_probs, exp_loss)
            args = (x, target, weight, np.float64(eps), np.int64(ignore), probs, loss,
                    np.int64(rows), np.int64(classes))
            return Launch(grid(rows), (ELEMENTWISE_BLOCK,), args, [probs, loss],
                          [exp_probs, exp_loss])
        reference.cross_entropy_forward(x, target, weight, eps, ignore, probs,
                                        np.empty(rows, dtype))
        g = rng.standard_normal(rows).astype(dtype)
        out, expected = np.full_like(x, np.nan), np.empty_like(x)
        reference.cross_entropy_backward(probs, target, weight, eps, ignore, g, expected)
        args = (probs, target, weight, np.float64(eps), np.int64(ignore), g, out, np.int64(rows),
                np.int64(classes))
        return Launch(grid(rows), (ELEMENTWISE_BLOCK,), args, [out], [expected])
    return build


def _lstm_gates(rows=37, hidden=9):
    def build(rng, dtype, cap):
        gates = (rng.standard_normal((rows, 4 * hidden)) * 4).astype(dtype)
        c = rng.standard_normal((rows, hidden)).astype(dtype)
        h_out, c_out = np.full_like(c, np.nan), np.full_like(c, np.nan)
        want_h, want_c = np.empty_like(c), np.empty_like(c)
        reference.lstm_pointwise_forward(gates, c, want_h, want_c)
        return Launch(grid(c.size), (ELEMENTWISE_BLOCK,),
                      (gates, c, h_out, c_out, np.int64(rows), np.int64(hidden)),
                      [h_out, c_out], [want_h, want_c])
    return build


CASES = {
    "relu_forward": ("activation.cu", _elementwise("relu_forward", 1)),
    "relu_backward": ("activation.cu", _elementwise("relu_backward", 2)),
    "sigmoid_forward": ("activation.cu", _elementwise("sigmoid_forward", 1)),
    "sigmoid_backward": ("activation.cu", _elementwise("sigmoid_backward", 2, positive=True)),
    "tanh_forward": ("activation.cu", _elementwise("tanh_forward", 1)),
    "tanh_backward": ("activation.cu", _elementwise("tanh_backward", 2, positive=True)),
    "softmax_forward": ("softmax.cu", _rows("softmax_forward", 1)),
    "softmax_backward": ("softmax.cu", _rows("softmax_backward", 2)),
    "log_softmax_forward": ("softmax.cu", _rows("log_softmax_forward", 1)),
    "log_softmax_backward": ("softmax.cu", _rows("log_softmax_backward", 2)),
    "logsumexp_forward": ("softmax.cu", _rows("logsumexp_forward", 1)),
    "sum_rows": ("reduce.cu", _sum_rows),
    "sgd_step": ("optim.cu", _optim("sgd_step", 1, specs.SgdSpec(
        0.1, 0.01, 0.9, 0.1, True, False, False))),
    "adam_step": ("optim.cu", _optim("adam_step", 3, specs.AdamSpec(
        0.01, 0.3, 0.9, 0.999, 1e-8, 0.0, 0.001, True, False))),
    "rmsprop_step": ("optim.cu", _optim("rmsprop_step", 3, specs.RmspropSpec(
        0.01, 0.99, 1e-8, 0.01, 0.9, True, True))),
    "adagrad_step": ("optim.cu", _optim("adagrad_step", 1, specs.AdagradSpec(
        0.1, 1e-10, 0.01, False))),
    "soft_threshold": ("prox.cu", _soft_threshold),
    "group_soft_threshold": ("prox.cu", _group_soft_threshold),
    "im2col": ("conv.cu", _conv("im2col")),
    "col2im": ("conv.cu", _conv("col2im")),
    "max_pool2d_forward": ("pool.cu", _pool("max_pool2d_forward")),
    "gather_planes": ("pool.cu", _pool("gather_planes")),
    "scatter_add_planes": ("pool.cu", _pool("scatter_add_planes")),
    "cross_entropy_forward": ("loss.cu", _cross_entropy("cross_entropy_forward", 0.1)),
    "cross_entropy_backward": ("loss.cu", _cross_entropy("cross_entropy_backward", 0.1)),
    "erf_forward": ("loss.cu", _elementwise("erf_forward", 1)),
    "lstm_pointwise_forward": ("rnn.cu", _lstm_gates()),
}
DTYPES = {"f32": np.float32, "f64": np.float64}
TOL = {"f32": 2e-5, "f64": 1e-12}   # of |error| / max(1, |reference|): sums in another order


@pytest.fixture
def restore_config():
    old = cudasim.configure()
    yield
    cudasim.configure(**old)


def run_case(op, suffix, schedule, cap, seed=0):
    filename, build = CASES[op]
    dtype = DTYPES[suffix]
    launch = build(np.random.default_rng(seed), dtype, cap)
    cudasim.configure(schedule, max_blocks=cap, seed=seed)
    module(filename).get_function(f"{op}_{suffix}")(launch.grid, launch.block, launch.args)
    error = max(float(np.max(np.abs(got.astype(np.float64) - want) / np.maximum(1, np.abs(want)),
                                initial=0))
                for got, want in zip(launch.outputs, launch.expected))
    key = (op, suffix)
    ERRORS[key] = max(ERRORS.get(key, 0.0), error)
    return error


@pytest.mark.parametrize("suffix", DTYPES)
@pytest.mark.parametrize("op", CASES)
def test_kernel_matches_reference(op, suffix, restore_config):
    for schedule in cudasim.SCHEDULES:
        for cap in CAPS:
            error = run_case(op, suffix, schedule, cap)
            assert error <= TOL[suffix], (op, suffix, schedule, cap, error)


EDGE = [np.nan, np.inf, -np.inf, 0.0, -0.0, 1e30, -1e30, 100.0, -100.0, 1e-30, 0.5, -2.0]


@pytest.mark.parametrize("suffix", DTYPES)
@pytest.mark.parametrize("op", ["relu_forward", "relu_backward", "sigmoid_forward",
                                "sigmoid_backward", "tanh_forward", "tanh_backward",
                                "erf_forward", "softmax_forward", "log_softmax_forward",
                                "logsumexp_forward", "softmax_backward", "log_softmax_backward",
                                "soft_threshold"])
def test_kernels_on_nan_inf_and_huge_values(op, suffix, restore_config):
    """NaN, ±inf, ±0 and huge values go where the reference sends them (equal_nan)."""
    dtype = DTYPES[suffix]
    rng = np.random.default_rng(5)
    if op in ("relu_forward", "relu_backward", "sigmoid_forward", "sigmoid_backward",
              "tanh_forward", "tanh_backward", "erf_forward", "soft_threshold"):
        x = np.array(EDGE * 3, dtype)
        inputs = [x] if op.endswith("forward") or op == "soft_threshold" else \
            [x, np.array(rng.permutation(EDGE * 3), dtype)]
        n = x.size
        if op == "soft_threshold":
            args, ref_args = (x, dtype(0.5), dtype(2.0)), (x, dtype(0.5), dtype(2.0))
        else:
            args = ref_args = tuple(inputs)
        out, want = np.empty(n, dtype), np.empty(n, dtype)
        launch = (grid(n), (ELEMENTWISE_BLOCK,), (*args, out, np.int64(n)))
    else:   # rows with -inf entries, a row of -inf only, a +inf entry, a NaN
        x = rng.standard_normal((5, 40)).astype(dtype)
        x[0, ::3], x[1], x[2, 7], x[3, 11] = -np.inf, -np.inf, np.inf, np.nan
        if op.endswith("backward"):
            ref_args = (x, rng.standard_normal((5, 40)).astype(dtype))
            ref_args[1][4, 5] = np.inf
        else:
            ref_args = (x,)
        shape = (5,) if op == "logsumexp_forward" else (5, 40)
        out, want = np.empty(shape, dtype), np.empty(shape, dtype)
        launch = ((5,), row_block(40), (*ref_args, out, np.int64(5), np.int64(40)))
    with np.errstate(all="ignore"):
        getattr(reference, op)(*ref_args, want)
    filename = {"erf_forward": "loss.cu", "soft_threshold": "prox.cu"}.get(
        op, "softmax.cu" if "softmax" in op or "logsumexp" in op else "activation.cu")
    for schedule in ("round_robin", "run_ahead"):
        cudasim.configure(schedule, max_blocks=2)
        out[...] = 7
        module(filename).get_function(f"{op}_{suffix}")(*launch)
        tol = dict(rtol=2e-6, atol=1e-6) if suffix == "f32" else dict(rtol=1e-13, atol=1e-14)
        np.testing.assert_allclose(out, want, equal_nan=True, err_msg=f"{op} {schedule}", **tol)


@pytest.mark.parametrize("eps", [0.0, 0.1])
def test_cross_entropy_with_a_masked_logit(eps):
    """A -inf logit (a masked class that is not the target): the loss is finite without label
    smoothing (no 0 * inf) and +inf with it, as the reference (issue 15's bug 3)."""
    x = np.array([[0.5, -np.inf, 2.0], [1.0, 0.0, -np.inf]])
    target, weight = np.array([0, 1], np.int64), np.ones(3)
    probs, loss = np.empty_like(x), np.empty(2)
    want_probs, want_loss = np.empty_like(x), np.empty(2)
    with np.errstate(all="ignore"):
        reference.cross_entropy_forward(x, target, weight, eps, -100, want_probs, want_loss)
    module("loss.cu").get_function("cross_entropy_forward_f64")(
        (1,), (256,), (x, target, weight, np.float64(eps), np.int64(-100), probs, loss,
                       np.int64(2), np.int64(3)))
    np.testing.assert_allclose(loss, want_loss, rtol=1e-14)
    np.testing.assert_allclose(probs, want_probs, rtol=1e-14)
    assert np.isfinite(loss).all() == (eps == 0)


def test_every_kernel_of_the_sources_is_tested():
    names = set()
    for src in SOURCES:
        names |= set(module(os.path.basename(src)).kernel_names)
    tested = {f"{op}_{s}" for op in CASES for s in DTYPES}
    assert names == tested, (names - tested, tested - names)


# ---- the simulator's own machinery -----------------------------------------------------------

MACHINERY = r"""
// test kernels of the simulator itself (tests/test_cudasim.py)
extern "C" __global__ void warp_ops(const int* v, int* out, int width) {
    const int t = threadIdx.x, x = v[t];
    out[8 * t + 0] = __shfl_sync(0xffffffffu, x, 3, width);
    out[8 * t + 1] = __shfl_up_sync(0xffffffffu, x, 2, width);
    out[8 * t + 2] = __shfl_down_sync(0xffffffffu, x, 2, width);
    out[8 * t + 3] = __shfl_xor_sync(0xffffffffu, x, 5, width);
    out[8 * t + 4] = (int)__ballot_sync(0xffffffffu, x > 0);
    out[8 * t + 5] = __any_sync(0xffffffffu, x > 5);
    out[8 * t + 6] = __all_sync(0xffffffffu, x > -100);
    __syncwarp();
    out[8 * t + 7] = (int)(2 * __shfl_sync(0xffffffffu, (double)x * 0.5, t ^ 1));  // v[t ^ 1]
}

extern "C" __global__ void barrier_votes(const int* v, int* out) {
    const int x = v[threadIdx.x];
    out[3 * threadIdx.x + 0] = __syncthreads_count(x > 0);
    out[3 * threadIdx.x + 1] = __syncthreads_and(x > -5);
    out[3 * threadIdx.x + 2] = __syncthreads_or(x > 100);
}

extern "C" __global__ void atomics(float* f, double* d, int* i, unsigned long long* u) {
    atomicAdd(f, 0.5f);
    atomicAdd(d, 0.25);
    atomicAdd(i, 1);
    atomicMax(i + 1, (int)(blockIdx.x * blockDim.x + threadIdx.x));
    atomicAdd(u, 2ull);
}

// order[t] = when thread t first ran; again[t] = when it ran after the shuffle
extern "C" __global__ void order(int* counter, int* first, int* again) {
    const int t = threadIdx.x;
    first[t] = atomicAdd(counter, 1);
    int v = __shfl_xor_sync(0xffffffffu, t, 1);
    again[t] = atomicAdd(counter, 1) + 0 * v;
}

// reverse each block's slice through dynamic shared memory
extern "C" __global__ void reverse_blocks(const float* x, float* out) {
    extern __shared__ float tile[];
    const long long base = (long long)blockIdx.x * blockDim.x;
    tile[threadIdx.x] = x[base + threadIdx.x];
    __syncthreads();
    out[base + threadIdx.x] = tile[blockDim.x - 1 - threadIdx.x];
}

extern "C" __global__ void read_before_write(double* out) {
    __shared__ double s[64];
    out[threadIdx.x] = s[threadIdx.x];   // nothing wrote s in this block: NaN
    s[threadIdx.x] = 1.0;
}

extern "C" __global__ void hello(int n) {
    if (threadIdx.x == 1 && blockIdx.x == 2) printf("hello from block %d thread %d, n = %d\n",
                                                    blockIdx.x, threadIdx.x, n);
}

extern "C" __global__ void barrier_after_return(float* out) {
    if (threadIdx.x >= 40) return;
    __syncthreads();
    out[threadIdx.x] = 1;
}

extern "C" __global__ void two_barriers(float* out) {
    if (threadIdx.x % 2)
        __syncthreads();
    else
        __syncthreads();
    out[threadIdx.x] = 1;
}

extern "C" __global__ void shuffle_some_lanes(float* out) {
    float v = threadIdx.x;
    if (threadIdx.x < 16) v = __shfl_xor_sync(0xffffffffu, v, 1);
    out[threadIdx.x] = v;
}

extern "C" __global__ void shuffle_all(float* out) {
    out[threadIdx.x] = __shfl_xor_sync(0xffffffffu, (float)threadIdx.x, 1);
}

extern "C" __global__ void half_mask(float* out) {
    float v = threadIdx.x;
    if (threadIdx.x < 16) v = __shfl_xor_sync(0x0000ffffu, v, 1);
    out[threadIdx.x] = v;
}

extern "C" __global__ void stray_write(float* x, long long offset) {
    if (threadIdx.x == 3) x[offset] = 1;
}

extern "C" __global__ void __launch_bounds__(256) restricted(const double* __restrict__ x,
                                                             double* __restrict__ out) {
    out[threadIdx.x] = 2 * x[threadIdx.x];
}

extern "C" __global__ void types(const bool* b, bool flag, unsigned char c, short s,
                                 unsigned u, unsigned long long ull, float* out) {
    out[0] = b[0] + flag + c + s + u + (float)ull;
}
"""


@pytest.fixture(scope="module")
def machinery():
    return cudasim.compile_module(MACHINERY, name="machinery.cu")


@pytest.mark.parametrize("width", [32, 8])
def test_shuffles_and_votes(machinery, width, restore_config):
    v = np.arange(-3, 29, dtype=np.int32)
    lane = np.arange(32)
    first = lane // width * width

    def within(src, own):
        return np.where(own, v, v[np.clip(src, 0, 31)])

    want = np.empty((32, 8), np.int64)
    want[:, 0] = v[first + 3 % width]
    want[:, 1] = within(lane - 2, lane - 2 < first)
    want[:, 2] = within(lane + 2, lane + 2 >= first + width)
    want[:, 3] = within(lane ^ 5, (lane ^ 5) >= first + width)
    want[:, 4] = np.int64(sum(1 << int(i) for i in lane[v > 0])).astype(np.int32)
    want[:, 5], want[:, 6], want[:, 7] = 1, 1, v[lane ^ 1]
    for schedule in cudasim.SCHEDULES:
        cudasim.configure(schedule)
        out = np.zeros((32, 8), np.int32)
        machinery.get_function("warp_ops")((1,), (32,), (v, out, np.int32(width)))
        np.testing.assert_array_equal(out, want.astype(np.int32))


def test_barrier_votes(machinery):
    v = np.arange(-3, 45, dtype=np.int32)   # 48 threads: 44 positive, all > -5, none > 100
    out = np.zeros((48, 3), np.int32)
    machinery.get_function("barrier_votes")((1,), (48,), (v, out))
    np.testing.assert_array_equal(out, np.tile([44, 1, 0], (48, 1)))


def test_atomics(machinery):
    f, d = np.zeros(1, np.float32), np.zeros(1, np.float64)
    i, u = np.array([0, -1], np.int32), np.zeros(1, np.uint64)
    machinery.get_function("atomics")((3,), (100,), (f, d, i, u))
    assert (f[0], d[0], i[0], i[1], u[0]) == (150.0, 75.0, 300, 299, 600)


@pytest.mark.parametrize("schedule, first, again", [
    ("round_robin", range(64), range(64, 128)),
    ("reverse", range(63, -1, -1), range(127, 63, -1)),
    # warp 0 runs on past its shuffle before warp 1 starts
    ("run_ahead", [*range(32), *range(64, 96)], [*range(32, 64), *range(96, 128)]),
])
def test_schedules_order_the_threads(machinery, schedule, first, again, restore_config):
    cudasim.configure(schedule)
    counter, when, after = np.zeros(1, np.int32), np.zeros(64, np.int32), np.zeros(64, np.int32)
    machinery.get_function("order")((1,), (64,), (counter, when, after))
    np.testing.assert_array_equal(when, list(first))
    np.testing.assert_array_equal(after, list(again))


def test_run_ahead_lets_warp_k_lead_in_block_k(machinery, restore_config):
    cudasim.configure("run_ahead")
    counter, when, after = np.zeros(1, np.int32), np.zeros(64, np.int32), np.zeros(64, np.int32)
    machinery.get_function("order")((2,), (64,), (counter, when, after))  # block 1 writes last
    np.testing.assert_array_equal(when, [*range(192, 224), *range(128, 160)])
    np.testing.assert_array_equal(after, [*range(224, 256), *range(160, 192)])


def test_random_schedule_is_seeded(machinery, restore_config):
    runs = []
    for seed in (1, 1, 2):
        cudasim.configure("random", seed=seed)
        counter, when, after = (np.zeros(k, np.int32) for k in (1, 64, 64))
        machinery.get_function("order")((1,), (64,), (counter, when, after))
        runs.append(when.tolist())
        assert sorted([*when, *after]) == list(range(128))
    assert runs[0] == runs[1] != runs[2]


def test_dynamic_shared_memory(machinery):
    x = np.arange(3 * 64, dtype=np.float32)
    out = np.zeros_like(x)
    machinery.get_function("reverse_blocks")((3,), (64,), (x, out), shared_mem=64 * 4)
    np.testing.assert_array_equal(out, x.reshape(3, 64)[:, ::-1].ravel())


def test_shared_memory_starts_as_nan_in_every_block(machinery):
    out = np.zeros(64)
    machinery.get_function("read_before_write")((2,), (64,), (out,))
    assert np.isnan(out).all()   # block 1 too: its shared memory was poisoned again


def test_printf_prints(machinery, capfd):
    machinery.get_function("hello")((3,), (4,), (np.int32(7),))
    assert capfd.readouterr().out == "hello from block 2 thread 1, n = 7\n"


@pytest.mark.parametrize("kernel, block, message", [
    ("barrier_after_return", 64, r"barrier_after_return, block \(0, 0, 0\), thread \(0, 0, 0\): "
     r"divergent barrier: .* line \d+, which thread \(40, 0, 0\) never reaches"),
    ("two_barriers", 32, r"two_barriers, block \(0, 0, 0\), thread \(0, 0, 0\): divergent "
     r"barrier: .*line \d+ while thread \(1, 0, 0\) waits at the one at line \d+"),
    ("shuffle_some_lanes", 32, r"shuffle_some_lanes.*__shfl_xor_sync at line \d+ \(mask "
     r"0xffffffff\) waits for lane 16, which has returned"),
    ("shuffle_all", 48, r"thread \((3[2-9]|4[0-7]), 0, 0\): __shfl_xor_sync.* partial warp: "
     r"warp 1 has only 16 lanes"),
])
def test_simulator_errors(machinery, kernel, block, message, restore_config):
    for schedule in cudasim.SCHEDULES:
        cudasim.configure(schedule)
        with pytest.raises(cudasim.SimulatorError, match=message):
            machinery.get_function(kernel)((1,), (block,), (np.zeros(64, np.float32),))


def test_a_fault_in_a_kernel_is_an_error_not_a_crash(machinery):
    if cudasim._build.asan_enabled():
        pytest.skip("under MINIGRAD_CUDA_SIM_ASAN=1, AddressSanitizer's own handler reports faults")
    x = np.zeros(4, np.float32)
    with pytest.raises(cudasim.SimulatorError, match=r"stray_write, block \(0, 0, 0\), thread "
                       r"\(3, 0, 0\): segmentation fault at address (0x[0-9a-f]+|\(nil\)): "
                       r"a read or write out of bounds"):
        machinery.get_function("stray_write")((2,), (8,), (x, np.int64(1 << 40)))
    machinery.get_function("stray_write")((2,), (8,), (x, np.int64(2)))  # the fibers recover
    np.testing.assert_array_equal(x, [0, 0, 1, 0])


def test_a_partial_mask_is_fine(machinery):
    out = np.zeros(32, np.float32)
    machinery.get_function("half_mask")((1,), (32,), (out,))
    np.testing.assert_array_equal(out, np.arange(32) ^ np.r_[np.ones(16, int), np.zeros(16, int)])


def test_parameters_and_value_types(machinery):
    kernel = machinery.get_function("types")
    assert kernel.parameters == [("const bool*", "b"), ("bool", "flag"), ("unsigned char", "c"),
                                 ("short", "s"), ("unsigned", "u"), ("unsigned long long", "ull"),
                                 ("float*", "out")]
    out = np.zeros(1, np.float32)
    kernel((1,), (1,), (np.array([True]), True, np.uint8(2), np.int16(-3), np.uint32(4),
                        np.uint64(5), out))
    assert out[0] == 1 + 1 + 2 - 3 + 4 + 5
    restricted = machinery.get_function("restricted")
    assert restricted.parameters == [("const double*", "x"), ("double*", "out")]
    x, out = np.arange(4.0), np.zeros(4)
    restricted(1, 4, (x, out))   # grid and block as plain ints, as CuPy allows
    np.testing.assert_array_equal(out, 2 * x)


def _relu():
    return module("activation.cu").get_function("relu_forward_f32")


@pytest.mark.parametrize("args, message", [
    ((np.zeros(4, np.float32), np.zeros(4, np.float32), np.int32(4)),
     r"relu_forward_f32: parameter 2 \(long long n\): expected int64, got numpy.int32"),
    ((np.zeros(4, np.float32), np.zeros(4, np.float32), 4.0),
     r"parameter 2 \(long long n\): expected int64, got float 4.0 \(a Python float is passed as "
     r"float64\)"),
    ((np.zeros(4), np.zeros(4, np.float32), 4),
     r"parameter 0 \(const float\* x\): expected an array of float32, got one of float64"),
    ((np.zeros(8, np.float32)[::2], np.zeros(4, np.float32), 4),
     r"parameter 0 \(const float\* x\): the array of shape \(4,\) with strides \(8,\) is not "
     r"C-contiguous"),
    ((np.zeros(4, np.float32), np.zeros((4, 2), np.float32).T, 4), r"parameter 1.*not C-contig"),
    ((np.zeros(4, np.float32), np.float32(0), 4),
     r"parameter 1 \(float\* out\): expected an array, got numpy.float32 scalar"),
    ((np.zeros(4, np.float32), np.zeros(4, np.float32), np.zeros(1, np.int64)),
     r"parameter 2 \(long long n\): expected a scalar of int64, got numpy array"),
    ((np.zeros(4, np.float32), np.zeros(4, np.float32)), r"relu_forward_f32 takes 3 arguments"),
    ((np.zeros(4, np.float32), np.broadcast_to(np.float32(0), (4,)), 4), r"not C-contiguous"),
])
def test_launch_arguments_are_checked_as_cupy_passes_them(args, message):
    with pytest.raises(TypeError, match=message):
        _relu()((1,), (32,), args)


def test_more_argument_checks():
    out = np.zeros(4, np.float32)
    out.flags.writeable = False
    with pytest.raises(TypeError, match=r"parameter 1 \(float\* out\): the array is read-only"):
        _relu()((1,), (32,), (np.zeros(4, np.float32), out, 4))
    soft = module("prox.cu").get_function("soft_threshold_f32")
    v = np.zeros(4, np.float32)
    with pytest.raises(TypeError, match=r"parameter 1 \(float threshold\): expected float32, got "
                                        r"float 0.5 \(a Python float is passed as float64\)"):
        soft((1,), (32,), (v, 0.5, np.float32(1), v.copy(), 4))
    with pytest.raises(TypeError, match=r"parameter 2 \(float divisor\): expected float32, got "
                                        r"numpy.float64"):
        soft((1,), (32,), (v, np.float32(0.5), np.float64(1), v.copy(), 4))
    im2col = module("conv.cu").get_function("im2col_f32")
    with pytest.raises(TypeError, match=r"parameter 10 \(int sh\): expected int32, got int 1 "
                                        r"\(a Python int is passed as int64\)"):
        im2col((1,), (32,), (v, v.copy(), *[np.int64(1)] * 8, *[1] * 6))
    with pytest.raises(KeyError, match=r"activation.cu has no .* 'relu_f32'; it has: "
                                       r"relu_forward_f32, relu_forward_f64, relu_backward_f32"):
        module("activation.cu").get_function("relu_f32")
    for bad in [dict(grid=(0,), block=(32,)), dict(grid=(1,), block=(2048,)),
                dict(grid=(1,), block=(32, 32, 2))]:
        with pytest.raises(ValueError, match="block|grid"):
            _relu()(bad["grid"], bad["block"], (v, v.copy(), 4))
    with pytest.raises(ValueError, match="schedule must be one of"):
        cudasim.configure("fastest")
    with pytest.raises(ValueError, match="max_blocks must be None or an int >= 1"):
        cudasim.configure(max_blocks=0)


def test_compile_errors_and_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("MINIGRAD_CUDA_SIM_CACHE", str(tmp_path))
    with pytest.raises(cudasim.CompileError, match="compiling broken.cu"):
        cudasim.compile_module('extern "C" __global__ void k(float* x) { x[0] = y; }',
                               name="broken.cu")
    code = 'extern "C" __global__ void k(float* x) { x[threadIdx.x] = SCALE * threadIdx.x; }'
    cudasim.compile_module(code, options=("-DSCALE=2", "--use_fast_math"), name="k.cu")
    built = list(tmp_path.glob("*/kernels.so"))
    assert len(built) == 1 and (built[0].parent / "k.cu").exists()
    # a fresh process finds the library in the cache and does not compile again
    script = ("from minigrad import cudasim; import numpy as np; x = np.zeros(4, np.float32); "
              f"cudasim.compile_module({code!r}, options=('-DSCALE=2',), name='k.cu')"
              ".get_function('k')(1, 4, (x,)); print(x.tolist()); "
              "c = cudasim.config; print(c.schedule, c.max_blocks, c.seed)")
    mtime = built[0].stat().st_mtime_ns
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         cwd=ROOT, env={**os.environ, "CXX": "/nonexistent-compiler-proves-cached",
                                        "MINIGRAD_CUDA_SIM_SCHEDULE": "run_ahead",
                                        "MINIGRAD_CUDA_SIM_MAX_BLOCKS": "3",
                                        "MINIGRAD_CUDA_SIM_SEED": "7"})
    assert out.stdout.split("\n")[:2] == ["[0.0, 2.0, 4.0, 6.0]", "run_ahead 3 7"], out.stderr
    assert built[0].stat().st_mtime_ns == mtime


def error_table():
    """Markdown: kernel, float32 / float64 max error over every schedule and grid cap."""
    for op in CASES:
        for suffix in DTYPES:
            for schedule in cudasim.SCHEDULES:
                for cap in CAPS:
                    run_case(op, suffix, schedule, cap)
    lines = ["| kernel (csrc/cuda) | float32 max error | float64 max error | runs |",
             "|---|---|---|---|"]
    for op, (filename, _) in CASES.items():
        lines.append(f"| {op} ({filename}) | {ERRORS[op, 'f32']:.2e} | {ERRORS[op, 'f64']:.2e} | "
                     f"{len(cudasim.SCHEDULES)} schedules x max_blocks {CAPS} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print("max error = max |simulated - reference| / max(1, |reference|)\n")
    print(error_table())
