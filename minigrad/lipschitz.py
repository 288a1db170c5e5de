"""Lipschitz bounds of feed-forward networks and the robustness radius they certify.

``lipschitz_bound(model)``: for f = W_L ∘ φ ∘ … ∘ φ ∘ W₁ (Linear layers, biases do not matter,
φ elementwise activations with Lipschitz constant c_φ), in the L2 norm

    ‖f(x) − f(y)‖ ≤ K·‖x − y‖,   K = Π_k σ_max(W_k) · Π c_φ

c_φ = 1 for ReLU, LeakyReLU (slope ≤ 1; |slope| otherwise), Tanh, Identity, Flatten and Dropout
in eval mode (1/(1 − p) in training mode), and 1/4 for Sigmoid (its derivative σ(1 − σ) peaks
at 1/4, at 0). It is an upper bound, usually loose: it ignores which units are active together.

``certified_radius(logits, K)``: let y be the predicted class, z_y the top logit and z_j the
runner-up, margin m = z_y − z_j. For any class i the margin function g_i = z_y − z_i changes by
|⟨e_y − e_i, f(x) − f(x')⟩| ≤ ‖e_y − e_i‖·‖f(x) − f(x')‖ = √2·‖f(x) − f(x')‖ ≤ √2·K·‖x − x'‖
(Cauchy–Schwarz; Tsuzuku, Sato & Sugiyama, 2018). So while √2·K·‖δ‖ < m every g_i stays > 0
and the prediction cannot change:

    radius = m / (√2·K)

Any perturbation δ with ‖δ‖₂ < radius leaves the prediction unchanged.
"""
import math
import numbers

import numpy as np

from .backend import array_module
from ._operands import _is_array
from .tensor import Tensor

__all__ = ["lipschitz_bound", "certified_radius"]


def certified_radius(logits, K):
    """m / (√2·K) per sample, m = top logit − runner-up (see the module docstring).

    ``logits``: a Tensor (result: a Tensor, differentiable through the margin) or an array
    (result: an array) of shape (B, C) or (C,), C ≥ 2; ``K`` > 0: the network's Lipschitz
    constant in L2.
    """
    if isinstance(K, bool) or not isinstance(K, numbers.Real) or not math.isfinite(float(K)) \
            or K <= 0:
        raise ValueError(f"K must be a finite number > 0, got {K!r}")
    as_tensor = isinstance(logits, Tensor)
    if not as_tensor and not _is_array(logits):
        raise TypeError(f"certified_radius takes a Tensor or an array of logits, got "
                        f"{type(logits).__name__}")
    if logits.dtype.kind != "f":
        raise TypeError(f"logits must be floating-point, got dtype {logits.dtype}")
    if logits.ndim not in (1, 2) or logits.shape[-1] < 2:
        raise ValueError(f"logits must have shape (B, C) or (C,) with C >= 2 classes, got "
                         f"{tuple(logits.shape)}")
    scale = 1.0 / (math.sqrt(2.0) * float(K))
    if not as_tensor:
        xp = array_module(logits)
        top2 = -xp.sort(-logits, axis=-1)[..., :2]
        return (top2[..., 0] - top2[..., 1]) * scale
    from .ops import where
    data = logits.array
    xp = logits.backend.xp
    first = xp.argmax(data, axis=-1)
    is_top = xp.arange(data.shape[-1]) == first[..., None]
    top = logits.amax(axis=-1)
    runner_up = where(Tensor._wrap(is_top, logits.device), -math.inf, logits).amax(axis=-1)
    return (top - runner_up) * scale


def _spectral_norm(W):
    xp = array_module(W)
    if W.ndim != 2:
        raise ValueError(f"lipschitz_bound: weight of shape {W.shape} is not a matrix")
    return float(xp.linalg.norm(W.astype(np.float64), ord=2)) if W.size else 0.0


def lipschitz_bound(model):
    """Π σ_max(W_k) · Π c_φ over the layers of an ``nn.Sequential`` (see the module
    docstring); a plain ``nn.Linear`` is its own σ_max. Other layers (convolutions, norms,
    attention) raise TypeError naming the layer: their bound is not a product of weight
    norms."""
    from . import nn
    layers = list(model) if isinstance(model, nn.Sequential) else [model]
    K = 1.0
    for i, layer in enumerate(layers):
        if isinstance(layer, nn.Linear):
            K *= _spectral_norm(layer.weight.array)
        elif isinstance(layer, getattr(nn, "Sigmoid", ())):
            K *= 0.25
        elif isinstance(layer, _one_lipschitz(nn)):
            if isinstance(layer, getattr(nn, "LeakyReLU", ())):
                K *= max(1.0, abs(float(getattr(layer, "negative_slope", 1.0))))
            elif isinstance(layer, getattr(nn, "Dropout", ())) and getattr(layer, "training", False):
                K /= 1.0 - float(getattr(layer, "p", 0.0))  # training mode scales by 1/(1 − p)
        elif isinstance(layer, nn.Sequential):
            K *= lipschitz_bound(layer)
        else:
            raise TypeError(f"lipschitz_bound: layer {i} ({type(layer).__name__}) is not a "
                            "Linear layer or a known Lipschitz activation")
    return K


def _one_lipschitz(nn):
    names = ("ReLU", "LeakyReLU", "Tanh", "Identity", "Flatten", "Dropout")
    return tuple(getattr(nn, n) for n in names if hasattr(nn, n))
