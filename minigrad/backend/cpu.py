"""The CPU backends: numpy arrays, with either the compiled kernels or the numpy reference ones.

``CpuBackend`` runs the kernels of the contract (``reference.py``) compiled from
csrc/cpu/*.pyx (Cython + OpenMP) into ``minigrad._C``. ``ReferenceBackend`` runs the plain
numpy functions of ``reference.py`` themselves. ``minigrad.backend.get_backend("cpu")`` builds
the first, or the second when ``MINIGRAD_PURE_NUMPY=1`` (then ``COMPILED`` is False and the
compiled modules are not imported at all, built or not). Both write into the caller's ``out``
and check their arguments first with ``_checks.py``, as the CUDA backend does.

Elementwise kernels run on flat views of C-contiguous arrays; row kernels on the 2-D arrays as
given. Without the compiled modules (and without ``MINIGRAD_PURE_NUMPY=1``), importing this
raises ImportError naming the build command (``make build`` or ``pip install -e .``).

Threads (the policy in full: docs/threads.md): every kernel call passes its thread count to
OpenMP (``num_threads``): one thread below ``PARALLEL_MIN_SIZE`` elements
(``OPTIMIZER_PARALLEL_MIN_SIZE`` for the optimizer updates), ``minigrad.get_num_threads()``
above. ``mg.set_num_threads(n)`` changes that count for every later call; nothing here changes
the process's environment or another library's settings.
"""
import os

import numpy

from .. import threads as _threads_policy
from . import _checks as check
from . import reference

#: Element count from which a kernel runs on get_num_threads() threads instead of one.
PARALLEL_MIN_SIZE = 1 << 20
#: Element count from which an optimizer update kernel runs on get_num_threads() threads.
OPTIMIZER_PARALLEL_MIN_SIZE = 1 << 21
#: Upper bound on the default thread count (minigrad/threads.py).
MAX_THREADS = _threads_policy.MAX_THREADS
#: The default thread count, read once at import (CPUs of this process, OMP_NUM_THREADS):
#: what get_num_threads() returns until set_num_threads changes it.
NUM_THREADS = _threads_policy.default_num_threads()

# Why one thread below PARALLEL_MIN_SIZE. After a parallel region libgomp's idle workers spin
# (busy-wait, without yielding) for a while, holding the core that the next OpenBLAS GEMM
# needs (PERF-NOTES: a GEMM slowed from ~1.5 to ~5 ms behind an OpenMP kernel on 2 cores), and
# on small arrays waking the pool costs more than the second thread saves. minigrad does not
# set OMP_WAIT_POLICY or GOMP_SPINCOUNT (that would change every OpenMP library in the
# process, torch's included); the kernels stay on one thread up to 2²⁰ elements, so the small
# and medium arrays of a course-size model never wake the pool. LeNet step (B=64, 2 cores,
# libgomp's default spin, fresh process, 2 runs each): threshold 2¹⁷ 32–39 ms, 2²⁰ 14.4–15.4
# ms, 2²² 14.4–14.8 ms; the earlier OMP_WAIT_POLICY=passive gave 14.5–15.1 ms.
# The optimizer's threshold is higher: an update runs right after the backward's GEMMs, while
# OpenBLAS's workers still spin, and single-thread AdamW was faster on the MLP's 0.67M
# parameters (PERF-NOTES). Matrix products: minigrad.threads.matmul (one BLAS thread below
# GEMM_PARALLEL_MIN_MACS multiply-adds).

#: True when the compiled kernels are in use; False with MINIGRAD_PURE_NUMPY=1.
COMPILED = os.environ.get("MINIGRAD_PURE_NUMPY") != "1"

if COMPILED:
    try:
        from minigrad._C import activation as _act
        from minigrad._C import conv as _conv
        from minigrad._C import loss as _loss
        from minigrad._C import optim as _optim
        from minigrad._C import pool as _pool
        from minigrad._C import prox as _prox
        from minigrad._C import reduce as _reduce
        from minigrad._C import rnn as _rnn
        from minigrad._C import softmax as _softmax
    except ImportError as exc:
        raise ImportError(
            f"minigrad's compiled CPU kernels (minigrad._C) are not built ({exc}). "
            "Build them with `make build` or `pip install -e .`, or set MINIGRAD_PURE_NUMPY=1 "
            "to run on the (slower) numpy reference kernels.") from exc


def _threads(a):
    return _threads_policy.get_num_threads() if a.size >= PARALLEL_MIN_SIZE else 1


def _optimizer_threads(a):
    return _threads_policy.get_num_threads() if a.size >= OPTIMIZER_PARALLEL_MIN_SIZE else 1


def _flat(a):
    # A view: every array reaching a kernel has passed the C-contiguity check.
    return a.reshape(-1)


def _flat_or_none(buffer):
    # An optimizer state buffer that the update's flags leave unused may be None.
    return None if buffer is None else buffer.reshape(-1)


def _flat_or_param(buffer, flat_param):
    # The compiled kernels take an array for every buffer: an unused one (None) is passed as
    # param, which they never touch through it, and which satisfies the typed memoryview.
    return flat_param if buffer is None else buffer.reshape(-1)


class ReferenceBackend:
    """Device "cpu" on the numpy reference kernels (``MINIGRAD_PURE_NUMPY=1``): each method
    checks its arguments as the compiled backends do, then runs the function of
    ``reference.py`` of the same name."""

    name = "cpu"
    xp = numpy

    def to_numpy(self, a):
        return a

    def asarray(self, data, dtype):
        return numpy.asarray(data, dtype=dtype)

    def synchronize(self):
        pass

    # ---- fused activations (any shape: flat views, so equal sizes suffice) -------------------
    def relu_forward(self, x, out):
        check.elementwise(out, x)
        reference.relu_forward(_flat(x), _flat(out))

    def relu_backward(self, x, grad, out):
        check.elementwise(out, x, grad)
        reference.relu_backward(_flat(x), _flat(grad), _flat(out))

    def sigmoid_forward(self, x, out):
        check.elementwise(out, x)
        reference.sigmoid_forward(_flat(x), _flat(out))

    def sigmoid_backward(self, y, grad, out):
        check.elementwise(out, y, grad)
        reference.sigmoid_backward(_flat(y), _flat(grad), _flat(out))

    def tanh_forward(self, x, out):
        check.elementwise(out, x)
        reference.tanh_forward(_flat(x), _flat(out))

    def tanh_backward(self, y, grad, out):
        check.elementwise(out, y, grad)
        reference.tanh_backward(_flat(y), _flat(grad), _flat(out))

    # ---- row kernels on (rows, cols) ---------------------------------------------------------
    def softmax_forward(self, x, out):
        check.rows(out, x.shape, x)
        reference.softmax_forward(x, out)

    def softmax_backward(self, y, grad, out):
        check.rows(out, y.shape, y, grad)
        reference.softmax_backward(y, grad, out)

    def log_softmax_forward(self, x, out):
        check.rows(out, x.shape, x)
        reference.log_softmax_forward(x, out)

    def log_softmax_backward(self, y, grad, out):
        check.rows(out, y.shape, y, grad)
        reference.log_softmax_backward(y, grad, out)

    def logsumexp_forward(self, x, out):
        check.rows(out, x.shape[:1], x)
        reference.logsumexp_forward(x, out)

    def sum_rows(self, x, out):
        check.rows(out, x.shape[1:], x)
        reference.sum_rows(x, out)

    # ---- optimizer updates (minigrad/optim): param and state updated in place, flat ----------
    def sgd_step(self, param, grad, momentum_buffer, spec):
        check.sgd_step(param, grad, momentum_buffer, spec)
        reference.sgd_step(_flat(param), _flat(grad), _flat_or_none(momentum_buffer), spec)

    def adam_step(self, param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, spec):
        check.adam_step(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, spec)
        reference.adam_step(_flat(param), _flat(grad), _flat(exp_avg), _flat(exp_avg_sq),
                            _flat_or_none(max_exp_avg_sq), spec)

    def rmsprop_step(self, param, grad, square_avg, grad_avg, momentum_buffer, spec):
        check.rmsprop_step(param, grad, square_avg, grad_avg, momentum_buffer, spec)
        reference.rmsprop_step(_flat(param), _flat(grad), _flat(square_avg),
                               _flat_or_none(grad_avg), _flat_or_none(momentum_buffer), spec)

    def adagrad_step(self, param, grad, state_sum, spec):
        check.adagrad_step(param, grad, state_sum, spec)
        reference.adagrad_step(_flat(param), _flat(grad), _flat(state_sum), spec)

    # ---- proximal operators (minigrad/penalties): soft / group soft-thresholding -------------
    def soft_threshold(self, v, threshold, divisor, out):
        check.elementwise(out, v)
        reference.soft_threshold(_flat(v), threshold, divisor, _flat(out))

    def group_soft_threshold(self, v, threshold, out):
        check.rows(out, v.shape, v)
        reference.group_soft_threshold(v, threshold, out)

    # ---- nn (minigrad/ops/conv.py, ops/loss.py, nn/functional.py) ----------------------------
    def im2col(self, x, stride_h, stride_w, pad_h, pad_w, dil_h, dil_w, out):
        check.patches(x, out, stride_h, stride_w, pad_h, pad_w, dil_h, dil_w)
        reference.im2col(x, stride_h, stride_w, pad_h, pad_w, dil_h, dil_w, out)

    def col2im(self, cols, stride_h, stride_w, pad_h, pad_w, dil_h, dil_w, out):
        check.patches(out, cols, stride_h, stride_w, pad_h, pad_w, dil_h, dil_w)
        reference.col2im(cols, stride_h, stride_w, pad_h, pad_w, dil_h, dil_w, out)

    def max_pool2d_forward(self, x, kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w, dil_h,
                           dil_w, out, index):
        check.max_pool(x, out, index, kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w,
                       dil_h, dil_w)
        reference.max_pool2d_forward(x, kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w,
                                     dil_h, dil_w, out, index)

    def gather_planes(self, x, index, out):
        check.planes(x, out, index, "gather_planes")
        reference.gather_planes(x, index, out)

    def scatter_add_planes(self, src, index, kernel_h, kernel_w, stride_h, stride_w, pad_h,
                           pad_w, dil_h, dil_w, out):
        check.max_pool(out, src, index, kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w,
                       dil_h, dil_w)
        reference.scatter_add_planes(src, index, kernel_h, kernel_w, stride_h, stride_w, pad_h,
                                     pad_w, dil_h, dil_w, out)

    def cross_entropy_forward(self, x, target, weight, label_smoothing, ignore_index, probs,
                              loss):
        check.cross_entropy(x, target, weight, probs, loss)
        reference.cross_entropy_forward(x, target, weight, label_smoothing, ignore_index, probs,
                                        loss)

    def cross_entropy_backward(self, probs, target, weight, label_smoothing, ignore_index, grad,
                               out):
        check.cross_entropy(probs, target, weight, out, grad)
        reference.cross_entropy_backward(probs, target, weight, label_smoothing, ignore_index,
                                         grad, out)

    def erf_forward(self, x, out):
        check.elementwise(out, x)
        reference.erf_forward(_flat(x), _flat(out))

    def lstm_pointwise_forward(self, gates, c, h_out, c_out):
        check.lstm_gates(gates, c, h_out, c_out)
        reference.lstm_pointwise_forward(gates, c, h_out, c_out)


#: Element count up to which relu_forward runs numpy's ufunc instead of its Cython kernel:
#: a 4-element relu cost 1.3 µs in the kernel against 0.9 µs in np.maximum, and the ufunc
#: stays as fast up to a few thousand elements (both vectorised; measured on the 2-core box).
UFUNC_MAX_SIZE = 4096


class CpuBackend:
    """Device "cpu" on the compiled kernels of ``minigrad._C`` (csrc/cpu/*.pyx): each method
    checks its arguments, then calls its Cython kernel with a thread count chosen by size."""

    name = "cpu"
    xp = numpy

    def to_numpy(self, a):
        return a

    def asarray(self, data, dtype):
        return numpy.asarray(data, dtype=dtype)

    def synchronize(self):
        pass

    # ---- fused activations (any shape; run on flat views: reshape(-1) of a C-contiguous array
    # is a view, so the kernel writes into the caller's out) -----------------------------------
    def relu_forward(self, x, out):
        if check.elementwise(out, x) <= UFUNC_MAX_SIZE:
            # numpy's ufunc: maximum(x, 0) is the kernel's value bit for bit (+0 for -0.0, each
            # NaN kept as it is; tests/test_compiled_engine.py), without the flat views and the
            # two typed memoryviews a Cython call acquires, which cost more than a small relu
            numpy.maximum(x, 0, out=out)
        else:
            _act.relu_forward(x.reshape(-1), out.reshape(-1), _threads(x))

    def relu_backward(self, x, grad, out):
        check.elementwise(out, x, grad)
        _act.relu_backward(x.reshape(-1), grad.reshape(-1), out.reshape(-1), _threads(x))

    def sigmoid_forward(self, x, out):
        check.elementwise(out, x)
        _act.sigmoid_forward(x.reshape(-1), out.reshape(-1), _threads(x))

    def sigmoid_backward(self, y, grad, out):
        check.elementwise(out, y, grad)
        _act.sigmoid_backward(y.reshape(-1), grad.reshape(-1), out.reshape(-1), _threads(y))

    def tanh_forward(self, x, out):
        check.elementwise(out, x)
        # numpy's own tanh (vectorised with AVX-512 where the CPU has it) measured 3.8 ms on 10M
        # float32 against 6.6 ms for the SSE2 Cython loop, and there is nothing to fuse here.
        numpy.tanh(x.reshape(-1), out=out.reshape(-1))

    def tanh_backward(self, y, grad, out):
        check.elementwise(out, y, grad)
        _act.tanh_backward(y.reshape(-1), grad.reshape(-1), out.reshape(-1), _threads(y))

    # ---- row kernels on (rows, cols) ---------------------------------------------------------
    def softmax_forward(self, x, out):
        check.rows(out, x.shape, x)
        _softmax.softmax_forward(x, out, _threads(x))

    def softmax_backward(self, y, grad, out):
        check.rows(out, y.shape, y, grad)
        _softmax.softmax_backward(y, grad, out, _threads(y))

    def log_softmax_forward(self, x, out):
        check.rows(out, x.shape, x)
        _softmax.log_softmax_forward(x, out, _threads(x))

    def log_softmax_backward(self, y, grad, out):
        check.rows(out, y.shape, y, grad)
        _softmax.log_softmax_backward(y, grad, out, _threads(y))

    def logsumexp_forward(self, x, out):
        check.rows(out, x.shape[:1], x)
        _softmax.logsumexp_forward(x, out, _threads(x))

    def sum_rows(self, x, out):
        check.rows(out, x.shape[1:], x)
        _reduce.sum_rows(x, out, _threads(x))

    # ---- optimizer updates (minigrad/optim): param and state updated in place, flat ----------
    def sgd_step(self, param, grad, momentum_buffer, spec):
        check.sgd_step(param, grad, momentum_buffer, spec)
        p = param.reshape(-1)
        _optim.sgd_step(p, grad.reshape(-1), _flat_or_param(momentum_buffer, p), spec,
                        _optimizer_threads(param))

    def adam_step(self, param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, spec):
        check.adam_step(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, spec)
        p = param.reshape(-1)
        _optim.adam_step(p, grad.reshape(-1), exp_avg.reshape(-1), exp_avg_sq.reshape(-1),
                         _flat_or_param(max_exp_avg_sq, p), spec, _optimizer_threads(param))

    def rmsprop_step(self, param, grad, square_avg, grad_avg, momentum_buffer, spec):
        check.rmsprop_step(param, grad, square_avg, grad_avg, momentum_buffer, spec)
        p = param.reshape(-1)
        _optim.rmsprop_step(p, grad.reshape(-1), square_avg.reshape(-1),
                            _flat_or_param(grad_avg, p), _flat_or_param(momentum_buffer, p),
                            spec, _optimizer_threads(param))

    def adagrad_step(self, param, grad, state_sum, spec):
        check.adagrad_step(param, grad, state_sum, spec)
        _optim.adagrad_step(param.reshape(-1), grad.reshape(-1), state_sum.reshape(-1), spec,
                            _optimizer_threads(param))

    # ---- proximal operators (minigrad/penalties): soft / group soft-thresholding -------------
    def soft_threshold(self, v, threshold, divisor, out):
        check.elementwise(out, v)
        _prox.soft_threshold(v.reshape(-1), threshold, divisor, out.reshape(-1), _threads(v))

    def group_soft_threshold(self, v, threshold, out):
        check.rows(out, v.shape, v)
        _prox.group_soft_threshold(v, threshold, out, _threads(v))

    # ---- nn (minigrad/ops/conv.py, ops/loss.py, nn/functional.py) ----------------------------
    def im2col(self, x, stride_h, stride_w, pad_h, pad_w, dil_h, dil_w, out):
        check.patches(x, out, stride_h, stride_w, pad_h, pad_w, dil_h, dil_w)
        _conv.im2col(x, out, stride_h, stride_w, pad_h, pad_w, dil_h, dil_w, _threads(out))

    def col2im(self, cols, stride_h, stride_w, pad_h, pad_w, dil_h, dil_w, out):
        check.patches(out, cols, stride_h, stride_w, pad_h, pad_w, dil_h, dil_w)
        _conv.col2im(cols, out, stride_h, stride_w, pad_h, pad_w, dil_h, dil_w, _threads(cols))

    def max_pool2d_forward(self, x, kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w, dil_h,
                           dil_w, out, index):
        check.max_pool(x, out, index, kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w,
                       dil_h, dil_w)
        _pool.max_pool2d_forward(x, out, index, kernel_h, kernel_w, stride_h, stride_w, pad_h,
                                 pad_w, dil_h, dil_w, _threads(x))

    def gather_planes(self, x, index, out):
        check.planes(x, out, index, "gather_planes")
        _pool.gather_planes(x, index, out, _threads(out))

    def scatter_add_planes(self, src, index, kernel_h, kernel_w, stride_h, stride_w, pad_h,
                           pad_w, dil_h, dil_w, out):
        check.max_pool(out, src, index, kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w,
                       dil_h, dil_w)
        _pool.scatter_add_planes(src, index, out, kernel_h, kernel_w, stride_h, stride_w, pad_h,
                                 pad_w, dil_h, dil_w, _threads(out))

    def cross_entropy_forward(self, x, target, weight, label_smoothing, ignore_index, probs,
                              loss):
        check.cross_entropy(x, target, weight, probs, loss)
        _loss.cross_entropy_forward(x, target, weight, label_smoothing, ignore_index, probs,
                                    loss, _threads(x))

    def cross_entropy_backward(self, probs, target, weight, label_smoothing, ignore_index, grad,
                               out):
        check.cross_entropy(probs, target, weight, out, grad)
        _loss.cross_entropy_backward(probs, target, weight, label_smoothing, ignore_index,
                                     grad, out, _threads(probs))

    def erf_forward(self, x, out):
        check.elementwise(out, x)
        _loss.erf_forward(x.reshape(-1), out.reshape(-1), _threads(x))

    # ---- recurrent cells ---------------------------------------------------------------------
    def lstm_pointwise_forward(self, gates, c, h_out, c_out):
        check.lstm_gates(gates, c, h_out, c_out)
        _rnn.lstm_pointwise_forward(gates, c, h_out, c_out, _threads(c))
