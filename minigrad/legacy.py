"""torch's legacy tensor types (``FloatTensor``, ``LongTensor``, ...): deprecated spellings that
old tutorials still use, kept as thin callables.

    mg.FloatTensor([1, 2])     a float32 tensor holding that data (any sequence or numpy array)
    mg.FloatTensor(2, 3)       a float32 tensor of shape (2, 3): ZEROS here, where torch's is
                               uninitialised memory (minigrad has none; write mg.zeros(2, 3))
    mg.FloatTensor()           an empty tensor, shape (0,)
    isinstance(x, mg.FloatTensor)   True for a float32 tensor on the CPU, as torch

A tensor of the type's dtype is returned as a new tensor sharing its data (as torch); one of
another dtype is a TypeError (torch's too), and so is a single number: torch reads
``FloatTensor(2.5)`` as neither data nor shape. Each type's numpy dtype is its ``dtype``.
**Difference from torch:** minigrad's ``x.shape`` is a plain tuple, not a ``torch.Size``, so
``mg.FloatTensor(x.shape)`` is read as data (torch would read a Size as a shape): write
``mg.FloatTensor(*x.shape)``. New code should use ``mg.tensor(data, dtype=...)`` and
``mg.zeros(shape, dtype=...)``.
"""
import numbers

import numpy as np

from .creation import tensor, zeros
from .tensor import Tensor

__all__ = ["FloatTensor", "DoubleTensor", "LongTensor", "IntTensor", "BoolTensor", "ByteTensor"]


class _LegacyTensorType:
    """One of torch's legacy tensor types: a callable that makes tensors of one dtype."""

    def __init__(self, name, dtype):
        self.__name__ = self.__qualname__ = name
        self.dtype = np.dtype(dtype)

    def __call__(self, *args, device="cpu"):
        if not args:
            return zeros(0, dtype=self.dtype, device=device)
        if all(isinstance(a, numbers.Integral) and not isinstance(a, bool) for a in args):
            if any(a < 0 for a in args):
                raise ValueError(f"{self.__name__}: negative dimension in shape {args}")
            return zeros(*args, dtype=self.dtype, device=device)
        if len(args) == 1 and isinstance(args[0], Tensor):
            t = args[0]
            if t.dtype != self.dtype:
                raise TypeError(f"{self.__name__} expected a {self.dtype} tensor, got {t.dtype}; "
                                f"convert it with .to(...)")
            return t.detach()
        if len(args) == 1 and not isinstance(args[0], (numbers.Number, str)):
            return tensor(args[0], dtype=self.dtype, device=device)
        raise TypeError(f"{self.__name__}() takes a sequence of data or the sizes of a shape "
                        f"(ints), got {', '.join(type(a).__name__ for a in args)}")

    def __instancecheck__(self, obj):
        return isinstance(obj, Tensor) and obj.dtype == self.dtype and obj.device == "cpu"

    def __repr__(self):
        return f"<class 'minigrad.{self.__name__}'>"


FloatTensor = _LegacyTensorType("FloatTensor", np.float32)
DoubleTensor = _LegacyTensorType("DoubleTensor", np.float64)
LongTensor = _LegacyTensorType("LongTensor", np.int64)
IntTensor = _LegacyTensorType("IntTensor", np.int32)
BoolTensor = _LegacyTensorType("BoolTensor", np.bool_)
ByteTensor = _LegacyTensorType("ByteTensor", np.uint8)
