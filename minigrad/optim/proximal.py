"""Proximal gradient methods: ProxSGD and FISTA. They produce exact zeros (L1, group lasso,
nuclear norm) where a subgradient step on ``loss + penalty`` only oscillates around zero.

A penalty is any object with ``prox(v, step) -> array``: prox_{step·R}(v) =
argmin_x R(x)·step + ½‖x − v‖² (minigrad.penalties.L1, ElasticNet, GroupLasso, NuclearNorm).
``penalty`` may also be set per param group. The update is written, as for every optimizer,
as ``update = prox − w`` added to w; where the prox is 0, w + (0 − w) is exactly 0.
"""
import math

from .optimizer import Optimizer, check_nonnegative, required
from .stages import update


def _prox(penalty, v, step):
    return v if penalty is None else penalty.prox(v, step)


class ProxSGD(Optimizer):
    r"""Proximal (stochastic) gradient descent: w ← prox_{lr·R}(w − lr·d).

    With g = ∇f(w) of the smooth loss only (the penalty R is not in the loss)::

        grad            = g
        momentum_buffer b = g (first step) or μ·b + g       (heavy ball, as torch.optim.SGD)
        gradient_step   v = w − lr·d,  d = b if momentum else g
        prox            = prox_{lr·R}(v)                     (penalty.prox(v, lr))
        update          = prox − w
    """

    def __init__(self, params, lr=required, penalty=None, momentum=0):
        super().__init__(params, dict(lr=lr, penalty=penalty, momentum=momentum))

    def _validate(self, group):
        check_nonnegative("lr", group["lr"])
        check_nonnegative("momentum", group["momentum"])
        if group["penalty"] is not None and not callable(getattr(group["penalty"], "prox", None)):
            raise TypeError(f"penalty must have a prox(v, step) method, got "
                            f"{type(group['penalty']).__name__}")

    def _update(self, p, grad, state, group):
        w, lr, mu, terms = p.array, group["lr"], group["momentum"], {}
        d = terms["grad"] = grad
        if mu != 0:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = grad.copy()
            else:
                buf[...] = mu * buf + grad
            d = terms["momentum_buffer"] = buf
        terms["gradient_step"] = w - lr * d
        terms["prox"] = _prox(group["penalty"], terms["gradient_step"], lr)
        return update(terms["prox"] - w, terms)


class FISTA(Optimizer):
    r"""FISTA (Beck & Teboulle 2009), constant step lr (≤ 1/L for an L-smooth loss).

    The parameter holds the extrapolated point y_k where the gradient is evaluated; the prox
    iterates x_k are ``state["x"]``. With t₁ = 1, x₀ = y₁ = the initial w::

        grad           g = ∇f(y_k)
        gradient_step  v = y_k − lr·g
        prox           x_k = prox_{lr·R}(v)
        t_{k+1}        = (1 + √(1 + 4t_k²)) / 2
        momentum       = ((t_k − 1)/t_{k+1}) · (x_k − x_{k−1})
        update         = x_k + momentum − y_k          (y_{k+1} = x_k + momentum)

    F(x_k) − F* ≤ 2‖x₀ − x*‖² / (lr·(k+1)²) for lr ≤ 1/L, against O(1/k) for ProxSGD.
    Where x_k and x_{k−1} are both exactly 0, so is y_{k+1}.
    """

    def __init__(self, params, lr=required, penalty=None):
        super().__init__(params, dict(lr=lr, penalty=penalty))

    def _validate(self, group):
        check_nonnegative("lr", group["lr"])
        if group["penalty"] is not None and not callable(getattr(group["penalty"], "prox", None)):
            raise TypeError(f"penalty must have a prox(v, step) method, got "
                            f"{type(group['penalty']).__name__}")

    def _init_state(self, p, group):
        return {"step": 0, "t": 1.0, "x": p.array.copy()}

    def _update(self, p, grad, state, group):
        y, lr, terms = p.array, group["lr"], {}
        state["step"] += 1
        terms["grad"] = grad
        terms["gradient_step"] = y - lr * grad
        x = terms["prox"] = _prox(group["penalty"], terms["gradient_step"], lr)
        t = state["t"]
        t_next = (1 + math.sqrt(1 + 4 * t * t)) / 2
        terms["momentum"] = ((t - 1) / t_next) * (x - state["x"])
        step = (x + terms["momentum"]) - y
        state["x"][...] = x
        state["t"] = t_next
        return update(step, terms)
