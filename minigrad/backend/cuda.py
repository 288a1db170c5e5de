"""CUDA backend: CuPy arrays, with the kernels of the contract (``reference.py``) taken from
csrc/cuda/*.cu and compiled by CuPy (``cupy.RawModule``, NVRTC) the first time each file is used.

Importing this module raises RuntimeError, saying why, when CuPy is missing or sees no GPU;
``minigrad.backend.cuda_available()`` and ``cuda_unavailable_reason()`` report that without
raising.

Each method of ``CudaBackend`` has the reference signature (``relu_forward(x, out)``, ...),
checks its arguments with the checks every backend shares (``_checks.py``: a wrong size would
make the kernel read or write out of bounds), checks that they live on the GPU, and launches
the float32 (``<op>_f32``) or float64 (``<op>_f64``) entry point of the .cu file.

Where the sources are read from: ``<repo>/csrc/cuda/`` in a source checkout, so an edited .cu is
used without rebuilding anything; otherwise ``minigrad/cuda_kernels/``, where setup.py copies
them for an installed package.
"""
import functools
import importlib.util
import os

import numpy

from . import _checks as check

if importlib.util.find_spec("cupy") is None:
    raise RuntimeError("CuPy is not installed: pip install minigrad[cuda12] (CUDA 12) or "
                       "minigrad[cuda13] (CUDA 13), or run on the CPU-only CUDA simulator "
                       "with MINIGRAD_CUDA_SIM=1")
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


def _source(filename):
    """The text of kernel source ``filename``, read as UTF-8 whatever the locale (optim.cu's
    comments are not ASCII: a C or cp1252 locale would fail to decode them)."""
    for directory in _SOURCE_DIRS:
        path = os.path.join(directory, filename)
        if os.path.isfile(path):
            with open(path, encoding="utf-8") as f:
                return f.read()
    raise FileNotFoundError(f"CUDA kernel source {filename} not found in {list(_SOURCE_DIRS)}")


@functools.lru_cache(maxsize=None)
def _module(filename):
    return cupy.RawModule(code=_source(filename))


@functools.lru_cache(maxsize=None)
def _kernel(filename, op, dtype):
    return _module(filename).get_function(f"{op}_{_SUFFIX[dtype]}")


def _on_device(*arrays):
    """The kernels take device pointers: every array must be a cupy.ndarray (None: unused)."""
    for a in arrays:
        if a is not None and not isinstance(a, cupy.ndarray):
            raise TypeError(f"expected cupy.ndarray arguments, got {type(a).__name__}")


# ---- launch configurations: the only place grid and block sizes are chosen -------------------
# Each launcher runs after the method's argument check (check.*), so shapes and dtypes fit.

def _grid(n):
    return (min(-(-n // ELEMENTWISE_BLOCK), _MAX_GRID),)


def _launch_elementwise(filename, op, out, *inputs):
    _on_device(out, *inputs)
    n = out.size
    if n == 0:
        return
    _kernel(filename, op, out.dtype)(_grid(n), (ELEMENTWISE_BLOCK,),
                                     (*inputs, out, numpy.int64(n)))


def _row_block(cols):
    return (min(1024, 32 * max(1, -(-cols // (32 * ROW_ENTRIES_PER_THREAD)))),)


def _launch_rows(filename, op, out, *inputs):
    """One block per row (grid-stride over rows beyond _MAX_GRID); block a multiple of 32."""
    _on_device(out, *inputs)
    rows, cols = inputs[0].shape
    if rows == 0:
        return
    _kernel(filename, op, out.dtype)((min(rows, _MAX_GRID),), _row_block(cols),
                                     (*inputs, out, numpy.int64(rows), numpy.int64(cols)))


@functools.lru_cache(maxsize=None)
def _c_types(spec_type):
    """The C type of each field of a spec (minigrad/backend/specs.py), in field order: a bool
    flag travels as an int, a float as a double."""
    return tuple(numpy.int32 if t is bool else numpy.float64
                 for t in spec_type.__annotations__.values())


def _launch_update(op, param, grad, buffers, spec):
    """One grid-stride pass of a fused optimizer update. A buffer the spec leaves unused (None)
    is passed as param's pointer and never touched. The spec's fields follow the arrays in
    their field order, which is the order the kernel of csrc/cuda/optim.cu takes them in."""
    _on_device(param, grad, *buffers)
    n = param.size
    if n == 0:
        return
    scalars = [c_type(v) for c_type, v in zip(_c_types(type(spec)), spec)]
    _kernel("optim.cu", op, param.dtype)(
        _grid(n), (ELEMENTWISE_BLOCK,),
        (param, grad, *(param if b is None else b for b in buffers), *scalars, numpy.int64(n)))


def _launch_conv(op, src, dst, cols_shape, image_shape, sh, sw, ph, pw, dh, dw):
    _on_device(src, dst)
    c, kh, kw, n, oh, ow = cols_shape
    h, w = image_shape[2], image_shape[3]
    total = dst.size
    if total == 0:
        return
    _kernel("conv.cu", op, dst.dtype)(_grid(total), (ELEMENTWISE_BLOCK,), (
        src, dst, *(numpy.int64(v) for v in (n, c, h, w, kh, kw, oh, ow)),
        *(numpy.int32(v) for v in (sh, sw, ph, pw, dh, dw))))


def _launch_pool(op, src, outputs, image_shape, pooled_shape, geometry):
    """max_pool2d_forward (x -> out, index) and scatter_add_planes (src, index -> out): one
    thread per entry written (the pooled entries, or the image's), grid-stride."""
    _on_device(src, *outputs)
    n, c, h, w = image_shape
    oh, ow = pooled_shape[2], pooled_shape[3]
    total = outputs[-1].size
    if total == 0:
        return
    _kernel("pool.cu", op, src.dtype)(_grid(total), (ELEMENTWISE_BLOCK,), (
        src, *outputs, *(numpy.int64(v) for v in (n, c, h, w, oh, ow)),
        *(numpy.int32(v) for v in geometry)))


def _check_targets(op, target, classes, ignore_index):
    """Every target is a class index in [0, C) or ``ignore_index``: the kernel reads
    row[target] and writes out[target], so any other value would read and write out of bounds
    (an IndexError, as the CPU kernel raises; the check costs one device-to-host read)."""
    outside = (target != ignore_index) & ((target < 0) | (target >= classes))
    if bool(outside.any()):
        bad = int(target[outside][0])
        raise IndexError(f"{op}: target class {bad} is out of range for {classes} classes")


def _launch_ce(op, rows_in, target, weight, eps, ignore_index, extra):
    _on_device(rows_in, target, weight, *extra)
    n, c = rows_in.shape
    if n == 0:
        return
    _check_targets(op, target, c, ignore_index)
    _kernel("loss.cu", op, rows_in.dtype)(_grid(n), (ELEMENTWISE_BLOCK,), (
        rows_in, target, weight, numpy.float64(eps), numpy.int64(ignore_index), *extra,
        numpy.int64(n), numpy.int64(c)))


class CudaBackend:
    """Device "cuda": CuPy arrays and the kernels of csrc/cuda/*.cu."""

    name = "cuda"
    xp = cupy

    def to_numpy(self, a):
        return cupy.asnumpy(a)

    def asarray(self, data, dtype):
        return cupy.asarray(data, dtype=dtype)

    def synchronize(self):
        cupy.cuda.Device().synchronize()

    # ---- fused activations (any shape) -------------------------------------------------------
    def relu_forward(self, x, out):
        check.elementwise(out, x)
        _launch_elementwise("activation.cu", "relu_forward", out, x)

    def relu_backward(self, x, grad, out):
        check.elementwise(out, x, grad)
        _launch_elementwise("activation.cu", "relu_backward", out, x, grad)

    def sigmoid_forward(self, x, out):
        check.elementwise(out, x)
        _launch_elementwise("activation.cu", "sigmoid_forward", out, x)

    def sigmoid_backward(self, y, grad, out):
        check.elementwise(out, y, grad)
        _launch_elementwise("activation.cu", "sigmoid_backward", out, y, grad)

    def tanh_forward(self, x, out):
        check.elementwise(out, x)
        _launch_elementwise("activation.cu", "tanh_forward", out, x)

    def tanh_backward(self, y, grad, out):
        check.elementwise(out, y, grad)
        _launch_elementwise("activation.cu", "tanh_backward", out, y, grad)

    # ---- row kernels on (rows, cols) ---------------------------------------------------------
    def softmax_forward(self, x, out):
        check.rows(out, x.shape, x)
        _launch_rows("softmax.cu", "softmax_forward", out, x)

    def softmax_backward(self, y, grad, out):
        check.rows(out, y.shape, y, grad)
        _launch_rows("softmax.cu", "softmax_backward", out, y, grad)

    def log_softmax_forward(self, x, out):
        check.rows(out, x.shape, x)
        _launch_rows("softmax.cu", "log_softmax_forward", out, x)

    def log_softmax_backward(self, y, grad, out):
        check.rows(out, y.shape, y, grad)
        _launch_rows("softmax.cu", "log_softmax_backward", out, y, grad)

    def logsumexp_forward(self, x, out):
        check.rows(out, x.shape[:1], x)
        _launch_rows("softmax.cu", "logsumexp_forward", out, x)

    def sum_rows(self, x, out):
        rows, cols = check.rows(out, x.shape[1:], x)
        _on_device(x, out)
        if cols == 0:
            return
        tile = SUM_ROWS_BLOCK[0]
        _kernel("reduce.cu", "sum_rows", x.dtype)((min(-(-cols // tile), _MAX_GRID),),
                                                  SUM_ROWS_BLOCK,
                                                  (x, out, numpy.int64(rows), numpy.int64(cols)))

    # ---- optimizer updates (minigrad/optim): param and state updated in place ----------------
    def sgd_step(self, param, grad, momentum_buffer, spec):
        check.sgd_step(param, grad, momentum_buffer, spec)
        _launch_update("sgd_step", param, grad, [momentum_buffer], spec)

    def adam_step(self, param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, spec):
        check.adam_step(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, spec)
        _launch_update("adam_step", param, grad, [exp_avg, exp_avg_sq, max_exp_avg_sq], spec)

    def rmsprop_step(self, param, grad, square_avg, grad_avg, momentum_buffer, spec):
        check.rmsprop_step(param, grad, square_avg, grad_avg, momentum_buffer, spec)
        _launch_update("rmsprop_step", param, grad, [square_avg, grad_avg, momentum_buffer],
                       spec)

    def adagrad_step(self, param, grad, state_sum, spec):
        check.adagrad_step(param, grad, state_sum, spec)
        _launch_update("adagrad_step", param, grad, [state_sum], spec)

    # ---- proximal operators (minigrad/penalties): soft / group soft-thresholding -------------
    def soft_threshold(self, v, threshold, divisor, out):
        n = check.elementwise(out, v)
        _on_device(v, out)
        if n == 0:
            return
        # the scalars travel as the kernel's T: rounded to the array's dtype, as numpy rounds them
        dtype = out.dtype
        _kernel("prox.cu", "soft_threshold", dtype)(
            _grid(n), (ELEMENTWISE_BLOCK,), (v, dtype.type(threshold), dtype.type(divisor), out,
                                             numpy.int64(n)))

    def group_soft_threshold(self, v, threshold, out):
        rows, cols = check.rows(out, v.shape, v)
        _on_device(v, out)
        if rows == 0 or cols == 0:
            return
        dtype = out.dtype
        _kernel("prox.cu", "group_soft_threshold", dtype)(
            (min(rows, _MAX_GRID),), _row_block(cols),
            (v, dtype.type(threshold), out, numpy.int64(rows), numpy.int64(cols)))

    # ---- nn (minigrad/ops/conv.py, ops/loss.py, nn/functional.py) ----------------------------
    def im2col(self, x, stride_h, stride_w, pad_h, pad_w, dil_h, dil_w, out):
        check.patches(x, out, stride_h, stride_w, pad_h, pad_w, dil_h, dil_w)
        _launch_conv("im2col", x, out, out.shape, x.shape, stride_h, stride_w, pad_h, pad_w,
                     dil_h, dil_w)

    def col2im(self, cols, stride_h, stride_w, pad_h, pad_w, dil_h, dil_w, out):
        check.patches(out, cols, stride_h, stride_w, pad_h, pad_w, dil_h, dil_w)
        _launch_conv("col2im", cols, out, cols.shape, out.shape, stride_h, stride_w, pad_h, pad_w,
                     dil_h, dil_w)

    def max_pool2d_forward(self, x, kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w, dil_h,
                           dil_w, out, index):
        check.max_pool(x, out, index, kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w,
                       dil_h, dil_w)
        _launch_pool("max_pool2d_forward", x, (out, index), x.shape, out.shape,
                     (kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w, dil_h, dil_w))

    def gather_planes(self, x, index, out):
        check.planes(x, out, index, "gather_planes")
        _on_device(x, index, out)
        if out.size == 0:
            return
        n, c, h, w = x.shape
        _kernel("pool.cu", "gather_planes", out.dtype)(
            _grid(out.size), (ELEMENTWISE_BLOCK,),
            (x, index, out, numpy.int64(n * c), numpy.int64(h * w),
             numpy.int64(out.shape[2] * out.shape[3])))

    def scatter_add_planes(self, src, index, kernel_h, kernel_w, stride_h, stride_w, pad_h,
                           pad_w, dil_h, dil_w, out):
        check.max_pool(out, src, index, kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w,
                       dil_h, dil_w)
        _launch_pool("scatter_add_planes", src, (index, out), out.shape, src.shape,
                     (kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w, dil_h, dil_w))

    def cross_entropy_forward(self, x, target, weight, label_smoothing, ignore_index, probs,
                              loss):
        check.cross_entropy(x, target, weight, probs, loss)
        _launch_ce("cross_entropy_forward", x, target, weight, label_smoothing, ignore_index,
                   (probs, loss))

    def cross_entropy_backward(self, probs, target, weight, label_smoothing, ignore_index, grad,
                               out):
        check.cross_entropy(probs, target, weight, out, grad)
        _launch_ce("cross_entropy_backward", probs, target, weight, label_smoothing, ignore_index,
                   (grad, out))

    def erf_forward(self, x, out):
        check.elementwise(out, x)
        _launch_elementwise("loss.cu", "erf_forward", out, x)

    # ---- recurrent cells ---------------------------------------------------------------------
    def lstm_pointwise_forward(self, gates, c, h_out, c_out):
        rows, hidden = check.lstm_gates(gates, c, h_out, c_out)
        _on_device(gates, c, h_out, c_out)
        n = rows * hidden
        if n == 0:
            return
        _kernel("rnn.cu", "lstm_pointwise_forward", c.dtype)(
            _grid(n), (ELEMENTWISE_BLOCK,),
            (gates, c, h_out, c_out, numpy.int64(rows), numpy.int64(hidden)))
