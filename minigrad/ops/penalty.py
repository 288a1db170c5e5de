"""The Functions behind the penalties whose value is not a plain composition of ops.

    _GroupNorms         n_g = ‖w_g‖₂ per group             (GroupLasso)
    _TopSingularValue   σ₁ = u₁ᵀ W v₁                      (SpectralNorm)
    _NuclearNorm        ‖W‖_* = Σσᵢ                        (NuclearNorm)

They are used by ``minigrad/penalties/`` only, hence the leading underscore: the public names
``NuclearNorm`` etc. are the penalties. The spectral and nuclear norms hold singular vectors
constant in their backward, which is exact to first order only; their gradients are marked
with ``first_order_only`` so that differentiating them again raises instead of returning a
wrong Hessian. The jvp rules (forward mode):

    _GroupNorms         Σ_{i∈g} wᵢ·tᵢ / n_g        (0 on a zero group, the backward's subgradient)
    _TopSingularValue   u₁ᵀ T v₁                   (exact where σ₁ is simple)
    _NuclearNorm        trace(Uᵀ T V) = Σ T ⊙ U·Vᵀ (exact where W has full rank)

The last two hold U, V constant as their backward does: exact first derivatives, and their
tangents are marked first-order-only too (differentiating a tangent again raises).
"""
import numpy as np

from ..autograd import Function, backward_is_differentiated
from .elementwise import where
from .special import first_order_only
from ..backend import array_module
from ..tensor import Tensor


class _GroupNorms(Function):
    """n_g = ‖w_g‖₂ = √(Σ_{i∈g} wᵢ²)      ∂n_g/∂wᵢ = wᵢ / n_g  for i ∈ g

    At a zero group the norm has no derivative; the backward returns the subgradient 0 there
    (the minimum-norm element of its subdifferential, the unit ball). With create_graph the
    backward ``w · (g/n)`` is built from ops, so second derivatives are exact off zero groups.

    ``grouping`` says which elements form each group (``_AxisGroups`` / ``_IndexGroups`` in
    minigrad/penalties/group.py): ``sumsq(array)`` gives Σ_{i∈g} wᵢ² per group and
    ``expand(tensor)`` spreads one value per group back over w's elements.
    """

    @staticmethod
    def forward(ctx, w, grouping):
        ctx.save_for_backward(w)
        ctx.grouping = grouping
        ctx.norms = array_module(w.array).sqrt(grouping.sumsq(w.array))
        return ctx.norms

    @staticmethod
    def backward(ctx, grad):
        w, = ctx.saved_tensors
        grouping = ctx.grouping
        n = _GroupNorms.apply(w, grouping) if backward_is_differentiated() else \
            Tensor._wrap(ctx.norms, w.device)
        positive = n.array > 0
        nonzero = Tensor._wrap(positive.astype(n.dtype), n.device)   # 1 on groups with n > 0
        zero = Tensor._wrap((~positive).astype(n.dtype), n.device)   # 1 on zero groups
        safe = n * nonzero + zero                                     # n, with 1 where n = 0
        return w * grouping.expand(grad / safe * nonzero), None

    @staticmethod
    def jvp(ctx, tw, t_grouping):
        w, = ctx.saved_tensors
        n = _GroupNorms.apply(w, ctx.grouping) if backward_is_differentiated() else \
            Tensor._wrap(ctx.norms, w.device)
        zero = Tensor._wrap(ctx.norms == 0, w.device)
        return where(zero, 0.0, _group_sums(ctx.grouping, w * tw) / where(zero, 1.0, n))


def _group_sums(grouping, v):
    """Σ_{i∈g} vᵢ for each group g, a Tensor shaped like the group norms (the adjoint of
    ``grouping.expand``), with ops: a sum over the grouping's axes, or for explicit groups a
    scatter-add of each element into its group's slot (elements in no group left out)."""
    axes = getattr(grouping, "axes", None)
    if axes is not None:   # _AxisGroups
        return v.sum(axis=axes)
    xp = v.backend.xp   # _IndexGroups: gid (the group of each element), mask (in some group)
    slots = Tensor._wrap(xp.zeros(grouping.n, v.dtype), v.device)
    members = v * Tensor._wrap(grouping.mask.astype(v.dtype), v.device)
    return slots.scatter_add(0, Tensor._wrap(grouping.gid.reshape(-1), v.device),
                             members.reshape(-1))


class _TopSingularValue(Function):
    """σ₁ = u₁ᵀ W v₁ (u₁, v₁ the converged top singular vectors)      dσ₁/dW = u₁ v₁ᵀ

    Exact to first order; u₁, v₁ depend on W too, which a Hessian would need, so the gradient
    is marked first-order-only (differentiating it again raises).
    """

    @staticmethod
    def forward(ctx, w, u, v):
        ctx.u, ctx.v = u, v
        return u @ w.array @ v

    @staticmethod
    def backward(ctx, grad):
        uvt = Tensor._wrap(array_module(ctx.u).outer(ctx.u, ctx.v), grad.device)
        return first_order_only(grad * uvt, "SpectralNorm", grad, ctx.inputs[0]), None, None

    @staticmethod
    def jvp(ctx, tw, tu, tv):
        """u₁ᵀ T v₁ = Σ T ⊙ u₁v₁ᵀ (the jvp of a simple singular value; u, v are arrays)."""
        uvt = Tensor._wrap(array_module(ctx.u).outer(ctx.u, ctx.v), tw.device)
        return first_order_only((tw * uvt).sum(), "SpectralNorm", tw, ctx.inputs[0])


def _svd_uvt(W):
    """(σ, U·Vᵀ) of the array W, U·Vᵀ over the singular values above the rank tolerance
    (a subgradient of ‖W‖_*)."""
    xp = array_module(W)
    U, s, Vt = xp.linalg.svd(W, full_matrices=False)
    keep = s > max(W.shape) * np.finfo(W.dtype).eps * (float(s.max()) if s.size else 0.0)
    return s, (U * keep) @ Vt


class _NuclearNorm(Function):
    """y = ‖W‖_* = Σσᵢ      dy/dW = U·Vᵀ   (thin SVD; W of full rank, else a subgradient)

    The backward holds U·Vᵀ constant, which is exact to first order only (a Hessian would
    need the 1/(σᵢ ± σⱼ) terms of the SVD's derivative), so differentiating it again raises
    NonDifferentiableBackwardError rather than returning a wrong number.
    """

    @staticmethod
    def forward(ctx, w):
        s, ctx.uvt = _svd_uvt(w.array)
        return s.sum()

    @staticmethod
    def backward(ctx, grad):
        return first_order_only(grad * Tensor._wrap(ctx.uvt, grad.device), "NuclearNorm",
                                grad, *ctx.inputs)

    @staticmethod
    def jvp(ctx, tw):
        """trace(Uᵀ T V) = Σ T ⊙ U·Vᵀ (a subgradient's direction where W is rank-deficient)."""
        return first_order_only((tw * Tensor._wrap(ctx.uvt, tw.device)).sum(), "NuclearNorm",
                                tw, *ctx.inputs)
