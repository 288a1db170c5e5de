"""Entries of the differential registry (tests/_differential_registry.py): issue 12's
nn.functional surface (conv groups/padding, pooling modes, pad, normalize p, ...).
"""
import numpy as np
import torch
import torch.nn.functional as TF

import minigrad.nn.functional as F
from minigrad import ops

from _differential_registry import (  # noqa: F401
    C, ROW_KINDS, Relax, SHAPE_KINDS, STRUCT_KINDS, op, unary
)
from _differential_nn import (  # noqa: F401
    _class_problem, _pool_sample, _window_in_padding
)

# ==== issue 12 (func): nn.functional's torch surface ==========================================
# unbatched inputs, conv groups / string padding / conv1d, pad, ceil_mode and return_indices,
# adaptive pooling, normalize with p ≠ 2, cosine_similarity, one_hot, silu, mish, soft targets

_BIG_KINDS = ("extreme", "huge")


def _conv_surface_sample(c, spatial=2):
    groups, per_group, out_per_group = c.pick([1, 2, 3]), c.pick([1, 2]), c.pick([1, 2])
    padding = c.pick(["same", "valid", 0, 1] + ([(1, 0)] if spatial == 2 else []))
    stride = 1 if padding == "same" else c.pick([1, 2])
    dilation = c.pick([1, 2])
    pads = (padding,) * spatial if isinstance(padding, int) else padding \
        if isinstance(padding, tuple) else (0,) * spatial
    kernel, size = [], []
    for p in pads:
        k = c.pick([1, 2, 3])
        kernel.append(k)
        size.append(c.int(max(1, dilation * (k - 1) + 1 - 2 * p), dilation * (k - 1) + 3))
    lead = () if c.bool() else (c.pick([1, 2]),)       # unbatched or batched
    o = groups * out_per_group
    bias = c.x((o,)) if c.bool() else None
    return [c.x(lead + (groups * per_group,) + tuple(size)),
            c.x((o, per_group) + tuple(kernel)), bias], dict(
        stride=stride, padding=padding, dilation=dilation, groups=groups)


op("conv2d_groups_padding", [lambda x, w, b, **k: F.conv2d(x, w, b, **k)],
   lambda x, w, b, **k: TF.conv2d(x, w, b, **k), _conv_surface_sample, covers=("F.conv2d",),
   kinds=STRUCT_KINDS,
   relax=[Relax("terms", "sums of terms of very different sizes: as conv2d's", _BIG_KINDS)],
   note="groups (depthwise included), padding 'same' (even kernels: the extra zero on the "
        "right/bottom) and 'valid', unbatched (C, H, W) inputs")
op("conv1d", [lambda x, w, b, **k: F.conv1d(x, w, b, **k)],
   lambda x, w, b, **k: TF.conv1d(x, w, b, **k), lambda c: _conv_surface_sample(c, 1),
   covers=("F.conv1d",), kinds=STRUCT_KINDS,
   relax=[Relax("terms", "sums of terms of very different sizes: as conv2d's", _BIG_KINDS)],
   note="(N, C, L) and unbatched (C, L); groups, 'same'/'valid' padding, stride, dilation")


def _pad_sample(c):
    mode = "constant" if c.kind == "empty" else c.pick(
        ["constant", "constant", "reflect", "replicate", "circular"])
    if mode == "constant":
        shape = c.shape(1, 4)
        amounts = []
        for axis in reversed(range(len(shape) - c.int(1, len(shape)), len(shape))):
            amounts += [c.pick([0, 1, 2, -1]), c.pick([0, 1, 2, -1])]
        return [c.x(shape)], dict(pad=tuple(amounts), mode=mode,
                                  value=c.pick([None, 0.0, 1.5, -np.inf]))
    padded = c.int(1, 3)
    shape = tuple(c.pick([1, 2, 3]) for _ in range(padded + c.pick([1, 2])))
    amounts = []
    for axis in reversed(range(len(shape) - padded, len(shape))):
        top = {"reflect": shape[axis] - 1, "circular": shape[axis], "replicate": 3}[mode]
        amounts += [c.int(0, top), c.int(0, top)]
    return [c.x(shape)], dict(pad=tuple(amounts), mode=mode)


op("pad", [lambda x, **k: F.pad(x, **k)], lambda x, **k: TF.pad(x, **k), _pad_sample,
   covers=("F.pad",), kinds=STRUCT_KINDS + ("empty",),
   note="constant (negative amounts crop; value −inf too), reflect, replicate, circular on "
        "the last 1-3 axes of a batched or unbatched input")


def _ceil_windows_outside(size, k, s, p, d):
    """Whether some window of torch's ceil_mode output reads no input entry (possible with
    dilation; torch's max_pool2d then indexes out of bounds, see _max_pool_sample)."""
    span = size + 2 * p - d * (k - 1) - 1
    out = (span + s - 1) // s + 1
    if (out - 1) * s >= size + p:
        out -= 1
    return any(all(not 0 <= o * s + i * d - p < size for i in range(k)) for o in range(out))


def _pool_surface_sample(c, dilation=True):
    shape, kw, d = _pool_sample(c, dilation)
    k = kw["kernel_size"]
    kh, kwid = (k, k) if isinstance(k, int) else k
    s = kw["stride"] or k
    sh, sw = (s, s) if isinstance(s, int) else s
    if d > 1 and (_ceil_windows_outside(shape[2], kh, sh, kw["padding"], d)
                  or _ceil_windows_outside(shape[3], kwid, sw, kw["padding"], d)
                  or _window_in_padding(shape[2], kh, sh, kw["padding"], d)
                  or _window_in_padding(shape[3], kwid, sw, kw["padding"], d)):
        d = 1
    if c.bool():
        shape = shape[1:]                                  # unbatched (C, H, W)
    return shape, dict(kw, ceil_mode=c.bool()), d


def _max_pool_surface_sample(c):
    shape, kw, d = _pool_surface_sample(c)
    return [c.x(shape)], dict(kw, dilation=d)


op("max_pool2d_ceil_unbatched", [lambda x, **k: F.max_pool2d(x, **k)],
   lambda x, **k: TF.max_pool2d(x, **k), _max_pool_surface_sample, covers=("F.max_pool2d",),
   kinds=STRUCT_KINDS,
   note="ceil_mode (torch's rule: the last window starts inside the input or its left "
        "padding), unbatched (C, H, W); ties and NaNs as torch's kernel picks them")
op("max_pool2d_indices", [lambda x, **k: F.max_pool2d(x, return_indices=True, **k)[1]],
   lambda x, **k: TF.max_pool2d(x, return_indices=True, **k)[1], _max_pool_surface_sample,
   covers=("F.max_pool2d",), kinds=STRUCT_KINDS, grad=False,
   note="return_indices=True: the flat index h·W + w of each chosen entry (int64)")


def _avg_pool_surface_sample(c):
    shape, kw, _ = _pool_surface_sample(c, dilation=False)
    return [c.x(shape)], dict(kw, count_include_pad=c.bool(),
                              divisor_override=c.pick([None, None, 1, 3]))


op("avg_pool2d_ceil_unbatched", [lambda x, **k: F.avg_pool2d(x, **k)],
   lambda x, **k: TF.avg_pool2d(x, **k), _avg_pool_surface_sample, covers=("F.avg_pool2d",),
   kinds=STRUCT_KINDS,
   relax=[Relax("terms", "sums of terms of very different sizes: as avg_pool2d's", _BIG_KINDS)],
   note="ceil_mode (a window past the padding is cut there for the divisor), unbatched")


def _adaptive_sample(c):
    h, w = c.pick([1, 2, 3, 4, 5, 6]), c.pick([1, 2, 3, 4, 5])
    # an empty batch (torch refuses, or not, other empty axes depending on the output size)
    lead = (0,) if c.kind == "empty" else (c.pick([1, 2]),) if c.bool() else ()
    size = c.pick([1, 2, 3, 4])
    output_size = size if c.bool() else (c.pick([None, 1, 2, 3, 4]), c.pick([None, 1, 2, 3]))
    return [c.x(lead + (c.pick([1, 2]), h, w))], dict(output_size=output_size)


op("adaptive_avg_pool2d", [lambda x, **k: F.adaptive_avg_pool2d(x, **k)],
   lambda x, **k: TF.adaptive_avg_pool2d(x, **k), _adaptive_sample,
   covers=("F.adaptive_avg_pool2d",), kinds=STRUCT_KINDS + ("empty",),
   relax=[Relax("terms", "sums of terms of very different sizes, added in another order",
                _BIG_KINDS)],
   note="tiling windows (avg_pool2d) and torch's overlapping ⌊i·H/OH⌋…⌈(i+1)·H/OH⌉ ones; "
        "None keeps a size; unbatched; an empty input gives NaN as torch")


def _normalize_p_sample(c):
    shape = c.shape(1, 3)
    # general p: torch's Σ|x|^p overflows for huge values (minigrad scales by max|x|: the
    # deliberate difference of normalize's huge kind), so there only the powers that do not
    ps = [1, np.inf, -np.inf, 0] + ([] if c.kind == "huge" else [3, 0.5, 1.5, -1.0])
    return [c.x(shape)], dict(p=c.pick(ps), dim=c.axis(len(shape)), eps=c.pick([1e-12, 0.5]))


op("normalize_p", [lambda x, **k: F.normalize(x, **k)], lambda x, **k: TF.normalize(x, **k),
   _normalize_p_sample, covers=("F.normalize",), kinds=ROW_KINDS,
   relax=[Relax("torch_nan", "at a zero entry with p < 1 (or a zero vector) the derivative "
                "of the norm is infinite (0/0): minigrad's second derivative keeps the "
                "subgradient 0 that both use in the first (ops/norm.py LpNorm); torch's double "
                "backward gives NaN", ("edge",), ("second",))],
   note="p = 1, ±inf (ties share the gradient), 0 (the count of nonzeros), 3, 0.5, 1.5, −1; "
        "torch's subgradient 0 at zero entries and zero vectors")


def _cosine_sample(c):
    s1, s2 = c.broadcast_shapes(2, min_dims=1)
    ndim = max(len(s1), len(s2))
    if ndim == 0:
        s1 = s2 = (c.pick([1, 2, 3]),)
        ndim = 1
    return [c.x(s1), c.x(s2)], dict(dim=c.axis(ndim), eps=c.pick([1e-8, 1e-6]))


def _exact_cosine(x1, x2, dim, eps):
    """minigrad's documented formula with torch ops: the clamp recorded by autograd."""
    x1, x2 = torch.broadcast_tensors(x1, x2)
    return (TF.normalize(x1, 2.0, dim, eps) * TF.normalize(x2, 2.0, dim, eps)).sum(dim)


op("cosine_similarity", [lambda a, b, **k: F.cosine_similarity(a, b, **k)],
   lambda a, b, **k: TF.cosine_similarity(a, b, **k), _cosine_sample,
   covers=("F.cosine_similarity",), kinds=("normal", "edge", "extreme", "nonfinite", "empty"),
   torch_by_kind=dict(extreme=_exact_cosine),
   # second derivatives of x/‖x‖ cancel terms of size |g·v|/‖x‖²: along an axis of size 1
   # (cosine ±1, second derivative exactly 0) torch left −1.9e−9 with ‖x2‖ = 6.7e−4
   tol={("normal", "second"): (1e-7, 1e-6)},
   relax=[Relax("torch_nan", "a zero vector (below eps) is x/eps, linear: minigrad's second "
                "derivative uses L2Norm's subgradient 0 there; torch's norm double backward "
                "gives 0/0 = NaN", ("edge",), ("second",)),
          Relax("unchecked", "second derivatives beside a vector below eps (x/eps) cancel "
                "terms of size up to 1/eps = 1e8: an exact 0 comes out as rounding noise in "
                "one library or the other (minigrad −3.7e−9 where torch 0; torch 7.7e−9 where "
                "minigrad's is the exact 0, x1 = [−0.75], x2 = [1e−30]); only NaN/inf places "
                "compared", ("edge", "extreme"), ("second",))],
   deliberate="where 0 < ‖x‖ < eps torch clamps the norm under no_grad, so its gradient is not "
              "the derivative of the value it returns (x/eps); minigrad's is. In the extreme "
              "kind (rows of 1e−30) the twin is the formula with the clamp recorded. No huge "
              "kind: as normalize's, torch's norm overflows (tested in "
              "test_functional_surface.py)",
   note="x1 and x2 broadcast together")


def _one_hot_sample(c):
    k = c.pick([1, 2, 3, 4])
    return [C(c.rng.integers(0, k, size=c.shape(0, 3)).astype(np.int64))], dict(
        num_classes=c.pick([-1, k, k + 2]))


op("one_hot", [lambda t, **k: F.one_hot(t, **k)], lambda t, **k: TF.one_hot(t, **k),
   _one_hot_sample, covers=("F.one_hot",), kinds=SHAPE_KINDS, grad=False,
   note="int64 output; num_classes=-1 infers max + 1 (an empty tensor is refused by both)")
op("silu", [F.silu], TF.silu, unary(), covers=("F.silu",))
op("mish", [F.mish], TF.mish, unary(), covers=("F.mish",),
   relax=[Relax("torch_nan", "torch's mish double backward is NaN for |x| ≳ 1e8 (its formula "
                "forms inf/inf); the limit, minigrad's value, is 0", _BIG_KINDS, ("second",))])


def _ce_probability_sample(c):
    x, _, weight, options = _class_problem(c, ignore=False)
    return [x, c.x(x.array.shape, "prob"), weight], options


op("cross_entropy_probabilities", [lambda x, t, w, **k: F.cross_entropy(x, t, w, **k)],
   lambda x, t, w, **k: TF.cross_entropy(x, t, w, **k), _ce_probability_sample,
   covers=("F.cross_entropy",), kinds=STRUCT_KINDS + ("masked",),
   note="class-probability targets (the input's shape), differentiable in the target too; "
        "weight, label_smoothing, layouts (N, C), (C,), (N, C, d); mean over rows")


