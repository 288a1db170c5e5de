"""Argument checks shared by the modules of nn.functional: a Tensor argument, an int or a tuple
of ints (torch's _single / _pair), each refusing anything else with a TypeError naming it."""
import numbers

from ..tensor import Tensor


def _tensor(x, name):
    if not isinstance(x, Tensor):
        raise TypeError(f"{name} must be a Tensor, got {type(x).__name__}")
    return x


def _ints(v, n, name):
    """v as a tuple of n ints: an int is repeated, a tuple/list must have n ints."""
    if isinstance(v, numbers.Integral) and not isinstance(v, bool):
        return (int(v),) * n
    if isinstance(v, (tuple, list)) and len(v) == n and all(
            isinstance(i, numbers.Integral) and not isinstance(i, bool) for i in v):
        return tuple(int(i) for i in v)
    what = "an int" if n == 1 else "an int or a pair of ints"
    raise TypeError(f"{name} must be {what}, got {v!r}")


def _single(v, name):
    return _ints(v, 1, name)


def _pair(v, name):
    return _ints(v, 2, name)
