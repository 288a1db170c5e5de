"""The ``Penalty`` interface, its algebra (sums and scaling) and the argument checks.

``p(w)`` is the value (a Tensor), ``p.grad(w)`` the gradient by hand (an array),
``p.prox(v, step)`` the proximal operator (an array); see the package docstring.
``p1 + p2`` is a ``_Sum`` and ``c * p`` a ``_Scaled``. They live here, beside ``Penalty``,
because its ``+`` and ``*`` build them and they are Penalties themselves.
"""
import math
import numbers

from .._operands import _const, _is_array  # noqa: F401 (used across the package)
from ..tensor import Tensor
from ._kernels import _soft_threshold


# ---- argument checks ------------------------------------------------------------------------

def _strength(value, name):
    """A penalty strength: a finite real number ≥ 0."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    v = float(value)
    if not math.isfinite(v) or v < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return v


def _check_tensor(w, who):
    if not isinstance(w, Tensor):
        hint = " (for arrays use .grad(w) / .prox(v, step))" if _is_array(w) else ""
        raise TypeError(f"{who} takes a Tensor, got {type(w).__name__}{hint}")
    if w.dtype.kind != "f":
        raise TypeError(f"{who} needs a floating-point tensor, got dtype {w.dtype}")


def _check_array(a, who):
    if isinstance(a, Tensor):
        raise TypeError(f"{who} takes the backing array (numpy or cupy), got a Tensor: pass .data")
    if not _is_array(a):
        raise TypeError(f"{who} takes a numpy or cupy array, got {type(a).__name__}")
    if a.dtype.kind != "f":
        raise TypeError(f"{who} needs a floating-point array, got dtype {a.dtype}")


def _check_step(step):
    if isinstance(step, bool) or not isinstance(step, numbers.Real) or \
            not math.isfinite(float(step)) or step <= 0:
        raise ValueError(f"step must be a finite number > 0, got {step!r}")
    return float(step)



# ---- the interface ----------------------------------------------------------------------------

class Penalty:
    """Base class: ``p(w)`` value (Tensor), ``p.grad(w)`` closed-form gradient (array),
    ``p.prox(v, step)`` proximal operator (array). See the package docstring."""

    def __call__(self, w):
        _check_tensor(w, repr(self))
        self._check_shape(w.shape)
        return self.value(w)

    def grad(self, w):
        """The gradient (or the documented subgradient) at the array ``w``, by hand."""
        _check_array(w, f"{self!r}.grad")
        self._check_shape(w.shape)
        return self._grad(w)

    def prox(self, v, step):
        """``argmin_w p(w) + ‖w − v‖²/(2·step)`` for the array ``v``."""
        _check_array(v, f"{self!r}.prox")
        step = _check_step(step)
        self._check_shape(v.shape)
        return self._prox(v, step)

    # subclasses implement these
    def value(self, w):
        raise NotImplementedError

    def _grad(self, w):
        raise NotImplementedError

    def _prox(self, v, step):
        raise NotImplementedError(f"{self!r} has no closed-form proximal operator")

    def _check_shape(self, shape):
        pass

    def _elastic(self):
        """(l1, l2) when the penalty is l1·‖w‖₁ + (l2/2)‖w‖², else None (for prox of sums)."""
        return None

    # ---- the algebra
    def __add__(self, other):
        if not isinstance(other, Penalty):
            return NotImplemented
        return _Sum([self, other])

    def __radd__(self, other):
        if isinstance(other, numbers.Number) and other == 0:  # sum([p1, p2])
            return self
        return NotImplemented

    def __mul__(self, c):
        if not isinstance(c, numbers.Real) or isinstance(c, bool):
            return NotImplemented
        return _Scaled(_strength(c, "scale"), self)

    __rmul__ = __mul__


# ---- the algebra: sums and scaling ----------------------------------------------------------

class _Sum(Penalty):
    """p₁ + p₂ + …: value and gradient add; prox only where the sum is an elastic net."""

    def __init__(self, terms):
        flat = []
        for t in terms:
            flat.extend(t.terms if isinstance(t, _Sum) else [t])
        self.terms = flat

    def __call__(self, w):
        total = self.terms[0](w)
        for t in self.terms[1:]:
            total = total + t(w)
        return total

    def grad(self, w):
        g = self.terms[0].grad(w)
        for t in self.terms[1:]:
            g = g + t.grad(w)
        return g

    def _check_shape(self, shape):
        for t in self.terms:
            t._check_shape(shape)

    def _elastic(self):
        parts = [t._elastic() for t in self.terms]
        if any(p is None for p in parts):
            return None
        return sum(p[0] for p in parts), sum(p[1] for p in parts)

    def _prox(self, v, step):
        coeffs = self._elastic()
        if coeffs is None:
            raise NotImplementedError(
                f"{self!r}: the prox of a sum has no closed form in general; only sums of "
                "L1 / L2 / ElasticNet terms (an elastic net) are recognised")
        # the prox of ElasticNet(l1, l2) (elementwise.py), its strengths checked as it checks
        # them: sign(v)·max(|v| − step·l1, 0) / (1 + step·l2)
        l1, l2 = _strength(coeffs[0], "l1"), _strength(coeffs[1], "l2")
        return _soft_threshold(v, step * l1, 1 + step * l2)

    def __repr__(self):
        return " + ".join(repr(t) for t in self.terms)


class _Scaled(Penalty):
    """c·p:  value c·p(w), gradient c·∇p(w), prox_{c·p}(v, s) = prox_p(v, c·s)."""

    def __init__(self, c, inner):
        self.c, self.inner = c, inner

    def __call__(self, w):
        return self.inner(w) * self.c

    def grad(self, w):
        return self.inner.grad(w) * self.c

    def _check_shape(self, shape):
        self.inner._check_shape(shape)

    def _elastic(self):
        e = self.inner._elastic()
        return None if e is None else (self.c * e[0], self.c * e[1])

    def _prox(self, v, step):
        if self.c == 0:
            return v.copy()
        return self.inner._prox(v, self.c * step)

    def __repr__(self):
        return f"{self.c!r} * {self.inner!r}"
