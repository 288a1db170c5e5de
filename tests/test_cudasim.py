"""Every kernel of csrc/cuda/*.cu run under the CUDA simulator (minigrad.cudasim), float32 and
float64, against the numpy reference (minigrad/backend/reference.py), under every schedule and
with the grid as launched and capped at 1 and 3 blocks (so grid-stride loops make several
trips). Launch configurations are backend/cuda.py's (block sizes copied here: cuda.py itself
imports only with CuPy). Plus the simulator's own machinery: argument checks, errors, printf.

`python tests/test_cudasim.py` prints the kernel-by-kernel table of maximum errors.
"""
import glob
import os
import subprocess
import sys

import numpy as np
import pytest

from minigrad import cudasim
from minigrad.backend import reference, specs

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
        reference.cross_entropy_forward(x, target, weight, eps, ignore, probs, np.empty(rows, dtype))
        g = rng.standard_normal(rows).astype(dtype)
        out, expected = np.full_like(x, np.nan), np.empty_like(x)
        reference.cross_entropy_backward(probs, target, weight, eps, ignore, g, expected)
        args = (probs, target, weight, np.float64(eps), np.int64(ignore), g, out, np.int64(rows),
                np.int64(classes))
        return Launch(grid(rows), (ELEMENTWISE_BLOCK,), args, [out], [expected])
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
    "cross_entropy_forward": ("loss.cu", _cross_entropy("cross_entropy_forward", 0.1)),
    "cross_entropy_backward": ("loss.cu", _cross_entropy("cross_entropy_backward", 0.1)),
    "erf_forward": ("loss.cu", _elementwise("erf_forward", 1)),
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


def test_every_kernel_of_the_sources_is_tested():
    names = set()
    for src in SOURCES:
        names |= set(module(os.path.basename(src)).kernel_names)
    tested = {f"{op}_{s}" for op in CASES for s in DTYPES}
    assert names == tested, (names - tested, tested - names)
