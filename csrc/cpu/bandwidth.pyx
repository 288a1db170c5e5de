"""STREAM-like memory bandwidth kernels: copy and triad, one compiled pass each.

What a memory-bound kernel (an optimizer update, an elementwise op on large arrays) can reach
on this machine is set by how many bytes per second the cores can stream to and from DRAM,
not by any other library's figure. McCalpin's STREAM benchmark measures that with four
loops; two of them are here (bench/ times them beside the AdamW update):

    copy:   a[i] = b[i]              moves 2 arrays: reads b, writes a
    triad:  a[i] = b[i] + s·c[i]     moves 3 arrays: reads b and c, writes a

One pass over the data, no temporaries. NumPy's ``b + s * c`` is not a triad: it makes
``s * c`` into a temporary array first, then adds, so it moves 5 arrays' worth of bytes instead
of 3. Bandwidth is counted STREAM's way: the bytes the loop must move (2 or 3 arrays of
``n · itemsize`` bytes) over the time it took; the extra read a cache does before writing a
line (write-allocate) is not counted.

Arrays are 1-D, C-contiguous, all float32 or all float64, of equal length; ``nthreads`` OpenMP
threads share the loop in equal contiguous chunks (``schedule='static'``), so each thread
streams its own part of every array. The checks (in ``_check``) run before any loop, so a bad
call raises ValueError/TypeError naming what was wrong instead of reading past a buffer.
"""
import numpy as np

from cython cimport floating
from cython.parallel cimport prange


def _check(nthreads, **arrays):
    """ValueError/TypeError naming the arrays' types, dtypes or shapes unless they are all 1-D,
    C-contiguous numpy arrays of one float dtype and one length, and ``nthreads`` ≥ 1."""
    for name, x in arrays.items():
        if not isinstance(x, np.ndarray):
            raise TypeError(f"{name} must be a numpy array, got {type(x).__name__}")
    dtypes = {name: x.dtype for name, x in arrays.items()}
    if len(set(dtypes.values())) != 1 or next(iter(dtypes.values())) not in (np.float32,
                                                                              np.float64):
        raise TypeError("arrays must all be float32 or all float64, got "
                        + ", ".join(f"{k}: {v}" for k, v in dtypes.items()))
    shapes = {name: x.shape for name, x in arrays.items()}
    if any(len(s) != 1 for s in shapes.values()) or len(set(shapes.values())) != 1:
        raise ValueError("arrays must be 1-D and of one length, got shapes "
                         + ", ".join(f"{k}: {v}" for k, v in shapes.items()))
    for name, x in arrays.items():
        if not x.flags.c_contiguous:
            raise ValueError(f"{name} must be C-contiguous (strides {x.strides})")
    if not arrays["out"].flags.writeable:
        raise ValueError("out is read-only")
    if isinstance(nthreads, bool) or not isinstance(nthreads, (int, np.integer)):
        raise TypeError(f"nthreads must be an int, got {type(nthreads).__name__}")
    if nthreads < 1:
        raise ValueError(f"nthreads must be at least 1, got {nthreads}")


cdef void _copy(floating[::1] out, const floating[::1] b, int nthreads):
    cdef Py_ssize_t i, n = out.shape[0]
    with nogil:
        for i in prange(n, schedule="static", num_threads=nthreads):
            out[i] = b[i]


cdef void _triad(floating[::1] out, const floating[::1] b, const floating[::1] c, floating s,
                 int nthreads):
    cdef Py_ssize_t i, n = out.shape[0]
    with nogil:
        for i in prange(n, schedule="static", num_threads=nthreads):
            out[i] = b[i] + s * c[i]


def copy(out, b, nthreads=1):
    """STREAM copy: ``out[i] = b[i]``. Returns ``out``. Moves ``2 · b.nbytes`` bytes."""
    _check(nthreads, out=out, b=b)
    if out.dtype == np.float32:
        _copy[float](out, b, nthreads)
    else:
        _copy[double](out, b, nthreads)
    return out


def triad(out, b, c, s, nthreads=1):
    """STREAM triad: ``out[i] = b[i] + s · c[i]``, ``s`` rounded to the arrays' dtype first
    (as numpy does with ``b + np.float32(s) * c``). Returns ``out``. Moves ``3 · b.nbytes``."""
    _check(nthreads, out=out, b=b, c=c)
    if out.dtype == np.float32:
        _triad[float](out, b, c, <float>float(s), nthreads)
    else:
        _triad[double](out, b, c, <double>float(s), nthreads)
    return out

