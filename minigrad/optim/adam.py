"""The Adam family: Adam, AdamW, Adamax, NAdam, RAdam (torch.optim semantics).

Where the decay sits, as in optax's chains:
  coupled L2 (``weight_decay`` of Adam, Adamax, NAdam, RAdam): ``l2 = λw`` is added to the
    gradient, so it passes through the moments and the preconditioner (Adam = "scale_by_adam
    after add_decayed_weights");
  decoupled (AdamW, ``decoupled_weight_decay=True``): ``decoupled_decay = −s·λ·w`` is added to
    the preconditioned step, outside the moments (optax's ``chain(scale_by_adam,
    add_decayed_weights, scale_by_learning_rate)``); s = lr (``decay_scaling="lr"``: torch,
    optax, Keras) or the schedule multiplier η_t = lr/initial_lr (``"schedule"``: the AdamW
    paper and Chainer).
"""
import math

from ..backend.specs import AdamSpec
from .optimizer import Optimizer, check_betas, check_choice, check_nonnegative, check_positive
from .stages import decoupled_decay, decoupled_decay_factor, l2, signed_grad, update


def _check_adam_group(group):
    check_nonnegative("lr", group["lr"])
    check_positive("eps", group["eps"])
    check_betas(group["betas"])
    check_nonnegative("weight_decay", group["weight_decay"])
    check_choice("decay_scaling", group["decay_scaling"], ("lr", "schedule"))


def _adam_state(p, **extra):
    """step 0 and zero first/second moments (exp_avg, exp_avg_sq) shaped like ``p``."""
    xp = p.backend.xp
    return {"step": 0, "exp_avg": xp.zeros_like(p.array), "exp_avg_sq": xp.zeros_like(p.array),
            **extra}


def _moments(g, state, beta1, beta2, terms):
    """exp_avg m ← β₁m + (1−β₁)g,  exp_avg_sq v ← β₂v + (1−β₂)g²  (in place)."""
    m, v = state["exp_avg"], state["exp_avg_sq"]
    m[...] = beta1 * m + (1 - beta1) * g
    v[...] = beta2 * v + (1 - beta2) * (g * g)
    terms["exp_avg"], terms["exp_avg_sq"] = m, v
    return m, v


def _bias_corrections(group, t):
    """step_size = lr / (1 − β₁ᵗ) and √(1 − β₂ᵗ), the two bias corrections of step t."""
    beta1, beta2 = group["betas"]
    return group["lr"] / (1 - beta1 ** t), math.sqrt(1 - beta2 ** t)


def _adam_spec(group, state):
    """The fused ``adam_step``'s spec for this step (``state["step"]`` already counted): the
    numbers ``Adam._update`` uses, by name."""
    beta1, beta2 = group["betas"]
    step_size, bias_correction2_sqrt = _bias_corrections(group, state["step"])
    lam, decoupled = group["weight_decay"], group["decoupled_weight_decay"]
    return AdamSpec(
        step_size=step_size, bias_correction2_sqrt=bias_correction2_sqrt,
        beta1=beta1, beta2=beta2, eps=group["eps"],
        # λ goes to the l2 stage (Adam) or to the decoupled_decay stage (AdamW), never both
        coupled_weight_decay=0.0 if decoupled else lam,
        decoupled_decay=decoupled_decay_factor(group) * lam if decoupled else 0.0,
        amsgrad=bool(group["amsgrad"]), maximize=bool(group["maximize"]))


class Adam(Optimizer):
    r"""Adam (Kingma & Ba), exactly torch.optim.Adam, including ``decoupled_weight_decay``.

    At step t, with g = ±∇f(w)::

        grad          = g
        l2            = λ·w                 (coupled, the default): g ← g + l2
        exp_avg       m = β₁·m + (1 − β₁)·g
        exp_avg_sq    v = β₂·v + (1 − β₂)·g²
        max_exp_avg_sq v̂ = max(v̂, v)       (amsgrad; otherwise v̂ = v)
        adam          = −(lr / (1 − β₁ᵗ)) · m / (√v̂ / √(1 − β₂ᵗ) + ε)
        decoupled_decay = −s·λ·w            (decoupled_weight_decay=True; s: see decay_scaling)
        update        = adam (+ decoupled_decay)          w ← w + update

    torch applies the decoupled decay as w ← (1 − lr·λ)w before the step; the sum is the same
    up to round-off. ``fused`` (default: when available) runs one kernel pass
    (csrc/cpu/optim.pyx ``adam_step``) with the same arithmetic as the lines above.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, maximize=False, fused=None, decoupled_weight_decay=False,
                 decay_scaling="lr"):
        super().__init__(params, dict(
            lr=lr, betas=tuple(betas) if isinstance(betas, list) else betas, eps=eps,
            weight_decay=weight_decay, amsgrad=amsgrad, maximize=maximize, fused=fused,
            decoupled_weight_decay=decoupled_weight_decay, decay_scaling=decay_scaling))

    def _validate(self, group):
        _check_adam_group(group)

    def _init_state(self, p, group):
        state = _adam_state(p)
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = p.backend.xp.zeros_like(p.array)
        return state

    def _update(self, p, grad, state, group):
        xp, w, terms = p.backend.xp, p.array, {}
        beta1, beta2 = group["betas"]
        state["step"] += 1
        step_size, bias_correction2_sqrt = _bias_corrections(group, state["step"])
        decoupled = group["decoupled_weight_decay"]
        g = signed_grad(grad, group, terms)
        if not decoupled:
            g = l2(g, w, group, terms)             # Adam: λw goes through the moments
        m, v = _moments(g, state, beta1, beta2, terms)
        if group["amsgrad"]:
            v = state["max_exp_avg_sq"]
            xp.maximum(v, state["exp_avg_sq"], out=v)
            terms["max_exp_avg_sq"] = v
        step = terms["adam"] = \
            -step_size * (m / (xp.sqrt(v) / bias_correction2_sqrt + group["eps"]))
        if decoupled:
            step = decoupled_decay(step, w, group, terms)   # AdamW: −s·λ·w skips them
        return update(step, terms)

    def _fused_update(self, p, grad, state, group):
        state["step"] += 1
        p.backend.adam_step(p.array, grad, state["exp_avg"], state["exp_avg_sq"],
                            state.get("max_exp_avg_sq"), _adam_spec(group, state))


class AdamW(Adam):
    r"""AdamW (Loshchilov & Hutter), as torch.optim.AdamW: Adam with decoupled decay.

    ::

        adam            = −(lr / (1 − β₁ᵗ)) · m / (√v̂ / √(1 − β₂ᵗ) + ε)   (moments of g alone)
        decoupled_decay = −s·λ·w
        update          = adam + decoupled_decay

    s = lr with ``decay_scaling="lr"`` (torch, optax ``adamw``, Keras), or the schedule
    multiplier η_t = lr / initial_lr with ``"schedule"`` (the paper's Algorithm 2: the decay
    follows the schedule but not the base learning rate). Default ``weight_decay=1e-2``, as torch.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, maximize=False, fused=None, decay_scaling="lr"):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize,
                         fused=fused, decoupled_weight_decay=True, decay_scaling=decay_scaling)


class Adamax(Optimizer):
    r"""Adamax (Adam with the infinity norm), exactly torch.optim.Adamax::

        grad     = g;   l2 = λ·w: g ← g + l2         (coupled)
        exp_avg  m = β₁·m + (1 − β₁)·g
        exp_inf  u = max(β₂·u, |g| + ε)
        adamax   = −(lr / (1 − β₁ᵗ)) · m / u
        update   = adamax
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, *,
                 maximize=False):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      maximize=maximize, decoupled_weight_decay=False,
                                      decay_scaling="lr"))

    def _validate(self, group):
        _check_adam_group(group)

    def _init_state(self, p, group):
        xp = p.backend.xp
        return {"step": 0, "exp_avg": xp.zeros_like(p.array), "exp_inf": xp.zeros_like(p.array)}

    def _update(self, p, grad, state, group):
        xp, w, terms = p.backend.xp, p.array, {}
        beta1, beta2 = group["betas"]
        state["step"] += 1
        g = l2(signed_grad(grad, group, terms), w, group, terms)
        m, u = state["exp_avg"], state["exp_inf"]
        m[...] = beta1 * m + (1 - beta1) * g
        xp.maximum(beta2 * u, xp.abs(g) + group["eps"], out=u)
        terms["exp_avg"], terms["exp_inf"] = m, u
        terms["adamax"] = -(group["lr"] / (1 - beta1 ** state["step"])) * (m / u)
        return update(terms["adamax"], terms)


class NAdam(Optimizer):
    r"""NAdam (Dozat), exactly torch.optim.NAdam, with the momentum-decay schedule.

    With ψ = ``momentum_decay``, μ_t = β₁(1 − ½·0.96^{tψ}) and Π_t = μ_1⋯μ_t::

        grad = g;   l2 = λ·w (coupled) or decoupled_decay = −s·λ·w (decoupled_weight_decay)
        m = β₁·m + (1 − β₁)·g;    v = β₂·v + (1 − β₂)·g²;    d = √(v / (1 − β₂ᵗ)) + ε
        nesterov_grad     = −lr·(1 − μ_t)/(1 − Π_t) · g / d
        nesterov_momentum = −lr·μ_{t+1}/(1 − Π_t·μ_{t+1}) · m / d
        update = nesterov_grad + nesterov_momentum (+ decoupled_decay)
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 momentum_decay=4e-3, decoupled_weight_decay=False, *, maximize=False,
                 decay_scaling="lr"):
        super().__init__(params, dict(
            lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
            momentum_decay=momentum_decay, decoupled_weight_decay=decoupled_weight_decay,
            maximize=maximize, decay_scaling=decay_scaling))

    def _validate(self, group):
        _check_adam_group(group)
        check_nonnegative("momentum_decay", group["momentum_decay"])

    def _init_state(self, p, group):
        return _adam_state(p, mu_product=1.0)

    def _update(self, p, grad, state, group):
        xp, w, terms = p.backend.xp, p.array, {}
        beta1, beta2 = group["betas"]
        lr, psi = group["lr"], group["momentum_decay"]
        state["step"] += 1
        t = state["step"]
        mu = beta1 * (1.0 - 0.5 * 0.96 ** (t * psi))
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * psi))
        state["mu_product"] *= mu
        mu_product = state["mu_product"]
        decoupled = group["decoupled_weight_decay"]
        g = signed_grad(grad, group, terms)
        if not decoupled:
            g = l2(g, w, group, terms)
        m, v = _moments(g, state, beta1, beta2, terms)
        d = xp.sqrt(v / (1 - beta2 ** t)) + group["eps"]
        terms["nesterov_grad"] = (-lr * (1.0 - mu) / (1.0 - mu_product)) * (g / d)
        terms["nesterov_momentum"] = ((-lr * mu_next) / (1.0 - mu_product * mu_next)) * (m / d)
        step = terms["nesterov_grad"] + terms["nesterov_momentum"]
        if decoupled:
            step = decoupled_decay(step, w, group, terms)
        return update(step, terms)


class RAdam(Optimizer):
    r"""RAdam (Liu et al.), exactly torch.optim.RAdam::

        grad = g;   l2 = λ·w (coupled) or decoupled_decay = −s·λ·w (decoupled_weight_decay)
        m = β₁·m + (1 − β₁)·g;    v = β₂·v + (1 − β₂)·g²
        ρ_∞ = 2/(1 − β₂) − 1;     ρ_t = ρ_∞ − 2t·β₂ᵗ/(1 − β₂ᵗ)
        ρ_t > 5:  radam = −lr · m/(1 − β₁ᵗ) · √(1 − β₂ᵗ)/(√v + ε) · r_t,
                  r_t = √((ρ_t − 4)(ρ_t − 2)ρ_∞ / ((ρ_∞ − 4)(ρ_∞ − 2)ρ_t))
        else:     radam = −lr · m/(1 − β₁ᵗ)      (variance not yet tractable: plain momentum)
        update = radam (+ decoupled_decay)
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 decoupled_weight_decay=False, *, maximize=False, decay_scaling="lr"):
        super().__init__(params, dict(
            lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
            decoupled_weight_decay=decoupled_weight_decay, maximize=maximize,
            decay_scaling=decay_scaling))

    def _validate(self, group):
        _check_adam_group(group)

    def _init_state(self, p, group):
        return _adam_state(p)

    def _update(self, p, grad, state, group):
        xp, w, terms = p.backend.xp, p.array, {}
        beta1, beta2 = group["betas"]
        lr = group["lr"]
        state["step"] += 1
        t = state["step"]
        decoupled = group["decoupled_weight_decay"]
        g = signed_grad(grad, group, terms)
        if not decoupled:
            g = l2(g, w, group, terms)
        m, v = _moments(g, state, beta1, beta2, terms)
        bias_correction1, bias_correction2 = 1 - beta1 ** t, 1 - beta2 ** t
        m_hat = m / bias_correction1
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * t * (beta2 ** t) / bias_correction2
        if rho_t > 5.0:
            rect = ((rho_t - 4) * (rho_t - 2) * rho_inf
                    / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
            adaptive_lr = (bias_correction2 ** 0.5) / (xp.sqrt(v) + group["eps"])
            terms["radam"] = -(m_hat * lr * adaptive_lr * rect)
        else:
            terms["radam"] = -(m_hat * lr)
        step = terms["radam"]
        if decoupled:
            step = decoupled_decay(step, w, group, terms)
        return update(step, terms)
