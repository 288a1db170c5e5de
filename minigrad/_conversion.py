"""What the arguments of ``.to(...)``, ``.type(...)`` and ``.cuda(...)`` mean, for Tensor and
Module alike: torch's overloads read into a device (a backend name) and a dtype, and torch's
tensor type names ('torch.FloatTensor', ...), which minigrad spells 'minigrad.FloatTensor'.

Part of the package's one import cycle (see the bottom of tensor.py): these helpers look at
Tensors, and the Tensor methods call them.
"""
import numbers

import numpy as np

from .backend import normalize_device
from .dtypes import bool_, get_default_dtype, int64, tensor_dtype
from .tensor import Tensor

# torch's legacy tensor type names, by dtype ('torch.FloatTensor' is a float32 CPU tensor)
_TYPE_NAMES = {np.dtype(dt): name for dt, name in [
    ("float32", "FloatTensor"), ("float64", "DoubleTensor"), ("float16", "HalfTensor"),
    ("int64", "LongTensor"), ("int32", "IntTensor"), ("int16", "ShortTensor"),
    ("int8", "CharTensor"), ("uint8", "ByteTensor"), ("bool", "BoolTensor"),
    ("uint16", "UInt16Tensor"), ("uint32", "UInt32Tensor"), ("uint64", "UInt64Tensor")]}
_DTYPES_BY_NAME = {name: dt for dt, name in _TYPE_NAMES.items()}


def _is_device(a):
    return a is None or isinstance(a, str) or (isinstance(a, numbers.Integral)
                                               and not isinstance(a, bool))


def to_args(args, kwargs):
    """torch's three forms of ``.to``, read into ``(device, dtype, copy)`` (None: unchanged):

        to(device=None, dtype=None, non_blocking=False, copy=False)
        to(dtype, non_blocking=False, copy=False)
        to(tensor, non_blocking=False, copy=False)      # the tensor's device and dtype

    ``non_blocking`` is accepted and changes nothing: minigrad's transfers are synchronous.
    """
    unknown = sorted(set(kwargs) - {"device", "dtype", "non_blocking", "copy"})
    if unknown:
        raise TypeError(f"to() got unexpected keyword arguments {unknown}")
    rest = list(args)
    device = dtype = None
    if rest and isinstance(rest[0], Tensor):
        other = rest.pop(0)
        device, dtype = other._device, other.dtype
    else:
        if rest and _is_device(rest[0]):
            device = rest.pop(0)
        if rest and not isinstance(rest[0], bool):
            dtype = rest.pop(0)
    if len(rest) > 2 or not all(isinstance(flag, bool) for flag in rest):
        raise TypeError(f"to() takes (device, dtype), (dtype) or (tensor), then non_blocking "
                        f"and copy; got {args!r}")
    for name, value in (("device", device), ("dtype", dtype)):
        if value is not None and kwargs.get(name) is not None:
            raise TypeError(f"to() got {name} twice: {value!r} and {name}={kwargs[name]!r}")
    device = kwargs.get("device") if device is None else device
    dtype = kwargs.get("dtype") if dtype is None else dtype
    copy = rest[1] if len(rest) == 2 else kwargs.get("copy", False)
    return (None if device is None else normalize_device(device),
            None if dtype is None else _dtype(dtype), bool(copy))


def _dtype(dtype):
    try:
        np.dtype(dtype)
    except TypeError:
        raise TypeError(f"to() got {dtype!r}, which is neither a device nor a dtype") from None
    return tensor_dtype(dtype)   # float16 and unsupported kinds raise here


def type_name(t):
    """torch's ``x.type()``: 'minigrad.FloatTensor', 'minigrad.cuda.DoubleTensor', ...
    (torch: 'torch.FloatTensor')."""
    device = "cuda." if t._device == "cuda" else ""
    return f"minigrad.{device}{_TYPE_NAMES[t.dtype]}"


def type_target(target):
    """``(device, dtype)`` that ``.type(target)`` asks for. A dtype keeps the device (None); a
    type name -- 'minigrad.DoubleTensor', 'torch.cuda.FloatTensor' (so that torch programs run
    unchanged), or anything named so, e.g. a ``LongTensor`` class -- names the device too."""
    name = target if isinstance(target, str) else getattr(target, "__name__", "")
    if not name.endswith("Tensor"):
        if isinstance(target, str):
            raise ValueError(f"invalid type {target!r}: expected a dtype or a type name such as "
                             "'minigrad.FloatTensor'")
        return None, _dtype(target)
    module, _, short = name.rpartition(".")
    if module.split(".", 1)[0] in ("minigrad", "torch"):
        module = module.split(".", 1)[1] if "." in module else ""
    if module not in ("", "cuda") or short not in _DTYPES_BY_NAME:
        raise ValueError(f"invalid type {name!r}: expected e.g. 'minigrad.FloatTensor' or "
                         "'minigrad.cuda.LongTensor'")
    return ("cuda" if module == "cuda" else "cpu"), tensor_dtype(_DTYPES_BY_NAME[short])


def cuda_device(device):
    """The device ``.cuda(device)`` names: None, 0, 'cuda' and 'cuda:0' are the GPU."""
    name = "cuda" if device is None else normalize_device(device)
    if name != "cuda":
        raise ValueError(f"cuda(device) takes a cuda device, got {device!r}")
    return name


def tensor_repr(t):
    """``repr(t)`` as torch prints it: the values, then what differs from the defaults."""
    body = np.array2string(t.numpy(), separator=", ", precision=4, prefix="tensor(")
    extras = []
    if t.dtype not in (get_default_dtype(), int64, bool_):
        extras.append(f"dtype={t.dtype}")
    if t._device != "cpu":
        extras.append(f"device='{t.device}'")
    if t._node is not None:
        extras.append(f"grad_fn=<{t._node.fn.__name__}Backward>")
    elif t.requires_grad:
        extras.append("requires_grad=True")
    return "tensor(" + body + "".join(", " + e for e in extras) + ")"


def data_array(t, value):
    """The array that ``t.data = value`` installs: a tensor's on the same device (or, as before
    ``.data`` was torch's, an array of the tensor's array module)."""
    if isinstance(value, Tensor):
        if value._device != t._device:
            raise ValueError(f"cannot set .data of a tensor on {t.device} to a tensor on "
                             f"{value.device}")
        return value.array
    if type(value) is not type(t.array):
        raise TypeError(f".data must be set to a Tensor, got {type(value).__name__}")
    return value


def is_floating_point(input):  # noqa: A002  (torch's argument name)
    """True when the tensor's dtype is a float dtype (torch.is_floating_point)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"is_floating_point takes a Tensor, got {type(input).__name__}")
    return input.dtype.kind == "f"
