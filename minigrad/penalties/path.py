"""The squared path norm of a chain of Linear layers with ReLU between them."""
import numpy as np

from ..backend import array_module
from ..tensor import Tensor
from .base import Penalty, _check_array, _check_tensor, _strength


def _path_weights(model):
    """The weight Tensors of a chain of Linear layers (a list of Tensors, or a Sequential of
    Linear and ReLU layers)."""
    if isinstance(model, (list, tuple)):
        ws = list(model)
        for i, w in enumerate(ws):
            _check_tensor(w, f"PathNorm (weight {i})")
    else:
        try:
            from .. import nn
        except ImportError:
            raise TypeError(f"PathNorm takes a list of weight Tensors or an nn.Sequential, got "
                            f"{type(model).__name__}") from None
        if not hasattr(nn, "Sequential") or not isinstance(model, nn.Sequential):
            raise TypeError(f"PathNorm takes a list of weight Tensors or an nn.Sequential of "
                            f"Linear and ReLU layers, got {type(model).__name__}")
        ws = []
        for i, layer in enumerate(model):
            if isinstance(layer, nn.Linear):
                ws.append(layer.weight)
            elif not isinstance(layer, nn.ReLU):
                raise TypeError(f"PathNorm: layer {i} is {type(layer).__name__}; the path norm "
                                "is defined here for Linear and ReLU layers only")
    if not ws:
        raise ValueError("PathNorm: no Linear weight found")
    for i, w in enumerate(ws):
        if w.ndim != 2:
            raise ValueError(f"PathNorm: weight {i} has shape {tuple(w.shape)}, not 2-D")
        if i and w.shape[1] != ws[i - 1].shape[0]:
            raise ValueError(f"PathNorm: weight {i} has shape {tuple(w.shape)}, which does not "
                             f"follow weight {i - 1} of shape {tuple(ws[i - 1].shape)}")
    return ws


class PathNorm(Penalty):
    """Squared path norm (Neyshabur et al., 2015) of a chain of Linear layers W₁, …, W_L
    (weights (out, in); biases are not penalised), ReLU between them:

        value   lam·Σ over input→output paths of Π (squared weights on the path)
                = lam·1ᵀ (W_L∘W_L) ⋯ (W₁∘W₁) 1          two layers: lam·sum(W₂² @ W₁²)
        grad    ∂/∂W_k = 2·lam·W_k ∘ (b_k a_kᵀ), with a_k = (W_{k−1}²)⋯(W₁²)1 (input side)
                and b_k = (W_{k+1}²)ᵀ⋯(W_L²)ᵀ1 (output side)
        prox    none in closed form

    Call it on an ``nn.Sequential`` of Linear/ReLU layers or on the list of weights; ``.grad``
    takes the list of weight arrays and returns the list of gradients. Invariant when a hidden
    unit's incoming weights (and bias) are scaled by s > 0 and its outgoing weights by 1/s,
    which ReLU networks' functions are too; L2 is not.
    """

    def __init__(self, lam):
        self.lam = _strength(lam, "lam")

    def __call__(self, model):
        ws = _path_weights(model)
        from ..creation import ones
        v = ones(ws[0].shape[1], dtype=ws[0].dtype, device=ws[0].device)
        for w in ws:
            v = (w * w) @ v
        return v.sum() * self.lam

    def grad(self, weights):
        ws = list(weights)
        for i, w in enumerate(ws):
            _check_array(w, f"PathNorm.grad (weight {i})")
        _path_weights([Tensor._wrap(w, "cpu" if isinstance(w, np.ndarray) else "cuda")
                       for w in ws])  # shape checks
        xp = array_module(ws[0])
        sq = [w * w for w in ws]
        a = [xp.ones(ws[0].shape[1], ws[0].dtype)]
        for s in sq[:-1]:
            a.append(s @ a[-1])
        b = [xp.ones(ws[-1].shape[0], ws[-1].dtype)]
        for s in reversed(sq[1:]):
            b.append(s.T @ b[-1])
        b.reverse()
        return [2 * self.lam * w * xp.outer(bk, ak) for w, ak, bk in zip(ws, a, b)]

    def prox(self, v, step):
        raise NotImplementedError(f"{self!r} has no closed-form proximal operator")

    def __repr__(self):
        return f"PathNorm(lam={self.lam!r})"
