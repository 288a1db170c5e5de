# The taps of a sliding window that land inside the input, shared by im2col/col2im (conv.pyx)
# and pooling (pool.pyx): a window starting at `start` (negative in the padding) with taps
# every `step` elements reads positions start + t·step, t = 0 … count − 1; the taps in
# [_first_inside, _end_inside) are the ones with 0 ≤ start + t·step < size.

cdef inline Py_ssize_t _first_inside(Py_ssize_t start, Py_ssize_t step) noexcept nogil:
    # the smallest t ≥ 0 with start + t·step ≥ 0
    if start >= 0:
        return 0
    return (-start + step - 1) // step


cdef inline Py_ssize_t _end_inside(Py_ssize_t start, Py_ssize_t step, Py_ssize_t size,
                                   Py_ssize_t count) noexcept nogil:
    # one past the largest t < count with start + t·step < size
    cdef Py_ssize_t e
    if start >= size:
        return 0
    e = (size - 1 - start) // step + 1
    return e if e < count else count
