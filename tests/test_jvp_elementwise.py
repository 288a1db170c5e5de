"""Forward mode through the elementwise, trig, rounding and special ops: each jvp rule against
torch's forward mode (torch.autograd.forward_ad) on the same float64 inputs, to 1e-10.

The inputs include the points where a derivative has a convention rather than a value (abs and
relu at 0, clamp on a bound, maximum/minimum on a tie, NaN, a zero base of pow, the origin of
atan2): there the tangent must be torch's. Binary ops are checked broadcasting, with both
inputs dual and with only one of them dual (the other's tangent None).
"""
import math

import numpy as np
import pytest

import minigrad as mg
from minigrad.autograd import NonDifferentiableBackwardError
from minigrad.autograd import forward_ad as fwAD

torch = pytest.importorskip("torch")
tfw = torch.autograd.forward_ad
# the kinks, poles and NaNs below are chosen on purpose: numpy's warnings about them are expected
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

NAN = math.nan


def mg_jvp(fn, primals, tangents):
    """fn(*primals) and its tangent in minigrad; a None tangent leaves that input plain."""
    with fwAD.dual_level():
        args = [mg.tensor(p) if t is None else fwAD.make_dual(mg.tensor(p), mg.tensor(t))
                for p, t in zip(primals, tangents)]
        out, tangent = fwAD.unpack_dual(fn(*args))
        return out.numpy(), None if tangent is None else tangent.numpy()


def torch_jvp(fn, primals, tangents):
    with tfw.dual_level():
        args = [torch.tensor(p) if t is None else tfw.make_dual(torch.tensor(p), torch.tensor(t))
                for p, t in zip(primals, tangents)]
        out, tangent = tfw.unpack_dual(fn(*args))
        return out.detach().numpy(), None if tangent is None else tangent.detach().numpy()


def assert_same_jvp(mg_fn, torch_fn, primals, tangents):
    primals = [np.asarray(p, dtype=np.float64) for p in primals]
    tangents = [None if t is None else np.asarray(t, dtype=np.float64) for t in tangents]
    out, tangent = mg_jvp(mg_fn, primals, tangents)
    want_out, want = torch_jvp(torch_fn, primals, tangents)
    np.testing.assert_allclose(out, want_out, rtol=1e-12, atol=0, equal_nan=True)
    assert tangent is not None and want is not None
    assert tangent.shape == want.shape and tangent.dtype == want.dtype
    np.testing.assert_allclose(tangent, want, rtol=1e-10, atol=1e-12, equal_nan=True)


def tangent_like(p, seed):
    return np.random.default_rng(seed).standard_normal(np.shape(p))


# ---- unary ops: (name, minigrad, torch, points) --------------------------------------------

IN_01 = [-0.7, -0.1, 0.2, 0.9]              # inside (−1, 1), for asin/acos
POSITIVE = [0.3, 1.0, 2.5, 7.0]
ANY = [-2.5, -0.3, 0.0, 0.4, 1.7]

UNARY = [
    ("abs at 0, -0, NaN", mg.abs, torch.abs, [-1.5, 0.0, -0.0, 2.0, NAN]),
    ("relu at 0, -0, NaN", mg.relu, torch.relu, [-1.0, 0.0, -0.0, 3.0, NAN]),
    ("sigmoid", mg.sigmoid, torch.sigmoid, [-40.0, -1.0, 0.0, 2.5, 40.0]),
    ("tanh", mg.tanh, torch.tanh, [-30.0, -1.0, 0.0, 0.5, 30.0]),
    ("expm1", mg.expm1, torch.expm1, [-1e-9, 0.3, -2.0, 3.0]),
    ("log", mg.log, torch.log, POSITIVE),
    ("log1p", mg.log1p, torch.log1p, [-0.5, 1e-9, 0.0, 3.0]),
    ("log2", mg.log2, torch.log2, POSITIVE),
    ("log10", mg.log10, torch.log10, POSITIVE),
    ("sqrt", mg.sqrt, torch.sqrt, POSITIVE),
    ("rsqrt", mg.rsqrt, torch.rsqrt, POSITIVE),
    ("reciprocal", mg.reciprocal, torch.reciprocal, [-2.0, -0.25, 0.5, 3.0]),
    ("sin", mg.sin, torch.sin, ANY),
    ("cos", mg.cos, torch.cos, ANY),
    ("tan", mg.tan, torch.tan, [-1.2, -0.3, 0.0, 0.4, 1.3]),
    ("asin", mg.asin, torch.asin, IN_01),
    ("acos", mg.acos, torch.acos, IN_01),
    ("atan", mg.atan, torch.atan, ANY),
    ("sinh", mg.sinh, torch.sinh, ANY),
    ("cosh", mg.cosh, torch.cosh, ANY),
    ("erf", mg.erf, torch.erf, [-30.0, -1.0, 0.0, 0.5, 2.0]),
    ("x**3", lambda x: x ** 3, lambda x: x ** 3, ANY),
    ("x**2", lambda x: x ** 2, lambda x: x ** 2, ANY),
    ("x**1 (NaN too)", lambda x: x ** 1, lambda x: x ** 1, ANY + [NAN]),
    ("x**0 (0 and NaN too)", lambda x: x ** 0, lambda x: x ** 0, ANY + [NAN]),
    ("x**-1.5 (and at 0)", lambda x: x ** -1.5, lambda x: x ** -1.5, POSITIVE + [0.0]),
    ("square", mg.square, torch.square, ANY),
    ("clip on both bounds, NaN", lambda x: mg.clip(x, 0.0, 1.0),
     lambda x: torch.clamp(x, 0.0, 1.0), [-1.0, 0.0, -0.0, 0.5, 1.0, 2.0, NAN]),
    ("clip min only", lambda x: mg.clip(x, min=0.0), lambda x: torch.clamp(x, min=0.0),
     [-1.0, 0.0, 0.5, NAN]),
    ("clip max only", lambda x: mg.clip(x, max=1.0), lambda x: torch.clamp(x, max=1.0),
     [0.0, 1.0, 2.0, NAN]),
    ("clone", lambda x: x.clone(), lambda x: x.clone(), ANY),
]


@pytest.mark.parametrize("name, mg_fn, torch_fn, points", UNARY, ids=[u[0] for u in UNARY])
def test_unary_jvp_matches_torch(name, mg_fn, torch_fn, points):
    p = np.array(points)
    assert_same_jvp(mg_fn, torch_fn, [p], [np.arange(1.0, p.size + 1)])
    x2 = np.resize(p, (2, 3, p.size))   # a random tangent, on a 3-d tensor
    assert_same_jvp(mg_fn, torch_fn, [x2], [tangent_like(x2, 0)])


STEPS = [
    ("floor", mg.floor, torch.floor), ("ceil", mg.ceil, torch.ceil),
    ("round", mg.round, torch.round), ("trunc", mg.trunc, torch.trunc),
    ("sign", mg.sign, torch.sign),
    ("round decimals=1", lambda x: mg.round(x, decimals=1), lambda x: torch.round(x, decimals=1)),
]


@pytest.mark.parametrize("name, mg_fn, torch_fn", STEPS, ids=[s[0] for s in STEPS])
def test_piecewise_constant_ops_have_a_zero_tangent_as_torch(name, mg_fn, torch_fn):
    """torch's forward mode gives zeros (a tangent, not none) through floor, round, sign, ...,
    also at the jumps and at NaN."""
    x = np.array([-1.5, -0.5, 0.0, 0.5, 1.5, 2.7, NAN])
    out, tangent = mg_jvp(mg_fn, [x], [np.arange(1.0, 8.0)])
    assert tangent is not None and tangent.dtype == np.float64
    np.testing.assert_array_equal(tangent, np.zeros(7))
    assert_same_jvp(mg_fn, torch_fn, [x], [np.arange(1.0, 8.0)])


def test_frac_tangent_is_the_tangent():
    x = np.array([-1.5, -0.25, 0.0, 0.5, 2.7])
    assert_same_jvp(mg.frac, torch.frac, [x], [np.arange(1.0, 6.0)])


def test_cast_casts_the_tangent():
    """.to(float32) of a dual float64 tensor: the tangent is cast too (torch's)."""
    x, t = np.array([1.0, -2.5, 1e-3]), np.array([0.1, 1.0 / 3, -7.0])
    out, tangent = mg_jvp(lambda v: v.to(mg.float32), [x], [t])
    _, want = torch_jvp(lambda v: v.to(torch.float32), [x], [t])
    assert tangent.dtype == np.float32 == want.dtype
    np.testing.assert_array_equal(tangent, want)
    # and back: a float32 dual cast to float64
    with fwAD.dual_level():
        d = fwAD.make_dual(mg.tensor(x, dtype=mg.float32), mg.tensor(t, dtype=mg.float32))
        back = fwAD.unpack_dual(d.double()).tangent
    assert back.dtype == mg.float64
    np.testing.assert_array_equal(back.numpy(), t.astype(np.float32).astype(np.float64))


# ---- binary ops: both dual, only the first, only the second; broadcasting ------------------

DUALS = {"both": (True, True), "first": (True, False), "second": (False, True)}


def check_binary(mg_fn, torch_fn, a, b, which):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    ta = tangent_like(a, 1) if DUALS[which][0] else None
    tb = tangent_like(b, 2) if DUALS[which][1] else None
    assert_same_jvp(mg_fn, torch_fn, [a, b], [ta, tb])


@pytest.mark.parametrize("which", DUALS)
@pytest.mark.parametrize("op", ["maximum", "minimum"])
def test_maximum_minimum_ties_nan_and_broadcasting(op, which):
    """Ties give ½ of each tangent; where either side is NaN torch's forward mode takes the
    second tangent (its backward gives the gradient to both): matched."""
    a = np.array([[1.0, 2.0, 3.0, NAN, 1.0], [0.5, 4.0, -1.0, 2.0, 2.0]])
    b = np.array([1.0, 1.0, 4.0, 1.0, NAN])
    check_binary(getattr(mg, op), getattr(torch, op), a, b, which)
    check_binary(getattr(mg, op), getattr(torch, op), b, a, which)


@pytest.mark.parametrize("which", DUALS)
def test_pow_tensor_exponent(which):
    rng = np.random.default_rng(3)
    a, b = rng.uniform(0.3, 2.0, (3, 4)), rng.uniform(-2.0, 2.0, 4)
    check_binary(mg.pow, torch.pow, a, b, which)
    # torch's conventions at a zero base and a zero exponent (and a negative base: NaN)
    a = np.array([0.0, 0.0, 0.0, 2.0, -1.0, 0.0, 3.0])
    b = np.array([0.0, 1.0, 2.0, 0.0, 2.0, -1.0, 0.5])
    check_binary(mg.pow, torch.pow, a, b, which)


@pytest.mark.parametrize("which", DUALS)
def test_atan2_broadcasting_and_origin(which):
    rng = np.random.default_rng(4)
    check_binary(mg.atan2, torch.atan2, rng.standard_normal((3, 2)), rng.standard_normal(2),
                 which)
    # at the origin there is no derivative: torch's forward mode gives NaN there (its backward
    # gives 0, as minigrad's), and ±inf where only the squares underflow
    check_binary(mg.atan2, torch.atan2, [0.0, 0.0, 1e-200, 1.0], [0.0, -0.0, 1e-200, 0.0],
                 which)


@pytest.mark.parametrize("which", DUALS)
def test_where_passes_the_chosen_tangent(which):
    cond = np.array([[True, False, True], [False, False, True]])
    a = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    b = -a
    check_binary(lambda x, y: mg.where(mg.tensor(cond), x, y),
                 lambda x, y: torch.where(torch.tensor(cond), x, y), a, b, which)


def test_where_passes_nonfinite_tangents_untouched():
    """where selects, it does not multiply by a 0/1 mask: an inf tangent on the side not taken
    does not turn into NaN (torch's)."""
    cond = np.array([True, False])
    a, b = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    ta, tb = np.array([math.inf, 1.0]), np.array([5.0, NAN])
    assert_same_jvp(lambda x, y: mg.where(mg.tensor(cond), x, y),
                    lambda x, y: torch.where(torch.tensor(cond), x, y), [a, b], [ta, tb])


CLAMP_X = np.array([0.0, 1.0, 2.0, 3.0, 0.5, 5.0, NAN, -1.0])
CLAMP_LO = np.array([0.0, 0.0, 3.0, 1.0, 2.0, 4.0, 0.0, 0.0])
CLAMP_HI = np.array([1.0, 1.0, 1.0, 3.0, 1.0, 4.0, 1.0, 1.0])


@pytest.mark.parametrize("duals", [(1, 1, 1), (1, 0, 0), (0, 1, 0), (0, 0, 1), (0, 1, 1)])
def test_clamp_tensor_bounds_ties_crossed_bounds_nan(duals):
    """x on a bound, lo > hi, x beyond both, NaN: the tangent torch's forward mode picks."""
    prims = [CLAMP_X, CLAMP_LO, CLAMP_HI]
    tans = [np.full(8, 10.0 ** k) if d else None for k, d in enumerate(duals)]
    assert_same_jvp(lambda x, lo, hi: mg.clamp(x, lo, hi),
                    lambda x, lo, hi: torch.clamp(x, lo, hi), prims, tans)


@pytest.mark.parametrize("bound", ["min", "max"])
@pytest.mark.parametrize("duals", [(1, 1), (1, 0), (0, 1)])
def test_clamp_one_tensor_bound(bound, duals):
    """One bound: on a tie (and at NaN) torch's forward mode takes the bound's tangent, though
    its backward gives x the gradient there; the forward rule is matched."""
    other = CLAMP_LO if bound == "min" else CLAMP_HI
    tans = [np.full(8, 1.0) if duals[0] else None, np.full(8, 10.0) if duals[1] else None]
    assert_same_jvp(lambda x, c: mg.clamp(x, **{bound: c}),
                    lambda x, c: torch.clamp(x, **{bound: c}), [CLAMP_X, other], tans)


def test_clamp_tensor_bounds_broadcasting():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((3, 4))
    lo, hi = rng.uniform(-1.0, 0.0, 4), rng.uniform(0.0, 1.0, (3, 1))
    assert_same_jvp(lambda x, lo, hi: mg.clamp(x, lo, hi),
                    lambda x, lo, hi: torch.clamp(x, lo, hi),
                    [x, lo, hi], [tangent_like(x, 6), tangent_like(lo, 7), tangent_like(hi, 8)])


# ---- the tangents are differentiable (reverse-over-forward) --------------------------------

REVERSE_OVER_FORWARD = [
    ("sigmoid", mg.sigmoid, torch.sigmoid, 1),
    ("tanh", mg.tanh, torch.tanh, 1),
    ("expm1", mg.expm1, torch.expm1, 1),
    ("rsqrt", mg.rsqrt, torch.rsqrt, 1),
    ("tan", mg.tan, torch.tan, 1),
    ("erf", mg.erf, torch.erf, 1),
    ("x**-1.5", lambda x: x ** -1.5, lambda x: x ** -1.5, 1),
    ("pow", mg.pow, torch.pow, 2),
    ("atan2", mg.atan2, torch.atan2, 2),
    ("log2", mg.log2, torch.log2, 1),
    ("acos", mg.acos, torch.acos, 1),
]


@pytest.mark.parametrize("name, mg_fn, torch_fn, arity", REVERSE_OVER_FORWARD,
                         ids=[r[0] for r in REVERSE_OVER_FORWARD])
def test_gradient_of_the_tangent_matches_torch(name, mg_fn, torch_fn, arity):
    """d/dx of sum(J·t): the jvp rule's ops are recorded, so the tangent has a gradient."""
    rng = np.random.default_rng(9)
    prims = [rng.uniform(0.2, 0.9, (2, 3)) for _ in range(arity)]
    tans = [tangent_like(p, 10 + k) for k, p in enumerate(prims)]
    with fwAD.dual_level():
        xs = [mg.tensor(p, requires_grad=True) for p in prims]
        duals = [fwAD.make_dual(x, mg.tensor(t)) for x, t in zip(xs, tans)]
        fwAD.unpack_dual(mg_fn(*duals)).tangent.sum().backward()
    with tfw.dual_level():
        ts = [torch.tensor(p, requires_grad=True) for p in prims]
        duals = [tfw.make_dual(x, torch.tensor(t)) for x, t in zip(ts, tans)]
        tfw.unpack_dual(torch_fn(*duals)).tangent.sum().backward()
    for x, t in zip(xs, ts):
        np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-10, atol=1e-12)


# ---- first_order_only: no tangent either -----------------------------------------------------

def test_first_order_only_refuses_a_tangent_as_it_refuses_a_second_backward():
    """A gradient marked exact to first order only (spectral / nuclear norm backward) carries
    no forward-mode tangent: the number would be as wrong as its second backward's."""
    with fwAD.dual_level():
        g = fwAD.make_dual(mg.tensor([1.0, 2.0]), mg.tensor([1.0, 0.0]))
        with pytest.raises(NonDifferentiableBackwardError, match="the spectral norm"):
            mg.ops.first_order_only(g * 2, "the spectral norm")
