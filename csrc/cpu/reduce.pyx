"""Reduce-to-shape kernels: sum_rows, the broadcast gradient of a bias.

Contract (minigrad/backend/reference.py): x is 2-D C-contiguous (rows, cols), ``out`` is
caller-allocated (cols,), same dtype (float32 or float64).
"""
from cython cimport floating
from cython.parallel cimport prange


# Columns summed together by one call of _sum_col_block: its double accumulators (8 KiB)
# stay in L1 while the block's slice of each row (4 KiB of float32 = one page) streams past.
cdef enum:
    MAX_COL_BLOCK = 1024


cdef void _sum_col_block(const floating* x, floating* out, Py_ssize_t rows, Py_ssize_t cols,
                         Py_ssize_t c0, Py_ssize_t c1) noexcept nogil:
    # Walking row by row keeps every read contiguous; summing in double keeps float32 sums of
    # many rows accurate (the error no longer grows with rows * eps_float32).
    cdef double acc[MAX_COL_BLOCK]  # sum_rows never passes a wider block
    cdef Py_ssize_t r, c, width = c1 - c0
    cdef const floating* row
    for c in range(width):
        acc[c] = 0
    for r in range(rows):
        row = x + r * cols + c0
        for c in range(width):
            acc[c] += row[c]
    for c in range(width):
        out[c0 + c] = <floating>acc[c]


def sum_rows(const floating[:, ::1] x, floating[::1] out, int nthreads):
    """out[c] = Σ_r x[r, c];  x is (rows, cols), out is (cols,).

    Parallel over blocks of columns, so each thread owns its slice of ``out`` (no atomics, and
    the result does not depend on nthreads). A single column block (cols <= 16) runs serially.
    """
    cdef Py_ssize_t rows = x.shape[0], cols = x.shape[1]
    cdef Py_ssize_t b, nblocks, block, c0
    if out.shape[0] != cols:
        raise ValueError(f"shape mismatch: x is ({rows}, {cols}), needs out ({cols},), "
                         f"got ({out.shape[0]},)")
    if cols == 0:
        return
    # One block per thread when that fits, rounded up to 16 columns (a 64-byte cache line of
    # float32) so two threads never write the same line of out.
    block = (cols + nthreads - 1) // nthreads
    block = min(MAX_COL_BLOCK, (block + 15) // 16 * 16)
    nblocks = (cols + block - 1) // block
    with nogil:
        for b in prange(nblocks, schedule='static', num_threads=nthreads):
            c0 = b * block
            _sum_col_block(&x[0, 0], &out[0], rows, cols, c0, min(c0 + block, cols))
