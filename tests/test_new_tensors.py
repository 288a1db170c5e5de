"""Tensor.new_* and the *_like functions: dtype and device follow the source tensor unless
given, as torch's (torch is the oracle for dtype, shape and values)."""
import numpy as np
import pytest

import minigrad as mg

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
def test_new_methods_match_torch(dtype):
    a = mg.tensor(np.arange(6).reshape(2, 3).astype(dtype))
    ta = torch.tensor(np.arange(6).reshape(2, 3).astype(dtype))
    pairs = [
        (a.new_ones(2, 3), ta.new_ones(2, 3)),
        (a.new_ones((4,)), ta.new_ones((4,))),
        (a.new_zeros(3), ta.new_zeros(3)),
        (a.new_full((2, 2), 7), ta.new_full((2, 2), 7)),
        (a.new_tensor([1, 2]), ta.new_tensor([1, 2])),
        (a.new_ones(2, dtype=mg.float64), ta.new_ones(2, dtype=torch.float64)),
        (a.new_empty(0, 3), ta.new_empty(0, 3).zero_()),
    ]
    for got, want in pairs:
        assert got.shape == tuple(want.shape)
        assert str(got.dtype) == str(want.dtype).replace("torch.", "")
        np.testing.assert_array_equal(got.numpy(), want.numpy())
        assert got.device == a.device and not got.requires_grad


def test_new_tensor_copies_and_can_require_grad():
    a = mg.zeros(2, dtype=mg.float64)
    src = np.array([1.0, 2.0])
    b = a.new_tensor(src, requires_grad=True)
    src[0] = 9
    assert b.requires_grad and b.numpy()[0] == 1.0 and b.dtype == mg.float64


@pytest.mark.parametrize("fn", ["zeros_like", "ones_like", "empty_like", "rand_like",
                                "randn_like"])
def test_like_functions_take_dtype_and_device(fn):
    a = mg.tensor([[1.0, 2.0]], dtype=mg.float64)
    out = getattr(mg, fn)(a, device="cpu")
    assert out.shape == (1, 2) and out.dtype == mg.float64 and out.device == "cpu"
    out32 = getattr(mg, fn)(a, dtype=mg.float32)
    assert out32.dtype == mg.float32
    if fn in ("zeros_like", "ones_like", "empty_like"):
        want = getattr(torch, fn)(torch.tensor([[1.0, 2.0]], dtype=torch.float64))
        np.testing.assert_array_equal(out.numpy(), want.zero_().numpy()
                                      if fn == "empty_like" else want.numpy())


def test_full_like_keeps_integer_dtype():
    a = mg.tensor([1, 2, 3])
    out = mg.full_like(a, 5)
    assert out.dtype == mg.int64 and out.tolist() == [5, 5, 5]


def test_like_refuses_an_unknown_device():
    with pytest.raises(ValueError, match="tpu"):
        mg.zeros_like(mg.zeros(2), device="tpu")
