"""The backward engine: accumulation, grad modes, mg.grad, higher order, custom Functions."""
import numpy as np
import pytest

import minigrad as mg
from minigrad.autograd import Function


def t64(a, requires_grad=True):
    return mg.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


def test_gradients_accumulate_over_reuse_and_calls():
    x = t64([1.0, 2.0])
    y = (x * x + x).sum()          # dy/dx = 2x + 1
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 5.0])
    (x * 3).sum().backward()       # accumulates: + 3
    np.testing.assert_allclose(x.grad.numpy(), [6.0, 8.0])


def test_shared_gradient_buffers_do_not_alias():
    # the gradient of a + b reaches a and b as the same array; accumulating into one
    # must not change the other
    a, b = t64([1.0, 1.0]), t64([1.0, 1.0])
    (a + b).sum().backward()
    (a * 5).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), [6.0, 6.0])
    np.testing.assert_allclose(b.grad.numpy(), [1.0, 1.0])


def test_no_grad_and_enable_grad():
    x = t64([1.0])
    with mg.no_grad():
        y = x * 2
        with mg.enable_grad():
            z = x * 2
    assert not y.requires_grad and y.grad_fn is None
    assert z.requires_grad

    @mg.no_grad()
    def f(v):
        return v * 2
    assert not f(x).requires_grad
    assert mg.is_grad_enabled()


def test_grad_function_does_not_touch_dot_grad():
    x = t64([1.0, 2.0, 3.0])
    (g,) = mg.grad((x ** 3).sum(), x)
    np.testing.assert_allclose(g.numpy(), 3 * np.array([1.0, 4.0, 9.0]))
    assert x.grad is None


def test_grad_with_respect_to_an_intermediate():
    x = t64([1.0, 2.0])
    h = x * 3
    y = (h * h).sum()
    gh, gx = mg.grad(y, [h, x])
    np.testing.assert_allclose(gh.numpy(), 2 * h.numpy())
    np.testing.assert_allclose(gx.numpy(), 18 * x.numpy())


def test_allow_unused():
    x, z = t64([1.0]), t64([2.0])
    with pytest.raises(RuntimeError, match="allow_unused"):
        mg.grad((x * 2).sum(), [x, z])
    gx, gz = mg.grad((x * 2).sum(), [x, z], allow_unused=True)
    assert gz is None and gx.item() == 2.0


def test_hessian_vector_product_matches_the_analytic_hessian(rng):
    # f(x) = sum(tanh(Ax))² has Hessian 2 Aᵀ (D² + diag(tanh·tanh'')) A  — compare H v
    A = rng.standard_normal((4, 3))
    x = t64(rng.standard_normal(3))
    v = rng.standard_normal(3)
    f = ((mg.tensor(A) @ x).tanh() ** 2).sum()
    (g,) = mg.grad(f, x, create_graph=True)
    (hv,) = mg.grad((g * mg.tensor(v)).sum(), x)
    u = np.tanh(A @ x.numpy())
    d1 = 1 - u ** 2                 # tanh'
    d2 = -2 * u * d1                # tanh''
    H = 2 * A.T @ np.diag(d1 ** 2 + u * d2) @ A
    np.testing.assert_allclose(hv.numpy(), H @ v, rtol=1e-10)


def test_third_derivative_of_a_polynomial():
    x = t64(2.0)
    (g1,) = mg.grad(x ** 4, x, create_graph=True)      # 4x³ = 32
    (g2,) = mg.grad(g1, x, create_graph=True)          # 12x² = 48
    (g3,) = mg.grad(g2, x)                             # 24x = 48
    assert (g1.item(), g2.item(), g3.item()) == (32.0, 48.0, 48.0)


def test_create_graph_keeps_dot_grad_differentiable():
    x = t64([1.5])
    (x ** 3).sum().backward(create_graph=True)
    assert x.grad.requires_grad
    (g2,) = mg.grad(x.grad.sum(), x)
    assert g2.item() == pytest.approx(6 * 1.5)


def test_backward_twice_needs_retain_graph():
    x = t64([1.0])
    y = (x.exp() * 2).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [4 * np.e])
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()


def test_retain_grad_on_a_non_leaf():
    x = t64([1.0, 2.0])
    h = x * 2
    h.retain_grad()
    (h * h).sum().backward()
    np.testing.assert_allclose(h.grad.numpy(), 2 * h.numpy())


def test_non_scalar_backward_needs_a_gradient():
    x = t64(np.ones((3, 4)))
    y = x * 2
    with pytest.raises(ValueError, match=r"not a scalar.*\(3, 4\)"):
        y.backward()
    y.backward(mg.ones(3, 4, dtype=mg.float64))
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.ones((3, 4)))
    with pytest.raises(ValueError, match=r"shape \(2,\).*\(3, 4\)"):
        (x * 2).backward(mg.ones(2, dtype=mg.float64))


def test_backward_on_a_tensor_without_history():
    with pytest.raises(ValueError, match="does not require grad"):
        mg.tensor([1.0]).sum().backward()


def test_integer_indexing_repeats_add_up():
    x = t64([1.0, 2.0, 3.0])
    x[[0, 0, 2]].sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 0.0, 1.0])


class Cube(Function):
    """y = x³    dy/dx = 3x²"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.array ** 3

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        return grad * 3 * x * x


class SplitSum(Function):
    """Two outputs: (sum of x, sum of x²)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.array.sum(), (x.array ** 2).sum()

    @staticmethod
    def backward(ctx, g1, g2):
        x, = ctx.saved_tensors
        return g1 + g2 * 2 * x


def test_custom_function_gradient_and_second_order():
    x = t64([1.0, -2.0])
    assert mg.gradcheck(Cube.apply, (x,))
    assert mg.gradgradcheck(Cube.apply, (x,))
    y = Cube.apply(x)
    assert y.grad_fn is not None and "Cube" in repr(y)


def test_custom_function_with_two_outputs():
    x = t64([1.0, 2.0])
    s, q = SplitSum.apply(x)
    (3 * s + q).backward()
    np.testing.assert_allclose(x.grad.numpy(), 3 + 2 * x.numpy())
    x.grad = None
    s, q = SplitSum.apply(x)
    q.backward()                      # s receives no gradient: treated as zero
    np.testing.assert_allclose(x.grad.numpy(), 2 * x.numpy())
    assert mg.gradcheck(SplitSum.apply, (x,))


def test_backward_returning_a_wrong_shape_is_reported():
    class Bad(Function):
        @staticmethod
        def forward(ctx, x):
            return x.array * 2

        @staticmethod
        def backward(ctx, grad):
            return grad.sum()

    with pytest.raises(RuntimeError, match=r"Bad.backward returned a gradient of shape \(\)"):
        Bad.apply(t64([1.0, 2.0])).sum().backward()


@pytest.mark.parametrize("name", ["relu", "sigmoid", "tanh", "softmax", "log_softmax", "logsumexp"])
def test_fused_backward_equals_the_readable_formula(name, rng):
    """The fused kernel (plain backward) and the Tensor formula (create_graph) agree."""
    a = rng.standard_normal((5, 7))
    a[np.abs(a) < 0.05] = 0.3
    g = rng.standard_normal((5,) if name == "logsumexp" else (5, 7))
    results = []
    for create_graph in (False, True):
        x = t64(a)
        y = getattr(x, name)()
        (gx,) = mg.grad(y, x, mg.tensor(g), create_graph=create_graph)
        results.append(gx.numpy())
    np.testing.assert_allclose(results[0], results[1], rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gradients_keep_the_input_dtype(dtype, rng):
    x = mg.tensor(rng.standard_normal((3, 4)).astype(dtype), requires_grad=True)
    w = mg.tensor(rng.standard_normal((4, 2)).astype(dtype), requires_grad=True)
    ((x @ w).relu().softmax(-1) * 2 + 1).log().sum().backward()
    assert x.grad.dtype == dtype and w.grad.dtype == dtype


def test_deep_chain_does_not_hit_the_recursion_limit():
    x = t64([1.0])
    y = x
    for _ in range(5000):
        y = y * 1.0001
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0001 ** 5000], rtol=1e-9)


def test_zero_grad_to_zeros_does_not_clobber_a_shared_buffer():
    # a.grad and b.grad start as the same array (the gradient of a + b); zeroing one in place
    # must leave the caller's gradient and any other alias alone
    a, b = t64([1.0, 2.0]), t64([3.0, 4.0])
    g = mg.tensor(np.array([5.0, 6.0]))
    (a + b).backward(g)
    opt = mg.optim.SGD([a], lr=0.1)
    opt.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(a.grad.numpy(), [0.0, 0.0])
    np.testing.assert_array_equal(b.grad.numpy(), [5.0, 6.0])
    np.testing.assert_array_equal(g.numpy(), [5.0, 6.0])
    (a * 2).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [2.0, 2.0])
    model = mg.nn.Linear(2, 1)
    model(mg.ones(1, 2)).sum().backward()
    model.zero_grad(set_to_none=False)
    assert all(float(np.abs(p.grad.numpy()).sum()) == 0 for p in model.parameters())
