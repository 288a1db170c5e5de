"""The CUDA simulator catches real GPU bugs: each case plants one bug, in a real kernel (one
textual patch of a csrc/cuda source, applied at test time, so the planted kernel is always
today's kernel with that one change) or in the launch of a real kernel, and asserts HOW it is
caught — an exception (TypeError for a launch argument CuPy would pass as the wrong bytes,
SimulatorError for what a GPU would hang on or leave undefined) or a wrong result against the
numpy reference — and under which schedules and grid caps. On a GPU most of these would run
without an error and give wrong numbers, sometimes only on some GPUs or some runs.

`python tests/test_cudasim_planted.py` prints the table of bugs and what caught them.
"""
import os
import shutil

import numpy as np
import pytest

from minigrad import cudasim
from minigrad.backend import reference, specs

from test_cudasim import CAPS, CASES, DTYPES, ROOT, TOL, grid, module, row_block

pytestmark = pytest.mark.skipif(
    shutil.which(os.environ.get("CXX") or "g++") is None,
    reason="no C++ compiler (g++ or $CXX): the CUDA simulator compiles the kernels with it")

SENTINEL = 12345.0
N = 1000

# name: (source in csrc/cuda, the text replaced, its planted replacement); each text occurs in
# its source exactly once, so a kernel edited in a way that removes it fails loudly here
PATCHES = {
    "missing_first_barrier": ("softmax.cu", "    __syncthreads();  // a previous call's readers "
                              "may still be reading warp_result\n", ""),
    "missing_second_barrier": ("softmax.cu", "warp_result[threadIdx.x >> 5] = v;\n"
                               "    __syncthreads();\n", "warp_result[threadIdx.x >> 5] = v;\n"),
    "wrong_shared_index": ("softmax.cu", "warp_result[threadIdx.x >> 5] = v;",
                           "warp_result[threadIdx.x & 31] = v;"),
    "off_by_one": ("activation.cu", "threadIdx.x; i < (n); \\", "threadIdx.x; i <= (n); \\"),
    "no_grid_stride": ("activation.cu",
                       "    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; "
                       "i < (n); \\\n         i += (long long)gridDim.x * blockDim.x)",
                       "    if (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; "
                       "i < (n))"),
    "wrong_stride": ("optim.cu", "i += (long long)gridDim.x * blockDim.x)", "i += blockDim.x)"),
    "missing_bounds_check": ("reduce.cu", "if (threadIdx.y == 0 && c < cols) {",
                             "if (threadIdx.y == 0) {"),
    "divergent_barrier": ("reduce.cu", "partial[threadIdx.y][threadIdx.x] = acc;\n"
                          "        __syncthreads();",
                          "partial[threadIdx.y][threadIdx.x] = acc;\n"
                          "        if (c < cols) __syncthreads();"),
}


def planted_source(bug):
    """The source of csrc/cuda/<file> with the bug's one patch applied."""
    filename, old, new = PATCHES[bug]
    with open(os.path.join(ROOT, "csrc", "cuda", filename), encoding="utf-8") as f:
        source = f.read()
    assert source.count(old) == 1, f"planted bug {bug}: {old!r} is not once in {filename}"
    return source.replace(old, new)


def _bug(bug):
    return cudasim.compile_module(planted_source(bug), name=PATCHES[bug][0])


def _compare(outputs, expected, suffix="f64"):
    for got, want in zip(outputs, expected):
        error = np.max(np.abs(got.astype(np.float64) - want) / np.maximum(1, np.abs(want)),
                       initial=0)
        if not error <= TOL[suffix]:   # NaN is wrong too
            return "wrong result"
    return "correct"


def _real_case(op, mod, suffix="f64"):
    """The test_cudasim case of op, launched from module mod (a planted copy)."""
    def run(rng, cap):
        launch = CASES[op][1](rng, DTYPES[suffix], cap)
        mod.get_function(f"{op}_{suffix}")(launch.grid, launch.block, launch.args)
        return _compare(launch.outputs, launch.expected, suffix)
    return run


def _guarded_relu(mod, suffix="f32"):
    """relu_forward on x and out that are the first N entries of longer buffers, whose entry N
    holds a sentinel: a write past the end of out changes it."""
    def run(rng, cap):
        dtype = DTYPES[suffix]
        xbuf = np.r_[rng.standard_normal(N), 7.0].astype(dtype)   # relu(x[N]) != SENTINEL
        obuf = np.full(N + 1, SENTINEL, dtype)
        x, out = xbuf[:N], obuf[:N]
        mod.get_function(f"relu_forward_{suffix}")(grid(N), (256,), (x, out, np.int64(N)))
        if obuf[N] != SENTINEL:
            return "wrong result"
        return _compare([out], [np.maximum(x, 0)], suffix)
    return run


def _guarded_sum_rows(mod):
    def run(rng, cap):
        rows, cols = 70, 40 if cap is None else 32 * cap - 3
        x = rng.standard_normal((rows, cols))
        obuf = np.full(32 * -(-cols // 32), SENTINEL)
        out = obuf[:cols]
        mod.get_function("sum_rows_f64")((-(-cols // 32),), (32, 32),
                                         (x, out, np.int64(rows), np.int64(cols)))
        if np.any(obuf[cols:] != SENTINEL):
            return "wrong result"
        return _compare([out], [x.sum(axis=0)])
    return run


def _launch_relu(make_args, suffix="f32"):
    """The real relu_forward launched with wrongly built arguments."""
    def run(rng, cap):
        x = rng.standard_normal(2 * N).astype(DTYPES[suffix])
        out = np.empty(N, DTYPES[suffix])
        module("activation.cu").get_function(f"relu_forward_{suffix}")(
            grid(N), (256,), make_args(x, out))
        return _compare([out], [np.maximum(x[:N], 0)], suffix)
    return run


def _soft_threshold_python_float(rng, cap):
    v = rng.standard_normal(N).astype(np.float32)
    out, want = np.empty_like(v), np.empty_like(v)
    reference.soft_threshold(v, 0.3, 1.0, want)
    module("prox.cu").get_function("soft_threshold_f32")(
        grid(N), (256,), (v, 0.3, np.float32(1.0), out, np.int64(N)))   # 0.3: a Python float
    return _compare([out], [want], "f32")


def _softmax_block_not_multiple_of_32(rng, cap, rows=4, cols=40):
    x = rng.standard_normal((rows, cols))
    out = np.empty_like(x)
    module("softmax.cu").get_function("softmax_forward_f64")(
        (rows,), (cols,), (x, out, np.int64(rows), np.int64(cols)))  # block = cols: 40 threads
    e = np.exp(x - x.max(1, keepdims=True))
    return _compare([out], [e / e.sum(1, keepdims=True)])


def _sgd_wrong_stride(rng, cap):
    return _real_case("sgd_step", _bug("wrong_stride"))(rng, cap)


ALWAYS = {(s, c) for s in cudasim.SCHEDULES for c in CAPS}

# name: (where the bug is, what it is, run(rng, cap) -> outcome, expected outcome,
#        the (schedule, cap) pairs where it is caught)
BUGS = {
    # block_allreduce's first barrier matters only when one block handles several rows (a
    # capped grid): a warp that runs ahead into the next row's reduction overwrites
    # warp_result while the other warps still read this row's
    "removed __syncthreads (before the write)": (
        f"{PATCHES['missing_first_barrier'][0]}, patched",
        "a warp runs ahead and overwrites warp_result being read",
        lambda rng, cap: _real_case("softmax_backward", _bug("missing_first_barrier"))(rng,
                                                                                          cap),
        "wrong result", {("run_ahead", 1), ("run_ahead", 3)}),
    "removed __syncthreads (before the read)": (
        f"{PATCHES['missing_second_barrier'][0]}, patched",
        "warps read partial results not yet written (NaN poison)",
        lambda rng, cap: _real_case("softmax_forward", _bug("missing_second_barrier"))(rng,
                                                                                          cap),
        "wrong result", ALWAYS),
    "wrong shared-memory index": (
        f"{PATCHES['wrong_shared_index'][0]}, patched",
        "warp_result[lane] instead of warp_result[warp]",
        lambda rng, cap: _real_case("log_softmax_forward", _bug("wrong_shared_index"))(rng,
                                                                                          cap),
        "wrong result", ALWAYS),
    "off-by-one write": (
        f"{PATCHES['off_by_one'][0]}, patched",
        "i <= n: writes out[n], past the end (sentinel changed)",
        lambda rng, cap: _guarded_relu(_bug("off_by_one"))(rng, cap), "wrong result", ALWAYS),
    "wrong grid-stride step": (
        f"{PATCHES['wrong_stride'][0]}, patched",
        "i += blockDim.x: overlapping blocks update in place twice",
        _sgd_wrong_stride, "wrong result", {(s, c) for s in cudasim.SCHEDULES for c in (None, 3)}),
    "no grid-stride loop": (
        f"{PATCHES['no_grid_stride'][0]}, patched",
        "`if` instead of `for`: right only when the grid covers n",
        lambda rng, cap: _real_case("relu_forward", _bug("no_grid_stride"))(rng, cap),
        "wrong result", {(s, c) for s in cudasim.SCHEDULES for c in (1, 3)}),
    "missing bounds check": (
        f"{PATCHES['missing_bounds_check'][0]}, patched",
        "sum_rows writes out[c] for c >= cols (sentinel changed)",
        lambda rng, cap: _guarded_sum_rows(_bug("missing_bounds_check"))(rng, cap),
        "wrong result", ALWAYS),
    "divergent barrier": (
        f"{PATCHES['divergent_barrier'][0]}, patched",
        "__syncthreads only where c < cols",
        lambda rng, cap: _real_case("sum_rows", _bug("divergent_barrier"))(rng, cap),
        "SimulatorError", ALWAYS),
    "full-mask shuffle in a partial warp": (
        "launch of softmax.cu", "block of 40 threads (cols), not a multiple of 32",
        _softmax_block_not_multiple_of_32, "SimulatorError", ALWAYS),
    "int passed for long long": (
        "launch of activation.cu", "numpy.int32(n) for `long long n`",
        _launch_relu(lambda x, out: (x[:N], out, np.int32(N))), "TypeError", ALWAYS),
    "Python float passed for float": (
        "launch of prox.cu", "0.3 (travels as float64) for `float threshold`",
        _soft_threshold_python_float, "TypeError", ALWAYS),
    "non-contiguous array": (
        "launch of activation.cu", "x[::2] (strided view) for `const float* x`",
        _launch_relu(lambda x, out: (x[::2], out, np.int64(N))), "TypeError", ALWAYS),
    "wrong array dtype": (
        "launch of activation.cu", "float64 x for relu_forward_f32",
        _launch_relu(lambda x, out: (x[:N].astype(np.float64), out, np.int64(N))),
        "TypeError", ALWAYS),
}


def outcome(run, schedule, cap, seed=0):
    old = cudasim.configure(schedule, max_blocks=cap, seed=seed)
    try:
        return run(np.random.default_rng(seed), cap)
    except (TypeError, cudasim.SimulatorError) as exc:
        return type(exc).__name__
    finally:
        cudasim.configure(**old)


@pytest.mark.parametrize("bug", BUGS)
def test_planted_bug_is_caught(bug):
    where, what, run, caught_as, caught_where = BUGS[bug]
    for schedule in cudasim.SCHEDULES:
        for cap in CAPS:
            got = outcome(run, schedule, cap)
            want = caught_as if (schedule, cap) in caught_where else "correct"
            assert got == want, (bug, schedule, cap, got)


def test_the_error_messages_say_what_and_where():
    line = 1 + planted_source("divergent_barrier").split(
        "if (c < cols) __syncthreads();")[0].count("\n")
    # block 1 holds columns 32..63 of 40: its thread x = 8 (column 40) skips the first barrier
    # and waits at the tile's second one
    with pytest.raises(cudasim.SimulatorError, match=rf"kernel sum_rows_f64, block \(1, 0, 0\), "
                       rf"thread \(\d+, \d+, 0\): divergent barrier: .* line {line} while "
                       rf"thread \(8, 0, 0\) waits at the one at line {line + 5}"):
        _real_case("sum_rows", _bug("divergent_barrier"))(np.random.default_rng(0), None)


def table():
    lines = ["| planted bug | where | caught as | caught under (schedule, max_blocks) |",
             "|---|---|---|---|"]
    for bug, (where, what, run, caught_as, _) in BUGS.items():
        caught = [(s, c) for s in cudasim.SCHEDULES for c in CAPS
                  if outcome(run, s, c) == caught_as]
        if len(caught) == len(ALWAYS):
            when = "all 12"
        else:
            when = ", ".join(f"{s}/{c or 'full'}" for s, c in caught)
        lines.append(f"| {bug}: {what} | {where} | {caught_as} | {when} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(table())


def test_address_sanitizer_catches_the_off_by_one_without_a_sentinel(tmp_path):
    """MINIGRAD_CUDA_SIM_ASAN=1 (with libasan preloaded): the read of x[n] past the end of a
    numpy array is a heap-buffer-overflow report naming the .cu line, no guard buffer needed."""
    import subprocess
    import sys

    from minigrad.cudasim import _build
    libasan = _build.asan_preload()
    if not os.path.isabs(libasan) or not os.path.exists(libasan):
        pytest.skip("the compiler has no libasan")
    script = (
        "import numpy as np; from minigrad import cudasim\n"
        "from test_cudasim_planted import planted_source\n"
        "m = cudasim.compile_module(planted_source('off_by_one'), name='activation.cu')\n"
        "x = np.ones(1000, np.float32); out = np.empty_like(x)\n"
        "m.get_function('relu_forward_f32')((4,), (256,), (x, out, np.int64(1000)))\n"
        "print('not caught')\n")
    env = {**os.environ, "MINIGRAD_CUDA_SIM_ASAN": "1", "LD_PRELOAD": libasan,
           "ASAN_OPTIONS": "detect_leaks=0"}
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            cwd=os.path.join(ROOT, "tests"), env=env, timeout=300)
    assert "not caught" not in result.stdout
    assert "AddressSanitizer: heap-buffer-overflow" in result.stderr
    assert "in void relu_forward<float>" in result.stderr and "activation.cu:" in result.stderr
