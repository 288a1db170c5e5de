"""Elementwise norms: L2 (torch's and Keras' conventions), L1 (the lasso), the elastic net."""
from ..backend import array_module
from ._kernels import _soft_threshold
from .base import Penalty, _strength


class L2(Penalty):
    """Squared L2, the convention of torch's ``weight_decay=lam``:

        value   (lam/2)·‖w‖²
        grad    lam·w
        prox    v / (1 + step·lam)

    The Keras convention ``keras.regularizers.L2(l2)`` is ``l2·‖w‖²`` with gradient
    ``2·l2·w``: ``L2.keras(l2)``, which is ``L2(2·l2)``.
    """

    def __init__(self, lam):
        self.lam = _strength(lam, "lam")

    @classmethod
    def keras(cls, l2):
        """Keras' L2: ``l2·‖w‖²``, gradient ``2·l2·w`` (that is ``L2(lam=2·l2)``)."""
        return cls(2 * _strength(l2, "l2"))

    def value(self, w):
        return (w * w).sum() * (self.lam / 2)

    def _grad(self, w):
        return w * self.lam

    def _prox(self, v, step):
        return v / (1 + step * self.lam)

    def _elastic(self):
        return 0.0, self.lam

    def __repr__(self):
        return f"L2(lam={self.lam!r})"


class L1(Penalty):
    """L1 (the lasso):

        value   lam·‖w‖₁ = lam·Σ|wᵢ|
        grad    lam·sign(w)      (the subgradient 0 at wᵢ = 0)
        prox    sign(v)·max(|v| − step·lam, 0)      soft-thresholding
    """

    def __init__(self, lam):
        self.lam = _strength(lam, "lam")

    def value(self, w):
        return w.abs().sum() * self.lam

    def _grad(self, w):
        return array_module(w).sign(w) * self.lam

    def _prox(self, v, step):
        return _soft_threshold(v, step * self.lam)

    def _elastic(self):
        return self.lam, 0.0

    def __repr__(self):
        return f"L1(lam={self.lam!r})"


class ElasticNet(Penalty):
    """Elastic net:

        value   l1·‖w‖₁ + (l2/2)·‖w‖²
        grad    l1·sign(w) + l2·w      (sign 0 at 0)
        prox    sign(v)·max(|v| − step·l1, 0) / (1 + step·l2)
    """

    def __init__(self, l1, l2):
        self.l1 = _strength(l1, "l1")
        self.l2 = _strength(l2, "l2")

    def value(self, w):
        return w.abs().sum() * self.l1 + (w * w).sum() * (self.l2 / 2)

    def _grad(self, w):
        return array_module(w).sign(w) * self.l1 + w * self.l2

    def _prox(self, v, step):
        return _soft_threshold(v, step * self.l1, 1 + step * self.l2)

    def _elastic(self):
        return self.l1, self.l2

    def __repr__(self):
        return f"ElasticNet(l1={self.l1!r}, l2={self.l2!r})"
