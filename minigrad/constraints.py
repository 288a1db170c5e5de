"""Constraints: projections applied to a parameter after each optimizer step.

A constraint is a callable ``array -> array`` (numpy or cupy, any float dtype) that returns the
constrained array and leaves its argument untouched; a layer stores it as
``param.constraint`` (``weight_constraint=``) and optimizers apply
``p.array[...] = p.constraint(p.array)`` after every update. The formulas are Keras'
(``keras/src/constraints/constraints.py``), with one deliberate difference: Keras divides by
``epsilon + norm`` (epsilon = 1e-7) to dodge 0/0, which makes its MaxNorm / UnitNorm /
MinMaxNorm shrink every vector by a factor 1 − 1e-7/‖w‖ and not be exactly idempotent.
Here ``eps=0`` by default: a zero vector is left as it is and the maps are exact projections;
pass ``eps=1e-7`` to reproduce Keras' numbers.

``dim`` is the axis (or axes) the norm runs over, Keras' ``axis``. Beware when porting Keras:
its Dense kernel is (in, out) and ``axis=0`` constrains each unit's incoming weights; a
minigrad/torch Linear weight is (out, in), so the same thing is ``dim=1``. The default
``dim=0`` constrains, on a Linear weight, each input feature's outgoing weights.
"""
import math
import numbers

from .backend import array_module
from .penalties.base import _check_array

__all__ = ["Constraint", "MaxNorm", "MinMaxNorm", "UnitNorm", "NonNeg", "L2Ball"]


def _nonneg(value, name, positive=False):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or \
            not math.isfinite(float(value)) or value < 0 or (positive and value == 0):
        raise ValueError(f"{name} must be a finite number {'>' if positive else '>='} 0, "
                         f"got {value!r}")
    return float(value)


class Constraint:
    """Base class: ``c(w)`` returns the projection of the array ``w``."""

    def __call__(self, w):
        _check_array(w, repr(self))
        return self._project(w)


class _NormConstraint(Constraint):
    def __init__(self, dim, eps):
        dims = (dim,) if isinstance(dim, numbers.Integral) else tuple(dim)
        if not dims or any(not isinstance(d, numbers.Integral) for d in dims):
            raise TypeError(f"dim must be an int or a tuple of ints, got {dim!r}")
        self.dim = dims
        self.eps = _nonneg(eps, "eps")

    def _norms(self, w):
        if w.ndim == 0:
            raise ValueError(f"{self!r}: a 0-d array has no axis {self._dim_repr()} to take "
                             "norms along")
        for d in self.dim:
            if not -w.ndim <= d < max(w.ndim, 1):
                raise ValueError(f"{self!r}: dim {d} is out of range for an array of shape "
                                 f"{w.shape}")
        axes = tuple(sorted({d % w.ndim for d in self.dim}))
        return array_module(w).sqrt((w * w).sum(axis=axes, keepdims=True))

    def _rescale(self, w, norms, desired):
        """w·desired/(eps + norm); with eps = 0, vectors of norm 0 are left unchanged."""
        xp = array_module(w)
        if self.eps:
            return w * (desired / (self.eps + norms))
        safe = xp.where(norms > 0, norms, 1)
        return w * xp.where(norms > 0, desired / safe, 1)

    def _dim_repr(self):
        return self.dim[0] if len(self.dim) == 1 else self.dim


class MaxNorm(_NormConstraint):
    """Keras' ``MaxNorm(max_value=2, axis=0)``: each vector along ``dim`` of norm above
    max_value is scaled back onto the sphere of radius max_value:

        w ← w · min(‖w‖, max_value) / ‖w‖      (Keras: / (1e-7 + ‖w‖))

    the Euclidean projection onto {‖w‖ ≤ max_value} (per vector; a convex set).
    """

    def __init__(self, max_value=2.0, dim=0, eps=0.0):
        super().__init__(dim, eps)
        self.max_value = _nonneg(max_value, "max_value")

    def _project(self, w):
        n = self._norms(w)
        return self._rescale(w, n, array_module(w).minimum(n, self.max_value))

    def __repr__(self):
        return f"MaxNorm(max_value={self.max_value!r}, dim={self._dim_repr()!r})"


class MinMaxNorm(_NormConstraint):
    """Keras' ``MinMaxNorm(min_value=0, max_value=1, rate=1, axis=0)``:

        desired = rate·clip(‖w‖, min_value, max_value) + (1 − rate)·‖w‖
        w ← w · desired / ‖w‖      (Keras: / (1e-7 + ‖w‖))

    rate = 1 is the strict projection onto the shell min_value ≤ ‖w‖ ≤ max_value (not convex
    when min_value > 0; a zero vector has no nearest point and is left as it is); rate < 1
    moves only part of the way.
    """

    def __init__(self, min_value=0.0, max_value=1.0, rate=1.0, dim=0, eps=0.0):
        super().__init__(dim, eps)
        self.min_value = _nonneg(min_value, "min_value")
        self.max_value = _nonneg(max_value, "max_value")
        if self.min_value > self.max_value:
            raise ValueError(f"min_value {min_value!r} is larger than max_value {max_value!r}")
        self.rate = _nonneg(rate, "rate")
        if self.rate > 1:
            raise ValueError(f"rate must be in [0, 1], got {rate!r}")

    def _project(self, w):
        n = self._norms(w)
        xp = array_module(w)
        desired = self.rate * xp.clip(n, self.min_value, self.max_value) + (1 - self.rate) * n
        return self._rescale(w, n, desired)

    def __repr__(self):
        return (f"MinMaxNorm(min_value={self.min_value!r}, max_value={self.max_value!r}, "
                f"rate={self.rate!r}, dim={self._dim_repr()!r})")


class UnitNorm(_NormConstraint):
    """Keras' ``UnitNorm(axis=0)``: each vector along ``dim`` scaled to norm 1,

        w ← w / ‖w‖      (Keras: / (1e-7 + ‖w‖))

    the projection onto the unit sphere (a zero vector has no nearest point: left as it is).
    """

    def __init__(self, dim=0, eps=0.0):
        super().__init__(dim, eps)

    def _project(self, w):
        n = self._norms(w)
        return self._rescale(w, n, array_module(w).ones_like(n))

    def __repr__(self):
        return f"UnitNorm(dim={self._dim_repr()!r})"


class NonNeg(Constraint):
    """Keras' ``NonNeg()``: w ← w · [w ≥ 0], the projection onto the non-negative orthant
    (NaN stays NaN)."""

    def _project(self, w):
        return w * (w >= 0)

    def __repr__(self):
        return "NonNeg()"


class L2Ball(Constraint):
    """The Euclidean projection of the whole array onto the ball ‖w‖₂ ≤ radius:

        w ← w · min(1, radius / ‖w‖)
    """

    def __init__(self, radius):
        self.radius = _nonneg(radius, "radius")

    def _project(self, w):
        n = float(array_module(w).sqrt((w * w).sum()))
        return w * (self.radius / n) if n > self.radius else w.copy()

    def __repr__(self):
        return f"L2Ball(radius={self.radius!r})"
