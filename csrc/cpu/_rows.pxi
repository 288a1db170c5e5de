# Row helpers shared by the row kernels (softmax.pyx) and the fused cross-entropy (loss.pyx),
# included textually (`include "_rows.pxi"`). Each reduction keeps four partial results so
# that gcc vectorises it without -ffast-math; sums are accumulated in double.
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


cdef inline floating _row_max(const floating* x, Py_ssize_t n) noexcept nogil:
    # Four partial maxima, like the sums below: gcc packs them into one SIMD max.
    cdef floating m0 = -INFINITY, m1 = -INFINITY, m2 = -INFINITY, m3 = -INFINITY
    cdef Py_ssize_t j = 0
    while j + 4 <= n:
        m0 = _max(m0, x[j])
        m1 = _max(m1, x[j + 1])
        m2 = _max(m2, x[j + 2])
        m3 = _max(m3, x[j + 3])
        j += 4
    while j < n:
        m0 = _max(m0, x[j])
        j += 1
    return _max(_max(m0, m1), _max(m2, m3))


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


