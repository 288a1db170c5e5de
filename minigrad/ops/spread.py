"""Spread: variance and standard deviation over dims (torch.var, torch.std, *_mean).

    var = Σ(x − x̄)² / (N − c)      dvar/dx = 2(x − x̄)/(N − c)
    std = √var                      dstd/dx = (dvar/dx)/(2·std), and 0 where std = 0

N is the number of elements reduced, c the ``correction`` (1: Bessel's, the sample variance,
the default and ``unbiased=True``; 0: the mean squared deviation, ``unbiased=False``). The
derivative of var drops the mean's own term, which is 0 (Σ(x − x̄) = 0 exactly, though summing
it numerically would leave rounding noise), as torch's var_backward does.

Where N − c ≤ 0 the value is inf, or NaN where x = x̄ everywhere (0/0), as torch. The
gradients there follow torch's too: reduced over every element, g·(NaN where x = x̄, else
inf), a constant; along dims, the formula with 2/(N − c) as the number it is (inf at 0).
"""
import math
import numbers

import numpy as np

from ..autograd import Function, backward_is_differentiated
from ..backend import array_module
from ..tensor import Tensor
from .elementwise import where
from .reduce import mean, normalize_axes
from .shape import reshape

__all__ = ["var", "std", "var_mean", "std_mean"]


class Var(Function):
    """var = Σ(x − x̄)²/(N − c) over ``axes``      dvar/dx = 2(x − x̄)/(N − c)

    (jvp: Σ t·dvar/dx over ``axes``, with the backward's dvar/dx: torch's var_jvp)
    """

    @staticmethod
    def forward(ctx, x, axes, correction, keepdim, everything):
        ctx.save_for_backward(x)
        ctx.args = (axes, correction, keepdim, everything)
        return _variance(x.array, axes, correction, keepdim)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return (_var_grad(x, grad, *ctx.args),) + (None,) * 4

    @staticmethod
    def jvp(ctx, tx, *t_args):
        return _var_jvp(ctx, tx)


class Std(Function):
    """std = √var over ``axes``      dstd/dx = (dvar/dx)·g/(2·std), 0 where std = 0 (torch's
    subgradient at a constant slice)      (jvp: (Σ t·dvar/dx)/(2·std), 0 where std = 0)"""

    saves_output = True   # backward reads the output kept on ctx

    @staticmethod
    def forward(ctx, x, axes, correction, keepdim, everything):
        ctx.save_for_backward(x)
        ctx.args = (axes, correction, keepdim, everything)
        ctx.y = x.backend.xp.sqrt(_variance(x.array, axes, correction, keepdim))
        return ctx.y

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        half_over_s = _over_twice_std(ctx, grad)
        return (_var_grad(x, half_over_s, *ctx.args),) + (None,) * 4

    @staticmethod
    def jvp(ctx, tx, *t_args):
        return _over_twice_std(ctx, _var_jvp(ctx, tx))


def _over_twice_std(ctx, g):
    """g / (2·std) of a Std node, 0 where std = 0 (the chain rule's factor d√v/dv)."""
    (x,) = ctx.saved_tensors
    if backward_is_differentiated():   # second order: std as a function of x again
        s = Std.apply(x, *ctx.args)
    else:
        s = Tensor._wrap(ctx.y, x.device)
    zero = Tensor._wrap(s.array == 0, x.device)
    return where(zero, 0.0, g / (2 * where(zero, 1.0, s)))


def _var_jvp(ctx, tx):
    """Σ t·dvar/dx over the axes of a Var or Std node: dvar/dx is ``_var_grad`` with the
    gradient 1 (the row of the Jacobian that backward applies)."""
    (x,) = ctx.saved_tensors
    axes, correction, keepdim, everything = ctx.args
    one = Tensor._wrap(x.backend.xp.ones((), x.dtype), x.device)
    derivative = _var_grad(x, one, axes, correction, True, everything)
    return (tx * derivative).sum(axis=axes, keepdims=keepdim)


def _variance(a, axes, correction, keepdim):
    xp = array_module(a)
    n = int(np.prod([a.shape[k] for k in axes]))
    with np.errstate(divide="ignore", invalid="ignore"):
        centred = a - (a.mean(axis=axes, keepdims=True) if n else xp.nan)
        return (centred * centred).sum(axis=axes, keepdims=keepdim) / max(0, n - correction)


def _var_grad(x, grad, axes, correction, keepdim, everything):
    """torch's var_backward (see the module docstring), written with ops."""
    n = int(np.prod([x.shape[k] for k in axes]))
    if not keepdim:
        grad = reshape(grad, tuple(1 if i in axes else s for i, s in enumerate(x.shape)))
    if everything and n - correction <= 0:
        xp = x.backend.xp
        with np.errstate(invalid="ignore"):   # (NaN and inf are the values meant here)
            flat = xp.where(x.array == x.array.mean(), xp.nan, xp.inf).astype(x.dtype)
            return grad * Tensor._wrap(flat, x.device)
    factor = 2.0 / (n - correction) if n != correction else math.inf
    with np.errstate(invalid="ignore"):   # inf·0 = NaN where x = x̄, as torch
        return factor * grad * (x - mean(x, axes, True))


def _arguments(x, dim, unbiased, correction, what):
    """(axes, correction, everything) of var/std: torch's spellings checked."""
    if isinstance(dim, bool):   # x.var(False): the old var(unbiased) form
        dim, unbiased = None, dim
    if not isinstance(x, Tensor) or x.dtype.kind != "f":
        raise TypeError(f"{what} needs a floating-point Tensor, got "
                        f"{getattr(x, 'dtype', type(x).__name__)}")
    if unbiased is not None and correction is not None:
        raise TypeError(f"{what}: give unbiased (the old spelling) or correction, not both")
    if correction is None:
        correction = 0 if unbiased is False else 1
    elif not isinstance(correction, numbers.Real) or isinstance(correction, bool):
        raise TypeError(f"{what}: correction must be a number, got {correction!r}")
    everything = dim is None or x.ndim == 0
    axes = normalize_axes(dim, x.ndim)   # None or (): every axis, as torch
    return axes, correction, everything


def var(x, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """Σ(x − x̄)²/(N − correction) over ``dim`` (an int, a tuple, None or () for all);
    ``unbiased`` is the older spelling of correction 1 (True) or 0 (False)."""
    axes, c, everything = _arguments(x, dim, unbiased, correction, "var")
    return Var.apply(x, axes, c, bool(keepdim), everything)


def std(x, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """√var over ``dim`` (see ``var``)."""
    axes, c, everything = _arguments(x, dim, unbiased, correction, "std")
    return Std.apply(x, axes, c, bool(keepdim), everything)


def var_mean(x, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """(var, mean) over ``dim``, as torch.var_mean."""
    axes, _, _ = _arguments(x, dim, unbiased, correction, "var_mean")
    return var(x, dim, unbiased, keepdim, correction=correction), mean(x, axes, keepdim)


def std_mean(x, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """(std, mean) over ``dim``, as torch.std_mean."""
    axes, _, _ = _arguments(x, dim, unbiased, correction, "std_mean")
    return std(x, dim, unbiased, keepdim, correction=correction), mean(x, axes, keepdim)
