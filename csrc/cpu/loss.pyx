# cython: boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Fused log-softmax + NLL (cross-entropy) per row, forward and backward.

Contract (minigrad/backend/reference.py): logits x (N, C) C-contiguous, target int64 (N,),
class weights w (C,), probs (N, C) and loss (N,) caller-allocated, float32 or float64.

    forward:  probs[r] = softmax(x[r]);  −log p[r, c] = lse(x[r]) − x[r, c]
              loss[r] = (1 − ε)·w[t]·(−log p[r, t]) + (ε/C)·Σ_c w[c]·(−log p[r, c])
    backward: out[r] = grad[r]·((1 − ε)·w[t]·(p[r] − onehot(t)) + (ε/C)·(W·p[r] − w))

Rows with t == ignore_index give loss 0 and gradient 0. Sums are accumulated in double.
Shapes and target classes are checked before the loops (an out-of-range class would read out
of bounds).
"""
from cython cimport floating
from cython.parallel cimport prange
from libc.math cimport log

include "_rows.pxi"


cdef inline double _cross_entropy_row(const floating* x, floating* p, Py_ssize_t C,
                                     long long t, const floating* weight, double eps,
                                     long long ignore_index) noexcept nogil:
    # One row: p = softmax(x) and the row's loss. Every scalar lives in this function's frame:
    # a prange body that passed &m, &s of the caller's scalars shared them between threads
    # (OpenMP privatises only variables assigned in the body, not ones whose address escapes),
    # and rows came out wrong in large batches.
    cdef floating m = _row_max(x, C)
    cdef double s = _exp_shift_sum(x, m, p, C)        # p = exp(x − m), s = Σ p
    cdef double log_s, smooth = 0
    cdef Py_ssize_t c
    _scale(p, <floating>(1.0 / s), p, C)              # p = softmax(x)
    if t == ignore_index:
        return 0
    # −log p_c = (m − x_c) + log s, in that order: m + log s first would round log s away
    # when |m| ≫ 1 (logits 1e16: log 2 lost)
    log_s = log(s)
    if eps != 0:
        for c in range(C):
            smooth = smooth + weight[c] * ((m - x[c]) + log_s)
    return (1 - eps) * weight[t] * ((m - x[t]) + log_s) + eps / C * smooth


cdef _check_rows(str op, Py_ssize_t N, Py_ssize_t C, const long long[::1] target,
                 Py_ssize_t n_weight, long long ignore_index, Py_ssize_t rows_2d,
                 Py_ssize_t cols_2d, Py_ssize_t n_1d):
    cdef Py_ssize_t r
    if target.shape[0] != N or n_weight != C or rows_2d != N or cols_2d != C or n_1d != N:
        raise ValueError(f"{op}: inconsistent shapes for {N} rows of {C} classes")
    for r in range(N):
        if target[r] != ignore_index and (target[r] < 0 or target[r] >= C):
            raise IndexError(f"{op}: target class {target[r]} is out of range for {C} classes")


def cross_entropy_forward(const floating[:, ::1] x, const long long[::1] target,
                          const floating[::1] weight, double eps, long long ignore_index,
                          floating[:, ::1] probs, floating[::1] loss, int nthreads):
    cdef Py_ssize_t N = x.shape[0], C = x.shape[1], r
    _check_rows("cross_entropy_forward", N, C, target, weight.shape[0], ignore_index,
                probs.shape[0], probs.shape[1], loss.shape[0])
    if C == 0:
        raise ValueError("cross_entropy_forward: no classes")
    with nogil:
        for r in prange(N, schedule='static', num_threads=nthreads):
            loss[r] = <floating>_cross_entropy_row(&x[r, 0], &probs[r, 0], C, target[r],
                                                   &weight[0], eps, ignore_index)


cdef inline void _cross_entropy_backward_row(const floating* p, floating* out, Py_ssize_t C,
                                             long long t, const floating* weight, double g,
                                             double eps, double wsum,
                                             long long ignore_index) noexcept nogil:
    # out = g·((1 − ε)·w_t·(p − onehot(t)) + (ε/C)·(W·p − w)) for one row; scalars local
    # (see _cross_entropy_row). Without smoothing (the common case) it is one vectorised
    # scale, out = a·p, and the target's entry − a.
    cdef double a, b
    cdef Py_ssize_t c
    if t == ignore_index:
        for c in range(C):
            out[c] = 0
        return
    a = g * (1 - eps) * weight[t]
    if eps == 0:
        _scale(p, <floating>a, out, C)
    else:
        b = g * eps / C
        for c in range(C):
            out[c] = <floating>(a * p[c] + b * (wsum * p[c] - weight[c]))
    out[t] = <floating>(out[t] - a)


def cross_entropy_backward(const floating[:, ::1] probs, const long long[::1] target,
                           const floating[::1] weight, double eps, long long ignore_index,
                           const floating[::1] grad, floating[:, ::1] out, int nthreads):
    cdef Py_ssize_t N = probs.shape[0], C = probs.shape[1], r, c
    cdef double wsum = 0
    _check_rows("cross_entropy_backward", N, C, target, weight.shape[0], ignore_index,
                out.shape[0], out.shape[1], grad.shape[0])
    if C == 0:
        return
    for c in range(C):
        wsum += weight[c]
    with nogil:
        for r in prange(N, schedule='static', num_threads=nthreads):
            _cross_entropy_backward_row(&probs[r, 0], &out[r, 0], C, target[r], &weight[0],
                                        grad[r], eps, wsum, ignore_index)


# erf lives here because nn's GELU (0.5·x·(1 + erf(x/√2)), torch's exact form) is its only user
# and numpy has no erf; libm's erf is exact to the last bit or so in both precisions.
cdef extern from "math.h" nogil:
    float erff(float)
    double erf(double)


def erf_forward(const floating[::1] x, floating[::1] out, int nthreads):
    cdef Py_ssize_t i, n = x.shape[0]
    with nogil:
        for i in prange(n, schedule='static', num_threads=nthreads):
            if floating is float:
                out[i] = erff(x[i])
            else:
                out[i] = erf(x[i])
