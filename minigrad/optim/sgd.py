"""SGD (torch.optim.SGD, coupled L2) and SGDW (decoupled decay, Loshchilov & Hutter)."""
from .optimizer import (Optimizer, check_choice, check_nonnegative, _finite_number,
                        decoupled_decay_factor)


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

    def _direction(self, grad, w, state, group, terms):
        """grad, l2 and the momentum buffer: the direction d that update = −lr·d follows."""
        lam, mu, tau = group["weight_decay"], group["momentum"], group["dampening"]
        g = terms["grad"] = -grad if group["maximize"] else grad
        if lam != 0:
            terms["l2"] = lam * w
            g = g + terms["l2"]
        if mu != 0:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = g.copy()
            else:
                buf[...] = mu * buf + (1 - tau) * g
            terms["momentum_buffer"] = buf
            g = g + mu * buf if group["nesterov"] else buf
        return g

    def _update(self, p, grad, state, group):
        terms = {}
        d = self._direction(grad, p.data, state, group, terms)
        terms["update"] = -group["lr"] * d
        return terms

    def _fused_update(self, p, grad, state, group):
        first = group["momentum"] != 0 and state.get("momentum_buffer") is None
        if first:
            state["momentum_buffer"] = p.backend.xp.empty_like(p.data)
        p.backend.sgd_step(p.data, grad, state.get("momentum_buffer"), group["lr"],
                           group["weight_decay"], group["momentum"], group["dampening"],
                           group["nesterov"], group["maximize"], first)


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
        lam = group["weight_decay"]
        d = self._direction(grad, p.data, state, dict(group, weight_decay=0), terms)
        update = -group["lr"] * d
        if lam != 0:
            terms["decoupled_decay"] = -(decoupled_decay_factor(group) * lam) * p.data
            update = update + terms["decoupled_decay"]
        terms["update"] = update
        return terms
