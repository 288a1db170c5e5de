"""The operands of Tensor methods: turning numbers, lists and arrays into tensors, and the
checks every binary operation makes (devices, dtypes, broadcastable shapes) before its op runs.

Part of the package's one import cycle (see the bottom of tensor.py): these helpers build
Tensors, and the Tensor methods call them.
"""
import numbers

import numpy as np

from .backend import get_backend
from .dtypes import bool_, get_default_dtype, int64, tensor_dtype
from .tensor import Tensor


def _is_array(x):
    return isinstance(x, np.ndarray) or type(x).__module__.startswith("cupy")



_COMPARE = {"<": "__lt__", "<=": "__le__", ">": "__gt__", ">=": "__ge__", "==": "__eq__",
            "!=": "__ne__"}


def _const(array, like):
    """``array`` as a tensor on ``like``'s device that is a constant of the graph (no history):
    masks and saved arrays that a backward multiplies by."""
    return Tensor._wrap(array, like._device)


def _as_operand(x, like):
    """Turns the other operand of a binary op into a tensor on ``like``'s device.

    A Python number takes ``like``'s dtype (as torch's scalars do); an array or list goes
    through ``tensor()`` and keeps its own dtype, so the dtype check below sees it.
    """
    if isinstance(x, Tensor):
        return x
    if isinstance(x, numbers.Number):
        if isinstance(x, bool):
            dt = like.dtype if like.dtype.kind in "fc" else bool_
        elif isinstance(x, numbers.Integral):
            dt = like.dtype if like.dtype.kind in "fciu" else int64
        else:
            dt = like.dtype if like.dtype.kind in "fc" else get_default_dtype()
        return Tensor._wrap(like.backend.xp.asarray(x, dtype=dt), like.device)
    if _is_array(x) or isinstance(x, (list, tuple)):
        return Tensor._wrap(_array_from(x, None, like.device), like.device)
    raise TypeError(f"unsupported operand of type {type(x).__name__} for a Tensor operation")


def _binary(a, b, op, broadcast=True):
    """Checks and aligns the two operands of a binary op: devices, dtypes, shapes."""
    if (type(a) is Tensor and type(b) is Tensor and a.array.dtype is b.array.dtype
            and a._device == b._device and (not broadcast or a.array.shape == b.array.shape)):
        return a, b  # the common case, checked cheaply
    like = a if isinstance(a, Tensor) else b
    a, b = _as_operand(a, like), _as_operand(b, like)
    if a._device != b._device:
        raise ValueError(f"operands of {op} are on different devices: {a.device} and {b.device}")
    da, db = a.dtype, b.dtype
    if da != db:
        fa, fb = da.kind == "f", db.kind == "f"
        if fa and fb:
            raise TypeError(
                f"operands of {op} have dtypes {da} and {db}; minigrad does not cast silently: "
                f"convert one with .float() or .double()")
        if fa and not fb:
            b = Tensor._wrap(b.array.astype(da), b.device)
        elif fb and not fa:
            a = Tensor._wrap(a.array.astype(db), a.device)
    if not broadcast:
        return a, b
    for m, n in zip(reversed(a.array.shape), reversed(b.array.shape)):
        if m != n and m != 1 and n != 1:
            raise ValueError(f"operands of {op} have shapes {a.shape} and {b.shape}, which do "
                             "not broadcast together")
    return a, b


def _axis_kw(axis, dim):
    """The axis of a reduction, given as numpy's ``axis`` or torch's ``dim`` (not both)."""
    if dim is not None:
        if axis is not None:
            raise TypeError("give axis or dim, not both")
        return dim
    return axis


def _keep_kw(keepdims, keepdim):
    return bool(keepdims or keepdim)


def _shape_arg(shape):
    """``f(2, 3)`` and ``f((2, 3))`` both mean the shape (2, 3)."""
    return tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape


def _array_from(data, dtype, device):
    """A new array holding a copy of ``data`` (list, number, numpy/cupy array or Tensor) on
    ``device`` (a normalised device name), in ``dtype`` or by the rules of the module docstring.

    ``Tensor(data)`` and ``mg.tensor(data)`` both make their array here.
    """
    if isinstance(data, Tensor):
        data = data.array
    backend = get_backend(device)
    if _is_array(data):
        src_dtype = data.dtype
        arr = data
    else:
        arr = np.asarray(data)
        if arr.dtype == object:
            raise TypeError(f"cannot make a tensor from {type(data).__name__} holding "
                            "non-numeric or ragged values")
        src_dtype = arr.dtype
        if src_dtype.kind == "f" and dtype is None:
            src_dtype = get_default_dtype()  # Python floats follow the default dtype, as torch
        elif src_dtype.kind in "iu" and dtype is None:
            src_dtype = int64
    target = tensor_dtype(dtype if dtype is not None else src_dtype)
    if isinstance(arr, np.ndarray):
        return backend.asarray(np.array(arr, dtype=target, copy=True), target)
    # a cupy array
    return backend.asarray(backend.to_numpy(arr) if device == "cpu" else arr.astype(target, copy=True), target)
