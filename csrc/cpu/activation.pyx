"""Fused activation kernels: y = f(x) and dx = dy * f'(x), one pass each.

Contract (minigrad/backend/reference.py): every kernel writes into a caller-allocated ``out``;
arrays are 1-D, C-contiguous, all float32 or all float64 (``cython.floating`` compiles one
specialisation per dtype). ``minigrad.backend.cpu`` flattens N-d arrays before calling.
The trailing ``nthreads`` is chosen by the caller: 1 runs serially without waking the OpenMP
pool, which matters on small arrays where that pool fights OpenBLAS's (PERF-NOTES.md).
In-place use (``out`` is an input) is safe: element i is read before out[i] is written.
"""
from cython cimport floating
from cython.parallel cimport prange
from libc.math cimport fabs, fabsf

cdef extern from "vecmath.h" nogil:
    # libm's expf/exp/tanhf/tanh, declared so that gcc may call glibc's SIMD versions of them
    # in vectorised loops (scalar libm was ~10x slower than numpy; see vecmath.h).
    float mg_expf(float)
    double mg_exp(double)
    float mg_tanhf(float)
    double mg_tanh(double)


# float32 calls the float functions (cheaper, twice the SIMD lanes), float64 the double ones;
# the branch is resolved at compile time per specialisation.
cdef inline floating _exp(floating v) noexcept nogil:
    if floating is float:
        return mg_expf(v)
    else:
        return mg_exp(v)


cdef inline floating _fabs(floating v) noexcept nogil:
    if floating is float:
        return fabsf(v)
    else:
        return fabs(v)


cdef inline Py_ssize_t _same_size(Py_ssize_t a, Py_ssize_t b) except -1:
    # Without boundscheck a size mismatch would read or write past the end of a buffer.
    if a != b:
        raise ValueError(f"size mismatch: input has {a} elements, out has {b}")
    return a


def relu_forward(const floating[::1] x, floating[::1] out, int nthreads):
    """out[i] = max(x[i], 0);  relu(NaN) = NaN, as torch and np.maximum."""
    cdef Py_ssize_t i, n = _same_size(x.shape[0], out.shape[0])
    cdef floating v
    with nogil:
        for i in prange(n, schedule='static', num_threads=nthreads):
            v = x[i]
            # NaN fails every comparison, so `not (v <= 0)` lets it through unchanged.
            out[i] = v if not (v <= 0) else 0


def relu_backward(const floating[::1] x, const floating[::1] grad, floating[::1] out,
                  int nthreads):
    """out[i] = grad[i] * [not x[i] ≤ 0]   (derivative 0 at x = 0; 1 at NaN, as torch).

    Written as a product, like the reference, so a NaN/inf in grad still propagates where x > 0
    and grad * 0 gives NaN for grad = ±inf, exactly as the reference does.
    """
    cdef Py_ssize_t i, n = _same_size(x.shape[0], out.shape[0])
    _same_size(grad.shape[0], n)
    with nogil:
        for i in prange(n, schedule='static', num_threads=nthreads):
            out[i] = grad[i] * (<floating>0 if x[i] <= 0 else <floating>1)


def sigmoid_forward(const floating[::1] x, floating[::1] out, int nthreads):
    """out[i] = 1 / (1 + exp(-x[i])).

    Evaluated as e = exp(-|x|) in (0, 1]:  x >= 0 -> 1 / (1 + e),  x < 0 -> e / (1 + e),
    so exp never overflows, and sigmoid(NaN) = NaN (exp(NaN) = NaN).
    """
    cdef Py_ssize_t i, n = _same_size(x.shape[0], out.shape[0])
    cdef floating v, e
    with nogil:
        for i in prange(n, schedule='static', num_threads=nthreads):
            v = x[i]
            e = _exp(-_fabs(v))
            out[i] = (<floating>1 if v >= 0 else e) / (1 + e)


def sigmoid_backward(const floating[::1] y, const floating[::1] grad, floating[::1] out,
                     int nthreads):
    """out[i] = grad[i] * y[i] * (1 - y[i]),  with y = sigmoid(x) saved by the forward."""
    cdef Py_ssize_t i, n = _same_size(y.shape[0], out.shape[0])
    cdef floating v
    _same_size(grad.shape[0], n)
    with nogil:
        for i in prange(n, schedule='static', num_threads=nthreads):
            v = y[i]
            out[i] = grad[i] * (v * (1 - v))


# tanh_forward has no Cython kernel: numpy's vectorised tanh is faster (see backend/cpu.py).


def tanh_backward(const floating[::1] y, const floating[::1] grad, floating[::1] out,
                  int nthreads):
    """out[i] = grad[i] * (1 - y[i]²),  with y = tanh(x) saved by the forward."""
    cdef Py_ssize_t i, n = _same_size(y.shape[0], out.shape[0])
    cdef floating v
    _same_size(grad.shape[0], n)
    with nogil:
        for i in prange(n, schedule='static', num_threads=nthreads):
            v = y[i]
            out[i] = grad[i] * (1 - v * v)
