"""RMSprop, exactly torch.optim.RMSprop (Hinton's lecture 6e; centered: Graves 2013)."""
from ..backend.specs import RmspropSpec
from .optimizer import Optimizer, check_nonnegative, check_positive
from .stages import l2, signed_grad, update


def _rmsprop_spec(group):
    """The fused ``rmsprop_step``'s spec: the numbers ``RMSprop._update`` uses, by name."""
    return RmspropSpec(lr=group["lr"], alpha=group["alpha"], eps=group["eps"],
                       coupled_weight_decay=group["weight_decay"], momentum=group["momentum"],
                       centered=bool(group["centered"]), maximize=bool(group["maximize"]))


class RMSprop(Optimizer):
    r"""RMSprop with torch's arguments and defaults. With g = ±∇f(w)::

        grad        = g;   l2 = λ·w: g ← g + l2          (coupled)
        square_avg  s = α·s + (1 − α)·g²
        grad_avg    ḡ = α·ḡ + (1 − α)·g                  (centered only)
        a           = √(s − ḡ²) + ε  (centered)  or  √s + ε
        momentum_buffer b = μ·b + g/a                    (momentum > 0)
        update      = −lr·b  (momentum > 0)  or  −lr·g/a

    ``fused`` (default: when available) runs one kernel pass (``rmsprop_step``).
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, *, maximize=False, fused=None):
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                                      momentum=momentum, centered=centered, maximize=maximize,
                                      fused=fused))

    def _validate(self, group):
        check_nonnegative("lr", group["lr"])
        check_positive("eps", group["eps"])
        check_nonnegative("momentum", group["momentum"])
        check_nonnegative("weight_decay", group["weight_decay"])
        check_nonnegative("alpha", group["alpha"])

    def _init_state(self, p, group):
        xp = p.backend.xp
        state = {"step": 0, "square_avg": xp.zeros_like(p.array)}
        if group["momentum"] > 0:
            state["momentum_buffer"] = xp.zeros_like(p.array)
        if group["centered"]:
            state["grad_avg"] = xp.zeros_like(p.array)
        return state

    def _update(self, p, grad, state, group):
        xp, w, terms = p.backend.xp, p.array, {}
        alpha, mu = group["alpha"], group["momentum"]
        state["step"] += 1
        g = l2(signed_grad(grad, group, terms), w, group, terms)
        s = terms["square_avg"] = state["square_avg"]
        s[...] = alpha * s + (1 - alpha) * (g * g)
        if group["centered"]:
            ga = terms["grad_avg"] = state["grad_avg"]
            ga[...] = alpha * ga + (1 - alpha) * g
            a = xp.sqrt(s - ga * ga) + group["eps"]
        else:
            a = xp.sqrt(s) + group["eps"]
        if mu > 0:
            b = terms["momentum_buffer"] = state["momentum_buffer"]
            b[...] = mu * b + g / a
            return update(-group["lr"] * b, terms)
        return update(-group["lr"] * (g / a), terms)

    def _fused_update(self, p, grad, state, group):
        state["step"] += 1
        p.backend.rmsprop_step(p.array, grad, state["square_avg"], state.get("grad_avg"),
                               state.get("momentum_buffer"), _rmsprop_spec(group))
