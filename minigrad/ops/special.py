"""Special Functions: erf (a kernel: numpy has none), and the guard for first-order-only gradients.

    erf(x) = (2/√π)∫₀ˣ exp(−t²)dt          d erf/dx = (2/√π)·exp(−x²)     (the exact GELU's Φ)
    first_order_only(g, what, *depends_on)  g itself; differentiating it again raises
                                            NonDifferentiableBackwardError naming ``what``
"""
import math

from ..autograd import Function, NonDifferentiableBackwardError, backward_is_differentiated
from ._elementwise_base import _float, _run_elementwise

__all__ = ["Erf", "erf", "first_order_only"]


class Erf(Function):
    """y = erf(x) = (2/√π)∫₀ˣ exp(−t²)dt      dy/dx = (2/√π)·exp(−x²)"""

    @staticmethod
    def forward(ctx, x):
        return _run_elementwise(x.backend.erf_forward, x.array)

    @staticmethod
    def backward(ctx, grad):
        x = ctx.inputs[0]
        return grad * (-(x * x)).exp() * (2.0 / math.sqrt(math.pi))

    @staticmethod
    def jvp(ctx, tx):
        x = ctx.inputs[0]
        return tx * (-(x * x)).exp() * (2.0 / math.sqrt(math.pi))


def erf(x):
    return Erf.apply(_float(x, "erf"))


# ---- gradients that are exact to first order only ---------------------------------------------

class _FirstOrderOnly(Function):
    """Identity forward; differentiating through it raises (see ``first_order_only``), in
    reverse mode and in forward mode alike.

    Its input is a gradient that holds something constant which truly varies with the input,
    so the tangent its ops would carry (forward-over-reverse: an H·t) is wrong in the same way
    a second backward would be: jvp refuses as backward does, rather than give that number.
    """

    @staticmethod
    def forward(ctx, x, what, *depends_on):
        ctx.what = what
        return x.array

    @staticmethod
    def backward(ctx, grad):
        raise NonDifferentiableBackwardError(
            f"{ctx.what}: its backward is exact to first order only, so a second derivative "
            "through it would be a wrong number; minigrad refuses to differentiate it again")

    @staticmethod
    def jvp(ctx, *tangents):
        raise NonDifferentiableBackwardError(
            f"{ctx.what}: its backward is exact to first order only, so its forward-mode tangent "
            "(a second derivative) would be a wrong number; minigrad refuses to compute it")


def first_order_only(gradient, what, *depends_on):
    """Marks a gradient built by a backward as not differentiable again.

    For a backward that holds something constant which truly depends on the input (singular
    vectors in a spectral or nuclear norm): with ``create_graph=True`` its result is recorded
    as depending on ``depends_on`` (the tensors it truly is a function of) through a node whose
    backward raises ``NonDifferentiableBackwardError`` naming ``what``, instead of a silently
    wrong (or silently zero) Hessian. Without ``create_graph`` it is the gradient unchanged.
    """
    if not backward_is_differentiated():
        return gradient
    return _FirstOrderOnly.apply(gradient, what, *depends_on)
