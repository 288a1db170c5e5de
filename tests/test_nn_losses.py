"""Losses: hand-written numpy formulas (torch-free), PyTorch as an optional oracle, the fused
cross-entropy kernel against its readable create_graph formula, reductions and bad input."""
import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F

RNG = np.random.default_rng(0)
X = RNG.standard_normal((6, 4))
T = np.array([0, 3, 1, 1, 2, 3])
W = np.array([0.5, 2.0, 1.0, 1.5])
Y = RNG.standard_normal((6, 4))
P = RNG.uniform(0.05, 0.95, (6, 4))
B = RNG.uniform(0, 1, (6, 4))


def _logsoftmax(x):
    m = x.max(1, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(1, keepdims=True))


def _ce_numpy(x, t, w=None, eps=0.0, ignore=-100, reduction="mean"):
    w = np.ones(x.shape[1]) if w is None else w
    nlogp = -_logsoftmax(x)
    keep = t != ignore
    ts = np.where(keep, t, 0)
    rows = (1 - eps) * w[ts] * nlogp[np.arange(len(t)), ts] + eps / x.shape[1] * (nlogp * w).sum(1)
    rows = np.where(keep, rows, 0)
    if reduction == "none":
        return rows
    if reduction == "sum":
        return rows.sum()
    return rows.sum() / w[ts][keep].sum()


def _reduce(v, reduction):
    return {"mean": v.mean(), "sum": v.sum(), "none": v}[reduction]


def _softplus(z):
    return np.logaddexp(0, z)


REDUCTIONS = ["mean", "sum", "none"]


def _t(a, **kw):
    return mg.tensor(a, dtype=np.float64, **kw)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_losses_against_numpy_formulas(reduction):
    d = X - Y
    cases = {
        "mse": (F.mse_loss(_t(X), _t(Y), reduction), d * d),
        "l1": (F.l1_loss(_t(X), _t(Y), reduction), np.abs(d)),
        "huber": (F.huber_loss(_t(X), _t(Y), reduction, delta=0.7),
                  np.where(np.abs(d) <= 0.7, 0.5 * d * d, 0.7 * (np.abs(d) - 0.35))),
        "smooth_l1": (F.smooth_l1_loss(_t(X), _t(Y), reduction, beta=0.6),
                      np.where(np.abs(d) < 0.6, 0.5 * d * d / 0.6, np.abs(d) - 0.3)),
        "bce": (F.binary_cross_entropy(_t(P), _t(B), reduction=reduction),
                -(B * np.log(P) + (1 - B) * np.log(1 - P))),
        "bce logits": (F.binary_cross_entropy_with_logits(_t(X), _t(B), _t(P), reduction,
                                                          pos_weight=_t(W)),
                       P * (W * B * _softplus(-X) + (1 - B) * _softplus(X))),
        "kl_div": (F.kl_div(_t(_logsoftmax(X)), _t(P), reduction),
                   P * (np.log(P) - _logsoftmax(X))),
    }
    for name, (got, rows) in cases.items():
        np.testing.assert_allclose(got.numpy(), _reduce(rows, reduction), rtol=1e-12,
                                   err_msg=name)


@pytest.mark.parametrize("kw", [dict(), dict(label_smoothing=0.2), dict(w=W),
                                dict(w=W, eps=0.1, ignore=1), dict(ignore=3)])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_and_nll_against_numpy(kw, reduction):
    eps = kw.get("eps", kw.get("label_smoothing", 0.0))
    w, ignore = kw.get("w"), kw.get("ignore", -100)
    got = F.cross_entropy(_t(X), mg.tensor(T), None if w is None else _t(w), ignore, reduction,
                          eps)
    np.testing.assert_allclose(got.numpy(), _ce_numpy(X, T, w, eps, ignore, reduction),
                               rtol=1e-12)
    if eps == 0:
        nll = F.nll_loss(_t(_logsoftmax(X)), mg.tensor(T), None if w is None else _t(w), ignore,
                         reduction)
        np.testing.assert_allclose(nll.numpy(), _ce_numpy(X, T, w, 0, ignore, reduction),
                                   rtol=1e-12)


def test_cross_entropy_gradient_is_softmax_minus_onehot_over_n():
    x = _t(X, requires_grad=True)
    F.cross_entropy(x, mg.tensor(T)).backward()
    p = np.exp(_logsoftmax(X))
    p[np.arange(6), T] -= 1
    np.testing.assert_allclose(x.grad.numpy(), p / 6, rtol=1e-12, atol=1e-15)


def test_cross_entropy_kernel_backward_equals_the_readable_formula():
    """The fused kernel backward (no create_graph) and the Tensor-op formula (create_graph)."""
    g = RNG.standard_normal(6)
    for kw in [dict(), dict(weight=_t(W), label_smoothing=0.3, ignore_index=2)]:
        x = _t(X, requires_grad=True)
        loss = F.cross_entropy(x, mg.tensor(T), reduction="none", **kw)
        (fused,) = mg.grad(loss, x, _t(g))
        x2 = _t(X, requires_grad=True)
        loss2 = F.cross_entropy(x2, mg.tensor(T), reduction="none", **kw)
        (readable,) = mg.grad(loss2, x2, _t(g), create_graph=True)
        assert readable.requires_grad
        np.testing.assert_allclose(fused.numpy(), readable.numpy(), rtol=1e-13, atol=1e-16)


def test_multi_margin_and_info_nce_by_hand():
    c = X.shape[1]
    picked = X[np.arange(6), T][:, None]
    hinge = np.maximum(0, 1 - picked + X)
    hinge[np.arange(6), T] = 0
    np.testing.assert_allclose(F.multi_margin_loss(_t(X), mg.tensor(T)).item(),
                               (hinge.sum(1) / c).mean(), rtol=1e-12)
    hinge2 = np.maximum(0, 0.5 - picked + X) ** 2 * W[T][:, None]
    hinge2[np.arange(6), T] = 0
    np.testing.assert_allclose(F.multi_margin_loss(_t(X), mg.tensor(T), p=2, margin=0.5,
                                                   weight=_t(W), reduction="sum").item(),
                               (hinge2.sum(1) / c).sum(), rtol=1e-12)
    a, b = X, Y
    an = a / np.linalg.norm(a, axis=1, keepdims=True)
    bn = b / np.linalg.norm(b, axis=1, keepdims=True)
    logits = an @ bn.T / 0.2
    want = -np.diag(_logsoftmax(logits)).mean()
    np.testing.assert_allclose(F.info_nce(_t(a), _t(b), 0.2).item(), want, rtol=1e-12)


def test_kl_div_zero_targets_and_batchmean():
    t = P / P.sum(1, keepdims=True)
    t[0, 1] = 0.0
    logq = _logsoftmax(X)
    rows = np.where(t > 0, t * (np.log(np.where(t > 0, t, 1)) - logq), 0)
    np.testing.assert_allclose(F.kl_div(_t(logq), _t(t), "batchmean").item(), rows.sum() / 6,
                               rtol=1e-12)
    logt = _logsoftmax(Y)
    np.testing.assert_allclose(F.kl_div(_t(logq), _t(logt), "sum", log_target=True).item(),
                               (np.exp(logt) * (logt - logq)).sum(), rtol=1e-12)


def test_loss_modules_call_their_functions():
    x, t = _t(X), mg.tensor(T)
    pairs = [
        (nn.CrossEntropyLoss(weight=_t(W), label_smoothing=0.1)(x, t),
         F.cross_entropy(x, t, _t(W), label_smoothing=0.1)),
        (nn.NLLLoss(reduction="sum")(x.log_softmax(1), t), F.nll_loss(x.log_softmax(1), t,
                                                                       reduction="sum")),
        (nn.MSELoss()(x, _t(Y)), F.mse_loss(x, _t(Y))),
        (nn.L1Loss()(x, _t(Y)), F.l1_loss(x, _t(Y))),
        (nn.HuberLoss(delta=0.5)(x, _t(Y)), F.huber_loss(x, _t(Y), delta=0.5)),
        (nn.SmoothL1Loss(beta=0.5)(x, _t(Y)), F.smooth_l1_loss(x, _t(Y), beta=0.5)),
        (nn.BCELoss()(_t(P), _t(B)), F.binary_cross_entropy(_t(P), _t(B))),
        (nn.BCEWithLogitsLoss(pos_weight=_t(W))(x, _t(B)),
         F.binary_cross_entropy_with_logits(x, _t(B), pos_weight=_t(W))),
        (nn.MultiMarginLoss(margin=0.5)(x, t), F.multi_margin_loss(x, t, margin=0.5)),
        (nn.KLDivLoss("batchmean")(x.log_softmax(1), _t(P)),
         F.kl_div(x.log_softmax(1), _t(P), "batchmean")),
        (nn.InfoNCELoss(0.3)(x, _t(Y)), F.info_nce(x, _t(Y), 0.3)),
    ]
    for got, want in pairs:
        assert got.item() == want.item()


TORCH_LOSSES = [
    ("cross_entropy", lambda f, x, y, t, p, b, w: f.cross_entropy(x, t)),
    ("cross_entropy weight smoothing ignore", lambda f, x, y, t, p, b, w: f.cross_entropy(
        x, t, weight=w, ignore_index=1, label_smoothing=0.15)),
    ("cross_entropy (N,C,d) none", lambda f, x, y, t, p, b, w: f.cross_entropy(
        x.reshape(3, 4, 2), t.reshape(3, 2), reduction="none")),
    ("nll_loss weight sum", lambda f, x, y, t, p, b, w: f.nll_loss(
        f.log_softmax(x, 1), t, weight=w, reduction="sum")),
    ("mse_loss", lambda f, x, y, t, p, b, w: f.mse_loss(x, y)),
    ("l1_loss none", lambda f, x, y, t, p, b, w: f.l1_loss(x, y, reduction="none")),
    ("huber_loss", lambda f, x, y, t, p, b, w: f.huber_loss(x, y, delta=0.6)),
    ("smooth_l1_loss", lambda f, x, y, t, p, b, w: f.smooth_l1_loss(x, y, beta=0.4)),
    ("binary_cross_entropy", lambda f, x, y, t, p, b, w: f.binary_cross_entropy(p, b)),
    ("bce_with_logits pos_weight", lambda f, x, y, t, p, b, w:
     f.binary_cross_entropy_with_logits(x, b, pos_weight=w)),
    ("multi_margin_loss p2", lambda f, x, y, t, p, b, w: f.multi_margin_loss(
        x, t, p=2, margin=0.7, weight=w)),
    ("kl_div batchmean", lambda f, x, y, t, p, b, w: f.kl_div(
        f.log_softmax(x, 1), f.softmax(y, 1), reduction="batchmean")),
    ("softmax / normalize", lambda f, x, y, t, p, b, w: (
        f.softmax(x, 0) * f.normalize(y, dim=1)).sum()),
]


@pytest.mark.parametrize("name,fn", TORCH_LOSSES, ids=[n for n, _ in TORCH_LOSSES])
def test_losses_match_torch_values_and_gradients(name, fn):
    torch = pytest.importorskip("torch")
    import torch.nn.functional as TF
    x, y = X, Y
    t = T
    g = None
    outs = []
    for f, make in ((TF, lambda a, rg=False: torch.tensor(a, requires_grad=rg)),
                    (F, lambda a, rg=False: mg.tensor(a, requires_grad=rg))):
        xs, ys, ps = make(x, True), make(y, True), make(P, True)
        out = fn(f, xs, ys, make(t), ps, make(B), make(W))
        if g is None:
            g = RNG.standard_normal(tuple(out.shape))
        (out * make(g)).sum().backward()
        outs.append([out.detach().numpy() if f is TF else out.numpy()] +
                    [v.grad.numpy() if v.grad is not None else None for v in (xs, ys, ps)])
    for a, b in zip(*outs):
        if a is None or b is None:
            assert a is None or not np.any(a)
            continue
        np.testing.assert_allclose(b, a, rtol=1e-10, atol=1e-13)


def test_cross_entropy_float32_matches_torch():
    torch = pytest.importorskip("torch")
    x = X.astype(np.float32)
    xt = torch.tensor(x, requires_grad=True)
    want = torch.nn.functional.cross_entropy(xt, torch.tensor(T), label_smoothing=0.1)
    want.backward()
    xm = mg.tensor(x, requires_grad=True)
    loss = F.cross_entropy(xm, mg.tensor(T), label_smoothing=0.1)
    loss.backward()
    assert loss.dtype == np.float32
    np.testing.assert_allclose(loss.item(), want.item(), rtol=1e-6)
    np.testing.assert_allclose(xm.grad.numpy(), xt.grad.numpy(), rtol=1e-5, atol=1e-7)


def test_losses_on_every_device(device):
    x, t = mg.tensor(X, device=device, requires_grad=True), mg.tensor(T, device=device)
    loss = F.cross_entropy(x, t, mg.tensor(W, device=device), label_smoothing=0.1) + F.mse_loss(
        x, mg.tensor(Y, device=device)) + F.info_nce(x, mg.tensor(Y, device=device))
    loss.backward()
    xc = mg.tensor(X, requires_grad=True)
    ref = F.cross_entropy(xc, mg.tensor(T), mg.tensor(W), label_smoothing=0.1) + F.mse_loss(
        xc, mg.tensor(Y)) + F.info_nce(xc, mg.tensor(Y))
    ref.backward()
    np.testing.assert_allclose(loss.item(), ref.item(), rtol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), xc.grad.numpy(), rtol=1e-10, atol=1e-14)


def test_loss_bad_inputs_name_the_values():
    with pytest.raises(IndexError, match=r"class 5 is out of range for 4 classes"):
        F.cross_entropy(_t(X), mg.tensor([0, 5, 1, 1, 2, 3]))
    with pytest.raises(IndexError, match=r"class -1 is out of range for 4 classes"):
        F.nll_loss(_t(X), mg.tensor([0, -1, 1, 1, 2, 3]))
    with pytest.raises(TypeError, match="integer class indices"):
        F.cross_entropy(_t(X), _t(np.zeros(6)))
    with pytest.raises(ValueError, match=r"target of shape \(6,\), got \(5,\)"):
        F.cross_entropy(_t(X), mg.tensor(T[:5]))
    with pytest.raises(ValueError, match=r"weight must have shape \(4,\)"):
        F.cross_entropy(_t(X), mg.tensor(T), weight=_t(np.ones(3)))
    with pytest.raises(ValueError, match="'avg'"):
        F.mse_loss(_t(X), _t(Y), reduction="avg")
    with pytest.raises(ValueError, match=r"\(6, 4\) and target \(4,\)"):
        F.mse_loss(_t(X), _t(Y[0]))
    with pytest.raises(ValueError, match="probabilities"):
        F.binary_cross_entropy(_t(X), _t(B))
    with pytest.raises(ValueError, match="label_smoothing"):
        F.cross_entropy(_t(X), mg.tensor(T), label_smoothing=1.5)
