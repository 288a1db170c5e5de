"""The differentiable operations, by family, and the Tensor methods that call them.

    elementwise.py   + - * / ** neg exp log sqrt abs relu sigmoid tanh clip maximum minimum where
    reduce.py        sum mean amax amin softmax log_softmax logsumexp
    shape.py         reshape permute transpose broadcast_to getitem concatenate stack ...
    linalg.py        matmul

Each Function's docstring states its derivative; its backward sits right under its forward.
"""
import numbers

from ..tensor import Tensor, _binary
from . import elementwise as E
from .elementwise import Add, Div, Mul, Neg, Pow, PowScalar, Sub  # noqa: F401 (the operators)
from . import linalg, reduce, shape
from .linalg import matmul
from .reduce import amax, amin, log_softmax, logsumexp, mean, softmax
from .reduce import sum as sum_  # noqa: A001
from .shape import (broadcast_to, concatenate, flatten, permute, reshape, squeeze, stack,
                    sum_to_shape, transpose, unsqueeze)

__all__ = [
    "exp", "log", "sqrt", "abs", "relu", "sigmoid", "tanh", "clip", "maximum", "minimum",
    "where", "sum", "mean", "amax", "amin", "softmax", "log_softmax", "logsumexp", "matmul",
    "reshape", "permute", "transpose", "broadcast_to", "sum_to_shape", "concatenate", "stack",
    "squeeze", "unsqueeze", "flatten",
]


def _float(x, what):
    if not isinstance(x, Tensor):
        raise TypeError(f"{what} expects a Tensor, got {type(x).__name__}")
    if x.dtype.kind != "f":
        raise TypeError(f"{what} needs a floating-point tensor, got {x.dtype}")
    return x


def exp(x):
    return E.Exp.apply(_float(x, "exp"))


def log(x):
    return E.Log.apply(_float(x, "log"))


def sqrt(x):
    return E.Sqrt.apply(_float(x, "sqrt"))


def abs(x):  # noqa: A001
    return E.Abs.apply(_float(x, "abs"))


def relu(x):
    return E.Relu.apply(_float(x, "relu"))


def sigmoid(x):
    return E.Sigmoid.apply(_float(x, "sigmoid"))


def tanh(x):
    return E.Tanh.apply(_float(x, "tanh"))


def clip(x, min=None, max=None):  # noqa: A002
    """Limits x to [min, max] (either may be None), as torch.clamp."""
    _float(x, "clip")
    if min is None and max is None:
        raise ValueError("clip needs at least one of min and max")
    for name, v in (("min", min), ("max", max)):
        if v is not None and not isinstance(v, numbers.Real):
            raise TypeError(f"clip: {name} must be a number, got {type(v).__name__}")
    if min is not None and max is not None and min > max:
        raise ValueError(f"clip: min {min} is larger than max {max}")
    return E.Clip.apply(x, min, max)


def maximum(a, b):
    return E.Maximum.apply(*_binary(a, b, "maximum"))


def minimum(a, b):
    return E.Minimum.apply(*_binary(a, b, "minimum"))


def where(condition, a, b):
    """Elements of a where condition holds, else of b (all three broadcast together)."""
    if not isinstance(condition, Tensor) or condition.dtype.kind != "b":
        raise TypeError("where: condition must be a bool Tensor (e.g. x > 0)")
    a, b = _binary(a, b, "where")
    import numpy as np
    try:
        np.broadcast_shapes(condition.shape, a.shape, b.shape)
    except ValueError:
        raise ValueError(f"where: condition {condition.shape}, a {a.shape} and b {b.shape} do "
                         "not broadcast together") from None
    full = np.broadcast_shapes(condition.shape, a.shape, b.shape)
    cond = Tensor._wrap(condition.backend.xp.broadcast_to(condition.data, full), a.device)
    return E.Where.apply(cond, broadcast_to(a, full), broadcast_to(b, full))


def sum(x, axis=None, keepdims=False):  # noqa: A001
    return sum_(x, axis, keepdims)


# ---- Tensor methods ----------------------------------------------------------------------------

def _axis_kw(axis, dim):
    if dim is not None:
        if axis is not None:
            raise TypeError("give axis or dim, not both")
        return dim
    return axis


def _keep_kw(keepdims, keepdim):
    return bool(keepdims or keepdim)


def _install_methods():
    T = Tensor
    T.exp = exp
    T.log = log
    T.sqrt = sqrt
    T.abs = abs
    T.relu = relu
    T.sigmoid = sigmoid
    T.tanh = tanh
    T.clip = clip
    T.clamp = clip
    T.maximum = maximum
    T.minimum = minimum
    T.matmul = matmul

    def _sum(self, axis=None, keepdims=False, *, dim=None, keepdim=False):
        return sum_(self, _axis_kw(axis, dim), _keep_kw(keepdims, keepdim))

    def _mean(self, axis=None, keepdims=False, *, dim=None, keepdim=False):
        return mean(self, _axis_kw(axis, dim), _keep_kw(keepdims, keepdim))

    def _max(self, axis=None, keepdims=False, *, dim=None, keepdim=False):
        """Largest value over ``axis`` (values only; use argmax for the indices)."""
        return amax(self, _axis_kw(axis, dim), _keep_kw(keepdims, keepdim))

    def _min(self, axis=None, keepdims=False, *, dim=None, keepdim=False):
        return amin(self, _axis_kw(axis, dim), _keep_kw(keepdims, keepdim))

    def _argmax(self, axis=None, keepdims=False, *, dim=None, keepdim=False):
        a = _axis_kw(axis, dim)
        return Tensor._wrap(self.backend.xp.asarray(
            self.data.argmax(axis=a, keepdims=_keep_kw(keepdims, keepdim))), self.device)

    def _argmin(self, axis=None, keepdims=False, *, dim=None, keepdim=False):
        a = _axis_kw(axis, dim)
        return Tensor._wrap(self.backend.xp.asarray(
            self.data.argmin(axis=a, keepdims=_keep_kw(keepdims, keepdim))), self.device)

    def _softmax(self, axis=-1, *, dim=None):
        return softmax(self, _axis_kw(axis, dim) if dim is not None else axis)

    def _log_softmax(self, axis=-1, *, dim=None):
        return log_softmax(self, dim if dim is not None else axis)

    def _logsumexp(self, axis=-1, keepdims=False, *, dim=None, keepdim=False):
        return logsumexp(self, dim if dim is not None else axis, _keep_kw(keepdims, keepdim))

    def _transpose(self, dim0=None, dim1=None):
        """Swaps two axes (torch); with no arguments reverses all axes (numpy)."""
        if dim0 is None and dim1 is None:
            return permute(self, tuple(reversed(range(self.ndim))))
        return transpose(self, dim0, dim1)

    T.sum = _sum
    T.mean = _mean
    T.max = _max
    T.min = _min
    T.amax = _max
    T.amin = _min
    T.argmax = _argmax
    T.argmin = _argmin
    T.softmax = _softmax
    T.log_softmax = _log_softmax
    T.logsumexp = _logsumexp
    T.reshape = reshape
    T.view = reshape
    T.permute = permute
    T.transpose = _transpose
    T.T = property(lambda self: permute(self, tuple(reversed(range(self.ndim)))))
    T.mT = property(lambda self: transpose(self, -1, -2))
    T.flatten = flatten
    T.squeeze = squeeze
    T.unsqueeze = unsqueeze
    T.broadcast_to = broadcast_to
    T.expand = lambda self, *shape: broadcast_to(
        self, tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape)
    T.sum_to_shape = sum_to_shape


_install_methods()
