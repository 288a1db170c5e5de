"""Row kernels along the last axis of a (rows, cols) array: softmax, log_softmax, logsumexp.

Contract (minigrad/backend/reference.py): inputs are 2-D C-contiguous (rows, cols), ``out`` is
caller-allocated with the same shape (logsumexp: (rows,)), all float32 or all float64.
Rows are independent, so rows are split across ``nthreads`` OpenMP threads (1 = serial, see
PERF-NOTES.md); a row's result does not depend on nthreads. Sums are accumulated in double for
both dtypes: float32 rows of 10^5 entries would otherwise lose ~3 digits.

NaN: the row maximum skips a NaN (comparisons with NaN are false), but that NaN then enters
exp(x - max) and the row sum, so the whole row comes out NaN, as in the reference. A row with
+inf gives inf - inf = NaN the same way in softmax; logsumexp gives torch's +inf for it, and
-inf for a row of -inf only (the max itself, not max + log of a NaN sum).
"""
from cython cimport floating
from cython.parallel cimport prange
from libc.math cimport INFINITY, log

include "_rows.pxi"


cdef void _softmax_row(const floating* x, floating* y, Py_ssize_t n) noexcept nogil:
    # Pass 1: max; pass 2: y = exp(x − max) and its sum; pass 3: y /= sum (rowmath.h: each a
    # vectorised loop). Safe in place (y == x): pass 2 reads x[j] before writing y[j].
    cdef floating m = _row_max(x, n)
    cdef floating s = <floating>_exp_shift_sum(x, m, y, n)
    _divide(y, s, y, n)


cdef void _log_softmax_row(const floating* x, floating* y, Py_ssize_t n) noexcept nogil:
    cdef floating m = _row_max(x, n)
    cdef floating log_s = <floating>log(_exp_shift_total(x, m, n))
    cdef Py_ssize_t j
    for j in range(n):
        y[j] = (x[j] - m) - log_s


cdef void _softmax_backward_row(const floating* y, const floating* g, floating* out,
                                Py_ssize_t n) noexcept nogil:
    cdef floating dot = <floating>_dot(g, y, n)
    cdef Py_ssize_t j
    for j in range(n):
        out[j] = y[j] * (g[j] - dot)


cdef void _log_softmax_backward_row(const floating* y, const floating* g, floating* out,
                                    Py_ssize_t n) noexcept nogil:
    cdef floating gsum = <floating>_sum(g, n)
    cdef Py_ssize_t j
    for j in range(n):
        out[j] = g[j] - _exp(y[j]) * gsum


cdef int _check_shape(str name, Py_ssize_t rows, Py_ssize_t cols,
                      Py_ssize_t want_rows, Py_ssize_t want_cols) except -1:
    # Without boundscheck a shape mismatch would read or write past the end of a buffer.
    if rows != want_rows or cols != want_cols:
        raise ValueError(f"shape mismatch: {name} is ({rows}, {cols}), "
                         f"expected ({want_rows}, {want_cols})")
    return 0


def softmax_forward(const floating[:, ::1] x, floating[:, ::1] out, int nthreads):
    """out[r] = exp(x[r] - max x[r]) / Σ_j exp(x[r,j] - max x[r])"""
    cdef Py_ssize_t r, rows = x.shape[0], cols = x.shape[1]
    _check_shape("out", out.shape[0], out.shape[1], rows, cols)
    if cols == 0:
        return
    with nogil:
        for r in prange(rows, schedule='static', num_threads=nthreads):
            _softmax_row(&x[r, 0], &out[r, 0], cols)


def log_softmax_forward(const floating[:, ::1] x, floating[:, ::1] out, int nthreads):
    """out[r] = x[r] - max x[r] - log Σ_j exp(x[r,j] - max x[r])"""
    cdef Py_ssize_t r, rows = x.shape[0], cols = x.shape[1]
    _check_shape("out", out.shape[0], out.shape[1], rows, cols)
    if cols == 0:
        return
    with nogil:
        for r in prange(rows, schedule='static', num_threads=nthreads):
            _log_softmax_row(&x[r, 0], &out[r, 0], cols)


def logsumexp_forward(const floating[:, ::1] x, floating[::1] out, int nthreads):
    """out[r] = max x[r] + log Σ_j exp(x[r,j] - max x[r]);  out has shape (rows,).

    An empty row (cols = 0) gives -inf + log 0 = -inf, the log of an empty sum.
    """
    cdef Py_ssize_t r, rows = x.shape[0], cols = x.shape[1]
    cdef floating m
    if out.shape[0] != rows:
        raise ValueError(f"shape mismatch: x {(rows, cols)} needs out ({rows},), "
                         f"got ({out.shape[0]},)")
    with nogil:
        for r in prange(rows, schedule='static', num_threads=nthreads):
            m = _row_max(&x[r, 0], cols)
            if m == INFINITY or m == -INFINITY:
                out[r] = m  # a +inf entry, or every entry −inf: torch's ±inf, not inf − inf
            else:
                out[r] = m + <floating>log(_exp_shift_total(&x[r, 0], m, cols))


def softmax_backward(const floating[:, ::1] y, const floating[:, ::1] grad,
                     floating[:, ::1] out, int nthreads):
    """out[r] = y[r] * (grad[r] - Σ_j grad[r,j] y[r,j]),  with y = softmax(x)"""
    cdef Py_ssize_t r, rows = y.shape[0], cols = y.shape[1]
    _check_shape("grad", grad.shape[0], grad.shape[1], rows, cols)
    _check_shape("out", out.shape[0], out.shape[1], rows, cols)
    if cols == 0:
        return
    with nogil:
        for r in prange(rows, schedule='static', num_threads=nthreads):
            _softmax_backward_row(&y[r, 0], &grad[r, 0], &out[r, 0], cols)


def log_softmax_backward(const floating[:, ::1] y, const floating[:, ::1] grad,
                         floating[:, ::1] out, int nthreads):
    """out[r] = grad[r] - exp(y[r]) * Σ_j grad[r,j],  with y = log_softmax(x)"""
    cdef Py_ssize_t r, rows = y.shape[0], cols = y.shape[1]
    _check_shape("grad", grad.shape[0], grad.shape[1], rows, cols)
    _check_shape("out", out.shape[0], out.shape[1], rows, cols)
    if cols == 0:
        return
    with nogil:
        for r in prange(rows, schedule='static', num_threads=nthreads):
            _log_softmax_backward_row(&y[r, 0], &grad[r, 0], &out[r, 0], cols)
