"""Elementwise operations: forward on arrays, backward written with Tensor ops.

Each class states its derivative in its docstring; ``backward`` is that formula, a few lines
under ``forward``. Broadcasting: a binary op's gradient is summed back to each input's shape
with ``sum_to_shape`` (the adjoint of broadcasting).

Where a fused kernel computes the backward in one pass (relu, sigmoid, tanh), it is used when
no graph of the backward is being recorded; with ``create_graph=True`` the readable Tensor
formula beside it runs instead, so second derivatives stay exact. A test checks the two agree.

Each ``jvp`` (forward mode) is the same derivative times the input's tangent, under the
backward; a binary op broadcasts its tangents to the output's shape (``broadcast_tangent``).
The selections (clip, clamp with tensor bounds, maximum, minimum, where) are in
elementwise_select.py, and imported here, so ``ops.elementwise.where`` is the same function.
"""
import math
import numbers

import numpy as np

from ..autograd import Function, backward_is_differentiated
from ..backend._checks import FLOAT_DTYPES
from ..backend.cpu import UFUNC_MAX_SIZE
from .._operands import _binary, _const
from ..tensor import Tensor
from ._elementwise_base import (_float, _run_elementwise, _saved_or_recomputed,  # noqa: F401
                                _summed_array, _summed_to)
from ._tangents import broadcast_tangent, tangent_sum
from .elementwise_select import (ClampTensor, Clip, Maximum, Minimum, Where,  # noqa: F401
                                 clip, maximum, minimum, where)
from .rounding import floor, trunc
from .shape import sum_to_shape


# ---- arithmetic ------------------------------------------------------------------------------

class Add(Function):
    """z = a + b      dz/da = 1, dz/db = 1"""

    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = (a.shape, b.shape)
        return a.array + b.array

    @staticmethod
    def backward(ctx, grad):
        sa, sb = ctx.shapes
        return _summed_to(grad, sa), _summed_to(grad, sb)

    @staticmethod
    def jvp(ctx, ta, tb):
        return broadcast_tangent(np.broadcast_shapes(*ctx.shapes), ta, tb)


class Sub(Function):
    """z = a - b      dz/da = 1, dz/db = -1"""

    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = (a.shape, b.shape)
        return a.array - b.array

    @staticmethod
    def backward(ctx, grad):
        sa, sb = ctx.shapes
        gb = -_summed_to(grad, sb) if ctx.needs_input_grad[1] else None
        return _summed_to(grad, sa), gb

    @staticmethod
    def jvp(ctx, ta, tb):
        return broadcast_tangent(np.broadcast_shapes(*ctx.shapes), ta, None if tb is None else -tb)


class Mul(Function):
    """z = a·b      dz/da = b, dz/db = a"""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a.array * b.array

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        if not backward_is_differentiated() and a.dtype == b.dtype == grad.dtype:
            # the same products on the arrays, constants: two nodes fewer
            needs = ctx.needs_input_grad
            g = grad.array
            ga = _const(_summed_array(a.backend, g * b.array, a.shape), a) if needs[0] else None
            gb = _const(_summed_array(b.backend, g * a.array, b.shape), b) if needs[1] else None
            return ga, gb
        ga = sum_to_shape(grad * b, a.shape) if ctx.needs_input_grad[0] else None
        gb = sum_to_shape(grad * a, b.shape) if ctx.needs_input_grad[1] else None
        return ga, gb

    @staticmethod
    def jvp(ctx, ta, tb):
        a, b = ctx.saved_tensors
        return broadcast_tangent(np.broadcast_shapes(a.shape, b.shape),
                                 None if ta is None else ta * b, None if tb is None else a * tb)


class Div(Function):
    """z = a / b      dz/da = 1/b, dz/db = -a/b²"""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a.array / b.array

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        ga = sum_to_shape(grad / b, a.shape) if ctx.needs_input_grad[0] else None
        # −a/b² as −(a/b)/b: b·b underflows to 0 for |b| < 1e-154 while a/b may be ordinary
        gb = sum_to_shape(-grad * (a / b) / b, b.shape) if ctx.needs_input_grad[1] else None
        return ga, gb

    @staticmethod
    def jvp(ctx, ta, tb):
        a, b = ctx.saved_tensors
        return broadcast_tangent(np.broadcast_shapes(a.shape, b.shape),
                                 None if ta is None else ta / b,
                                 None if tb is None else -tb * (a / b) / b)


class Neg(Function):
    """z = -x      dz/dx = -1"""

    @staticmethod
    def forward(ctx, x):
        return -x.array

    @staticmethod
    def backward(ctx, grad):
        return -grad

    @staticmethod
    def jvp(ctx, tx):
        return -tx


class PowScalar(Function):
    """z = xᵖ (p a constant)      dz/dx = p·xᵖ⁻¹"""

    @staticmethod
    def forward(ctx, x, p):
        ctx.save_for_backward(x)
        ctx.p = p
        return x.array ** x.array.dtype.type(p)

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        p = ctx.p
        if p == 0:
            return grad * 0, None
        if p == 1:
            return grad, None
        if p == 2:
            return grad * 2 * x, None
        return grad * p * x ** (p - 1), None

    @staticmethod
    def jvp(ctx, tx, _):
        return PowScalar.backward(ctx, tx)[0]   # p·xᵖ⁻¹·tx: the same product, tx for grad


class Pow(Function):
    """z = aᵇ      dz/da = b·aᵇ⁻¹  (0 where b = 0),
                  dz/db = aᵇ·log a  (0 where a = 0 and b ≥ 0)      (jvp: dz/da·ta + dz/db·tb)

    The two conventions are torch's: where b = 0, aᵇ = 1 for every a (b·aᵇ⁻¹ would be 0·∞ at
    a = 0); where a = 0 and b ≥ 0, 0ᵇ is taken as constant in b (aᵇ·log a would be 0·(−∞)).
    Elsewhere these are the exact derivatives, written with ops (differentiable again; log is
    taken of 1 in place of the masked zeros, so no NaN enters a second derivative).
    """

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a.array ** b.array

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        ga = gb = None
        if ctx.needs_input_grad[0]:
            ga = sum_to_shape(where(b == 0, 0.0, grad * b * a ** (b - 1)), a.shape)
        if ctx.needs_input_grad[1]:
            zero_base = (a == 0) & (b >= 0)
            log_a = where(zero_base, 1.0, a).log()
            gb = sum_to_shape(where(zero_base, 0.0, grad * a ** b * log_a), b.shape)
        return ga, gb

    @staticmethod
    def jvp(ctx, ta, tb):
        a, b = ctx.saved_tensors
        ta_term = tb_term = None
        if ta is not None:
            ta_term = where(b == 0, 0.0, ta * b * a ** (b - 1))
        if tb is not None:
            zero_base = (a == 0) & (b >= 0)
            tb_term = where(zero_base, 0.0, tb * a ** b * where(zero_base, 1.0, a).log())
        return broadcast_tangent(np.broadcast_shapes(a.shape, b.shape), ta_term, tb_term)


class Clone(Function):
    """z = x (a copy)      dz/dx = 1"""

    @staticmethod
    def forward(ctx, x):
        return x.array.copy()

    @staticmethod
    def backward(ctx, grad):
        return grad

    @staticmethod
    def jvp(ctx, tx):
        return Clone.apply(tx)   # linear: the tangent is copied too


class Cast(Function):
    """z = x in another float dtype      dz/dx = 1 (the gradient is cast back)"""

    @staticmethod
    def forward(ctx, x, dtype):
        ctx.dtype = x.dtype
        ctx.out_dtype = dtype
        return x.array.astype(dtype)

    @staticmethod
    def backward(ctx, grad):
        return Cast.apply(grad, ctx.dtype), None

    @staticmethod
    def jvp(ctx, tx, _):
        return Cast.apply(tx, ctx.out_dtype)   # linear: the tangent is cast too


# ---- unary functions -------------------------------------------------------------------------

class Exp(Function):
    """y = eˣ      dy/dx = eˣ = y"""

    saves_output = True   # backward reads the output kept on ctx

    @staticmethod
    def forward(ctx, x):
        ctx.y = x.backend.xp.exp(x.array)
        return ctx.y

    @staticmethod
    def backward(ctx, grad):
        x = ctx.inputs[0]
        return grad * _saved_or_recomputed(ctx, "y", x.exp)

    @staticmethod
    def jvp(ctx, tx):
        return tx * _saved_or_recomputed(ctx, "y", ctx.inputs[0].exp)


class Log(Function):
    """y = log x      dy/dx = 1/x"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.backend.xp.log(x.array)

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        return grad / x

    @staticmethod
    def jvp(ctx, tx):
        x, = ctx.saved_tensors
        return tx / x


class Expm1(Function):
    """y = eˣ − 1 (exact for small |x|, where eˣ − 1 loses every digit)      dy/dx = eˣ = y + 1"""

    saves_output = True   # backward reads the output kept on ctx

    @staticmethod
    def forward(ctx, x):
        ctx.y = x.backend.xp.expm1(x.array)
        return ctx.y

    @staticmethod
    def backward(ctx, grad):
        return grad * (_saved_or_recomputed(ctx, "y", lambda: expm1(ctx.inputs[0])) + 1.0)

    @staticmethod
    def jvp(ctx, tx):
        return tx * (_saved_or_recomputed(ctx, "y", lambda: expm1(ctx.inputs[0])) + 1.0)


class Sqrt(Function):
    """y = √x      dy/dx = 1/(2√x)"""

    saves_output = True   # backward reads the output kept on ctx

    @staticmethod
    def forward(ctx, x):
        ctx.y = x.backend.xp.sqrt(x.array)
        return ctx.y

    @staticmethod
    def backward(ctx, grad):
        x = ctx.inputs[0]
        return grad / (2 * _saved_or_recomputed(ctx, "y", x.sqrt))

    @staticmethod
    def jvp(ctx, tx):
        return tx / (2 * _saved_or_recomputed(ctx, "y", ctx.inputs[0].sqrt))


class Abs(Function):
    """y = |x|      dy/dx = sign(x)   (the subgradient 0 at x = 0, and 0 at NaN, as torch)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.backend.xp.abs(x.array)

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        return grad * _abs_slope(x)

    @staticmethod
    def jvp(ctx, tx):
        x, = ctx.saved_tensors
        return tx * _abs_slope(x)


def _abs_slope(x):
    """sign(x) as a constant, 0 at x = 0 and at NaN (torch's, both ways)"""
    xp = x.backend.xp
    return _const(xp.where(xp.isnan(x.array), 0, xp.sign(x.array)).astype(x.dtype), x)


class Relu(Function):
    """y = max(x, 0)      dy/dx = [x > 0]   (0 at x = 0; 1 at x = NaN, as torch)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        a = x.array
        if type(a) is np.ndarray and a.size <= UFUNC_MAX_SIZE and a.flags.c_contiguous and \
                a.dtype in FLOAT_DTYPES:
            # small: numpy's ufunc straight away, the backend kernel's own small path (its value
            # bit for bit, tests/test_compiled_engine.py) without the call and checks around it
            return np.maximum(a, 0)
        return _run_elementwise(x.backend.relu_forward, a)

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        if not backward_is_differentiated():  # one fused pass: grad * [not x ≤ 0]
            return _const(_run_elementwise(x.backend.relu_backward, x.array, grad.array), x)
        return grad * _const((~(x.array <= 0)).astype(x.dtype), x)

    @staticmethod
    def jvp(ctx, tx):
        x, = ctx.saved_tensors
        return tx * _const((~(x.array <= 0)).astype(x.dtype), x)


class Sigmoid(Function):
    """y = 1/(1 + e⁻ˣ)      dy/dx = y(1 - y)"""

    saves_output = True   # backward reads the output kept on ctx

    @staticmethod
    def forward(ctx, x):
        ctx.y = _run_elementwise(x.backend.sigmoid_forward, x.array)
        return ctx.y

    @staticmethod
    def backward(ctx, grad):
        x = ctx.inputs[0]
        if not backward_is_differentiated():
            return _const(_run_elementwise(x.backend.sigmoid_backward, ctx.y, grad.array), x)
        y = x.sigmoid()
        return grad * y * (1 - y)

    @staticmethod
    def jvp(ctx, tx):
        y = _saved_or_recomputed(ctx, "y", ctx.inputs[0].sigmoid)
        return tx * y * (1 - y)


class Tanh(Function):
    """y = tanh x      dy/dx = 1 - y²"""

    saves_output = True   # backward reads the output kept on ctx

    @staticmethod
    def forward(ctx, x):
        ctx.y = _run_elementwise(x.backend.tanh_forward, x.array)
        return ctx.y

    @staticmethod
    def backward(ctx, grad):
        x = ctx.inputs[0]
        if not backward_is_differentiated():
            return _const(_run_elementwise(x.backend.tanh_backward, ctx.y, grad.array), x)
        y = x.tanh()
        return grad * (1 - y * y)

    @staticmethod
    def jvp(ctx, tx):
        y = _saved_or_recomputed(ctx, "y", ctx.inputs[0].tanh)
        return tx * (1 - y * y)


class Log1p(Function):
    """y = log(1 + x) (exact for small |x|, where 1 + x loses x's digits)      dy/dx = 1/(1 + x)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.backend.xp.log1p(x.array)

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        return grad / (x + 1.0)

    @staticmethod
    def jvp(ctx, tx):
        x, = ctx.saved_tensors
        return tx / (x + 1.0)


class LogBase(Function):
    """y = log_b x (b = 2 or 10, numpy's exact log2/log10)      dy/dx = 1/(x·ln b)"""

    @staticmethod
    def forward(ctx, x, base):
        ctx.save_for_backward(x)
        ctx.base = base
        return (x.backend.xp.log2 if base == 2 else x.backend.xp.log10)(x.array)

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        return grad / (x * math.log(ctx.base)), None

    @staticmethod
    def jvp(ctx, tx, _):
        x, = ctx.saved_tensors
        return tx / (x * math.log(ctx.base))


class Reciprocal(Function):
    """y = 1/x      dy/dx = −1/x² = −y²"""

    saves_output = True   # backward reads the output kept on ctx

    @staticmethod
    def forward(ctx, x):
        ctx.y = 1 / x.array
        return ctx.y

    @staticmethod
    def backward(ctx, grad):
        y = _saved_or_recomputed(ctx, "y", lambda: reciprocal(ctx.inputs[0]))
        return -grad * (y * y)

    @staticmethod
    def jvp(ctx, tx):
        y = _saved_or_recomputed(ctx, "y", lambda: reciprocal(ctx.inputs[0]))
        return -tx * (y * y)


class Rsqrt(Function):
    """y = 1/√x      dy/dx = −½·x^(−3/2) = −½·y³"""

    saves_output = True   # backward reads the output kept on ctx

    @staticmethod
    def forward(ctx, x):
        ctx.y = 1 / x.backend.xp.sqrt(x.array)
        return ctx.y

    @staticmethod
    def backward(ctx, grad):
        y = _saved_or_recomputed(ctx, "y", lambda: rsqrt(ctx.inputs[0]))
        return grad * (-0.5 * y * y * y)

    @staticmethod
    def jvp(ctx, tx):
        y = _saved_or_recomputed(ctx, "y", lambda: rsqrt(ctx.inputs[0]))
        return tx * (-0.5 * y * y * y)


# ---- the functions (and Tensor methods) that apply the Functions above ------------------------

def exp(x):
    return Exp.apply(_float(x, "exp"))


def expm1(x):
    return Expm1.apply(_float(x, "expm1"))


def log(x):
    return Log.apply(_float(x, "log"))


def sqrt(x):
    return Sqrt.apply(_float(x, "sqrt"))


def abs(x):  # noqa: A001
    return Abs.apply(_float(x, "abs"))


def relu(x):
    return Relu.apply(_float(x, "relu"))


def sigmoid(x):
    return Sigmoid.apply(_float(x, "sigmoid"))


def tanh(x):
    return Tanh.apply(_float(x, "tanh"))


def log1p(x):
    return Log1p.apply(_float(x, "log1p"))


def log2(x):
    return LogBase.apply(_float(x, "log2"), 2)


def log10(x):
    return LogBase.apply(_float(x, "log10"), 10)


def reciprocal(x):
    return Reciprocal.apply(_float(x, "reciprocal"))


def rsqrt(x):
    return Rsqrt.apply(_float(x, "rsqrt"))


def square(x):
    """x² (x.pow(2), as torch.square)"""
    return pow(x, 2)


def neg(x):
    if not isinstance(x, Tensor):
        raise TypeError(f"neg expects a Tensor, got {type(x).__name__}")
    return Neg.apply(x)


def pow(x, exponent):  # noqa: A001  (torch's name)
    """xᵉ, as torch.pow: x or the exponent may be a number (not both); a number exponent is
    PowScalar, a tensor one Pow (with torch's conventions at a zero base)."""
    if not isinstance(x, Tensor) and not isinstance(exponent, Tensor):
        raise TypeError(f"pow needs a Tensor base or exponent, got {type(x).__name__} and "
                        f"{type(exponent).__name__}")
    if isinstance(x, Tensor) and isinstance(exponent, numbers.Number) \
            and not isinstance(exponent, bool):
        return PowScalar.apply(x, float(exponent))
    return Pow.apply(*_binary(x, exponent, "pow"))


# ---- the arithmetic operators as functions (torch.add, torch.sub, torch.mul, torch.div) -------

def _operands(a, b, what):
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        raise TypeError(f"{what} needs a Tensor operand, got {type(a).__name__} and "
                        f"{type(b).__name__}")
    return _binary(a, b, what)


def add(input, other, *, alpha=1):  # noqa: A002  (torch's names)
    """input + alpha·other, as torch.add (``x.add(y)``; the operator is ``+``)."""
    return Add.apply(*_operands(input, other if alpha == 1 else other * alpha, "add"))


def sub(input, other, *, alpha=1):  # noqa: A002
    """input − alpha·other, as torch.sub."""
    return Sub.apply(*_operands(input, other if alpha == 1 else other * alpha, "sub"))


def mul(input, other):  # noqa: A002
    """input · other, as torch.mul."""
    return Mul.apply(*_operands(input, other, "mul"))


def div(input, other, *, rounding_mode=None):  # noqa: A002
    """input / other, as torch.div (true division). ``rounding_mode="trunc"``/``"floor"``
    rounds the quotient (its gradient is 0, as torch's)."""
    quotient = Div.apply(*_operands(input, other, "div"))
    if rounding_mode is None:
        return quotient
    if rounding_mode not in ("trunc", "floor"):
        raise ValueError(f"div: rounding_mode must be None, 'trunc' or 'floor', got "
                         f"{rounding_mode!r}")
    return trunc(quotient) if rounding_mode == "trunc" else floor(quotient)
