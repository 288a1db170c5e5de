"""Issue 12 (math): torch's math functions, comparisons, max/min/sort/topk/... with named tuples,
scans, var/std, norms, mm/einsum and __format__, against torch (float64) where torch is the
oracle, and the deliberate differences (stable order on ties) tested as documented.

The broad value/gradient comparison over drawn shapes and edge values is the differential
suite (tests/_differential_registry.py, the "issue 12 (math)" block); the gradchecks are the
cases of minigrad/checks.py. Here: the idioms of ported programs, the rules on ties, NaN, zeros,
0-d and empty tensors, and the errors.
"""
import math

import numpy as np
import pytest

import minigrad as mg
from minigrad import return_types

torch = pytest.importorskip("torch")

nan, inf = math.nan, math.inf
pytestmark = pytest.mark.filterwarnings("ignore:.*degrees of freedom")


def both(values, requires_grad=False):
    a = np.asarray(values, dtype=np.float64)
    return (mg.tensor(a, requires_grad=requires_grad),
            torch.tensor(a, dtype=torch.float64, requires_grad=requires_grad))


def same(m, t, **kw):
    np.testing.assert_allclose(np.asarray(m.numpy() if isinstance(m, mg.Tensor) else m),
                               t.detach().numpy() if isinstance(t, torch.Tensor) else t, **kw)


# ---- the idioms of the issue: max(dim) is (values, indices) ------------------------------------

def test_max_dim_is_a_named_tuple_as_torch():
    logits = np.array([[0.1, 2.0, -1.0], [3.0, 0.5, 3.0]])
    out, tout = both(logits)
    r = out.max(1)
    assert isinstance(r, tuple) and isinstance(r, return_types.max)
    assert r._fields == ("values", "indices") and len(r) == len(torch.max(tout, 1)) == 2
    _, pred = out.max(1)                       # the classic accuracy line
    assert pred.dtype == np.int64 and pred.tolist() == [1, 0]
    assert out.max(1)[1].tolist() == tout.max(1)[1].tolist()
    assert (out.max(1)[1] == mg.tensor([1, 0])).sum().item() == 2
    same(r.values, tout.max(1).values)
    v, i = out.max(dim=0, keepdim=True)
    assert v.shape == (1, 3) and i.shape == (1, 3)
    assert out.max().shape == () and out.max().item() == 3.0
    assert out.min(1).indices.tolist() == [2, 1]
    assert repr(r).startswith("max(values=tensor(")


def test_max_min_ties_and_nan_follow_torch():
    x = [[1.0, 3.0, 3.0, 2.0, 3.0], [nan, 1.0, nan, 5.0, 0.0], [2.0, 2.0, -0.0, 0.0, 1.0]]
    m, t = both(x)
    for which in ("max", "min"):
        for dim in (0, 1, -1):
            got, want = getattr(m, which)(dim), getattr(t, which)(dim)
            assert got.indices.tolist() == want.indices.tolist(), (which, dim)
            same(got.values, want.values)


def test_max_dim_gradient_goes_to_the_index_max_all_shares_ties():
    m, t = both([[1.0, 3.0, 3.0, 2.0]], requires_grad=True)
    m.max(1).values.sum().backward()
    t.max(1).values.sum().backward()
    same(m.grad, t.grad)                      # [0, 1, 0, 0]
    m, t = both([1.0, 3.0, 3.0, 2.0], requires_grad=True)
    m.max().backward()
    t.max().backward()
    same(m.grad, t.grad)                      # [0, .5, .5, 0]


def test_max_other_is_the_elementwise_maximum():
    a, ta = both([1.0, 5.0, 2.0])
    b, tb = both([3.0, 4.0, 2.0])
    same(a.max(b), ta.max(tb))
    same(mg.min(a, b), torch.min(ta, tb))
    with pytest.raises(TypeError):
        a.max(b, keepdim=True)


def test_max_on_0d_int_and_empty_tensors():
    r = mg.tensor(2.0).max(0)
    assert r.values.shape == () and r.indices.item() == 0
    ints = mg.tensor([[1, 5, 2]])
    assert ints.max(1).values.dtype == np.int64 and ints.max(1).indices.tolist() == [1]
    assert mg.zeros(0, 3).max(1).values.shape == (0,)
    with pytest.raises(ValueError, match="empty"):
        mg.zeros(2, 0).max(1)
    with pytest.raises(ValueError):
        mg.zeros(0).max()


def test_amax_stays_values_only_and_internal_callers_use_it():
    x = mg.tensor([[1.0, 4.0], [3.0, 2.0]])
    assert isinstance(x.amax(1), mg.Tensor) and x.amax((0, 1)).item() == 4.0
    assert x.amin(dim=0, keepdim=True).tolist() == [[1.0, 2.0]]


# ---- sort, argsort, topk, kthvalue, median, mode ----------------------------------------------

def test_sort_is_stable_with_nan_last_ascending_first_descending():
    x = [3.0, 1.0, nan, 1.0, 3.0, -0.0, 0.0, 2.0, 1.0]
    m, t = both(x)
    for descending in (False, True):
        got = m.sort(descending=descending)
        want = t.sort(descending=descending, stable=True)
        assert got.indices.tolist() == want.indices.tolist()
        same(got.values, want.values)
        assert m.argsort(descending=descending).tolist() == want.indices.tolist()
    # stable=False: torch may order ties any way; minigrad gives the stable order (documented)
    assert m.sort(stable=False).indices.tolist() == t.sort(stable=True).indices.tolist()
    assert isinstance(m.sort(), return_types.sort)


def test_sort_along_dims_and_0d_and_empty():
    rng = np.random.default_rng(0)
    a = rng.integers(0, 3, (3, 4, 5)).astype(float)
    m, t = both(a)
    for dim in (0, 1, 2, -1):
        for desc in (False, True):
            assert (m.sort(dim, desc).indices.tolist()
                    == t.sort(dim=dim, descending=desc, stable=True).indices.tolist())
    s = mg.tensor(3.0).sort()
    assert s.values.shape == () and s.indices.item() == 0
    assert mg.zeros(2, 0).sort(1).values.shape == (2, 0)


def test_sort_values_gradient_follows_the_permutation():
    m, t = both([[0.3, -1.2, 2.5, 0.1]], requires_grad=True)
    w = np.array([1.0, 2.0, 3.0, 4.0])
    (m.sort(1, descending=True).values * mg.tensor(w)).sum().backward()
    (t.sort(1, descending=True).values * torch.tensor(w)).sum().backward()
    same(m.grad, t.grad)


def test_topk_values_and_indices():
    m, t = both([[5.0, 1.0, 4.0, 2.0, 3.0, 6.0], [0.5, nan, -1.0, 2.0, 2.5, 0.0]])
    for k in (0, 1, 3, 6):
        for largest in (True, False):
            got, want = m.topk(k, largest=largest), t.topk(k, largest=largest)
            assert got.indices.tolist() == want.indices.tolist()
            same(got.values, want.values)
    # sorted=False: torch allows any order; minigrad's is sorted (documented)
    assert m.topk(3, sorted=False).values.tolist()[0] == [6.0, 5.0, 4.0]
    with pytest.raises(ValueError, match="k must be"):
        m.topk(7)


def test_topk_ties_take_the_first_occurrences():
    m = mg.tensor([1.0, 2.0, 2.0, 2.0, 1.0, 2.0])
    assert m.topk(2).indices.tolist() == [1, 2]          # torch happens to give [3, 5]
    assert m.topk(2, largest=False).indices.tolist() == [0, 4]


def test_kthvalue_median_mode_match_torch():
    rng = np.random.default_rng(1)
    for trial in range(200):
        n = int(rng.integers(1, 9))
        a = rng.permutation(n) * 0.5 - 1.0 if trial % 2 else rng.integers(0, 3, n).astype(float)
        if trial % 5 == 0:
            a[rng.random(n) < 0.3] = nan
        m, t = both(a)
        k = int(rng.integers(1, n + 1))
        assert m.kthvalue(k).values.item() == pytest.approx(t.kthvalue(k).values.item(),
                                                             nan_ok=True)
        if len(set(a.tolist())) == n and not np.isnan(a).any():   # no ties: torch's index too
            assert m.kthvalue(k).indices.item() == t.kthvalue(k).indices.item()
        same(m.median(), t.median())
        got, want = m.median(0), t.median(0)
        assert got.indices.item() == want.indices.item()
        same(got.values, want.values)
        if not np.isnan(a).any():
            got, want = m.mode(0), t.mode(0)
            assert (got.values.item(), got.indices.item()) == (want.values.item(),
                                                                want.indices.item())


def test_median_gradients():
    m, t = both([1.0, 3.0, 3.0, 3.0], requires_grad=True)
    m.median().backward()
    t.median().backward()
    same(m.grad, t.grad)                    # shared by the ties
    m, t = both([[1.0, 3.0, 3.0, 3.0]], requires_grad=True)
    m.median(1).values.sum().backward()
    t.median(1).values.sum().backward()
    same(m.grad, t.grad)                    # to the index
    assert math.isnan(mg.zeros(0).median().item())


def test_return_types_module():
    for name in ("max", "min", "sort", "topk", "kthvalue", "median", "mode"):
        cls = getattr(return_types, name)
        assert cls._fields == ("values", "indices") and cls.__name__ == name


# ---- elementwise math ------------------------------------------------------------------------

UNARY = {"sin": None, "cos": None, "tan": None, "asin": (-0.99, 0.99), "acos": (-0.99, 0.99),
         "atan": None, "sinh": None, "cosh": None, "log1p": (-0.9, 3), "log2": (0.1, 3),
         "log10": (0.1, 3), "rsqrt": (0.1, 3), "reciprocal": None, "square": None, "neg": None,
         "erf": None, "exp": None, "log": (0.1, 3), "sqrt": (0.1, 3), "abs": None,
         "tanh": None, "sigmoid": None, "sign": None, "floor": None, "ceil": None,
         "round": None, "trunc": None, "frac": None}


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_function_and_method_match_torch_with_gradients(name):
    rng = np.random.default_rng(2)
    lo, hi = UNARY[name] or (-3, 3)
    a = rng.uniform(lo, hi, (3, 4))
    m, t = both(a, requires_grad=True)
    g = rng.standard_normal((3, 4))
    for got in (getattr(m, name)(), getattr(mg, name)(m)):
        same(got, getattr(torch, name)(t), rtol=1e-12, atol=1e-15)
    (getattr(m, name)() * mg.tensor(g)).sum().backward()
    (getattr(torch, name)(t) * torch.tensor(g)).sum().backward()
    same(m.grad, t.grad, rtol=1e-12, atol=1e-15)


def test_rounding_rules_as_torch():
    m, t = both([0.5, 1.5, 2.5, -0.5, -1.5, 1.25, -2.7, 0.0, -0.0, inf, -inf, nan])
    for name in ("round", "floor", "ceil", "trunc", "sign", "frac"):
        same(getattr(m, name)(), getattr(t, name)())
    for d in (1, 2, -1, -2):
        m, t = both([1.25, 1234.5678, -0.055, 15.0, 25.0])
        same(m.round(decimals=d), t.round(decimals=d))
    i = mg.tensor([3, -2])
    assert i.floor().tolist() == [3, -2] and i.floor().dtype == np.int64
    assert i.sign().tolist() == [1, -1]


def test_pow_spellings():
    m, t = both([0.5, 1.5, 2.0], requires_grad=True)
    same(m.pow(2), t.pow(2))
    same(mg.pow(m, 3.5), torch.pow(t, 3.5))
    same(mg.pow(2.0, m), torch.pow(2.0, t))
    same(m.pow(m), t.pow(t))
    same(m.square(), t.square())
    with pytest.raises(TypeError):
        mg.pow(2.0, 3.0)


def test_atan2_matches_torch_including_the_axes():
    m, t = both([[1.0, -1.0, 0.0, 0.0, -0.0], [2.0, -3.0, 1.0, -1.0, 1.0]])
    x, tx = both([[1.0, -1.0, 1.0, -1.0, -1.0]])
    same(m.atan2(x), t.atan2(tx))
    same(mg.atan2(m, 2.0), torch.atan2(t, torch.tensor(2.0, dtype=torch.float64)))


def test_clamp_with_tensor_bounds_gradients_as_torch():
    x = [0.0, 1.0, 2.0, 3.0, 4.0, 1.0, 2.0, 5.0, 0.0, nan]
    lo = [1.0, 1.0, 1.0, 1.0, 1.0, 3.0, 2.0, 6.0, 2.0, 0.0]
    hi = [3.0, 3.0, 3.0, 3.0, 3.0, 2.0, 2.0, 4.0, 2.0, 1.0]
    (m, t), (ml, tl), (mh, th) = both(x, True), both(lo, True), both(hi, True)
    same(m.clamp(min=ml, max=mh), torch.clamp(t, min=tl, max=th))
    m.clamp(ml, mh).sum().backward()
    torch.clamp(t, tl, th).sum().backward()
    for a, b in ((m, t), (ml, tl), (mh, th)):
        same(a.grad, b.grad)
    (m, t), (ml, tl) = both(x, True), both(lo, True)
    mg.clamp(m, min=ml).sum().backward()
    torch.clamp(t, min=tl).sum().backward()
    same(m.grad, t.grad)
    same(ml.grad, tl.grad)
    out = mg.zeros(3).double().clamp(min=mg.zeros(2, 3).double())
    assert out.shape == (2, 3)
    with pytest.raises(ValueError, match="broadcast"):
        mg.zeros(3).clamp(min=mg.zeros(2))


# ---- comparisons and logic ---------------------------------------------------------------------

def test_comparison_methods_and_functions():
    m, t = both([1.0, 2.0, nan, 3.0])
    o, to = both([1.0, 3.0, nan, 2.0])
    for name in ("eq", "ne", "lt", "le", "gt", "ge", "greater", "less", "greater_equal",
                 "less_equal", "not_equal"):
        for other, tother in ((o, to), (2.0, 2.0)):
            want = getattr(torch, name)(t, tother).tolist()
            assert getattr(m, name)(other).tolist() == want, name
            assert getattr(mg, name)(m, other).tolist() == want, name
    assert mg.tensor([1, 2]).eq(2).tolist() == [False, True]
    assert mg.isnan(m).tolist() == [False, False, True, False]
    assert m.isfinite().tolist() == t.isfinite().tolist()
    assert mg.tensor([1.0, -inf]).isinf().tolist() == [False, True]


def test_logic_any_all():
    m, t = both([[1.0, 0.0, nan], [0.0, 0.0, 0.0]])
    assert m.logical_not().tolist() == t.logical_not().tolist()
    b = mg.tensor([True, False, True])
    tb = torch.tensor([True, False, True])
    for name in ("logical_and", "logical_or", "logical_xor"):
        assert getattr(m, name)(b).tolist() == getattr(t, name)(tb).tolist()
    assert m.any().item() and not m.all().item()
    assert m.any(1).tolist() == t.any(1).tolist()
    assert m.all(dim=0, keepdim=True).tolist() == t.all(dim=0, keepdim=True).tolist()
    assert m.any(dim=(0, 1)).item() is True


def test_isclose_allclose_equal_defaults_as_torch():
    m, t = both([1.0, 1.0 + 1e-6, inf, nan, 1e-9])
    o, to = both([1.0, 1.0, inf, nan, 0.0])
    assert m.isclose(o).tolist() == t.isclose(to).tolist()
    assert mg.isclose(m, o, equal_nan=True).tolist() == torch.isclose(t, to,
                                                                      equal_nan=True).tolist()
    assert mg.allclose(m, o, equal_nan=True) is torch.allclose(t, to, equal_nan=True) is True
    assert m.allclose(o) is False
    assert mg.equal(o, o) is False                      # NaN ≠ NaN, as torch.equal
    assert mg.equal(mg.tensor([1.0, 2.0]), mg.tensor([1, 2]))
    assert not mg.equal(mg.tensor([1.0]), mg.tensor([1.0, 1.0]))
    with pytest.raises(TypeError):
        mg.isclose(mg.tensor([1.0]), mg.tensor([1.0]).double())


# ---- reductions: prod, cumsum, cumprod, var/std, norm -----------------------------------------

def test_prod_with_zeros_first_and_second_derivatives():
    rows = [[0.0, 2.0, 3.0], [0.0, 0.0, 3.0], [1.5, 2.0, -1.0], [0.0, 0.0, 0.0]]
    m, t = both(rows, requires_grad=True)
    same(m.prod(1), t.prod(1))
    (gm,) = mg.grad(m.prod(1).sum(), [m], create_graph=True)
    (gt,) = torch.autograd.grad(t.prod(1).sum(), [t], create_graph=True)
    same(gm, gt)
    v = np.arange(12.0).reshape(4, 3) - 5
    (hm,) = mg.grad((gm * mg.tensor(v)).sum(), [m])
    (ht,) = torch.autograd.grad((gt * torch.tensor(v)).sum(), [t])
    same(hm, ht)
    assert mg.tensor([1, 2, 3]).prod().item() == 6
    assert mg.zeros(0).prod().item() == 1.0


def test_cumsum_cumprod_with_zeros_and_their_second_derivatives():
    m, t = both([[0.0, 2.0, 0.0, 1.5], [1.0, 2.0, 3.0, 0.5]], requires_grad=True)
    for name in ("cumsum", "cumprod"):
        same(getattr(m, name)(1), getattr(t, name)(1))
        w = np.array([[1.0, -2.0, 0.5, 3.0], [2.0, 1.0, -1.0, 0.25]])
        (gm,) = mg.grad((getattr(m, name)(1) * mg.tensor(w)).sum(), [m], create_graph=True)
        (gt,) = torch.autograd.grad((getattr(t, name)(1) * torch.tensor(w)).sum(), [t],
                                    create_graph=True)
        same(gm, gt)
        if name == "cumsum":      # linear: the gradient is a constant
            assert not gm.requires_grad and not gt.requires_grad
            continue
        (hm,) = mg.grad((gm * gm).sum(), [m])
        (ht,) = torch.autograd.grad((gt * gt).sum(), [t])
        same(hm, ht)
    assert mg.tensor([True, False, True]).cumsum(0).tolist() == [1, 1, 2]
    with pytest.raises(TypeError):
        mg.cumsum(m, None)


def test_var_std_spellings():
    rng = np.random.default_rng(3)
    m, t = both(rng.standard_normal((3, 4, 2)))
    for kw in (dict(), dict(dim=1), dict(dim=(0, 2), keepdim=True), dict(dim=1, correction=0),
               dict(dim=1, unbiased=False), dict(dim=-1, correction=2), dict(dim=())):
        for name in ("var", "std"):
            same(getattr(m, name)(**kw), getattr(t, name)(**kw), rtol=1e-12)
    same(m.var(False), t.var(False))
    same(m.std(1, True, True), t.std(1, True, True))
    for name in ("var_mean", "std_mean"):
        for a, b in zip(getattr(mg, name)(m, 1), getattr(torch, name)(t, 1)):
            same(a, b, rtol=1e-12)
    with pytest.raises(TypeError, match="not both"):
        m.var(1, unbiased=True, correction=1)
    with pytest.raises(TypeError):
        mg.tensor([1, 2]).std()


def test_std_of_a_constant_slice_has_gradient_zero_as_torch():
    m, t = both([[1.0, 1.0, 1.0], [1.0, 2.0, 4.0]], requires_grad=True)
    m.std(1).sum().backward()
    t.std(1).sum().backward()
    same(m.grad, t.grad)
    one, tone = both([2.0], requires_grad=True)
    assert math.isnan(one.var().item()) and math.isnan(tone.var().item())


def test_norm_forms_and_gradient_at_zero():
    rng = np.random.default_rng(4)
    a = rng.standard_normal((3, 4))
    for p in ("fro", 2, 1, 3, 0.5, inf, -inf, 0):
        for dim in (None, 1, (0, 1)):
            m, t = both(a)
            same(m.norm(p, dim), torch.norm(t, p, dim), rtol=1e-12)
            same(mg.linalg.vector_norm(m, 2 if p == "fro" else p, dim),
                 torch.linalg.vector_norm(t, 2 if p == "fro" else p, dim), rtol=1e-12)
    for p in (2, 3, 1, inf):
        m, t = both([0.0, 0.0, 0.0], requires_grad=True)
        m.norm(p).backward()
        torch.norm(t, p).backward()
        same(m.grad, t.grad)
    for ord in ("fro", 1, -1, inf, -inf):
        m, t = both(a)
        same(mg.linalg.matrix_norm(m, ord), torch.linalg.matrix_norm(t, ord), rtol=1e-12)
    with pytest.raises(ValueError):
        mg.norm(m, "nuc")
    with pytest.raises(TypeError):
        mg.tensor([1, 2]).norm()


# ---- products and einsum -----------------------------------------------------------------------

def test_fixed_rank_products_and_their_errors():
    rng = np.random.default_rng(5)
    a, ta = both(rng.standard_normal((3, 4)))
    b, tb = both(rng.standard_normal((4, 2)))
    v, tv = both(rng.standard_normal(4))
    same(a.mm(b), ta.mm(tb))
    same(mg.mv(a, v), torch.mv(ta, tv))
    same(v.dot(v), tv.dot(tv))
    same(mg.outer(v, v), torch.outer(tv, tv))
    bb, tbb = both(rng.standard_normal((2, 3, 4)))
    cc, tcc = both(rng.standard_normal((2, 4, 5)))
    same(bb.bmm(cc), tbb.bmm(tcc))
    with pytest.raises(ValueError, match="2-D"):
        bb.mm(b)
    with pytest.raises(ValueError, match="batch sizes"):
        bb.bmm(mg.zeros(3, 4, 5).double())
    with pytest.raises(ValueError, match="lengths"):
        v.dot(mg.zeros(3).double())


EINSUM = [("ij,jk->ik", [(3, 4), (4, 2)]), ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
          ("ii->", [(3, 3)]), ("ii->i", [(3, 3)]), ("i,j->ij", [(3,), (4,)]),
          ("ij->", [(3, 4)]), ("ij->ji", [(3, 4)]), ("...ij->...ji", [(2, 3, 4)]),
          ("bn,anm,bm->ba", [(2, 3), (4, 3, 5), (2, 5)]), ("i,i", [(4,), (4,)]),
          ("ij,j", [(3, 4), (4,)]), ("ij,ij->ij", [(1, 4), (3, 4)]), ("bij,jk", [(2, 3, 4), (4, 2)]),
          ("...i,...i->...", [(2, 3), (3,)]), ("ba", [(3, 4)]), ("iij->j", [(3, 3, 2)]),
          ("b i j , b j k -> b i k", [(2, 3, 4), (2, 4, 2)]), ("aB,Ba", [(2, 3), (3, 2)])]


@pytest.mark.parametrize("equation,shapes", EINSUM, ids=[e for e, _ in EINSUM])
def test_einsum_values_and_two_derivatives_match_torch(equation, shapes):
    rng = np.random.default_rng(6)
    arrays = [rng.standard_normal(s) for s in shapes]
    ms = [mg.tensor(a, requires_grad=True) for a in arrays]
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    out_m, out_t = mg.einsum(equation, *ms), torch.einsum(equation, *ts)
    same(out_m, out_t, rtol=1e-12, atol=1e-14)
    g = rng.standard_normal(out_t.shape)
    gm = mg.grad(out_m, ms, grad_outputs=mg.tensor(g), create_graph=True)
    gt = torch.autograd.grad(out_t, ts, torch.tensor(g), create_graph=True)
    for a, b in zip(gm, gt):
        same(a, b, rtol=1e-12, atol=1e-14)
    if len(shapes) == 1:          # linear in its one operand: no second derivative
        assert not gm[0].requires_grad and not gt[0].requires_grad
        return
    vs = [rng.standard_normal(s) for s in shapes]
    terms_m = [(a * mg.tensor(v)).sum() for a, v in zip(gm, vs)]
    terms_t = [(a * torch.tensor(v)).sum() for a, v in zip(gt, vs)]
    hm = mg.grad(sum(terms_m[1:], terms_m[0]), ms, allow_unused=True)
    ht = torch.autograd.grad(sum(terms_t), ts, allow_unused=True)
    for a, b, s in zip(hm, ht, shapes):
        same(np.zeros(s) if a is None else a, np.zeros(s) if b is None else b,
             rtol=1e-12, atol=1e-14)


def test_einsum_errors_name_the_problem():
    a = mg.zeros(2, 3)
    with pytest.raises(ValueError, match="do not fit"):
        mg.einsum("ijk->i", a)
    with pytest.raises(ValueError, match="sizes 3 and 4"):
        mg.einsum("ij,jk->ik", a, mg.zeros(4, 2))
    with pytest.raises(ValueError, match="2 operands"):
        mg.einsum("ij,jk", a)
    with pytest.raises(ValueError, match="more than once"):
        mg.einsum("ij->ii", a)
    with pytest.raises(TypeError, match="float64"):
        mg.einsum("ij,jk", a, mg.zeros(3, 2).double())
    assert mg.einsum("ij,jk", [a, mg.zeros(3, 2)]).shape == (2, 2)


# ---- __format__, item, tolist ----------------------------------------------------------------

def test_format_item_tolist_as_torch():
    loss = mg.tensor(1.23456)
    assert f"{loss:.4f}" == f"{torch.tensor(1.23456):.4f}" == "1.2346"
    assert f"{mg.tensor(3):d}" == "3" and f"{mg.tensor(True)}" == "True"
    v = mg.tensor([1.5, 2.0])
    assert f"{v}" == str(v)
    for bad in (v, mg.tensor([1.5])):        # torch formats only 0-d tensors with a spec
        with pytest.raises(TypeError):
            f"{bad:.3f}"
    assert mg.tensor(2.5).item() == 2.5 and isinstance(mg.tensor(3).item(), int)
    assert mg.tensor(3).tolist() == 3 and mg.tensor([[1, 2]]).tolist() == [[1, 2]]
    assert mg.tensor([[True]]).tolist() == [[True]]


def test_mode_with_nan_follows_minigrads_documented_rule():
    # torch's mode with NaN depends on std::sort's undefined order; minigrad: NaN is the
    # largest value and each NaN counts once (NaN ≠ NaN)
    r = mg.tensor([nan, -1.5]).double().mode()
    assert (r.values.item(), r.indices.item()) == (-1.5, 1)
    r = mg.tensor([nan, 2.0, nan, 2.0]).double().mode()
    assert (r.values.item(), r.indices.item()) == (2.0, 3)
    r = mg.tensor([nan, nan]).double().mode()
    assert math.isnan(r.values.item()) and r.indices.item() == 0


def test_var_std_where_the_divisor_is_zero_as_torch():
    for kw in (dict(), dict(dim=0), dict(dim=0, correction=2)):
        m, t = both([0.82], requires_grad=True)
        same(m.var(**kw), t.var(**kw))
        (gm,) = mg.grad(m.var(**kw), [m], create_graph=True)
        (gt,) = torch.autograd.grad(t.var(**kw), [t], create_graph=True)
        same(gm, gt)
