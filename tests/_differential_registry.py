"""The registry of the differential test against torch (tests/test_differential.py).

One ``Op`` per public operation (or per variant of one: a scalar operand, a layout of a loss):

    name      the test id
    mg        minigrad's spellings of it (each example uses one: the method, the function, F.*)
    torch     torch's twin, float64; where minigrad deliberately differs from torch, the twin
              computes minigrad's documented value and ``deliberate`` says why
    torch_by_kind  another twin for some kinds of values (where torch's own kernel is not
              accurate enough to be the oracle: ``deliberate`` says why)
    sample    how to draw the arguments: ``sample(c)`` with ``c`` a ``Draw`` returns (args,
              kwargs); ``X`` marks a differentiable float64 input, ``C`` a constant tensor
              (targets, masks, class weights), ``S`` a tensor the op updates in place (compared
              after the call), ``I`` an index; anything else is passed as it is
    covers    the public names this entry tests (the coverage test compares them with the API)
    kinds     the value kinds drawn (see ``Draw.values``)
    grad/hvp  whether first / second derivatives are compared
    tol       per check (rtol, atol) where the default (1e-7, 1e-9) is loosened, with the reason
    known     {kind: {check: reason}}: a discrepancy with torch found by this suite and not yet
              fixed; the test of that kind is an xfail(strict) that fails once it is fixed
    pins      {kind: [(args, kwargs)]}: examples always run before the drawn ones (the minimal
              reproduction of each known discrepancy, so its xfail does not hang on a draw)

The checks are "forward" (values, dtype, shape, in-place state), "backward" (loss.backward with
recording off: the fused kernels), "create_graph" (mg.grad(..., create_graph=True): the readable
formula path) and "second" (a Hessian-vector product through mg.grad twice).
"""
import itertools
import math
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as TF
from hypothesis import strategies as st

import minigrad as mg
import minigrad.nn.functional as F
from minigrad import ops
from minigrad.backend import cpu as _cpu_backend

COMPILED = _cpu_backend.COMPILED     # False under MINIGRAD_PURE_NUMPY=1 (numpy reference kernels)

CHECKS = ("forward", "backward", "create_graph", "second")
# Kinds of examples. Values (see Draw.values): "normal", "edge", "extreme", "huge",
# "nonfinite", "masked" (−inf logits). Shapes (see Draw.shape): "zero_d", every input 0-d,
# and "empty", an axis of size 0 in each, both with normal values; in the other kinds
# ``Draw.shape`` gives at least one axis and no empty one (broadcasting pairs may still drop to
# 0-d), so a failure on 0-d or empty tensors shows up as a test id of its own.
KINDS = ("normal", "edge", "extreme", "huge", "nonfinite", "zero_d", "empty")
ROW_KINDS = ("normal", "edge", "extreme", "huge", "nonfinite", "masked", "empty")  # ≥ 1 axis
STRUCT_KINDS = ("normal", "edge", "extreme", "huge", "nonfinite")   # fixed layouts
SHAPE_KINDS = ("normal", "zero_d", "empty")   # ops that move values: the values do not matter


# ---- what an argument is ----------------------------------------------------------------------

class X:
    """A differentiable float64 input."""

    def __init__(self, array):
        self.array = np.asarray(array, dtype=np.float64)

    def __repr__(self):
        return f"X({_arr_repr(self.array)})"


class C:
    """A constant tensor (integer targets, bool masks, class weights): no gradient."""

    def __init__(self, array):
        self.array = np.asarray(array)

    def __repr__(self):
        return f"C({_arr_repr(self.array)})"


class S(C):
    """A constant tensor the op writes into (batch_norm's running statistics): compared after."""

    def __repr__(self):
        return f"S({_arr_repr(self.array)})"


class I:
    """An index; its arrays become torch tensors for torch, and (tensor=True) a minigrad
    Tensor for minigrad."""

    def __init__(self, index, tensor=False):
        self.index, self.tensor = index, tensor

    def __repr__(self):
        def r(i):
            return _arr_repr(i) if isinstance(i, np.ndarray) else repr(i)
        body = ("(" + ", ".join(r(i) for i in self.index) + ",)"
                if isinstance(self.index, tuple) else r(self.index))
        return f"I({body}{', tensor=True' if self.tensor else ''})"


def _arr_repr(a):
    if a.dtype.kind == "f":
        body = "[" + ", ".join(repr(float(v)) for v in a.ravel()) + "]"
    else:
        body = repr(a.ravel().tolist())
    return f"np.array({body}, dtype=np.{a.dtype}).reshape({a.shape})"


# ---- drawing shapes and values ----------------------------------------------------------------

SIDES = (2, 3, 1, 2, 3)   # sizes of an axis: mostly ordinary, some 1

# Values per domain and kind. "normal": smooth points (uniform, no ties); "edge": a small pool
# (exact zeros, ties, kinks, the ends of a domain); "extreme": ±1e±30 and ±1e±15 among ordinary
# values; "huge": ±1e±200 and ±1e±300; "nonfinite": normal values with NaN/±inf put in.
DOMAINS = {
    "real": dict(normal=lambda r, n: r.uniform(-3, 3, n),
                 edge=[0.0, 0.0, 1.0, -1.0, 0.5, -0.5, 2.0, -2.0],
                 extreme=[1e30, -1e30, 1e-30, -1e-30, 1e15, -1e15, 1.5, -0.75],
                 huge=[1e300, -1e300, 1e-300, -1e-300, 1e200, -1e200, 1e-200, 1.5, -0.75],
                 nonfinite=[np.nan, np.inf, -np.inf]),
    "positive": dict(normal=lambda r, n: r.uniform(0.1, 3, n),
                     edge=[0.0, 0.5, 1.0, 2.0, 1.0, 0.5],
                     extreme=[1e30, 1e-30, 1e15, 1e-15, 1.5, 0.75],
                     huge=[1e300, 1e-300, 1e200, 1e-200, 1.5, 0.75],
                     nonfinite=[np.nan, np.inf]),
    "nonzero": dict(normal=lambda r, n: r.choice([-1.0, 1.0], n) * r.uniform(0.5, 3, n),
                    edge=[1.0, -1.0, 0.5, -0.5, 2.0, -2.0, 0.0],
                    extreme=[1e30, -1e30, 1e-30, -1e-30, 1e15, -1e15, 1.5, -0.75],
                    huge=[1e300, -1e300, 1e-300, -1e-300, 1e200, -1e200, 1e-200, 1.5, -0.75],
                    nonfinite=[np.nan, np.inf, -np.inf]),
    "prob": dict(normal=lambda r, n: r.uniform(0.02, 0.98, n),
                 edge=[0.0, 1.0, 0.5, 0.25, 0.5, 0.75],
                 extreme=[1e-30, 1e-15, 1 - 1e-15, 0.5, 0.25],
                 huge=[1e-300, 1e-200, 0.5, 1.0 - 2.0 ** -53],
                 nonfinite=[np.nan]),
}


class Draw:
    """What an entry's ``sample`` draws with: hypothesis for the structure (shapes, options),
    a seeded numpy generator for the values (so "normal" values have no ties or zeros)."""

    def __init__(self, draw, kind):
        self.draw, self.kind = draw, kind
        self.rng = np.random.default_rng(draw(st.integers(0, 2 ** 32 - 1)))

    def pick(self, options):
        return self.draw(st.sampled_from(list(options)))

    def int(self, lo, hi):
        return self.draw(st.integers(lo, hi))

    def bool(self):
        return self.draw(st.booleans())

    def shape(self, min_dims=0, max_dims=3, sides=SIDES):
        """A shape: 0-d exactly in the "zero_d" kind (when min_dims allows it), with an empty
        axis exactly in the "empty" kind, else at least one axis."""
        if self.kind == "zero_d" and min_dims == 0:
            return ()
        shape = [self.pick(sides) for _ in range(self.int(max(min_dims, 1), max_dims))]
        if self.kind == "empty" and shape:
            shape[self.int(0, len(shape) - 1)] = 0
        return tuple(shape)

    def stretch(self):
        """What an axis of size 1 may be broadcast to (0 too in the "empty" kind)."""
        return self.pick([1, 2, 3] + ([0] if self.kind == "empty" else []))

    def values(self, shape, domain="real", kind=None):
        kind = kind or self.kind
        d, r = DOMAINS[domain], self.rng
        n = int(np.prod(shape, dtype=np.int64))
        if kind in ("normal", "nonfinite", "masked", "zero_d", "empty"):
            v = np.asarray(d["normal"](r, n), dtype=np.float64)
        else:
            v = r.choice(np.asarray(d[kind], dtype=np.float64), n)
        if kind == "nonfinite" and n:
            where = r.choice(n, size=int(r.integers(1, max(1, n // 2) + 1)), replace=False)
            v[where] = r.choice(d["nonfinite"], where.size)
        if kind == "masked" and n:  # −inf logits (masked classes), a row of them, now and then +inf
            v[r.random(n) < 0.4] = -np.inf
            if r.random() < 0.25:
                v[int(r.integers(n))] = np.inf
        return v.reshape(shape)

    def x(self, shape, domain="real", kind=None):
        return X(self.values(shape, domain, kind))

    def scalar(self, domain="real", kind=None):
        return float(self.values((), domain, kind))

    def axis(self, ndim, extra=0):
        """An axis of an ndim-dimensional tensor (negative half the time); ndim + extra axes
        for unsqueeze/stack."""
        n = max(ndim + extra, 1)
        return self.int(-n, n - 1)

    def axes(self, ndim, tuples=True, none=True):
        """None, an int or a tuple of distinct axes (possibly negative, in any order)."""
        what = self.pick(["int"] + (["tuple"] if tuples else []) + (["none"] if none else []))
        if what == "none":
            return None
        if what == "int":
            return self.axis(ndim)
        n = max(ndim, 1)
        chosen = self.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=n, unique=True))
        return tuple(a - n if self.bool() else a for a in chosen)

    def broadcast_shapes(self, count=2, min_dims=0, max_dims=3):
        """``count`` shapes that broadcast together (leading axes dropped, some axes set to 1)."""
        full = self.shape(min_dims, max_dims)
        out = []
        for _ in range(count):
            s = full[self.int(0, len(full)):] if self.bool() else full
            out.append(tuple(1 if self.int(0, 3) == 0 else k for k in s))
        return out


# ---- the entry --------------------------------------------------------------------------------

@dataclass
class Relax:
    """Where (kinds, checks) a comparison is relaxed, how, and why:

    "normwise"   finite values within atol + rtol·max|torch| over the whole array (for
                 compositions that cancel: the error is relative to the largest term)
    "torch_nan"  where torch gives NaN, minigrad's value is accepted (torch's formula makes
                 a NaN where the function has a value or a limit: the reason says which)
    "terms"      finite values within atol + rtol·|the same computed on |inputs||: the error
                 bound of a sum, relative to the sum of the magnitudes of its terms (for sums,
                 products and convolutions of values of very different sizes, whose result
                 depends on the order of summation); where that sum overflows, any inf or NaN
                 is accepted (1e300·1e300 summed both ways: inf or NaN by the order)
    "unchecked"  finite values are not compared, only the places of NaN and ±inf (where the
                 problem is so ill-conditioned that neither library's digits mean anything:
                 the reason gives the condition number)
    """
    mode: str
    reason: str
    kinds: tuple = KINDS + ("masked",)
    checks: tuple = CHECKS


@dataclass
class Op:
    name: str
    mg: list
    torch: object
    sample: object
    covers: tuple = ()
    kinds: tuple = KINDS
    grad: bool = True
    hvp: bool = True
    tol: dict = field(default_factory=dict)
    torch_by_kind: dict = field(default_factory=dict)
    relax: list = field(default_factory=list)
    known: dict = field(default_factory=dict)
    pins: dict = field(default_factory=dict)
    deliberate: str = ""
    note: str = ""

    def tolerance(self, kind, check):
        """(rtol, atol, modes) of a check on a kind of values."""
        rtol, atol = self.tol.get((kind, check), self.tol.get(check, (1e-7, 1e-9)))
        modes = {r.mode for r in self.relax if kind in r.kinds and check in r.checks}
        return rtol, atol, modes

    def __repr__(self):
        return f"Op({self.name})"


REGISTRY = []


def op(name, mg_fns, torch_fn, sample, **kw):
    if not isinstance(mg_fns, (list, tuple)):
        mg_fns = [mg_fns]
    entry = Op(name, list(mg_fns), torch_fn, sample, **kw)
    assert all(e.name != name for e in REGISTRY), name
    REGISTRY.append(entry)
    return entry


# Samplers shared by several entries ------------------------------------------------------------

def unary(domain="real", min_dims=0, max_dims=3):
    def sample(c):
        return [c.x(c.shape(min_dims, max_dims), domain)], {}
    return sample


def binary(da="real", db="real"):
    def sample(c):
        sa, sb = c.broadcast_shapes(2)
        return [c.x(sa, da), c.x(sb, db)], {}
    return sample


def with_scalar(domain="real", scalar_domain="real"):
    """A tensor and a Python number (the number from the same kind of values)."""
    def sample(c):
        return [c.x(c.shape(), domain), c.scalar(scalar_domain)], {}
    return sample


def with_const_array(domain="real", const_domain="real"):
    """A tensor and a numpy array (a constant operand; numpy defers to the Tensor's operator)."""
    def sample(c):
        sa, sb = c.broadcast_shapes(2)
        return [c.x(sa, domain), C(c.values(sb, const_domain))], {}
    return sample


def _t(x):
    """A torch twin's view of a constant operand that is a numpy array or a Python number."""
    return torch.from_numpy(np.array(x)) if isinstance(x, np.ndarray) else x


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

# ==== nn.functional: layers ===================================================================


def _linear_sample(c):
    i, o = c.pick([1, 2, 3]), c.pick([1, 2, 3, 0])
    lead = c.shape(0, 2)
    bias = c.x((o,)) if c.bool() else None
    return [c.x(lead + (i,)), c.x((o, i)), bias], {}


op("linear", [F.linear], TF.linear, _linear_sample, covers=("F.linear",))


def _pair_or_int(c, v):
    return v if c.bool() else (v, v) if c.bool() else (v, c.pick([1, 2]) if v >= 1 else v)


def _conv_sample(c):
    n, ch, o = c.pick([1, 2]), c.pick([1, 2]), c.pick([1, 2])
    kh, kw = c.pick([1, 2, 3]), c.pick([1, 2, 3])
    s, p, d = c.pick([1, 2]), c.pick([0, 1]), c.pick([1, 2])
    h = c.int(max(1, d * (kh - 1) + 1 - 2 * p), d * (kh - 1) + 3)
    w = c.int(max(1, d * (kw - 1) + 1 - 2 * p), d * (kw - 1) + 3)
    bias = c.x((o,)) if c.bool() else None
    return [c.x((n, ch, h, w)), c.x((o, ch, kh, kw)), bias], dict(
        stride=_pair_or_int(c, s), padding=p if c.bool() else (p, c.pick([0, 1])),
        dilation=d if c.bool() else (d, 1))


op("conv2d", [lambda x, w, b, **k: F.conv2d(x, w, b, **k)],
   lambda x, w, b, **k: TF.conv2d(x, w, b, **k), _conv_sample, covers=("F.conv2d",),
   kinds=STRUCT_KINDS,
   note="groups=1, int padding, batched (the rest: conv2d_groups_padding)")


def _pool_sample(c, dilation=True):
    k = c.pick([1, 2, 3])
    kk = (k, c.pick([1, 2, 3])) if c.bool() else k
    kh, kw = (kk, kk) if isinstance(kk, int) else kk
    stride = c.pick([None, 1, 2])
    p = c.int(0, min(kh, kw) // 2)
    d = c.pick([1, 2]) if dilation else 1
    h = c.int(max(1, d * (kh - 1) + 1 - 2 * p), d * (kh - 1) + 3)
    w = c.int(max(1, d * (kw - 1) + 1 - 2 * p), d * (kw - 1) + 3)
    shape = (c.pick([1, 2]), c.pick([1, 2]), h, w)
    return shape, dict(kernel_size=kk, stride=stride, padding=p), d


def _window_in_padding(size, k, s, p, d):
    """Whether some dilated window of a pooling lies entirely in the padding."""
    out = (size + 2 * p - d * (k - 1) - 1) // s + 1
    return any(all(not 0 <= o * s + i * d - p < size for i in range(k)) for o in range(out))


def _max_pool_sample(c):
    shape, kw, d = _pool_sample(c)
    k = kw["kernel_size"]
    kh, kwid = (k, k) if isinstance(k, int) else k
    s = kw["stride"] or kw["kernel_size"]
    sh, sw = (s, s) if isinstance(s, int) else s
    # torch's max_pool2d gives an out-of-range index for a window that lies wholly in the
    # padding (possible with dilation), and its backward then writes out of bounds (heap
    # corruption: the process aborts; seen with H = 1, kernel 2, padding 1, dilation 2). Such
    # geometries are not drawn: the dilation falls back to 1.
    if d > 1 and (_window_in_padding(shape[2], kh, sh, kw["padding"], d)
                  or _window_in_padding(shape[3], kwid, sw, kw["padding"], d)):
        d = 1
    return [c.x(shape)], dict(kw, dilation=d)


op("max_pool2d", [lambda x, **k: F.max_pool2d(x, **k)], lambda x, **k: TF.max_pool2d(x, **k),
   _max_pool_sample, covers=("F.max_pool2d",), kinds=STRUCT_KINDS,
   note="ties (the 'edge' kind) send the gradient to the first maximum, as torch")


def _avg_pool_sample(c):
    shape, kw, _ = _pool_sample(c, dilation=False)
    return [c.x(shape)], dict(kw, count_include_pad=c.bool(),
                              divisor_override=c.pick([None, None, 1, 3]))


op("avg_pool2d", [lambda x, **k: F.avg_pool2d(x, **k)], lambda x, **k: TF.avg_pool2d(x, **k),
   _avg_pool_sample, covers=("F.avg_pool2d",), kinds=STRUCT_KINDS,
   note="ceil_mode=False, batched (ceil_mode and unbatched: avg_pool2d_ceil_unbatched)")


def _batch_norm_sample(c):
    ch = c.pick([1, 2, 3])
    shape = (c.pick([1, 2, 3]), ch) + c.shape(0, 2, (1, 2, 3))
    training = c.bool()
    stats = not training or c.bool()
    rm = S(c.values((ch,), kind="normal")) if stats else None
    rv = S(c.values((ch,), "positive", kind="normal")) if stats else None
    weight = c.x((ch,)) if c.bool() else None
    bias = c.x((ch,)) if c.bool() else None
    return [c.x(shape), rm, rv, weight, bias], dict(
        training=training, momentum=c.pick([0.1, 0.5]), eps=c.pick([1e-5, 0.1]))


def _composed_batch_norm(x, rm, rv, w, b, training, momentum, eps):
    """batch_norm as minigrad's docstring states it, with torch ops: (x − μ)/√(σ² + eps)·γ + β,
    μ and the biased σ² over every axis but 1, the running statistics updated as torch does."""
    c = x.shape[1]
    axes = (0,) + tuple(range(2, x.dim()))
    shape = (1, c) + (1,) * (x.dim() - 2)
    if training:
        m = x.numel() // c
        if m <= 1:
            raise ValueError("more than one value per channel needed when training")
        mean = x.mean(axes, keepdim=True)
        var = ((x - mean) ** 2).mean(axes, keepdim=True)
        with torch.no_grad():
            if rm is not None:
                rm.copy_((1 - momentum) * rm + momentum * mean.reshape(c))
            if rv is not None:
                rv.copy_((1 - momentum) * rv + momentum * var.reshape(c) * (m / (m - 1)))
    else:
        mean, var = rm.reshape(shape), rv.reshape(shape)
    y = (x - mean) / torch.sqrt(var + eps)
    y = y if w is None else y * w.reshape(shape)
    return y if b is None else y + b.reshape(shape)


def _composed_layer_norm(x, w, b, normalized_shape, eps):
    axes = tuple(range(x.dim() - len(normalized_shape), x.dim()))
    mean = x.mean(axes, keepdim=True)
    y = (x - mean) / torch.sqrt(((x - mean) ** 2).mean(axes, keepdim=True) + eps)
    y = y if w is None else y * w
    return y if b is None else y + b


_NORM_WHY = ("at extreme magnitudes torch's fused kernels lose every digit of x̂ when the spread "
             "is far below |x| (two equal values −1e15: torch's x̂ came out 19.8, the exact one "
             "0 — d/dweight −16.3 for layer_norm); in the extreme kind the twin is the "
             "docstring's (x − μ)/√(σ² + eps)·γ + β written with torch ops")

op("batch_norm", [lambda x, rm, rv, w, b, **k: F.batch_norm(x, rm, rv, w, b, **k)],
   lambda x, rm, rv, w, b, **k: TF.batch_norm(x, rm, rv, w, b, **k), _batch_norm_sample,
   torch_by_kind=dict(extreme=_composed_batch_norm), deliberate=_NORM_WHY,
   covers=("F.batch_norm",), kinds=STRUCT_KINDS,
   note="training and eval; the running statistics updated in place are compared too")


def _layer_norm_sample(c):
    norm = c.shape(1, 2, (1, 2, 3))
    shape = c.shape(0, 2, (1, 2, 3)) + norm
    weight = c.x(norm) if c.bool() else None
    bias = c.x(norm) if c.bool() else None
    return [c.x(shape), weight, bias], dict(normalized_shape=norm, eps=c.pick([1e-5, 0.1]))


op("layer_norm", [lambda x, w, b, normalized_shape, eps: F.layer_norm(x, normalized_shape, w,
                                                                        b, eps)],
   lambda x, w, b, normalized_shape, eps: TF.layer_norm(x, normalized_shape, w, b, eps),
   _layer_norm_sample, covers=("F.layer_norm",), kinds=STRUCT_KINDS,
   torch_by_kind=dict(extreme=_composed_layer_norm), deliberate=_NORM_WHY)


def _normalize_sample(c):
    shape = c.shape(1, 3)
    return [c.x(shape)], dict(dim=c.axis(len(shape)), eps=c.pick([1e-12, 0.5]))


op("normalize", [lambda x, dim, eps: F.normalize(x, dim=dim, eps=eps),
                 lambda x, dim, eps: F.normalize(x, 2, dim, eps)],
   lambda x, dim, eps: TF.normalize(x, 2.0, dim, eps), _normalize_sample,
   covers=("F.normalize",), kinds=ROW_KINDS,
   note="p=2 (other p: normalize_p)")


def _dropout_sample(c):
    return [c.x(c.shape())], dict(p=c.pick([0.0, 0.3, 0.5, 1.0]), training=c.bool(),
                                  seed=c.int(0, 1000))


def _mg_dropout(x, p, training, seed):
    mg.manual_seed(seed)
    return F.dropout(x, p, training)


def _torch_dropout(x, p, training, seed):
    if not training or p == 0:
        return x
    if p == 1:
        return x * 0.0
    mg.manual_seed(seed)     # the mask minigrad draws: keep where U[0, 1) ≥ p
    keep = np.asarray(mg.rand(*x.shape, dtype=np.float64).numpy()) >= p
    return x * torch.from_numpy(np.asarray(keep.astype(np.float64) / (1 - p)))


op("dropout", [_mg_dropout], _torch_dropout, _dropout_sample, covers=("F.dropout",),
   deliberate="the mask comes from minigrad's generator (torch's random stream differs): "
              "the twin applies the same mask, so the scaling x·mask/(1 − p) and the gradient "
              "are compared")


def _embedding_sample(c):
    n, d = c.pick([1, 2, 3, 4]), c.pick([1, 2, 3])
    idx = c.rng.integers(0, n, size=c.shape(0, 2))
    pad = c.pick([None, None] + list(range(-n, n)))
    return [C(idx.astype(np.int64)), c.x((n, d))], dict(padding_idx=pad)


op("embedding", [lambda i, w, padding_idx: F.embedding(i, w, padding_idx)],
   lambda i, w, padding_idx: TF.embedding(i, w, padding_idx), _embedding_sample,
   covers=("F.embedding",), note="repeated indices (gradients add), negative padding_idx")

# ==== nn.functional: activations ==============================================================

op("leaky_relu", [lambda x, s: F.leaky_relu(x, s)], lambda x, s: TF.leaky_relu(x, s),
   lambda c: ([c.x(c.shape()), c.pick([0.01, 0.2, 0.0, 1.5])], {}), covers=("F.leaky_relu",))
op("gelu", [lambda x, approximate: F.gelu(x, approximate)],
   lambda x, approximate: TF.gelu(x, approximate=approximate),
   lambda c: ([c.x(c.shape())], dict(approximate=c.pick(["none", "tanh"]))), covers=("F.gelu",))
op("erf", [F.erf], torch.erf, unary(), covers=("F.erf",),
   note="public in nn.functional though not in its __all__ (GELU's building block)")
op("softplus", [lambda x, beta, threshold: F.softplus(x, beta, threshold)],
   lambda x, beta, threshold: TF.softplus(x, beta, threshold),
   lambda c: ([c.x(c.shape())], dict(beta=c.pick([1.0, 2.0, 0.5]),
                                     threshold=c.pick([20.0, 1.0, 5.0]))),
   covers=("F.softplus",))
op("elu", [lambda x, alpha: F.elu(x, alpha)], lambda x, alpha: TF.elu(x, alpha),
   lambda c: ([c.x(c.shape())], dict(alpha=c.pick([1.0, 0.5, 2.0]))), covers=("F.elu",))

# ==== nn.functional: losses ===================================================================

_REDUCTIONS = ("mean", "sum", "none")


def _pair_loss_sample(db="real", **options):
    def sample(c):
        shape = c.shape()
        kw = {k: c.pick(v) for k, v in options.items()}
        return [c.x(shape), c.x(shape, db)], dict(reduction=c.pick(_REDUCTIONS), **kw)
    return sample


op("mse_loss", [lambda x, y, **k: F.mse_loss(x, y, **k)], lambda x, y, **k: TF.mse_loss(x, y, **k),
   _pair_loss_sample(), covers=("F.mse_loss",))
op("l1_loss", [lambda x, y, **k: F.l1_loss(x, y, **k)], lambda x, y, **k: TF.l1_loss(x, y, **k),
   _pair_loss_sample(), covers=("F.l1_loss",))
op("huber_loss", [lambda x, y, **k: F.huber_loss(x, y, **k)],
   lambda x, y, **k: TF.huber_loss(x, y, **k), _pair_loss_sample(delta=[1.0, 0.5, 2.0]),
   covers=("F.huber_loss",), note="the edge kind puts |x − y| on δ (the kink)")
op("smooth_l1_loss", [lambda x, y, **k: F.smooth_l1_loss(x, y, **k)],
   lambda x, y, **k: TF.smooth_l1_loss(x, y, **k), _pair_loss_sample(beta=[1.0, 0.5, 0.0]),
   covers=("F.smooth_l1_loss",))


def _bce_sample(c):
    shape = c.shape()
    weight = C(c.values(shape, "positive")) if c.bool() else None   # torch: no weight gradient
    return [c.x(shape, "prob"), c.x(shape, "prob"), weight], dict(reduction=c.pick(_REDUCTIONS))


def _clamped_log(q):
    """max(log q, −100) with the derivative 0 (not 0·∞) where the clamp holds."""
    inside = q > math.exp(-100)
    return torch.where(inside, torch.log(torch.where(inside, q, 1.0)), -100.0)


def _torch_bce(p, y, w, reduction):
    """torch's binary_cross_entropy (value and d/dp), plus y·(clamped log-ratio) with a zero
    value: its d/dy is minigrad's documented max(log(1 − p), −100) − max(log p, −100)."""
    loss = TF.binary_cross_entropy(p, y.detach(), w, reduction="none")
    logs = _clamped_log(1 - p) - _clamped_log(p)
    extra = (y - y.detach()) * logs
    loss = loss + (extra if w is None else extra * w)
    return loss.sum() if reduction == "sum" else loss.mean() if reduction == "mean" else loss


op("binary_cross_entropy", [lambda p, y, w, **k: F.binary_cross_entropy(p, y, w, **k)],
   _torch_bce, _bce_sample, covers=("F.binary_cross_entropy",),
   kinds=("normal", "edge", "extreme", "huge", "zero_d", "empty"),
   deliberate="d/dtarget is max(log(1 − p), −100) − max(log p, −100), the exact derivative of "
              "the clamped loss both libraries compute (ops/loss.py BinaryCrossEntropy); "
              "torch's target gradient uses the unclamped logs (−inf at p = 0); the twin is "
              "torch's loss and d/dp plus that documented d/dtarget",
   note="input and target in [0, 1] (both refuse others, NaN too: no nonfinite kind); p = 0 "
        "and 1 in the edge kind")


def _bce_logits_sample(c):
    shape = c.shape()
    weight = C(c.values(shape, "positive")) if c.bool() else None   # torch: no weight gradient
    pos = C(c.values(shape[-1:], "positive")) if c.bool() else None  # torch: no gradient
    return [c.x(shape), c.x(shape, "prob"), weight, pos], dict(reduction=c.pick(_REDUCTIONS))


def _stable_bce_logits(x, y, w, pw, reduction):
    """−w·(pw·y·log σ(x) + (1 − y)·log σ(−x)) with torch's logsigmoid: the formula in
    minigrad's docstring, written with torch ops."""
    pos = y * TF.logsigmoid(x)
    loss = -((pos if pw is None else pos * pw) + (1 - y) * TF.logsigmoid(-x))
    loss = loss if w is None else loss * w
    return loss.sum() if reduction == "sum" else loss.mean() if reduction == "mean" else loss


op("binary_cross_entropy_with_logits",
   [lambda x, y, w, pw, **k: F.binary_cross_entropy_with_logits(x, y, w, pos_weight=pw, **k)],
   lambda x, y, w, pw, **k: TF.binary_cross_entropy_with_logits(x, y, w, pos_weight=pw, **k),
   _bce_logits_sample, covers=("F.binary_cross_entropy_with_logits",),
   torch_by_kind=dict(extreme=_stable_bce_logits, huge=_stable_bce_logits),
   deliberate="for |x| ≫ 1 torch's fused (1 − y)·x + (1 + (pw − 1)·y)·(max(−x, 0) + log1p(…)) "
              "cancels terms of size |x| (x = −1e15, y = 1 − 1e−15, pw = 1e−15: 0.69304 against "
              "the exact 0.69344; x = −1e200, y = 1e−200: 0 against 1.0), so in the extreme and "
              "huge kinds the twin is minigrad's documented formula "
              "−w·(pw·y·log σ(x) + (1 − y)·log σ(−x)) with torch's logsigmoid")


def _class_problem(c, max_classes=4, smoothing=True, ignore=True):
    """Logits, targets and options of a classification loss, in one of torch's layouts."""
    layout = c.pick(["NC", "NC", "C", "NCd"])
    ncls = c.int(1, max_classes)
    n = c.pick([1, 2, 3, 0])
    if layout == "C":
        xshape, tshape = (ncls,), ()
    elif layout == "NC":
        xshape, tshape = (n, ncls), (n,)
    else:
        d = c.pick([1, 2])
        xshape, tshape = (n, ncls, d), (n, d)
    target = c.rng.integers(0, ncls, size=tshape).astype(np.int64)
    options = dict(reduction=c.pick(_REDUCTIONS))
    if ignore and c.bool():
        options["ignore_index"] = c.pick([-100, int(c.rng.integers(ncls))])
        if options["ignore_index"] == -100 and target.size and c.bool():
            target.flat[int(c.rng.integers(target.size))] = -100
    weight = C(c.values((ncls,), "positive", kind="edge" if c.kind == "edge" else "normal")) \
        if c.bool() else None
    if smoothing and c.bool():
        options["label_smoothing"] = c.pick([0.1, 0.5, 1.0])
    return c.x(xshape), C(target), weight, options


def _ce_sample(c):
    x, t, w, options = _class_problem(c)
    return [x, t, w], options


op("cross_entropy", [lambda x, t, w, **k: F.cross_entropy(x, t, w, **k)],
   lambda x, t, w, **k: TF.cross_entropy(x, t, w, **k), _ce_sample,
   kinds=STRUCT_KINDS + ("masked",),
   covers=("F.cross_entropy",),
   note="layouts (N, C), (C,) and (N, C, d); class weights (zeros in the edge kind), "
        "ignore_index (some or every target ignored), label smoothing, reductions")


def _nll_sample(c):
    x, t, w, options = _class_problem(c, smoothing=False)
    return [x, t, w], options


op("nll_loss", [lambda x, t, w, **k: F.nll_loss(x, t, w, **k)],
   lambda x, t, w, **k: TF.nll_loss(x, t, w, **k), _nll_sample, covers=("F.nll_loss",),
   kinds=STRUCT_KINDS)


def _margin_sample(c):
    x, t, w, options = _class_problem(c, smoothing=False, ignore=False)
    if len(x.array.shape) == 3:   # multi_margin_loss takes (N, C) or (C,)
        x, t = X(x.array[..., 0]), C(t.array[..., 0])
    return [x, t, w], dict(options, p=c.pick([1, 2]), margin=c.pick([1.0, 0.5, 0.0]))


def _exact_multi_margin(x, t, w, reduction, p, margin):
    """Σ_{c ≠ t} max(0, (x_c − x_t) + margin)^p·w_t / C with torch ops: the hinge summed in the
    order that is exact when x_c = x_t (minigrad's docstring formula)."""
    rows, tt = (x.unsqueeze(0), t.reshape(1)) if x.dim() == 1 else (x, t)
    n, ncls = rows.shape
    picked = rows[torch.arange(n), tt].unsqueeze(1)
    hinge = torch.relu((rows - picked) + margin) ** p
    mask = torch.ones(n, ncls, dtype=rows.dtype)
    mask[torch.arange(n), tt] = 0
    if w is not None:
        mask = mask * w[tt].unsqueeze(1)
    per_row = (hinge * mask).sum(1) / ncls
    if reduction == "none":
        return per_row.reshape(()) if x.dim() == 1 else per_row
    return per_row.sum() if reduction == "sum" else per_row.mean()


def _torch_multi_margin(x, t, w, **k):
    if x.numel() == 0 and k["reduction"] == "mean":
        # torch returns uninitialised memory here (6.9e−310 was seen); the mean of nothing is
        # NaN, as torch's other losses give
        return x.sum() * float("nan")
    return TF.multi_margin_loss(x, t, weight=w, **k)


op("multi_margin_loss", [lambda x, t, w, **k: F.multi_margin_loss(x, t, weight=w, **k)],
   _torch_multi_margin, _margin_sample,
   torch_by_kind=dict(extreme=_exact_multi_margin, huge=_exact_multi_margin),
   deliberate="torch's kernel forms margin − x_t + x_c left to right, losing the margin when "
              "|x| ≫ margin (x_t = x_c = −1e30, margin 1: torch's hinge 0, the exact one 1); in "
              "the extreme and huge kinds the twin is the docstring's formula with torch ops, "
              "summed as (x_c − x_t) + margin",
   covers=("F.multi_margin_loss",), kinds=STRUCT_KINDS)


def _kl_sample(c):
    shape = c.shape()
    log_target = c.bool()
    target = c.x(shape) if log_target else c.x(shape, "prob")
    return [c.x(shape), target], dict(reduction=c.pick(_REDUCTIONS + ("batchmean",)),
                                      log_target=log_target)


op("kl_div", [lambda x, y, **k: F.kl_div(x, y, **k)], lambda x, y, **k: TF.kl_div(x, y, **k),
   _kl_sample, covers=("F.kl_div",),
   note="the target differentiable too; exact-zero targets in the edge kind")


def _info_nce_sample(c):
    n, d = c.pick([1, 2, 3]), c.pick([1, 2, 3])
    return [c.x((n, d)), c.x((n, d))], dict(temperature=c.pick([0.1, 1.0, 0.5]),
                                            reduction=c.pick(_REDUCTIONS))


def _torch_info_nce(a, b, temperature, reduction):
    logits = TF.normalize(a, dim=1) @ TF.normalize(b, dim=1).T / temperature
    return TF.cross_entropy(logits, torch.arange(a.shape[0]), reduction=reduction)


op("info_nce", [lambda a, b, **k: F.info_nce(a, b, **k)], _torch_info_nce, _info_nce_sample,
   covers=("F.info_nce",), kinds=STRUCT_KINDS,
   deliberate="minigrad-only loss (torch has none): the twin is its docstring's formula "
              "written with torch ops, cross_entropy(normalize(a) @ normalize(b).T / T, "
              "arange(N))")

# ==== ops: the patch kernels ==================================================================


def _im2col_geometry(c):
    kh, kw = c.pick([1, 2, 3]), c.pick([1, 2, 3])
    s, p, d = (c.pick([1, 2]), c.pick([1, 2])), (c.pick([0, 1]), c.pick([0, 1])), \
        (c.pick([1, 2]), c.pick([1, 2]))
    h = c.int(max(1, d[0] * (kh - 1) + 1 - 2 * p[0]), d[0] * (kh - 1) + 3)
    w = c.int(max(1, d[1] * (kw - 1) + 1 - 2 * p[1]), d[1] * (kw - 1) + 3)
    oh = (h + 2 * p[0] - d[0] * (kh - 1) - 1) // s[0] + 1
    ow = (w + 2 * p[1] - d[1] * (kw - 1) - 1) // s[1] + 1
    return (c.pick([1, 2]), c.pick([1, 2]), h, w), (kh, kw), s, p, d, (oh, ow)


def _im2col_sample(c):
    shape, k, s, p, d, _ = _im2col_geometry(c)
    return [c.x(shape)], dict(kernel_size=k, stride=s, padding=p, dilation=d)


def _torch_im2col(x, kernel_size, stride, padding, dilation):
    n, ch, h, w = x.shape
    cols = TF.unfold(x, kernel_size, dilation=dilation, padding=padding, stride=stride)
    oh = (h + 2 * padding[0] - dilation[0] * (kernel_size[0] - 1) - 1) // stride[0] + 1
    ow = (w + 2 * padding[1] - dilation[1] * (kernel_size[1] - 1) - 1) // stride[1] + 1
    return cols.reshape(n, ch, *kernel_size, oh, ow).permute(1, 2, 3, 0, 4, 5)


op("im2col", [lambda x, **k: ops.im2col(x, **k)], _torch_im2col, _im2col_sample,
   covers=("ops.im2col",), kinds=STRUCT_KINDS,
   note="twin: torch's unfold, laid out (C, KH, KW, N, OH, OW)")


def _col2im_sample(c):
    (n, ch, h, w), k, s, p, d, (oh, ow) = _im2col_geometry(c)
    return [c.x((ch,) + k + (n, oh, ow))], dict(image_size=(h, w), stride=s, padding=p,
                                                 dilation=d)


def _torch_col2im(cols, image_size, stride, padding, dilation):
    ch, kh, kw, n, oh, ow = cols.shape
    flat = cols.permute(3, 0, 1, 2, 4, 5).reshape(n, ch * kh * kw, oh * ow)
    return TF.fold(flat, image_size, (kh, kw), dilation=dilation, padding=padding, stride=stride)


op("col2im", [lambda x, **k: ops.col2im(x, **k)], _torch_col2im, _col2im_sample,
   covers=("ops.col2im",), kinds=STRUCT_KINDS, note="twin: torch's fold")


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


# ==== where the comparison is relaxed, and the discrepancies found ============================

_BY_NAME = {e.name: e for e in REGISTRY}


def relax(names, mode, reason, kinds=KINDS + ("masked",), checks=CHECKS):
    for name in names.split():
        _BY_NAME[name].relax.append(Relax(mode, reason, tuple(kinds), tuple(checks)))


def known(names, kinds, checks, reason, when=True):
    """A discrepancy this suite found (not fixed yet): the tests of these kinds are
    xfail(strict) on these checks, so they fail once it is fixed: then delete the line."""
    if not when:
        return
    for name in names.split():
        for kind in kinds.split():
            _BY_NAME[name].known.setdefault(kind, {}).update(dict.fromkeys(checks.split(),
                                                                             reason))


def pin(name, kind, args, **kwargs):
    """A minimal reproduction, always run in the test of (name, kind)."""
    _BY_NAME[name].pins.setdefault(kind, []).append(
        ([a if isinstance(a, (X, C, I, list)) or a is None or not isinstance(a, np.ndarray)
          else X(a) for a in args], kwargs))


def _x(*values, shape=None):
    """X of the values (reshaped to ``shape``)."""
    a = np.array(values, dtype=np.float64)
    return X(a.reshape(shape) if shape is not None else a)


def _x0(value):
    return X(np.array(value, dtype=np.float64))


def _c(*values, dtype=np.float64):
    return C(np.array(values, dtype=dtype))


_BIG = ("extreme", "huge")
_ALL_FIRST = "backward create_graph"

# -- relaxations: torch is not the oracle there (each says why) ---------------------------------

relax("sum mean sum_to_shape matmul rmatmul_array matmul_bt linear conv2d avg_pool2d col2im "
      "nll_loss kl_div",
      "terms", "a sum of terms of very different sizes (1e30 beside 1e15) depends on the order "
      "of summation (e.g. sum_to_shape gave 9.85e14 and torch 9.70e14 from terms of 1e30): the "
      "error bound is rtol·Σ|terms|, and where Σ|terms| overflows (1e300²) any order's inf or "
      "NaN is right", kinds=_BIG)
relax("binary_cross_entropy_with_logits", "torch_nan", "at x = ∓inf with a target weighting "
      "that side the loss is +inf (minigrad: log σ(x) = −softplus(−x) is exact at ±inf); "
      "torch's max-form gives inf − inf = NaN", kinds=("nonfinite",), checks=("forward",))
relax("batch_norm", "terms", "the batch mean and variance written into the running statistics "
      "sum terms of 1e30 beside 1e15: the order of summation decides (running mean 5.556e12 "
      "against 5.473e12); compared within the bound of the terms", kinds=_BIG,
      checks=("forward",))
relax("batch_norm", "torch_nan", "eval mode: torch folds the affine map into "
      "x·(γ/σ) + (β − μ·γ/σ), which is inf − inf = NaN for an infinite γ; minigrad's ((x − μ)/σ)·γ + β is ±inf",
      kinds=("nonfinite",), checks=("forward",))
relax("cross_entropy", "torch_nan", "an ignored row (target = ignore_index) gets no gradient in "
      "minigrad (0, nn/functional.py _weighted_reduce); torch multiplies the NaN softmax of an "
      "infinite logit by the row's zero weight", kinds=("nonfinite", "masked"),
      checks=("backward", "create_graph", "second"))
relax("info_nce", "unchecked", "second derivatives through a row below eps (x/eps) carry terms "
      "of 1/eps = 1e12, and rows of 1e30 terms of that size: their cancellation left torch with "
      "noise of 2⁻⁹…2⁻¹³ where minigrad has 0 or 3.8e−4 (and 0.72 differing by 4e−7 beside "
      "entries of 1e21); only NaN/inf places compared", kinds=("edge", "extreme"),
      checks=("second",))
relax("info_nce", "unchecked", "a row below eps (a zero row, or 1e−30) is divided by "
      "eps = 1e−12, so the rounding (1e−16) of a gradient that is exactly 0 becomes 1e−4 "
      "(minigrad −1.1e−4 where torch, by the luck of its order, 0; 8.9e−4 against 4.4e−4); only "
      "NaN/inf places compared", kinds=("edge", "extreme"), checks=("backward", "create_graph"))
relax("batch_norm layer_norm", "unchecked", "standardising values whose spread is far below "
      "their magnitude is ill-conditioned: three equal values 1e30 have x̂ = (x − μ)/√eps with "
      "μ's rounding deciding (minigrad's exact 0 against the twin's −1); the input gradient "
      "(g − mean g − x̂·mean(g·x̂))·γ/σ cancels terms of size |g|·γ/σ (0 exactly for two values, "
      "and each library returns noise of ulp·γ/σ: −0.125 against 0 with γ/σ = 2e15, 1.0 "
      "against 0.25); only NaN/inf places compared", kinds=("extreme",))
relax("cross_entropy nll_loss", "torch_nan", "the mean with a total weight of 0 (class weights 0 "
      "where the targets are) is NaN in both; minigrad gives no row a gradient (0, as for "
      "every target ignored: nn/functional.py _weighted_reduce), torch divides 0 by 0",
      kinds=("edge",), checks=("backward", "create_graph", "second"))
relax("binary_cross_entropy", "unchecked", "torch's BCE double backward divides by "
      "(p + ε)²(1 − p + ε)², not by the square of its own first derivative's max(p(1 − p), ε): "
      "near p = 0 or 1 they differ by orders of magnitude (2.5e23 against minigrad's 1e12, the "
      "derivative of its first derivative, at p = 1e−30); only NaN/inf places compared",
      kinds=_BIG, checks=("second",))
relax("pow rpow_scalar", "torch_nan", "Pow's documented convention (ops/elementwise.py): where "
      "a = 0 and b ≥ 0 the log in d/db is taken of 1, 'so no NaN enters a second derivative'; "
      "torch's second derivative there is NaN (0·log 0)", checks=("second",))
relax("normalize info_nce", "torch_nan", "L2Norm's documented subgradient 0 at a zero vector "
      "(ops/norm.py): x/max(‖x‖, eps) is x/eps there, whose second derivative is 0; torch's "
      "norm double backward gives 0/0 = NaN", kinds=("edge",), checks=("second",))
relax("kl_div", "torch_nan", "kl_div's documented 0·log 0 = 0 (nn/functional.py: 'no −inf, no "
      "NaN'): minigrad's d/dtarget is 0 at target = 0, torch's is NaN",
      kinds=("edge",), checks=("backward", "create_graph"))
relax("amax amin", "torch_nan", "a NaN is the max (min) of its slice and gets the gradient "
      "(ops/reduce.py Amax, as torch.max() does); torch's amax backward compares x == result, "
      "false for NaN, and divides by 0 hits: NaN", kinds=("nonfinite",),
      checks=("backward", "create_graph"))
relax("gelu", "torch_nan", "torch's GELU double backward forms x²·φ(x) as inf·0 = NaN for "
      "|x| > 1e154; the limit is 0 (minigrad)", kinds=("huge",), checks=("second",))

# -- discrepancies found by this suite (xfail strict until fixed), each with a pinned minimal
#    reproduction (pin): delete both when it is fixed ----------------------------------------

nan, inf = np.nan, np.inf
_WHERE_INF = ("Where.backward multiplies by the mask, so an infinite upstream gradient or an "
              "infinite derivative in the branch not taken gives inf·0 = NaN (torch's where "
              "backward selects: 0). Minimal: x = tensor([1.]); where(x > 0, x, 2*x).backward("
              "tensor([inf])) gives x.grad NaN, torch inf")

# 0-d and empty tensors
known("softmax log_softmax logsumexp", "empty", "forward", "an empty softmax axis raises "
      "ValueError 'cannot reshape array of size 0 into shape (0)' (torch: an empty result; "
      "logsumexp: −inf)")
pin("softmax", "empty", [X(np.zeros((2, 0)))], dim=-1)
pin("log_softmax", "empty", [X(np.zeros((2, 0)))], dim=-1)
pin("logsumexp", "empty", [X(np.zeros((2, 0)))], dim=-1, keepdim=False)
pin("amax", "empty", [X(np.zeros((2, 0, 2)))], dim=0, keepdim=False)   # (fixed in issue 12)
pin("amin", "empty", [X(np.zeros((2, 0, 2)))], dim=0, keepdim=False)
pin("reduce_dim_empty_tuple", "normal", [_x(1.0, 2.0)], which="sum", keepdim=False)  # fixed (12)
known("softmax_family_0d", "normal", "forward", "softmax/log_softmax/logsumexp of a 0-d tensor "
      "raise ValueError; torch returns 1, 0 and x")
pin("softmax_family_0d", "normal", [_x0(0.5)], which="softmax")

# spellings

# non-finite values
known("logsumexp", "nonfinite masked", "forward backward create_graph", "issue 11 item 9 (the "
      "lead is on it): logsumexp of a row with +inf is NaN (torch +inf), of an all −inf row NaN "
      "(torch −inf), and the gradient NaN")
pin("logsumexp", "nonfinite", [_x(1.0, inf)], dim=0, keepdim=False)
pin("logsumexp", "masked", [_x(-inf, -inf)], dim=0, keepdim=False)
known("cross_entropy", "masked nonfinite", "forward backward create_graph", "issue 11 item 9: "
      "the numpy reference cross-entropy (MINIGRAD_PURE_NUMPY=1) is NaN with a −inf logit",
      when=not COMPILED)
if not COMPILED:
    for _kind in ("masked", "nonfinite"):
        pin("cross_entropy", _kind, [_x(2.7, -inf, shape=(1, 2)), _c(0, dtype=np.int64), None],
            reduction="mean")
known("erf gelu", "zero_d", "forward", "the numpy reference erf (MINIGRAD_PURE_NUMPY=1) of a 0-d "
      "tensor raises AttributeError: 'float' object has no attribute 'astype'",
      when=not COMPILED)
if not COMPILED:
    pin("erf", "zero_d", [_x0(0.8)])
known("elu", "nonfinite", "backward create_graph", "at an infinite or NaN input the "
      "gradient is NaN; torch gives its branch's finite value. " + _WHERE_INF)
pin("elu", "nonfinite", [_x(nan)], alpha=1.0)
known("elu", "nonfinite", "second", "at a NaN input the second derivative is NaN (torch 0)")
known("batch_norm", "nonfinite", "backward create_graph second", "with an infinite weight γ "
      "the input gradient is NaN: γ multiplies g before the standardisation's sums (inf − inf); "
      "torch factors γ/σ out and gives ±inf")
known("layer_norm", "nonfinite", "backward create_graph", "with an infinite weight γ_j (and "
      "bias) the input gradient of an entry is NaN where torch's is ±inf (γ multiplies g before "
      "the standardisation's sums)")
pin("batch_norm", "nonfinite", [_x(-1.1, 2.0, -0.5, shape=(3, 1, 1)), None, None, _x(-inf),
                                None], training=True, momentum=0.5, eps=0.1)
pin("layer_norm", "nonfinite", [_x(-2.1196843924583906, 0.25037134209307244, 0.5811669655891833,
                                  shape=(1, 3)),
                               _x(-2.035672600607953, inf, -1.7004092132230983),
                               _x(-2.9878427519141866, -inf, 2.9451730734552415)],
    normalized_shape=(3,), eps=1e-5)
known("multi_margin_loss", "nonfinite", "forward backward create_graph", "an infinite logit "
      "makes the loss NaN: the target's own hinge (x_t − x_t + margin = NaN at inf) is masked "
      "by multiplying with 0; torch skips it (0)")
pin("multi_margin_loss", "nonfinite", [_x(inf, 1.0, shape=(1, 2)), _c(0, dtype=np.int64), None],
    reduction="mean", p=1, margin=1.0)
known("nll_loss", "nonfinite", "forward backward create_graph", "an ignored row with an infinite "
      "log-probability makes the loss NaN: −input[r, t]·0 (masked by multiplying); torch 0")
pin("nll_loss", "nonfinite", [_x(inf, shape=(1, 1)), _c(0, dtype=np.int64), None],
    reduction="sum", ignore_index=0)
known("kl_div", "nonfinite", "forward second", "a NaN target is treated as 0 (the mask "
      "target > 0 is False): the loss 0 where torch's is NaN, a NaN swallowed")
pin("kl_div", "nonfinite", [_x(1.0), _x(nan)], reduction="sum", log_target=False)
known("binary_cross_entropy_with_logits", "nonfinite", "backward create_graph second",
      _WHERE_INF + "; here an infinite weight (and a NaN target gives a NaN second derivative "
      "in x, which does not depend on the target)")
pin("binary_cross_entropy_with_logits", "nonfinite", [_x(1.97), _x(0.5), _c(inf), None],
    reduction="mean")

# kinks (edge values)
known("elu", "edge", "second", "the second derivative at the kink x = 0 takes the negative "
      "branch (α), as minigrad's first derivative does; torch's double backward gives 0 there: "
      "document the convention or match")
pin("elu", "edge", [_x(0.0, -0.5)], alpha=0.5)
known("huber_loss", "edge", "second", "the second derivative at |x − y| = δ takes the quadratic "
      "branch (as the first derivative's ≤ does); torch's double backward takes the linear one "
      "(0): document or match")
pin("huber_loss", "edge", [_x(1.5), _x(0.5)], reduction="sum", delta=1.0)
known("softplus", "edge", "second", "the second derivative at β·x = threshold takes the smooth "
      "branch (as the first derivative does); torch's double backward gives 0 there: document "
      "or match")
pin("softplus", "edge", [_x(2.0)], beta=0.5, threshold=1.0)
known("binary_cross_entropy", "edge", "second", "the second derivative at p = 0 or 1 is NaN: "
      "the derivative of the clamped log is 0·(1/0) (masked by multiplying); the twin's is 0")
pin("binary_cross_entropy", "edge", [_x(0.0, 1.0), _x(0.5, 0.5), None], reduction="sum")
known("kl_div", "edge", "second", "at target = 0 the loss is 0·input, so d²/(dinput dtarget) "
      "is 0 where torch has −1 (from the −target·input term)")
pin("kl_div", "edge", [_x(2.0), _x(0.0)], reduction="sum", log_target=False)

# extreme and huge magnitudes
known("binary_cross_entropy", "extreme", "forward", "log(1 − p) is computed as such, not as "
      "log1p(−p): the loss −log(1 − p) ≈ p of a confident negative loses its digits (p = 1e−15, "
      "y = 0: 9.992e−16 where torch 1.0000e−15, shown here with weight 1e15; p = 1e−200: 0)")
pin("binary_cross_entropy", "extreme", [_x(1e-15), _x(0.0), _c(1e15)], reduction="none")
known("binary_cross_entropy", "huge", "forward second", "log(1 − p) without log1p (see the "
      "extreme kind: p = 1e−200 gives 0 for 1e−200), and with p = 1e−200 and weight 1e300 the "
      "second derivative is NaN or −inf where the twin's is finite")
pin("binary_cross_entropy", "huge", [_x(1e-200), _x(0.0), _c(1e200)], reduction="none")
known("pow", "huge", "second", "a ** b at a = 1.5, b = −1e200: the second derivative is NaN "
      "(torch 0)")
pin("pow", "huge", [_x(1.5), _x(-1e200)])
known("normalize info_nce", "huge", "forward backward create_graph second", "a deliberate "
      "difference, kept here because torch is no oracle for it: minigrad's L2Norm scales by "
      "max|x| before squaring, so normalize([1e300, 1]) is [1, 1e−300] (tested in "
      "test_edge_numbers.py); torch 2.13's norm overflows and gives [0, 0]")
pin("normalize", "huge", [_x(1e300, 1.0)], dim=0, eps=1e-12)
pin("info_nce", "huge", [_x(1e300, 1.0, shape=(2, 1)), _x(1.0, 2.0, shape=(2, 1))],
    temperature=1.0, reduction="mean")
known("batch_norm layer_norm", "huge", "forward backward create_graph second", "a deliberate "
      "difference, kept here because torch is no oracle for it: minigrad standardises values "
      "~1e200 exactly (ops/norm.py standardize scales c by max|c| before squaring; tested in "
      "test_edge_numbers.py), torch's variance overflows (layer_norm NaN, batch_norm 0)")
pin("batch_norm", "huge", [_x(1e200, -1e200, 1.0, shape=(3, 1)), None, None, None, None],
    training=True, momentum=0.1, eps=1e-5)
pin("layer_norm", "huge", [_x(1e200, -1e200, 1.0, shape=(1, 3)), None, None],
    normalized_shape=(3,), eps=1e-5)
known("binary_cross_entropy_with_logits", "huge", "backward create_graph second", _WHERE_INF + "; here "
      "weight 1e200 and pos_weight 1e300 overflow the upstream gradient (NaN where torch −inf)")
pin("binary_cross_entropy_with_logits", "huge", [_x(-1e-300, -1e200), _x(1e-300, 0.5),
                                                 _c(1e200, 0.75), _c(1e300, 1.5)],
    reduction="mean")
known("kl_div", "huge", "second", "d²/dtarget² = 1/t at t = 1e−300 comes out ±inf (torch 1e300)")
pin("kl_div", "huge", [_x(1.0), _x(1e-300)], reduction="sum", log_target=False)
known("kl_div", "extreme", "second", "log_target=True with a target ≥ 710: exp(t) = inf and the "
      "second derivative in the target is NaN where torch's is inf")
pin("kl_div", "extreme", [_x(-1e30, 1.5, -1e15, shape=(1, 3)), _x(1e30, 1e15, 1.5, shape=(1, 3))],
    reduction="mean", log_target=True)


# ==== issue 12 (shape): torch's views, pieces, masks, indexing along an axis ====================
# Ops that return a tuple (split, chunk, unbind) are compared through the pieces joined back in
# reverse order, so every piece's value and gradient is checked.


def _like_sample(grow):
    """x and a constant tensor whose shape x is viewed as (view_as) or expanded to (expand_as)."""
    def sample(c):
        if grow:
            shape = c.shape(0, 3, (1, 1, 2, 3))
            return [c.x(shape), C(np.zeros(_grown(c, shape)))], {}
        shape = c.shape()
        return [c.x(shape), C(np.zeros(c.pick(_shapes_of_size(int(np.prod(shape))))))], {}
    return sample


op("view_as", [lambda x, o: x.view_as(o), lambda x, o: x.reshape_as(o)],
   lambda x, o: x.view_as(o), _like_sample(False), kinds=SHAPE_KINDS,
   covers=("Tensor.view_as", "Tensor.reshape_as"))
op("expand_as", [lambda x, o: x.expand_as(o)], lambda x, o: x.expand_as(o), _like_sample(True),
   kinds=SHAPE_KINDS, covers=("Tensor.expand_as",))


def _expand_sample(c):
    shape = c.shape(0, 3, (1, 1, 2, 3))
    sizes = list(_grown(c, shape))
    lead = len(sizes) - len(shape)
    for k in range(lead, len(sizes)):
        if c.int(0, 2) == 0:
            sizes[k] = -1   # keeps the size
    return [c.x(shape)], dict(sizes=tuple(sizes))


op("expand", [lambda x, sizes: x.expand(sizes), lambda x, sizes: x.expand(*sizes),
              lambda x, sizes: ops.expand(x, *sizes)],
   lambda x, sizes: x.expand(sizes), _expand_sample, kinds=SHAPE_KINDS,
   covers=("Tensor.expand", "ops.expand"), note="-1 keeps a size; new leading axes")
op("t", [lambda x: x.t(), mg.t, ops.t], lambda x: x.t(), unary(max_dims=2), kinds=SHAPE_KINDS,
   covers=("Tensor.t", "mg.t", "ops.t"))


def _contiguous_sample(c):
    return [c.x(c.shape())], dict(reverse=c.bool())


def _reversed_axes(x):
    return x.permute(*reversed(range(x.ndim))) if x.ndim else x


op("contiguous", [lambda x, reverse: (_reversed_axes(x) if reverse else x).contiguous(),
                  lambda x, reverse: ops.contiguous(_reversed_axes(x) if reverse else x)],
   lambda x, reverse: (_reversed_axes(x) if reverse else x).contiguous(), _contiguous_sample,
   kinds=SHAPE_KINDS, covers=("Tensor.contiguous", "ops.contiguous"),
   note="a transposed (non-contiguous) input is copied")
op("swapaxes", [lambda x, d0, d1: x.swapaxes(d0, d1), lambda x, d0, d1: x.swapdims(d0, d1),
                lambda x, d0, d1: mg.swapaxes(x, d0, d1), lambda x, d0, d1: mg.swapdims(x, d0, d1),
                lambda x, d0, d1: ops.swapaxes(x, d0, d1),
                lambda x, d0, d1: ops.swapdims(x, d0, d1)],
   lambda x, d0, d1: torch.swapaxes(x, d0, d1), _transpose_sample, kinds=SHAPE_KINDS,
   covers=("Tensor.swapaxes", "Tensor.swapdims", "mg.swapaxes", "mg.swapdims", "ops.swapaxes",
           "ops.swapdims"))


def _movedim_sample(c):
    shape = c.shape()
    n = max(len(shape), 1)
    k = c.int(1, n)
    src = [int(a) for a in c.rng.permutation(n)[:k]]
    dst = [int(a) - (n if c.bool() else 0) for a in c.rng.permutation(n)[:k]]
    if k == 1 and c.bool():
        return [c.x(shape)], dict(source=src[0], destination=dst[0])
    return [c.x(shape)], dict(source=tuple(src), destination=tuple(dst))


op("movedim", [lambda x, source, destination: x.movedim(source, destination),
               lambda x, source, destination: x.moveaxis(source, destination),
               mg.movedim, mg.moveaxis, ops.movedim],
   lambda x, source, destination: torch.movedim(x, source, destination), _movedim_sample,
   kinds=SHAPE_KINDS, covers=("Tensor.movedim", "Tensor.moveaxis", "mg.movedim", "mg.moveaxis",
                              "ops.movedim"))


def _unflatten_sample(c):
    shape = c.shape(1, 3)
    dim = c.axis(len(shape))
    n = shape[dim % len(shape)]
    sizes = list(c.pick([s for s in _shapes_of_size(n, 3) if s]))
    if n and c.bool():
        sizes[c.int(0, len(sizes) - 1)] = -1
    return [c.x(shape)], dict(dim=dim, sizes=tuple(sizes))


op("unflatten", [lambda x, dim, sizes: x.unflatten(dim, sizes), mg.unflatten, ops.unflatten],
   lambda x, dim, sizes: x.unflatten(dim, sizes), _unflatten_sample, kinds=("normal", "empty"),
   covers=("Tensor.unflatten", "mg.unflatten", "ops.unflatten"))


def _narrow_sample(c):
    shape = c.shape(1, 3)
    dim = c.axis(len(shape))
    n = shape[dim % len(shape)]
    start = c.int(-n, n)
    length = c.int(0, n - (start + n if start < 0 else start))
    return [c.x(shape)], dict(dim=dim, start=start, length=length)


op("narrow", [lambda x, dim, start, length: x.narrow(dim, start, length), mg.narrow, ops.narrow],
   lambda x, dim, start, length: torch.narrow(x, dim, start, length), _narrow_sample,
   kinds=("normal", "empty"), covers=("Tensor.narrow", "mg.narrow", "ops.narrow"))


def _dim_sample(c):
    shape = c.shape(1, 3)
    return [c.x(shape)], dict(dim=c.axis(len(shape)))


op("unbind", [lambda x, dim: mg.stack(x.unbind(dim)[::-1], dim),
              lambda x, dim: mg.stack(mg.unbind(x, dim)[::-1], dim),
              lambda x, dim: mg.stack(ops.unbind(x, dim)[::-1], dim)],
   lambda x, dim: torch.stack(x.unbind(dim)[::-1], dim), _dim_sample, kinds=("normal", "empty"),
   covers=("Tensor.unbind", "mg.unbind", "ops.unbind"),
   note="the slices stacked back in reverse order")


def _split_sample(c):
    shape = c.shape(1, 3, (1, 2, 3, 4, 5))
    dim = c.axis(len(shape))
    n = shape[dim % len(shape)]
    if c.bool():
        return [c.x(shape)], dict(s=c.int(1, n + 1) if n else c.int(0, 2), dim=dim)
    cuts = sorted(c.rng.integers(0, n + 1, size=c.int(0, 3)).tolist())
    return [c.x(shape)], dict(s=[b - a for a, b in zip([0] + cuts, cuts + [n])], dim=dim)


op("split", [lambda x, s, dim: mg.cat(x.split(s, dim)[::-1], dim),
             lambda x, s, dim: mg.cat(mg.split(x, s, dim)[::-1], dim),
             lambda x, s, dim: mg.cat(ops.split(x, s, dim=dim)[::-1], dim)],
   lambda x, s, dim: torch.cat(x.split(s, dim)[::-1], dim), _split_sample,
   kinds=("normal", "empty"), covers=("Tensor.split", "mg.split", "ops.split"),
   note="an int (the last piece smaller) or a list of sizes; pieces joined back in reverse")


def _chunk_sample(c):
    shape = c.shape(1, 3, (1, 2, 3, 4, 5, 6))
    return [c.x(shape)], dict(chunks=c.int(1, 5), dim=c.axis(len(shape)))


op("chunk", [lambda x, chunks, dim: mg.cat(x.chunk(chunks, dim)[::-1], dim),
             lambda x, chunks, dim: mg.cat(mg.chunk(x, chunks, dim)[::-1], dim),
             lambda x, chunks, dim: mg.cat(ops.chunk(x, chunks, dim)[::-1], dim)],
   lambda x, chunks, dim: torch.cat(x.chunk(chunks, dim)[::-1], dim), _chunk_sample,
   kinds=("normal", "empty"), covers=("Tensor.chunk", "mg.chunk", "ops.chunk"),
   note="ceil(size / chunks) per piece, so fewer pieces at times (6 in 4 chunks: 3 of 2)")


def _cat_dim_sample(c):
    args, kw = _cat_sample(c)
    xs = args[0]
    for _ in range(c.int(0, 2)):   # torch skips 1-D empty tensors, whatever the others' shapes
        xs.insert(c.int(0, len(xs)), c.x((0,)))
    return [xs], dict(dim=kw["axis"])


op("cat_dim", [lambda xs, dim: mg.cat(xs, dim=dim), lambda xs, dim: mg.concat(xs, dim=dim),
               lambda xs, dim: mg.concatenate(tuple(xs), axis=dim),
               lambda xs, dim: ops.concatenate(xs, dim=dim)],
   lambda xs, dim: torch.cat(xs, dim=dim), _cat_dim_sample, kinds=("normal", "empty"),
   covers=("mg.cat", "mg.concat", "mg.concatenate", "ops.concatenate"),
   note="dim= (torch) or axis=; tensors of shape (0,) skipped, as torch")
op("stack_dim", [lambda xs, axis: mg.stack(xs, dim=axis), lambda xs, axis: mg.stack(tuple(xs),
                                                                                   axis=axis)],
   lambda xs, axis: torch.stack(xs, dim=axis), _stack_sample, kinds=SHAPE_KINDS,
   covers=("mg.stack",))


def _hvstack_sample(c):
    shape = c.shape(0, 3)
    return [[c.x(shape) for _ in range(c.int(1, 3))]], dict(how=c.pick(["hstack", "vstack"]))


op("hstack_vstack", [lambda xs, how: getattr(mg, how)(xs), lambda xs, how: getattr(ops, how)(xs)],
   lambda xs, how: getattr(torch, how)(xs), _hvstack_sample, kinds=SHAPE_KINDS,
   covers=("mg.hstack", "mg.vstack", "ops.hstack", "ops.vstack"))


def _dim_kw_sample(c):
    shape = c.shape(0, 3, (1, 1, 2, 3))
    which = c.pick(["squeeze", "unsqueeze"])
    return [c.x(shape)], dict(which=which, dim=c.axis(len(shape),
                                                      extra=int(which == "unsqueeze")))


op("squeeze_dim_kw", [lambda x, which, dim: getattr(x, which)(dim=dim),
                      lambda x, which, dim: getattr(mg, which)(x, dim=dim)],
   lambda x, which, dim: getattr(x, which)(dim=dim), _dim_kw_sample, kinds=SHAPE_KINDS,
   covers=("Tensor.squeeze", "Tensor.unsqueeze", "mg.squeeze", "mg.unsqueeze"),
   note="torch's dim= keyword")


def _triangle_sample(c):
    return [c.x(c.shape(2, 4))], dict(which=c.pick(["tril", "triu"]), diagonal=c.int(-3, 3))


op("tril_triu", [lambda x, which, diagonal: getattr(x, which)(diagonal),
                 lambda x, which, diagonal: getattr(mg, which)(x, diagonal=diagonal),
                 lambda x, which, diagonal: getattr(ops, which)(x, diagonal)],
   lambda x, which, diagonal: getattr(torch, which)(x, diagonal), _triangle_sample,
   kinds=("normal", "nonfinite", "empty"),
   covers=("Tensor.tril", "Tensor.triu", "mg.tril", "mg.triu", "ops.tril", "ops.triu"),
   note="batched over leading axes; an inf outside the triangle does not become NaN")


def _masked_fill_sample(c):
    sx, sm = c.broadcast_shapes(2)
    what = c.pick(["number", "tensor", "-inf"])
    value = {"number": lambda: c.scalar(), "tensor": lambda: c.x(()),
             "-inf": lambda: -math.inf}[what]()
    return [c.x(sx), C(c.rng.random(sm) < 0.5), value], {}


op("masked_fill", [lambda x, m, v: x.masked_fill(m, v), mg.masked_fill, ops.masked_fill],
   lambda x, m, v: x.masked_fill(m, v), _masked_fill_sample,
   kinds=("normal", "nonfinite", "zero_d", "empty"),
   covers=("Tensor.masked_fill", "mg.masked_fill", "ops.masked_fill"),
   note="value a number or a 0-d tensor (which gets the sum of g over the mask)")


def _masked_fill_inplace_sample(c):
    shape = c.shape()
    return [S(c.values(shape)), C(c.rng.random(shape) < 0.5), c.scalar()], {}


op("masked_fill_", [lambda s, m, v: s.masked_fill_(m, v)], lambda s, m, v: s.masked_fill_(m, v),
   _masked_fill_inplace_sample, grad=False, kinds=SHAPE_KINDS, covers=("Tensor.masked_fill_",),
   note="in place: the state compared after the call")


def _where_method_sample(c):
    sc, sa, sb = c.broadcast_shapes(3)
    other = c.x(sb) if c.int(0, 2) else c.scalar()
    return [c.x(sa), C(c.rng.random(sc) < 0.5), other], dict(first=c.bool())


op("where_method", [lambda x, cond, y, first: x.where(cond, y) if first
                    else mg.where(cond, y, x)],
   lambda x, cond, y, first: x.where(cond, y) if first else torch.where(cond, y, x),
   _where_method_sample, covers=("Tensor.where", "mg.where"),
   note="x.where(cond, y) is where(cond, x, y); a Python number on either side")


def _index_array(c, n, shape):
    """Integer positions in [0, n) of that shape (an empty one where n is 0)."""
    shape = tuple(shape)
    return np.zeros(shape, np.int64) if not n else c.rng.integers(0, n, size=shape)


def _along_sample(c, src=False, distinct=False):
    """x, dim and an index no larger than x off dim (gather / scatter), and src if asked."""
    shape = c.shape(1, 3)
    dim = c.axis(len(shape))
    d = dim % len(shape)
    n = shape[d]
    ishape = [c.int(min(1, s), s) if k != d else c.int(0, 3) for k, s in enumerate(shape)]
    if distinct:   # scatter: no place written twice (torch leaves the winner unspecified)
        ishape[d] = min(ishape[d], n)
        keys = c.rng.random(tuple(ishape[:d]) + (n,) + tuple(ishape[d + 1:]))
        index = np.argsort(keys, axis=d).take(range(ishape[d]), axis=d)
    else:
        ishape[d] = ishape[d] if n else 0
        index = _index_array(c, n, ishape)
    args = [c.x(shape), dim, C(index.astype(np.int64))]
    if src:
        args.append(c.x(tuple(i + c.int(0, 1) for i in ishape)))
    return args


op("gather", [lambda x, d, i: x.gather(d, i), mg.gather, ops.gather],
   lambda x, d, i: torch.gather(x, d, i), lambda c: (_along_sample(c), {}),
   kinds=("normal", "empty"), covers=("Tensor.gather", "mg.gather", "ops.gather"),
   note="index smaller than x off dim; repeated positions add up in the gradient")
op("gather_0d", [lambda x, d, i: x.gather(d, i)], lambda x, d, i: torch.gather(x, d, i),
   lambda c: ([c.x(()), c.pick([0, -1]), C(np.zeros(c.pick([(), (1,), (2,)]), np.int64))], {}),
   kinds=("normal",), covers=("Tensor.gather",), note="a 0-d tensor reads as 1-D")
op("scatter_add", [lambda x, d, i, s: x.scatter_add(d, i, s), mg.scatter_add, ops.scatter_add],
   lambda x, d, i, s: torch.scatter_add(x, d, i, s), lambda c: (_along_sample(c, src=True), {}),
   kinds=("normal", "empty"), covers=("Tensor.scatter_add", "mg.scatter_add", "ops.scatter_add"),
   tol={"forward": (1e-12, 1e-12)}, note="src may be larger than index; repeats add up")


def _scatter_sample(c):
    args = _along_sample(c, src=True, distinct=True)
    if c.bool():
        return args[:3], dict(value=c.scalar())
    return args, {}


op("scatter", [lambda x, d, i, s=None, value=None: x.scatter(d, i, s, value=value),
               lambda x, d, i, s=None, value=None: mg.scatter(x, d, i, s, value=value),
               lambda x, d, i, s=None, value=None: ops.scatter(x, d, i, s, value=value)],
   lambda x, d, i, s=None, value=None: x.scatter(d, i, value=value) if s is None
   else x.scatter(d, i, s), _scatter_sample, kinds=("normal", "empty"),
   covers=("Tensor.scatter", "mg.scatter", "ops.scatter"),
   note="src or value=; each place written once (torch leaves a repeated one unspecified)")


def _index_select_sample(c):
    shape = c.shape(0, 3)
    dim = c.axis(len(shape))
    n = shape[dim % len(shape)] if shape else 1
    ishape = c.pick([(), (1,), (3,), (0,)]) if n else (0,)
    return [c.x(shape), dim, C(_index_array(c, n, ishape))], {}


op("index_select", [lambda x, d, i: x.index_select(d, i), mg.index_select, ops.index_select],
   lambda x, d, i: torch.index_select(x, d, i), _index_select_sample, kinds=SHAPE_KINDS,
   covers=("Tensor.index_select", "mg.index_select", "ops.index_select"),
   note="a 0-d or 1-D index with repeats (gradients add)")


def _take_along_dim_sample(c):
    shape = c.shape(1, 3)
    if c.int(0, 3) == 0:
        return [c.x(shape), C(_index_array(c, int(np.prod(shape)), (c.int(0, 4),)))], {}
    dim = c.axis(len(shape))
    d = dim % len(shape)
    ishape = [c.pick([1, s]) if k != d else c.int(0, 3) for k, s in enumerate(shape)]
    ishape[d] = ishape[d] if shape[d] else 0
    return [c.x(shape), C(_index_array(c, shape[d], ishape))], dict(dim=dim)


op("take_along_dim", [lambda x, i, dim=None: x.take_along_dim(i, dim),
                      lambda x, i, dim=None: mg.take_along_dim(x, i, dim),
                      lambda x, i, dim=None: ops.take_along_dim(x, i, dim=dim)],
   lambda x, i, dim=None: torch.take_along_dim(x, i, dim), _take_along_dim_sample,
   kinds=("normal", "empty"),
   covers=("Tensor.take_along_dim", "mg.take_along_dim", "ops.take_along_dim"),
   note="broadcast off dim; without dim, on the flattened tensor")


def _flip_sample(c):
    shape = c.shape()
    return [c.x(shape)], dict(dims=c.axes(len(shape), none=False))


op("flip", [lambda x, dims: x.flip(dims), lambda x, dims: mg.flip(x, dims),
            lambda x, dims: ops.flip(x, dims)],
   lambda x, dims: x.flip(dims), _flip_sample, kinds=SHAPE_KINDS,
   covers=("Tensor.flip", "mg.flip", "ops.flip"))


def _roll_sample(c):
    shape = c.shape(1, 3)
    if c.int(0, 2) == 0:
        return [c.x(shape)], dict(shifts=c.int(-7, 7), dims=None)
    dims = c.axes(len(shape), none=False)
    shifts = c.int(-7, 7) if isinstance(dims, int) else tuple(c.int(-7, 7) for _ in dims)
    return [c.x(shape)], dict(shifts=shifts, dims=dims)


op("roll", [lambda x, shifts, dims: x.roll(shifts, dims), mg.roll, ops.roll],
   lambda x, shifts, dims: torch.roll(x, shifts, dims), _roll_sample, kinds=("normal", "empty"),
   covers=("Tensor.roll", "mg.roll", "ops.roll"), note="without dims: the flattened tensor rolled")
op("roll_0d", [lambda x: x.roll(2)], lambda x: x.roll(2), unary(), kinds=("zero_d",),
   covers=("Tensor.roll",))


def _repeat_sample(c):
    shape = c.shape()
    return [c.x(shape)], dict(sizes=tuple(c.int(0, 3) for _ in range(len(shape) + c.int(0, 2))))


op("repeat", [lambda x, sizes: x.repeat(sizes), lambda x, sizes: x.repeat(*sizes),
              lambda x, sizes: ops.repeat(x, sizes)],
   lambda x, sizes: x.repeat(sizes), _repeat_sample, kinds=SHAPE_KINDS,
   covers=("Tensor.repeat", "ops.repeat"), note="numpy's tile: extra sizes add leading axes")


def _tile_sample(c):
    shape = c.shape()
    return [c.x(shape)], dict(dims=tuple(c.int(0, 3) for _ in range(c.int(0, len(shape) + 1))))


op("tile", [lambda x, dims: x.tile(dims), lambda x, dims: mg.tile(x, dims),
            lambda x, dims: ops.tile(x, dims)],
   lambda x, dims: torch.tile(x, dims), _tile_sample, kinds=SHAPE_KINDS,
   covers=("Tensor.tile", "mg.tile", "ops.tile"), note="fewer dims than x: 1s put in front")


def _repeat_interleave_sample(c):
    shape = c.shape(1, 3)
    dim = c.axis(len(shape)) if c.bool() else None
    n = int(np.prod(shape)) if dim is None else shape[dim % len(shape)]
    what = c.pick(["int", "tensor", "one"])
    repeats = {"int": lambda: c.int(0, 3),
               "tensor": lambda: C(c.rng.integers(0, 4, size=(n,))),
               "one": lambda: C(np.array([c.int(0, 3)]))}[what]()
    return [c.x(shape), repeats], dict(dim=dim)


op("repeat_interleave", [lambda x, r, dim: x.repeat_interleave(r, dim),
                         lambda x, r, dim: mg.repeat_interleave(x, r, dim=dim),
                         lambda x, r, dim: ops.repeat_interleave(x, r, dim)],
   lambda x, r, dim: torch.repeat_interleave(x, r, dim), _repeat_interleave_sample,
   kinds=("normal", "empty"),
   covers=("Tensor.repeat_interleave", "mg.repeat_interleave", "ops.repeat_interleave"),
   note="an int or one count per slice; without dim, the flattened tensor")


# ==== what is not compared, and why ===========================================================

NOT_COMPARABLE = {
    "ops.first_order_only": "minigrad-only marker (no torch twin): makes a second derivative "
                            "raise NonDifferentiableBackwardError; tested in test_penalties.py",
    "ops.setitem": "an in-place write (x[i] = v), refused inside a recorded graph; version "
                   "counters and values tested in test_inplace.py",
}

# Tensor attributes that are not numerical operations, by group, with the reason.
TENSOR_NOT_OPS = {
    **dict.fromkeys(["data", "array", "grad", "shape", "ndim", "dtype", "device", "backend", "is_leaf",
                     "grad_fn", "requires_grad", "size", "numel", "dim"],
                    "an attribute, not an operation (test_tensor.py)"),
    **dict.fromkeys(["requires_grad_", "retain_grad", "backward"],
                    "autograd plumbing, exercised by every gradient check here"),
    **dict.fromkeys(["numpy", "tolist", "item", "to", "cpu", "cuda", "float", "double", "long"],
                    "conversions and casts between dtypes/devices (test_tensor.py); the suite "
                    "itself is float64 on the CPU"),
    **dict.fromkeys(["zero_", "fill_", "copy_", "add_", "sub_", "mul_", "div_", "pow_", "neg_",
                     "exp_", "sqrt_", "clamp_", "clip_", "uniform_", "normal_",
                     "__iadd__", "__isub__", "__imul__", "__itruediv__", "__imatmul__",
                     "__setitem__"],
                    "in-place writes: refused inside a recorded graph, so no gradient to "
                    "compare; values and version counters in test_inplace.py"),
    **dict.fromkeys(["__init__", "__repr__", "__hash__", "__len__", "__array__", "__float__",
                     "__int__", "__bool__", "__index__", "__weakref__", "__dict__",
                     "__slots__", "__array_priority__", "__module__", "__doc__",
                     "__qualname__", "__firstlineno__", "__static_attributes__"],
                    "Python protocol, not a numerical operation"),
}

# issue 12 (lead): new tensors in this tensor's dtype and device (tests/test_new_tensors.py)
TENSOR_NOT_OPS.update(dict.fromkeys(
    ["new_tensor", "new_full", "new_zeros", "new_ones", "new_empty"],
    "creation of a new tensor (no input to differentiate; test_new_tensors.py)"))
# issue 12 (data)
TENSOR_NOT_OPS.update(dict.fromkeys(
    ["multinomial"], "random sampling (not differentiable; its draws are minigrad's own, not "
    "torch's): layouts, errors and frequencies against torch in test_random.py"))
# issue 12 (device): dtype/device attributes and casts, tested against torch in
# test_dtype_device.py (the suite itself is float64 on the CPU)
TENSOR_NOT_OPS.update(dict.fromkeys(
    ["is_cuda", "is_floating_point", "element_size", "nbytes", "type", "half", "int", "bool"],
    "dtype/device attributes and casts between dtypes/devices (test_dtype_device.py)"))

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
    if c.bool():   # b near a: equal, or off by a relative 1e-9 ... 1e-3
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
