"""The prox kernels, called through the backend of the array's device.

Soft-thresholding and group soft-thresholding run as kernels (csrc/cpu/prox.pyx,
csrc/cuda/prox.cu; the numpy reference is in minigrad/backend/reference.py). The compiled
kernels are typed for float32 and float64; a float16 array goes through the numpy reference.
"""
import numpy as np

from ..backend import contiguous, get_backend, reference


def _backend_of(a):
    return get_backend("cpu" if isinstance(a, np.ndarray) else "cuda")


def _soft_threshold(v, threshold, divisor=1.0):
    """sign(v)·max(|v| − threshold, 0) / divisor  (kernel ``soft_threshold``)."""
    backend = _backend_of(v)
    a = contiguous(v)
    out = backend.xp.empty_like(a)
    kernel = backend.soft_threshold if a.dtype in (np.float32, np.float64) else \
        reference.soft_threshold  # float16: the numpy reference
    kernel(a, float(threshold), float(divisor), out)
    return out


def _group_soft_threshold_rows(v2d, threshold):
    """v[r]·max(1 − threshold/‖v[r]‖, 0) for each row of a 2-D array (kernel)."""
    backend = _backend_of(v2d)
    a = contiguous(v2d)
    out = backend.xp.empty_like(a)
    kernel = backend.group_soft_threshold if a.dtype in (np.float32, np.float64) else \
        reference.group_soft_threshold
    kernel(a, float(threshold), out)
    return out
