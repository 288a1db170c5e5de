"""Rprop, exactly torch.optim.Rprop (Riedmiller & Braun 1993; the iRprop− variant)."""
from .optimizer import Optimizer, _finite_number, check_nonnegative
from .stages import signed_grad, update


class Rprop(Optimizer):
    r"""Resilient backpropagation: per-weight step sizes driven by gradient signs only.

    With η₋, η₊ = ``etas`` and [Δ_min, Δ_max] = ``step_sizes``, step sizes starting at lr::

        grad       = g
        sign       = sign(g · g_prev)
        step_size  Δ = clip(Δ · (η₊ if sign > 0, η₋ if sign < 0, 1 if 0), Δ_min, Δ_max)
        g          ← 0 where sign < 0         (iRprop−: no step after a sign change)
        update     = −sign(g)·Δ;   prev = g
    """

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *,
                 maximize=False):
        super().__init__(params, dict(lr=lr, etas=etas, step_sizes=step_sizes,
                                      maximize=maximize))

    def _validate(self, group):
        check_nonnegative("lr", group["lr"])
        etas, sizes = group["etas"], group["step_sizes"]
        if not (isinstance(etas, (tuple, list)) and len(etas) == 2):
            raise ValueError(f"etas must be a pair (etaminus, etaplus), got {etas!r}")
        _finite_number("etas[0]", etas[0])
        _finite_number("etas[1]", etas[1])
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"etas must satisfy 0 < etaminus < 1 < etaplus, got {etas!r}")
        if not (isinstance(sizes, (tuple, list)) and len(sizes) == 2):
            raise ValueError(f"step_sizes must be a pair (min, max), got {sizes!r}")
        check_nonnegative("step_sizes[0]", sizes[0])
        check_nonnegative("step_sizes[1]", sizes[1])
        if sizes[0] > sizes[1]:
            raise ValueError(f"step_sizes must satisfy min <= max, got {sizes!r}")

    def _init_state(self, p, group):
        xp = p.backend.xp
        return {"step": 0, "prev": xp.zeros_like(p.array),
                "step_size": xp.full_like(p.array, group["lr"])}

    def _update(self, p, grad, state, group):
        xp, terms = p.backend.xp, {}
        etaminus, etaplus = group["etas"]
        smin, smax = group["step_sizes"]
        state["step"] += 1
        g = signed_grad(grad, group, terms)
        sign = xp.sign(g * state["prev"])
        factor = xp.where(sign > 0, etaplus, xp.where(sign < 0, etaminus, 1.0)).astype(g.dtype)
        step_size = terms["step_size"] = state["step_size"]
        step_size[...] = xp.clip(step_size * factor, smin, smax)
        g = xp.where(sign < 0, 0, g).astype(g.dtype)
        state["prev"][...] = g
        return update(-(xp.sign(g) * step_size), terms)
