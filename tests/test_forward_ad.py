"""Forward-mode AD (minigrad.autograd.forward_ad): every case of the check catalogue through the
ops' jvp rules against central differences, the dual-tensor API against torch's, custom
Functions' jvp, and forward-over-reverse / reverse-over-forward."""
import numpy as np
import pytest

import minigrad as mg
from minigrad import checks
from minigrad.autograd import forward_ad as fwAD

CASES = [c for c in checks.all_cases() if c.check is None]


@pytest.mark.parametrize("case", CASES, ids=[f"{c.family}:{c.name}" for c in CASES])
def test_forward_mode_matches_finite_differences(case, device):
    err, msg = checks.run_forward_case(case, device)
    assert msg is None, msg
    assert err < 1e-5


SECOND_ORDER = [c for c in CASES if c.second_order]


@pytest.mark.parametrize("case", SECOND_ORDER, ids=[f"{c.family}:{c.name}" for c in SECOND_ORDER])
def test_forward_over_reverse_matches_finite_differences(case):
    """gradgradcheck(check_fwd_over_rev=True): tangents through each backward's operations."""
    err, msg = checks.run_forward_case(case, "cpu", over_reverse=True)
    assert msg is None, msg


# ---- the dual-tensor API, against torch.autograd.forward_ad ---------------------------------

def t64(values, requires_grad=False):
    return mg.tensor(np.asarray(values, dtype=np.float64), requires_grad=requires_grad)


def test_dual_tensor_round_trip_and_level_rules_as_torch():
    torch = pytest.importorskip("torch")
    tfw = torch.autograd.forward_ad
    x0, v0 = np.array([0.3, -1.2, 2.0]), np.array([1.0, 0.5, -2.0])
    with fwAD.dual_level():
        x = fwAD.make_dual(t64(x0), t64(v0))
        y = (x * x).exp() / (x + 3.0)
        primal, tangent = fwAD.unpack_dual(y)
        assert isinstance(fwAD.unpack_dual(y), fwAD.UnpackedDualTensor)
        assert fwAD.unpack_dual(primal).tangent is None     # the primal is a plain view
        assert fwAD.unpack_dual(t64([1.0])).tangent is None  # never given one
        with pytest.raises(RuntimeError, match="Nested forward mode AD"):
            fwAD.enter_dual_level()
    assert fwAD.unpack_dual(y).tangent is None               # leaving the level drops tangents
    with tfw.dual_level():
        tx = tfw.make_dual(torch.tensor(x0), torch.tensor(v0))
        ty = (tx * tx).exp() / (tx + 3.0)
        want_primal, want_tangent = tfw.unpack_dual(ty)
    np.testing.assert_allclose(primal.numpy(), want_primal.numpy(), rtol=1e-14)
    np.testing.assert_allclose(tangent.numpy(), want_tangent.numpy(), rtol=1e-13)


def test_make_dual_refuses_what_torch_refuses_and_a_silent_cast():
    x = t64([1.0, 2.0])
    with pytest.raises(RuntimeError, match="no level exists"):
        fwAD.make_dual(x, t64([1.0, 1.0]))
    with fwAD.dual_level():
        with pytest.raises(RuntimeError, match=r"size \[2\].*size \[3\]"):
            fwAD.make_dual(x, t64([1.0, 1.0, 1.0]))
        with pytest.raises(ValueError, match="floating point"):
            fwAD.make_dual(mg.tensor([1, 2]), t64([1.0, 1.0]))
        with pytest.raises(TypeError, match="float32"):       # torch casts; minigrad says so
            fwAD.make_dual(x, mg.tensor([1.0, 1.0]))
    with pytest.raises(RuntimeError, match="exit"):
        fwAD.exit_dual_level()


def test_dual_tensor_keeps_the_reverse_graph_and_integer_outputs_carry_no_tangent():
    x = t64([0.5, -1.0, 2.0], requires_grad=True)
    with fwAD.dual_level():
        d = fwAD.make_dual(x, t64([1.0, 1.0, 1.0]))
        (d * d).sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), 2 * x.numpy())
        assert fwAD.unpack_dual(d > 0).tangent is None


def test_a_function_without_a_jvp_rule_raises_naming_it():
    class NoRule(mg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x.array * 2

        @staticmethod
        def backward(ctx, grad):
            return grad * 2

    with fwAD.dual_level():
        d = fwAD.make_dual(t64([1.0]), t64([1.0]))
        with pytest.raises(NotImplementedError, match="NoRule has no jvp rule"):
            NoRule.apply(d)
        NoRule.apply(t64([1.0]))          # no tangent in: the rule is not needed


def test_custom_function_jvp_as_torch_and_a_wrong_rule_is_caught_by_gradcheck():
    class Cube(mg.autograd.Function):
        """y = x³   backward: 3x²·g   jvp: 3x²·t"""
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x.array ** 3

        @staticmethod
        def backward(ctx, grad):
            x, = ctx.saved_tensors
            return 3 * x * x * grad

        @staticmethod
        def jvp(ctx, t):
            x, = ctx.saved_tensors
            return 3 * x * x * t

    class WrongCube(Cube):
        @staticmethod
        def jvp(ctx, t):
            x, = ctx.saved_tensors
            return 2 * x * x * t          # planted: 2x² instead of 3x²

    x = t64([0.5, -1.5, 2.0], requires_grad=True)
    assert mg.gradcheck(Cube.apply, (x,), check_forward_ad=True)
    with pytest.raises(mg.GradcheckError, match=r"(?s)forward mode.*forward-mode \(jvp\)"):
        mg.gradcheck(WrongCube.apply, (x,), check_forward_ad=True)
    with pytest.raises(mg.GradcheckError, match="forward mode: fast-mode mismatch"):
        mg.gradcheck(WrongCube.apply, (x,), check_forward_ad=True, fast_mode=True)
    assert mg.gradcheck(WrongCube.apply, (x,))         # reverse mode alone cannot see it
    with pytest.raises(mg.GradcheckError):
        mg.gradcheck(WrongCube.apply, (x,), check_forward_ad=True, check_backward_ad=False)


def test_tangents_are_differentiable_reverse_over_forward():
    """d/dx of (J(x)·v) = (∂²f/∂x²)·v for f = Σ x³: 6x ⊙ v."""
    x = t64([0.5, -1.5, 2.0], requires_grad=True)
    v = t64([1.0, 2.0, -1.0])
    with fwAD.dual_level():
        y = (fwAD.make_dual(x, v) ** 3).sum()
        tangent = fwAD.unpack_dual(y).tangent           # 3x²·v summed
    np.testing.assert_allclose(tangent.item(), float((3 * x.numpy() ** 2) @ v.numpy()))
    tangent.backward()
    np.testing.assert_allclose(x.grad.numpy(), 6 * x.numpy() * v.numpy(), rtol=1e-13)


def test_forward_over_reverse_gives_the_hessian_vector_product_as_torch():
    torch = pytest.importorskip("torch")
    x0 = np.array([0.3, -1.2, 2.0, 0.7])
    v0 = np.array([1.0, -0.5, 0.25, 2.0])

    def f(x):
        return ((x.tanh() * x).sum() * x.sigmoid()).logsumexp(0)

    with fwAD.dual_level():
        x = fwAD.make_dual(t64(x0, requires_grad=True), t64(v0))
        g, = mg.autograd.grad(f(x), x)            # no create_graph: tangents still flow
        hv = fwAD.unpack_dual(g).tangent
    tx = torch.tensor(x0)
    want = torch.autograd.functional.hvp(f, tx, torch.tensor(v0))[1]
    np.testing.assert_allclose(hv.numpy(), want.numpy(), rtol=1e-12)


def test_in_place_writes_carry_tangents_as_torch():
    torch = pytest.importorskip("torch")
    tfw = torch.autograd.forward_ad
    x0 = np.array([0.3, -1.2, 2.0])

    def program(fw, lib, tensor):
        out = []   # copies: torch writes a tensor's tangent in place, minigrad replaces it
        with fw.dual_level():
            d = fw.make_dual(tensor(x0), tensor(np.ones(3)))
            z = tensor(np.zeros(3))
            z.mul_(2)
            z.add_(d)
            out.append(fw.unpack_dual(z).tangent.clone())
            w = d.clone()
            w.mul_(3)
            out.append(fw.unpack_dual(w).tangent.clone())
            w.zero_()
            out.append(fw.unpack_dual(w).tangent.clone())
            u = tensor(np.ones(3))
            u[1] = d[0] * 5
            out.append(fw.unpack_dual(u).tangent.clone())
            q = tensor(np.ones(3))
            q.copy_(d * 2)
            out.append(fw.unpack_dual(q).tangent.clone())
        return [o.numpy() for o in out]

    mine = program(fwAD, mg, lambda a: mg.tensor(a, dtype=mg.float64))
    theirs = program(tfw, torch, lambda a: torch.tensor(a, dtype=torch.float64))
    for a, b in zip(mine, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-14)


def test_func_jvp_jacfwd_hessian_and_functional_forward_strategies_against_torch():
    torch = pytest.importorskip("torch")
    x0 = np.array([0.3, -1.2, 2.0])
    v0 = np.array([1.0, 0.5, -2.0])

    def f(x):
        return (x * x.exp()).tanh() * x.sum()

    out, jv = mg.func.jvp(f, (t64(x0),), (t64(v0),))
    want_out, want_jv = torch.func.jvp(f, (torch.tensor(x0),), (torch.tensor(v0),))
    np.testing.assert_allclose(out.numpy(), want_out.numpy(), rtol=1e-14)
    np.testing.assert_allclose(jv.numpy(), want_jv.numpy(), rtol=1e-12)
    np.testing.assert_allclose(mg.func.jacfwd(f)(t64(x0)).numpy(),
                               torch.func.jacfwd(f)(torch.tensor(x0)).numpy(), rtol=1e-12)

    def g(x):
        return (x.sin() * x).sum()

    np.testing.assert_allclose(mg.func.hessian(g)(t64(x0)).numpy(),
                               torch.func.hessian(g)(torch.tensor(x0)).numpy(), rtol=1e-12)
    F = mg.autograd.functional
    TF = torch.autograd.functional
    np.testing.assert_allclose(
        F.jacobian(f, t64(x0), strategy="forward-mode", vectorize=True).numpy(),
        TF.jacobian(f, torch.tensor(x0), strategy="forward-mode", vectorize=True).numpy(),
        rtol=1e-12)
    np.testing.assert_allclose(
        F.hessian(g, t64(x0), outer_jacobian_strategy="forward-mode", vectorize=True).numpy(),
        TF.hessian(g, torch.tensor(x0), outer_jacobian_strategy="forward-mode",
                   vectorize=True).detach().numpy(), rtol=1e-12)
    with pytest.raises(NotImplementedError, match="vectorize=True"):
        F.jacobian(f, t64(x0), strategy="forward-mode")
