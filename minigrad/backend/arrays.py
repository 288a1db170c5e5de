"""The two array helpers every layer uses, numpy and cupy alike (a module of their own so that
the kernel reference can use them without importing the backend package that builds on it)."""
import numpy


def array_module(a):
    """numpy for a numpy array, cupy for a cupy array (cupy is imported only in that case)."""
    if isinstance(a, (numpy.ndarray, numpy.generic)):   # numpy scalars: a 0-d op's result
        return numpy
    import cupy
    return cupy


def contiguous(a):
    """``a`` when it is C-contiguous, else a C-contiguous copy (numpy or cupy alike).

    The kernels read and write their arrays as flat C-ordered memory, so every caller that may
    hold a view (a transpose, a slice) passes ``contiguous(a)``.
    """
    return a if a.flags.c_contiguous else a.copy(order="C")
