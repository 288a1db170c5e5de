"""CPU backend: numpy arrays, with the kernels of ``reference.KERNELS`` compiled from
csrc/cpu/*.pyx (Cython + OpenMP) into ``minigrad._C``.

Each function has the reference signature (``relu_forward(x, out)``, ...) and writes into the
caller's ``out``. Elementwise kernels run on flat views of C-contiguous arrays; row kernels on
the 2-D arrays as given.

Threads: below ``PARALLEL_MIN_SIZE`` elements a kernel runs on one thread. On small arrays
waking the OpenMP pool costs more than it saves, and its spinning workers slow the next
OpenBLAS GEMM (from ~1.5 to ~5 ms in PERF-NOTES.md), so only large arrays use ``NUM_THREADS``
threads (the CPUs this process may run on, at most ``MAX_THREADS``; ``OMP_NUM_THREADS`` lowers
it when set).

Without the compiled modules importing this raises ImportError (build them with ``make build``
or ``pip install -e .``). Set ``MINIGRAD_PURE_NUMPY=1`` to use the numpy reference kernels
instead, whether or not the compiled ones are built; ``COMPILED`` says which are in use.
"""
import os

import numpy

from . import reference

name = "cpu"
xp = numpy

#: Element count from which a kernel runs on NUM_THREADS threads instead of one.
PARALLEL_MIN_SIZE = 1 << 17
#: Element count from which an optimizer update kernel uses NUM_THREADS threads.
OPTIMIZER_PARALLEL_MIN_SIZE = 1 << 21
#: Upper bound on threads per kernel: these kernels are memory-bound well before 8 cores.
MAX_THREADS = 8


def _num_threads():
    try:
        ncpu = len(os.sched_getaffinity(0))  # respects taskset / container CPU limits
    except (AttributeError, OSError):
        ncpu = os.cpu_count() or 1
    try:
        ncpu = min(ncpu, int(os.environ["OMP_NUM_THREADS"].split(",")[0]))
    except (KeyError, ValueError):
        pass
    return max(1, min(ncpu, MAX_THREADS))


NUM_THREADS = _num_threads()

# After each parallel region libgomp's idle workers spin, holding the core that the next
# OpenBLAS GEMM needs (PERF-NOTES: a GEMM slowed from ~1.5 to ~5 ms behind an OpenMP kernel on
# 2 cores). Measured on the LeNet step (2 cores, idle machine, median of 7): default spin
# 45.7 ms, GOMP_SPINCOUNT=10000 34–63 ms, one OpenMP thread 17.3 ms, GOMP_SPINCOUNT=0 12.6 ms,
# OMP_WAIT_POLICY=passive 11.3 ms; the MLP step and the 10M AdamW update did not change. So
# the workers sleep at once. libgomp reads this when the first compiled module loads it, just
# below; a user's own setting wins.
os.environ.setdefault("OMP_WAIT_POLICY", "passive")

if os.environ.get("MINIGRAD_PURE_NUMPY") == "1":
    _act = _softmax = _reduce = None
else:
    try:
        from minigrad._C import activation as _act
        from minigrad._C import reduce as _reduce
        from minigrad._C import softmax as _softmax
    except ImportError as exc:
        raise ImportError(
            f"minigrad's compiled CPU kernels (minigrad._C) are not built ({exc}). "
            "Build them with `make build` or `pip install -e .`, or set MINIGRAD_PURE_NUMPY=1 "
            "to run on the (slower) numpy reference kernels.") from exc

COMPILED = _act is not None


def to_numpy(a):
    return a


def asarray(data, dtype):
    return numpy.asarray(data, dtype=dtype)


def synchronize():
    pass


def _threads(a):
    return NUM_THREADS if a.size >= PARALLEL_MIN_SIZE else 1


def _optimizer_threads(a):
    # An optimizer update runs right after the backward's GEMMs, while OpenBLAS's workers
    # still spin: a second OpenMP thread only pays on parameters far larger than an elementwise
    # op's threshold (PERF-NOTES: single-thread AdamW was faster on the MLP's 0.67M params).
    return NUM_THREADS if a.size >= OPTIMIZER_PARALLEL_MIN_SIZE else 1


def _flat_out(out):
    # reshape(-1) of a non-contiguous array is a copy: the kernel would write into it and the
    # caller's out would silently stay unchanged.
    if not out.flags.c_contiguous:
        raise ValueError("out must be C-contiguous (the kernels write into it in place)")
    return out.reshape(-1)


# ---- fused activations (any shape; run on flat views) ----------------------------------------

def relu_forward(x, out):
    _act.relu_forward(x.reshape(-1), _flat_out(out), _threads(x))


def relu_backward(x, grad, out):
    _act.relu_backward(x.reshape(-1), grad.reshape(-1), _flat_out(out), _threads(x))


def sigmoid_forward(x, out):
    _act.sigmoid_forward(x.reshape(-1), _flat_out(out), _threads(x))


def sigmoid_backward(y, grad, out):
    _act.sigmoid_backward(y.reshape(-1), grad.reshape(-1), _flat_out(out), _threads(y))


def tanh_forward(x, out):
    # numpy's own tanh (vectorised with AVX-512 where the CPU has it) measured 3.8 ms on 10M
    # float32 against 6.6 ms for the SSE2 Cython loop, and there is nothing to fuse here.
    numpy.tanh(x, out=out)


def tanh_backward(y, grad, out):
    _act.tanh_backward(y.reshape(-1), grad.reshape(-1), _flat_out(out), _threads(y))


# ---- row kernels on (rows, cols); the typed memoryviews reject non-contiguous arrays ----------

def softmax_forward(x, out):
    _softmax.softmax_forward(x, out, _threads(x))


def softmax_backward(y, grad, out):
    _softmax.softmax_backward(y, grad, out, _threads(y))


def log_softmax_forward(x, out):
    _softmax.log_softmax_forward(x, out, _threads(x))


def log_softmax_backward(y, grad, out):
    _softmax.log_softmax_backward(y, grad, out, _threads(y))


def logsumexp_forward(x, out):
    _softmax.logsumexp_forward(x, out, _threads(x))


# ---- reduce-to-shape ---------------------------------------------------------------------------

def sum_rows(x, out):
    _reduce.sum_rows(x, out, _threads(x))


if not COMPILED:
    # MINIGRAD_PURE_NUMPY=1: every kernel is the reference's numpy function.
    globals().update({k: getattr(reference, k) for k in reference.KERNELS})


# ---- optimizer updates (minigrad/optim): param and state updated in place, on flat views ------

if COMPILED:
    try:
        from minigrad._C import optim as _optim
    except ImportError as exc:
        raise ImportError(f"minigrad._C.optim is not built ({exc}): rebuild with `make build`"
                          ) from exc

    def _flat_or_unused(buf, param_flat):
        # The kernels never touch a buffer their flags leave unused; any array of the right
        # dtype satisfies the typed memoryview.
        return param_flat if buf is None else _flat_out(buf)

    def sgd_step(param, grad, momentum_buffer, lr, weight_decay, momentum, dampening,
                 nesterov, maximize, first_step):
        p = _flat_out(param)
        _optim.sgd_step(p, grad.reshape(-1), _flat_or_unused(momentum_buffer, p), lr,
                        weight_decay, momentum, dampening, nesterov, maximize, first_step,
                        _optimizer_threads(param))

    def adam_step(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, step_size,
                  bias_correction2_sqrt, beta1, beta2, eps, weight_decay, decoupled_decay,
                  amsgrad, maximize):
        p = _flat_out(param)
        _optim.adam_step(p, grad.reshape(-1), _flat_out(exp_avg), _flat_out(exp_avg_sq),
                         _flat_or_unused(max_exp_avg_sq, p), step_size, bias_correction2_sqrt,
                         beta1, beta2, eps, weight_decay, decoupled_decay, amsgrad, maximize,
                         _optimizer_threads(param))

    def rmsprop_step(param, grad, square_avg, grad_avg, momentum_buffer, lr, alpha, eps,
                     weight_decay, momentum, centered, maximize):
        p = _flat_out(param)
        _optim.rmsprop_step(p, grad.reshape(-1), _flat_out(square_avg),
                            _flat_or_unused(grad_avg, p), _flat_or_unused(momentum_buffer, p),
                            lr, alpha, eps, weight_decay, momentum, centered, maximize,
                            _optimizer_threads(param))

    def adagrad_step(param, grad, state_sum, clr, eps, weight_decay, maximize):
        _optim.adagrad_step(_flat_out(param), grad.reshape(-1), _flat_out(state_sum), clr, eps,
                            weight_decay, maximize, _optimizer_threads(param))
else:
    globals().update({k: getattr(reference, k) for k in reference.OPTIM_KERNELS})


# ---- proximal operators (minigrad/penalties.py): soft / group soft-thresholding -------------

if COMPILED:
    try:
        from minigrad._C import prox as _prox
    except ImportError as exc:
        raise ImportError(f"minigrad._C.prox is not built ({exc}): rebuild with `make build`"
                          ) from exc

    def soft_threshold(v, threshold, divisor, out):
        _prox.soft_threshold(v.reshape(-1), threshold, divisor, _flat_out(out), _threads(v))

    def group_soft_threshold(v, threshold, out):
        _prox.group_soft_threshold(v, threshold, out, _threads(v))
else:
    globals().update({k: getattr(reference, k) for k in reference.PROX_KERNELS})


# ---- nn (minigrad/ops/conv.py, ops/loss.py): im2col / col2im, fused cross-entropy -----------

if COMPILED:
    try:
        from minigrad._C import conv as _conv
        from minigrad._C import loss as _loss
    except ImportError as exc:
        raise ImportError(f"minigrad._C.conv / loss are not built ({exc}): rebuild with "
                          "`make build`") from exc

    def im2col(x, stride_h, stride_w, pad_h, pad_w, dil_h, dil_w, out):
        _conv.im2col(x, out, stride_h, stride_w, pad_h, pad_w, dil_h, dil_w, _threads(out))

    def col2im(cols, stride_h, stride_w, pad_h, pad_w, dil_h, dil_w, out):
        _conv.col2im(cols, out, stride_h, stride_w, pad_h, pad_w, dil_h, dil_w, _threads(cols))

    def cross_entropy_forward(x, target, weight, label_smoothing, ignore_index, probs, loss):
        _loss.cross_entropy_forward(x, target, weight, label_smoothing, ignore_index, probs,
                                    loss, _threads(x))

    def cross_entropy_backward(probs, target, weight, label_smoothing, ignore_index, grad, out):
        _loss.cross_entropy_backward(probs, target, weight, label_smoothing, ignore_index,
                                     grad, out, _threads(probs))

    def erf_forward(x, out):
        _loss.erf_forward(x.reshape(-1), _flat_out(out), _threads(x))
else:
    globals().update({k: getattr(reference, k) for k in reference.NN_KERNELS})
