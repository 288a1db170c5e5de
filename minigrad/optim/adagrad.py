"""Adagrad, exactly torch.optim.Adagrad (Duchi, Hazan & Singer 2011)."""
from ..backend.specs import AdagradSpec
from .optimizer import Optimizer, check_nonnegative, check_positive
from .stages import l2, signed_grad, update


def _clr(group, t):
    """The learning rate of step t: clr = lr / (1 + (t − 1)·lr_decay)."""
    return group["lr"] / (1 + (t - 1) * group["lr_decay"])


def _adagrad_spec(group, state):
    """The fused ``adagrad_step``'s spec for this step (``state["step"]`` already counted): the
    numbers ``Adagrad._update`` uses, by name."""
    return AdagradSpec(clr=_clr(group, state["step"]), eps=group["eps"],
                       coupled_weight_decay=group["weight_decay"],
                       maximize=bool(group["maximize"]))


class Adagrad(Optimizer):
    r"""Adagrad with torch's arguments and defaults. At step t, with g = ±∇f(w)::

        grad      = g;   l2 = λ·w: g ← g + l2           (coupled)
        sum       G = G + g²                             (starts at initial_accumulator_value)
        clr       = lr / (1 + (t − 1)·lr_decay)
        update    = −clr · g / (√G + ε)

    ``fused`` (default: when available) runs one kernel pass (``adagrad_step``).
    """

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0,
                 initial_accumulator_value=0, eps=1e-10, *, maximize=False, fused=None):
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value,
                                      eps=eps, maximize=maximize, fused=fused))

    def _validate(self, group):
        check_nonnegative("lr", group["lr"])
        check_nonnegative("lr_decay", group["lr_decay"])
        check_nonnegative("weight_decay", group["weight_decay"])
        check_nonnegative("initial_accumulator_value", group["initial_accumulator_value"])
        check_positive("eps", group["eps"])

    def _init_state(self, p, group):
        xp = p.backend.xp
        return {"step": 0, "sum": xp.full_like(p.array, group["initial_accumulator_value"])}

    def _update(self, p, grad, state, group):
        xp, w, terms = p.backend.xp, p.array, {}
        state["step"] += 1
        clr = _clr(group, state["step"])
        g = l2(signed_grad(grad, group, terms), w, group, terms)
        G = terms["sum"] = state["sum"]
        G[...] = G + g * g
        return update(-clr * (g / (xp.sqrt(G) + group["eps"])), terms)

    def _fused_update(self, p, grad, state, group):
        state["step"] += 1
        p.backend.adagrad_step(p.array, grad, state["sum"], _adagrad_spec(group, state))
