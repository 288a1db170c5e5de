"""Penalties towards a reference weight w₀: L2-SP (fine-tuning) and EWC (continual learning).

The reference (and EWC's Fisher) is copied when the penalty is made, and must match the
weight's shape, dtype and device when it is used: nothing is broadcast or cast silently.
"""
import numpy as np

from .._operands import _is_array
from ..tensor import Tensor
from .base import Penalty, _const, _strength


def _reference_array(ref, name):
    if isinstance(ref, Tensor):
        ref = ref.array
    if not _is_array(ref):
        raise TypeError(f"{name} must be a Tensor or an array, got {type(ref).__name__}")
    if ref.dtype.kind != "f":
        raise TypeError(f"{name} must be floating-point, got dtype {ref.dtype}")
    return ref.copy()


def _match(arr, w, name, who):
    """arr is on w's device, with w's shape and dtype (no silent broadcast or cast)."""
    if arr.shape != tuple(w.shape):
        raise ValueError(f"{who}: {name} has shape {arr.shape}, the weight {tuple(w.shape)}")
    if arr.dtype != w.dtype:
        raise TypeError(f"{who}: {name} is {arr.dtype}, the weight {w.dtype}")
    if isinstance(arr, np.ndarray) != isinstance(w.array if isinstance(w, Tensor) else w,
                                                 np.ndarray):
        raise ValueError(f"{who}: {name} and the weight are on different devices")


class _Anchored(Penalty):
    """A penalty on the distance to a reference weight w₀: the weight must have w₀'s shape."""

    def _check_shape(self, shape):
        if tuple(shape) != self.reference.shape:
            raise ValueError(f"{self!r}: reference has shape {self.reference.shape}, the weight "
                             f"{tuple(shape)}")


class L2SP(_Anchored):
    """L2 towards a starting point w₀ (Li et al., 2018), for fine-tuning:

        value   (lam/2)·‖w − w₀‖²
        grad    lam·(w − w₀)
        prox    (v + step·lam·w₀) / (1 + step·lam)
    """

    def __init__(self, lam, reference):
        self.lam = _strength(lam, "lam")
        self.reference = _reference_array(reference, "reference")

    def value(self, w):
        _match(self.reference, w, "reference", repr(self))
        d = w - _const(self.reference, w)
        return (d * d).sum() * (self.lam / 2)

    def _grad(self, w):
        _match(self.reference, w, "reference", repr(self))
        return (w - self.reference) * self.lam

    def _prox(self, v, step):
        _match(self.reference, v, "reference", repr(self))
        return (v + self.reference * (step * self.lam)) / (1 + step * self.lam)

    def __repr__(self):
        return f"L2SP(lam={self.lam!r})"


class EWC(_Anchored):
    """Elastic weight consolidation (Kirkpatrick et al., 2017), F the diagonal Fisher:

        value   (lam/2)·Σᵢ Fᵢ·(wᵢ − w₀ᵢ)²
        grad    lam·F·(w − w₀)
        prox    (v + step·lam·F·w₀) / (1 + step·lam·F)      elementwise
    """

    def __init__(self, lam, fisher, reference):
        self.lam = _strength(lam, "lam")
        self.fisher = _reference_array(fisher, "fisher")
        self.reference = _reference_array(reference, "reference")
        if self.fisher.shape != self.reference.shape:
            raise ValueError(f"EWC: fisher has shape {self.fisher.shape}, reference "
                             f"{self.reference.shape}")
        if not bool((self.fisher >= 0).all()):  # NaN fails too
            raise ValueError("EWC: fisher must be finite and >= 0 everywhere")

    def value(self, w):
        _match(self.reference, w, "reference", repr(self))
        _match(self.fisher, w, "fisher", repr(self))
        d = w - _const(self.reference, w)
        return (_const(self.fisher, w) * d * d).sum() * (self.lam / 2)

    def _grad(self, w):
        _match(self.reference, w, "reference", repr(self))
        return self.fisher * (w - self.reference) * self.lam

    def _prox(self, v, step):
        _match(self.reference, v, "reference", repr(self))
        sf = self.fisher * (step * self.lam)
        return (v + sf * self.reference) / (1 + sf)

    def __repr__(self):
        return f"EWC(lam={self.lam!r})"
