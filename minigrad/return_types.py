"""The named tuples that torch's selecting reductions return (``torch.return_types``).

``x.max(dim)`` returns ``max(values=..., indices=...)``: a tuple, so ``v, i = x.max(1)`` and
``x.max(1)[1]`` work as in torch, and its fields have names, so ``x.max(1).indices`` does too.
``values`` is differentiable (its gradient goes to the element at ``indices``); ``indices``
is an int64 tensor.
"""
from collections import namedtuple

__all__ = ["max", "min", "sort", "topk", "kthvalue", "median", "mode"]


def _values_indices(name):
    cls = namedtuple(name, ["values", "indices"])
    cls.__module__ = __name__   # its repr reads minigrad.return_types.max(values=..., indices=...)
    cls.__qualname__ = name
    return cls


max = _values_indices("max")  # noqa: A001  (torch's names)
min = _values_indices("min")  # noqa: A001
sort = _values_indices("sort")
topk = _values_indices("topk")
kthvalue = _values_indices("kthvalue")
median = _values_indices("median")
mode = _values_indices("mode")
