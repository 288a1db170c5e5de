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


# ---- optimizer updates (minigrad/optim): param and state updated in place -----------------------

def _launch_update(op, param, grad, buffers, scalars):
    """Checks param, grad and the used buffers (None = unused: param's pointer is passed and
    never touched), then launches one grid-stride pass of ``op``."""
    used = [b for b in buffers if b is not None]
    dtype = _check(param, grad, *used)
    n = param.size
    if any(a.size != n for a in (grad, *used)):
        raise ValueError(f"size mismatch: param {param.shape}, "
                         f"others {[a.shape for a in (grad, *used)]}")
    if n == 0:
        return
    args = [param, grad, *(param if b is None else b for b in buffers)]
    for s in scalars:
        args.append(numpy.int32(s) if isinstance(s, bool) else numpy.float64(s))
    grid = min(-(-n // ELEMENTWISE_BLOCK), _MAX_GRID)
    _kernel("optim.cu", op, dtype)((grid,), (ELEMENTWISE_BLOCK,), (*args, numpy.int64(n)))


def sgd_step(param, grad, momentum_buffer, lr, weight_decay, momentum, dampening, nesterov,
             maximize, first_step):
    _launch_update("sgd_step", param, grad, [momentum_buffer],
                   [lr, weight_decay, momentum, dampening, bool(nesterov), bool(maximize),
                    bool(first_step)])


def adam_step(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, step_size,
              bias_correction2_sqrt, beta1, beta2, eps, weight_decay, decoupled_decay, amsgrad,
              maximize):
    _launch_update("adam_step", param, grad, [exp_avg, exp_avg_sq, max_exp_avg_sq],
                   [step_size, bias_correction2_sqrt, beta1, beta2, eps, weight_decay,
                    decoupled_decay, bool(amsgrad), bool(maximize)])


def rmsprop_step(param, grad, square_avg, grad_avg, momentum_buffer, lr, alpha, eps,
                 weight_decay, momentum, centered, maximize):
    _launch_update("rmsprop_step", param, grad, [square_avg, grad_avg, momentum_buffer],
                   [lr, alpha, eps, weight_decay, momentum, bool(centered), bool(maximize)])


def adagrad_step(param, grad, state_sum, clr, eps, weight_decay, maximize):
    _launch_update("adagrad_step", param, grad, [state_sum],
                   [clr, eps, weight_decay, bool(maximize)])


# ---- proximal operators (minigrad/penalties.py): soft / group soft-thresholding ---------------

def soft_threshold(v, threshold, divisor, out):
    dtype = _check(out, v)
    n = out.size
    if v.size != n:
        raise ValueError(f"size mismatch: v {v.shape} and out {out.shape}")
    if n == 0:
        return
    grid = min(-(-n // ELEMENTWISE_BLOCK), _MAX_GRID)
    # the scalars travel as the kernel's T: rounded to the array's dtype, as numpy rounds them
    _kernel("prox.cu", "soft_threshold", dtype)(
        (grid,), (ELEMENTWISE_BLOCK,), (v, dtype.type(threshold), dtype.type(divisor), out,
                                        numpy.int64(n)))


def group_soft_threshold(v, threshold, out):
    dtype = _check(out, v)
    rows, cols = _check_2d(v)
    if out.shape != (rows, cols):
        raise ValueError(f"out has shape {out.shape}, expected {(rows, cols)}")
    if rows == 0 or cols == 0:
        return
    block = min(1024, 32 * max(1, -(-cols // (32 * ROW_ENTRIES_PER_THREAD))))
    _kernel("prox.cu", "group_soft_threshold", dtype)(
        (min(rows, _MAX_GRID),), (block,), (v, dtype.type(threshold), out, numpy.int64(rows),
                                            numpy.int64(cols)))


# ---- nn (minigrad/ops/conv.py, ops/loss.py): im2col / col2im, fused cross-entropy -----------

def _launch_conv(op, src, dst, cols_shape, image_shape, sh, sw, ph, pw, dh, dw):
    dtype = _check(dst, src)
    c, kh, kw, n, oh, ow = cols_shape
    h, w = image_shape[2], image_shape[3]
    total = dst.size
    if total == 0:
        return
    grid = min(-(-total // ELEMENTWISE_BLOCK), _MAX_GRID)
    _kernel("conv.cu", op, dtype)((grid,), (ELEMENTWISE_BLOCK,), (
        src, dst, *(numpy.int64(v) for v in (n, c, h, w, kh, kw, oh, ow)),
        *(numpy.int32(v) for v in (sh, sw, ph, pw, dh, dw))))


def im2col(x, stride_h, stride_w, pad_h, pad_w, dil_h, dil_w, out):
    _launch_conv("im2col", x, out, out.shape, x.shape, stride_h, stride_w, pad_h, pad_w,
                 dil_h, dil_w)


def col2im(cols, stride_h, stride_w, pad_h, pad_w, dil_h, dil_w, out):
    _launch_conv("col2im", cols, out, cols.shape, out.shape, stride_h, stride_w, pad_h, pad_w,
                 dil_h, dil_w)


def _launch_ce(op, rows_in, target, weight, eps, ignore_index, extra):
    dtype = _check(rows_in, weight)
    n, c = _check_2d(rows_in)
    if target.dtype != numpy.int64 or target.shape != (n,):
        raise ValueError(f"target must be int64 of shape {(n,)}, got {target.dtype} {target.shape}")
    if n == 0:
        return
    grid = min(-(-n // ELEMENTWISE_BLOCK), _MAX_GRID)
    _kernel("loss.cu", op, dtype)((grid,), (ELEMENTWISE_BLOCK,), (
        rows_in, target, weight, numpy.float64(eps), numpy.int64(ignore_index), *extra,
        numpy.int64(n), numpy.int64(c)))


def cross_entropy_forward(x, target, weight, label_smoothing, ignore_index, probs, loss):
    _check(probs, x, weight)
    _check(loss, x)
    _launch_ce("cross_entropy_forward", x, target, weight, label_smoothing, ignore_index,
               (probs, loss))


def cross_entropy_backward(probs, target, weight, label_smoothing, ignore_index, grad, out):
    _check(out, probs, weight, grad)
    _launch_ce("cross_entropy_backward", probs, target, weight, label_smoothing, ignore_index,
               (grad, out))


def erf_forward(x, out):
    _launch_elementwise("loss.cu", "erf_forward", out, x)
