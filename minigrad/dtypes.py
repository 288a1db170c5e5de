"""The dtypes minigrad tensors use and the default float dtype.

minigrad's dtypes are numpy's dtype objects under torch's names: ``mg.float32`` *is*
``numpy.dtype('float32')``, what ``x.array`` holds, and ``x.dtype`` is ``x.array.dtype``. So
``x.dtype == mg.float32``, ``== np.float32`` and ``== 'float32'`` are all True, numpy, CuPy and
the kernels take a dtype as it is, and reading ``x.dtype`` costs nothing. (A dtype class of our
own would have to impersonate numpy's in every kernel call, and numpy refuses subclasses of its
dtypes.) The differences from torch's ``torch.dtype`` that follow: a dtype prints as
``float32`` (torch: ``torch.float32``), and it has no ``is_floating_point`` attribute: ask the
tensor (``x.is_floating_point()``, ``mg.is_floating_point(x)``) or the dtype's kind
(``dtype.kind == "f"``). ``mg.dtype`` is ``numpy.dtype``, for ``isinstance(d, mg.dtype)``.

The default dtype is what Python floats and the float creation functions (``zeros``,
``randn``, ...) give: float32 unless ``set_default_dtype(float64)`` says otherwise, as torch.
A numpy array keeps its own dtype.
"""
import numpy as np

__all__ = ["dtype", "float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8",
           "bool_", "half", "float", "double", "int", "long", "bool", "set_default_dtype",
           "get_default_dtype", "tensor_dtype", "finfo", "iinfo"]

dtype = np.dtype
float16, float32, float64 = np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64)
int8, int16, int32, int64 = (np.dtype(np.int8), np.dtype(np.int16), np.dtype(np.int32),
                             np.dtype(np.int64))
uint8, bool_ = np.dtype(np.uint8), np.dtype(np.bool_)

_default_dtype = float32


def set_default_dtype(dtype):
    """Dtype of tensors made from Python floats and of the creation functions (float32 or float64)."""
    global _default_dtype
    dt = np.dtype(dtype)
    if dt not in (float32, float64):
        raise TypeError(f"default dtype must be float32 or float64, got {dt}")
    _default_dtype = dt


def get_default_dtype():
    return _default_dtype


def tensor_dtype(dtype):
    """``dtype`` as a numpy dtype a tensor may hold: float32/float64, integers or bool.

    float16 is refused here, at creation, with a TypeError: the compiled kernels and fused
    optimizers are typed for float32 and float64 only, and a float16 tensor would fail later,
    op by op, far from where it was made. (torch supports it; minigrad deliberately does not.)
    """
    dt = np.dtype(dtype)
    if dt == float16:
        raise TypeError("float16 (half) tensors are not supported: minigrad computes in "
                        "float32 or float64; use float32 (.float(), or array.astype(numpy.float32) "
                        "for numpy data)")
    if dt.kind not in "fiub":
        raise TypeError(f"unsupported dtype {dt}: a tensor holds float32/float64, integers "
                        "or bool")
    return dt


def finfo(dtype=None):
    """Machine limits of a float dtype (default: the default dtype), as ``torch.finfo``: ``eps``,
    ``max``, ``min``, ``tiny`` (= ``smallest_normal``), ``resolution``, ``bits`` — numpy's
    ``finfo``, whose values are numpy scalars of that dtype."""
    dt = get_default_dtype() if dtype is None else np.dtype(dtype)
    if dt.kind != "f":
        raise TypeError(f"finfo takes a floating-point dtype, got {dt} (use iinfo for integers)")
    return np.finfo(dt)


def iinfo(dtype):
    """Limits of an integer dtype, as ``torch.iinfo``: ``min``, ``max``, ``bits`` (numpy's)."""
    dt = np.dtype(dtype)
    if dt.kind not in "iu":
        raise TypeError(f"iinfo takes an integer dtype, got {dt} (use finfo for floats)")
    return np.iinfo(dt)


# torch's aliases. From here on ``float``, ``int`` and ``bool`` are dtypes in this module, not
# Python's builtins (as in torch's namespace), so nothing below this line may use the builtins.
half, float, double = float16, float32, float64  # noqa: A001
int, long = int32, int64  # noqa: A001
bool = bool_  # noqa: A001
