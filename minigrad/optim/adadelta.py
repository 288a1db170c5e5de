"""Adadelta, exactly torch.optim.Adadelta (Zeiler 2012)."""
from .optimizer import Optimizer, check_nonnegative, check_positive
from .stages import l2, signed_grad, update


class Adadelta(Optimizer):
    r"""Adadelta with torch's arguments and defaults (lr=1.0, rho=0.9, eps=1e-6)::

        grad        = g;   l2 = λ·w: g ← g + l2          (coupled)
        square_avg  s = ρ·s + (1 − ρ)·g²
        delta       Δ = √(u + ε) / √(s + ε) · g          (u: acc_delta before this step)
        acc_delta   u = ρ·u + (1 − ρ)·Δ²
        update      = −lr·Δ
    """

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, *, maximize=False):
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay,
                                      maximize=maximize))

    def _validate(self, group):
        check_nonnegative("lr", group["lr"])
        rho = group["rho"]
        check_nonnegative("rho", rho)
        if rho > 1:
            raise ValueError(f"rho must be in [0, 1], got {rho!r}")
        check_positive("eps", group["eps"])
        check_nonnegative("weight_decay", group["weight_decay"])

    def _init_state(self, p, group):
        xp = p.backend.xp
        return {"step": 0, "square_avg": xp.zeros_like(p.array),
                "acc_delta": xp.zeros_like(p.array)}

    def _update(self, p, grad, state, group):
        xp, w, terms = p.backend.xp, p.array, {}
        rho, eps = group["rho"], group["eps"]
        state["step"] += 1
        g = l2(signed_grad(grad, group, terms), w, group, terms)
        s, u = state["square_avg"], state["acc_delta"]
        s[...] = rho * s + (1 - rho) * (g * g)
        terms["delta"] = xp.sqrt(u + eps) / xp.sqrt(s + eps) * g
        u[...] = rho * u + (1 - rho) * (terms["delta"] * terms["delta"])
        terms["square_avg"], terms["acc_delta"] = s, u
        return update(-group["lr"] * terms["delta"], terms)
