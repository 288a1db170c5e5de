"""The registry of the differential test against torch (tests/test_differential.py).

This file holds the entry type, the samplers and the tables of what is not compared; the
entries themselves are in tests/_differential_{core,nn,nn_surface,known,shape,math}.py, by family.

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


# ==== the entries, by family (each file appends to REGISTRY through op(), in this order: the
# relaxations and known discrepancies of _differential_known.py refer to entries made before
# them). Imported last: they use the entry type, the samplers and the tables above. ===========

import _differential_core  # noqa: E402,F401
import _differential_nn  # noqa: E402,F401
import _differential_nn_surface  # noqa: E402,F401
import _differential_known  # noqa: E402,F401
import _differential_shape  # noqa: E402,F401
import _differential_math  # noqa: E402,F401
import _differential_attention  # noqa: E402,F401
# issue 13 (hooks): gradient hooks, not operations (values and call order against torch in
# test_hooks.py)
TENSOR_NOT_OPS.update(dict.fromkeys(["register_hook", "register_post_accumulate_grad_hook"],
                                    "autograd hooks, not numerical ops (test_hooks.py)"))
