"""The LSTM cell's pointwise gate math in one pass (used when no backward graph is recorded).

The readable version is ``lstm_pointwise`` in minigrad/nn/_rnn_cells.py, written with minigrad
ops (chunk, sigmoid, tanh, *, +): about ten passes over the gates, each allocating its result.
This kernel reads each gate pre-activation once and writes h' and c' once:

    gates (B, 4H) = [i | f | g | o] pre-activations (torch's order), c (B, H):
        c'[b, j] = σ(f[b, j]) · c[b, j] + σ(i[b, j]) · tanh(g[b, j])
        h'[b, j] = σ(o[b, j]) · tanh(c'[b, j])

σ is evaluated as in activation.pyx's sigmoid_forward (e = exp(−|x|), never overflowing), tanh
through vecmath.h (glibc's SIMD tanh, at most 4 ulp from numpy's); the test
tests/test_nn_rnn.py checks the two versions agree. Arrays are C-contiguous, all float32 or all
float64; ``nthreads`` as in activation.pyx (1: serial, without waking the OpenMP pool).
"""
from cython cimport floating
from cython.parallel cimport prange
from libc.math cimport fabs, fabsf

cdef extern from "vecmath.h" nogil:
    float mg_expf(float)
    double mg_exp(double)
    float mg_tanhf(float)
    double mg_tanh(double)


cdef inline floating _exp(floating v) noexcept nogil:
    if floating is float:
        return mg_expf(v)
    else:
        return mg_exp(v)


cdef inline floating _tanh(floating v) noexcept nogil:
    if floating is float:
        return mg_tanhf(v)
    else:
        return mg_tanh(v)


cdef inline floating _fabs(floating v) noexcept nogil:
    if floating is float:
        return fabsf(v)
    else:
        return fabs(v)


cdef inline floating _sigmoid(floating v) noexcept nogil:
    cdef floating e = _exp(-_fabs(v))  # in (0, 1]: exp never overflows; σ(NaN) = NaN
    return (<floating>1 if v >= 0 else e) / (1 + e)


cdef inline void _lstm_row(const floating* gates, const floating* c, floating* h_out,
                           floating* c_out, Py_ssize_t H) noexcept nogil:
    """One batch row: gates (4H,) = [i | f | g | o], c (H,).

    Two loops rather than one: the pointers may alias as far as gcc knows, and it vectorises a
    loop only when the run-time overlap checks it must add stay few; one loop reading four
    gate slices and c and writing two outputs needs too many (PERF: ~5x slower, scalar)."""
    cdef Py_ssize_t j
    for j in range(H):
        c_out[j] = (_sigmoid(gates[H + j]) * c[j]
                    + _sigmoid(gates[j]) * _tanh(gates[2 * H + j]))
    for j in range(H):
        h_out[j] = _sigmoid(gates[3 * H + j]) * _tanh(c_out[j])


def lstm_pointwise_forward(const floating[:, ::1] gates, const floating[:, ::1] c,
                           floating[:, ::1] h_out, floating[:, ::1] c_out, int nthreads):
    """h_out, c_out (B, H) ← one LSTM step's gate math on gates (B, 4H) and c (B, H)."""
    cdef Py_ssize_t rows = c.shape[0], H = c.shape[1], b
    if gates.shape[0] != rows or gates.shape[1] != 4 * H:
        raise ValueError(f"lstm_pointwise_forward: gates {gates.shape[0]}x{gates.shape[1]} "
                         f"do not match c {rows}x{H} (gates must be B x 4H)")
    for name, out in (("h_out", h_out), ("c_out", c_out)):
        if out.shape[0] != rows or out.shape[1] != H:
            raise ValueError(f"lstm_pointwise_forward: {name} {out.shape[0]}x{out.shape[1]} "
                             f"does not match c {rows}x{H}")
    if rows == 0 or H == 0:
        return
    with nogil:
        for b in prange(rows, schedule='static', num_threads=nthreads):
            _lstm_row(&gates[b, 0], &c[b, 0], &h_out[b, 0], &c_out[b, 0], H)
