"""The helpers every file of elementwise ops uses (elementwise.py, elementwise_select.py,
trig.py, special.py): the floating-point check of a public function's argument, an op's saved
output for its backward (or its recomputation when the backward is differentiated), a
gradient summed back to an input's shape, and running a fused backend kernel.
"""
import numpy

from ..autograd import backward_is_differentiated
from ..backend import array_module, contiguous
from .._operands import _const
from ..tensor import Tensor
from .shape import _sum_to_shape_array, sum_to_shape


def _float(x, what):
    """x, checked to be a floating-point Tensor (``what`` names the function in the error)."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{what} expects a Tensor, got {type(x).__name__}")
    if x.dtype.kind != "f":
        raise TypeError(f"{what} needs a floating-point tensor, got {x.dtype}")
    return x


def _saved_or_recomputed(ctx, name, recompute):
    """An op's output for use in its backward.

    Without ``create_graph`` this is the array saved by forward, as a constant; with it, the
    output is recomputed from the inputs with differentiable ops, so that the backward's own
    derivative sees how it depends on them.
    """
    if backward_is_differentiated():
        return recompute()
    return _const(getattr(ctx, name), ctx.inputs[0])


def _summed_to(grad, shape):
    """``sum_to_shape(grad, shape)`` in a backward (a broadcast input's gradient). When no graph
    of the backward is recorded the sum runs on the array, a constant: one node fewer on every
    broadcast ``+``, ``-`` and ``*`` (a Linear layer's bias); otherwise the op, differentiable."""
    if grad.shape == shape:
        return grad
    if backward_is_differentiated():
        return sum_to_shape(grad, shape)
    return _const(_summed_array(grad.backend, grad.array, tuple(shape)), grad)


def _summed_array(backend, a, shape):
    """The array ``a`` summed to ``shape`` (see shape.py), an array also for shape ()."""
    out = _sum_to_shape_array(backend, a, shape)
    return out if shape else backend.xp.asarray(out)  # numpy's full sum gives a scalar


def _run_elementwise(kernel, a, *others):
    """``out`` of an elementwise backend kernel, ``kernel(a, *others, out)``, e.g.
    ``_run_elementwise(x.backend.relu_forward, x.array)``: the arrays made C-contiguous, ``out``
    a new array shaped like ``a``."""
    # On every activation's path: numpy's arrays are told apart without a call, and the
    # one-array kernels (the forwards) skip building the tuple of other arrays.
    if not a.flags.c_contiguous:
        a = contiguous(a)
    out = numpy.empty_like(a) if type(a) is numpy.ndarray else array_module(a).empty_like(a)
    if others:
        kernel(a, *map(contiguous, others), out)
    else:
        kernel(a, out)
    return out
