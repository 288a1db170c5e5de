"""ASGD, exactly torch.optim.ASGD (Polyak & Juditsky averaged SGD, Bottou's schedule)."""
from .optimizer import Optimizer, _finite_number, check_nonnegative
from .stages import l2, signed_grad, update


class ASGD(Optimizer):
    r"""Averaged SGD. State: η (starts at lr), μ (starts at 1), the average ax, the step t::

        grad        = g;   l2 = λ_wd·w: g ← g + l2                (coupled)
        decay       = −λ·η·w                                      (``lambd``)
        sgd         = −η·g
        update      = decay + sgd            (torch: w ← w(1 − λη) − ηg)
        ax          ← ax + μ(w − ax)  if μ ≠ 1,  else ax ← w      (after the update)
        η ← lr / (1 + λ·lr·t)^α;   μ ← 1 / max(1, t − t₀)

    ``state["ax"]`` is the averaged iterate, the point ASGD is meant to return.
    """

    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0, *,
                 maximize=False):
        super().__init__(params, dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0,
                                      weight_decay=weight_decay, maximize=maximize))

    def _validate(self, group):
        check_nonnegative("lr", group["lr"])
        check_nonnegative("weight_decay", group["weight_decay"])
        check_nonnegative("lambd", group["lambd"])
        _finite_number("alpha", group["alpha"])
        _finite_number("t0", group["t0"])

    def _init_state(self, p, group):
        return {"step": 0, "eta": float(group["lr"]), "mu": 1.0,
                "ax": p.backend.xp.zeros_like(p.array)}

    def _update(self, p, grad, state, group):
        w, terms = p.array, {}
        lambd = group["lambd"]
        state["step"] += 1
        eta = state["eta"]
        g = l2(signed_grad(grad, group, terms), w, group, terms)
        terms["decay"] = -(lambd * eta) * w
        terms["sgd"] = -eta * g
        return update(terms["decay"] + terms["sgd"], terms)

    def _after_update(self, p, state, group):
        mu = state["mu"]
        if mu != 1:
            state["ax"][...] = state["ax"] + (p.array - state["ax"]) * mu
        else:
            state["ax"][...] = p.array
        t = state["step"]
        state["eta"] = group["lr"] / ((1 + group["lambd"] * group["lr"] * t) ** group["alpha"])
        state["mu"] = 1 / max(1, t - group["t0"])
