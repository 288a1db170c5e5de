"""Scans: running sums and products along a dimension (torch.cumsum, torch.cumprod).

    cumsum    yₖ = Σ_{j≤k} xⱼ      dL/dxᵢ = Σ_{k≥i} gₖ              (a reversed running sum)
    cumprod   yₖ = Π_{j≤k} xⱼ      dL/dxᵢ = Σ_{k≥i} gₖ Π_{j≤k, j≠i} xⱼ

and in forward mode (a tangent t of x)

    cumsum    dyₖ = Σ_{j≤k} tⱼ                                   (linear: the running sum of t)
    cumprod   dyₖ = Σ_{i≤k} tᵢ Π_{j≤k, j≠i} xⱼ

Both backwards and both jvps are written with cumsum, cumprod, indexing and where, so they are
differentiable again. An integer or bool tensor gives int64, as torch.
"""
import numpy as np

from ..autograd import Function
from ..tensor import Tensor
from .shape import GetItem, _axis

__all__ = ["cumsum", "cumprod"]


def _reversed(t, dim):
    """t with ``dim`` read backwards (x.flip(dim)), by indexing: differentiable."""
    return GetItem.apply(t, (slice(None),) * dim + (slice(None, None, -1),))


def _reverse_cumsum(g, dim):
    """zᵢ = Σ_{k≥i} gₖ along dim"""
    return _reversed(CumSum.apply(_reversed(g, dim), dim), dim)


class CumSum(Function):
    """yₖ = Σ_{j≤k} xⱼ along ``dim``      dL/dxᵢ = Σ_{k≥i} gₖ (the running sum of g, backwards)
    Linear: jvp is the running sum of the tangent."""

    @staticmethod
    def forward(ctx, x, dim):
        ctx.dim = dim
        return x.backend.xp.cumsum(x.array, axis=dim)

    @staticmethod
    def backward(ctx, grad):
        return _reverse_cumsum(grad, ctx.dim), None

    @staticmethod
    def jvp(ctx, tx, _):
        return CumSum.apply(tx, ctx.dim)


class CumProd(Function):
    """yₖ = Π_{j≤k} xⱼ along ``dim``      dL/dxᵢ = Σ_{k≥i} gₖ Π_{j≤k, j≠i} xⱼ

    Without zeros that is (Σ_{k≥i} gₖ yₖ)/xᵢ. Where a slice has a zero, let z be its first
    zero and u be x with x_z replaced by 1:

        i < z:   (Σ_{k≥i} gₖ yₖ)/xᵢ, as above (xᵢ ≠ 0, and yₖ = 0 for k ≥ z)
        i = z:   Σ_{k≥z} gₖ Π_{j≤k, j≠z} uⱼ  = the same gradient of cumprod(u), at z
        i > z:   x_z · (the gradient of cumprod(u), at i): x_z is a factor of every term

    and the gradient of cumprod(u) is found the same way (u has one zero less per slice).
    x_z stays a variable in these identities, so their derivatives are exact too.

    jvp: dyₖ = Σ_{i≤k} tᵢ Π_{j≤k, j≠i} xⱼ, which is yₖ·Σ_{i≤k} tᵢ/xᵢ without zeros. With
    z, u as above and t' = t with t_z replaced by 0, split off the term i = z:

        k < z:   yₖ·Σ_{i≤k} tᵢ/xᵢ, as above
        k ≥ z:   t_z·cumprod(u)ₖ + x_z·(the jvp of cumprod at u along t')ₖ

    the second term being 0 at x_z = 0 (torch's rule keeps only the first); written out, it
    keeps the tangent's own derivative in x_z exact (reverse over forward), as in backward.
    """

    @staticmethod
    def forward(ctx, x, dim):
        ctx.save_for_backward(x)
        ctx.dim = dim
        return x.backend.xp.cumprod(x.array, axis=dim)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        if x.shape[ctx.dim] == 1:   # the identity (so no division by x: x may be 0 or inf)
            return grad, None
        return _cumprod_grad(x, grad, ctx.dim), None

    @staticmethod
    def jvp(ctx, tx, _):
        (x,) = ctx.saved_tensors
        if x.shape[ctx.dim] == 1:   # the identity (no division by x, which may be 0 or inf)
            return tx
        return _cumprod_jvp(x, tx, ctx.dim)


def _cumprod_grad(x, g, dim):
    from .elementwise import where
    levels = []
    while True:
        zero = x.array == 0
        if not bool(zero.any()):
            break
        xp = x.backend.xp
        seen = xp.cumsum(zero, axis=dim)             # zeros at or before each place
        before = Tensor._wrap(seen == 0, x.device)
        first = zero & (seen == 1)
        x_z = where(Tensor._wrap(first, x.device), x, 0.0).sum(axis=dim, keepdims=True)
        factor = where(Tensor._wrap((seen >= 1) & ~first, x.device), x_z, 1.0)   # i > z
        head = _reverse_cumsum(g * CumProd.apply(x, dim), dim) / where(before, x, 1.0)
        levels.append((before, head, factor))
        x = where(Tensor._wrap(first, x.device), 1.0, x)
    out = _reverse_cumsum(g * CumProd.apply(x, dim), dim) / x
    for before, head, factor in reversed(levels):
        out = where(before, head, factor * out)
    return out


def _cumprod_jvp(x, t, dim):
    """The jvp of cumprod (see CumProd): y·cumsum(t/x) up to each slice's first zero z;
    from z on t_z·cumprod(u) + x_z·(the jvp at u along t'), found the same way (u has one
    zero less per slice)."""
    from .elementwise import where
    y = CumProd.apply(x, dim)   # recomputed from x: the tangent's own derivative sees it
    zero = x.array == 0
    if not bool(zero.any()):
        return y * CumSum.apply(t / x, dim)
    xp = x.backend.xp
    seen = xp.cumsum(zero, axis=dim)                      # zeros at or before each place
    first = Tensor._wrap(zero & (seen == 1), x.device)    # the first zero of each slice
    after = Tensor._wrap(seen >= 1, x.device)             # it and the places after it
    head = y * CumSum.apply(t / where(after, 1.0, x), dim)   # divides only where x ≠ 0
    x_z = where(first, x, 0.0).sum(axis=dim, keepdims=True)
    t_z = where(first, t, 0.0).sum(axis=dim, keepdims=True)
    u = where(first, 1.0, x)
    tail = t_z * CumProd.apply(u, dim) + x_z * _cumprod_jvp(u, where(first, 0.0, t), dim)
    return where(after, tail, head)


def _scan(fn, x, dim, what):
    if not isinstance(x, Tensor):
        raise TypeError(f"{what} expects a Tensor, got {type(x).__name__}")
    if dim is None:
        raise TypeError(f"{what}() needs a dim (torch has no default)")
    dim = _axis(dim, x.ndim, "dim")
    if x.dtype.kind in "biu":
        x = Tensor._wrap(x.array.astype(np.int64), x.device)
    if x.ndim == 0:
        return fn.apply(x.reshape(1), 0).reshape(())
    return fn.apply(x, dim)


def cumsum(x, dim):
    """The running sum along ``dim`` (torch.cumsum)."""
    return _scan(CumSum, x, dim, "cumsum")


def cumprod(x, dim):
    """The running product along ``dim`` (torch.cumprod); exact gradients with zeros."""
    return _scan(CumProd, x, dim, "cumprod")
