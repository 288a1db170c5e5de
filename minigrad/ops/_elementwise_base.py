"""The helpers every file of elementwise ops uses (elementwise.py, elementwise_select.py,
trig.py, special.py): the floating-point check of a public function's argument, an op's saved
output for its backward (or its recomputation when the backward is differentiated), and running
a fused backend kernel.
"""
import numpy

from ..autograd import backward_is_differentiated
from ..backend import array_module, contiguous
from .._operands import _const
from ..tensor import Tensor


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
