"""ops.loss.cross_entropy_total: cross-entropy's reduction inside the fused op (one graph node),
the same bits as the per-row op + sum + divide, and exact first and second derivatives."""
import numpy as np
import pytest

import minigrad as mg
from minigrad.autograd import forward_ad as fwAD
from minigrad.ops import loss as L

CASES = [  # (weighted, smoothing, ignore_index, reduction)
    (False, 0.0, -100, "mean"), (False, 0.0, -100, "sum"), (True, 0.0, 2, "mean"),
    (True, 0.2, -100, "mean"), (False, 0.1, 1, "sum")]


def _inputs(dtype, rows=7, classes=5, seed=0):
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal((rows, classes)) * 3).astype(dtype)
    t = rng.integers(0, classes, rows).astype(np.int64)
    t[:3] = [2, 1, 2]
    w = rng.uniform(0.5, 2, classes).astype(dtype)
    return x, t, w


def _divisor(t, w, ignore, reduction):
    keep = t != ignore
    return float(w[np.where(keep, t, 0)][keep].sum()) if reduction == "mean" else 1.0


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=lambda d: d.__name__)
@pytest.mark.parametrize("weighted, smoothing, ignore, reduction", CASES)
def test_same_bits_as_rows_then_sum_then_divide(dtype, weighted, smoothing, ignore, reduction):
    x_np, t, w = _inputs(dtype, rows=130, classes=1001)
    w = w if weighted else np.ones_like(w)
    d = _divisor(t, w, ignore, reduction)
    x1, x2 = (mg.tensor(x_np, requires_grad=True) for _ in range(2))
    rows = L.cross_entropy_rows(x1, t, w, smoothing, ignore)
    old = rows.sum() if reduction == "sum" else rows.sum() / d
    new = L.cross_entropy_total(x2, t, w, smoothing, ignore, d)
    old.backward()
    new.backward()
    assert new.dtype == old.dtype and new.shape == ()
    np.testing.assert_array_equal(new.array, old.array)
    np.testing.assert_array_equal(x2.grad.array, x1.grad.array)


def test_against_torch():
    torch = pytest.importorskip("torch")
    x_np, t, w = _inputs(np.float64)
    for weighted, smoothing, ignore, reduction in CASES:
        wt = w if weighted else np.ones_like(w)
        x = mg.tensor(x_np, requires_grad=True)
        loss = L.cross_entropy_total(x, t, wt, smoothing, ignore, _divisor(t, wt, ignore, reduction))
        loss.backward()
        xt = torch.tensor(x_np, requires_grad=True)
        want = torch.nn.functional.cross_entropy(
            xt, torch.tensor(t), weight=torch.tensor(wt) if weighted else None,
            ignore_index=ignore, reduction=reduction, label_smoothing=smoothing)
        want.backward()
        np.testing.assert_allclose(loss.item(), want.item(), rtol=1e-12)
        np.testing.assert_allclose(x.grad.array, xt.grad.numpy(), rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("weighted, smoothing, ignore, reduction", CASES)
def test_gradcheck_gradgradcheck_and_jvp(weighted, smoothing, ignore, reduction):
    x_np, t, w = _inputs(np.float64)
    w = w if weighted else np.ones_like(w)
    d = _divisor(t, w, ignore, reduction)
    f = lambda x: L.cross_entropy_total(x, t, w, smoothing, ignore, d)  # noqa: E731
    x = mg.tensor(x_np, requires_grad=True)
    assert mg.gradcheck(f, (x,))
    assert mg.gradgradcheck(f, (x,))
    tangent = np.random.default_rng(3).standard_normal(x_np.shape)
    (g,) = mg.autograd.grad(f(x), x)
    with fwAD.dual_level():
        out = f(fwAD.make_dual(mg.tensor(x_np), mg.tensor(tangent)))
        jvp = fwAD.unpack_dual(out).tangent
    np.testing.assert_allclose(jvp.item(), float((g.array * tangent).sum()), rtol=1e-12)
