"""Tensor construction, dtype rules, conversion, and forward values against numpy."""
import numpy as np
import pytest

import minigrad as mg


def test_default_dtype_is_float32_and_settable():
    assert mg.tensor([1.0, 2.0]).dtype == np.float32
    assert mg.tensor(3.5).dtype == np.float32
    assert mg.zeros(2, 3).dtype == np.float32
    mg.set_default_dtype(np.float64)
    assert mg.tensor([1.0]).dtype == np.float64
    assert mg.randn(2).dtype == np.float64
    with pytest.raises(TypeError, match="float32 or float64"):
        mg.set_default_dtype(np.int32)


def test_numpy_dtypes_are_kept_and_ints_are_int64():
    assert mg.tensor(np.zeros(3, np.float64)).dtype == np.float64
    assert mg.tensor(np.zeros(3, np.float32)).dtype == np.float32
    assert mg.tensor([1, 2, 3]).dtype == np.int64
    assert mg.tensor([True, False]).dtype == np.bool_
    assert mg.tensor([1, 2], dtype=mg.float64).dtype == np.float64


def test_tensor_copies_its_data_but_from_numpy_shares():
    a = np.ones(3)
    t = mg.tensor(a)
    a[0] = 5
    assert t.numpy()[0] == 1
    s = mg.from_numpy(a)
    a[1] = 7
    assert s.numpy()[1] == 7


def test_data_is_writable_without_recording():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    x.array[0] = 10.0
    y = (x * x).sum()
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [20.0, 4.0])


def test_attributes_and_conversions():
    x = mg.tensor([[1.0, 2.0, 3.0]])
    assert x.shape == (1, 3) and x.ndim == 2 and x.device == "cpu"
    assert isinstance(x.numpy(), np.ndarray)
    assert mg.tensor([[2.5]]).item() == 2.5
    assert x.tolist() == [[1.0, 2.0, 3.0]]
    assert x.double().dtype == np.float64
    assert x.to(mg.float64).dtype == np.float64
    assert x.to("cpu").device == "cpu"
    with pytest.raises(ValueError, match=r"one element.*\(1, 3\)"):
        x.item()


def test_only_float_tensors_require_grad():
    with pytest.raises(TypeError, match="floating-point"):
        mg.tensor([1, 2], requires_grad=True)


def test_detach_shares_data_and_cuts_graph():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    d = (x * 2).detach()
    assert not d.requires_grad and d.grad_fn is None


@pytest.mark.parametrize("op", ["+", "-", "*", "/", "**"])
def test_binary_forward_matches_numpy_with_broadcasting(op, rng):
    a, b = rng.uniform(0.5, 2, (3, 1, 4)), rng.uniform(0.5, 2, (5, 1))
    ta, tb = mg.tensor(a), mg.tensor(b)
    got = {"+": ta + tb, "-": ta - tb, "*": ta * tb, "/": ta / tb, "**": ta ** tb}[op]
    want = {"+": a + b, "-": a - b, "*": a * b, "/": a / b, "**": a ** b}[op]
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-12)
    assert got.shape == (3, 5, 4)


def test_scalars_take_the_tensor_dtype():
    x = mg.tensor([1.0, 2.0])
    assert (x * 2.5).dtype == np.float32
    assert (2 + x).dtype == np.float32
    assert (x ** 2).dtype == np.float32


def test_int_tensors_are_promoted_to_the_float_dtype():
    x = mg.tensor([1.0, 2.0])
    i = mg.tensor([1, 2])
    assert (x * i).dtype == np.float32
    np.testing.assert_allclose((x * i).numpy(), [1.0, 4.0])


def test_unary_and_reduction_values_match_numpy(rng):
    a = rng.standard_normal((4, 5))
    t = mg.tensor(a)
    np.testing.assert_allclose(t.exp().numpy(), np.exp(a), rtol=1e-12)
    np.testing.assert_allclose(t.abs().log().numpy(), np.log(np.abs(a)), rtol=1e-12)
    np.testing.assert_allclose(t.tanh().numpy(), np.tanh(a), rtol=1e-12)
    np.testing.assert_allclose(t.sigmoid().numpy(), 1 / (1 + np.exp(-a)), rtol=1e-12)
    np.testing.assert_allclose(t.relu().numpy(), np.maximum(a, 0))
    np.testing.assert_allclose(t.clip(-0.5, 0.5).numpy(), np.clip(a, -0.5, 0.5))
    np.testing.assert_allclose(t.sum(axis=1).numpy(), a.sum(1), rtol=1e-12)
    np.testing.assert_allclose(t.sum(dim=0, keepdim=True).numpy(), a.sum(0, keepdims=True))
    np.testing.assert_allclose(t.mean().numpy(), a.mean(), rtol=1e-12)
    np.testing.assert_allclose(t.max(axis=0).values.numpy(), a.max(0))
    np.testing.assert_allclose(t.min().numpy(), a.min())
    e = np.exp(a - a.max(1, keepdims=True))
    np.testing.assert_allclose(t.softmax(1).numpy(), e / e.sum(1, keepdims=True), rtol=1e-12)
    np.testing.assert_allclose(t.log_softmax(0).numpy(),
                               a - np.log(np.exp(a).sum(0, keepdims=True)), rtol=1e-12)
    np.testing.assert_allclose(t.logsumexp(1).numpy(), np.log(np.exp(a).sum(1)), rtol=1e-12)
    np.testing.assert_array_equal(t.argmax(axis=1).numpy(), a.argmax(1))


def test_softmax_is_stable_for_large_logits():
    t = mg.tensor([[1000.0, 0.0, -1000.0]])
    np.testing.assert_allclose(t.softmax(-1).numpy(), [[1, 0, 0]])
    np.testing.assert_allclose(t.logsumexp(-1).numpy(), [1000.0])


def test_shape_ops_match_numpy(rng):
    a = rng.standard_normal((2, 3, 4))
    t = mg.tensor(a)
    np.testing.assert_array_equal(t.reshape(6, 4).numpy(), a.reshape(6, 4))
    np.testing.assert_array_equal(t.transpose(0, 2).numpy(), a.swapaxes(0, 2))
    np.testing.assert_array_equal(t.T.numpy(), a.T)
    np.testing.assert_array_equal(t.permute(1, 2, 0).numpy(), a.transpose(1, 2, 0))
    np.testing.assert_array_equal(t.flatten().numpy(), a.ravel())
    np.testing.assert_array_equal(t.unsqueeze(1).numpy(), a[:, None])
    np.testing.assert_array_equal(t.unsqueeze(1).squeeze().numpy(), a)
    np.testing.assert_array_equal(t[1, :, ::2].numpy(), a[1, :, ::2])
    np.testing.assert_array_equal(t[[1, 0, 1]].numpy(), a[[1, 0, 1]])
    np.testing.assert_array_equal(t[t > 0].numpy(), a[a > 0])
    np.testing.assert_array_equal(mg.concatenate([t, t], axis=2).numpy(),
                                  np.concatenate([a, a], 2))
    np.testing.assert_array_equal(mg.stack([t, t], axis=1).numpy(), np.stack([a, a], 1))


def test_matmul_matches_numpy_for_all_rank_combinations(rng):
    for sa, sb in [((3, 4), (4, 2)), ((4,), (4, 2)), ((3, 4), (4,)), ((4,), (4,)),
                   ((2, 3, 4), (4, 5)), ((2, 1, 3, 4), (3, 4, 2))]:
        a, b = rng.standard_normal(sa), rng.standard_normal(sb)
        np.testing.assert_allclose((mg.tensor(a) @ mg.tensor(b)).numpy(), a @ b, rtol=1e-12)


def test_comparisons_give_bool_without_grad():
    x = mg.tensor([1.0, -1.0], requires_grad=True)
    m = x > 0
    assert m.dtype == np.bool_ and not m.requires_grad
    np.testing.assert_array_equal(m.numpy(), [True, False])
    np.testing.assert_array_equal((x == 1.0).numpy(), [True, False])
    np.testing.assert_array_equal((~m).numpy(), [False, True])


def test_where_maximum_minimum_values():
    a = mg.tensor([1.0, 5.0, -2.0])
    b = mg.tensor([2.0, 3.0, -2.0])
    np.testing.assert_array_equal(mg.where(a > b, a, b).numpy(), [2, 5, -2])
    np.testing.assert_array_equal(mg.maximum(a, b).numpy(), [2, 5, -2])
    np.testing.assert_array_equal(mg.minimum(a, b).numpy(), [1, 3, -2])


def test_creation_helpers():
    assert mg.zeros(2, 3).shape == (2, 3) and mg.ones((4,)).numpy().sum() == 4
    np.testing.assert_array_equal(mg.arange(5).numpy(), np.arange(5))
    assert mg.arange(5).dtype == np.int64 and mg.arange(0.0, 1.0, 0.25).dtype == np.float32
    np.testing.assert_array_equal(mg.eye(3).numpy(), np.eye(3))
    mg.manual_seed(7)
    a = mg.randn(3, 2).numpy()
    mg.manual_seed(7)
    np.testing.assert_array_equal(mg.randn(3, 2).numpy(), a)
    assert mg.randn(2, requires_grad=True).requires_grad


def test_repr_is_readable():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    assert "requires_grad=True" in repr(x)
    assert "grad_fn=<MulBackward>" in repr(x * 2)
