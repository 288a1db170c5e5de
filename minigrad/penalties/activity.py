"""Penalties on a layer's activations (batch axis first): L1, L2 and consistency.

``ActivityL1`` and ``ActivityL2`` follow tf.keras' ``activity_regularizer``, divided by the
batch size; ``Consistency`` is the Π-model's penalty on the change of a model's output under
a perturbation of its input.
"""
from ..backend import array_module
from ._kernels import _soft_threshold
from .base import Penalty, _strength


def _batch(shape, who):
    if len(shape) == 0 or shape[0] == 0:
        raise ValueError(f"{who} needs activations with a batch axis first and at least one "
                         f"sample, got shape {tuple(shape)}")
    return shape[0]


class ActivityL1(Penalty):
    """L1 on a layer's output a of shape (B, …), as tf.keras' ``activity_regularizer=L1(lam)``
    (Keras divides the regulariser by the batch size B = a.shape[0]):

        value   lam·Σ|a| / B
        grad    lam·sign(a) / B
        prox    sign(v)·max(|v| − step·lam/B, 0)
    """

    def __init__(self, lam):
        self.lam = _strength(lam, "lam")

    def _check_shape(self, shape):
        _batch(shape, repr(self))

    def value(self, a):
        return a.abs().sum() * (self.lam / a.shape[0])

    def _grad(self, a):
        return array_module(a).sign(a) * (self.lam / a.shape[0])

    def _prox(self, v, step):
        return _soft_threshold(v, step * self.lam / v.shape[0])

    def __repr__(self):
        return f"ActivityL1(lam={self.lam!r})"


class ActivityL2(Penalty):
    """Squared L2 on a layer's output a of shape (B, …), as tf.keras'
    ``activity_regularizer=L2(lam)`` — Keras' convention, without the ½ of ``L2``:

        value   lam·Σa² / B
        grad    2·lam·a / B
        prox    v / (1 + 2·step·lam/B)
    """

    def __init__(self, lam):
        self.lam = _strength(lam, "lam")

    def _check_shape(self, shape):
        _batch(shape, repr(self))

    def value(self, a):
        return (a * a).sum() * (self.lam / a.shape[0])

    def _grad(self, a):
        return a * (2 * self.lam / a.shape[0])

    def _prox(self, v, step):
        return v / (1 + 2 * step * self.lam / v.shape[0])

    def __repr__(self):
        return f"ActivityL2(lam={self.lam!r})"


class Consistency(Penalty):
    """Consistency under a transformation T on unlabelled inputs u of shape (B, …)
    (the Π-model of Laine & Aila, 2017):

        value   lam · (1/B)·Σ_b ‖f(u)_b − f(T(u))_b‖²      a MEAN over the batch of each
                                                            sample's squared L2 distance
        grad    (with respect to u or f's parameters) needs f's Jacobian: use autograd on
                the value; ``.grad`` raises NotImplementedError; no prox

    ``f`` is the model (any callable Tensor → Tensor), ``transform`` the perturbation T
    (callable Tensor → Tensor: noise, augmentation). Both branches carry gradient.
    """

    def __init__(self, lam, f, transform):
        self.lam = _strength(lam, "lam")
        if not callable(f) or not callable(transform):
            raise TypeError("Consistency(lam, f, transform): f and transform must be callables")
        self.f, self.transform = f, transform

    def _check_shape(self, shape):
        _batch(shape, repr(self))

    def value(self, u):
        d = self.f(u) - self.f(self.transform(u))
        return (d * d).sum() * (self.lam / u.shape[0])

    def _grad(self, u):
        raise NotImplementedError(f"{self!r}: the gradient depends on f's Jacobian; "
                                  "differentiate the value with autograd")

    def __repr__(self):
        return f"Consistency(lam={self.lam!r})"
