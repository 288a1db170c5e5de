"""Normalisation as compositions of ops (so every derivative, of any order, comes from them).

    batch / layer norm:  y = (x − μ) / √(σ² + eps)        μ, σ² the mean and the *biased*
                                                           variance over the normalised axes
    L2 normalise:        y = x / max(‖x‖₂, eps)            along one axis (torch's normalize)

Written with Tensor ops rather than a fused kernel: the backward of the standardisation
(dx = (g − mean(g) − x̂·mean(g·x̂)) / σ) then needs no code of its own and stays differentiable.
"""
from .elementwise import maximum


def standardize(x, axes, eps):
    """(x − mean) / sqrt(biased var + eps) over ``axes``; returns (x̂, mean, biased var)."""
    mean = x.mean(axis=axes, keepdims=True)
    centred = x - mean
    var = (centred * centred).mean(axis=axes, keepdims=True)
    return centred / (var + eps).sqrt(), mean, var


def l2_normalize(x, axis, eps):
    """x / max(‖x‖₂ along axis, eps)  (the max is torch's clamp_min(eps) on the norm)"""
    norm = (x * x).sum(axis=axis, keepdims=True).sqrt()
    return x / maximum(norm, eps)
