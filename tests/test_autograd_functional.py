"""mg.autograd.functional (vjp, jvp, jacobian, hessian, vhp, hvp) and mg.func, against torch
(values, shapes, tuple structure, create_graph, strict) and against finite differences."""
import numpy as np
import pytest

import minigrad as mg
from minigrad.autograd import functional as F

torch = pytest.importorskip("torch")
TF = torch.autograd.functional
# torch's vectorize=True goes through torch.jit.script, which warns that it is deprecated
pytestmark = pytest.mark.filterwarnings("ignore:.*torch.jit.script.*:DeprecationWarning")

RNG = np.random.default_rng(13)
X_FIXED = RNG.standard_normal((4, 3))   # the MLP's data: a constant, not an input


def both(*shapes):
    """The same random float64 arrays as minigrad and as torch tensors."""
    arrays = [RNG.standard_normal(s) for s in shapes]
    return tuple(mg.tensor(a) for a in arrays), tuple(torch.tensor(a) for a in arrays)


def fixed(lib):
    return mg.tensor(X_FIXED) if lib is mg else torch.tensor(X_FIXED)


def assert_same(mine, theirs, requires_grad=None):
    """Same nesting (tuple vs Tensor), shapes, values; optionally requires_grad."""
    if isinstance(theirs, tuple):
        assert isinstance(mine, tuple) and len(mine) == len(theirs), (mine, theirs)
        for m, t in zip(mine, theirs):
            assert_same(m, t, requires_grad)
        return
    assert isinstance(mine, mg.Tensor), type(mine)
    assert mine.shape == tuple(theirs.shape)
    np.testing.assert_allclose(mine.numpy(), theirs.detach().numpy(), rtol=1e-10, atol=1e-12)
    if requires_grad is not None:
        assert mine.requires_grad == requires_grad == theirs.requires_grad


# ---- the functions: each takes the library (mg or torch) and returns f(*inputs) -------------
# (name, input shapes, single input?, f)
FUNCTIONS = [
    ("elementwise", [(5,)], True, lambda L: lambda x: x.sin() * x.exp()),
    ("matmul", [(2, 3), (3, 4)], False, lambda L: lambda a, b: a @ b),
    ("softmax", [(2, 4)], True, lambda L: lambda x: x.softmax(-1)),
    ("log_softmax_scalar", [(3, 4)], True, lambda L: lambda x: (x.log_softmax(-1) * x).sum()),
    ("mlp_loss", [(3, 5), (5,), (5, 2)], False,
     lambda L: lambda w1, b1, w2: ((fixed(L) @ w1 + b1).tanh() @ w2).pow(2).mean()),
    ("multi_out", [(3,), (3,)], False, lambda L: lambda a, b: (a * b, (a + b).exp().sum())),
    ("unused_input", [(3,), (2,)], False, lambda L: lambda a, b: a.exp()),
    ("cubic", [(2, 2)], True, lambda L: lambda x: (x * x * x).sum() + (x.tanh() * x).mean()),
]
SCALAR = {"log_softmax_scalar", "mlp_loss", "cubic"}


def call_inputs(inputs, single):
    return inputs[0] if single else inputs


def output_like(f_mg, mine):
    """A random v shaped like f's output(s) (a Tensor or a tuple), in both libraries."""
    out = f_mg(*mine)
    shapes = [o.shape for o in out] if isinstance(out, tuple) else [out.shape]
    vm, vt = both(*shapes)
    return (vm, vt) if isinstance(out, tuple) else (vm[0], vt[0])


@pytest.mark.parametrize("name,shapes,single,make", FUNCTIONS, ids=[f[0] for f in FUNCTIONS])
def test_vjp_jvp_jacobian_match_torch(name, shapes, single, make):
    mine, theirs = both(*shapes)
    f_mg, f_t = make(mg), make(torch)
    xm, xt = call_inputs(mine, single), call_inputs(theirs, single)
    vm, vt = output_like(f_mg, mine)
    assert_same(F.vjp(f_mg, xm, vm), TF.vjp(f_t, xt, vt), requires_grad=False)
    um, ut = both(*shapes)
    um, ut = call_inputs(um, single), call_inputs(ut, single)
    assert_same(F.jvp(f_mg, xm, um), TF.jvp(f_t, xt, ut), requires_grad=False)
    for vectorize in (False, True):
        assert_same(F.jacobian(f_mg, xm, vectorize=vectorize),
                    TF.jacobian(f_t, xt, vectorize=vectorize), requires_grad=False)
    # the inputs are not touched: no .grad, no graph
    assert all(t.grad is None and not t.requires_grad for t in mine)


@pytest.mark.parametrize("name,shapes,single,make",
                         [f for f in FUNCTIONS if f[0] in SCALAR],
                         ids=[f[0] for f in FUNCTIONS if f[0] in SCALAR])
def test_hessian_hvp_vhp_match_torch(name, shapes, single, make):
    mine, theirs = both(*shapes)
    f_mg, f_t = make(mg), make(torch)
    xm, xt = call_inputs(mine, single), call_inputs(theirs, single)
    assert_same(F.hessian(f_mg, xm), TF.hessian(f_t, xt), requires_grad=False)
    vm, vt = both(*shapes)
    vm, vt = call_inputs(vm, single), call_inputs(vt, single)
    assert_same(F.hvp(f_mg, xm, vm), TF.hvp(f_t, xt, vt), requires_grad=False)
    assert_same(F.vhp(f_mg, xm, vm), TF.vhp(f_t, xt, vt), requires_grad=False)


def test_v_may_be_none_for_one_element():
    xm, xt = both((1,))
    f = lambda x: (x * x).sum().exp()   # noqa: E731
    assert_same(F.vjp(f, xm[0]), TF.vjp(f, xt[0]))
    assert_same(F.jvp(f, xm[0]), TF.jvp(f, xt[0]))
    assert_same(F.hvp(f, xm[0]), TF.hvp(f, xt[0]))
    assert_same(F.vhp(f, xm[0]), TF.vhp(f, xt[0]))


@pytest.mark.parametrize("which", ["vjp", "jvp", "jacobian", "hessian", "hvp", "vhp"])
def test_create_graph_results_are_differentiable_as_in_torch(which):
    """With create_graph=True the results depend on the caller's inputs: differentiate them
    once more and compare the gradients that reach the inputs."""
    (am, bm), (at, bt) = both((3,), (3,))
    (vm,), (vt,) = both((3,))
    results = {}
    for lib, a, b, v in ((mg, am, bm, vm), (torch, at, bt, vt)):
        a, b = a.clone().requires_grad_(True), b.clone().requires_grad_(True)
        functional = F if lib is mg else TF
        f = lambda x, y: (x.sin() * y * y).sum()    # noqa: E731
        args = {"vjp": (None,), "jvp": ((v, v),), "jacobian": (), "hessian": (),
                "hvp": ((v, v),), "vhp": ((v, v),)}[which]
        out = getattr(functional, which)(f, (a, b), *args, create_graph=True)
        leaves = [t for t in _flatten(out)]
        assert all(t.requires_grad for t in leaves)
        total = sum((t * t).sum() for t in leaves)
        total.backward()
        results[lib] = (a.grad, b.grad)
    for m, t in zip(results[mg], results[torch]):
        np.testing.assert_allclose(m.numpy(), t.numpy(), rtol=1e-10, atol=1e-12)


def _flatten(x):
    if isinstance(x, tuple):
        return [t for el in x for t in _flatten(el)]
    return [x]


def test_strict_raises_for_an_independent_input_and_gives_zeros_otherwise():
    (am, bm), (at, bt) = both((3,), (2,))
    f = lambda a, b: a.exp()   # noqa: E731
    (vm,), (vt,) = both((3,))
    for functional, a, b, v in ((F, am, bm, vm), (TF, at, bt, vt)):
        with pytest.raises(RuntimeError, match="independent of input 1"):
            functional.vjp(f, (a, b), v, strict=True)
        with pytest.raises(RuntimeError, match="independent of input 1"):
            functional.jacobian(f, (a, b), strict=True)
    _, (_, zeros) = F.vjp(f, (am, bm), vm)
    assert zeros.shape == (2,) and not zeros.numpy().any()
    # a linear function: its Jacobian is independent of the input (strict hessian refuses)
    lin = lambda x: (x * 2).sum()   # noqa: E731
    for functional, a in ((F, am), (TF, at)):
        with pytest.raises(RuntimeError, match="independent of the input"):
            functional.hessian(lin, a, strict=True)
        with pytest.raises(RuntimeError, match="independent"):
            functional.hvp(lin, a, a, strict=True)
    np.testing.assert_array_equal(F.hessian(lin, am).numpy(), np.zeros((3, 3)))
    # an output that is a constant
    for functional, a in ((F, am), (TF, at)):
        with pytest.raises(RuntimeError, match="does not require gradients"):
            functional.jvp(lambda x: x.detach() * 2, a, a, strict=True)
        with pytest.raises(RuntimeError, match="not supported together"):
            functional.jacobian(f, (a, a[:2]), strict=True, vectorize=True)


def _finite_jacobian(f, x, eps=1e-6):
    """Central differences: column k is (f(x + eps e_k) − f(x − eps e_k)) / 2eps."""
    x = np.asarray(x, dtype=np.float64)
    cols = []
    for k in range(x.size):
        e = np.zeros(x.size)
        e[k] = eps
        e = e.reshape(x.shape)
        cols.append((f(x + e) - f(x - e)) / (2 * eps))
    return np.stack(cols, axis=-1).reshape(np.shape(f(x)) + x.shape)


def test_jacobian_and_hessian_against_finite_differences():
    x = RNG.standard_normal((2, 3))
    f = lambda t: (t.softmax(-1) * t.tanh()).sum(0)   # noqa: E731
    numeric = _finite_jacobian(lambda a: f(mg.tensor(a)).numpy(), x)
    np.testing.assert_allclose(F.jacobian(f, mg.tensor(x)).numpy(), numeric, atol=1e-8)
    g = lambda t: (t.exp() * t.sin()).sum() + (t @ t.T).pow(2).sum()   # noqa: E731
    gradient = lambda a: F.vjp(g, mg.tensor(a))[1].numpy()   # noqa: E731
    numeric_h = _finite_jacobian(gradient, x)
    hess = F.hessian(g, mg.tensor(x))
    assert hess.shape == (2, 3, 2, 3)
    np.testing.assert_allclose(hess.numpy(), numeric_h, rtol=1e-6, atol=1e-6)


def test_bad_input_is_refused():
    x = mg.tensor(RNG.standard_normal(3))
    f = lambda t: t.exp()   # noqa: E731
    with pytest.raises(TypeError, match="list"):
        F.vjp(f, [x], x)
    with pytest.raises(TypeError, match="index 1 has type ndarray"):
        F.jacobian(lambda a, b: a, (x, np.ones(3)))
    with pytest.raises(TypeError, match="outputs of the user-provided function"):
        F.jacobian(lambda a: 3.0, x)
    with pytest.raises(ValueError, match=r"should be \(3,\) but got \(2,\)"):
        F.vjp(f, x, mg.tensor([1.0, 2.0]))
    with pytest.raises(RuntimeError, match="invalid length"):   # also a RuntimeError, as torch
        F.jvp(lambda a, b: a * b, (x, x), (x,))
    with pytest.raises(ValueError, match="v can only be None"):
        F.vjp(f, x)
    with pytest.raises(ValueError, match="single element"):
        F.hessian(f, x)
    with pytest.raises(ValueError, match="single Tensor"):
        F.hvp(lambda a: (a.sum(), a.sum()), x, x)
    with pytest.raises(NotImplementedError, match="vectorize=True"):   # torch's rule
        F.jacobian(f, x, strategy="forward-mode")
    with pytest.raises(NotImplementedError, match="vectorize=True"):
        F.hessian(lambda a: a.sum(), x, outer_jacobian_strategy="forward-mode")
    with pytest.raises(NotImplementedError, match="create_graph=True"):
        F.jacobian(f, x, strategy="forward-mode", vectorize=True, create_graph=True)
    with pytest.raises(ValueError, match="sideways"):
        F.jacobian(f, x, strategy="sideways")


def test_empty_output_gives_an_empty_jacobian():
    # torch 2.x fails here (stack of no rows); the Jacobian of an empty output is empty
    x = mg.tensor(RNG.standard_normal(3))
    assert F.jacobian(lambda t: t[:0], x).shape == (0, 3)
    assert mg.func.jacrev(lambda t: t[:0])(x).shape == (0, 3)


# ---- mg.func --------------------------------------------------------------------------------

def test_func_grad_argnums_and_aux_match_torch():
    (am, bm), (at, bt) = both((3,), (3,))
    f = lambda a, b: ((a * b).sin().sum(), a.sum())   # noqa: E731   (output, aux)
    for argnums in (0, 1, -1, (0, 1), (1,)):
        assert_same(mg.func.grad(f, argnums, has_aux=True)(am, bm),
                    torch.func.grad(f, argnums, has_aux=True)(at, bt), requires_grad=False)
    g = lambda a, b: (a * b).sin().sum()   # noqa: E731
    assert_same(mg.func.grad_and_value(g, argnums=(0, 1))(am, bm),
                torch.func.grad_and_value(g, argnums=(0, 1))(at, bt))
    # nothing reaches b: zeros, as torch
    assert_same(mg.func.grad(lambda a, b: a.sum(), 1)(am, bm),
                torch.func.grad(lambda a, b: a.sum(), 1)(at, bt))


def test_func_nested_grad_and_hessian_match_torch():
    (xm,), (xt,) = both((4,))
    g = lambda a: (a.sin() * a.exp()).sum()   # noqa: E731
    assert_same(mg.func.grad(lambda a: mg.func.grad(g)(a).pow(2).sum())(xm),
                torch.func.grad(lambda a: torch.func.grad(g)(a).pow(2).sum())(xt),
                requires_grad=False)
    assert_same(mg.func.hessian(g)(xm), torch.func.hessian(g)(xt), requires_grad=False)
    (am, bm), (at, bt) = both((2,), (3, 2))
    h = lambda a, b: ((a * b).sum()) ** 2 + (a.exp() * b).mean()   # noqa: E731
    assert_same(mg.func.hessian(h, argnums=(0, 1))(am, bm),
                torch.func.hessian(h, argnums=(0, 1))(at, bt))
    # a transform of a tensor the caller tracks stays differentiable, as torch
    xm2, xt2 = xm.clone().requires_grad_(True), xt.clone().requires_grad_(True)
    mg.func.grad(g)(xm2).sum().backward()
    torch.func.grad(g)(xt2).sum().backward()
    np.testing.assert_allclose(xm2.grad.numpy(), xt2.grad.numpy(), rtol=1e-10)


def test_func_vjp_jvp_jacrev_match_torch():
    (am, bm), (at, bt) = both((3,), (3,))
    f = lambda a, b: (a * b.exp(), (a - b).tanh().sum())   # noqa: E731
    out_m, vjp_m = mg.func.vjp(f, am, bm)
    out_t, vjp_t = torch.func.vjp(f, at, bt)
    assert_same(out_m, out_t, requires_grad=False)
    (cm, sm), (ct, st) = both((3,), ())
    for _ in range(2):   # vjp_fn can be called again
        assert_same(vjp_m((cm, sm)), vjp_t((ct, st)), requires_grad=False)
    (um, wm), (ut, wt) = both((3,), (3,))
    assert_same(mg.func.jvp(f, (am, bm), (um, wm)), torch.func.jvp(f, (at, bt), (ut, wt)),
                requires_grad=False)
    for argnums in (0, (0, 1)):
        assert_same(mg.func.jacrev(f, argnums)(am, bm), torch.func.jacrev(f, argnums)(at, bt),
                    requires_grad=False)
    single = lambda a: a.softmax(-1)   # noqa: E731
    assert_same(mg.func.jacrev(single)(am), torch.func.jacrev(single)(at))
    out_m, fn_m, aux_m = mg.func.vjp(lambda a: (a.exp(), a.sum()), am, has_aux=True)
    out_t, fn_t, aux_t = torch.func.vjp(lambda a: (a.exp(), a.sum()), at, has_aux=True)
    assert_same((out_m, aux_m, fn_m(cm)), (out_t, aux_t, fn_t(ct)))


def test_func_bad_input_is_refused():
    x = mg.tensor(RNG.standard_normal(3))
    with pytest.raises(ValueError, match="argnums=2"):
        mg.func.grad(lambda a: a.sum(), argnums=2)(x)
    with pytest.raises(TypeError, match="argnums"):
        mg.func.grad(lambda a: a.sum(), argnums=0.5)(x)
    with pytest.raises(ValueError, match="scalar Tensor"):
        mg.func.grad(lambda a: a)(x)
    with pytest.raises(TypeError, match="to return a Tensor"):
        mg.func.grad(lambda a: 1.0)(x)
    with pytest.raises(TypeError, match="argument 0 is a list"):
        mg.func.grad(lambda a: a.sum())([1.0])
    with pytest.raises(TypeError, match="primals to be a tuple"):
        mg.func.jvp(lambda a: a, x, (x,))
    with pytest.raises(ValueError, match="tangents\\[0\\] has shape"):
        mg.func.jvp(lambda a: a, (x,), (x[:2],))
    with pytest.raises(TypeError, match="has_aux"):
        mg.func.grad(lambda a: a.sum(), has_aux=True)(x)
    with pytest.raises(ValueError, match="chunk_size"):
        mg.func.jacrev(lambda a: a, chunk_size=0)


def test_everything_works_under_no_grad_as_in_torch():
    (xm,), (xt,) = both((3,))
    f = lambda a: (a * a * a).sum()   # noqa: E731
    with mg.no_grad(), torch.no_grad():
        assert_same(F.hvp(f, xm, xm), TF.hvp(f, xt, xt), requires_grad=False)
        assert_same(F.hessian(f, xm), TF.hessian(f, xt), requires_grad=False)
        assert_same(F.jvp(lambda a: a.exp(), xm, xm), TF.jvp(lambda a: a.exp(), xt, xt))
        assert_same(mg.func.grad(f)(xm), torch.func.grad(f)(xt), requires_grad=False)
