"""Entries of the differential registry (tests/_differential_registry.py): arithmetic, elementwise
functions, reductions, shape, comparisons.
"""
import itertools
import math

import numpy as np
import torch

import minigrad as mg
import minigrad.nn.functional as F
from minigrad import ops

from _differential_registry import (  # noqa: F401
    C, I, REGISTRY, ROW_KINDS, SHAPE_KINDS, STRUCT_KINDS, binary, op, unary, with_const_array,
    with_scalar
)

# ==== arithmetic ===============================================================================

for _name, _sym, _fn, _db in (("add", "+", lambda a, b: a + b, "real"),
                              ("sub", "-", lambda a, b: a - b, "real"),
                              ("mul", "*", lambda a, b: a * b, "real"),
                              ("div", "/", lambda a, b: a / b, "nonzero")):
    dunder = {"add": "add", "sub": "sub", "mul": "mul", "div": "truediv"}[_name]
    op(_name, [_fn], _fn, binary("real", _db), covers=(f"Tensor.__{dunder}__",),
       note=f"tensor {_sym} tensor, shapes broadcasting")
    op(f"{_name}_scalar", [lambda x, s, f=_fn: f(x, s)], lambda x, s, f=_fn: f(x, s),
       with_scalar("real", _db), covers=(f"Tensor.__{dunder}__",), note=f"tensor {_sym} number")
    op(f"r{_name}_scalar", [lambda x, s, f=_fn: f(s, x)], lambda x, s, f=_fn: f(s, x),
       with_scalar(_db if _name == "div" else "real"), covers=(f"Tensor.__r{dunder}__",),
       note=f"number {_sym} tensor")
    op(f"r{_name}_array", [lambda x, k, f=_fn: f(k.numpy(), x)],
       lambda x, k, f=_fn: f(k, x), with_const_array(_db if _name == "div" else "real"),
       covers=(f"Tensor.__r{dunder}__",), note=f"numpy array {_sym} tensor (numpy defers)")

class _TorchDiv(torch.autograd.Function):
    """a / b differentiated as g/b and −(g·(a/b))/b: the order that neither overflows nor
    underflows where the derivative is finite (issue 11's formula)."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a / b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        ga = (g / b).sum_to_size(a.shape) if ctx.needs_input_grad[0] else None
        gb = (-(g * _TorchDiv.apply(a, b)) / b).sum_to_size(b.shape) \
            if ctx.needs_input_grad[1] else None
        return ga, gb


def _torch_div(a, b):
    a, b = (v if isinstance(v, torch.Tensor) else torch.tensor(v, dtype=torch.float64)
            for v in (a, b))
    return _TorchDiv.apply(a, b)


_DIV_WHY = ("torch's div backward forms the derivative in an order that under/overflows where "
            "it is finite (s/x at s = x = −1e−300: torch −inf, the derivative −s/x² = 1e300); in "
            "the huge kind the twin differentiates a/b as g/b and −(g·(a/b))/b")
for _n in ("div", "div_scalar", "rdiv_scalar", "rdiv_array"):
    _e = [e for e in REGISTRY if e.name == _n][0]
    _e.torch_by_kind["huge"] = {
        "div": _torch_div, "div_scalar": _torch_div,
        "rdiv_scalar": lambda x, s: _torch_div(s, x),
        "rdiv_array": lambda x, k: _torch_div(k, x)}[_n]
    _e.deliberate = _DIV_WHY

# the operators as functions and methods (torch.add(a, b, alpha=), x.mul(y), ...)
for _name, _db in (("add", "real"), ("sub", "real"), ("mul", "real")):
    op(f"{_name}_function", [lambda a, b, n=_name: getattr(a, n)(b), getattr(mg, _name),
                             getattr(ops, _name)],
       getattr(torch, _name), binary("real", _db),
       covers=(f"Tensor.{_name}", f"mg.{_name}", f"ops.{_name}"),
       note=f"torch.{_name} / x.{_name}(y), shapes broadcasting")
for _name in ("add", "sub"):
    op(f"{_name}_alpha", [lambda a, b, n=_name: getattr(a, n)(b, alpha=2.5),
                          lambda a, b, n=_name: getattr(mg, n)(a, b, alpha=2.5)],
       lambda a, b, n=_name: getattr(torch, n)(a, b, alpha=2.5), binary("real", "real"),
       covers=(f"Tensor.{_name}", f"mg.{_name}"), note="alpha scales the other operand")
_e = op("div_function", [lambda a, b: a.div(b), mg.div, ops.div], torch.div,
        binary("real", "nonzero"), covers=("Tensor.div", "mg.div", "ops.div"),
        note="torch.div / x.div(y), true division")
_e.torch_by_kind["huge"] = _torch_div
_e.deliberate = _DIV_WHY

op("neg", [lambda x: -x], lambda x: -x, unary(), covers=("Tensor.__neg__",))
op("pos", [lambda x: +x], lambda x: +x, unary(), covers=("Tensor.__pos__",))

_EXPONENTS = [2.0, 3.0, 1.0, 0.0, -1.0, -2.0, 0.5, 1.5, -0.5, 2.5]


def _pow_scalar_sample(c):
    p = c.pick(_EXPONENTS)
    # a fractional power of a negative number is NaN in both; in the "normal" kind keep to the
    # real domain of the function so the comparison is of numbers
    domain = "real" if float(p).is_integer() else "positive"
    return [c.x(c.shape(), domain), p], {}


op("pow_scalar", [lambda x, p: x ** p, lambda x, p: x.__pow__(p)], lambda x, p: x ** p,
   _pow_scalar_sample, covers=("Tensor.__pow__",), note="x ** p for a number p (PowScalar)")


def _pow_sample(c):
    sa, sb = c.broadcast_shapes(2)
    return [c.x(sa, "positive" if c.kind == "normal" else "real"), c.x(sb)], {}


op("pow", [lambda a, b: a ** b], lambda a, b: a ** b, _pow_sample, covers=("Tensor.__pow__",),
   note="tensor ** tensor (Pow), broadcasting; torch's conventions at a zero base")


def _rpow_sample(c):
    base = c.pick([2.0, 0.5, math.e, 1.0, 0.0, 3.0] + ([-2.0] if c.kind != "normal" else []))
    return [c.x(c.shape()), base], {}


op("rpow_scalar", [lambda x, s: s ** x], lambda x, s: s ** x, _rpow_sample,
   covers=("Tensor.__rpow__",), note="number ** tensor (0.0 ** x included)")


def _matmul_sample(c):
    m, k, n = c.pick([1, 2, 3, 0]), c.pick([1, 2, 3, 0]), c.pick([1, 2, 3, 0])
    batch = c.pick([(2,), (1,), (2, 1)])
    layout = c.pick(["vv", "mv", "vm", "mm", "bmm", "bcast"])
    sa, sb = {"vv": ((k,), (k,)), "mv": ((m, k), (k,)), "vm": ((k,), (k, n)),
              "mm": ((m, k), (k, n)), "bmm": (batch + (m, k), (k, n)),
              "bcast": ((2, 1, m, k), (3, k, n))}[layout]
    return [c.x(sa), c.x(sb)], {}


op("matmul", [lambda a, b: a @ b, lambda a, b: a.matmul(b), mg.matmul, ops.matmul],
   torch.matmul, _matmul_sample,
   covers=("Tensor.__matmul__", "Tensor.matmul", "mg.matmul", "ops.matmul"), kinds=STRUCT_KINDS)


def _rmatmul_sample(c):
    (a, b), _ = _matmul_sample(c)
    return [C(a.array), b], {}


op("rmatmul_array", [lambda k, x: k.numpy() @ x], lambda k, x: k @ x, _rmatmul_sample,
   covers=("Tensor.__rmatmul__",), kinds=STRUCT_KINDS, note="numpy array @ tensor (numpy defers)")


def _matmul_bt_sample(c):
    m, n, k = c.pick([1, 2, 3, 0]), c.pick([1, 2, 3, 0]), c.pick([1, 2, 3, 0])
    return [c.x((m, k)), c.x((n, k))], {}


op("matmul_bt", [ops.matmul_bt], lambda a, b: a @ b.T, _matmul_bt_sample,
   covers=("ops.matmul_bt",), kinds=STRUCT_KINDS,
   note="a @ b.T of 2-D a, b (a Linear layer's product)")

# ==== elementwise functions ====================================================================

op("exp", [lambda x: x.exp(), mg.exp, ops.exp], torch.exp, unary(),
   covers=("Tensor.exp", "mg.exp", "ops.exp"))
op("expm1", [lambda x: x.expm1(), mg.expm1, ops.expm1], torch.expm1, unary(),
   covers=("Tensor.expm1", "mg.expm1", "ops.expm1"))
op("log", [lambda x: x.log(), mg.log, ops.log], torch.log, unary("positive"),
   covers=("Tensor.log", "mg.log", "ops.log"))
op("sqrt", [lambda x: x.sqrt(), mg.sqrt, ops.sqrt], torch.sqrt, unary("positive"),
   covers=("Tensor.sqrt", "mg.sqrt", "ops.sqrt"))
op("abs", [lambda x: x.abs(), abs, mg.abs, ops.abs], torch.abs, unary(),
   covers=("Tensor.abs", "Tensor.__abs__", "mg.abs", "ops.abs"))
op("relu", [lambda x: x.relu(), mg.relu, ops.relu, F.relu], torch.relu, unary(),
   covers=("Tensor.relu", "mg.relu", "ops.relu", "F.relu"))
op("sigmoid", [lambda x: x.sigmoid(), mg.sigmoid, ops.sigmoid, F.sigmoid], torch.sigmoid,
   unary(), covers=("Tensor.sigmoid", "mg.sigmoid", "ops.sigmoid", "F.sigmoid"))
op("tanh", [lambda x: x.tanh(), mg.tanh, ops.tanh, F.tanh], torch.tanh, unary(),
   covers=("Tensor.tanh", "mg.tanh", "ops.tanh", "F.tanh"))


def _clamp_sample(c):
    x = c.x(c.shape())
    lo, hi = c.scalar(kind="edge" if c.kind == "normal" else None), c.scalar(
        kind="edge" if c.kind == "normal" else None)
    if not lo <= hi:   # NaN bounds are not drawn: minigrad's clip refuses a NaN min > max test
        lo, hi = (hi, lo) if hi < lo else (lo, lo)
    which = c.pick(["both", "min", "max"])
    return [x], dict(min=None if which == "max" else lo, max=None if which == "min" else hi)


op("clamp", [lambda x, min, max: x.clamp(min=min, max=max),
             lambda x, min, max: x.clip(min, max),
             lambda x, min, max: mg.clamp(x, min, max),
             lambda x, min, max: mg.clip(x, min=min, max=max),
             lambda x, min, max: ops.clip(x, min, max)],
   lambda x, min, max: torch.clamp(x, min=min, max=max), _clamp_sample,
   covers=("Tensor.clamp", "Tensor.clip", "mg.clamp", "mg.clip", "ops.clip"),
   note="bounds drawn from the edge pool, so values sit on them (gradient 1 there, as torch)")

op("maximum", [lambda a, b: a.maximum(b), mg.maximum, ops.maximum], torch.maximum, binary(),
   covers=("Tensor.maximum", "mg.maximum", "ops.maximum"),
   note="ties share the gradient ½/½, as torch.maximum")
op("minimum", [lambda a, b: a.minimum(b), mg.minimum, ops.minimum], torch.minimum, binary(),
   covers=("Tensor.minimum", "mg.minimum", "ops.minimum"))


def _where_sample(c):
    sc, sa, sb = c.broadcast_shapes(3)
    b = c.x(sb) if c.int(0, 3) else c.scalar()
    return [C(c.rng.random(sc) < 0.5), c.x(sa), b], {}


op("where", [mg.where, ops.where], lambda cond, a, b: torch.where(cond, a, b), _where_sample,
   covers=("mg.where", "ops.where"), note="condition, a, b broadcast together; b may be a number")

# ==== reductions ===============================================================================


def _reduce_sample(min_dims=0, tuples=True):
    def sample(c):
        shape = c.shape(min_dims, 3)
        return [c.x(shape)], dict(dim=c.axes(len(shape), tuples=tuples), keepdim=c.bool())
    return sample


def _spellings(method, function, op_function):
    return [lambda x, dim, keepdim: getattr(x, method)(dim, keepdim),
            lambda x, dim, keepdim: getattr(x, method)(dim=dim, keepdim=keepdim),
            lambda x, dim, keepdim: function(x, dim, keepdim),
            lambda x, dim, keepdim: op_function(x, axis=dim, keepdims=keepdim)]


op("sum", _spellings("sum", mg.sum, ops.sum),
   lambda x, dim, keepdim: torch.sum(x, dim=dim, keepdim=keepdim), _reduce_sample(),
   covers=("Tensor.sum", "mg.sum", "ops.sum"))
op("mean", _spellings("mean", mg.mean, ops.mean),
   lambda x, dim, keepdim: torch.mean(x, dim=dim, keepdim=keepdim), _reduce_sample(),
   covers=("Tensor.mean", "mg.mean", "ops.mean"))

op("amax", _spellings("amax", mg.amax, ops.amax),
   lambda x, dim, keepdim: torch.amax(x, dim=() if dim is None else dim, keepdim=keepdim),
   _reduce_sample(), covers=("Tensor.amax", "mg.amax", "ops.amax"),
   note="values only, ties share the gradient evenly (x.max(dim) is in the issue 12 block)")
op("amin", _spellings("amin", mg.amin, ops.amin),
   lambda x, dim, keepdim: torch.amin(x, dim=() if dim is None else dim, keepdim=keepdim),
   _reduce_sample(), covers=("Tensor.amin", "mg.amin", "ops.amin"))


def _reduce_empty_tuple_sample(c):
    shape = c.shape(1, 3)
    return [c.x(shape)], dict(which=c.pick(["sum", "mean", "amax"]), keepdim=c.bool())


op("reduce_dim_empty_tuple",
   [lambda x, which, keepdim: getattr(x, which)(dim=(), keepdim=keepdim)],
   lambda x, which, keepdim: getattr(torch, which)(x, dim=(), keepdim=keepdim),
   _reduce_empty_tuple_sample, kinds=("normal",),
   covers=("Tensor.sum", "Tensor.mean", "Tensor.amax"),
   note="dim=() (an empty tuple of axes)")


def _arg_sample(c):
    shape = c.shape(0, 3)
    dim = c.axis(len(shape)) if c.int(0, 2) else None
    return [C(c.values(shape))], dict(dim=dim, keepdim=c.bool())


op("argmax", [lambda x, dim, keepdim: x.argmax(dim, keepdim),
              lambda x, dim, keepdim: ops.argmax(x, dim, keepdim)],
   lambda x, dim, keepdim: torch.argmax(x, dim=dim, keepdim=keepdim), _arg_sample,
   covers=("Tensor.argmax", "ops.argmax"), grad=False,
   note="integer results (first of ties, NaN counts as the largest): forward only")
op("argmin", [lambda x, dim, keepdim: x.argmin(dim, keepdim),
              lambda x, dim, keepdim: ops.argmin(x, dim, keepdim)],
   lambda x, dim, keepdim: torch.argmin(x, dim=dim, keepdim=keepdim), _arg_sample,
   covers=("Tensor.argmin", "ops.argmin"), grad=False)


def _softmax_sample(c):
    shape = c.shape(1, 3)
    return [c.x(shape)], dict(dim=c.axis(len(shape)))


_SOFTMAX_KINDS = ROW_KINDS
op("softmax", [lambda x, dim: x.softmax(dim), lambda x, dim: x.softmax(dim=dim),
               lambda x, dim: mg.softmax(x, dim), lambda x, dim: F.softmax(x, dim=dim),
               lambda x, dim: ops.softmax(x, dim)],
   lambda x, dim: torch.softmax(x, dim), _softmax_sample, kinds=_SOFTMAX_KINDS,
   covers=("Tensor.softmax", "mg.softmax", "ops.softmax", "F.softmax"),
   note="'masked': rows with −inf logits (a whole row now and then), sometimes a +inf")
op("log_softmax", [lambda x, dim: x.log_softmax(dim), lambda x, dim: x.log_softmax(dim=dim),
                   lambda x, dim: mg.log_softmax(x, dim), lambda x, dim: F.log_softmax(x, dim),
                   lambda x, dim: ops.log_softmax(x, dim)],
   lambda x, dim: torch.log_softmax(x, dim), _softmax_sample, kinds=_SOFTMAX_KINDS,
   covers=("Tensor.log_softmax", "mg.log_softmax", "ops.log_softmax", "F.log_softmax"))


def _logsumexp_sample(c):
    shape = c.shape(1, 3)
    return [c.x(shape)], dict(dim=c.axis(len(shape)), keepdim=c.bool())


class _TorchLogSumExp(torch.autograd.Function):
    """torch.logsumexp, differentiated as softmax(x) (minigrad's documented dy/dx) where the
    row's logsumexp is finite, and with torch's own exp(x − lse) elsewhere (±inf rows)."""

    @staticmethod
    def forward(ctx, x, dim, keepdim):
        lse = torch.logsumexp(x, dim, True)
        ctx.save_for_backward(x, lse)
        ctx.dim = dim
        return lse if keepdim else lse.squeeze(dim)

    @staticmethod
    def backward(ctx, g):
        x, lse = ctx.saved_tensors
        g = g if g.dim() == x.dim() else g.unsqueeze(ctx.dim)
        p = torch.where(torch.isfinite(lse), torch.softmax(x, ctx.dim), torch.exp(x - lse))
        return g * p, None, None


op("logsumexp", [lambda x, dim, keepdim: x.logsumexp(dim, keepdim),
                 lambda x, dim, keepdim: x.logsumexp(dim=dim, keepdim=keepdim),
                 lambda x, dim, keepdim: mg.logsumexp(x, dim, keepdim),
                 lambda x, dim, keepdim: ops.logsumexp(x, dim, keepdim)],
   lambda x, dim, keepdim: _TorchLogSumExp.apply(x, dim, keepdim), _logsumexp_sample,
   kinds=_SOFTMAX_KINDS, covers=("Tensor.logsumexp", "mg.logsumexp", "ops.logsumexp"),
   deliberate="torch's logsumexp backward exp(x − lse) loses the digits of x − lse when "
              "|x| ≳ 1e15 (ulp(1e15) = 0.125: a 0.5/0.5 split came out 0.47/0.47); the twin "
              "differentiates torch.logsumexp as torch.softmax(x), the derivative minigrad "
              "documents, wherever the row's logsumexp is finite")


def _softmax_0d_sample(c):
    return [c.x(())], dict(which=c.pick(["softmax", "log_softmax", "logsumexp"]))


op("softmax_family_0d", [lambda x, which: getattr(x, which)(0)],
   lambda x, which: getattr(torch, which)(x, 0), _softmax_0d_sample, kinds=("normal",),
   covers=("Tensor.softmax", "Tensor.log_softmax", "Tensor.logsumexp"),
   note="a 0-d input, dim=0")

# ==== shape ====================================================================================


def _shapes_of_size(n, max_dims=3):
    out = []
    sides = range(0, 7) if n == 0 else [d for d in range(1, n + 1) if n % d == 0]
    for k in range(0, max_dims + 1):
        for s in itertools.product(sides, repeat=k):
            if int(np.prod(s, dtype=np.int64)) == n:
                out.append(s)
    return out


def _reshape_sample(c):
    shape = c.shape()
    n = int(np.prod(shape, dtype=np.int64))
    new = list(c.pick(_shapes_of_size(n)))
    if new and n and c.int(0, 2) == 0:
        new[c.int(0, len(new) - 1)] = -1
    return [c.x(shape, kind=c.kind)], dict(shape=tuple(new))


op("reshape", [lambda x, shape: x.reshape(shape), lambda x, shape: x.reshape(*shape),
               lambda x, shape: x.view(*shape), lambda x, shape: mg.reshape(x, shape),
               lambda x, shape: ops.reshape(x, *shape)],
   lambda x, shape: x.reshape(shape), _reshape_sample,
   covers=("Tensor.reshape", "Tensor.view", "mg.reshape", "ops.reshape"), kinds=SHAPE_KINDS,
   note="shape ops move values: the 'normal' kind only")


def _permute_sample(c):
    shape = c.shape()
    perm = list(c.rng.permutation(len(shape)))
    perm = tuple(int(p) - len(shape) if c.bool() else int(p) for p in perm)
    return [c.x(shape)], dict(dims=perm)


op("permute", [lambda x, dims: x.permute(*dims), lambda x, dims: x.permute(dims),
               lambda x, dims: mg.permute(x, dims), lambda x, dims: ops.permute(x, dims)],
   lambda x, dims: x.permute(dims), _permute_sample, kinds=SHAPE_KINDS,
   covers=("Tensor.permute", "mg.permute", "ops.permute"))


def _transpose_sample(c):
    shape = c.shape()
    return [c.x(shape)], dict(d0=c.axis(len(shape)), d1=c.axis(len(shape)))


op("transpose", [lambda x, d0, d1: x.transpose(d0, d1), lambda x, d0, d1: mg.transpose(x, d0, d1),
                 lambda x, d0, d1: ops.transpose(x, d0, d1)],
   lambda x, d0, d1: torch.transpose(x, d0, d1), _transpose_sample, kinds=SHAPE_KINDS,
   covers=("Tensor.transpose", "mg.transpose", "ops.transpose"))
op("T", [lambda x: x.T, lambda x: x.transpose()],
   lambda x: x.permute(tuple(reversed(range(x.ndim)))), unary(), kinds=SHAPE_KINDS,
   covers=("Tensor.T", "Tensor.transpose"),
   deliberate="x.transpose() with no arguments reverses all axes as numpy (README "
              "Conventions; torch needs two dims); x.T reverses all axes for any ndim")
op("mT", [lambda x: x.mT], lambda x: x.mT, unary(min_dims=2), kinds=("normal", "empty"),
   covers=("Tensor.mT",))


def _squeeze_sample(c):
    shape = c.shape(0, 3, (1, 1, 2, 3))
    what = c.pick(["none", "int", "tuple"])
    axis = None if what == "none" else c.axes(len(shape), none=False,
                                               tuples=what == "tuple")
    return [c.x(shape)], dict(axis=axis)


op("squeeze", [lambda x, axis: x.squeeze(axis), lambda x, axis: mg.squeeze(x, axis),
               lambda x, axis: ops.squeeze(x, axis)],
   lambda x, axis: x.squeeze() if axis is None else x.squeeze(axis), _squeeze_sample,
   kinds=SHAPE_KINDS, covers=("Tensor.squeeze", "mg.squeeze", "ops.squeeze"))


def _unsqueeze_sample(c):
    shape = c.shape()
    return [c.x(shape)], dict(axis=c.axis(len(shape), extra=1))


op("unsqueeze", [lambda x, axis: x.unsqueeze(axis), lambda x, axis: mg.unsqueeze(x, axis),
                 lambda x, axis: ops.unsqueeze(x, axis)],
   lambda x, axis: torch.unsqueeze(x, axis), _unsqueeze_sample, kinds=SHAPE_KINDS,
   covers=("Tensor.unsqueeze", "mg.unsqueeze", "ops.unsqueeze"))


def _flatten_sample(c):
    shape = c.shape()
    return [c.x(shape)], dict(start=c.axis(len(shape)), end=c.axis(len(shape)))


op("flatten", [lambda x, start, end: x.flatten(start, end),
               lambda x, start, end: mg.flatten(x, start, end),
               lambda x, start, end: ops.flatten(x, start, end)],
   lambda x, start, end: torch.flatten(x, start, end), _flatten_sample, kinds=SHAPE_KINDS,
   covers=("Tensor.flatten", "mg.flatten", "ops.flatten"))


def _basic_item(c, size):
    what = c.pick(["int", "slice", "slice", "full"] if size else ["slice", "full"])
    if what == "int":
        return c.int(-size, size - 1)
    if what == "full":
        return slice(None)
    start = c.pick([None, 0, 1, -1, -2, 2])
    stop = c.pick([None, 0, 1, -1, 2, 3, 5])
    return slice(start, stop, c.pick([None, 1, 2, 3]))


def _getitem_sample(c):
    shape = c.shape(0, 3)
    style = c.pick(["basic", "basic", "int_array", "bool_mask", "bool_full"]) if shape else "basic"
    index = []
    tensor = False
    if style == "basic":
        used = c.int(0, len(shape))
        index = [_basic_item(c, shape[i]) for i in range(used)]
        for extra in (None, Ellipsis):
            if c.int(0, 3) == 0:
                index.insert(c.int(0, len(index)), extra)
    elif style == "int_array":
        n = shape[0]
        picks = c.rng.integers(-n, n, size=c.pick([(3,), (2, 2), (0,), (1,)])) if n else \
            np.zeros((0,), np.int64)
        rest = shape[1:c.int(1, len(shape))]
        index = [picks.astype(np.int64)] + [_basic_item(c, s) for s in rest]
        tensor = c.bool()
    elif style == "bool_mask":
        index = [c.rng.random(shape[0]) < 0.5]
    else:
        index = c.rng.random(shape) < 0.5
        return [c.x(shape), I(index)], {}
    return [c.x(shape), I(tuple(index), tensor=tensor)], {}


op("getitem", [lambda x, i: x[i], lambda x, i: ops.getitem(x, i)], lambda x, i: x[i],
   _getitem_sample, kinds=SHAPE_KINDS, covers=("Tensor.__getitem__", "ops.getitem"),
   note="ints, slices (positive steps: torch has no negative step), None, Ellipsis, an int "
        "array with repeats (gradients add), bool masks; an index tensor for minigrad too")


def _cat_sample(c):
    shape = c.shape(1, 3)
    axis = c.axis(len(shape))
    k = axis % len(shape)
    xs = [c.x(shape[:k] + (c.pick([0, 1, 2, 3]),) + shape[k + 1:]) for _ in range(c.int(1, 3))]
    if c.kind == "normal":
        xs = [x for x in xs if x.array.size] or [c.x(shape)]
    return [xs], dict(axis=axis)


op("concatenate", [lambda xs, axis: mg.concatenate(xs, axis), lambda xs, axis: mg.cat(xs, axis),
                   lambda xs, axis: ops.concatenate(xs, axis=axis)],
   lambda xs, axis: torch.cat(xs, axis), _cat_sample, kinds=("normal", "empty"),
   covers=("mg.concatenate", "mg.cat", "ops.concatenate"))


def _stack_sample(c):
    shape = c.shape(0, 2)
    xs = [c.x(shape) for _ in range(c.int(1, 3))]
    return [xs], dict(axis=c.axis(len(shape), extra=1))


op("stack", [lambda xs, axis: mg.stack(xs, axis), lambda xs, axis: ops.stack(xs, axis=axis)],
   lambda xs, axis: torch.stack(xs, axis), _stack_sample, kinds=SHAPE_KINDS,
   covers=("mg.stack", "ops.stack"))


def _grown(c, shape):
    """A shape ``shape`` broadcasts to: its 1s stretched, new leading axes."""
    body = tuple(c.stretch() if s == 1 else s for s in shape)
    return tuple(c.pick([1, 2, 3]) for _ in range(c.int(0, 2))) + body


def _broadcast_to_sample(c):
    shape = c.shape(0, 3, (1, 1, 2, 3))
    return [c.x(shape)], dict(shape=_grown(c, shape))


op("broadcast_to", [lambda x, shape: x.broadcast_to(shape), lambda x, shape: x.expand(*shape),
                    lambda x, shape: x.expand(shape), lambda x, shape: mg.broadcast_to(x, shape),
                    lambda x, shape: ops.broadcast_to(x, shape)],
   lambda x, shape: x.expand(shape), _broadcast_to_sample, kinds=SHAPE_KINDS,
   covers=("Tensor.broadcast_to", "Tensor.expand", "mg.broadcast_to", "ops.broadcast_to"))


def _sum_to_shape_sample(c):
    target = c.shape(0, 3, (1, 1, 2, 3))
    return [c.x(_grown(c, target))], dict(shape=target)


op("sum_to_shape", [lambda x, shape: x.sum_to_shape(shape),
                    lambda x, shape: ops.sum_to_shape(x, shape)],
   lambda x, shape: x.sum_to_size(shape), _sum_to_shape_sample,
   covers=("Tensor.sum_to_shape", "ops.sum_to_shape"), note="torch's twin is Tensor.sum_to_size")

op("clone", [lambda x: x.clone()], lambda x: x.clone(), unary(), kinds=SHAPE_KINDS,
   covers=("Tensor.clone",))
op("detach", [lambda x: x.detach()], lambda x: x.detach(), unary(), kinds=SHAPE_KINDS,
   covers=("Tensor.detach",), note="the same values, cut from the graph (no gradient in either)")

# ==== comparisons and logic (bool results, forward only) ======================================

_COMPARE = {"lt": lambda a, b: a < b, "le": lambda a, b: a <= b, "gt": lambda a, b: a > b,
            "ge": lambda a, b: a >= b, "eq": lambda a, b: a == b, "ne": lambda a, b: a != b}


def _compare_sample(c):
    sa, sb = c.broadcast_shapes(2)
    other = C(c.values(sb)) if c.int(0, 2) else c.scalar()
    return [C(c.values(sa)), other], dict(how=c.pick(sorted(_COMPARE)))


op("compare", [lambda a, b, how: _COMPARE[how](a, b)], lambda a, b, how: _COMPARE[how](a, b),
   _compare_sample, grad=False, kinds=("edge", "nonfinite", "zero_d"),
   covers=tuple(f"Tensor.__{h}__" for h in _COMPARE))


def _logic_sample(c):
    sa, sb = c.broadcast_shapes(2)
    return [C(c.rng.random(sa) < 0.5), C(c.rng.random(sb) < 0.5)], dict(how=c.pick(
        ["and", "or", "invert"]))


_LOGIC = {"and": lambda a, b: a & b, "or": lambda a, b: a | b, "invert": lambda a, b: ~a}
op("logic", [lambda a, b, how: _LOGIC[how](a, b)], lambda a, b, how: _LOGIC[how](a, b),
   _logic_sample, grad=False, kinds=SHAPE_KINDS,
   covers=("Tensor.__and__", "Tensor.__or__", "Tensor.__invert__"))

