"""The losses of nn.functional (their modules are nn/loss.py), with torch's arguments,
defaults and reductions. Compositions of ops, except the fused cross-entropy of class-index
targets and the clamped binary cross-entropy (ops/loss.py: one Function each, their derivatives
in the docstrings there).
"""
import numpy as np

from .. import ops
from .._operands import _const
from ..backend import array_module
from ..creation import arange
from ..ops import loss as _loss
from ..tensor import Tensor
from ._activation_functions import softplus
from ._arguments import _tensor
from ._norm_functions import normalize

_REDUCTIONS = ("mean", "sum", "none")


def _reduce(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _check_reduction(reduction, what):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{what}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _same_shape(input, target, what):
    _tensor(input, f"{what}: input")
    _tensor(target, f"{what}: target")
    if input.shape != target.shape:
        raise ValueError(f"{what}: input {input.shape} and target {target.shape} must have the "
                         "same shape (nothing is broadcast)")


def _class_rows(input, target, what, ignore_index):
    """(rows (M, C), targets (M,) int64 array): class axis 1 moved last, checked."""
    _tensor(input, f"{what}: input")
    _tensor(target, f"{what}: target")
    if target.dtype.kind not in "iu":
        raise TypeError(f"{what}: target must hold integer class indices, got {target.dtype} "
                        f"of shape {target.shape}" + (
                            f" (class probabilities need the input's shape {input.shape})"
                            if what == "cross_entropy" else ""))
    if input.ndim == 0:
        raise ValueError(f"{what}: input must be (C,) or (N, C, ...) class scores, got a 0-d "
                         "tensor")
    if input.ndim == 1:
        input = input.unsqueeze(0)
        target_shape = (1,)
        tgt = target.array.reshape(1) if target.ndim == 0 else None
    else:
        tgt = None
        target_shape = (input.shape[0],) + tuple(input.shape[2:])
    if tgt is None:
        if tuple(target.shape) != target_shape:
            raise ValueError(f"{what}: input {input.shape} needs a target of shape "
                             f"{target_shape}, got {target.shape}")
        tgt = target.array
    c = input.shape[1]
    if input.ndim > 2:
        axes = (0,) + tuple(range(2, input.ndim)) + (1,)
        input = input.permute(*axes).reshape(-1, c)
    xp = input.backend.xp
    tgt = xp.ascontiguousarray(tgt.reshape(-1).astype(np.int64))
    valid = tgt != ignore_index
    if tgt.size and bool(((tgt < 0) | (tgt >= c))[valid].any()):
        bad = int(tgt[valid & ((tgt < 0) | (tgt >= c))][0])
        raise IndexError(f"{what}: target class {bad} is out of range for {c} classes "
                         f"(valid: 0..{c - 1})")
    return input, tgt, target_shape


def _plain_targets(input, target, ignore_index):
    """A copy of the targets when the general checks (``_class_rows``) would change nothing:
    2-D logits (N, C), N > 0 contiguous int64 classes, every one in 0..C−1, so none is
    ``ignore_index`` (< 0 here); with unit weights the mean's divisor is then N. None
    otherwise, and the general path runs (with its messages)."""
    if input.ndim != 2 or target.ndim != 1 or ignore_index >= 0:
        return None
    tgt = target.array
    if tgt.dtype != np.int64 or tgt.shape[0] != input.shape[0] or tgt.shape[0] == 0 or \
            not tgt.flags.c_contiguous:
        return None
    # read as unsigned, a negative class is huge: one max() checks 0 ≤ t < C for every row
    if int(tgt.view(np.uint64).max()) >= input.shape[1]:
        return None
    return tgt.copy()  # the backward reads it: a later write to ``target`` must not change that


def _class_weight(weight, c, like, what):
    xp = like.backend.xp
    if weight is None:
        return xp.ones(c, dtype=like.dtype)
    _tensor(weight, f"{what}: weight")
    if weight.shape != (c,):
        raise ValueError(f"{what}: weight must have shape ({c},) (one per class), got "
                         f"{weight.shape}")
    return xp.ascontiguousarray(weight.array.astype(like.dtype))


def cross_entropy(input, target, weight=None, ignore_index=-100, reduction="mean",
                  label_smoothing=0.0):
    """Cross-entropy of logits (N, C) (or (C,), or (N, C, d…)), with p = softmax over C.

    Class-index targets (integer, of shape (N,), () or (N, d…)), torch's formula:

        loss_r = (1 − ε)·w_t·(−log p_t) + (ε/C)·Σ_c w_c·(−log p_c)       (0 if t = ignore_index)
        mean:  Σ_r loss_r / Σ_r w_{t_r}  (over rows whose target is not ignore_index)

    one fused log-softmax + NLL kernel forward and backward (ops/loss.py).

    Class-probability targets (floating, the input's shape: soft labels, mixup):

        loss_r = −Σ_c w_c·q_c·log p_c,   q = (1 − ε)·target + ε/C
        mean:  Σ_r loss_r / (number of rows)      (the weights do not divide here, as torch)

    a composition of ops (log_softmax, products, sums), differentiable in the target too;
    ignore_index does not apply (torch refuses one ≥ 0).
    """
    _check_reduction(reduction, "cross_entropy")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be in [0, 1], got "
                         f"{label_smoothing}")
    _tensor(input, "cross_entropy: input")
    _tensor(target, "cross_entropy: target")
    if target.shape == input.shape and input.ndim > 0:
        return _cross_entropy_probabilities(input, target, weight, ignore_index, reduction,
                                            label_smoothing)
    if weight is None and reduction != "none":
        tgt = _plain_targets(input, target, ignore_index)
        if tgt is not None:  # the usual batch: (N, C) logits, N classes in range, none ignored
            n, c = input.shape
            return _loss.cross_entropy_total(input, tgt, input.backend.xp.ones(c, input.dtype),
                                             label_smoothing, ignore_index,
                                             float(n) if reduction == "mean" else 1.0)
    rows, tgt, out_shape = _class_rows(input, target, "cross_entropy", ignore_index)
    w = _class_weight(weight, rows.shape[1], rows, "cross_entropy")
    divisor = 1.0 if reduction == "sum" else None
    if reduction == "mean":
        divisor = _weight_of_kept_rows(tgt, w, ignore_index)
    if divisor:  # sum, or a mean over some kept rows: the reduction inside the fused node
        return _loss.cross_entropy_total(rows, tgt, w, label_smoothing, ignore_index, divisor)
    per_row = _loss.cross_entropy_rows(rows, tgt, w, label_smoothing, ignore_index)
    return _weighted_reduce(per_row, tgt, w, ignore_index, reduction, out_shape, input.ndim)


def _cross_entropy_probabilities(input, target, weight, ignore_index, reduction, smoothing):
    """−Σ_c w_c·q_c·log softmax(x)_c per row, q the (smoothed) target probabilities."""
    if target.dtype.kind != "f":
        raise TypeError(f"cross_entropy: a target of the input's shape {input.shape} holds class "
                        f"probabilities and must be floating point, got {target.dtype}")
    if ignore_index >= 0:
        raise ValueError(f"cross_entropy: ignore_index ({ignore_index}) is not supported with "
                         "class-probability targets")
    class_axis = 1 if input.ndim > 1 else 0
    c = input.shape[class_axis]
    q = target if smoothing == 0 else target * (1.0 - smoothing) + smoothing / c
    terms = input.log_softmax(class_axis) * q
    if weight is not None:
        _tensor(weight, "cross_entropy: weight")
        if weight.shape != (c,):
            raise ValueError(f"cross_entropy: weight must have shape ({c},) (one per class), "
                             f"got {weight.shape}")
        terms = terms * weight.reshape((c,) + (1,) * (input.ndim - 1 - class_axis))
    if reduction == "none":
        return -terms.sum(axis=class_axis)
    if reduction == "sum":
        return -terms.sum()
    rows = input.numel() // c if c else 0
    if rows == 0:
        return terms.sum() * 0.0 + float("nan")   # the mean of no rows, as torch
    return -terms.sum() / float(rows)


def _weight_of_kept_rows(tgt, w, ignore_index):
    """Σ_r w_{t_r} over the rows whose target is not ignore_index: the mean's divisor."""
    xp = array_module(w)
    valid = tgt != ignore_index
    return float(w[xp.where(valid, tgt, 0)][valid].sum())


def _weighted_reduce(per_row, tgt, w, ignore_index, reduction, out_shape, ndim):
    if reduction == "none":
        return per_row.reshape(()) if ndim == 1 else per_row.reshape(out_shape)
    if reduction == "sum":
        return per_row.sum()
    denom = _weight_of_kept_rows(tgt, w, ignore_index)
    if denom == 0:
        # every target ignored: the mean is 0/0 = NaN, as torch, and no row has a gradient
        # (dividing by 0 would give them inf·0 = NaN instead of torch's 0)
        return per_row.sum() * 0.0 + float("nan")
    return per_row.sum() / denom


def nll_loss(input, target, weight=None, ignore_index=-100, reduction="mean"):
    """loss_r = −w_t·input[r, t] (input holds log-probabilities); mean divides by Σ_r w_{t_r}."""
    _check_reduction(reduction, "nll_loss")
    rows, tgt, out_shape = _class_rows(input, target, "nll_loss", ignore_index)
    w = _class_weight(weight, rows.shape[1], rows, "nll_loss")
    xp = rows.backend.xp
    valid = tgt != ignore_index
    safe = xp.where(valid, tgt, 0)
    coeff = _const(xp.where(valid, w[safe], 0).astype(rows.dtype), rows)
    per_row = -rows[xp.arange(rows.shape[0]), safe] * coeff
    return _weighted_reduce(per_row, tgt, w, ignore_index, reduction, out_shape, input.ndim)


def mse_loss(input, target, reduction="mean"):
    """(x − y)²"""
    _check_reduction(reduction, "mse_loss")
    _same_shape(input, target, "mse_loss")
    d = input - target
    return _reduce(d * d, reduction)


def l1_loss(input, target, reduction="mean"):
    """|x − y|"""
    _check_reduction(reduction, "l1_loss")
    _same_shape(input, target, "l1_loss")
    return _reduce((input - target).abs(), reduction)


def huber_loss(input, target, reduction="mean", delta=1.0):
    """½d² where |d| ≤ δ, else δ·(|d| − ½δ);  d = x − y."""
    _check_reduction(reduction, "huber_loss")
    _same_shape(input, target, "huber_loss")
    if not delta > 0:  # NaN too
        raise ValueError(f"huber_loss: delta must be positive, got {delta}")
    d = input - target
    a = d.abs()
    # the quadratic branch of a clipped d: equal where it is chosen, and finite where it is not,
    # so where's zero gradient into it stays 0 (not 0·∞ = NaN) at d = ±∞
    q = ops.clip(d, -float(delta), float(delta))
    return _reduce(ops.where(a <= delta, q * q * 0.5, (a - 0.5 * delta) * float(delta)),
                   reduction)


def smooth_l1_loss(input, target, reduction="mean", beta=1.0):
    """½d²/β where |d| < β, else |d| − ½β   (= huber_loss(delta=β)/β; beta=0 is l1)."""
    _check_reduction(reduction, "smooth_l1_loss")
    _same_shape(input, target, "smooth_l1_loss")
    if not beta >= 0:  # NaN too
        raise ValueError(f"smooth_l1_loss: beta must be non-negative, got {beta}")
    d = input - target
    a = d.abs()
    if beta == 0:
        return _reduce(a, reduction)
    q = ops.clip(d, -float(beta), float(beta))   # finite in the branch not taken (see huber)
    return _reduce(ops.where(a < beta, q * q * (0.5 / beta), a - 0.5 * beta), reduction)


def binary_cross_entropy(input, target, weight=None, reduction="mean"):
    """−w·(y·log p + (1 − y)·log(1 − p)), the logs clamped at −100 as torch; the gradient
    (p − y)/max(p(1 − p), 1e-12) stays finite at p = 0 and 1 (ops/loss.py)."""
    _check_reduction(reduction, "binary_cross_entropy")
    _same_shape(input, target, "binary_cross_entropy")
    for name, t in (("input", input), ("target", target)):
        data = t.array
        # written so that a NaN fails it too (NaN compares false)
        if data.size and not (float(data.min()) >= 0 and float(data.max()) <= 1):
            raise ValueError(f"binary_cross_entropy: {name} must hold probabilities in [0, 1], "
                             f"got values in [{float(data.min())}, {float(data.max())}]")
    loss = _loss.BinaryCrossEntropy.apply(input, target)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, reduction="mean",
                                     pos_weight=None):
    """−w·(pw·y·log σ(x) + (1 − y)·log(1 − σ(x))), with log σ(x) = −softplus(−x) (stable)."""
    _check_reduction(reduction, "binary_cross_entropy_with_logits")
    _same_shape(input, target, "binary_cross_entropy_with_logits")
    log_sig = -softplus(-input)            # log σ(x)
    log_one_minus = -softplus(input)       # log(1 − σ(x))
    pos = target * log_sig
    if pos_weight is not None:
        pos = pos * pos_weight
    loss = -(pos + (1.0 - target) * log_one_minus)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, reduction="mean"):
    """loss_r = Σ_{c ≠ t} max(0, margin − x[r, t] + x[r, c])^p · w_t / C   (the multiclass hinge)"""
    _check_reduction(reduction, "multi_margin_loss")
    if p not in (1, 2):
        raise ValueError(f"multi_margin_loss: p must be 1 or 2, got {p}")
    rows, tgt, out_shape = _class_rows(input, target, "multi_margin_loss", -(1 << 62))
    n, c = rows.shape
    xp = rows.backend.xp
    picked = rows[xp.arange(n), tgt].unsqueeze(1)
    hinge = (rows - picked + float(margin)).relu()
    if p == 2:
        hinge = hinge * hinge
    not_target = xp.ones((n, c), dtype=rows.dtype)
    not_target[xp.arange(n), tgt] = 0
    if weight is not None:
        w = _class_weight(weight, c, rows, "multi_margin_loss")
        not_target = not_target * w[tgt][:, None]
    per_row = (hinge * _const(not_target, rows)).sum(axis=1) / float(c)
    if reduction == "none":
        return per_row.reshape(()) if input.ndim == 1 else per_row
    return _reduce(per_row, reduction)


def kl_div(input, target, reduction="mean", log_target=False):
    """target·(log target − input), input holding log-probabilities (0 where target = 0).

    reduction="batchmean" divides the sum by the batch size (the true KL per sample); "mean"
    averages over every element, as torch (which warns that it is not the KL).
    """
    if reduction not in _REDUCTIONS + ("batchmean",):
        raise ValueError(f"kl_div: reduction must be 'mean', 'sum', 'none' or 'batchmean', got "
                         f"{reduction!r}")
    _same_shape(input, target, "kl_div")
    if not log_target and target.array.size and float(target.array.min()) < 0:
        raise ValueError(f"kl_div: target must hold probabilities (≥ 0), got a value "
                         f"{float(target.array.min())}; pass log_target=True for log-probabilities")
    if log_target:
        loss = target.exp() * (target - input)
    else:
        # 0·log 0 = 0: where the target is 0 the log is taken of 1 instead (no −inf, no NaN)
        mask = Tensor._wrap(target.array > 0, target.device)
        loss = ops.where(mask, target * (ops.where(mask, target, 1.0).log() - input), 0.0 * input)
    if reduction == "batchmean":
        return loss.sum() / float(input.shape[0]) if input.ndim else loss.sum()
    return _reduce(loss, reduction)


def info_nce(a, b, temperature=0.1, reduction="mean"):
    """Contrastive (InfoNCE) loss: rows of a and b L2-normalised, logits = â·b̂ᵀ/temperature,
    cross-entropy with the positives on the diagonal (row i of a matches row i of b)."""

    _tensor(a, "info_nce: a")
    _tensor(b, "info_nce: b")
    if a.ndim != 2 or a.shape != b.shape:
        raise ValueError(f"info_nce: a and b must be 2-D of the same shape, got {a.shape} and "
                         f"{b.shape}")
    if not temperature > 0:  # NaN too
        raise ValueError(f"info_nce: temperature must be positive, got {temperature}")
    logits = normalize(a, dim=1) @ normalize(b, dim=1).T / float(temperature)
    labels = arange(a.shape[0], dtype=np.int64, device=a.device)
    return cross_entropy(logits, labels, reduction=reduction)
