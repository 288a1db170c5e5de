"""Making tensors: from data (``tensor``, ``as_tensor``, ``from_numpy``), filled (``zeros``,
``ones``, ``full``, ``eye``, ``arange``, ``linspace``, the ``*_like``) and random (``randn``,
``rand``, ``randint``), with torch's names and defaults.

Float tensors are made in the default dtype (``minigrad/dtypes.py``) unless a dtype is given.
Random numbers come from one generator seeded by ``manual_seed``; they are drawn on the host,
so the same seed gives the same numbers on every device.
"""
import numbers

import numpy as np

from .backend import get_backend, normalize_device
from .dtypes import get_default_dtype, int64, tensor_dtype
from .random import _rng, manual_seed  # noqa: F401  (manual_seed: re-exported)
from .tensor import Tensor

__all__ = [
    "tensor", "as_tensor", "from_numpy", "zeros", "ones", "full", "empty", "zeros_like",
    "ones_like", "full_like", "randn", "rand", "randint", "randn_like", "rand_like", "arange",
    "linspace", "eye", "manual_seed",
]


# ---- from data --------------------------------------------------------------------------------

def tensor(data, dtype=None, requires_grad=False, device="cpu"):
    """A new tensor holding a copy of ``data`` (list, number, numpy/cupy array or Tensor)."""
    return Tensor(data, dtype=dtype, requires_grad=requires_grad, device=device)


def as_tensor(data, dtype=None, device="cpu"):
    """Like ``tensor`` but shares memory with a numpy array of the right dtype and device."""
    if isinstance(data, Tensor) and (dtype is None or data.dtype == np.dtype(dtype)):
        return data
    if isinstance(data, np.ndarray) and normalize_device(device) == "cpu" and \
            (dtype is None or data.dtype == np.dtype(dtype)):
        tensor_dtype(data.dtype)
        return Tensor._wrap(data, "cpu")
    return tensor(data, dtype=dtype, device=device)


def from_numpy(array):
    """A tensor sharing memory with ``array`` (as torch.from_numpy)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy expects a numpy.ndarray, got {type(array).__name__}")
    tensor_dtype(array.dtype)
    return Tensor._wrap(array, "cpu")


# ---- filled -----------------------------------------------------------------------------------

def _shape_args(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    for s in shape:
        if not isinstance(s, numbers.Integral) or s < 0:
            raise ValueError(f"shape entries must be non-negative integers, got {shape}")
    return tuple(int(s) for s in shape)


def _float_dtype(dtype):
    return get_default_dtype() if dtype is None else tensor_dtype(dtype)


def _new(array_np, requires_grad, device):
    device = normalize_device(device)
    t = Tensor._wrap(get_backend(device).asarray(array_np, array_np.dtype), device)
    if requires_grad:
        t.requires_grad = True
    return t


def zeros(*shape, dtype=None, requires_grad=False, device="cpu"):
    return full(_shape_args(shape), 0, dtype=dtype, requires_grad=requires_grad, device=device)


def ones(*shape, dtype=None, requires_grad=False, device="cpu"):
    return full(_shape_args(shape), 1, dtype=dtype, requires_grad=requires_grad, device=device)


def empty(*shape, dtype=None, requires_grad=False, device="cpu"):
    return zeros(*shape, dtype=dtype, requires_grad=requires_grad, device=device)


def full(shape, fill_value, dtype=None, requires_grad=False, device="cpu"):
    shape = _shape_args((shape,) if isinstance(shape, numbers.Integral) else tuple(shape))
    device = normalize_device(device)
    xp = get_backend(device).xp
    t = Tensor._wrap(xp.full(shape, fill_value, dtype=_float_dtype(dtype)), device)
    if requires_grad:
        t.requires_grad = True
    return t


def zeros_like(t, dtype=None, requires_grad=False):
    return zeros(t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad, device=t.device)


def ones_like(t, dtype=None, requires_grad=False):
    return ones(t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad, device=t.device)


def full_like(t, fill_value, dtype=None, requires_grad=False):
    return full(t.shape, fill_value, dtype=dtype or t.dtype, requires_grad=requires_grad,
                device=t.device)


def arange(start, end=None, step=1, dtype=None, requires_grad=False, device="cpu"):
    """Like torch.arange: integers give int64, any float argument gives the default dtype."""
    if end is None:
        start, end = 0, start
    if step == 0 or step != step:  # zero or NaN
        raise ValueError(f"arange: step must be nonzero, got {step}")
    if dtype is None:
        is_int = all(isinstance(v, numbers.Integral) for v in (start, end, step))
        dtype = int64 if is_int else get_default_dtype()
    return _new(np.arange(start, end, step).astype(dtype), requires_grad, device)


def linspace(start, end, steps, dtype=None, requires_grad=False, device="cpu"):
    return _new(np.linspace(start, end, steps).astype(_float_dtype(dtype)), requires_grad, device)


def eye(n, m=None, dtype=None, requires_grad=False, device="cpu"):
    return _new(np.eye(n, m, dtype=_float_dtype(dtype)), requires_grad, device)


# ---- random (drawn from minigrad/random.py's generator) -----------------------------------


def randn(*shape, dtype=None, requires_grad=False, device="cpu"):
    """Standard normal samples. Drawn on the host from minigrad's generator, so the same seed
    gives the same numbers on every device."""
    a = _rng().standard_normal(_shape_args(shape)).astype(_float_dtype(dtype))
    return _new(a, requires_grad, device)


def rand(*shape, dtype=None, requires_grad=False, device="cpu"):
    """Uniform samples on [0, 1)."""
    a = _rng().random(_shape_args(shape)).astype(_float_dtype(dtype))
    return _new(a, requires_grad, device)


def randint(low, high, size, dtype=int64, device="cpu"):
    size = _shape_args((size,) if isinstance(size, numbers.Integral) else tuple(size))
    return _new(_rng().integers(low, high, size).astype(dtype), False, device)


def randn_like(t, dtype=None, requires_grad=False):
    return randn(*t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad, device=t.device)


def rand_like(t, dtype=None, requires_grad=False):
    return rand(*t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad, device=t.device)
