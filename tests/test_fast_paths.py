"""Fast paths of the per-op path (issue 16) agree with the general code beside them.

* The array-level backward of MatMul and MatMulBT (used when no graph of the backward is
  recorded) agrees with their readable Tensor formula (which runs under create_graph=True).
* Add, Sub and Mul sum a broadcast input's gradient on the array likewise.
* cross_entropy's plain-batch path (2-D logits, no weight, no ignored row) agrees with the
  general path (taken with explicit unit weights), and bad targets still get its messages.
"""
import numpy as np
import pytest

import minigrad as mg
from minigrad.ops.linalg import matmul_bt

SHAPES = [((3, 4), (4, 5)), ((4,), (4, 5)), ((3, 4), (4,)), ((4,), (4,)),
          ((2, 3, 4), (4, 5)), ((3, 4), (2, 4, 5)), ((2, 1, 3, 4), (5, 4, 2)),
          ((1, 3, 4), (2, 4, 5)), ((0, 4), (4, 3)), ((3, 0), (0, 2))]


def _grads(f, arrays, create_graph, weights):
    ts = [mg.tensor(x, requires_grad=True) for x in arrays]
    out = f(*ts)
    g = mg.autograd.grad((out * mg.tensor(weights)).sum(), ts, create_graph=create_graph)
    return [x.array for x in g]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("sa,sb", SHAPES)
def test_matmul_array_backward_equals_tensor_formula(dtype, sa, sb):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal(sa).astype(dtype), rng.standard_normal(sb).astype(dtype)
    w = rng.standard_normal(np.matmul(a, b).shape).astype(dtype)
    fast = _grads(mg.matmul, (a, b), False, w)
    slow = _grads(mg.matmul, (a, b), True, w)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    for f, s, x in zip(fast, slow, (a, b)):
        assert f.shape == x.shape and f.dtype == x.dtype
        np.testing.assert_allclose(f, s, rtol=tol, atol=tol)
    # and the numbers: G @ Bᵀ, Aᵀ @ G by numpy, summed over broadcast batch axes
    torch = pytest.importorskip("torch")
    ta, tb = (torch.tensor(x, requires_grad=True) for x in (a, b))
    (torch.matmul(ta, tb) * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(fast[0], ta.grad.numpy(), rtol=tol * 10, atol=tol * 10)
    np.testing.assert_allclose(fast[1], tb.grad.numpy(), rtol=tol * 10, atol=tol * 10)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_matmul_bt_array_backward_equals_tensor_formula(dtype):
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((6, 4)).astype(dtype), rng.standard_normal((5, 4)).astype(dtype)
    w = rng.standard_normal((6, 5)).astype(dtype)
    fast = _grads(matmul_bt, (a, b), False, w)
    slow = _grads(matmul_bt, (a, b), True, w)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(fast[0], w @ b, rtol=tol, atol=tol)
    np.testing.assert_allclose(fast[1], w.T @ a, rtol=tol, atol=tol)
    for f, s in zip(fast, slow):
        assert f.flags.c_contiguous and f.dtype == dtype
        np.testing.assert_allclose(f, s, rtol=tol, atol=tol)


def test_only_the_wanted_gradient_and_second_order_through_matmul():
    a = mg.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    b = mg.tensor(np.ones((3, 2)))
    (a @ b).sum().backward()
    assert b.grad is None and a.grad.requires_grad is False
    np.testing.assert_allclose(a.grad.array, np.full((2, 3), 2.0))
    # d/da of sum(grad_a(sum((a @ a.T)**2))) needs the recorded formula
    x = mg.tensor(np.array([[1.0, 2.0], [3.0, -1.0]]), requires_grad=True)
    (g,) = mg.autograd.grad(((x @ x.T) ** 2).sum(), [x], create_graph=True)
    assert g.requires_grad
    (h,) = mg.autograd.grad(g.sum(), [x])
    torch = pytest.importorskip("torch")
    tx = torch.tensor(x.array, requires_grad=True)
    (tg,) = torch.autograd.grad(((tx @ tx.T) ** 2).sum(), [tx], create_graph=True)
    (th,) = torch.autograd.grad(tg.sum(), [tx])
    np.testing.assert_allclose(g.array, tg.detach().numpy())
    np.testing.assert_allclose(h.array, th.numpy())


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_cross_entropy_plain_batch_equals_the_general_path(dtype, reduction, smoothing):
    F = mg.nn.functional
    rng = np.random.default_rng(2)
    x = rng.standard_normal((7, 5)).astype(dtype) * 3
    t = np.array([0, 4, 2, 2, 1, 3, 4])
    results = []
    for weight in (None, mg.tensor(np.ones(5, dtype))):   # None: plain path; ones: general
        xt = mg.tensor(x, requires_grad=True)
        loss = F.cross_entropy(xt, mg.tensor(t), weight=weight, reduction=reduction,
                               label_smoothing=smoothing)
        loss.backward()
        results.append((loss.array, xt.grad.array))
    (l0, g0), (l1, g1) = results
    assert l0.dtype == dtype and g0.dtype == dtype
    np.testing.assert_array_equal(l0, l1)
    np.testing.assert_array_equal(g0, g1)
    torch = pytest.importorskip("torch")
    tx = torch.tensor(x, requires_grad=True)
    tl = torch.nn.functional.cross_entropy(tx, torch.tensor(t), reduction=reduction,
                                           label_smoothing=smoothing)
    tl.backward()
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(l0, tl.item(), rtol=tol)
    np.testing.assert_allclose(g0, tx.grad.numpy(), rtol=tol, atol=tol)


def test_cross_entropy_plain_batch_bad_targets_and_later_writes():
    F = mg.nn.functional
    x = mg.tensor(np.zeros((3, 4), np.float32), requires_grad=True)
    for bad in ([0, 4, 1], [0, -2, 1]):
        with pytest.raises(IndexError, match="out of range for 4 classes"):
            F.cross_entropy(x, mg.tensor(bad))
    # an ignored row (-100, the default ignore_index) takes the general path: mean of the rest
    loss = F.cross_entropy(x, mg.tensor([0, -100, 1]))
    np.testing.assert_allclose(loss.array, np.log(4.0), rtol=1e-6)
    t = mg.tensor([0, 1, 2])
    loss = F.cross_entropy(x, t)
    t.array[:] = 3                    # written after the forward: the backward keeps [0, 1, 2]
    loss.backward()
    expected = np.full((3, 4), 0.25 / 3, np.float32)
    expected[[0, 1, 2], [0, 1, 2]] -= 1 / 3
    np.testing.assert_allclose(x.grad.array, expected, rtol=1e-6)


BROADCASTS = [((3, 4), (4,)), ((3, 4), (1, 4)), ((), (3,)), ((2, 1, 3), (4, 1)), ((5,), (5,)),
              ((0, 3), (3,))]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("sa,sb", BROADCASTS)
@pytest.mark.parametrize("op", ["add", "sub", "mul"])
def test_binary_array_backward_equals_tensor_formula(dtype, sa, sb, op):
    f = {"add": lambda x, y: x + y, "sub": lambda x, y: x - y, "mul": lambda x, y: x * y}[op]
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal(sa).astype(dtype), rng.standard_normal(sb).astype(dtype)
    w = rng.standard_normal(np.broadcast_shapes(sa, sb)).astype(dtype)
    fast = _grads(f, (a, b), False, w)
    slow = _grads(f, (a, b), True, w)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    for g, s, x in zip(fast, slow, (a, b)):
        assert type(g) is np.ndarray and g.shape == x.shape and g.dtype == dtype
        np.testing.assert_allclose(g, s, rtol=tol, atol=tol)
    torch = pytest.importorskip("torch")
    ta, tb = (torch.tensor(x, requires_grad=True) for x in (a, b))
    (f(ta, tb) * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(fast[0], ta.grad.numpy(), rtol=tol * 10, atol=tol * 10)
    np.testing.assert_allclose(fast[1], tb.grad.numpy(), rtol=tol * 10, atol=tol * 10)
