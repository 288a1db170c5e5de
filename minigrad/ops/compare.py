"""Comparisons and logic: bool results, no gradient (torch's functions of the same names).

    eq ne lt le gt ge          elementwise, broadcasting (the Tensor operators == != < <= > >=)
    isnan isinf isfinite       elementwise tests of the values
    logical_and/or/xor/not     on the truth of the values (any non-zero, NaN included, is True)
    any all                    along dims (one, a tuple, or None for all)
    isclose                    |a − b| ≤ atol + rtol·|b| elementwise (equal infinities are close;
                               NaN is close to NaN only with equal_nan)
    allclose equal             one Python bool: all close; same shape and all equal
"""
import numbers

import numpy as np

from .._operands import _as_operand, _binary
from ..tensor import Tensor
from .reduce import normalize_axes

__all__ = ["eq", "ne", "lt", "le", "gt", "ge", "isnan", "isinf", "isfinite", "logical_and",
           "logical_or", "logical_xor", "logical_not", "any", "all", "isclose", "allclose",
           "equal"]


def _tensor(x, what):
    if not isinstance(x, Tensor):
        raise TypeError(f"{what} expects a Tensor, got {type(x).__name__}")
    return x


def eq(input, other):  # noqa: A002  (torch's argument names)
    return _tensor(input, "eq") == other


def ne(input, other):  # noqa: A002
    return _tensor(input, "ne") != other


def lt(input, other):  # noqa: A002
    return _tensor(input, "lt") < other


def le(input, other):  # noqa: A002
    return _tensor(input, "le") <= other


def gt(input, other):  # noqa: A002
    return _tensor(input, "gt") > other


def ge(input, other):  # noqa: A002
    return _tensor(input, "ge") >= other


def _test(x, what, test):
    x = _tensor(x, what)
    return Tensor._wrap(test(x.backend.xp, x.array), x.device)


def isnan(input):  # noqa: A002
    return _test(input, "isnan", lambda xp, a: xp.isnan(a))


def isinf(input):  # noqa: A002
    return _test(input, "isinf", lambda xp, a: xp.isinf(a))


def isfinite(input):  # noqa: A002
    return _test(input, "isfinite", lambda xp, a: xp.isfinite(a))


# ---- logic on truth values --------------------------------------------------------------------

def _truth(x):
    return x.array if x.dtype.kind == "b" else x.array != 0


def _logic(a, b, what, combine):
    a = _tensor(a, what)
    b = _as_operand(b, a)
    if a.device != b.device:
        raise ValueError(f"operands of {what} are on different devices: {a.device} and "
                         f"{b.device}")
    try:
        np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise ValueError(f"operands of {what} have shapes {a.shape} and {b.shape}, which do "
                         "not broadcast together") from None
    return Tensor._wrap(combine(_truth(a), _truth(b)), a.device)


def logical_and(input, other):  # noqa: A002
    return _logic(input, other, "logical_and", lambda p, q: p & q)


def logical_or(input, other):  # noqa: A002
    return _logic(input, other, "logical_or", lambda p, q: p | q)


def logical_xor(input, other):  # noqa: A002
    return _logic(input, other, "logical_xor", lambda p, q: p ^ q)


def logical_not(input):  # noqa: A002
    x = _tensor(input, "logical_not")
    return Tensor._wrap(~_truth(x), x.device)


def _truth_reduce(x, dim, keepdim, what, reduce):
    x = _tensor(x, what)
    axes = normalize_axes(dim, x.ndim)
    return Tensor._wrap(x.backend.xp.asarray(reduce(_truth(x), axis=axes, keepdims=keepdim)),
                        x.device)


def any(input, dim=None, keepdim=False):  # noqa: A001,A002  (torch's name)
    """Whether any element along ``dim`` (an int, a tuple, None: all) is true (non-zero)."""
    return _truth_reduce(input, dim, keepdim, "any", lambda a, **k: a.any(**k))


def all(input, dim=None, keepdim=False):  # noqa: A001,A002
    """Whether every element along ``dim`` (an int, a tuple, None: all) is true (non-zero)."""
    return _truth_reduce(input, dim, keepdim, "all", lambda a, **k: a.all(**k))


# ---- closeness ----------------------------------------------------------------------------------

def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):  # noqa: A002
    """|input − other| ≤ atol + rtol·|other|, elementwise (torch's defaults and rule)."""
    for name, v in (("rtol", rtol), ("atol", atol)):
        if not isinstance(v, numbers.Real) or v < 0:
            raise ValueError(f"isclose: {name} must be a non-negative number, got {v!r}")
    a, b = _binary(_tensor(input, "isclose"), other, "isclose")
    close = a.backend.xp.isclose(a.array, b.array, rtol=rtol, atol=atol, equal_nan=equal_nan)
    return Tensor._wrap(close, a.device)


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):  # noqa: A002
    """True when ``isclose`` holds everywhere (a Python bool)."""
    return bool(isclose(input, other, rtol, atol, equal_nan).array.all())


def equal(input, other):  # noqa: A002
    """True when both have the same shape and equal values (NaN is not equal to NaN)."""
    a, b = _tensor(input, "equal"), _tensor(other, "equal")
    if a.device != b.device:
        raise ValueError(f"equal: tensors on different devices: {a.device} and {b.device}")
    return a.shape == b.shape and bool((a.array == b.array).all())
