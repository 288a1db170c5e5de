"""LAMB (You et al. 2020, "Large Batch Optimization for Deep Learning"); not in torch."""
from .adam import _adam_state, _check_adam_group, _moments
from .optimizer import Optimizer
from .stages import signed_grad, update


class LAMB(Optimizer):
    r"""LAMB: Adam's direction plus decoupled decay, rescaled per parameter by a trust ratio.

    Reproduces optax.lamb (``chain(scale_by_adam, add_decayed_weights, scale_by_trust_ratio,
    scale_by_learning_rate)``), i.e. the paper's Algorithm 2 with bias correction and φ = id::

        grad            = g
        m = β₁·m + (1 − β₁)·g;   v = β₂·v + (1 − β₂)·g²
        adam            = m̂ / (√v̂ + ε),   m̂ = m/(1 − β₁ᵗ),  v̂ = v/(1 − β₂ᵗ)
        decoupled_decay = λ·w            (inside the trust ratio, as the paper: it is scaled
                                          by lr·trust_ratio, so decay_scaling does not apply)
        r               = adam + decoupled_decay
        trust_ratio     = ‖w‖ / ‖r‖   (1 where either norm is 0)
        update          = −lr · trust_ratio · r
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-6, weight_decay=0.0, *,
                 maximize=False):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      maximize=maximize, decay_scaling="lr"))

    def _validate(self, group):
        _check_adam_group(group)

    def _init_state(self, p, group):
        return _adam_state(p)

    def _update(self, p, grad, state, group):
        xp, w, terms = p.backend.xp, p.array, {}
        beta1, beta2 = group["betas"]
        state["step"] += 1
        t = state["step"]
        g = signed_grad(grad, group, terms)
        m, v = _moments(g, state, beta1, beta2, terms)
        terms["adam"] = (m / (1 - beta1 ** t)) / (xp.sqrt(v / (1 - beta2 ** t)) + group["eps"])
        r = terms["adam"]
        if group["weight_decay"] != 0:
            terms["decoupled_decay"] = group["weight_decay"] * w
            r = r + terms["decoupled_decay"]
        w_norm, r_norm = float(xp.linalg.norm(w)), float(xp.linalg.norm(r))
        terms["trust_ratio"] = w_norm / r_norm if w_norm > 0 and r_norm > 0 else 1.0
        return update(-(group["lr"] * terms["trust_ratio"]) * r, terms)
