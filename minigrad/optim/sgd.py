"""SGD (torch.optim.SGD, coupled L2) and SGDW (decoupled decay, Loshchilov & Hutter).

The two differ only in where the decay sits in the chain of stages (``stages.py``):

    SGD:   signed_grad → l2 → momentum → −lr·d → update
    SGDW:  signed_grad → momentum → −lr·d → decoupled_decay → update
"""
from ..backend.specs import SgdSpec
from .optimizer import Optimizer, check_choice, check_nonnegative, _finite_number
from .stages import decoupled_decay, l2, signed_grad, update


def _sgd_spec(group, first_step):
    """The fused ``sgd_step``'s spec: the numbers ``SGD._update`` uses, by name."""
    return SgdSpec(lr=group["lr"], coupled_weight_decay=group["weight_decay"],
                   momentum=group["momentum"], dampening=group["dampening"],
                   nesterov=bool(group["nesterov"]), maximize=bool(group["maximize"]),
                   first_step=first_step)


class SGD(Optimizer):
    r"""Stochastic gradient descent with momentum, exactly torch.optim.SGD.

    With g = ∇f(w) (−∇f(w) if ``maximize``), λ = ``weight_decay``, μ = ``momentum``,
    τ = ``dampening``::

        grad            = g
        l2              = λ·w                          coupled: added to the gradient,
        g               ← g + l2                       BEFORE the momentum buffer
        momentum_buffer = g                (first step, as torch: no dampening)
                        = μ·b + (1 − τ)·g  (later steps)
        d               = g + μ·b  (nesterov)  or  b
        update          = −lr·d                        w ← w + update

    So ``weight_decay=λ`` is exactly plain SGD on ``loss + (λ/2)‖w‖²``: the L2 penalty's
    gradient λw is folded into the gradient and therefore into the momentum buffer. For decay
    outside the buffer, see SGDW. ``fused`` (default: when available) runs the same arithmetic
    as one kernel pass (csrc/cpu/optim.pyx ``sgd_step``); tracing always runs the code below.
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0,
                 nesterov=False, *, maximize=False, fused=None):
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov,
                                      maximize=maximize, fused=fused))

    def _validate(self, group):
        check_nonnegative("lr", group["lr"])
        check_nonnegative("momentum", group["momentum"])
        _finite_number("dampening", group["dampening"])
        check_nonnegative("weight_decay", group["weight_decay"])
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError("nesterov=True requires a momentum > 0 and dampening = 0, got "
                             f"momentum={group['momentum']}, dampening={group['dampening']}")

    @staticmethod
    def _momentum(g, state, group, terms):
        """The momentum buffer and the direction d that −lr·d follows (d = g at momentum 0)."""
        mu, tau = group["momentum"], group["dampening"]
        if mu == 0:
            return g
        buf = state.get("momentum_buffer")
        if buf is None:
            buf = state["momentum_buffer"] = g.copy()
        else:
            buf[...] = mu * buf + (1 - tau) * g
        terms["momentum_buffer"] = buf
        return g + mu * buf if group["nesterov"] else buf

    def _update(self, p, grad, state, group):
        terms = {}
        g = signed_grad(grad, group, terms)
        g = l2(g, p.array, group, terms)          # coupled: λw enters the momentum buffer
        d = self._momentum(g, state, group, terms)
        return update(-group["lr"] * d, terms)

    def _fused_update(self, p, grad, state, group):
        first = group["momentum"] != 0 and state.get("momentum_buffer") is None
        if first:
            state["momentum_buffer"] = p.backend.xp.empty_like(p.array)
        p.backend.sgd_step(p.array, grad, state.get("momentum_buffer"),
                           _sgd_spec(group, first))


class SGDW(SGD):
    r"""SGD with decoupled weight decay (SGDW, Loshchilov & Hutter 2019); not in torch.

    The same momentum as torch.optim.SGD, but the decay never enters the buffer::

        grad            = g
        momentum_buffer = g (first step) or μ·b + (1 − τ)·g
        d               = g + μ·b (nesterov) or b
        decoupled_decay = −s·λ·w        s = lr (decay_scaling="lr": the torch/optax/Keras
                                        convention) or s = η_t = lr / initial_lr
                                        (decay_scaling="schedule": the paper's)
        update          = −lr·d + decoupled_decay

    With momentum 0 and ``decay_scaling="lr"`` this is SGD(weight_decay=λ) (up to round-off);
    with momentum the two differ: SGD's buffer accumulates λw, SGDW's does not.
    """

    _fused_update = Optimizer._fused_update      # no fused kernel: always the readable path

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0,
                 nesterov=False, *, maximize=False, decay_scaling="lr"):
        Optimizer.__init__(self, params, dict(
            lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
            nesterov=nesterov, maximize=maximize, decay_scaling=decay_scaling))

    def _validate(self, group):
        super()._validate(group)
        check_choice("decay_scaling", group["decay_scaling"], ("lr", "schedule"))

    def _update(self, p, grad, state, group):
        terms = {}
        g = signed_grad(grad, group, terms)
        d = self._momentum(g, state, group, terms)
        step = decoupled_decay(-group["lr"] * d, p.array, group, terms)   # outside the buffer
        return update(step, terms)
