"""The argument checks of the kernel contract, written once and run by every backend.

A kernel trusts its arguments: a compiled loop without bounds checks or a CUDA thread given a
too-short array reads or writes past its end, and a kernel handed a non-contiguous array reads
the wrong elements (or, on the CPU, writes into a flattened copy the caller never sees). So
every backend method (``cpu.CpuBackend``, ``cpu.ReferenceBackend``, ``cuda.CudaBackend``) calls
the check of its kernel family below before the kernel, and the same bad call raises the same
error on every device:

  * TypeError: a dtype other than float32 / float64, or arguments of different dtypes
    (a class target of cross-entropy must be int64);
  * ValueError: an array that is not C-contiguous, or sizes / shapes that do not fit together.

The checks read only shapes, dtypes and flags: they never touch the data (no device sync).
They are on every kernel call's path, so each is one pass over its arguments.
"""
import numbers

import numpy

#: The dtypes every kernel is compiled for (Cython fused types, CUDA <op>_f32 / <op>_f64).
FLOAT_DTYPES = (numpy.dtype(numpy.float32), numpy.dtype(numpy.float64))
_INT64 = numpy.dtype(numpy.int64)


# ---- the rules, and the message each one raises -----------------------------------------------

def _c_contiguous(a):
    if not a.flags.c_contiguous:
        raise ValueError(f"arguments must be C-contiguous (the kernels read and write them "
                         f"flat), got shape {a.shape} with strides {a.strides}")


def _float_arrays(first, arrays):
    """``first`` and every array of ``arrays``: one float dtype, C-contiguous. Returns the dtype."""
    dtype = first.dtype
    if dtype not in FLOAT_DTYPES:
        raise TypeError(f"unsupported dtype {dtype}: the kernels take float32 or float64")
    for a in (first, *arrays):
        if a.dtype != dtype:
            raise TypeError(f"dtype mismatch: {a.dtype} and {dtype} (all arguments must match)")
        _c_contiguous(a)
    return dtype


def _same_size(first, arrays):
    n = first.size
    for a in arrays:
        if a.size != n:
            raise ValueError(f"size mismatch: {[b.shape for b in (first, *arrays)]} (the kernel "
                             "needs equal sizes)")
    return n


# ---- kernel families ---------------------------------------------------------------------------

def elementwise(out, *inputs):
    """Elementwise kernels (activations, erf, soft_threshold, and the optimizer updates):
    ``out`` and ``inputs`` of one float dtype, C-contiguous, of equal SIZE (any shapes: the
    kernels see them flat). Returns the size."""
    # On every activation's and every update's path, so the rules are first tested in one pass
    # (the usual case: all fine), and worked through one by one, for the message, only when
    # one fails.
    dtype, n = out.dtype, out.size
    fine = dtype in FLOAT_DTYPES and out.flags.c_contiguous
    for a in inputs:
        fine = fine and a.dtype == dtype and a.size == n and a.flags.c_contiguous
    if not fine:
        _float_arrays(out, inputs)
        _same_size(out, inputs)
    return n


def rows(out, out_shape, *inputs):
    """Row kernels (softmax family, sum_rows, group_soft_threshold): ``inputs`` all 2-D
    (rows, cols) of one shape, ``out`` of ``out_shape``; one float dtype, C-contiguous.
    Returns (rows, cols)."""
    _float_arrays(out, inputs)
    shape = inputs[0].shape
    if len(shape) != 2:
        raise ValueError(f"row kernels take a 2-D (rows, cols) array, got shape {shape}")
    for a in inputs[1:]:
        if a.shape != shape:
            raise ValueError(f"shape mismatch: {a.shape}, expected {shape}")
    if out.shape != out_shape:
        raise ValueError(f"shape mismatch: out has shape {out.shape}, expected {out_shape}")
    return shape


def lstm_gates(gates, c, h_out, c_out):
    """The LSTM gate kernel: gates (B, 4H), c, h_out and c_out (B, H); one float dtype,
    C-contiguous. Returns (B, H)."""
    _float_arrays(h_out, (gates, c, c_out))
    if c.ndim != 2:
        raise ValueError(f"lstm_pointwise_forward: c must be 2-D (B, H), got shape {c.shape}")
    rows, hidden = c.shape
    if gates.shape != (rows, 4 * hidden):
        raise ValueError(f"lstm_pointwise_forward: gates of shape {gates.shape} do not match c "
                         f"of shape {c.shape} (gates must be (B, 4H) = {(rows, 4 * hidden)})")
    for name, out in (("h_out", h_out), ("c_out", c_out)):
        if out.shape != c.shape:
            raise ValueError(f"lstm_pointwise_forward: {name} has shape {out.shape}, c "
                             f"{c.shape}")
    return rows, hidden


def patches(image, cols, stride_h, stride_w, pad_h, pad_w, dil_h, dil_w):
    """im2col / col2im: ``image`` (N, C, H, W) and its patches ``cols`` (C, KH, KW, N, OH, OW)
    of one float dtype, C-contiguous, with the same N and C, and OH, OW what the geometry
    gives: OH = ⌊(H + 2·pad_h − dil_h·(KH − 1) − 1) / stride_h⌋ + 1 (likewise OW). A stride of
    0 would divide by zero in the kernel and a wrong OH would read outside the image."""
    _float_arrays(image, (cols,))
    if image.ndim != 4 or cols.ndim != 6 or cols.shape[0] != image.shape[1] or \
            cols.shape[3] != image.shape[0]:
        raise ValueError(f"patches {cols.shape} do not fit image {image.shape}: expected an "
                         "image (N, C, H, W) and patches (C, KH, KW, N, OH, OW)")
    geometry = (stride_h, stride_w, pad_h, pad_w, dil_h, dil_w)
    if any(isinstance(v, bool) or not isinstance(v, numbers.Integral) for v in geometry):
        raise TypeError(f"stride, padding and dilation must be integers, got {geometry}")
    if min(stride_h, stride_w, dil_h, dil_w) < 1 or min(pad_h, pad_w) < 0:
        raise ValueError(f"stride ({stride_h}, {stride_w}) and dilation ({dil_h}, {dil_w}) "
                         f"must be ≥ 1 and padding ({pad_h}, {pad_w}) ≥ 0")
    _, _, h, w = image.shape
    _, kh, kw, _, oh, ow = cols.shape
    want = ((h + 2 * pad_h - dil_h * (kh - 1) - 1) // stride_h + 1,
            (w + 2 * pad_w - dil_w * (kw - 1) - 1) // stride_w + 1)
    if (oh, ow) != want:
        raise ValueError(f"patches {cols.shape} do not fit image {image.shape}: a {kh}x{kw} "
                         f"kernel with stride ({stride_h}, {stride_w}), padding ({pad_h}, "
                         f"{pad_w}) and dilation ({dil_h}, {dil_w}) gives {want[0]}x{want[1]} "
                         f"positions, not {oh}x{ow}")


def max_pool(image, pooled, index, kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w,
             dil_h, dil_w):
    """max_pool2d_forward and scatter_add_planes: ``image`` (N, C, H, W) and ``pooled``
    (N, C, OH, OW) of one float dtype, ``index`` int64 of pooled's shape, all C-contiguous;
    kernel, stride and dilation ≥ 1, padding ≥ 0 (integers). OH and OW are the caller's choice (ceil_mode): the kernel
    skips the taps outside the image, so any sizes are safe."""
    what = "max_pool2d_forward / scatter_add_planes"
    planes(image, pooled, index, what)
    geometry = (kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w, dil_h, dil_w)
    if any(isinstance(v, bool) or not isinstance(v, numbers.Integral) for v in geometry):
        raise TypeError(f"{what}: kernel, stride, padding and dilation must be "
                        f"integers, got {geometry}")
    if min(kernel_h, kernel_w, stride_h, stride_w, dil_h, dil_w) < 1 or min(pad_h, pad_w) < 0:
        raise ValueError(f"{what}: kernel ({kernel_h}, {kernel_w}), stride "
                         f"({stride_h}, {stride_w}) and dilation ({dil_h}, {dil_w}) must be ≥ 1 "
                         f"and padding ({pad_h}, {pad_w}) ≥ 0")


def planes(image, pooled, index, what):
    """gather_planes / scatter_add_planes (and max_pool2d_forward): ``image`` (N, C, H, W) and
    ``pooled`` (N, C, OH, OW) of one float dtype, ``index`` (int64) of pooled's shape, all
    C-contiguous. The index values are not read here (that would read the data): the kernels
    skip any outside [0, H·W) (−1: a window with no tap), so no value reads out of bounds."""
    _float_arrays(image, (pooled,))
    if index.dtype != _INT64:
        raise TypeError(f"{what}: index must be int64, got {index.dtype}")
    _c_contiguous(index)
    if image.ndim != 4 or pooled.ndim != 4 or image.shape[:2] != pooled.shape[:2] or \
            index.shape != pooled.shape:
        raise ValueError(f"{what}: image {image.shape}, pooled {pooled.shape} and index "
                         f"{index.shape} do not fit: expected (N, C, H, W), (N, C, OH, OW) and "
                         "(N, C, OH, OW)")


def cross_entropy(rows_in, target, weight, rows_out, per_row):
    """The fused cross-entropy: ``rows_in`` and ``rows_out`` (N, C), class ``weight`` (C,),
    ``per_row`` (N,) of one float dtype; ``target`` (N,) int64; all C-contiguous; C > 0.
    (forward: x -> probs, loss; backward: probs, grad -> out.) Returns (N, C)."""
    _float_arrays(rows_in, (weight, rows_out, per_row))
    if target.dtype != _INT64:
        raise TypeError(f"target must be int64 class indices, got {target.dtype}")
    _c_contiguous(target)
    if rows_in.ndim != 2:
        raise ValueError(f"cross-entropy takes 2-D (rows, classes) logits, got {rows_in.shape}")
    n, c = rows_in.shape
    if target.shape != (n,) or weight.shape != (c,) or rows_out.shape != (n, c) or \
            per_row.shape != (n,):
        raise ValueError(f"inconsistent shapes for {n} rows of {c} classes: target "
                         f"{target.shape}, weight {weight.shape}, {rows_out.shape}, "
                         f"{per_row.shape}")
    if c == 0:
        raise ValueError("cross-entropy: no classes")
    return n, c


# ---- optimizer updates: param, grad and the state buffers the flags of ``spec`` use ------------
# A buffer an update does not use may be None (the kernels never touch it); one it uses may not.

def _update(param, grad, *buffers):
    for b in buffers:
        if b is None:
            raise ValueError("a state buffer this update uses is None")
    return elementwise(param, grad, *buffers)   # an update is elementwise on flat arrays too


def sgd_step(param, grad, momentum_buffer, spec):
    """momentum_buffer is used when momentum != 0."""
    if spec.momentum != 0:
        return _update(param, grad, momentum_buffer)
    return _update(param, grad)


def adam_step(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, spec):
    """max_exp_avg_sq is used with amsgrad."""
    if spec.amsgrad:
        return _update(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq)
    return _update(param, grad, exp_avg, exp_avg_sq)


def rmsprop_step(param, grad, square_avg, grad_avg, momentum_buffer, spec):
    """grad_avg is used when centered, momentum_buffer when momentum > 0."""
    used = [square_avg]
    if spec.centered:
        used.append(grad_avg)
    if spec.momentum > 0:
        used.append(momentum_buffer)
    return _update(param, grad, *used)


def adagrad_step(param, grad, state_sum, spec):
    return _update(param, grad, state_sum)
