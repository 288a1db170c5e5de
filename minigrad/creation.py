"""Making tensors: from data (``tensor``, ``as_tensor``, ``from_numpy``), filled (``zeros``,
``ones``, ``full``, ``eye``, ``arange``, ``linspace``, the ``*_like``) and random (``randn``,
``rand``, ``randint``, ``randperm``, ``normal``, ``bernoulli``, ``multinomial``), with torch's
names and defaults. ``device=None`` is the default device.

Float tensors are made in the default dtype (``minigrad/dtypes.py``) unless a dtype is given.
Random numbers come from the ``generator=`` given, else from the default generator seeded by
``manual_seed`` (minigrad/random.py); they are drawn on the host, so the same seed gives the
same numbers on every device.
"""
import numbers

import numpy as np

from .backend import get_backend, normalize_device
from .dtypes import get_default_dtype, int64, tensor_dtype
from .random import _rng, manual_seed  # noqa: F401  (manual_seed: re-exported)
from .tensor import Tensor

__all__ = [
    "tensor", "as_tensor", "from_numpy", "zeros", "ones", "full", "empty", "zeros_like",
    "ones_like", "full_like", "empty_like", "randn", "rand", "randint", "randperm", "normal", "bernoulli",
    "multinomial", "randn_like", "rand_like", "arange", "linspace", "eye", "manual_seed",
]


# ---- from data --------------------------------------------------------------------------------

def tensor(data, dtype=None, requires_grad=False, device=None):
    """A new tensor holding a copy of ``data`` (list, number, numpy/cupy array or Tensor)."""
    return Tensor(data, dtype=dtype, requires_grad=requires_grad, device=device)


def as_tensor(data, dtype=None, device=None):
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


def zeros(*shape, dtype=None, requires_grad=False, device=None):
    return full(_shape_args(shape), 0, dtype=dtype, requires_grad=requires_grad, device=device)


def ones(*shape, dtype=None, requires_grad=False, device=None):
    return full(_shape_args(shape), 1, dtype=dtype, requires_grad=requires_grad, device=device)


def empty(*shape, dtype=None, requires_grad=False, device=None):
    return zeros(*shape, dtype=dtype, requires_grad=requires_grad, device=device)


def full(shape, fill_value, dtype=None, requires_grad=False, device=None):
    shape = _shape_args((shape,) if isinstance(shape, numbers.Integral) else tuple(shape))
    device = normalize_device(device)
    xp = get_backend(device).xp
    t = Tensor._wrap(xp.full(shape, fill_value, dtype=_float_dtype(dtype)), device)
    if requires_grad:
        t.requires_grad = True
    return t


def _like(t, dtype, device):
    """The dtype and device of a ``*_like`` result: ``t``'s unless given (as torch)."""
    return (t.dtype if dtype is None else dtype), (t.device if device is None else device)


def zeros_like(t, dtype=None, requires_grad=False, device=None):
    dtype, device = _like(t, dtype, device)
    return zeros(t.shape, dtype=dtype, requires_grad=requires_grad, device=device)


def ones_like(t, dtype=None, requires_grad=False, device=None):
    dtype, device = _like(t, dtype, device)
    return ones(t.shape, dtype=dtype, requires_grad=requires_grad, device=device)


def full_like(t, fill_value, dtype=None, requires_grad=False, device=None):
    dtype, device = _like(t, dtype, device)
    return full(t.shape, fill_value, dtype=dtype, requires_grad=requires_grad, device=device)


def empty_like(t, dtype=None, requires_grad=False, device=None):
    """Zeros (minigrad has no uninitialised memory), shaped like ``t``."""
    return zeros_like(t, dtype=dtype, requires_grad=requires_grad, device=device)


def arange(start, end=None, step=1, dtype=None, requires_grad=False, device=None):
    """Like torch.arange: integers give int64, any float argument gives the default dtype."""
    if end is None:
        start, end = 0, start
    if step == 0 or step != step:  # zero or NaN
        raise ValueError(f"arange: step must be nonzero, got {step}")
    if dtype is None:
        is_int = all(isinstance(v, numbers.Integral) for v in (start, end, step))
        dtype = int64 if is_int else get_default_dtype()
    return _new(np.arange(start, end, step).astype(dtype), requires_grad, device)


def linspace(start, end, steps, dtype=None, requires_grad=False, device=None):
    return _new(np.linspace(start, end, steps).astype(_float_dtype(dtype)), requires_grad, device)


def eye(n, m=None, dtype=None, requires_grad=False, device=None):
    return _new(np.eye(n, m, dtype=_float_dtype(dtype)), requires_grad, device)


# ---- random: drawn on the host from a Generator (minigrad/random.py) ----------------------
# Each takes ``generator=`` (None: the default generator, seeded by ``manual_seed``). The
# draws are made in float64 on the host and then cast, so the same seed gives the same numbers
# on every device; they are not the numbers torch draws for the same seed.

def randn(*size, generator=None, dtype=None, requires_grad=False, device=None):
    """Standard normal samples of shape ``size``."""
    a = _rng(generator).standard_normal(_shape_args(size)).astype(_float_dtype(dtype))
    return _new(a, requires_grad, device)


def rand(*size, generator=None, dtype=None, requires_grad=False, device=None):
    """Uniform samples on [0, 1) of shape ``size``."""
    a = _rng(generator).random(_shape_args(size)).astype(_float_dtype(dtype))
    return _new(a, requires_grad, device)


def randint(low=0, high=None, size=None, *, generator=None, dtype=None, device=None,
            requires_grad=False):
    """Integers drawn uniformly from [low, high): ``randint(high, size)`` or
    ``randint(low, high, size)``, as torch; int64 unless ``dtype`` says otherwise."""
    if size is None and high is not None and not isinstance(high, numbers.Number):
        low, high, size = 0, low, high          # randint(high, size)
    elif high is None:
        low, high = 0, low                      # randint(high, size=...)
    if size is None:
        raise TypeError("randint needs a size, as in randint(10, (3,)) or randint(0, 10, (3,))")
    for name, value in (("low", low), ("high", high)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise TypeError(f"randint: {name} must be an integer, got {value!r}")
    if low >= high:
        raise ValueError(f"randint needs low < high, got low={low}, high={high}")
    size = _shape_args((size,) if isinstance(size, numbers.Integral) else tuple(size))
    dtype = int64 if dtype is None else tensor_dtype(dtype)
    return _new(_rng(generator).integers(low, high, size).astype(dtype), requires_grad, device)


def randperm(n, *, generator=None, dtype=None, device=None, requires_grad=False):
    """A random permutation of 0, 1, ..., n - 1 (int64 unless ``dtype`` says otherwise)."""
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 0:
        raise ValueError(f"randperm needs a non-negative integer n, got {n!r}")
    dtype = int64 if dtype is None else tensor_dtype(dtype)
    return _new(_rng(generator).permutation(int(n)).astype(dtype), requires_grad, device)


def normal(mean=0.0, std=1.0, size=None, *, generator=None, dtype=None, device=None,
           requires_grad=False):
    """Samples of N(mean, std²), with torch's four overloads:

    * ``normal(mean_tensor, std_tensor)``: one sample per element of their broadcast shape;
    * ``normal(mean_tensor, std=1.0)`` and ``normal(mean=0.0, std_tensor)``: the number is
      shared by every element; the result has the tensor's dtype and device;
    * ``normal(mean, std, size)`` with numbers: ``dtype``/``device``/``requires_grad`` as randn.

    Each sample is mean + std·z with z ~ N(0, 1). **Difference from torch:** the result never
    requires grad (torch records a node whose gradient is zero for mean and std alike).
    """
    tensors = [t for t in (mean, std) if isinstance(t, Tensor)]
    for name, value in (("mean", mean), ("std", std)):
        if not isinstance(value, (Tensor, numbers.Real)) or isinstance(value, bool):
            raise TypeError(f"normal: {name} must be a Tensor or a number, got "
                            f"{type(value).__name__}")
    if not tensors:
        if size is None:
            raise TypeError("normal(mean, std) of two numbers needs a size, as in "
                            "normal(0.0, 1.0, (2, 3)); or give mean or std as a tensor")
        _check_std(np.float64(std))
        shape = _shape_args((size,) if isinstance(size, numbers.Integral) else tuple(size))
        a = mean + std * _rng(generator).standard_normal(shape)
        return _new(np.asarray(a).astype(_float_dtype(dtype)), requires_grad, device)
    if size is not None or dtype is not None or device is not None or requires_grad:
        raise TypeError("normal: size, dtype, device and requires_grad go with a number mean and "
                        "std only; with a tensor mean or std the result takes its shape, dtype "
                        "and device")
    like = tensors[0]
    for t in tensors:
        if t.dtype.kind != "f":
            raise TypeError(f"normal: mean and std must be floating-point tensors, got {t.dtype}")
    if len(tensors) == 2 and (mean.dtype != std.dtype or mean.device != std.device):
        raise TypeError(f"normal: mean ({mean.dtype}, {mean.device}) and std ({std.dtype}, "
                        f"{std.device}) must have the same dtype and device")
    mean_values = mean.numpy() if isinstance(mean, Tensor) else mean
    std_values = std.numpy() if isinstance(std, Tensor) else std
    _check_std(std_values)
    try:
        shape = np.broadcast_shapes(np.shape(mean_values), np.shape(std_values))
    except ValueError:
        raise ValueError(f"normal: mean of shape {np.shape(mean_values)} and std of shape "
                         f"{np.shape(std_values)} do not broadcast together") from None
    a = mean_values + std_values * _rng(generator).standard_normal(shape)
    return _new(np.asarray(a, dtype=np.float64).astype(like.dtype), False, like.device)


def _check_std(std):
    if not np.all(std >= 0):                    # NaN fails too
        bad = np.asarray(std)[~(np.asarray(std) >= 0)].ravel()[0]
        raise ValueError(f"normal needs std >= 0 everywhere, got {bad}")


def bernoulli(input, p=None, *, generator=None):  # noqa: A002  (torch's argument name)
    """1 with probability ``input`` (elementwise), else 0: a tensor of input's shape, dtype and
    device. With ``p`` (a number), every element is 1 with probability p instead.

    **Difference from torch:** the result never requires grad (torch's gradient is zero).
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"bernoulli expects a Tensor of probabilities, got {type(input).__name__}")
    if input.dtype.kind != "f":
        raise TypeError(f"bernoulli needs a floating-point tensor, got {input.dtype}")
    probabilities = input.numpy() if p is None else np.float64(p)
    if not np.all((probabilities >= 0) & (probabilities <= 1)):
        bad = np.asarray(probabilities)[~((probabilities >= 0) & (probabilities <= 1))].ravel()
        raise ValueError(f"bernoulli needs probabilities in [0, 1], got {bad[0]}")
    drawn = _rng(generator).random(input.shape) < probabilities
    return _new(drawn.astype(input.dtype), False, input.device)


def multinomial(input, num_samples, replacement=False, *, generator=None):  # noqa: A002
    """Category indices drawn with probabilities proportional to the weights in each row of
    ``input`` (1-d: one distribution; 2-d: one per row): int64 of shape (..., num_samples).

    With replacement each draw inverts the row's cumulative sum at a uniform number; without,
    the categories are ranked by weight / E with E ~ Exp(1) (independent exponential races,
    which is drawing one by one without replacement), as torch does. As torch, once the
    categories of positive weight are used up, those of zero weight follow.
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"multinomial expects a Tensor of weights, got {type(input).__name__}")
    if input.dtype.kind != "f":
        raise TypeError(f"multinomial needs floating-point weights, got {input.dtype}")
    if input.ndim not in (1, 2):
        raise ValueError(f"multinomial needs a 1-d or 2-d tensor of weights, got shape "
                         f"{input.shape}")
    if isinstance(num_samples, bool) or not isinstance(num_samples, numbers.Integral) \
            or num_samples <= 0:
        raise ValueError(f"multinomial needs a positive integer num_samples, got {num_samples!r}")
    weights = input.numpy().astype(np.float64)
    weights = weights.reshape(1, -1) if input.ndim == 1 else weights
    categories = weights.shape[1]
    if categories == 0:
        raise ValueError(f"multinomial needs at least one category, got shape {input.shape}")
    if not replacement and num_samples > categories:
        raise ValueError(f"multinomial cannot draw {num_samples} samples without replacement "
                         f"from {categories} categories")
    if not np.all(np.isfinite(weights) & (weights >= 0)):
        raise ValueError("multinomial needs finite, non-negative weights (got inf, NaN or a "
                         "negative weight)")
    if np.any(weights.sum(axis=1) <= 0):
        raise ValueError("multinomial needs weights with a positive sum in every row")
    rng = _rng(generator)
    if replacement:
        cumulative = np.cumsum(weights, axis=1)
        targets = rng.random((weights.shape[0], num_samples)) * cumulative[:, -1:]
        indices = np.empty(targets.shape, dtype=np.int64)
        for row in range(weights.shape[0]):
            last_positive = categories - 1 - np.argmax(weights[row, ::-1] > 0)
            found = np.searchsorted(cumulative[row], targets[row], side="right")
            indices[row] = np.minimum(found, last_positive)   # u·total may round up to total
    else:
        keys = weights / rng.standard_exponential(weights.shape)
        indices = np.argsort(-keys, axis=1, kind="stable")[:, :num_samples]
    shape = input.shape[:-1] + (num_samples,)
    return _new(indices.astype(int64).reshape(shape), False, input.device)


def randn_like(t, dtype=None, requires_grad=False, device=None):
    dtype, device = _like(t, dtype, device)
    return randn(*t.shape, dtype=dtype, requires_grad=requires_grad, device=device)


def rand_like(t, dtype=None, requires_grad=False, device=None):
    dtype, device = _like(t, dtype, device)
    return rand(*t.shape, dtype=dtype, requires_grad=requires_grad, device=device)
