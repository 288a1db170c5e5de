# cython: boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Max pooling: the values and indices of each window's maximum, and the two linear maps on
(H, W) planes its derivatives use (read at the indices, add back at the indices).

Contract (minigrad/backend/reference.py): x (N, C, H, W), pooled and index (N, C, OH, OW),
C-contiguous; float32 or float64, index int64 (r·W + q, the position in its plane).

    max_pool2d_forward   out[n, c, oh, ow] = max of x[n, c, r, q] over the window's taps
                         r = oh·sh + i·dh − ph, q = ow·sw + j·dw − pw inside x, and index the
                         r·W + q of the tap kept (torch's rule: scanning row by row, keep a tap
                         greater than the one kept, or NaN; the first tap inside is kept in any
                         case, so all −∞ gives the first). No tap inside: −∞ and index −1.
    gather_planes        out[n, c, k] = x[n, c, index[n, c, k]]            (0 off the plane)
    scatter_add_planes   out[n, c] = 0;  out[n, c, index[n, c, oh, ow]] += src[n, c, oh, ow]
                         for each index that names a tap of its own window (oh, ow)

An index outside [0, H·W) is read as 0 and never written through (nor, when scattering, one
that is not a tap of its window), so no value of index reads or writes out of bounds.
Work is split over the N·C planes, each thread writing its own planes only (no races, no
atomics); each plane's loop is one cdef function whose scratch scalars are its own
(PERF-NOTES: scratch shared across prange threads computed wrong rows).
"""
from cython cimport floating
from cython.parallel cimport prange
from libc.math cimport INFINITY
from libc.stdint cimport int64_t

include "_inside.pxi"


cdef void _max_plane(const floating* x, floating* out, int64_t* index, Py_ssize_t H,
                     Py_ssize_t W, Py_ssize_t OH, Py_ssize_t OW, int kh, int kw, int sh, int sw,
                     int ph, int pw, int dh, int dw) noexcept nogil:
    cdef Py_ssize_t oh, ow, i, j, r0, q0, i_lo, i_hi, j_lo, j_hi, at, k
    cdef floating v, best
    for oh in range(OH):
        r0 = oh * sh - ph
        # the taps i_lo ≤ i < i_hi of the window's rows are inside x (likewise j for columns)
        i_lo = _first_inside(r0, dh)
        i_hi = _end_inside(r0, dh, H, kh)
        for ow in range(OW):
            q0 = ow * sw - pw
            j_lo = _first_inside(q0, dw)
            j_hi = _end_inside(q0, dw, W, kw)
            best = -INFINITY
            at = -1
            if i_lo < i_hi and j_lo < j_hi:      # the first tap inside is kept in any case
                at = (r0 + i_lo * dh) * W + q0 + j_lo * dw
                best = x[at]
            for i in range(i_lo, i_hi):
                for j in range(j_lo, j_hi):
                    k = (r0 + i * dh) * W + q0 + j * dw
                    v = x[k]
                    if v > best or v != v:      # v != v: NaN, which always wins
                        best = v
                        at = k
            out[oh * OW + ow] = best
            index[oh * OW + ow] = at


def max_pool2d_forward(const floating[:, :, :, ::1] x, floating[:, :, :, ::1] out,
                       int64_t[:, :, :, ::1] index, int kh, int kw, int sh, int sw, int ph,
                       int pw, int dh, int dw, int nthreads):
    cdef Py_ssize_t N = x.shape[0], C = x.shape[1], H = x.shape[2], W = x.shape[3]
    cdef Py_ssize_t OH = out.shape[2], OW = out.shape[3], p
    if N * C == 0 or OH * OW == 0:
        return
    with nogil:
        for p in prange(N * C, schedule='static', num_threads=nthreads):
            _max_plane(&x[p // C, p % C, 0, 0], &out[p // C, p % C, 0, 0],
                       &index[p // C, p % C, 0, 0], H, W, OH, OW, kh, kw, sh, sw, ph, pw, dh,
                       dw)


cdef void _gather_plane(const floating* x, const int64_t* index, floating* out,
                        Py_ssize_t plane, Py_ssize_t K) noexcept nogil:
    cdef Py_ssize_t k
    cdef int64_t at
    for k in range(K):
        at = index[k]
        out[k] = x[at] if 0 <= at < plane else 0


def gather_planes(const floating[:, :, :, ::1] x, const int64_t[:, :, :, ::1] index,
                  floating[:, :, :, ::1] out, int nthreads):
    cdef Py_ssize_t N = x.shape[0], C = x.shape[1], plane = x.shape[2] * x.shape[3]
    cdef Py_ssize_t K = out.shape[2] * out.shape[3], p
    if N * C == 0 or K == 0:
        return
    with nogil:
        for p in prange(N * C, schedule='static', num_threads=nthreads):
            _gather_plane(&x[0, 0, 0, 0] + p * plane if plane else NULL,
                          &index[p // C, p % C, 0, 0], &out[p // C, p % C, 0, 0], plane, K)


cdef inline bint _is_tap(int64_t at, Py_ssize_t W, double inverse_W, Py_ssize_t r0,
                         Py_ssize_t q0, int kh, int kw, int dh, int dw) noexcept nogil:
    # whether plane position `at` = r·W + q is a tap (r0 + i·dh, q0 + j·dw) of the window whose
    # first tap is (r0, q0). r = at // W by a multiplication (an integer division per entry
    # cost more than the rest of the loop), corrected by one where rounding missed.
    cdef Py_ssize_t r = <Py_ssize_t>(at * inverse_W), i, j
    if r * W > at:
        r -= 1
    elif (r + 1) * W <= at:
        r += 1
    i = r - r0
    j = at - r * W - q0
    return (0 <= i <= (kh - 1) * dh and 0 <= j <= (kw - 1) * dw
            and (dh == 1 or i % dh == 0) and (dw == 1 or j % dw == 0))


cdef void _scatter_add_plane(const floating* src, const int64_t* index, floating* out,
                             Py_ssize_t W, Py_ssize_t plane, Py_ssize_t OH, Py_ssize_t OW,
                             int kh, int kw, int sh, int sw, int ph, int pw, int dh,
                             int dw) noexcept nogil:
    cdef Py_ssize_t k, oh, ow
    cdef int64_t at
    cdef double inverse_W = 1.0 / W
    for k in range(plane):
        out[k] = 0
    for oh in range(OH):
        for ow in range(OW):
            at = index[oh * OW + ow]
            # skipped: off the plane, or not a tap of its own window (as the CUDA kernel,
            # which looks for each pixel's sources among the windows holding it)
            if 0 <= at < plane and _is_tap(at, W, inverse_W, oh * sh - ph, ow * sw - pw, kh, kw,
                                           dh, dw):
                out[at] += src[oh * OW + ow]


def scatter_add_planes(const floating[:, :, :, ::1] src, const int64_t[:, :, :, ::1] index,
                       floating[:, :, :, ::1] out, int kh, int kw, int sh, int sw, int ph,
                       int pw, int dh, int dw, int nthreads):
    cdef Py_ssize_t N = out.shape[0], C = out.shape[1], W = out.shape[3]
    cdef Py_ssize_t plane = out.shape[2] * out.shape[3]
    cdef Py_ssize_t OH = src.shape[2], OW = src.shape[3], K = OH * OW, p
    if N * C == 0 or plane == 0:
        return
    with nogil:
        for p in prange(N * C, schedule='static', num_threads=nthreads):
            _scatter_add_plane(&src[0, 0, 0, 0] + p * K if K else NULL,
                               &index[0, 0, 0, 0] + p * K if K else NULL,
                               &out[p // C, p % C, 0, 0], W, plane, OH, OW, kh, kw, sh, sw, ph,
                               pw, dh, dw)
