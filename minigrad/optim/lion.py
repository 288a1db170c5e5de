"""Lion (Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms"); not in torch."""
from .optimizer import Optimizer, check_betas, check_choice, check_nonnegative
from .stages import decoupled_decay, signed_grad, update


class Lion(Optimizer):
    r"""Lion: the sign of an interpolated momentum, with decoupled decay.

    Reproduces the paper's Algorithm 2 and optax.lion (``update = −lr·(sign(c) + λw)``)::

        grad            = g
        interpolation   c = β₁·m + (1 − β₁)·g
        lion            = −lr·sign(c)
        decoupled_decay = −s·λ·w     (s = lr, or η_t = lr / initial_lr with
                                      decay_scaling="schedule")
        update          = lion + decoupled_decay
        exp_avg         m = β₂·m + (1 − β₂)·g        (after the update direction is taken)
    """

    def __init__(self, params, lr=1e-4, betas=(0.9, 0.99), weight_decay=0.0, *,
                 maximize=False, decay_scaling="lr"):
        super().__init__(params, dict(lr=lr, betas=betas, weight_decay=weight_decay,
                                      maximize=maximize, decay_scaling=decay_scaling))

    def _validate(self, group):
        check_nonnegative("lr", group["lr"])
        check_betas(group["betas"])
        check_nonnegative("weight_decay", group["weight_decay"])
        check_choice("decay_scaling", group["decay_scaling"], ("lr", "schedule"))

    def _init_state(self, p, group):
        return {"exp_avg": p.backend.xp.zeros_like(p.array)}

    def _update(self, p, grad, state, group):
        xp, w, terms = p.backend.xp, p.array, {}
        beta1, beta2 = group["betas"]
        g = signed_grad(grad, group, terms)
        m = state["exp_avg"]
        terms["interpolation"] = beta1 * m + (1 - beta1) * g
        terms["lion"] = -group["lr"] * xp.sign(terms["interpolation"])
        step = decoupled_decay(terms["lion"], w, group, terms)
        m[...] = beta2 * m + (1 - beta2) * g
        terms["exp_avg"] = m
        return update(step, terms)
