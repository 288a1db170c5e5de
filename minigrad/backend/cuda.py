"""CUDA backend: CuPy arrays, with the kernels of ``reference.KERNELS`` taken from
csrc/cuda/*.cu and compiled by CuPy (``cupy.RawModule``, NVRTC) the first time each file is used.

Importing this module raises RuntimeError, saying why, when CuPy is missing or sees no GPU;
``minigrad.backend.cuda_available()`` and ``cuda_unavailable_reason()`` report that without
raising.

Each kernel function has the reference signature (``relu_forward(x, out)``, ...), checks its
arguments (a wrong size would make the kernel read or write out of bounds), and launches the
float32 (``<op>_f32``) or float64 (``<op>_f64``) entry point of the .cu file.

Where the sources are read from: ``<repo>/csrc/cuda/`` in a source checkout, so an edited .cu is
used without rebuilding anything; otherwise ``minigrad/cuda_kernels/``, where setup.py copies
them for an installed package.
"""
import functools
import importlib.util
import os

import numpy

if importlib.util.find_spec("cupy") is None:
    raise RuntimeError("CuPy is not installed: pip install minigrad[cuda]")
try:
    import cupy
except Exception as exc:  # e.g. a CuPy wheel built for another CUDA version
    raise RuntimeError(f"CuPy is installed but failed to import: {exc}") from exc
try:
    _device_count = cupy.cuda.runtime.getDeviceCount()
except Exception as exc:  # no driver, or CUDA_VISIBLE_DEVICES hides every GPU
    raise RuntimeError(f"CuPy cannot reach a CUDA GPU: {exc}") from exc
if _device_count == 0:
    raise RuntimeError("CuPy sees no CUDA GPU (cupy.cuda.runtime.getDeviceCount() == 0)")

name = "cuda"
xp = cupy

_HERE = os.path.dirname(os.path.abspath(__file__))
_SOURCE_DIRS = (
    os.path.normpath(os.path.join(_HERE, "..", "..", "csrc", "cuda")),
    os.path.normpath(os.path.join(_HERE, "..", "cuda_kernels")),
)
_SUFFIX = {numpy.dtype(numpy.float32): "f32", numpy.dtype(numpy.float64): "f64"}

#: Threads per block of the elementwise kernels (grid-stride loops, so any grid covers any n).
ELEMENTWISE_BLOCK = 256
#: Row kernels give each thread about this many entries of its row, within 32..1024 threads.
ROW_ENTRIES_PER_THREAD = 4
#: sum_rows block: 32 neighbouring columns (a coalesced warp) x 32 lanes sharing their rows.
SUM_ROWS_BLOCK = (32, 32)
_MAX_GRID = 2**31 - 1


def to_numpy(a):
    return cupy.asnumpy(a)


def asarray(data, dtype):
    return cupy.asarray(data, dtype=dtype)


def synchronize():
    cupy.cuda.Device().synchronize()


@functools.lru_cache(maxsize=None)
def _module(filename):
    for directory in _SOURCE_DIRS:
        path = os.path.join(directory, filename)
        if os.path.isfile(path):
            with open(path) as f:
                return cupy.RawModule(code=f.read())
    raise FileNotFoundError(f"CUDA kernel source {filename} not found in {list(_SOURCE_DIRS)}")


@functools.lru_cache(maxsize=None)
def _kernel(filename, op, dtype):
    return _module(filename).get_function(f"{op}_{_SUFFIX[dtype]}")


def _check(out, *inputs):
    """The dtype every argument shares; TypeError/ValueError naming the problem otherwise."""
    dtype = out.dtype
    if dtype not in _SUFFIX:
        raise TypeError(f"unsupported dtype {dtype}: the CUDA kernels take float32 or float64")
    for a in (*inputs, out):
        if not isinstance(a, cupy.ndarray):
            raise TypeError(f"expected cupy.ndarray arguments, got {type(a).__name__}")
        if a.dtype != dtype:
            raise TypeError(f"dtype mismatch: {a.dtype} and {dtype} (all arguments must match)")
        if not a.flags.c_contiguous:
            raise ValueError(f"arguments must be C-contiguous (got strides {a.strides})")
    return dtype


def _check_2d(a):
    if a.ndim != 2:
        raise ValueError(f"row kernels take a 2-D (rows, cols) array, got shape {a.shape}")
    return a.shape


# ---- launch configurations: the only place grid and block sizes are chosen -------------------

def _launch_elementwise(filename, op, out, *inputs):
    dtype = _check(out, *inputs)
    n = out.size
    if any(a.size != n for a in inputs):
        raise ValueError(f"size mismatch: {[a.shape for a in inputs]} and out {out.shape}")
    if n == 0:
        return
    grid = min(-(-n // ELEMENTWISE_BLOCK), _MAX_GRID)
    _kernel(filename, op, dtype)((grid,), (ELEMENTWISE_BLOCK,), (*inputs, out, numpy.int64(n)))


def _launch_rows(filename, op, out, out_shape, *inputs):
    """One block per row (grid-stride over rows beyond _MAX_GRID); block a multiple of 32."""
    dtype = _check(out, *inputs)
    rows, cols = _check_2d(inputs[0])
    for a in inputs[1:]:
        if a.shape != (rows, cols):
            raise ValueError(f"shape mismatch: {a.shape}, expected {(rows, cols)}")
    if out.shape != out_shape:
        raise ValueError(f"out has shape {out.shape}, expected {out_shape}")
    if rows == 0:
        return
    block = min(1024, 32 * max(1, -(-cols // (32 * ROW_ENTRIES_PER_THREAD))))
    _kernel(filename, op, dtype)((min(rows, _MAX_GRID),), (block,),
                                 (*inputs, out, numpy.int64(rows), numpy.int64(cols)))


# ---- fused activations (any shape) --------------------------------------------------------------

def relu_forward(x, out):
    _launch_elementwise("activation.cu", "relu_forward", out, x)


def relu_backward(x, grad, out):
    _launch_elementwise("activation.cu", "relu_backward", out, x, grad)


def sigmoid_forward(x, out):
    _launch_elementwise("activation.cu", "sigmoid_forward", out, x)


def sigmoid_backward(y, grad, out):
    _launch_elementwise("activation.cu", "sigmoid_backward", out, y, grad)


def tanh_forward(x, out):
    _launch_elementwise("activation.cu", "tanh_forward", out, x)


def tanh_backward(y, grad, out):
    _launch_elementwise("activation.cu", "tanh_backward", out, y, grad)


# ---- row kernels on (rows, cols) ----------------------------------------------------------------

def softmax_forward(x, out):
    _launch_rows("softmax.cu", "softmax_forward", out, x.shape, x)


def softmax_backward(y, grad, out):
    _launch_rows("softmax.cu", "softmax_backward", out, y.shape, y, grad)


def log_softmax_forward(x, out):
    _launch_rows("softmax.cu", "log_softmax_forward", out, x.shape, x)


def log_softmax_backward(y, grad, out):
    _launch_rows("softmax.cu", "log_softmax_backward", out, y.shape, y, grad)


def logsumexp_forward(x, out):
    _launch_rows("softmax.cu", "logsumexp_forward", out, x.shape[:1], x)


# ---- reduce-to-shape ----------------------------------------------------------------------------

def sum_rows(x, out):
    dtype = _check(out, x)
    rows, cols = _check_2d(x)
    if out.shape != (cols,):
        raise ValueError(f"out has shape {out.shape}, expected {(cols,)}")
    if cols == 0:
        return
    tile = SUM_ROWS_BLOCK[0]
    _kernel("reduce.cu", "sum_rows", dtype)((-(-cols // tile),), SUM_ROWS_BLOCK,
                                            (x, out, numpy.int64(rows), numpy.int64(cols)))
