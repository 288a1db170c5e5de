"""Initialisers, as torch.nn.init: each fills a tensor in place (recording nothing) and returns it.

fan_in / fan_out of a weight (out, in, *kernel): in·∏kernel and out·∏kernel.

    gain(nonlinearity, a):  linear/sigmoid/conv 1, tanh 5/3, relu √2, leaky_relu √(2/(1+a²)),
                            selu 3/4
    uniform_(a, b), normal_(mean, std), constant_, zeros_, ones_
    trunc_normal_:     N(mean, std²) conditioned on a ≤ x ≤ b (a, b in the values' units)
    xavier_uniform_:   U(±gain·√(6/(fan_in + fan_out)))
    xavier_normal_:    N(0, gain²·2/(fan_in + fan_out))
    kaiming_uniform_:  U(±gain·√(3/fan)),   fan = fan_in (mode="fan_in") or fan_out
    kaiming_normal_:   N(0, gain²/fan)
    orthogonal_:       gain·Q, Q from the QR of a Gaussian matrix (QᵀQ = I or QQᵀ = I)
    eye_, dirac_:      the identity matrix; the identity convolution (per group)
    sparse_:           N(0, std²) with a fraction ``sparsity`` of each column set to 0

The random numbers come from minigrad's generator (``mg.manual_seed``), or from ``generator``.
Their streams differ from torch's, so the same seed gives other numbers (same distribution).
The names without the trailing underscore (``xavier_uniform``, ...) are torch's deprecated
spellings, kept with its FutureWarning.
"""
import math
import warnings

import numpy as np

from ..random import _rng

_LINEAR = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
           "conv_transpose3d", "sigmoid")


def calculate_gain(nonlinearity, param=None):
    """The factor that keeps activations' variance through ``nonlinearity`` (torch's values)."""
    if nonlinearity in _LINEAR:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, (int, float)) and not isinstance(param, bool):
            slope = param
        else:
            raise ValueError(f"negative_slope {param!r} not a valid number")
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}")


def _draws(generator):
    """The numpy Generator to draw from: minigrad's, or ``generator``'s."""
    return _rng() if generator is None else _rng(generator)


def _calculate_fan_in_and_fan_out(tensor):
    if tensor.ndim < 2:
        raise ValueError(f"fan in and fan out need a tensor with at least 2 dimensions, got "
                         f"shape {tensor.shape}")
    receptive = 1
    for s in tensor.shape[2:]:
        receptive *= s
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def _fill(tensor, array_np):
    tensor.array[...] = tensor.backend.asarray(np.asarray(array_np).astype(tensor.dtype),
                                              tensor.dtype)
    return tensor


def _is_empty(tensor):
    if 0 in tensor.shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=3)
        return True
    return False


def uniform_(tensor, a=0.0, b=1.0, generator=None):
    return _fill(tensor, _draws(generator).uniform(a, b, tensor.shape))


def normal_(tensor, mean=0.0, std=1.0, generator=None):
    return _fill(tensor, _draws(generator).normal(mean, std, tensor.shape))


def constant_(tensor, val):
    tensor.array[...] = val
    return tensor


def zeros_(tensor):
    return constant_(tensor, 0)


def ones_(tensor):
    return constant_(tensor, 1)


# ---- the truncated normal, by inverting the normal's CDF ------------------------------------

def _normal_cdf(z):
    """Φ(z) = (1 + erf(z/√2)) / 2, for one number."""
    return (1.0 + math.erf(z / math.sqrt(2.0))) / 2.0


# Acklam's rational approximation of Φ⁻¹ (relative error < 1.2e-9: far below what sampling
# can notice); numpy has no erfinv, and this keeps minigrad free of scipy.
_A = (-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
      1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00)
_B = (-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
      6.680131188771972e+01, -1.328068155288572e+01, 1.0)
_C = (-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
      -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00)
_D = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
      3.754408661907416e+00, 1.0)


def _normal_icdf(p):
    """Φ⁻¹(p) elementwise for an array p in [0, 1] (±inf at 0 and 1)."""
    p = np.asarray(p, dtype=np.float64)
    central = np.abs(p - 0.5) <= 0.5 - 0.02425
    q = p - 0.5
    r = q * q
    x = np.polyval(_A, r) * q / np.polyval(_B, r)
    with np.errstate(divide="ignore", invalid="ignore"):
        tail = np.sqrt(-2.0 * np.log(np.minimum(p, 1.0 - p)))  # the nearer tail, by symmetry
        tail_x = np.polyval(_C, tail) / np.polyval(_D, tail)
    x = np.where(central, x, np.where(p < 0.5, tail_x, -tail_x))
    return np.where(p == 0, -np.inf, np.where(p == 1, np.inf, x))  # inf/inf above


def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0, generator=None):
    """Values from N(mean, std²) conditioned on a ≤ x ≤ b: x = mean + std·Φ⁻¹(u) with u uniform
    on [Φ((a−mean)/std), Φ((b−mean)/std)], clamped to [a, b] against rounding."""
    if not std > 0:
        raise ValueError(f"trunc_normal_: std must be > 0, got {std!r}")
    if not a < b:
        raise ValueError(f"trunc_normal_: needs a < b, got a={a!r}, b={b!r}")
    if mean < a - 2 * std or mean > b + 2 * std:
        warnings.warn("mean is more than 2 std from [a, b] in nn.init.trunc_normal_. The "
                      "distribution of values may be incorrect.", stacklevel=2)
    low, high = _normal_cdf((a - mean) / std), _normal_cdf((b - mean) / std)
    u = _draws(generator).uniform(low, high, tensor.shape)
    return _fill(tensor, np.clip(mean + std * _normal_icdf(u), a, b))


# ---- scaled by the fans -------------------------------------------------------------------

def xavier_uniform_(tensor, gain=1.0, generator=None):
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor, gain=1.0, generator=None):
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), generator)


def _fan(tensor, mode):
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    if _is_empty(tensor):
        return tensor
    gain = calculate_gain(nonlinearity, a)
    bound = gain * math.sqrt(3.0 / _fan(tensor, mode))
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    if _is_empty(tensor):
        return tensor
    gain = calculate_gain(nonlinearity, a)
    return normal_(tensor, 0.0, gain / math.sqrt(_fan(tensor, mode)), generator)


# ---- structured ---------------------------------------------------------------------------

def orthogonal_(tensor, gain=1, generator=None):
    """gain·Q with orthonormal rows or columns (whichever are fewer), the tensor seen as a
    (shape[0], rest) matrix: Q from the QR of a standard normal matrix, each column's sign
    fixed by R's diagonal so that Q is uniformly (Haar) distributed (Saxe et al., 2013)."""
    if tensor.ndim < 2:
        raise ValueError(f"orthogonal_: only tensors with 2 or more dimensions are supported, "
                         f"got shape {tensor.shape}")
    if tensor.array.size == 0:
        return tensor
    rows = tensor.shape[0]
    cols = tensor.array.size // rows
    flat = _draws(generator).standard_normal((rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q *= np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return _fill(tensor, gain * q.reshape(tensor.shape))


def eye_(tensor):
    """The identity matrix (ones on the main diagonal of a 2-D tensor, zeros elsewhere)."""
    if tensor.ndim != 2:
        raise ValueError(f"eye_: only tensors with 2 dimensions are supported, got shape "
                         f"{tensor.shape}")
    return _fill(tensor, np.eye(*tensor.shape))


def dirac_(tensor, groups=1):
    """The identity convolution: each output channel copies one input channel at the kernel's
    centre (per group of ``groups``), for weights (out, in, *kernel) of 1 to 3 spatial dims."""
    if tensor.ndim not in (3, 4, 5):
        raise ValueError(f"dirac_: only tensors with 3, 4, or 5 dimensions are supported, got "
                         f"shape {tensor.shape}")
    if tensor.shape[0] % groups != 0:
        raise ValueError(f"dirac_: dim 0 ({tensor.shape[0]}) must be divisible by groups "
                         f"({groups})")
    out_per_group = tensor.shape[0] // groups
    weight = np.zeros(tensor.shape)
    centre = tuple(s // 2 for s in tensor.shape[2:])
    for g in range(groups):
        for d in range(min(out_per_group, tensor.shape[1])):
            weight[(g * out_per_group + d, d) + centre] = 1
    return _fill(tensor, weight)


def sparse_(tensor, sparsity, std=0.01, generator=None):
    """N(0, std²) entries with ⌈sparsity·rows⌉ of each column's set to 0 (Martens, 2010)."""
    if tensor.ndim != 2:
        raise ValueError(f"sparse_: only tensors with 2 dimensions are supported, got shape "
                         f"{tensor.shape}")
    rng = _draws(generator)
    rows, cols = tensor.shape
    values = rng.normal(0.0, std, (rows, cols))
    zeros = int(math.ceil(sparsity * rows))
    for col in range(cols):
        values[rng.permutation(rows)[:zeros], col] = 0
    return _fill(tensor, values)


# ---- torch's deprecated spellings ---------------------------------------------------------

def _deprecated(fn):
    old = fn.__name__[:-1]

    def deprecated_init(*args, **kwargs):
        warnings.warn(f"`nn.init.{old}` is now deprecated in favor of `nn.init.{fn.__name__}`.",
                      FutureWarning, stacklevel=2)
        return fn(*args, **kwargs)

    deprecated_init.__name__ = old
    deprecated_init.__doc__ = f"Deprecated spelling of {fn.__name__}."
    return deprecated_init


uniform = _deprecated(uniform_)
normal = _deprecated(normal_)
constant = _deprecated(constant_)
eye = _deprecated(eye_)
dirac = _deprecated(dirac_)
xavier_uniform = _deprecated(xavier_uniform_)
xavier_normal = _deprecated(xavier_normal_)
kaiming_uniform = _deprecated(kaiming_uniform_)
kaiming_normal = _deprecated(kaiming_normal_)
orthogonal = _deprecated(orthogonal_)
sparse = _deprecated(sparse_)
