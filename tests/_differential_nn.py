"""Entries of the differential registry (tests/_differential_registry.py): nn.functional: layers,
activations, losses; the patch kernels.
"""
import math

import numpy as np
import torch
import torch.nn.functional as TF

import minigrad as mg
import minigrad.nn.functional as F
from minigrad import ops

from _differential_registry import (  # noqa: F401
    C, ROW_KINDS, S, STRUCT_KINDS, X, op, unary
)

# ==== nn.functional: layers ===================================================================


def _linear_sample(c):
    i, o = c.pick([1, 2, 3]), c.pick([1, 2, 3, 0])
    lead = c.shape(0, 2)
    bias = c.x((o,)) if c.bool() else None
    return [c.x(lead + (i,)), c.x((o, i)), bias], {}


op("linear", [F.linear], TF.linear, _linear_sample, covers=("F.linear",))


def _pair_or_int(c, v):
    return v if c.bool() else (v, v) if c.bool() else (v, c.pick([1, 2]) if v >= 1 else v)


def _conv_sample(c):
    n, ch, o = c.pick([1, 2]), c.pick([1, 2]), c.pick([1, 2])
    kh, kw = c.pick([1, 2, 3]), c.pick([1, 2, 3])
    s, p, d = c.pick([1, 2]), c.pick([0, 1]), c.pick([1, 2])
    h = c.int(max(1, d * (kh - 1) + 1 - 2 * p), d * (kh - 1) + 3)
    w = c.int(max(1, d * (kw - 1) + 1 - 2 * p), d * (kw - 1) + 3)
    bias = c.x((o,)) if c.bool() else None
    return [c.x((n, ch, h, w)), c.x((o, ch, kh, kw)), bias], dict(
        stride=_pair_or_int(c, s), padding=p if c.bool() else (p, c.pick([0, 1])),
        dilation=d if c.bool() else (d, 1))


op("conv2d", [lambda x, w, b, **k: F.conv2d(x, w, b, **k)],
   lambda x, w, b, **k: TF.conv2d(x, w, b, **k), _conv_sample, covers=("F.conv2d",),
   kinds=STRUCT_KINDS,
   note="groups=1, int padding, batched (the rest: conv2d_groups_padding)")


def _pool_sample(c, dilation=True):
    k = c.pick([1, 2, 3])
    kk = (k, c.pick([1, 2, 3])) if c.bool() else k
    kh, kw = (kk, kk) if isinstance(kk, int) else kk
    stride = c.pick([None, 1, 2])
    p = c.int(0, min(kh, kw) // 2)
    d = c.pick([1, 2]) if dilation else 1
    h = c.int(max(1, d * (kh - 1) + 1 - 2 * p), d * (kh - 1) + 3)
    w = c.int(max(1, d * (kw - 1) + 1 - 2 * p), d * (kw - 1) + 3)
    shape = (c.pick([1, 2]), c.pick([1, 2]), h, w)
    return shape, dict(kernel_size=kk, stride=stride, padding=p), d


def _window_in_padding(size, k, s, p, d):
    """Whether some dilated window of a pooling lies entirely in the padding."""
    out = (size + 2 * p - d * (k - 1) - 1) // s + 1
    return any(all(not 0 <= o * s + i * d - p < size for i in range(k)) for o in range(out))


def _max_pool_sample(c):
    shape, kw, d = _pool_sample(c)
    k = kw["kernel_size"]
    kh, kwid = (k, k) if isinstance(k, int) else k
    s = kw["stride"] or kw["kernel_size"]
    sh, sw = (s, s) if isinstance(s, int) else s
    # torch's max_pool2d gives an out-of-range index for a window that lies wholly in the
    # padding (possible with dilation), and its backward then writes out of bounds (heap
    # corruption: the process aborts; seen with H = 1, kernel 2, padding 1, dilation 2). Such
    # geometries are not drawn: the dilation falls back to 1.
    if d > 1 and (_window_in_padding(shape[2], kh, sh, kw["padding"], d)
                  or _window_in_padding(shape[3], kwid, sw, kw["padding"], d)):
        d = 1
    return [c.x(shape)], dict(kw, dilation=d)


op("max_pool2d", [lambda x, **k: F.max_pool2d(x, **k)], lambda x, **k: TF.max_pool2d(x, **k),
   _max_pool_sample, covers=("F.max_pool2d",), kinds=STRUCT_KINDS,
   note="ties (the 'edge' kind) send the gradient to the first maximum, as torch")


def _avg_pool_sample(c):
    shape, kw, _ = _pool_sample(c, dilation=False)
    return [c.x(shape)], dict(kw, count_include_pad=c.bool(),
                              divisor_override=c.pick([None, None, 1, 3]))


op("avg_pool2d", [lambda x, **k: F.avg_pool2d(x, **k)], lambda x, **k: TF.avg_pool2d(x, **k),
   _avg_pool_sample, covers=("F.avg_pool2d",), kinds=STRUCT_KINDS,
   note="ceil_mode=False, batched (ceil_mode and unbatched: avg_pool2d_ceil_unbatched)")


def _batch_norm_sample(c):
    ch = c.pick([1, 2, 3])
    shape = (c.pick([1, 2, 3]), ch) + c.shape(0, 2, (1, 2, 3))
    training = c.bool()
    stats = not training or c.bool()
    rm = S(c.values((ch,), kind="normal")) if stats else None
    rv = S(c.values((ch,), "positive", kind="normal")) if stats else None
    weight = c.x((ch,)) if c.bool() else None
    bias = c.x((ch,)) if c.bool() else None
    return [c.x(shape), rm, rv, weight, bias], dict(
        training=training, momentum=c.pick([0.1, 0.5]), eps=c.pick([1e-5, 0.1]))


def _composed_batch_norm(x, rm, rv, w, b, training, momentum, eps):
    """batch_norm as minigrad's docstring states it, with torch ops: (x − μ)/√(σ² + eps)·γ + β,
    μ and the biased σ² over every axis but 1, the running statistics updated as torch does."""
    c = x.shape[1]
    axes = (0,) + tuple(range(2, x.dim()))
    shape = (1, c) + (1,) * (x.dim() - 2)
    if training:
        m = x.numel() // c
        if m <= 1:
            raise ValueError("more than one value per channel needed when training")
        mean = x.mean(axes, keepdim=True)
        var = ((x - mean) ** 2).mean(axes, keepdim=True)
        with torch.no_grad():
            if rm is not None:
                rm.copy_((1 - momentum) * rm + momentum * mean.reshape(c))
            if rv is not None:
                rv.copy_((1 - momentum) * rv + momentum * var.reshape(c) * (m / (m - 1)))
    else:
        mean, var = rm.reshape(shape), rv.reshape(shape)
    y = (x - mean) / torch.sqrt(var + eps)
    y = y if w is None else y * w.reshape(shape)
    return y if b is None else y + b.reshape(shape)


def _composed_layer_norm(x, w, b, normalized_shape, eps):
    axes = tuple(range(x.dim() - len(normalized_shape), x.dim()))
    mean = x.mean(axes, keepdim=True)
    y = (x - mean) / torch.sqrt(((x - mean) ** 2).mean(axes, keepdim=True) + eps)
    y = y if w is None else y * w
    return y if b is None else y + b


_NORM_WHY = ("at extreme magnitudes torch's fused kernels lose every digit of x̂ when the spread "
             "is far below |x| (two equal values −1e15: torch's x̂ came out 19.8, the exact one "
             "0 — d/dweight −16.3 for layer_norm); in the extreme kind the twin is the "
             "docstring's (x − μ)/√(σ² + eps)·γ + β written with torch ops")

op("batch_norm", [lambda x, rm, rv, w, b, **k: F.batch_norm(x, rm, rv, w, b, **k)],
   lambda x, rm, rv, w, b, **k: TF.batch_norm(x, rm, rv, w, b, **k), _batch_norm_sample,
   torch_by_kind=dict(extreme=_composed_batch_norm), deliberate=_NORM_WHY,
   covers=("F.batch_norm",), kinds=STRUCT_KINDS,
   note="training and eval; the running statistics updated in place are compared too")


def _layer_norm_sample(c):
    norm = c.shape(1, 2, (1, 2, 3))
    shape = c.shape(0, 2, (1, 2, 3)) + norm
    weight = c.x(norm) if c.bool() else None
    bias = c.x(norm) if c.bool() else None
    return [c.x(shape), weight, bias], dict(normalized_shape=norm, eps=c.pick([1e-5, 0.1]))


op("layer_norm", [lambda x, w, b, normalized_shape, eps: F.layer_norm(x, normalized_shape, w,
                                                                        b, eps)],
   lambda x, w, b, normalized_shape, eps: TF.layer_norm(x, normalized_shape, w, b, eps),
   _layer_norm_sample, covers=("F.layer_norm",), kinds=STRUCT_KINDS,
   torch_by_kind=dict(extreme=_composed_layer_norm), deliberate=_NORM_WHY)


def _normalize_sample(c):
    shape = c.shape(1, 3)
    return [c.x(shape)], dict(dim=c.axis(len(shape)), eps=c.pick([1e-12, 0.5]))


op("normalize", [lambda x, dim, eps: F.normalize(x, dim=dim, eps=eps),
                 lambda x, dim, eps: F.normalize(x, 2, dim, eps)],
   lambda x, dim, eps: TF.normalize(x, 2.0, dim, eps), _normalize_sample,
   covers=("F.normalize",), kinds=ROW_KINDS,
   note="p=2 (other p: normalize_p)")


def _dropout_sample(c):
    return [c.x(c.shape())], dict(p=c.pick([0.0, 0.3, 0.5, 1.0]), training=c.bool(),
                                  seed=c.int(0, 1000))


def _mg_dropout(x, p, training, seed):
    mg.manual_seed(seed)
    return F.dropout(x, p, training)


def _torch_dropout(x, p, training, seed):
    if not training or p == 0:
        return x
    if p == 1:
        return x * 0.0
    mg.manual_seed(seed)     # the mask minigrad draws: keep where U[0, 1) ≥ p
    keep = np.asarray(mg.rand(*x.shape, dtype=np.float64).numpy()) >= p
    return x * torch.from_numpy(np.asarray(keep.astype(np.float64) / (1 - p)))


op("dropout", [_mg_dropout], _torch_dropout, _dropout_sample, covers=("F.dropout",),
   deliberate="the mask comes from minigrad's generator (torch's random stream differs): "
              "the twin applies the same mask, so the scaling x·mask/(1 − p) and the gradient "
              "are compared")


def _embedding_sample(c):
    n, d = c.pick([1, 2, 3, 4]), c.pick([1, 2, 3])
    idx = c.rng.integers(0, n, size=c.shape(0, 2))
    pad = c.pick([None, None] + list(range(-n, n)))
    return [C(idx.astype(np.int64)), c.x((n, d))], dict(padding_idx=pad)


op("embedding", [lambda i, w, padding_idx: F.embedding(i, w, padding_idx)],
   lambda i, w, padding_idx: TF.embedding(i, w, padding_idx), _embedding_sample,
   covers=("F.embedding",), note="repeated indices (gradients add), negative padding_idx")

# ==== nn.functional: activations ==============================================================

op("leaky_relu", [lambda x, s: F.leaky_relu(x, s)], lambda x, s: TF.leaky_relu(x, s),
   lambda c: ([c.x(c.shape()), c.pick([0.01, 0.2, 0.0, 1.5])], {}), covers=("F.leaky_relu",))
op("gelu", [lambda x, approximate: F.gelu(x, approximate)],
   lambda x, approximate: TF.gelu(x, approximate=approximate),
   lambda c: ([c.x(c.shape())], dict(approximate=c.pick(["none", "tanh"]))), covers=("F.gelu",))
op("erf", [F.erf], torch.erf, unary(), covers=("F.erf",),
   note="public in nn.functional though not in its __all__ (GELU's building block)")
op("softplus", [lambda x, beta, threshold: F.softplus(x, beta, threshold)],
   lambda x, beta, threshold: TF.softplus(x, beta, threshold),
   lambda c: ([c.x(c.shape())], dict(beta=c.pick([1.0, 2.0, 0.5]),
                                     threshold=c.pick([20.0, 1.0, 5.0]))),
   covers=("F.softplus",))
op("elu", [lambda x, alpha: F.elu(x, alpha)], lambda x, alpha: TF.elu(x, alpha),
   lambda c: ([c.x(c.shape())], dict(alpha=c.pick([1.0, 0.5, 2.0]))), covers=("F.elu",))

# ==== nn.functional: losses ===================================================================

_REDUCTIONS = ("mean", "sum", "none")


def _pair_loss_sample(db="real", **options):
    def sample(c):
        shape = c.shape()
        kw = {k: c.pick(v) for k, v in options.items()}
        return [c.x(shape), c.x(shape, db)], dict(reduction=c.pick(_REDUCTIONS), **kw)
    return sample


op("mse_loss", [lambda x, y, **k: F.mse_loss(x, y, **k)], lambda x, y, **k: TF.mse_loss(x, y, **k),
   _pair_loss_sample(), covers=("F.mse_loss",))
op("l1_loss", [lambda x, y, **k: F.l1_loss(x, y, **k)], lambda x, y, **k: TF.l1_loss(x, y, **k),
   _pair_loss_sample(), covers=("F.l1_loss",))
op("huber_loss", [lambda x, y, **k: F.huber_loss(x, y, **k)],
   lambda x, y, **k: TF.huber_loss(x, y, **k), _pair_loss_sample(delta=[1.0, 0.5, 2.0]),
   covers=("F.huber_loss",), note="the edge kind puts |x − y| on δ (the kink)")
op("smooth_l1_loss", [lambda x, y, **k: F.smooth_l1_loss(x, y, **k)],
   lambda x, y, **k: TF.smooth_l1_loss(x, y, **k), _pair_loss_sample(beta=[1.0, 0.5, 0.0]),
   covers=("F.smooth_l1_loss",))


def _bce_sample(c):
    shape = c.shape()
    weight = C(c.values(shape, "positive")) if c.bool() else None   # torch: no weight gradient
    return [c.x(shape, "prob"), c.x(shape, "prob"), weight], dict(reduction=c.pick(_REDUCTIONS))


def _clamped_log(q):
    """max(log q, −100) with the derivative 0 (not 0·∞) where the clamp holds."""
    inside = q > math.exp(-100)
    return torch.where(inside, torch.log(torch.where(inside, q, 1.0)), -100.0)


def _torch_bce(p, y, w, reduction):
    """torch's binary_cross_entropy (value and d/dp), plus y·(clamped log-ratio) with a zero
    value: its d/dy is minigrad's documented max(log(1 − p), −100) − max(log p, −100)."""
    loss = TF.binary_cross_entropy(p, y.detach(), w, reduction="none")
    logs = _clamped_log(1 - p) - _clamped_log(p)
    extra = (y - y.detach()) * logs
    loss = loss + (extra if w is None else extra * w)
    return loss.sum() if reduction == "sum" else loss.mean() if reduction == "mean" else loss


op("binary_cross_entropy", [lambda p, y, w, **k: F.binary_cross_entropy(p, y, w, **k)],
   _torch_bce, _bce_sample, covers=("F.binary_cross_entropy",),
   kinds=("normal", "edge", "extreme", "huge", "zero_d", "empty"),
   deliberate="d/dtarget is max(log(1 − p), −100) − max(log p, −100), the exact derivative of "
              "the clamped loss both libraries compute (ops/loss.py BinaryCrossEntropy); "
              "torch's target gradient uses the unclamped logs (−inf at p = 0); the twin is "
              "torch's loss and d/dp plus that documented d/dtarget",
   note="input and target in [0, 1] (both refuse others, NaN too: no nonfinite kind); p = 0 "
        "and 1 in the edge kind")


def _bce_logits_sample(c):
    shape = c.shape()
    weight = C(c.values(shape, "positive")) if c.bool() else None   # torch: no weight gradient
    pos = C(c.values(shape[-1:], "positive")) if c.bool() else None  # torch: no gradient
    return [c.x(shape), c.x(shape, "prob"), weight, pos], dict(reduction=c.pick(_REDUCTIONS))


def _stable_bce_logits(x, y, w, pw, reduction):
    """−w·(pw·y·log σ(x) + (1 − y)·log σ(−x)) with torch's logsigmoid: the formula in
    minigrad's docstring, written with torch ops."""
    pos = y * TF.logsigmoid(x)
    loss = -((pos if pw is None else pos * pw) + (1 - y) * TF.logsigmoid(-x))
    loss = loss if w is None else loss * w
    return loss.sum() if reduction == "sum" else loss.mean() if reduction == "mean" else loss


op("binary_cross_entropy_with_logits",
   [lambda x, y, w, pw, **k: F.binary_cross_entropy_with_logits(x, y, w, pos_weight=pw, **k)],
   lambda x, y, w, pw, **k: TF.binary_cross_entropy_with_logits(x, y, w, pos_weight=pw, **k),
   _bce_logits_sample, covers=("F.binary_cross_entropy_with_logits",),
   torch_by_kind=dict(extreme=_stable_bce_logits, huge=_stable_bce_logits),
   deliberate="for |x| ≫ 1 torch's fused (1 − y)·x + (1 + (pw − 1)·y)·(max(−x, 0) + log1p(…)) "
              "cancels terms of size |x| (x = −1e15, y = 1 − 1e−15, pw = 1e−15: 0.69304 against "
              "the exact 0.69344; x = −1e200, y = 1e−200: 0 against 1.0), so in the extreme and "
              "huge kinds the twin is minigrad's documented formula "
              "−w·(pw·y·log σ(x) + (1 − y)·log σ(−x)) with torch's logsigmoid")


def _class_problem(c, max_classes=4, smoothing=True, ignore=True):
    """Logits, targets and options of a classification loss, in one of torch's layouts."""
    layout = c.pick(["NC", "NC", "C", "NCd"])
    ncls = c.int(1, max_classes)
    n = c.pick([1, 2, 3, 0])
    if layout == "C":
        xshape, tshape = (ncls,), ()
    elif layout == "NC":
        xshape, tshape = (n, ncls), (n,)
    else:
        d = c.pick([1, 2])
        xshape, tshape = (n, ncls, d), (n, d)
    target = c.rng.integers(0, ncls, size=tshape).astype(np.int64)
    options = dict(reduction=c.pick(_REDUCTIONS))
    if ignore and c.bool():
        options["ignore_index"] = c.pick([-100, int(c.rng.integers(ncls))])
        if options["ignore_index"] == -100 and target.size and c.bool():
            target.flat[int(c.rng.integers(target.size))] = -100
    weight = C(c.values((ncls,), "positive", kind="edge" if c.kind == "edge" else "normal")) \
        if c.bool() else None
    if smoothing and c.bool():
        options["label_smoothing"] = c.pick([0.1, 0.5, 1.0])
    return c.x(xshape), C(target), weight, options


def _ce_sample(c):
    x, t, w, options = _class_problem(c)
    return [x, t, w], options


op("cross_entropy", [lambda x, t, w, **k: F.cross_entropy(x, t, w, **k)],
   lambda x, t, w, **k: TF.cross_entropy(x, t, w, **k), _ce_sample,
   kinds=STRUCT_KINDS + ("masked",),
   covers=("F.cross_entropy",),
   note="layouts (N, C), (C,) and (N, C, d); class weights (zeros in the edge kind), "
        "ignore_index (some or every target ignored), label smoothing, reductions")


def _nll_sample(c):
    x, t, w, options = _class_problem(c, smoothing=False)
    return [x, t, w], options


op("nll_loss", [lambda x, t, w, **k: F.nll_loss(x, t, w, **k)],
   lambda x, t, w, **k: TF.nll_loss(x, t, w, **k), _nll_sample, covers=("F.nll_loss",),
   kinds=STRUCT_KINDS)


def _margin_sample(c):
    x, t, w, options = _class_problem(c, smoothing=False, ignore=False)
    if len(x.array.shape) == 3:   # multi_margin_loss takes (N, C) or (C,)
        x, t = X(x.array[..., 0]), C(t.array[..., 0])
    return [x, t, w], dict(options, p=c.pick([1, 2]), margin=c.pick([1.0, 0.5, 0.0]))


def _exact_multi_margin(x, t, w, reduction, p, margin):
    """Σ_{c ≠ t} max(0, (x_c − x_t) + margin)^p·w_t / C with torch ops: the hinge summed in the
    order that is exact when x_c = x_t (minigrad's docstring formula)."""
    rows, tt = (x.unsqueeze(0), t.reshape(1)) if x.dim() == 1 else (x, t)
    n, ncls = rows.shape
    picked = rows[torch.arange(n), tt].unsqueeze(1)
    hinge = torch.relu((rows - picked) + margin) ** p
    mask = torch.ones(n, ncls, dtype=rows.dtype)
    mask[torch.arange(n), tt] = 0
    if w is not None:
        mask = mask * w[tt].unsqueeze(1)
    per_row = (hinge * mask).sum(1) / ncls
    if reduction == "none":
        return per_row.reshape(()) if x.dim() == 1 else per_row
    return per_row.sum() if reduction == "sum" else per_row.mean()


def _torch_multi_margin(x, t, w, **k):
    if x.numel() == 0 and k["reduction"] == "mean":
        # torch returns uninitialised memory here (6.9e−310 was seen); the mean of nothing is
        # NaN, as torch's other losses give
        return x.sum() * float("nan")
    return TF.multi_margin_loss(x, t, weight=w, **k)


op("multi_margin_loss", [lambda x, t, w, **k: F.multi_margin_loss(x, t, weight=w, **k)],
   _torch_multi_margin, _margin_sample,
   torch_by_kind=dict(extreme=_exact_multi_margin, huge=_exact_multi_margin),
   deliberate="torch's kernel forms margin − x_t + x_c left to right, losing the margin when "
              "|x| ≫ margin (x_t = x_c = −1e30, margin 1: torch's hinge 0, the exact one 1); in "
              "the extreme and huge kinds the twin is the docstring's formula with torch ops, "
              "summed as (x_c − x_t) + margin",
   covers=("F.multi_margin_loss",), kinds=STRUCT_KINDS)


def _kl_sample(c):
    shape = c.shape()
    log_target = c.bool()
    target = c.x(shape) if log_target else c.x(shape, "prob")
    return [c.x(shape), target], dict(reduction=c.pick(_REDUCTIONS + ("batchmean",)),
                                      log_target=log_target)


op("kl_div", [lambda x, y, **k: F.kl_div(x, y, **k)], lambda x, y, **k: TF.kl_div(x, y, **k),
   _kl_sample, covers=("F.kl_div",),
   note="the target differentiable too; exact-zero targets in the edge kind")


def _info_nce_sample(c):
    n, d = c.pick([1, 2, 3]), c.pick([1, 2, 3])
    return [c.x((n, d)), c.x((n, d))], dict(temperature=c.pick([0.1, 1.0, 0.5]),
                                            reduction=c.pick(_REDUCTIONS))


def _torch_info_nce(a, b, temperature, reduction):
    logits = TF.normalize(a, dim=1) @ TF.normalize(b, dim=1).T / temperature
    return TF.cross_entropy(logits, torch.arange(a.shape[0]), reduction=reduction)


op("info_nce", [lambda a, b, **k: F.info_nce(a, b, **k)], _torch_info_nce, _info_nce_sample,
   covers=("F.info_nce",), kinds=STRUCT_KINDS,
   deliberate="minigrad-only loss (torch has none): the twin is its docstring's formula "
              "written with torch ops, cross_entropy(normalize(a) @ normalize(b).T / T, "
              "arange(N))")

# ==== ops: the patch kernels ==================================================================


def _im2col_geometry(c):
    kh, kw = c.pick([1, 2, 3]), c.pick([1, 2, 3])
    s, p, d = (c.pick([1, 2]), c.pick([1, 2])), (c.pick([0, 1]), c.pick([0, 1])), \
        (c.pick([1, 2]), c.pick([1, 2]))
    h = c.int(max(1, d[0] * (kh - 1) + 1 - 2 * p[0]), d[0] * (kh - 1) + 3)
    w = c.int(max(1, d[1] * (kw - 1) + 1 - 2 * p[1]), d[1] * (kw - 1) + 3)
    oh = (h + 2 * p[0] - d[0] * (kh - 1) - 1) // s[0] + 1
    ow = (w + 2 * p[1] - d[1] * (kw - 1) - 1) // s[1] + 1
    return (c.pick([1, 2]), c.pick([1, 2]), h, w), (kh, kw), s, p, d, (oh, ow)


def _im2col_sample(c):
    shape, k, s, p, d, _ = _im2col_geometry(c)
    return [c.x(shape)], dict(kernel_size=k, stride=s, padding=p, dilation=d)


def _torch_im2col(x, kernel_size, stride, padding, dilation):
    n, ch, h, w = x.shape
    cols = TF.unfold(x, kernel_size, dilation=dilation, padding=padding, stride=stride)
    oh = (h + 2 * padding[0] - dilation[0] * (kernel_size[0] - 1) - 1) // stride[0] + 1
    ow = (w + 2 * padding[1] - dilation[1] * (kernel_size[1] - 1) - 1) // stride[1] + 1
    return cols.reshape(n, ch, *kernel_size, oh, ow).permute(1, 2, 3, 0, 4, 5)


op("im2col", [lambda x, **k: ops.im2col(x, **k)], _torch_im2col, _im2col_sample,
   covers=("ops.im2col",), kinds=STRUCT_KINDS,
   note="twin: torch's unfold, laid out (C, KH, KW, N, OH, OW)")


def _col2im_sample(c):
    (n, ch, h, w), k, s, p, d, (oh, ow) = _im2col_geometry(c)
    return [c.x((ch,) + k + (n, oh, ow))], dict(image_size=(h, w), stride=s, padding=p,
                                                 dilation=d)


def _torch_col2im(cols, image_size, stride, padding, dilation):
    ch, kh, kw, n, oh, ow = cols.shape
    flat = cols.permute(3, 0, 1, 2, 4, 5).reshape(n, ch * kh * kw, oh * ow)
    return TF.fold(flat, image_size, (kh, kw), dilation=dilation, padding=padding, stride=stride)


op("col2im", [lambda x, **k: ops.col2im(x, **k)], _torch_col2im, _col2im_sample,
   covers=("ops.col2im",), kinds=STRUCT_KINDS, note="twin: torch's fold")


