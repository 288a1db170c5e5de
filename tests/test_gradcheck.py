"""gradcheck itself: it passes correct gradients and catches planted wrong ones, saying where."""
import warnings

import numpy as np
import pytest

import minigrad as mg
from minigrad.autograd import Function


def t64(a):
    return mg.tensor(np.asarray(a, dtype=np.float64), requires_grad=True)


class WrongSigmoid(Function):
    """Planted bug: dy/dx = y (forgets the (1 - y) factor)."""

    @staticmethod
    def forward(ctx, x):
        ctx.y = 1 / (1 + np.exp(-x.array))
        return ctx.y

    @staticmethod
    def backward(ctx, grad):
        return grad * mg.tensor(ctx.y)


class WrongTranspose(Function):
    """Planted bug: the gradient of A @ B with respect to B uses A instead of Aᵀ
    (square matrices, so the shapes still fit and only the numbers are wrong)."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a.array @ b.array

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return grad @ b.T, a @ grad


class WrongSecondOrder(Function):
    """Right first derivative of x³, computed so that its own derivative is wrong:
    3x² is written as 3·x·(a detached copy of x), hiding one factor from the graph."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.array ** 3

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        return grad * 3 * x * x.detach()


@pytest.mark.parametrize("fast_mode", [False, True])
def test_planted_wrong_elementwise_backward_is_caught(fast_mode):
    x = t64([0.3, -1.2, 2.0])
    with pytest.raises(mg.GradcheckError) as info:
        mg.gradcheck(WrongSigmoid.apply, (x,), fast_mode=fast_mode)
    msg = str(info.value)
    assert "input 0" in msg and "analytical" in msg and "numerical" in msg
    assert "eps=1e-06" in msg


@pytest.mark.parametrize("fast_mode", [False, True])
def test_planted_wrong_matmul_backward_is_caught_for_the_right_input(fast_mode):
    a, b = t64(np.arange(9.0).reshape(3, 3) / 7), t64(np.arange(9.0).reshape(3, 3) / 5)
    a_only = lambda a_: WrongTranspose.apply(a_, b.detach())  # noqa: E731
    assert mg.gradcheck(a_only, (a,), fast_mode=fast_mode)   # the A part is right
    with pytest.raises(mg.GradcheckError, match="input 1"):
        mg.gradcheck(WrongTranspose.apply, (a, b), fast_mode=fast_mode)


def test_full_mode_names_the_worst_element_and_both_values():
    x = t64([0.0, 0.0, 3.0])
    with pytest.raises(mg.GradcheckError) as info:
        mg.gradcheck(WrongSigmoid.apply, (x,))
    msg = str(info.value)
    # sigmoid'(x) = y(1-y); the planted y differs the most at x = 3 (index 2)
    assert "d output[2] / d input[2]" in msg
    y = 1 / (1 + np.exp(-3.0))
    assert f"{y:.6f}"[:7] in msg and f"{y * (1 - y):.6f}"[:7] in msg


@pytest.mark.parametrize("fast_mode", [False, True])
def test_gradgradcheck_catches_a_wrong_second_derivative(fast_mode):
    x = t64([0.5, -1.5])
    assert mg.gradcheck(WrongSecondOrder.apply, (x,), fast_mode=fast_mode)  # first order fine
    with pytest.raises(mg.GradcheckError, match="gradgradcheck"):
        mg.gradgradcheck(WrongSecondOrder.apply, (x,), fast_mode=fast_mode)


def test_raise_exception_false_returns_false():
    assert mg.gradcheck(WrongSigmoid.apply, (t64([1.0]),), raise_exception=False) is False
    assert mg.gradcheck(lambda x: x.sigmoid(), (t64([1.0]),), raise_exception=False) is True


def test_kinks_are_reported_as_non_differentiable_points():
    # relu at 0: one-sided slopes 0 and 1, central difference 1/2, backward 0
    with pytest.raises(mg.GradcheckError, match="not differentiable at this point") as info:
        mg.gradcheck(lambda v: v.relu(), (t64([0.0, 1.0]),))
    assert "left derivative is 0 and the right derivative 1" in str(info.value)
    # |x| just inside eps of its kink: the central difference straddles it
    with pytest.raises(mg.GradcheckError, match="not differentiable at this point"):
        mg.gradcheck(lambda v: v.abs(), (t64([1e-7, 1.0]),))


def test_abs_at_zero_agrees_with_its_subgradient():
    # the central difference of |x| at 0 is 0, which is the subgradient minigrad returns
    assert mg.gradcheck(lambda v: v.abs(), (t64([0.0, 1.0]),))


def test_float32_inputs_warn():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.warns(UserWarning, match="float32, not float64"):
        assert mg.gradcheck(lambda v: v * 2, (x,), eps=1e-2, atol=1e-3, rtol=1e-3)
    # why the warning exists: with eps=1e-6 the float32 rounding swamps the difference
    with pytest.warns(UserWarning), pytest.raises(mg.GradcheckError):
        mg.gradcheck(lambda v: v * 2, (x,))


def test_float64_inputs_do_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert mg.gradcheck(lambda v: v.exp(), (t64([1.0, 2.0]),))


def test_no_input_requires_grad_is_an_error():
    with pytest.raises(ValueError, match="no input requires grad"):
        mg.gradcheck(lambda v: v * 2, (mg.tensor([1.0]),))


def test_non_tensor_arguments_pass_through():
    x = t64([1.0, 2.0])
    assert mg.gradcheck(lambda v, k: v ** k, (x, 3))


def test_multiple_outputs_are_all_checked():
    x = t64([0.5, 1.5])
    assert mg.gradcheck(lambda v: (v.exp(), v.sin() if hasattr(v, "sin") else v * v), (x,))
    with pytest.raises(mg.GradcheckError, match="output 1"):
        mg.gradcheck(lambda v: (v.exp(), WrongSigmoid.apply(v)), (x,))
