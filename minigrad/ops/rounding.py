"""Piecewise-constant functions: floor, ceil, round, trunc, sign; and frac = x − trunc(x).

    floor ceil round trunc sign      dy/dx = 0   (also at the jumps, where it does not exist:
                                                  torch's choice, so a graph through them
                                                  gives zeros rather than an error)
    frac                             dy/dx = 1

sign(NaN) is 0, as torch (numpy's is NaN).

round is half to even (round(0.5) = 0, round(1.5) = 2) as torch and numpy; ``decimals``
rounds at 10^−decimals, as torch does it: round(x·10ᵈ)/10ᵈ (d > 0), round(x/10⁻ᵈ)·10⁻ᵈ (d < 0).
An integer tensor is returned unchanged by floor/ceil/round/trunc (a copy), as torch.
"""
import numbers

import numpy as np

from ..autograd import Function
from ..backend import array_module as _xp
from ..tensor import Tensor

__all__ = ["floor", "ceil", "round", "trunc", "sign", "frac"]


class Step(Function):
    """y = f(x) for a piecewise-constant f (floor, ceil, round, trunc, sign)      dy/dx = 0

    jvp: a tangent of zeros (not None), as torch's forward mode gives.
    """

    @staticmethod
    def forward(ctx, x, f):
        return f(x.array)

    @staticmethod
    def backward(ctx, grad):
        return Tensor._wrap(grad.backend.xp.zeros_like(grad.array), grad.device), None

    @staticmethod
    def jvp(ctx, tx, _):
        return Tensor._wrap(tx.backend.xp.zeros_like(tx.array), tx.device)


def _step(x, what, f):
    if not isinstance(x, Tensor):
        raise TypeError(f"{what} expects a Tensor, got {type(x).__name__}")
    if x.dtype.kind in "biu" and what != "sign":
        return Tensor._wrap(x.array.copy(), x.device)   # an integer is its own floor, ...
    return Step.apply(x, f)


def floor(x):
    return _step(x, "floor", lambda a: _xp(a).floor(a))


def ceil(x):
    return _step(x, "ceil", lambda a: _xp(a).ceil(a))


def trunc(x):
    return _step(x, "trunc", lambda a: _xp(a).trunc(a))


def round(x, *, decimals=0):  # noqa: A001  (torch's name)
    """To the nearest integer, half to even; at ``decimals`` places (see the module docstring)."""
    if not isinstance(decimals, numbers.Integral) or isinstance(decimals, bool):
        raise TypeError(f"round: decimals must be an int, got {decimals!r}")

    def rounded(a):
        xp = _xp(a)
        if decimals == 0:
            return xp.round(a)
        if decimals > 0:
            scale = 10.0 ** decimals
            return xp.round(a * scale) / scale
        scale = 10.0 ** -decimals
        return xp.round(a / scale) * scale
    return _step(x, "round", rounded)


def sign(x):
    """−1, 0 or 1, and 0 at NaN (torch's, where numpy gives NaN); a bool tensor is its own
    sign, as torch."""
    if isinstance(x, Tensor) and x.dtype.kind == "b":
        return Tensor._wrap(x.array.copy(), x.device)
    return _step(x, "sign", lambda a: _xp(a).where(_xp(a).isnan(a), 0, _xp(a).sign(a))
                 .astype(a.dtype, copy=False))


def frac(x):
    """x − trunc(x): the fractional part, with x's sign      d frac/dx = 1"""
    if not isinstance(x, Tensor) or x.dtype.kind != "f":
        raise TypeError(f"frac needs a floating-point Tensor, got "
                        f"{getattr(x, 'dtype', type(x).__name__)}")
    with np.errstate(invalid="ignore"):   # frac(±inf) = inf − inf = NaN, as torch
        return x - trunc(x)
