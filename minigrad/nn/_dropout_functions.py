"""Dropout, as a function (``F.dropout``; the module is nn/dropout.py)."""
import numbers

from .._operands import _const
from ..creation import rand
from ._arguments import _tensor


def dropout(input, p=0.5, training=True):
    """Inverted dropout: y = x·mask/(1 − p), mask ~ Bernoulli(1 − p); identity when not training."""
    _tensor(input, "dropout: input")
    if not isinstance(p, numbers.Real) or not 0 <= p <= 1:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0:
        return input
    if p == 1:
        return input * 0.0
    keep = rand(*input.shape, dtype=input.dtype, device=input.device).array >= p
    mask = keep.astype(input.dtype) / input.dtype.type(1 - p)
    return input * _const(mask, input)
