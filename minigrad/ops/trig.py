"""Trigonometric and hyperbolic functions, their inverses, and atan2.

    sin   cos x                 asin   1/√(1 − x²)          sinh   cosh x
    cos   −sin x                acos   −1/√(1 − x²)         cosh   sinh x
    tan   1 + tan²x             atan   1/(1 + x²)           (tanh: ops/elementwise.py)

    atan2(y, x)   ∂/∂y = x/(x² + y²),  ∂/∂x = −y/(x² + y²)

Each backward is its formula written with Tensor ops (so differentiable again), and so is each
jvp (the same derivative times the tangent); the inputs are floating-point tensors, as for exp
and log.
"""
import numpy as np

from ..autograd import Function
from .._operands import _binary
from ..tensor import Tensor
from ._elementwise_base import _float, _saved_or_recomputed
from ._tangents import broadcast_tangent
from .elementwise_select import where
from .shape import sum_to_shape

__all__ = ["sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "atan2"]


class Sin(Function):
    """y = sin x      dy/dx = cos x"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.backend.xp.sin(x.array)

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        return grad * cos(x)

    @staticmethod
    def jvp(ctx, tx):
        x, = ctx.saved_tensors
        return tx * cos(x)


class Cos(Function):
    """y = cos x      dy/dx = −sin x"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.backend.xp.cos(x.array)

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        return -grad * sin(x)

    @staticmethod
    def jvp(ctx, tx):
        x, = ctx.saved_tensors
        return -tx * sin(x)


class Tan(Function):
    """y = tan x      dy/dx = 1 + tan²x = 1 + y²"""

    saves_output = True   # backward reads the output kept on ctx

    @staticmethod
    def forward(ctx, x):
        ctx.y = x.backend.xp.tan(x.array)
        return ctx.y

    @staticmethod
    def backward(ctx, grad):
        y = _saved_or_recomputed(ctx, "y", lambda: tan(ctx.inputs[0]))
        return grad * (1.0 + y * y)

    @staticmethod
    def jvp(ctx, tx):
        y = _saved_or_recomputed(ctx, "y", lambda: tan(ctx.inputs[0]))
        return tx * (1.0 + y * y)


class Asin(Function):
    """y = arcsin x      dy/dx = 1/√(1 − x²)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.backend.xp.arcsin(x.array)

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        return grad / (1.0 - x * x).sqrt()

    @staticmethod
    def jvp(ctx, tx):
        x, = ctx.saved_tensors
        return tx / (1.0 - x * x).sqrt()


class Acos(Function):
    """y = arccos x      dy/dx = −1/√(1 − x²)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.backend.xp.arccos(x.array)

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        return -grad / (1.0 - x * x).sqrt()

    @staticmethod
    def jvp(ctx, tx):
        x, = ctx.saved_tensors
        return -tx / (1.0 - x * x).sqrt()


class Atan(Function):
    """y = arctan x      dy/dx = 1/(1 + x²)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.backend.xp.arctan(x.array)

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        return grad / (1.0 + x * x)

    @staticmethod
    def jvp(ctx, tx):
        x, = ctx.saved_tensors
        return tx / (1.0 + x * x)


class Sinh(Function):
    """y = sinh x      dy/dx = cosh x"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.backend.xp.sinh(x.array)

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        return grad * cosh(x)

    @staticmethod
    def jvp(ctx, tx):
        x, = ctx.saved_tensors
        return tx * cosh(x)


class Cosh(Function):
    """y = cosh x      dy/dx = sinh x"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.backend.xp.cosh(x.array)

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        return grad * sinh(x)

    @staticmethod
    def jvp(ctx, tx):
        x, = ctx.saved_tensors
        return tx * sinh(x)


class Atan2(Function):
    """z = atan2(y, x), the angle of the point (x, y)

    ∂z/∂y = x/(x² + y²)      ∂z/∂x = −y/(x² + y²)

    taken as 0 where x² + y² is 0 (the origin, or below 1e−154 where the squares underflow),
    as torch does.

    jvp: (x·ty − y·tx)/(x² + y²), with no such guard: NaN at the origin (±inf where only the
    squares underflow), as torch's forward mode gives.
    """

    @staticmethod
    def forward(ctx, y, x):
        ctx.save_for_backward(y, x)
        return y.backend.xp.arctan2(y.array, x.array)

    @staticmethod
    def backward(ctx, grad):
        y, x = ctx.saved_tensors
        r2 = x * x + y * y
        at_zero = Tensor._wrap(r2.array == 0, r2.device)
        scaled = where(at_zero, 0.0, grad / where(at_zero, 1.0, r2))
        gy = sum_to_shape(scaled * x, y.shape) if ctx.needs_input_grad[0] else None
        gx = sum_to_shape(-scaled * y, x.shape) if ctx.needs_input_grad[1] else None
        return gy, gx

    @staticmethod
    def jvp(ctx, ty, tx):
        y, x = ctx.saved_tensors
        return broadcast_tangent(np.broadcast_shapes(y.shape, x.shape),
                                 None if ty is None else x * ty,
                                 None if tx is None else -y * tx) / (x * x + y * y)


def sin(x):
    return Sin.apply(_float(x, "sin"))


def cos(x):
    return Cos.apply(_float(x, "cos"))


def tan(x):
    return Tan.apply(_float(x, "tan"))


def asin(x):
    return Asin.apply(_float(x, "asin"))


def acos(x):
    return Acos.apply(_float(x, "acos"))


def atan(x):
    return Atan.apply(_float(x, "atan"))


def sinh(x):
    return Sinh.apply(_float(x, "sinh"))


def cosh(x):
    return Cosh.apply(_float(x, "cosh"))


def atan2(input, other):  # noqa: A002  (torch's names: input is y, other is x)
    """The angle of (other, input) in (−π, π], elementwise and broadcasting (torch.atan2)."""
    y, x = _binary(_float(input, "atan2"), other, "atan2")
    return Atan2.apply(y, x)
