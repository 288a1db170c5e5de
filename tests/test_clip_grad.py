"""clip_grad_norm_ / clip_grad_value_ against closed forms and torch.nn.utils (optional)."""
import math

import numpy as np
import pytest

import minigrad as mg
from minigrad.optim import clip_grad_norm_, clip_grad_value_


def _params(seed=0, scale=3.0):
    rng = np.random.default_rng(seed)
    ps = [mg.tensor(rng.standard_normal(s), requires_grad=True) for s in [(3, 4), (5,), (2,)]]
    for p in ps:
        p.grad = mg.tensor(scale * rng.standard_normal(p.shape))
    return ps


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, math.inf])
@pytest.mark.parametrize("max_norm", [0.5, 1e6])
def test_clip_grad_norm_closed_form(norm_type, max_norm):
    ps = _params()
    flat = np.concatenate([p.grad.array.ravel() for p in ps])
    total = np.max(np.abs(flat)) if norm_type == math.inf else \
        np.sum(np.abs(flat) ** norm_type) ** (1 / norm_type)
    before = [p.grad.array.copy() for p in ps]
    got = clip_grad_norm_(ps, max_norm, norm_type)
    assert isinstance(got, mg.Tensor)
    assert got.item() == pytest.approx(total, rel=1e-13)
    coef = min(1.0, max_norm / (total + 1e-6))
    for p, g in zip(ps, before):
        np.testing.assert_allclose(p.grad.array, g * coef, rtol=1e-15)
    if max_norm < total:
        clipped = np.concatenate([p.grad.array.ravel() for p in ps])
        n = np.max(np.abs(clipped)) if norm_type == math.inf else \
            np.sum(np.abs(clipped) ** norm_type) ** (1 / norm_type)
        assert n == pytest.approx(max_norm, rel=1e-5)


@pytest.mark.parametrize("norm_type", [2.0, 1.0, math.inf])
def test_clip_grad_norm_matches_torch(norm_type):
    torch = pytest.importorskip("torch")
    ps = _params()
    ts = [torch.tensor(p.array, requires_grad=True) for p in ps]
    for p, t in zip(ps, ts):
        t.grad = torch.tensor(p.grad.array.copy())
    got = clip_grad_norm_(ps, 0.7, norm_type)
    expected = torch.nn.utils.clip_grad_norm_(ts, 0.7, norm_type)
    assert got.item() == pytest.approx(expected.item(), rel=1e-14)
    for p, t in zip(ps, ts):
        np.testing.assert_allclose(p.grad.array, t.grad.numpy(), rtol=1e-14)


def test_clip_grad_norm_skips_params_without_grad_and_accepts_a_tensor():
    ps = _params()
    ps[1].grad = None
    g0 = ps[0].grad.array.copy()
    total = clip_grad_norm_(ps, 1.0)
    flat = np.concatenate([ps[0].grad.array.ravel(), ps[2].grad.array.ravel()])
    assert np.linalg.norm(flat) == pytest.approx(1.0, rel=1e-5)
    assert total.item() > 1.0 and ps[1].grad is None
    single = _params()[0]
    n = np.linalg.norm(single.grad.array)
    assert clip_grad_norm_(single, 1e9).item() == pytest.approx(n, rel=1e-14)
    assert not np.array_equal(g0, ps[0].grad.array)


def test_clip_grad_norm_nonfinite():
    ps = _params()
    ps[0].grad.array[0, 0] = np.inf
    with pytest.raises(RuntimeError, match="non-finite"):
        clip_grad_norm_(ps, 1.0, error_if_nonfinite=True)
    ps[0].grad.array[0, 0] = np.nan
    total = clip_grad_norm_(ps, 1.0)
    assert math.isnan(total.item()) and np.isnan(ps[1].grad.array).all()


def test_clip_grad_value_closed_form_and_torch():
    ps = _params()
    before = [p.grad.array.copy() for p in ps]
    clip_grad_value_(ps, 0.8)
    for p, g in zip(ps, before):
        np.testing.assert_array_equal(p.grad.array, np.clip(g, -0.8, 0.8))
        assert (np.abs(g) > 0.8).any()
    torch = pytest.importorskip("torch")
    t = torch.tensor(before[0].copy(), requires_grad=True)
    t.grad = torch.tensor(before[0].copy())
    torch.nn.utils.clip_grad_value_([t], 0.8)
    np.testing.assert_array_equal(ps[0].grad.array, t.grad.numpy())


def test_float32_gradients_stay_float32():
    p = mg.tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    p.grad = mg.tensor(np.array([3.0, 4.0, 0.0], dtype=np.float32))
    total = clip_grad_norm_([p], 1.0)
    assert total.dtype == mg.float32 and p.grad.array.dtype == np.float32
    np.testing.assert_allclose(p.grad.array, [0.6, 0.8, 0.0], rtol=1e-6)
