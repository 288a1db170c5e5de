# Row helpers shared by the row kernels (softmax.pyx) and the fused cross-entropy (loss.pyx),
# included textually (`include "_rows.pxi"`). Sums are accumulated in double. The max and
# the exp sums are rowmath.h's (vectorised reductions); _sum and _dot below keep four partial
# results so that gcc vectorises them without -ffast-math.
from libc.math cimport INFINITY

cdef extern from "vecmath.h" nogil:
    # libm's expf/exp, declared so that gcc may call glibc's SIMD versions of them in
    # vectorised loops (scalar expf alone was 3x slower than numpy's softmax; see vecmath.h).
    float mg_expf(float)
    double mg_exp(double)


cdef inline floating _exp(floating v) noexcept nogil:
    if floating is float:
        return mg_expf(v)
    else:
        return mg_exp(v)


cdef inline floating _max(floating a, floating b) noexcept nogil:
    # A NaN in b is never kept (a comparison with NaN is false), as with x86's maxps.
    return b if b > a else a


# The row loops that decide the speed of softmax and cross-entropy (max, exp-and-sum, scale,
# divide) are C functions in rowmath.h: vectorised reductions (omp simd) and one build per
# instruction set (AVX-512 / AVX2 / baseline, chosen at load time), which Cython cannot
# express. Here they get fused-type names.
cdef extern from "rowmath.h" nogil:
    float mg_row_max_f(const float*, Py_ssize_t)
    double mg_row_max_d(const double*, Py_ssize_t)
    double mg_exp_shift_sum_f(const float*, float, float*, Py_ssize_t)
    double mg_exp_shift_sum_d(const double*, double, double*, Py_ssize_t)
    double mg_exp_shift_total_f(const float*, float, Py_ssize_t)
    double mg_exp_shift_total_d(const double*, double, Py_ssize_t)
    void mg_scale_f(const float*, float, float*, Py_ssize_t)
    void mg_scale_d(const double*, double, double*, Py_ssize_t)
    void mg_divide_f(const float*, float, float*, Py_ssize_t)
    void mg_divide_d(const double*, double, double*, Py_ssize_t)


cdef inline floating _row_max(const floating* x, Py_ssize_t n) noexcept nogil:
    """max_j x[j] (NaN entries skipped; −inf for an empty row)"""
    if floating is float:
        return mg_row_max_f(x, n)
    else:
        return mg_row_max_d(x, n)


cdef inline double _exp_shift_sum(const floating* x, floating m, floating* y,
                                  Py_ssize_t n) noexcept nogil:
    """y[j] = exp(x[j] − m); returns Σ_j y[j] accumulated in double (y may be x)"""
    if floating is float:
        return mg_exp_shift_sum_f(x, m, y, n)
    else:
        return mg_exp_shift_sum_d(x, m, y, n)


cdef inline double _exp_shift_total(const floating* x, floating m, Py_ssize_t n) noexcept nogil:
    """Σ_j exp(x[j] − m) in double, writing nothing"""
    if floating is float:
        return mg_exp_shift_total_f(x, m, n)
    else:
        return mg_exp_shift_total_d(x, m, n)


cdef inline void _scale(const floating* x, floating a, floating* y, Py_ssize_t n) noexcept nogil:
    """y[j] = a·x[j] (y may be x)"""
    if floating is float:
        mg_scale_f(x, a, y, n)
    else:
        mg_scale_d(x, a, y, n)


cdef inline void _divide(const floating* x, floating d, floating* y, Py_ssize_t n) noexcept nogil:
    """y[j] = x[j] / d (y may be x)"""
    if floating is float:
        mg_divide_f(x, d, y, n)
    else:
        mg_divide_d(x, d, y, n)


# The sums below keep four partial sums: the adds then overlap instead of each waiting for
# the previous one (one accumulator is latency-bound, ~4x slower), and gcc packs them into SIMD
# registers. A loop with a single accumulator is never vectorised without -ffast-math.

cdef inline double _sum(const floating* a, Py_ssize_t n) noexcept nogil:
    cdef double s0 = 0, s1 = 0, s2 = 0, s3 = 0
    cdef Py_ssize_t j = 0
    while j + 4 <= n:
        s0 += a[j]
        s1 += a[j + 1]
        s2 += a[j + 2]
        s3 += a[j + 3]
        j += 4
    while j < n:
        s0 += a[j]
        j += 1
    return (s0 + s1) + (s2 + s3)


cdef inline double _dot(const floating* a, const floating* b, Py_ssize_t n) noexcept nogil:
    cdef double s0 = 0, s1 = 0, s2 = 0, s3 = 0
    cdef Py_ssize_t j = 0
    while j + 4 <= n:
        s0 += a[j] * b[j]
        s1 += a[j + 1] * b[j + 1]
        s2 += a[j + 2] * b[j + 2]
        s3 += a[j + 3] * b[j + 3]
        j += 4
    while j < n:
        s0 += a[j] * b[j]
        j += 1
    return (s0 + s1) + (s2 + s3)


