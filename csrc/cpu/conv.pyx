# cython: boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""im2col / col2im: the patches of a 2-D convolution, and their adjoint.

Contract (minigrad/backend/reference.py): x (N, C, H, W) and cols (C, KH, KW, N, OH, OW),
C-contiguous, float32 or float64, out caller-allocated.

    cols[c, i, j, n, oh, ow] = x[n, c, oh·sh + i·dh − ph, ow·sw + j·dw − pw]   (0 outside x)

cols viewed as (C·KH·KW, N·OH·OW) turns a whole conv2d into one GEMM. For each output row
(c, i, j, n, oh) the columns ow whose source lies inside x form one range [lo, hi), computed
once, so the inner loop is a plain strided copy with no bounds test. Work is split over the
C·KH·KW planes (im2col) or the N·C images (col2im, which then adds into its own image only:
no races, no atomics).
"""
from cython cimport floating
from cython.parallel cimport prange


include "_inside.pxi"


cdef inline void _copy_row(const floating* src, floating* dst, Py_ssize_t lo, Py_ssize_t hi,
                           Py_ssize_t OW, Py_ssize_t sw, Py_ssize_t q0) noexcept nogil:
    # dst[ow] = src[ow·sw + q0] for lo ≤ ow < hi, 0 elsewhere (the padding)
    cdef Py_ssize_t ow
    for ow in range(lo):
        dst[ow] = 0
    if sw == 1:
        for ow in range(lo, hi):
            dst[ow] = src[ow + q0]
    else:
        for ow in range(lo, hi):
            dst[ow] = src[ow * sw + q0]
    for ow in range(hi, OW):
        dst[ow] = 0


def im2col(const floating[:, :, :, ::1] x, floating[:, :, :, :, :, ::1] out,
           int sh, int sw, int ph, int pw, int dh, int dw, int nthreads):
    cdef Py_ssize_t N = x.shape[0], H = x.shape[2], W = x.shape[3]
    cdef Py_ssize_t C = out.shape[0], KH = out.shape[1], KW = out.shape[2]
    cdef Py_ssize_t OH = out.shape[4], OW = out.shape[5]
    cdef Py_ssize_t p, c, i, j, n, oh, ow, r, lo, hi, q0
    if C != x.shape[1] or out.shape[3] != N:
        raise ValueError(f"im2col: out {tuple(out.shape)[:6]} does not fit x "
                         f"{tuple(x.shape)[:4]}: expected (C, KH, KW, N, OH, OW)")
    with nogil:
        for p in prange(C * KH * KW, schedule='static', num_threads=nthreads):
            c = p // (KH * KW)
            i = (p // KW) % KH
            j = p % KW
            q0 = j * dw - pw
            lo = _first_inside(q0, sw)
            hi = _end_inside(q0, sw, W, OW)
            if hi < lo:
                hi = lo
            for n in range(N):
                for oh in range(OH):
                    r = oh * sh + i * dh - ph
                    if r < 0 or r >= H:
                        for ow in range(OW):
                            out[c, i, j, n, oh, ow] = 0
                        continue
                    _copy_row(&x[n, c, r, 0], &out[c, i, j, n, oh, 0], lo, hi, OW, sw, q0)


def col2im(const floating[:, :, :, :, :, ::1] cols, floating[:, :, :, ::1] out,
           int sh, int sw, int ph, int pw, int dh, int dw, int nthreads):
    cdef Py_ssize_t N = out.shape[0], C = out.shape[1], H = out.shape[2], W = out.shape[3]
    cdef Py_ssize_t KH = cols.shape[1], KW = cols.shape[2], OH = cols.shape[4], OW = cols.shape[5]
    cdef Py_ssize_t p, n, c, i, j, oh, ow, r, q, lo, hi, q0
    if cols.shape[0] != C or cols.shape[3] != N:
        raise ValueError(f"col2im: cols {tuple(cols.shape)[:6]} does not fit out "
                         f"{tuple(out.shape)[:4]}: expected (C, KH, KW, N, OH, OW)")
    with nogil:
        for p in prange(N * C, schedule='static', num_threads=nthreads):
            n = p // C
            c = p % C
            for r in range(H):
                for q in range(W):
                    out[n, c, r, q] = 0
            for i in range(KH):
                for j in range(KW):
                    q0 = j * dw - pw
                    lo = _first_inside(q0, sw)
                    hi = _end_inside(q0, sw, W, OW)
                    for oh in range(OH):
                        r = oh * sh + i * dh - ph
                        if r < 0 or r >= H:
                            continue
                        for ow in range(lo, hi):
                            out[n, c, r, ow * sw + q0] += cols[c, i, j, n, oh, ow]
