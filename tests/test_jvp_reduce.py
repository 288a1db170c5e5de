"""Forward mode (issue 13 §2): the jvp rules of the reductions, the softmax family, the norms,
var/std, the fused losses, the penalties' Functions and the identity Functions of module hooks
and once_differentiable — each against torch.func.jvp on the same float64 inputs, to 1e-10
(an input without a tangent is a constant to both).

Every comparison runs twice: with grad mode on (the rules rebuild what they need with ops, so
the tangent is itself differentiable) and under no_grad (they read the arrays forward kept).
Kinks follow torch: 0 for a norm at 0, the mean tangent of tied maxima; the two deliberate
differences (a NaN maximum, binary cross-entropy's target at p = 0 or 1) have tests saying so.
"""
import math

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn.functional as F
from minigrad import penalties
from minigrad.autograd import Function, NonDifferentiableBackwardError, once_differentiable
from minigrad.autograd import forward_ad as fwAD
from minigrad.ops.loss import cross_entropy_rows
from minigrad.ops.norm import lp_norm
from minigrad.ops.penalty import _TopSingularValue

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(13)


@pytest.fixture(autouse=True)
def _same_numbers_in_every_test():
    """Each test draws the same inputs however the tests are selected or ordered."""
    RNG.bit_generator.state = np.random.default_rng(13).bit_generator.state


RECORD = pytest.mark.parametrize("record", [True, False], ids=["grad", "no_grad"])


def mg_jvp(fn, primals, tangents, record=True):
    """(f(x), J·t) with minigrad's forward mode; a tangent None leaves that input plain."""
    with fwAD.dual_level():
        args = [mg.tensor(p) if t is None else fwAD.make_dual(mg.tensor(p), mg.tensor(t))
                for p, t in zip(primals, tangents)]
        with mg.set_grad_enabled(record):
            out = fn(*args)
        primal, tangent = fwAD.unpack_dual(out)
        assert tangent is not None, "the output carries no tangent"
        return primal.numpy(), tangent.numpy()


def torch_jvp(fn, primals, tangents):
    """torch.func.jvp in the inputs given a tangent; the others are held as constants."""
    held = [torch.tensor(p) for p in primals]
    dual = [i for i, t in enumerate(tangents) if t is not None]

    def of_dual(*xs):
        args = list(held)
        for i, x in zip(dual, xs):
            args[i] = x
        return fn(*args)

    primal, tangent = torch.func.jvp(of_dual, tuple(held[i] for i in dual),
                                     tuple(torch.tensor(tangents[i]) for i in dual))
    return primal.detach().numpy(), tangent.numpy()


def check(mg_fn, torch_fn, primals, tangents=None, record=True, tol=1e-10):
    """minigrad's and torch's value and J·t agree (NaN where the other has NaN)."""
    if tangents is None:
        tangents = [RNG.standard_normal(np.shape(p)) for p in primals]
    value, tangent = mg_jvp(mg_fn, primals, tangents, record)
    expected_value, expected_tangent = torch_jvp(torch_fn, primals, tangents)
    np.testing.assert_allclose(value, expected_value, rtol=tol, atol=tol, equal_nan=True)
    assert tangent.shape == expected_tangent.shape
    np.testing.assert_allclose(tangent, expected_tangent, rtol=tol, atol=tol, equal_nan=True)
    return tangent


def randn(*shape):
    return RNG.standard_normal(shape)


# ---- sums, extremes, products ---------------------------------------------------------------

@RECORD
@pytest.mark.parametrize("axis, keepdims", [(None, False), (1, False), ((0, 2), True),
                                            (-1, True)])
def test_sum_and_mean(record, axis, keepdims):
    x = randn(2, 3, 4)
    check(lambda x: mg.sum(x, axis, keepdims), lambda x: torch.sum(x, axis or (0, 1, 2),
                                                                    keepdims), [x], record=record)
    check(lambda x: x.mean(axis, keepdims), lambda x: torch.mean(x, axis or (0, 1, 2), keepdims),
          [x], record=record)


@RECORD
def test_amax_amin_ties_take_the_mean_tangent_as_torch(record):
    x = np.array([[1.0, 3.0, 3.0, 2.0], [5.0, -1.0, 5.0, 5.0]])
    t = np.array([[1.0, 10.0, 20.0, 5.0], [3.0, 7.0, 6.0, 0.0]])
    got = check(lambda x: mg.amax(x, 1), lambda x: torch.amax(x, 1), [x], [t], record)
    np.testing.assert_allclose(got, [15.0, 3.0])   # (10 + 20)/2, (3 + 6 + 0)/3
    check(lambda x: mg.amin(-x, 0, keepdims=True), lambda x: torch.amin(-x, 0, keepdim=True),
          [x], [t], record)
    check(lambda x: mg.amax(x), lambda x: torch.amax(x), [x], [t], record)


def test_amax_at_a_nan_deliberate_difference():
    """torch's amax jvp is NaN at a NaN maximum (its mask x == y misses NaN); minigrad gives
    the NaN element's tangent, the row its backward uses (the gradient goes to the NaN)."""
    x, t = np.array([1.0, np.nan, 2.0]), np.array([1.0, 2.0, -3.0])
    _, tangent = mg_jvp(lambda x: mg.amax(x), [x], [t])
    assert tangent == 2.0
    assert np.isnan(torch_jvp(lambda x: torch.amax(x), [x], [t])[1])


@RECORD
@pytest.mark.parametrize("x", [
    np.array([[1.5, -2.0, 0.5], [3.0, 0.25, -1.0]]),   # no zero
    np.array([[0.0, -2.0, 0.5], [3.0, 0.25, -1.0]]),   # one zero in a row
    np.array([[0.0, 0.0, 0.5], [3.0, 0.0, -1.0]]),     # two zeros in a row
], ids=["no zero", "one zero", "two zeros"])
def test_prod_exact_at_zeros(record, x):
    check(lambda x: mg.prod(x, 1), lambda x: torch.prod(x, 1), [x], record=record)
    check(lambda x: mg.prod(x, 0, keepdim=True), lambda x: torch.prod(x, 0, keepdim=True), [x],
          record=record)


@RECORD
def test_prod_of_one_element_is_the_identity(record):
    x = np.array([[0.0], [2.0]])
    check(lambda x: mg.prod(x, 1), lambda x: torch.prod(x, 1), [x], record=record)


# ---- the softmax family ---------------------------------------------------------------------

@RECORD
@pytest.mark.parametrize("axis", [-1, 0, 1])
def test_softmax_log_softmax_logsumexp(record, axis):
    x = randn(2, 3, 4) * 3
    check(lambda x: mg.softmax(x, axis), lambda x: torch.softmax(x, axis), [x], record=record)
    check(lambda x: F.log_softmax(x, axis), lambda x: torch.log_softmax(x, axis), [x],
          record=record)
    check(lambda x: mg.logsumexp(x, axis), lambda x: torch.logsumexp(x, axis), [x],
          record=record)
    check(lambda x: mg.logsumexp(x, axis, keepdims=True),
          lambda x: torch.logsumexp(x, axis, keepdim=True), [x], record=record)


def _group_lasso(**kwargs):
    return penalties.GroupLasso(0.7, **kwargs)


ONE_ZERO = np.array([[1.0, 0.0, 1.0], [1.0, 1.0, 1.0]])
REVERSE_OVER_FORWARD = {
    "prod": (lambda x: mg.prod(x, 1), lambda x: torch.prod(x, 1)),
    "prod one zero": (lambda x: mg.prod(x * mg.tensor(ONE_ZERO), 1),
                      lambda x: torch.prod(x * torch.tensor(ONE_ZERO), 1)),
    "softmax": (lambda x: mg.softmax(x, 1), lambda x: torch.softmax(x, 1)),
    "log_softmax": (lambda x: F.log_softmax(x, 0), lambda x: torch.log_softmax(x, 0)),
    "logsumexp": (lambda x: mg.logsumexp(x, 1), lambda x: torch.logsumexp(x, 1)),
    "2-norm": (lambda x: mg.linalg.vector_norm(x, 2, 1, keepdim=True),
               lambda x: torch.linalg.vector_norm(x, 2, 1, keepdim=True)),
    "3-norm": (lambda x: mg.linalg.vector_norm(x, 3, 1, keepdim=True),
               lambda x: torch.linalg.vector_norm(x, 3, 1, keepdim=True)),
    "normalize p=3": (lambda x: F.normalize(x, 3, 1),
                      lambda x: torch.nn.functional.normalize(x, 3, 1)),
    "var": (lambda x: mg.var(x, 1), lambda x: torch.var(x, 1)),
    "std": (lambda x: mg.std(x, 0, correction=0), lambda x: torch.std(x, 0, correction=0)),
    "cross_entropy": (lambda x: F.cross_entropy(x, mg.tensor([2, 0]), reduction="sum",
                                                label_smoothing=0.1),
                      lambda x: torch.nn.functional.cross_entropy(
                          x, torch.tensor([2, 0]), reduction="sum", label_smoothing=0.1)),
    "group norms dim=0": (lambda x: _group_lasso(dim=0).group_norms(x),
                          lambda x: torch.linalg.vector_norm(x, 2, 0)),
    "group norms groups=": (lambda x: _group_lasso(groups=[[0, 1, 5], [2, 3]]).group_norms(x),
                            lambda x: torch.stack([torch.linalg.vector_norm(x.reshape(-1)[g])
                                                   for g in ([0, 1, 5], [2, 3])])),
    "binary_cross_entropy": (lambda x: F.binary_cross_entropy(x * 0.1 + 0.5, x * 0.1 + 0.4),
                             lambda x: torch.nn.functional.binary_cross_entropy(
                                 x * 0.1 + 0.5, x * 0.1 + 0.4)),
}


@pytest.mark.parametrize("name", list(REVERSE_OVER_FORWARD))
def test_tangents_are_differentiable_in_reverse_mode(name):
    """Reverse over forward: d/dx ⟨J(x)·t, v⟩ against torch's — the rules rebuild what they
    read from forward with ops, so the tangent's dependence on x is exact (the second
    derivative: through zeros for prod, the recomputed softmax, norm, std, p)."""
    mg_fn, torch_fn = REVERSE_OVER_FORWARD[name]
    x0, t0 = randn(2, 3), randn(2, 3)
    x = mg.tensor(x0, requires_grad=True)
    with fwAD.dual_level():
        tangent = fwAD.unpack_dual(mg_fn(fwAD.make_dual(x, mg.tensor(t0)))).tangent
    v0 = randn(*tangent.shape)
    (tangent * mg.tensor(v0)).sum().backward()
    tx = torch.tensor(x0, requires_grad=True)
    _, tt = torch.func.jvp(torch_fn, (tx,), (torch.tensor(t0),))
    (tt * torch.tensor(v0)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-10, atol=1e-10)


# ---- norms ----------------------------------------------------------------------------------

def _lp_norm(p, axis):
    return lambda x: lp_norm(x, p, axis)


NORM_INPUTS = {
    "regular": np.array([[0.5, -2.0, 1.5], [3.0, 0.25, -1.0]]),
    "zero row": np.array([[0.0, 0.0, 0.0], [3.0, 0.25, -1.0]]),
    "zero entry": np.array([[0.0, -2.0, 1.0], [3.0, 0.0, -1.0]]),
    "tied |x|": np.array([[-3.0, 3.0, 1.0], [-1.0, 1.0, 3.0]]),
}


@RECORD
@pytest.mark.parametrize("p", [2, 1, 3, 0.5, -1.5, math.inf, -math.inf, 0])
@pytest.mark.parametrize("name", list(NORM_INPUTS))
def test_lp_norms_with_torch_kinks(record, p, name):
    """L2Norm, LpNorm and PNorm (torch.linalg.vector_norm), at zero vectors, zero entries and
    tied magnitudes too: torch's jvp there is 0, the backward's subgradient (the same
    derivative, so J·t is that row times t)."""
    x = NORM_INPUTS[name]
    check(_lp_norm(p, 1), lambda x: torch.linalg.vector_norm(x, p, 1, keepdim=True), [x],
          record=record)
    if p not in (1, 0, math.inf, -math.inf):   # those are compositions (abs, amax) elsewhere
        check(lambda x: mg.linalg.vector_norm(x, p, 1, keepdim=True),
              lambda x: torch.linalg.vector_norm(x, p, 1, keepdim=True), [x], record=record)
        check(lambda x: mg.linalg.vector_norm(x, p, (0, 1), keepdim=True),
              lambda x: torch.linalg.vector_norm(x, p, (0, 1), keepdim=True), [x],
              record=record)


def test_lp_norm_of_negative_p_at_a_zero_entry_has_gradient_zero_as_torch():
    """p < 0 and a zero entry: n = 0 while other entries are not (a fix of the backward made
    with the jvp: it gave |x|^(p−1) there)."""
    x0 = np.array([[0.0, -2.0, 1.0], [1.0, 2.0, -3.0]])
    x = mg.tensor(x0, requires_grad=True)
    _lp_norm(-1.5, 1)(x).sum().backward()
    tx = torch.tensor(x0, requires_grad=True)
    torch.linalg.vector_norm(tx, -1.5, 1, keepdim=True).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12, atol=0)
    assert not x.grad.numpy()[0].any()


def test_norms_at_zero_vector_have_zero_tangent_as_torch():
    z, t = np.zeros((1, 3)), np.array([[1.0, 2.0, -3.0]])
    for p in (2, 3, 0.5, 1, math.inf):
        _, tangent = mg_jvp(_lp_norm(p, 1), [z], [t])
        expected = torch_jvp(lambda x: torch.linalg.vector_norm(x, p, 1, keepdim=True), [z],
                             [t])[1]
        assert tangent.tolist() == expected.tolist() == [[0.0]]


@RECORD
@pytest.mark.parametrize("p", [2, 1, 3, 0.5, math.inf])
def test_normalize_and_clamp_min(record, p):
    """x / max(‖x‖_p, eps): ClampMin passes t where ‖x‖ ≥ eps; on the zero row the tangent is
    t/eps (1e12·t), as torch's."""
    x = NORM_INPUTS["zero row"]
    check(lambda x: F.normalize(x, p, 1), lambda x: torch.nn.functional.normalize(x, p, 1), [x],
          record=record)


# ---- var and std ----------------------------------------------------------------------------

SPREAD_ARGS = [dict(), dict(dim=1), dict(dim=(0, 2), correction=0), dict(dim=1, keepdim=True),
               dict(dim=2, correction=2)]


@RECORD
@pytest.mark.parametrize("kwargs", SPREAD_ARGS, ids=str)
def test_var_std(record, kwargs):
    x = randn(2, 3, 4)
    check(lambda x: mg.var(x, **kwargs), lambda x: torch.var(x, **kwargs), [x], record=record)
    check(lambda x: mg.std(x, **kwargs), lambda x: torch.std(x, **kwargs), [x], record=record)


@RECORD
@pytest.mark.filterwarnings("ignore::UserWarning")   # torch: degrees of freedom ≤ 0
def test_var_std_at_constant_slices_and_no_degrees_of_freedom(record):
    """A constant slice: std's tangent 0 (torch's subgradient); N − correction ≤ 0: NaN."""
    c = np.array([[2.0, 2.0, 2.0], [1.0, 2.0, 4.0]])
    with np.errstate(all="ignore"):
        for kw in (dict(dim=1), dict(dim=0, correction=2), dict(correction=6),
                   dict(correction=7)):
            check(lambda x: mg.std(x, **kw), lambda x: torch.std(x, **kw), [c], record=record)
            check(lambda x: mg.var(x, **kw), lambda x: torch.var(x, **kw), [c], record=record)
    tangent = mg_jvp(lambda x: mg.std(x, 1), [c], [randn(2, 3)], record)[1]
    assert tangent[0] == 0.0


# ---- the fused losses -----------------------------------------------------------------------

@RECORD
@pytest.mark.parametrize("kwargs", [dict(), dict(label_smoothing=0.2),
                                    dict(weight=np.array([0.5, 2.0, 1.0, 0.3]),
                                         label_smoothing=0.1, ignore_index=1)],
                         ids=["plain", "smoothing", "weight+smoothing+ignore"])
def test_cross_entropy_rows(record, kwargs):
    x, target = randn(5, 4) * 2, np.array([0, 3, 1, 2, 1])
    w = kwargs.get("weight")
    mg_kw = dict(kwargs, weight=None if w is None else mg.tensor(w))
    t_kw = dict(kwargs, weight=None if w is None else torch.tensor(w))
    check(lambda x: F.cross_entropy(x, mg.tensor(target), reduction="sum", **mg_kw),
          lambda x: torch.nn.functional.cross_entropy(x, torch.tensor(target), reduction="sum",
                                                      **t_kw), [x], record=record)
    w_array = np.ones(4) if w is None else w
    check(lambda x: cross_entropy_rows(x, target, w_array, kwargs.get("label_smoothing", 0.0),
                                       kwargs.get("ignore_index", -100)),
          lambda x: torch.nn.functional.cross_entropy(x, torch.tensor(target), reduction="none",
                                                      **t_kw), [x], record=record)


@RECORD
@pytest.mark.parametrize("which", ["both", "logits only", "target only"])
def test_cross_entropy_with_probability_targets(record, which):
    """Soft labels are a composition of ops (log_softmax · q), differentiable in the target."""
    x, q, tx, tq = randn(3, 4), RNG.dirichlet(np.ones(4), 3), randn(3, 4), randn(3, 4)
    tangents = {"both": [tx, tq], "logits only": [tx, None], "target only": [None, tq]}[which]
    check(lambda x, q: F.cross_entropy(x, q, reduction="sum", label_smoothing=0.1),
          lambda x, q: torch.nn.functional.cross_entropy(x, q, reduction="sum",
                                                         label_smoothing=0.1),
          [x, q], tangents, record)


def test_cross_entropy_class_weights_carry_no_tangent():
    """Class weights are constants of the loss (arrays in the fused kernel): a tangent on them
    gives the loss none, where torch.func gives a zero tangent (torch's nll_loss is not
    differentiable in weight either: its reverse mode refuses one that requires grad)."""
    x, w = randn(5, 4), RNG.uniform(0.5, 2, 4)
    target = np.array([0, 3, 1, 2, 1])
    with fwAD.dual_level():
        loss = F.cross_entropy(mg.tensor(x), mg.tensor(target),
                               weight=fwAD.make_dual(mg.tensor(w), mg.tensor(np.ones(4))))
        assert fwAD.unpack_dual(loss).tangent is None
    _, expected = torch_jvp(lambda w: torch.nn.functional.cross_entropy(
        torch.tensor(x), torch.tensor(target), weight=w), [w], [np.ones(4)])
    assert expected == 0.0


@RECORD
@pytest.mark.parametrize("which", ["both", "p only", "y only"])
def test_binary_cross_entropy(record, which):
    p, y = RNG.uniform(0.05, 0.95, (3, 4)), RNG.uniform(0, 1, (3, 4))
    tp, ty = randn(3, 4), randn(3, 4)
    tangents = {"both": [tp, ty], "p only": [tp, None], "y only": [None, ty]}[which]
    check(lambda p, y: F.binary_cross_entropy(p, y, reduction="sum"),
          lambda p, y: torch.nn.functional.binary_cross_entropy(p, y, reduction="sum"),
          [p, y], tangents, record)


@RECORD
def test_binary_cross_entropy_at_the_ends(record):
    """p = 0 or 1: d/dp is torch's finite (p − y)/max(p(1 − p), 1e-12). d/dy there is a
    deliberate difference, the backward's: the clamped logs give ±100 where torch's jvp (and
    backward) give ±inf."""
    p, y, t = np.array([0.0, 1.0, 0.0, 0.5]), np.array([0.0, 1.0, 1.0, 1.0]), randn(4)
    # torch's 1e-12 is a float32 constant (1 − 4e-9 of it): hence the relative tolerance
    check(lambda p, y: F.binary_cross_entropy(p, y, reduction="none"),
          lambda p, y: torch.nn.functional.binary_cross_entropy(p, y, reduction="none"),
          [p, y], [t, None], record, tol=1e-8)
    _, tangent = mg_jvp(lambda p, y: F.binary_cross_entropy(p, y, reduction="none"), [p, y],
                        [None, np.ones(4)], record)
    np.testing.assert_allclose(tangent, [100.0, -100.0, 100.0, 0.0], atol=1e-12)
    expected = torch_jvp(lambda p, y: torch.nn.functional.binary_cross_entropy(
        p, y, reduction="none"), [p, y], [None, np.ones(4)])[1]
    assert expected[:3].tolist() == [math.inf, -math.inf, math.inf]


# ---- the penalties' Functions ---------------------------------------------------------------

@RECORD
@pytest.mark.parametrize("dim, zero_group", [(0, (slice(None), 1, 0)),
                                             ((0, 2), (slice(None), 1, slice(None))),
                                             (1, (0, slice(None), 1))], ids=str)
def test_group_norms_along_axes(record, dim, zero_group):
    """The groups are the fibres along dim; one of them zero (tangent 0, as torch's norm)."""
    w = randn(2, 3, 2)
    w[zero_group] = 0.0
    check(lambda w: _group_lasso(dim=dim).group_norms(w),
          lambda w: torch.linalg.vector_norm(w, 2, dim), [w], record=record)


@RECORD
def test_group_norms_of_index_groups(record):
    """Explicit groups (elements 6, 9, 10 in none); one of them zero."""
    groups = [[0, 1, 5], [2, 7, 8], [11], [3, 4]]
    w = randn(3, 4)
    w.reshape(-1)[[3, 4]] = 0.0
    check(lambda w: _group_lasso(groups=groups).group_norms(w),
          lambda w: torch.stack([torch.linalg.vector_norm(w.reshape(-1)[g]) for g in groups]),
          [w], record=record)


def _singular_pair(w):
    u, s, vt = np.linalg.svd(w)
    return u[:, 0], vt[0]


@RECORD
def test_top_singular_value(record):
    """σ₁ = u₁ᵀWv₁ with the exact singular vectors: jvp u₁ᵀTv₁ is torch's (matrix 2-norm)."""
    w = randn(4, 3)
    u, v = _singular_pair(w)
    check(lambda w: _TopSingularValue.apply(w, u, v),
          lambda w: torch.linalg.matrix_norm(w, 2), [w], record=record)
    check(lambda w: penalties.SpectralNorm(0.7)(w), lambda w: 0.7 * torch.linalg.matrix_norm(w, 2), [w],
          record=record, tol=1e-8)   # power iteration's u, v: converged to tol=1e-10


@RECORD
@pytest.mark.parametrize("shape", [(4, 3), (3, 5)])
def test_nuclear_norm(record, shape):
    w = randn(*shape)
    check(lambda w: penalties.NuclearNorm(0.7)(w), lambda w: 0.7 * torch.linalg.matrix_norm(w, "nuc"),
          [w], record=record)


@pytest.mark.parametrize("penalty", ["SpectralNorm", "NuclearNorm"])
def test_singular_value_tangents_are_first_order_only(penalty):
    """The tangent holds U, V constant as the gradient does: differentiating it raises."""
    w = mg.tensor(randn(4, 3), requires_grad=True)
    with fwAD.dual_level():
        value = getattr(penalties, penalty)(0.7)(fwAD.make_dual(w, mg.tensor(randn(4, 3))))
        tangent = fwAD.unpack_dual(value).tangent
    with pytest.raises(NonDifferentiableBackwardError, match=penalty):
        tangent.backward()


# ---- identities: module backward hooks, once_differentiable ---------------------------------

def test_module_backward_hook_passes_tangents_through():
    """A module with a full backward hook: its identity Functions (on the inputs and the
    outputs) pass tangents on, so J·t is that of the module alone (torch's BackwardHookFunction
    has no jvp and raises)."""
    x0, t0 = randn(3, 4), randn(3, 4)
    calls = []
    m = mg.nn.Softmax(dim=1)
    m.register_full_backward_hook(lambda mod, gi, go: calls.append(1))
    with fwAD.dual_level():
        x = fwAD.make_dual(mg.tensor(x0, requires_grad=True), mg.tensor(t0))
        y = m(x)
        tangent = fwAD.unpack_dual(y).tangent.numpy()
    y.sum().backward()
    expected = torch.func.jvp(lambda x: torch.softmax(x, 1), (torch.tensor(x0),),
                              (torch.tensor(t0),))[1].numpy()
    np.testing.assert_allclose(tangent, expected, rtol=1e-10, atol=1e-10)
    assert calls == [1]


def test_once_differentiable_refuses_a_tangent_as_a_second_derivative():
    """Forward over reverse through a @once_differentiable backward: the tangent of its
    result would be its derivative, which it does not have — the same error as backward."""

    class Cube(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x.array ** 3

        @staticmethod
        @once_differentiable
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return mg.tensor(3 * x.array ** 2 * grad.array)

        @staticmethod
        def jvp(ctx, tx):
            (x,) = ctx.saved_tensors
            return 3 * x * x * tx

    x = mg.tensor(randn(3), requires_grad=True)
    with fwAD.dual_level():
        xd = fwAD.make_dual(x, mg.tensor(randn(3)))
        c = Cube.apply(xd)
        z = (c * c).sum()
        with pytest.raises(RuntimeError, match="differentiate twice.*once_differentiable"):
            mg.autograd.grad(z, xd, create_graph=True)
