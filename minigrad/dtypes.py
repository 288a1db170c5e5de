"""The dtypes minigrad tensors use (numpy dtypes, torch's names) and the default float dtype.

The default dtype is what Python floats and the float creation functions (``zeros``,
``randn``, ...) give: float32 unless ``set_default_dtype(float64)`` says otherwise, as torch.
A numpy array keeps its own dtype.
"""
import numpy as np

__all__ = ["float16", "float32", "float64", "int32", "int64", "bool_", "set_default_dtype",
           "get_default_dtype", "tensor_dtype"]

float16, float32, float64 = np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64)
int32, int64, bool_ = np.dtype(np.int32), np.dtype(np.int64), np.dtype(np.bool_)

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
        raise TypeError("float16 tensors are not supported: minigrad computes in float32 or "
                        "float64; convert the data first (e.g. array.astype(numpy.float32))")
    if dt.kind not in "fiub":
        raise TypeError(f"unsupported dtype {dt}: a tensor holds float32/float64, integers "
                        "or bool")
    return dt
