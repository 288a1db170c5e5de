"""Entries of the differential registry (tests/_differential_registry.py): issue 12's math
functions, comparisons, selections, scans, spreads, norms, products.
"""
import math

import numpy as np
import torch

import minigrad as mg
from minigrad import ops

from _differential_registry import (  # noqa: F401
    C, KINDS, REGISTRY, STRUCT_KINDS, TENSOR_NOT_OPS, binary, op, unary
)
from _differential_core import (  # noqa: F401
    _arg_sample, _compare_sample, _pow_sample, _pow_scalar_sample, _rpow_sample
)
from _differential_known import (  # noqa: F401
    _BIG, _BY_NAME, _x, known, pin, relax
)

# ==== issue 12 (math): torch's math functions, comparisons, selections (named tuples), scans,
#      spreads, norms and products (minigrad/ops/trig.py rounding.py compare.py select.py
#      scan.py einsum.py, and the additions to elementwise.py reduce.py linalg.py) =============

for _n, _domain in (("sin", "real"), ("cos", "real"), ("tan", "real"), ("asin", "prob"),
                    ("acos", "prob"), ("atan", "real"), ("sinh", "real"), ("cosh", "real"),
                    ("log1p", "positive"), ("log2", "positive"), ("log10", "positive"),
                    ("rsqrt", "positive"), ("reciprocal", "nonzero"), ("square", "real"),
                    ("neg", "real"), ("erf", "real"), ("sign", "real"), ("floor", "real"),
                    ("ceil", "real"), ("trunc", "real"), ("frac", "real"), ("round", "real")):
    op(_n + ("_function" if _n in ("neg", "erf") else ""),
       [lambda x, n=_n: getattr(x, n)(), getattr(mg, _n), getattr(ops, _n)],
       getattr(torch, _n), unary(_domain), covers=(f"Tensor.{_n}", f"mg.{_n}", f"ops.{_n}"))

op("round_decimals", [lambda x, decimals: x.round(decimals=decimals),
                      lambda x, decimals: mg.round(x, decimals=decimals)],
   lambda x, decimals: torch.round(x, decimals=decimals),
   lambda c: ([c.x(c.shape())], dict(decimals=c.pick([1, 2, -1, 3, -2, 0]))),
   covers=("Tensor.round", "mg.round"), note="x·10ᵈ rounded, /10ᵈ (d < 0: /10⁻ᵈ, ·10⁻ᵈ)")
op("atan2", [lambda a, b: a.atan2(b), mg.atan2, ops.atan2], torch.atan2, binary(),
   covers=("Tensor.atan2", "mg.atan2", "ops.atan2"))
op("pow_function", [lambda a, b: a.pow(b), mg.pow, ops.pow], torch.pow, _pow_sample,
   covers=("Tensor.pow", "mg.pow", "ops.pow"), note="tensor exponent")
op("pow_function_scalar", [lambda x, p: x.pow(p), mg.pow, ops.pow], torch.pow,
   _pow_scalar_sample, covers=("Tensor.pow", "mg.pow", "ops.pow"), note="number exponent")
op("pow_function_rscalar", [lambda x, s: mg.pow(s, x), lambda x, s: ops.pow(s, x)],
   lambda x, s: torch.pow(s, x), _rpow_sample, covers=("mg.pow", "ops.pow"),
   note="number base")


def _clamp_tensor_sample(c):
    sx, slo, shi = c.broadcast_shapes(3)
    which = c.pick(["both", "min", "max"])
    return [c.x(sx), c.x(slo) if which != "max" else None,
            c.x(shi) if which != "min" else None], {}


op("clamp_tensor", [lambda x, lo, hi: x.clamp(min=lo, max=hi), lambda x, lo, hi: mg.clamp(x, lo, hi),
                    lambda x, lo, hi: x.clip(lo, hi), lambda x, lo, hi: ops.clip(x, min=lo, max=hi)],
   lambda x, lo, hi: torch.clamp(x, min=lo, max=hi), _clamp_tensor_sample,
   covers=("Tensor.clamp", "Tensor.clip", "mg.clamp", "ops.clip"),
   note="tensor bounds, broadcasting; in 'edge' values sit on the bounds and lo > hi occurs")

# -- comparisons and logic

_CANON = {"greater": "gt", "greater_equal": "ge", "less": "lt", "less_equal": "le",
          "not_equal": "ne"}
_CANON.update({h: h for h in ("eq", "ne", "lt", "le", "gt", "ge")})


def _compare_fn_sample(c):
    (a, b), _ = _compare_sample(c)
    return [a, b], dict(how=c.pick(sorted(_CANON)))


op("compare_functions", [lambda a, b, how: getattr(a, how)(b),
                         lambda a, b, how: getattr(mg, how)(a, b),
                         lambda a, b, how: getattr(ops, _CANON[how])(a, b)],
   lambda a, b, how: getattr(torch, how)(a, b), _compare_fn_sample, grad=False,
   kinds=("edge", "nonfinite", "zero_d"),
   covers=tuple(f"{p}.{h}" for h in _CANON for p in ("Tensor", "mg")) + tuple(
       f"ops.{h}" for h in ("eq", "ne", "lt", "le", "gt", "ge")))
op("isnan_isinf_isfinite", [lambda x, how: getattr(x, how)(), lambda x, how: getattr(mg, how)(x),
                            lambda x, how: getattr(ops, how)(x)],
   lambda x, how: getattr(torch, how)(x),
   lambda c: ([C(c.values(c.shape()))], dict(how=c.pick(["isnan", "isinf", "isfinite"]))),
   grad=False, kinds=("normal", "nonfinite", "zero_d", "empty"),
   covers=tuple(f"{p}.{h}" for h in ("isnan", "isinf", "isfinite")
                for p in ("Tensor", "mg", "ops")))


def _truth_values(c, shape):
    return C(c.rng.random(shape) < 0.5) if c.bool() else C(np.round(c.values(shape)))


def _logical_sample(c):
    sa, sb = c.broadcast_shapes(2)
    return [_truth_values(c, sa), _truth_values(c, sb)], dict(how=c.pick(
        ["logical_and", "logical_or", "logical_xor", "logical_not"]))


def _logical(lib):
    return lambda a, b, how: getattr(lib, how)(a) if how == "logical_not" else \
        getattr(lib, how)(a, b)


op("logical", [lambda a, b, how: getattr(a, how)() if how == "logical_not" else
               getattr(a, how)(b), _logical(mg), _logical(ops)], _logical(torch),
   _logical_sample, grad=False, kinds=("normal", "edge", "nonfinite", "zero_d", "empty"),
   covers=tuple(f"{p}.logical_{h}" for h in ("and", "or", "xor", "not")
                for p in ("Tensor", "mg", "ops")))


def _any_all_sample(c):
    shape = c.shape()
    return [_truth_values(c, shape)], dict(dim=c.axes(len(shape)), keepdim=c.bool(),
                                            how=c.pick(["any", "all"]))


def _torch_any_all(x, dim, keepdim, how):
    if dim is None:
        dim = tuple(range(x.dim()))
    return getattr(torch, how)(x, dim=dim, keepdim=keepdim) if x.dim() else getattr(torch, how)(x)


op("any_all", [lambda x, dim, keepdim, how: getattr(x, how)(dim, keepdim),
               lambda x, dim, keepdim, how: getattr(mg, how)(x, dim=dim, keepdim=keepdim),
               lambda x, dim, keepdim, how: getattr(ops, how)(x, dim, keepdim)],
   _torch_any_all, _any_all_sample, grad=False, kinds=("normal", "edge", "zero_d", "empty"),
   covers=("Tensor.any", "Tensor.all", "mg.any", "mg.all", "ops.any", "ops.all"))


def _close_sample(c):
    sa, sb = c.broadcast_shapes(2)
    a = c.values(sa)
    if c.bool():   # b near a: equal, or off by a relative 1e-9 ... 1e-3 (inf·0 is NaN: fine)
        with np.errstate(invalid="ignore"):
            b = a + a * c.pick([0.0, 1e-9, 1e-6, 1e-3]) * c.rng.standard_normal(sa)
    else:
        b = c.values(sb)
    return [C(a), C(b)], dict(rtol=c.pick([1e-5, 1e-3, 0.0]), atol=c.pick([1e-8, 1e-4, 0.0]),
                              equal_nan=c.bool())


op("isclose", [lambda a, b, **k: a.isclose(b, **k), lambda a, b, **k: mg.isclose(a, b, **k),
               lambda a, b, **k: ops.isclose(a, b, **k)],
   lambda a, b, **k: torch.isclose(a, b, **k), _close_sample, grad=False,
   covers=("Tensor.isclose", "mg.isclose", "ops.isclose"))
op("allclose", [lambda a, b, **k: mg.tensor(a.allclose(b, **k)),
                lambda a, b, **k: mg.tensor(mg.allclose(a, b, **k)),
                lambda a, b, **k: mg.tensor(ops.allclose(a, b, **k))],
   lambda a, b, **k: torch.tensor(torch.allclose(a, b, **k)), _close_sample, grad=False,
   covers=("Tensor.allclose", "mg.allclose", "ops.allclose"), note="a Python bool (wrapped)")
def _equal_sample(c):
    a = c.values(c.shape())
    b = c.pick(["same", "other values", "other shape"])
    b = {"same": a.copy(), "other values": c.values(a.shape)}.get(b, c.values(c.shape()))
    return [C(a), C(b)], {}


op("equal", [lambda a, b: mg.tensor(a.equal(b)), lambda a, b: mg.tensor(mg.equal(a, b)),
             lambda a, b: mg.tensor(ops.equal(a, b))],
   lambda a, b: torch.tensor(torch.equal(a, b)),
   lambda c: _equal_sample(c),
   grad=False, kinds=("normal", "edge", "nonfinite", "zero_d", "empty"),
   covers=("Tensor.equal", "mg.equal", "ops.equal"), note="a Python bool (wrapped)")

# -- max/min, sort, topk, kthvalue, median, mode: torch's named tuples (values, indices)


def _dim_sample(c, min_dims=0, values=True):
    shape = c.shape(min_dims, 3)
    x = c.x(shape) if values else C(c.values(shape))
    return [x], dict(dim=c.axis(len(shape)), keepdim=c.bool())


for _which in ("max", "min"):
    op(f"{_which}_dim", [
        lambda x, dim, keepdim, w=_which: getattr(x, w)(dim, keepdim).values,
        lambda x, dim, keepdim, w=_which: getattr(x, w)(dim=dim, keepdim=keepdim)[0],
        lambda x, dim, keepdim, w=_which: getattr(x, w)(axis=dim, keepdims=keepdim).values,
        lambda x, dim, keepdim, w=_which: getattr(mg, w)(x, dim, keepdim).values,
        lambda x, dim, keepdim, w=_which: getattr(ops, w)(x, dim, keepdim=keepdim).values],
       lambda x, dim, keepdim, w=_which: getattr(torch, w)(x, dim, keepdim).values, _dim_sample,
       covers=(f"Tensor.{_which}", f"mg.{_which}", f"ops.{_which}"),
       note="the gradient goes to the returned index only (amax shares ties)")
    op(f"{_which}_dim_indices", [
        lambda x, dim, keepdim, w=_which: getattr(x, w)(dim, keepdim).indices,
        lambda x, dim, keepdim, w=_which: getattr(x, w)(dim, keepdim)[1]],
       lambda x, dim, keepdim, w=_which: getattr(torch, w)(x, dim, keepdim).indices,
       lambda c: _dim_sample(c, values=False), grad=False, covers=(f"Tensor.{_which}",),
       note="int64, the first of ties, the first NaN")
    op(f"{_which}_all", [lambda x, w=_which: getattr(x, w)(), getattr(mg, _which)],
       getattr(torch, _which), unary(), covers=(f"Tensor.{_which}", f"mg.{_which}"),
       kinds=("normal", "edge", "extreme", "huge", "nonfinite", "zero_d"),
       note="x.max(): a 0-d value, ties share the gradient (of an empty tensor: both raise)")
    op(f"{_which}_other", [lambda a, b, w=_which: getattr(a, w)(b), getattr(mg, _which)],
       getattr(torch, _which), binary(), covers=(f"Tensor.{_which}", f"mg.{_which}"),
       note="x.max(other): the elementwise maximum")

_STABLE_WHY = ("torch orders equal elements in sort(stable=False), topk and kthvalue in a way "
               "it does not specify (its quickselect's); minigrad always takes the stable order "
               "(ops/select.py), so the twin is torch's stable sort, and real torch where the "
               "values have no ties ('normal')")


def _sort_sample(c, values=True):
    [x], k = _dim_sample(c, values=values)
    return [x], dict(dim=k["dim"], descending=c.bool(), stable=c.bool())


op("sort", [lambda x, dim, descending, stable: x.sort(dim, descending, stable=stable).values,
            lambda x, dim, descending, stable: mg.sort(x, dim=dim, descending=descending,
                                                       stable=stable)[0],
            lambda x, dim, descending, stable: ops.sort(x, dim, descending).values],
   lambda x, dim, descending, stable: torch.sort(x, dim=dim, descending=descending,
                                                 stable=True).values,
   _sort_sample, covers=("Tensor.sort", "mg.sort", "ops.sort"), deliberate=_STABLE_WHY)
op("sort_indices", [lambda x, dim, descending, stable: x.sort(dim, descending,
                                                              stable=stable).indices,
                    lambda x, dim, descending, stable: x.argsort(dim, descending, stable),
                    lambda x, dim, descending, stable: mg.argsort(x, dim, descending),
                    lambda x, dim, descending, stable: ops.argsort(x, dim=dim,
                                                                   descending=descending)],
   lambda x, dim, descending, stable: torch.sort(x, dim=dim, descending=descending,
                                                 stable=True).indices,
   lambda c: _sort_sample(c, values=False), grad=False,
   covers=("Tensor.sort", "Tensor.argsort", "mg.argsort", "ops.argsort"),
   deliberate=_STABLE_WHY)


def _topk_sample(c, values=True):
    shape = c.shape(1, 3)
    dim = c.axis(len(shape))
    x = c.x(shape) if values else C(c.values(shape))
    return [x], dict(k=c.int(0, shape[dim]), dim=dim, largest=c.bool(), sorted=c.bool())


def _stable_topk(x, k, dim, largest, sorted):
    s = torch.sort(x, dim=dim, descending=largest, stable=True)
    return torch.return_types.topk((s.values.narrow(dim, 0, k), s.indices.narrow(dim, 0, k)))


def _torch_topk(x, k, dim, largest, sorted):
    v = torch.topk(x, k, dim, largest, sorted).values
    return v if sorted else v.sort(dim, descending=largest).values   # (unsorted: any order)


_SELECT_KINDS = ("normal", "edge", "extreme", "huge", "nonfinite", "empty")
op("topk", [lambda x, **k: x.topk(**k).values, lambda x, **k: mg.topk(x, **k)[0],
            lambda x, k, dim, largest, sorted: ops.topk(x, k, dim, largest, sorted).values],
   lambda x, **k: _stable_topk(x, **k).values, _topk_sample, kinds=_SELECT_KINDS,
   torch_by_kind={"normal": _torch_topk}, covers=("Tensor.topk", "mg.topk", "ops.topk"),
   deliberate=_STABLE_WHY + "; sorted=False returns them sorted too (torch: any order)")
op("topk_indices", [lambda x, **k: x.topk(**k).indices],
   lambda x, **k: _stable_topk(x, **k).indices, lambda c: _topk_sample(c, values=False),
   grad=False, kinds=_SELECT_KINDS, covers=("Tensor.topk",), deliberate=_STABLE_WHY,
   note="sorted=True and False alike: the stable order")


def _kth_sample(c, values=True):
    [x], k = _dim_sample(c, 1, values)
    n = x.array.shape[k["dim"]]
    return [x], dict(k=c.int(1, max(n, 1)), dim=k["dim"], keepdim=k["keepdim"])


def _stable_kthvalue(x, k, dim, keepdim):
    s = torch.sort(x, dim=dim, stable=True)
    v, i = s.values.narrow(dim, k - 1, 1), s.indices.narrow(dim, k - 1, 1)
    return torch.return_types.kthvalue((v, i) if keepdim else (v.squeeze(dim), i.squeeze(dim)))


op("kthvalue", [lambda x, **k: x.kthvalue(**k).values, lambda x, **k: mg.kthvalue(x, **k)[0],
                lambda x, k, dim, keepdim: ops.kthvalue(x, k, dim, keepdim).values],
   lambda x, **k: _stable_kthvalue(x, **k).values, _kth_sample, kinds=_SELECT_KINDS,
   torch_by_kind={"normal": lambda x, **k: torch.kthvalue(x, **k).values},
   covers=("Tensor.kthvalue", "mg.kthvalue", "ops.kthvalue"), deliberate=_STABLE_WHY)
op("kthvalue_indices", [lambda x, **k: x.kthvalue(**k).indices],
   lambda x, **k: _stable_kthvalue(x, **k).indices, lambda c: _kth_sample(c, values=False),
   grad=False, kinds=_SELECT_KINDS, torch_by_kind={
       "normal": lambda x, **k: torch.kthvalue(x, **k).indices},
   covers=("Tensor.kthvalue",), deliberate=_STABLE_WHY)
_MODE_WHY = ("torch's mode sorts with '<', which NaN breaks (std::sort's order with NaN is "
             "undefined: [nan, -1.4] gives NaN, [nan, 1, nan] NaN, [nan, nan, 1, 1, nan] 1): no "
             "oracle; minigrad's rule (NaN the largest, each NaN its own value) is tested in "
             "test_torch_math.py")
for _which in ("median", "mode"):
    _kinds = _SELECT_KINDS if _which == "median" else tuple(
        k for k in _SELECT_KINDS if k != "nonfinite")
    op(_which, [lambda x, dim, keepdim, w=_which: getattr(x, w)(dim, keepdim).values,
                lambda x, dim, keepdim, w=_which: getattr(mg, w)(x, dim=dim, keepdim=keepdim)[0],
                lambda x, dim, keepdim, w=_which: getattr(ops, w)(x, dim, keepdim).values],
       lambda x, dim, keepdim, w=_which: getattr(torch, w)(x, dim, keepdim).values,
       lambda c: _dim_sample(c, 1), kinds=_kinds,
       covers=(f"Tensor.{_which}", f"mg.{_which}", f"ops.{_which}"),
       note="" if _which == "median" else "no 'nonfinite': " + _MODE_WHY)
    op(f"{_which}_indices",
       [lambda x, dim, keepdim, w=_which: getattr(x, w)(dim, keepdim).indices],
       lambda x, dim, keepdim, w=_which: getattr(torch, w)(x, dim, keepdim).indices,
       lambda c: _dim_sample(c, 1, values=False), grad=False, kinds=_kinds,
       covers=(f"Tensor.{_which}",))
op("median_all", [lambda x: x.median(), mg.median, ops.median], torch.median, unary(),
   covers=("Tensor.median", "mg.median", "ops.median"),
   note="the lower median of every element, ties share the gradient")
op("argmax_argmin_functions", [lambda x, dim, keepdim, how: getattr(mg, how)(x, dim, keepdim)],
   lambda x, dim, keepdim, how: getattr(torch, how)(x, dim=dim, keepdim=keepdim),
   lambda c: (lambda a, k: (a, dict(k, how=c.pick(["argmax", "argmin"]))))(*_arg_sample(c)),
   grad=False, covers=("mg.argmax", "mg.argmin"))

# -- products and scans, spreads, norms


def _prod_sample(c):
    shape = c.shape()
    return [c.x(shape)], dict(dim=c.axis(len(shape)) if c.int(0, 2) else None,
                              keepdim=c.bool())


def _torch_prod(x, dim, keepdim):
    if dim is None:
        return torch.prod(x).reshape((1,) * x.dim()) if keepdim else torch.prod(x)
    return torch.prod(x, dim, keepdim)


op("prod", [lambda x, dim, keepdim: x.prod(dim, keepdim),
            lambda x, dim, keepdim: mg.prod(x, dim=dim, keepdim=keepdim),
            lambda x, dim, keepdim: ops.prod(x, dim, keepdim)],
   _torch_prod, _prod_sample, covers=("Tensor.prod", "mg.prod", "ops.prod"),
   note="'edge' has zeros, one or more per slice: the gradient is the product of the others")
for _which in ("cumsum", "cumprod"):
    op(_which, [lambda x, dim, w=_which: getattr(x, w)(dim),
                lambda x, dim, w=_which: getattr(x, w)(dim=dim),
                lambda x, dim, w=_which: getattr(mg, w)(x, dim),
                lambda x, dim, w=_which: getattr(ops, w)(x, dim)],
       lambda x, dim, w=_which: getattr(torch, w)(x, dim),
       lambda c: (lambda s: ([c.x(s)], dict(dim=c.axis(len(s)))))(c.shape()),
       covers=(f"Tensor.{_which}", f"mg.{_which}", f"ops.{_which}"))


def _spread_sample(c):
    shape = c.shape()
    return [c.x(shape)], dict(dim=c.axes(len(shape)), correction=c.pick([1, 0, 2]),
                              keepdim=c.bool())


for _which in ("var", "std"):
    op(_which, [
        lambda x, dim, correction, keepdim, w=_which: getattr(x, w)(
            dim, keepdim=keepdim, correction=correction),
        lambda x, dim, correction, keepdim, w=_which: getattr(mg, w)(
            x, dim=dim, correction=correction, keepdim=keepdim),
        lambda x, dim, correction, keepdim, w=_which: getattr(ops, w)(
            x, dim, None, keepdim, correction=correction),
        lambda x, dim, correction, keepdim, w=_which: getattr(x, w)(dim, bool(correction), keepdim)
        if correction in (0, 1) else getattr(x, w)(dim, keepdim=keepdim, correction=correction)],
       lambda x, dim, correction, keepdim, w=_which: getattr(torch, w)(
           x, dim=dim, correction=correction, keepdim=keepdim), _spread_sample,
       covers=(f"Tensor.{_which}", f"mg.{_which}", f"ops.{_which}"),
       note="correction=/unbiased=, dims as int, tuple or None")
    op(f"{_which}_mean", [lambda x, dim, correction, keepdim, w=_which: mg.stack(getattr(
        mg, w + "_mean")(x, dim, keepdim=keepdim, correction=correction))],
       lambda x, dim, correction, keepdim, w=_which: torch.stack(getattr(torch, w + "_mean")(
           x, dim=dim, correction=correction, keepdim=keepdim)), _spread_sample,
       covers=(f"mg.{_which}_mean", f"ops.{_which}_mean"), note="the pair, stacked")


def _norm_sample(c):
    shape = c.shape()
    p = c.pick([2, "fro", 1, math.inf, -math.inf, 0, 3, 0.5, None])
    dim = c.axes(len(shape))
    if p == "fro" and isinstance(dim, tuple) and len(dim) > 2:
        dim = dim[:2]
    return [c.x(shape)], dict(p=p, dim=dim, keepdim=c.bool())


op("norm", [lambda x, p, dim, keepdim: x.norm(p, dim, keepdim),
            lambda x, p, dim, keepdim: mg.norm(x, p=p, dim=dim, keepdim=keepdim),
            lambda x, p, dim, keepdim: ops.vector_norms.norm(x, p, dim, keepdim)],
   lambda x, p, dim, keepdim: torch.norm(x, p=p, dim=dim, keepdim=keepdim), _norm_sample,
   covers=("Tensor.norm",), note="mg.norm is ops/vector_norms.py norm (ops.norm is a module)")
op("vector_norm", [lambda x, **k: mg.linalg.vector_norm(x, **k),
                   lambda x, **k: ops.vector_norm(x, **k)],
   lambda x, **k: torch.linalg.vector_norm(x, **k),
   lambda c: (lambda s: ([c.x(s)], dict(ord=c.pick([2, 1, math.inf, -math.inf, 0, 3, 0.5, -1]),
                                        dim=c.axes(len(s)), keepdim=c.bool())))(c.shape()),
   covers=("ops.vector_norm",))


def _matrix_norm_sample(c):
    shape = c.shape(2, 3)
    rows = c.axis(len(shape))
    cols = c.pick([a for a in range(-len(shape), len(shape)) if a % len(shape) != rows % len(shape)])
    return [c.x(shape)], dict(ord=c.pick(["fro", 1, -1, math.inf, -math.inf]), dim=(rows, cols),
                              keepdim=c.bool())


op("matrix_norm", [lambda x, **k: mg.linalg.matrix_norm(x, **k)],
   lambda x, **k: torch.linalg.matrix_norm(x, **k), _matrix_norm_sample,
   kinds=("normal", "edge", "extreme", "huge", "nonfinite", "empty"),
   note="minigrad.linalg.matrix_norm ('fro', ±1, ±inf)")

# -- products of fixed ranks, einsum


def _ranked_sample(which):
    def sample(c):
        b, m, k, n = (c.pick([1, 2, 3, 0]) for _ in range(4))
        shapes = {"mm": [(m, k), (k, n)], "bmm": [(b, m, k), (b, k, n)], "mv": [(m, k), (k,)],
                  "dot": [(k,), (k,)], "outer": [(m,), (n,)]}[which]
        return [c.x(s) for s in shapes], {}
    return sample


for _which in ("mm", "bmm", "mv", "dot", "outer"):
    op(_which, [lambda a, b, w=_which: getattr(a, w)(b), getattr(mg, _which),
                getattr(ops, _which)],
       getattr(torch, _which), _ranked_sample(_which), kinds=STRUCT_KINDS,
       covers=(f"Tensor.{_which}", f"mg.{_which}", f"ops.{_which}"))

_EINSUM = [("ij,jk->ik", "mk kn"), ("bij,bjk->bik", "bmk bkn"), ("ii->", "mm"), ("ii->i", "mm"),
           ("i,j->ij", "m n"), ("ij->", "mk"), ("ij->ji", "mk"), ("...ij->...ji", "bmk"),
           ("bn,anm,bm->ba", "bk nkm bm"), ("i,i", "k k"), ("ij,ij->i", "mk mk"),
           ("ij,j", "mk k"), ("ij,ij->ij", "1k mk"), ("bij,jk", "bmk kn"),
           ("...i,...i->...", "bk k"), ("ba", "mk"), ("iij->j", "mmk")]


def _einsum_sample(c):
    equation, shapes = c.pick(_EINSUM)
    size = {"1": 1, **{ch: c.pick([1, 2, 3] + ([0] if c.kind == "empty" else []))
                       for ch in "bmnka"}}
    return [c.x(tuple(size[ch] for ch in s)) for s in shapes.split()], dict(equation=equation)


op("einsum", [lambda *xs, equation: mg.einsum(equation, *xs),
              lambda *xs, equation: ops.einsum(equation, list(xs))],
   lambda *xs, equation: torch.einsum(equation, *xs), _einsum_sample,
   kinds=("normal", "edge", "extreme", "huge", "nonfinite", "empty"),
   covers=("mg.einsum", "ops.einsum"),
   note="products, traces, diagonals, sums, transposes, '...', implicit outputs, broadcasting")

TENSOR_NOT_OPS["__format__"] = ("Python protocol (f'{t:.4f}' of a 0-d tensor, as torch): "
                                "tests/test_torch_math.py")
_BY_NAME.update({e.name: e for e in REGISTRY})
relax("mm bmm mv dot einsum prod cumsum cumprod var std var_mean std_mean", "terms", "sums of products of values of very different sizes depend on the order of "
      "summation (see the 'terms' relaxation of matmul above)", kinds=_BIG)
relax("pow_function pow_function_rscalar", "torch_nan", "Pow's documented convention at a zero "
      "base (see 'pow' above)", kinds=KINDS + ("masked", "spellings"), checks=("second",))
relax("var std var_mean std_mean", "normwise", "x − x̄ over values 1e30 beside 1.5 keeps only "
      "the digits of the mean's rounding, which depends on the order of summation (minigrad "
      "−2.14e12, torch −1.88e12 where the terms are 1e30): compared within rtol·max|torch| "
      "(the 'terms' bound needs a non-0-d output in tests/test_differential.py)", kinds=_BIG)
relax("std std_mean", "unchecked", "the Hessian of std scales as 1/std: on a slice of values "
      "1e−30 it is rounding noise of size 1e30·ulp (torch −1.3e13 at [1e−30, −1e−30], where "
      "the exact value is 0: a two-element std is |a − b|/√2, linear; minigrad 0); only "
      "NaN/inf places compared", kinds=_BIG, checks=("second",))
relax("einsum", "torch_nan", "products of ±inf and NaN entries: where torch's contraction order "
      "meets inf·0 or inf − inf first (NaN) numpy's may keep ±inf", kinds=("nonfinite",),
      checks=("backward", "create_graph", "second"))
relax("prod cumprod", "unchecked", "both libraries differentiate the product of the others as "
      "prod/xᵢ (cumprod: (Σ gₖyₖ)/xᵢ), whose derivative subtracts terms of size |y|/xᵢ² that "
      "cancel exactly (the Hessian of x₀x₁ is [[0, 1], [1, 0]]): at [1.5, −1e15] both return "
      "rounding noise (minigrad 0.078, torch 0.080 where 0 is exact); only NaN/inf places "
      "compared", kinds=_BIG, checks=("second",))
relax("prod", "torch_nan", "the derivative of a product of one element is 1 (minigrad: the "
      "identity's); torch divides prod/x = inf/inf = NaN at x = ±inf", kinds=("nonfinite",),
      checks=("backward", "create_graph"))
relax("var_mean std_mean", "torch_nan", "torch's var_mean/std_mean find the mean by Welford's "
      "update, NaN for a slice with ±inf (inf − inf); minigrad's is torch.mean's (−inf for "
      "[−inf, −1.2])", kinds=("nonfinite",), checks=("forward",))
relax("atan2", "torch_nan", "at the origin (and where x² + y² underflows to 0) both take the "
      "first derivative as 0 (torch's mask); the second derivative there is torch's NaN and "
      "minigrad's the derivative of its masked expression", kinds=("edge", "huge"),
      checks=("second",))
relax("prod", "torch_nan", "a product of ±1e±300 values over/underflows by the order of "
      "multiplication: where torch's prod/x is NaN (0·inf) minigrad's may be ±inf",
      kinds=("huge",), checks=("backward", "create_graph", "second"))
relax("prod", "torch_nan", "the second derivative of a product of one element is 0 (minigrad: "
      "the identity's); torch's comes from inf/inf", kinds=("nonfinite",), checks=("second",))
relax("norm vector_norm", "torch_nan", "for p < 1 the gradient at x = 0 is 0 in both (torch's "
      "mask); minigrad also differentiates the masked expression (0), torch's second derivative "
      "is NaN there", kinds=("edge",), checks=("second",))
relax("norm vector_norm", "unchecked", "p-norms of values 1e−30 beside 1e15 are ill-conditioned: "
      "for p = −1 at [−1e−30, 1e15] the exact second derivative is about −2e−15·v; torch returns "
      "−1.3e13 (cancellation of terms ~1e30), minigrad 0; only NaN/inf places compared",
      kinds=_BIG, checks=("second",))
relax("matrix_norm", "torch_nan", "ord ±1/±inf is amax/amin of |a| sums: a NaN is the max of its "
      "slice and gets the gradient (see the 'amax amin' relaxation above); torch's amax backward "
      "gives NaN", kinds=("nonfinite",), checks=("backward", "create_graph"))
known("pow_function", "huge", "second", "as 'pow' (the same Pow Function): a ** b at a = 1.5, "
      "b = −1e200: the second derivative is NaN where torch's is 0")
pin("pow_function", "huge", [_x(1.5), _x(-1e200)])
known("norm vector_norm matrix_norm", "huge", "forward backward create_graph second",
      "a deliberate difference, kept here because torch is no oracle for it: the 2-norm is "
      "L2Norm (ops/norm.py), which scales by max|x| before squaring, so ‖[1.5, −1e200]‖ is "
      "1e200; torch 2.13's overflows to inf")
pin("norm", "huge", [_x(1.5, -1e200)], p=2, dim=0, keepdim=False)
pin("vector_norm", "huge", [_x(1.5, -1e200)], ord=2, dim=0, keepdim=False)
pin("matrix_norm", "huge", [_x(1.5, -1e200, 1e200, 1e-300, shape=(2, 2))], ord="fro",
    dim=(0, -1), keepdim=False)
