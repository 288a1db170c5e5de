"""The catalogue of gradient checks behind ``python -m minigrad check`` and the test suite.

Each ``Case`` names a differentiable thing, a function of tensors, and how to draw its inputs
(float64, seeded, away from kinks such as relu or |x| at 0). The CLI runs gradcheck and
gradgradcheck over every case on every available device and prints a table; the tests
parametrise over the same list, so nothing is checked in one place and forgotten in the other.
Each family keeps its cases beside its code and registers them with ``register``:
ops here, layers and losses in ``minigrad/nn/_cases.py``, penalties in
``minigrad/penalties/_cases.py``, optimizer equivalences in ``minigrad/optim/_cases.py``.
``all_cases()`` imports those modules (the ones that exist) and returns the full list.
"""
import importlib
import time
from dataclasses import dataclass, field
from typing import Callable, List, Sequence

import numpy as np

from .gradcheck import GradcheckError, directional_error, forward_error, gradcheck, gradgradcheck
from .tensor import Tensor

__all__ = ["Case", "CASES", "register", "all_cases", "run_case", "run_forward_case", "run_all"]

FAMILY_MODULES = ("minigrad.nn._cases", "minigrad.penalties._cases", "minigrad.optim._cases")


@dataclass
class Case:
    name: str
    fn: Callable
    shapes: Sequence  # one entry per input: a shape tuple, or a callable(rng) -> numpy array
    family: str = "op"
    away_from_zero: bool = False  # keep |x| >= 0.1 (relu, abs, max ties, ...)
    positive: bool = False        # inputs in [0.5, 2] (log, sqrt, pow)
    second_order: bool = True     # also run gradgradcheck
    atol: float = 1e-5
    rtol: float = 1e-3
    extra: dict = field(default_factory=dict)
    # Instead of a gradcheck: a callable(device) -> max abs error of an equivalence that must
    # hold to ``atol`` (the optimizer identities in minigrad/optim/_cases.py).
    check: Callable = None

    def inputs(self, device="cpu", seed=0):
        rng = np.random.default_rng(seed)
        out = []
        for spec in self.shapes:
            if callable(spec):
                arr = spec(rng)
                if not isinstance(arr, np.ndarray) or arr.dtype.kind != "f":
                    out.append(arr if not isinstance(arr, np.ndarray) else
                               Tensor._wrap(_to_device(arr, device), device))
                    continue
            else:
                arr = rng.standard_normal(spec)
                if self.positive:
                    arr = rng.uniform(0.5, 2.0, spec)
                elif self.away_from_zero:
                    arr = np.sign(arr) * (np.abs(arr) + 0.1)
                    arr = np.where(arr == 0, 0.5, arr)
            t = Tensor._wrap(_to_device(np.asarray(arr, np.float64), device), device)
            t.requires_grad = True
            out.append(t)
        return out


def _to_device(arr, device):
    from .backend import get_backend
    return get_backend(device).asarray(arr, arr.dtype)


CASES: List[Case] = []


def register(*cases):
    CASES.extend(cases)


def all_cases():
    """Every registered case, after importing each family's case module that exists."""
    for name in FAMILY_MODULES:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name not in (name, name.rsplit(".", 1)[0]):
                raise
    return list(CASES)


def _distinct(shape):
    """Values with no ties (for max/min), spaced well beyond eps."""
    def make(rng):
        n = int(np.prod(shape)) if shape else 1
        return (rng.permutation(n).reshape(shape) * 0.37 + rng.uniform(-0.05, 0.05, shape)).astype(np.float64)
    return make


def _ints(values):
    return lambda rng: np.asarray(values)


def _op_cases():
    import minigrad as mg
    C = Case
    return [
        C("add (3,4)+(4,)", lambda a, b: a + b, [(3, 4), (4,)]),
        C("add (3,1)+(1,4)", lambda a, b: a + b, [(3, 1), (1, 4)]),
        C("add 0-d + (3,)", lambda a, b: a + b, [(), (3,)]),
        C("sub (2,3)-(2,1)", lambda a, b: a - b, [(2, 3), (2, 1)]),
        C("mul (2,3,4)*(3,1)", lambda a, b: a * b, [(2, 3, 4), (3, 1)]),
        C("mul scalar", lambda a: 3.0 * a * 2, [(2, 3)]),
        C("div (3,4)/(4,)", lambda a, b: a / b, [(3, 4), (4,)], away_from_zero=True),
        C("rdiv 1/x", lambda a: 1.0 / a, [(5,)], away_from_zero=True),
        C("neg", lambda a: -a, [(2, 2)]),
        C("pow x**3", lambda a: a ** 3, [(4,)]),
        C("pow x**-1.5", lambda a: a ** -1.5, [(4,)], positive=True),
        C("pow a**b", lambda a, b: a ** b, [(3,), (3,)], positive=True),
        C("rpow 2**x", lambda a: 2.0 ** a, [(3,)]),
        C("exp", lambda a: a.exp(), [(3, 2)]),
        C("expm1", lambda a: a.expm1(), [(3, 2)]),
        C("log", lambda a: a.log(), [(3, 2)], positive=True),
        C("sqrt", lambda a: a.sqrt(), [(3, 2)], positive=True),
        C("abs", lambda a: a.abs(), [(3, 2)], away_from_zero=True),
        C("tanh", lambda a: a.tanh(), [(3, 2)]),
        C("sigmoid", lambda a: a.sigmoid(), [(3, 2)]),
        C("relu", lambda a: a.relu(), [(3, 2)], away_from_zero=True),
        C("clip", lambda a: a.clip(-0.55, 0.45), _clip_inputs()),
        C("maximum", lambda a, b: mg.maximum(a, b), [_distinct((3, 2)), (2,)]),
        C("minimum", lambda a, b: mg.minimum(a, b), [_distinct((3, 2)), (2,)]),
        C("where", lambda a, b: mg.where(a > 0, a * 2, b), [(3, 2), (2,)], away_from_zero=True),
        C("sum all", lambda a: a.sum(), [(3, 4)]),
        C("sum axis=1", lambda a: a.sum(axis=1), [(3, 4)]),
        C("sum axes=(0,2) keepdims", lambda a: a.sum(axis=(0, 2), keepdims=True), [(2, 3, 4)]),
        C("sum 0-d", lambda a: a.sum(), [()]),
        C("mean axis=0", lambda a: a.mean(axis=0), [(3, 4)]),
        C("mean all", lambda a: a.mean(), [(2, 3, 2)]),
        C("max all", lambda a: a.max(), [_distinct((3, 4))]),
        C("max axis=1 keepdims", lambda a: a.max(dim=1, keepdim=True).values, [_distinct((3, 4))]),
        C("min axis=0", lambda a: a.amin(axis=0), [_distinct((3, 4))]),
        C("reshape", lambda a: a.reshape(6, 2) * 1.5, [(3, 4)]),
        C("reshape -1", lambda a: a.reshape(-1), [(2, 3)]),
        C("transpose(0,1)", lambda a: a.transpose(0, 1), [(3, 4)]),
        C(".T", lambda a: a.T, [(2, 3, 4)]),
        C("permute", lambda a: a.permute(2, 0, 1), [(2, 3, 4)]),
        C("flatten", lambda a: a.flatten(1), [(2, 3, 4)]),
        C("squeeze", lambda a: a.squeeze(1), [(3, 1, 2)]),
        C("unsqueeze", lambda a: a.unsqueeze(0), [(3, 2)]),
        C("broadcast_to", lambda a: a.broadcast_to((4, 3, 2)), [(3, 1)]),
        C("softmax axis=-1", lambda a: a.softmax(-1), [(3, 5)]),
        C("softmax axis=0", lambda a: a.softmax(0), [(3, 5)]),
        C("softmax 3-d axis=1", lambda a: a.softmax(1), [(2, 3, 4)]),
        C("log_softmax axis=1", lambda a: a.log_softmax(1), [(4, 3)]),
        C("log_softmax axis=0", lambda a: a.log_softmax(0), [(4, 3)]),
        C("logsumexp axis=-1", lambda a: a.logsumexp(-1), [(3, 5)]),
        C("logsumexp axis=0 keepdims", lambda a: a.logsumexp(0, keepdims=True), [(3, 5)]),
        C("matmul 2-d", lambda a, b: a @ b, [(3, 4), (4, 2)]),
        C("matmul 1-d @ 2-d", lambda a, b: a @ b, [(4,), (4, 2)]),
        C("matmul 2-d @ 1-d", lambda a, b: a @ b, [(3, 4), (4,)]),
        C("matmul 1-d @ 1-d", lambda a, b: a @ b, [(4,), (4,)]),
        C("matmul batched broadcast", lambda a, b: a @ b, [(2, 3, 4), (4, 5)]),
        C("matmul batch (2,1,..)@(3,..)", lambda a, b: a @ b, [(2, 1, 3, 4), (3, 4, 2)]),
        C("matmul_bt a @ bᵀ", lambda a, b: mg.ops.linalg.matmul_bt(a, b), [(3, 4), (5, 4)]),
        C("getitem slice", lambda a: a[1:, ::2], [(3, 4)]),
        C("getitem int array, repeats", lambda a: a[[0, 2, 0]], [(3, 4)]),
        C("getitem (rows, cols)", lambda a, i, j: a[i, j], [(3, 4), _ints([0, 1, 1]), _ints([3, 0, 0])]),
        C("getitem bool mask", lambda a: a[a > 0], [(3, 4)], away_from_zero=True),
        C("getitem 0-d from 1-d", lambda a: a[2], [(4,)]),
        C("concatenate axis=1", lambda a, b: mg.concatenate([a, b], axis=1), [(2, 3), (2, 1)]),
        C("stack axis=0", lambda a, b: mg.stack([a, b]), [(2, 3), (2, 3)]),
        C("chain: mlp", lambda x, w, b: ((x @ w + b).tanh() ** 2).mean(axis=0).logsumexp(0),
          [(4, 3), (3, 5), (5,)]),
        C("reuse: x*x + x", lambda a: (a * a + a).sum(axis=0), [(3, 2)]),
    ]


def _clip_inputs():
    def make(rng):
        x = rng.uniform(-1, 1, (4, 3))
        # keep every element at least 0.05 away from the bounds, where clip has a kink
        for bound in (-0.55, 0.45):
            close = np.abs(x - bound) < 0.05
            x[close] += 0.1
        return x
    return [make]


register(*_op_cases())


# issue 12 (shape): torch's views, pieces, masks, indexing along an axis, copies of elements
def _bools(values):
    return lambda rng: np.asarray(values, dtype=bool)


def _shape_cases():
    import minigrad as mg
    C = Case
    return [
        C("view_as / reshape_as", lambda a, b: (a.view_as(b) * b, b.reshape_as(a)),
          [(3, 4), (6, 2)]),
        C("expand(-1, ...) new leading", lambda a: a.expand(2, -1, 4), [(3, 1)]),
        C("expand_as", lambda a, b: a.expand_as(b) * b, [(3, 1), (2, 3, 4)]),
        C("t()", lambda a: a.t(), [(3, 4)]),
        C("contiguous of a transpose", lambda a: a.T.contiguous(), [(3, 4)]),
        C("swapaxes", lambda a: a.swapaxes(0, -1), [(2, 3, 4)]),
        C("movedim tuples", lambda a: a.movedim((0, 1), (2, 0)), [(2, 3, 4)]),
        C("unflatten -1", lambda a: a.unflatten(1, (-1, 2)), [(3, 4)]),
        C("narrow negative start", lambda a: a.narrow(1, -3, 2), [(2, 4)]),
        C("unbind dim=1", lambda a: a.unbind(1), [(2, 3)]),
        C("split int, last smaller", lambda a: a.split(2, dim=1), [(2, 5)]),
        C("split sections", lambda a: mg.split(a, [1, 0, 3], 0), [(4, 2)]),
        C("chunk 6 in 4", lambda a: a.chunk(4), [(6,)]),
        C("cat dim=1", lambda a, b: mg.cat((a, b), dim=1), [(2, 3), (2, 1)]),
        C("stack dim=-1", lambda a, b: mg.stack([a, b], dim=-1), [(2, 3), (2, 3)]),
        C("hstack / vstack", lambda a, b: (mg.hstack([a, b]), mg.vstack([a, b])), [(3,), (3,)]),
        C("tril batched", lambda a: a.tril(), [(2, 3, 3)]),
        C("triu diagonal=1", lambda a: mg.triu(a, diagonal=1), [(3, 4)]),
        C("masked_fill number", lambda a, m: a.masked_fill(m, -1.5),
          [(2, 3), _bools([True, False, True])]),
        C("masked_fill 0-d value tensor", lambda a, m, v: a.masked_fill(m, v),
          [(2, 3), _bools([[True], [False]]), ()]),
        C("where method", lambda a, m, b: a.where(m, b), [(2, 3), _bools([True, False, True]),
                                                          (3,)]),
        C("gather, repeats", lambda a, i: a.gather(1, i),
          [(3, 4), _ints([[0, 0], [3, 1], [2, 2]])]),
        C("gather index smaller than x", lambda a, i: a.gather(0, i), [(3, 4), _ints([[2, 0]])]),
        C("scatter_add repeats", lambda a, i, s: a.scatter_add(1, i, s),
          [(2, 3), _ints([[0, 0], [2, 1]]), (2, 3)]),
        C("scatter src", lambda a, i, s: a.scatter(0, i, s), [(3, 2), _ints([[2, 0], [0, 1]]),
                                                             (2, 2)]),
        C("scatter value=", lambda a, i: a.scatter(1, i, value=2.0), [(2, 3), _ints([[1], [0]])]),
        C("index_select repeats", lambda a, i: a.index_select(1, i), [(2, 3), _ints([2, 0, 2])]),
        C("take_along_dim broadcast", lambda a, i: a.take_along_dim(i, 1),
          [(2, 3), _ints([[0, 2]])]),
        C("flip (0, -1)", lambda a: a.flip(0, -1), [(2, 3)]),
        C("roll dims", lambda a: a.roll((1, -2), (0, 1)), [(2, 3)]),
        C("roll flattened", lambda a: a.roll(4), [(2, 3)]),
        C("repeat extra leading", lambda a: a.repeat(2, 1, 3), [(2, 3)]),
        C("tile", lambda a: a.tile(2), [(2, 3)]),
        C("repeat_interleave int", lambda a: a.repeat_interleave(2, dim=0), [(2, 3)]),
        C("repeat_interleave counts", lambda a, r: a.repeat_interleave(r, dim=1),
          [(2, 3), _ints([0, 2, 1])]),
    ]


register(*_shape_cases())
def _uniform(lo, hi, shape):
    return lambda rng: rng.uniform(lo, hi, shape)


def _off_integers(shape):
    """Values at least 0.1 from every integer (floor, frac, ... jump at the integers)."""
    return lambda rng: rng.integers(-3, 3, shape) + rng.uniform(0.1, 0.9, shape)


def _with_zeros(values):
    return lambda rng: np.asarray(values, np.float64) * rng.uniform(0.5, 1.5, np.shape(values))


def _math_cases():
    """Issue 12: torch's math functions, selections, scans, spreads, norms and products."""
    import minigrad as mg
    C = Case
    d34 = [_distinct((3, 4))]
    return [
        C("sin", lambda a: a.sin(), [(3, 2)]),
        C("cos", lambda a: mg.cos(a), [(3, 2)]),
        C("tan", lambda a: a.tan(), [_uniform(-1.2, 1.2, (3, 2))]),
        C("asin", lambda a: a.asin(), [_uniform(-0.9, 0.9, (3, 2))]),
        C("acos", lambda a: mg.acos(a), [_uniform(-0.9, 0.9, (3, 2))]),
        C("atan", lambda a: a.atan(), [(3, 2)]),
        C("sinh", lambda a: a.sinh(), [(3, 2)]),
        C("cosh", lambda a: mg.cosh(a), [(3, 2)]),
        C("atan2 (3,2),(2,)", lambda a, b: mg.atan2(a, b), [(3, 2), (2,)], away_from_zero=True),
        C("log1p", lambda a: a.log1p(), [(3, 2)], positive=True),
        C("log2", lambda a: a.log2(), [(3, 2)], positive=True),
        C("log10", lambda a: mg.log10(a), [(3, 2)], positive=True),
        C("rsqrt", lambda a: a.rsqrt(), [(3, 2)], positive=True),
        C("reciprocal", lambda a: a.reciprocal(), [(3, 2)], away_from_zero=True),
        C("square", lambda a: a.square(), [(3, 2)]),
        C("x.pow(3)", lambda a: a.pow(3), [(4,)]),
        C("mg.pow(2, x)", lambda a: mg.pow(2.0, a), [(4,)]),
        C("x.pow(t)", lambda a, b: a.pow(b), [(3,), (3,)], positive=True),
        C("neg", lambda a: mg.neg(a), [(3,)]),
        C("erf", lambda a: a.erf(), [(3, 2)]),
        C("floor ceil round trunc sign (zero gradient)",
          lambda a: a.floor() + a.ceil() * a + a.round() + mg.trunc(a) + a.sign() * a,
          [_off_integers((3, 2))]),
        C("round decimals=1", lambda a: a.round(decimals=1) * a, [_uniform(0.01, 0.04, (4,))]),
        C("frac", lambda a: a.frac(), [_off_integers((3, 2))]),
        C("clamp tensor bounds", lambda x, lo, hi: x.clamp(min=lo, max=hi),
          [_distinct((3, 4)), _uniform(0.1, 0.2, (4,)), _uniform(2.0, 2.1, (3, 1))]),
        C("clamp tensor min", lambda x, lo: mg.clamp(x, min=lo), [_distinct((3, 4)), (3, 4)]),
        C("max(dim).values", lambda a: a.max(1).values, d34),
        C("min(dim=0, keepdim).values", lambda a: mg.min(a, dim=0, keepdim=True).values, d34),
        C("max(other)", lambda a, b: a.max(b), [_distinct((3, 2)), (2,)]),
        C("sort values",
          lambda a: a.sort(1).values * mg.arange(4.0, device=a.device).double(), d34),
        C("sort descending dim 0", lambda a: mg.sort(a, 0, descending=True)[0], d34),
        C("topk values", lambda a: a.topk(2).values, d34),
        C("topk smallest dim 0", lambda a: a.topk(2, dim=0, largest=False).values, d34),
        C("kthvalue", lambda a: a.kthvalue(2, 1).values, d34),
        C("median(dim)", lambda a: a.median(1).values, d34),
        C("median()", lambda a: a.median(), d34),
        C("mode(dim)", lambda a: a.mode(0).values, d34),
        C("prod dim", lambda a: a.prod(1), [(3, 4)]),
        C("prod all", lambda a: a.prod(), [(2, 3)]),
        C("prod one zero", lambda a: a.prod(0, keepdim=True),
          [_with_zeros([[1.0, 0.0], [0.0, 2.0], [3.0, 1.5]])]),
        C("prod two zeros", lambda a: mg.prod(a, 1), [_with_zeros([[0.0, 2.0, 0.0, 1.0]])]),
        C("cumsum", lambda a: a.cumsum(1), [(3, 4)]),
        C("cumprod", lambda a: a.cumprod(0), [(4, 3)]),
        C("cumprod zeros", lambda a: a.cumprod(1),
          [_with_zeros([[1.0, 0.0, 2.0, 0.0, 1.5], [0.0, 1.0, 2.0, 3.0, 1.0]])]),
        C("var dim=1", lambda a: a.var(1), [(3, 4)]),
        C("var correction=0 keepdim", lambda a: a.var(0, keepdim=True, correction=0), [(3, 4)]),
        C("std all", lambda a: a.std(), [(3, 4)]),
        C("std dim=(0,2) unbiased=False", lambda a: mg.std(a, (0, 2), False), [(2, 3, 4)]),
        C("std_mean", lambda a: mg.std_mean(a, 1)[0] + mg.var_mean(a, 1)[1], [(3, 4)]),
        C("norm fro", lambda a: a.norm(), [(3, 4)]),
        C("norm p=2 dim=1", lambda a: mg.norm(a, 2, 1), [(3, 4)]),
        C("norm p=1 keepdim", lambda a: a.norm(1, 0, True), [(3, 4)], away_from_zero=True),
        C("norm p=3", lambda a: a.norm(3, 1), [(3, 4)], away_from_zero=True),
        C("norm p=inf", lambda a: a.norm(float("inf"), 1), d34),
        C("linalg.matrix_norm 1", lambda a: mg.linalg.matrix_norm(a, 1), d34),
        C("mm", lambda a, b: a.mm(b), [(3, 4), (4, 2)]),
        C("bmm", lambda a, b: mg.bmm(a, b), [(2, 3, 4), (2, 4, 2)]),
        C("mv", lambda a, b: a.mv(b), [(3, 4), (4,)]),
        C("dot", lambda a, b: a.dot(b), [(4,), (4,)]),
        C("outer", lambda a, b: mg.outer(a, b), [(3,), (4,)]),
        C("einsum ij,jk->ik", lambda a, b: mg.einsum("ij,jk->ik", a, b), [(3, 4), (4, 2)]),
        C("einsum bij,bjk", lambda a, b: mg.einsum("bij,bjk", a, b), [(2, 3, 4), (2, 4, 2)]),
        C("einsum ii-> (trace)", lambda a: mg.einsum("ii->", a), [(3, 3)]),
        C("einsum ii->i (diagonal)", lambda a: mg.einsum("ii->i", a) ** 2, [(3, 3)]),
        C("einsum ij-> (sum)", lambda a: mg.einsum("ij->", a * a), [(3, 2)]),
        C("einsum ...ij->...ji", lambda a: mg.einsum("...ij->...ji", a), [(2, 3, 4)]),
        C("einsum bn,anm,bm->ba", lambda x, w, y: mg.einsum("bn,anm,bm->ba", x, w, y),
          [(2, 3), (4, 3, 5), (2, 5)]),
        C("einsum i,i,i (one tensor twice)", lambda a, b: mg.einsum("i,i,i", a, a, b),
          [(4,), (4,)]),
    ]


register(*_math_cases())


def run_case(case, device="cpu", fast_mode=False, second_order=None):
    """Runs gradcheck (and gradgradcheck) on one case; returns (max abs error, message or None)."""
    if case.check is not None:
        err = float(case.check(device))
        ok = err <= case.atol
        return err, None if ok else f"{case.name}: max |difference| {err:.3g} > atol {case.atol:g}"
    inputs = case.inputs(device)
    err = directional_error(case.fn, inputs)
    try:
        gradcheck(case.fn, inputs, atol=case.atol, rtol=case.rtol, fast_mode=fast_mode)
        if case.second_order if second_order is None else second_order:
            gradgradcheck(case.fn, inputs, atol=case.atol, rtol=case.rtol, fast_mode=fast_mode)
    except GradcheckError as exc:
        return err, str(exc)
    return err, None


def run_forward_case(case, device="cpu", fast_mode=False, over_reverse=False):
    """Forward mode on one case: gradcheck with ``check_forward_ad`` (the jvp rules against
    central differences); returns (max |J·u − numerical| along a random u, message or None).
    ``over_reverse=True`` checks forward-over-reverse instead (gradgradcheck's
    ``check_fwd_over_rev``: the jvp rules of the backward's own operations).
    An optimizer identity (``case.check``) has no forward mode: (None, None)."""
    if case.check is not None:
        return None, None
    inputs = case.inputs(device)
    try:
        if over_reverse:
            gradgradcheck(case.fn, inputs, atol=case.atol, rtol=case.rtol, fast_mode=fast_mode,
                          check_rev_over_rev=False, check_fwd_over_rev=True)
            return 0.0, None
        err = forward_error(case.fn, inputs)
        gradcheck(case.fn, inputs, atol=case.atol, rtol=case.rtol, fast_mode=fast_mode,
                  check_backward_ad=False, check_forward_ad=True)
    except (GradcheckError, NotImplementedError) as exc:
        return float("nan"), f"forward mode: {exc}"
    return err, None


def run_all(devices=None, fast_mode=False, families=None):
    """Yields one result row per (case, device): dict(name, family, dtype, device, error,
    forward_error, ok, message, seconds); ``ok`` covers reverse and forward mode."""
    from .backend import available_devices
    devices = devices or available_devices()
    for case in all_cases():
        if families and case.family not in families:
            continue
        for device in devices:
            t0 = time.perf_counter()
            err, msg = run_case(case, device, fast_mode=fast_mode)
            fw_err, fw_msg = run_forward_case(case, device, fast_mode=fast_mode)
            msg = "\n".join(m for m in (msg, fw_msg) if m) or None
            yield dict(name=case.name, family=case.family, dtype="float64", device=device,
                       error=err, forward_error=fw_err, ok=msg is None, message=msg,
                       seconds=time.perf_counter() - t0)
