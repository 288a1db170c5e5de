"""torch.nn.functional, in minigrad: the layers and losses as functions of tensors.

Everything here is a composition of minigrad ops (so gradcheck and gradgradcheck hold by
construction) except three fused pieces: conv2d's patches (``ops/conv.py``: im2col/col2im
kernels), cross_entropy (``ops/loss.py``: one log-softmax + NLL kernel forward and backward),
and erf for the exact GELU (``ops/special.py``: a kernel; numpy has none). Argument names,
defaults and reductions are torch's. Bad input raises a ValueError/TypeError naming the value.
"""
import math
import numbers

import numpy as np

from .. import ops
from ..creation import arange, rand
from ..ops import conv as _conv
from ..ops.linalg import matmul_bt as _matmul_bt
from ..ops import loss as _loss
from ..ops import norm as _norm
from ..ops.special import Erf
from .._operands import _const
from ..tensor import Tensor

__all__ = [
    "linear", "conv2d", "max_pool2d", "avg_pool2d", "batch_norm", "layer_norm", "dropout",
    "embedding", "relu", "leaky_relu", "gelu", "softplus", "elu", "sigmoid", "tanh", "softmax",
    "log_softmax", "normalize", "cross_entropy", "nll_loss", "mse_loss", "l1_loss",
    "huber_loss", "smooth_l1_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits",
    "multi_margin_loss", "kl_div", "info_nce",
]


def _tensor(x, name):
    if not isinstance(x, Tensor):
        raise TypeError(f"{name} must be a Tensor, got {type(x).__name__}")
    return x


def _pair(v, name):
    if isinstance(v, numbers.Integral):
        return (int(v), int(v))
    if isinstance(v, (tuple, list)) and len(v) == 2 and all(isinstance(i, numbers.Integral)
                                                            for i in v):
        return (int(v[0]), int(v[1]))
    raise TypeError(f"{name} must be an int or a pair of ints, got {v!r}")


# ---- linear and convolution -----------------------------------------------------------------

def linear(input, weight, bias=None):
    """y = x Wᵀ + b, W of shape (out_features, in_features).

    dy/dx: G ↦ G W,  dy/dW: G ↦ Gᵀ x (summed over leading axes),  dy/db: G ↦ Σ_rows G.
    """
    _tensor(input, "linear: input")
    if input.ndim == 0 or input.shape[-1] != weight.shape[1]:
        raise ValueError(f"linear: the layer takes in_features={weight.shape[1]} but the input's "
                         f"last dimension is {input.shape[-1] if input.ndim else None} "
                         f"(input shape {input.shape})")
    if input.ndim == 2:
        y = _matmul_bt(input, weight)
    else:  # (…, in) -> rows -> (…, out)
        y = _matmul_bt(input.reshape(-1, weight.shape[1]), weight).reshape(
            input.shape[:-1] + (weight.shape[0],))
    return y if bias is None else y + bias


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """out[n, o] = Σ_c Σ_ij W[o, c, i, j]·x[n, c, oh·sh + i·dh − ph, ow·sw + j·dw − pw] + b[o]

    computed as one GEMM: W (O, C·KH·KW) @ im2col(x) viewed (C·KH·KW, N·OH·OW).
    """
    _tensor(input, "conv2d: input")
    if groups != 1:
        raise ValueError(f"conv2d: only groups=1 is implemented, got groups={groups}")
    _tensor(weight, "conv2d: weight")
    if input.ndim != 4 or weight.ndim != 4:
        raise ValueError(f"conv2d expects a 4-D input (N, C, H, W) and a 4-D weight "
                         f"(O, C, KH, KW), got {input.shape} and {weight.shape}")
    o, c, kh, kw = weight.shape
    if input.shape[1] != c:
        raise ValueError(f"conv2d: the weight {weight.shape} expects {c} input channels but the "
                         f"input {input.shape} has {input.shape[1]}")
    stride, padding, dilation = (_pair(stride, "stride"), _pair(padding, "padding"),
                                 _pair(dilation, "dilation"))
    if min(stride) < 1 or min(dilation) < 1 or min(padding) < 0:
        raise ValueError(f"conv2d: stride {stride} and dilation {dilation} must be ≥ 1 and "
                         f"padding {padding} ≥ 0")
    n, _, h, w = input.shape
    oh = _conv.conv_output_size(h, kh, stride[0], padding[0], dilation[0])
    ow = _conv.conv_output_size(w, kw, stride[1], padding[1], dilation[1])
    if oh < 1 or ow < 1:
        raise ValueError(f"conv2d: kernel {(kh, kw)} (dilation {dilation}) is larger than the "
                         f"padded input {(h + 2 * padding[0], w + 2 * padding[1])}")
    cols = _conv.im2col(input, (kh, kw), stride, padding, dilation)
    out = weight.reshape(o, c * kh * kw) @ cols.reshape(c * kh * kw, n * oh * ow)
    out = out.reshape(o, n, oh, ow).permute(1, 0, 2, 3)
    return out if bias is None else out + bias.reshape(1, o, 1, 1)


# ---- pooling ---------------------------------------------------------------------------------

def _pool_patches(input, kernel_size, stride, padding, dilation, what):
    _tensor(input, f"{what}: input")
    if input.ndim != 4:
        raise ValueError(f"{what} expects a 4-D input (N, C, H, W), got shape {input.shape}")
    k = _pair(kernel_size, "kernel_size")
    s = k if stride is None else _pair(stride, "stride")
    p, d = _pair(padding, "padding"), _pair(dilation, "dilation")
    if min(k) < 1 or min(s) < 1 or min(d) < 1 or min(p) < 0:
        raise ValueError(f"{what}: kernel_size {k}, stride {s} and dilation {d} must be "
                         f"positive and padding {p} non-negative")
    if p[0] > k[0] // 2 or p[1] > k[1] // 2:
        raise ValueError(f"{what}: padding {p} must be at most half the kernel size {k}")
    n, c, h, w = input.shape
    oh = _conv.conv_output_size(h, k[0], s[0], p[0], d[0])
    ow = _conv.conv_output_size(w, k[1], s[1], p[1], d[1])
    if oh < 1 or ow < 1:
        raise ValueError(f"{what}: kernel {k} is larger than the padded input of shape "
                         f"{input.shape}")
    return k, s, p, d, (n, c, oh, ow)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1):
    """out[n, c, oh, ow] = max over the window; the gradient goes to the (first) maximum.
    Padding counts as −∞ (never the maximum), as torch."""
    k, s, p, d, (n, c, oh, ow) = _pool_patches(input, kernel_size, stride, padding, dilation,
                                               "max_pool2d")
    x = input
    if p != (0, 0):
        x = _pad_constant(x, p, -np.inf)
    cols = _conv.im2col(x, k, s, (0, 0), d).reshape(c, k[0] * k[1], n, oh, ow)
    # Pick the first maximum of each window by index (argmax returns the first of ties, and a
    # NaN if the window holds one), so the whole gradient goes to that one element, as torch;
    # amax would split it among tied maxima.
    xp = input.backend.xp
    first = cols.data.argmax(axis=1)                        # (C, N, OH, OW)
    ci, ni, hi, wi = xp.ogrid[:c, :n, :oh, :ow]
    return cols[ci, first, ni, hi, wi].permute(1, 0, 2, 3)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """out[n, c, oh, ow] = mean over the window (zero padding counted, as torch's default)."""
    if ceil_mode:
        raise ValueError("avg_pool2d: ceil_mode=True is not implemented")
    k, s, p, d, (n, c, oh, ow) = _pool_patches(input, kernel_size, stride, padding, 1,
                                               "avg_pool2d")
    cols = _conv.im2col(input, k, s, p, d).reshape(c, k[0] * k[1], n, oh, ow)
    total = cols.sum(axis=1).permute(1, 0, 2, 3)
    if divisor_override is not None:
        if not isinstance(divisor_override, numbers.Integral) or divisor_override < 1:
            raise ValueError(f"avg_pool2d: divisor_override must be a positive integer, got "
                             f"{divisor_override!r}")
        return total / float(divisor_override)
    if count_include_pad or p == (0, 0):
        return total / float(k[0] * k[1])
    xp = input.backend.xp
    ones = xp.ones((1, 1) + input.shape[2:], dtype=input.dtype)
    count = xp.empty((1, k[0], k[1], 1, oh, ow), dtype=input.dtype)
    input.backend.im2col(ones, s[0], s[1], p[0], p[1], 1, 1, count)
    return total / _const(count.sum(axis=(1, 2)).reshape(1, 1, oh, ow), input)


def _pad_constant(x, padding, value):
    """x (N, C, H, W) with `value` rows/columns around it (differentiable in x)."""
    ph, pw = padding
    n, c, h, w = x.shape
    xp = x.backend.xp
    if pw:
        side = _const(xp.full((n, c, h, pw), value, dtype=x.dtype), x)
        x = ops.concatenate([side, x, side], axis=3)
    if ph:
        top = _const(xp.full((n, c, ph, w + 2 * pw), value, dtype=x.dtype), x)
        x = ops.concatenate([top, x, top], axis=2)
    return x


# ---- normalisation ---------------------------------------------------------------------------

def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    """y = (x − μ)/√(σ² + eps)·γ + β over every axis but the channel axis 1.

    training: μ, σ² are the batch mean and *biased* variance, and the running estimates are
    updated in place as torch does: r ← (1 − momentum)·r + momentum·stat, with the *unbiased*
    variance σ²·m/(m − 1) for running_var (m values per channel). Otherwise: the running ones.
    """
    _tensor(input, "batch_norm: input")
    if input.ndim < 2:
        raise ValueError(f"batch_norm expects (N, C, ...), got shape {input.shape}")
    c = input.shape[1]
    axes = (0,) + tuple(range(2, input.ndim))
    shape = (1, c) + (1,) * (input.ndim - 2)
    if training:
        m = input.numel() // c
        if m <= 1:
            raise ValueError(f"batch_norm: expected more than 1 value per channel when training, "
                             f"got input of shape {input.shape}")
        xhat, mean, var = _norm.standardize(input, axes, eps)
        if running_mean is not None:
            running_mean.data[...] = ((1 - momentum) * running_mean.data
                                      + momentum * mean.data.reshape(c))
        if running_var is not None:
            running_var.data[...] = ((1 - momentum) * running_var.data
                                     + momentum * var.data.reshape(c) * (m / (m - 1)))
    else:
        if running_mean is None or running_var is None:
            raise ValueError("batch_norm: eval mode needs running_mean and running_var")
        mean = running_mean.detach().reshape(shape)
        var = running_var.detach().reshape(shape)
        xhat = (input - mean) / (var + eps).sqrt()
    if weight is not None:
        xhat = xhat * weight.reshape(shape)
    if bias is not None:
        xhat = xhat + bias.reshape(shape)
    return xhat


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """y = (x − μ)/√(σ² + eps)·γ + β over the last len(normalized_shape) axes (biased σ²)."""
    _tensor(input, "layer_norm: input")
    shape = (normalized_shape,) if isinstance(normalized_shape, numbers.Integral) else tuple(
        normalized_shape)
    if tuple(input.shape[input.ndim - len(shape):]) != shape:
        raise ValueError(f"layer_norm: normalized_shape {shape} does not match the trailing "
                         f"dimensions of the input {input.shape}")
    axes = tuple(range(input.ndim - len(shape), input.ndim))
    y, _, _ = _norm.standardize(input, axes, eps)
    if weight is not None:
        y = y * weight
    if bias is not None:
        y = y + bias
    return y


def normalize(input, p=2.0, dim=1, eps=1e-12):
    """x / max(‖x‖_p, eps) along dim (p = 2 only), as torch.nn.functional.normalize."""
    _tensor(input, "normalize: input")
    if p != 2 and p != 2.0:
        raise ValueError(f"normalize: only p=2 is implemented, got p={p}")
    return _norm.l2_normalize(input, dim, eps)


# ---- dropout and embedding -------------------------------------------------------------------

def dropout(input, p=0.5, training=True):
    """Inverted dropout: y = x·mask/(1 − p), mask ~ Bernoulli(1 − p); identity when not training."""
    _tensor(input, "dropout: input")
    if not isinstance(p, numbers.Real) or not 0 <= p <= 1:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0:
        return input
    if p == 1:
        return input * 0.0
    keep = rand(*input.shape, dtype=input.dtype, device=input.device).data >= p
    mask = keep.astype(input.dtype) / input.dtype.type(1 - p)
    return input * _const(mask, input)


def embedding(input, weight, padding_idx=None):
    """Rows of weight (num_embeddings, dim) picked by the integer tensor input; the row at
    padding_idx gets no gradient."""
    _tensor(input, "embedding: input")
    if input.dtype.kind not in "iu":
        raise TypeError(f"embedding: indices must be an integer tensor, got {input.dtype}")
    n = weight.shape[0]
    idx = input.data
    if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= n):
        bad = int(idx.min()) if int(idx.min()) < 0 else int(idx.max())
        raise IndexError(f"embedding: index {bad} is out of range for {n} embeddings")
    out = weight[input]
    if padding_idx is not None:
        if not isinstance(padding_idx, numbers.Integral) or not -n <= padding_idx < n:
            raise ValueError(f"embedding: padding_idx must be within num_embeddings ({n}), got "
                             f"{padding_idx!r}")
        padding_idx = int(padding_idx) % n     # −1 is the last row, as torch
        keep = _const(idx != padding_idx, weight)
        if keep.ndim < out.ndim:
            keep = Tensor._wrap(keep.data[..., None].repeat(out.shape[-1], axis=-1), out.device)
        out = ops.where(keep, out, out.detach())
    return out


# ---- activations -----------------------------------------------------------------------------

def relu(input):
    """max(x, 0)"""
    return _tensor(input, "relu: input").relu()


def sigmoid(input):
    return _tensor(input, "sigmoid: input").sigmoid()


def tanh(input):
    return _tensor(input, "tanh: input").tanh()


def softmax(input, dim=None):
    return _tensor(input, "softmax: input").softmax(-1 if dim is None else dim)


def log_softmax(input, dim=None):
    return _tensor(input, "log_softmax: input").log_softmax(-1 if dim is None else dim)


def leaky_relu(input, negative_slope=0.01):
    """x if x > 0 else negative_slope·x"""
    _tensor(input, "leaky_relu: input")
    return ops.where(input > 0, input, input * float(negative_slope))


def elu(input, alpha=1.0):
    """x if x > 0 else α·(exp(x) − 1)   (expm1 of the non-positive part only: no overflow,
    and exact for tiny negatives, where exp(x) − 1 cancels)"""
    _tensor(input, "elu: input")
    negative = ops.where(input > 0, 0.0, input)
    return ops.where(input > 0, input, negative.expm1() * float(alpha))


def softplus(input, beta=1.0, threshold=20.0):
    """(1/β)·log(1 + exp(β·x)), and x itself where β·x > threshold (as torch).

    log(1 + exp(z)) = z + log(1 + exp(−z)) for z > 0: each branch only exponentiates a
    non-positive number, so neither overflows (nor gives 0·inf in the backward). Accuracy: the
    absolute error is below 1e-16 everywhere, but far left (β·x < −30) the value is tiny and
    computed as log(1 + tiny), so only a few digits of it are right (the engine has no log1p).
    """
    _tensor(input, "softplus: input")
    z = input * float(beta)
    pos = ops.where(z > 0, z, 0.0)
    neg = ops.where(z > 0, 0.0, z)
    sp = ops.where(z > 0, pos + ((-pos).exp() + 1.0).log(), (neg.exp() + 1.0).log())
    return ops.where(z > float(threshold), input, sp / float(beta))


def erf(input):
    """erf(x) = (2/√π)∫₀ˣ exp(−t²)dt (the Function, a kernel, is ops/special.py's Erf)."""
    return Erf.apply(_tensor(input, "erf: input"))


def gelu(input, approximate="none"):
    """Exact (torch's default): 0.5·x·(1 + erf(x/√2)) = x·Φ(x), derivative Φ(x) + x·φ(x).
    approximate="tanh": 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))."""
    _tensor(input, "gelu: input")
    if approximate == "none":
        return input * 0.5 * (erf(input * (1.0 / math.sqrt(2.0))) + 1.0)
    if approximate == "tanh":
        inner = (input + input * input * input * 0.044715) * math.sqrt(2.0 / math.pi)
        return input * 0.5 * (inner.tanh() + 1.0)
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


# ---- losses ----------------------------------------------------------------------------------

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
        raise TypeError(f"{what}: target must hold integer class indices, got {target.dtype}")
    if input.ndim == 0:
        raise ValueError(f"{what}: input must be (C,) or (N, C, ...) class scores, got a 0-d "
                         "tensor")
    if input.ndim == 1:
        input = input.unsqueeze(0)
        target_shape = (1,)
        tgt = target.data.reshape(1) if target.ndim == 0 else None
    else:
        tgt = None
        target_shape = (input.shape[0],) + tuple(input.shape[2:])
    if tgt is None:
        if tuple(target.shape) != target_shape:
            raise ValueError(f"{what}: input {input.shape} needs a target of shape "
                             f"{target_shape}, got {target.shape}")
        tgt = target.data
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


def _class_weight(weight, c, like, what):
    xp = like.backend.xp
    if weight is None:
        return xp.ones(c, dtype=like.dtype)
    _tensor(weight, f"{what}: weight")
    if weight.shape != (c,):
        raise ValueError(f"{what}: weight must have shape ({c},) (one per class), got "
                         f"{weight.shape}")
    return xp.ascontiguousarray(weight.data.astype(like.dtype))


def cross_entropy(input, target, weight=None, ignore_index=-100, reduction="mean",
                  label_smoothing=0.0):
    """Cross-entropy of logits (N, C) (or (C,), or (N, C, d…)) with integer targets.

        loss_r = (1 − ε)·w_t·(−log softmax(x_r)_t) + (ε/C)·Σ_c w_c·(−log softmax(x_r)_c)
        mean:  Σ_r loss_r / Σ_r w_{t_r}  (over rows whose target is not ignore_index)

    One fused log-softmax + NLL kernel forward and backward (ops/loss.py).
    """
    _check_reduction(reduction, "cross_entropy")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be in [0, 1], got "
                         f"{label_smoothing}")
    rows, tgt, out_shape = _class_rows(input, target, "cross_entropy", ignore_index)
    w = _class_weight(weight, rows.shape[1], rows, "cross_entropy")
    per_row = _loss.cross_entropy_rows(rows, tgt, w, label_smoothing, ignore_index)
    return _weighted_reduce(per_row, tgt, w, ignore_index, reduction, out_shape, input.ndim)


def _weighted_reduce(per_row, tgt, w, ignore_index, reduction, out_shape, ndim):
    if reduction == "none":
        return per_row.reshape(()) if ndim == 1 else per_row.reshape(out_shape)
    if reduction == "sum":
        return per_row.sum()
    xp = per_row.backend.xp
    valid = tgt != ignore_index
    denom = float(w[xp.where(valid, tgt, 0)][valid].sum())
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
        data = t.data
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
    if not log_target and target.data.size and float(target.data.min()) < 0:
        raise ValueError(f"kl_div: target must hold probabilities (≥ 0), got a value "
                         f"{float(target.data.min())}; pass log_target=True for log-probabilities")
    if log_target:
        loss = target.exp() * (target - input)
    else:
        # 0·log 0 = 0: where the target is 0 the log is taken of 1 instead (no −inf, no NaN)
        mask = Tensor._wrap(target.data > 0, target.device)
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
