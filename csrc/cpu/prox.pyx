"""Proximal-operator kernels of the penalties (minigrad/penalties.py): soft-thresholding and
group soft-thresholding.

Contract (minigrad/backend/reference.py, section "proximal operators"): every kernel writes into
a caller-allocated ``out`` of the input's shape and dtype (float32 or float64, one
specialisation each through ``cython.floating``); ``soft_threshold`` takes flat 1-D arrays
(``minigrad.backend.cpu`` flattens N-d ones), ``group_soft_threshold`` a C-contiguous
(rows, cols) array whose rows are the groups. The scalar arguments are rounded to the array's
dtype first, as numpy does when it mixes a Python float with a float32 array, so the float32
results match the numpy reference bit for bit where the reference is exact.
In-place use (``out`` is ``v``) is safe: element i is read before out[i] is written.
"""
from cython cimport floating
from cython.parallel cimport prange
from libc.math cimport fabs, fabsf, copysign, copysignf, sqrt


cdef inline floating _fabs(floating v) noexcept nogil:
    if floating is float:
        return fabsf(v)
    else:
        return fabs(v)


cdef inline floating _copysign(floating magnitude, floating sign) noexcept nogil:
    if floating is float:
        return copysignf(magnitude, sign)
    else:
        return copysign(magnitude, sign)


cdef inline Py_ssize_t _same_size(Py_ssize_t a, Py_ssize_t b) except -1:
    # Without boundscheck a size mismatch would read or write past the end of a buffer.
    if a != b:
        raise ValueError(f"size mismatch: input has {a} elements, out has {b}")
    return a


def soft_threshold(const floating[::1] v, double threshold, double divisor, floating[::1] out,
                   int nthreads):
    """out[i] = sign(v[i]) · max(|v[i]| − threshold, 0) / divisor.

    The prox of L1 (divisor 1) and of the elastic net (divisor 1 + step·l2). A NaN passes
    through (NaN fails `a <= 0`), as np.maximum propagates it in the reference.
    """
    cdef Py_ssize_t i, n = _same_size(v.shape[0], out.shape[0])
    cdef floating t = <floating>threshold, d = <floating>divisor, x, a
    with nogil:
        for i in prange(n, schedule='static', num_threads=nthreads):
            x = v[i]
            a = _fabs(x) - t
            # a select (not a branch), so gcc vectorises the loop; NaN fails `a <= 0`
            a = 0 if a <= 0 else a
            out[i] = _copysign(a, x) / d


cdef void _group_row(const floating* v, floating* out, Py_ssize_t n, double t) noexcept nogil:
    # ‖v‖² accumulated in double (float32 rows keep their precision whatever their length),
    # in four independent sums so the adds pipeline instead of waiting on one another.
    cdef double s0 = 0, s1 = 0, s2 = 0, s3 = 0, norm, factor
    cdef Py_ssize_t j = 0
    while j + 4 <= n:
        s0 += <double>v[j] * <double>v[j]
        s1 += <double>v[j + 1] * <double>v[j + 1]
        s2 += <double>v[j + 2] * <double>v[j + 2]
        s3 += <double>v[j + 3] * <double>v[j + 3]
        j += 4
    while j < n:
        s0 += <double>v[j] * <double>v[j]
        j += 1
    norm = sqrt((s0 + s1) + (s2 + s3))
    # norm <= t (a zero row included) -> 0; a NaN norm fails `norm > t` -> factor 0 -> v·0,
    # so the NaN entries stay NaN, as in the reference.
    factor = 1 - t / norm if norm > t else 0
    for j in range(n):
        out[j] = <floating>(v[j] * factor)


def group_soft_threshold(const floating[:, ::1] v, double threshold, floating[:, ::1] out,
                         int nthreads):
    """out[r] = v[r] · max(1 − threshold / ‖v[r]‖₂, 0);  a row with ‖v[r]‖ ≤ threshold is 0.

    The prox of the group lasso, one group per row. Parallel over rows (each thread owns its
    rows: the result does not depend on nthreads).
    """
    cdef Py_ssize_t rows = v.shape[0], cols = v.shape[1], r
    cdef double t = <floating>threshold
    if out.shape[0] != rows or out.shape[1] != cols:
        raise ValueError(f"shape mismatch: v is ({rows}, {cols}), out is "
                         f"({out.shape[0]}, {out.shape[1]})")
    if rows == 0 or cols == 0:
        return
    with nogil:
        for r in prange(rows, schedule='static', num_threads=nthreads):
            _group_row(&v[r, 0], &out[r, 0], cols, t)
