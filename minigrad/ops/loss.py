"""Cross-entropy as one fused log-softmax + NLL Function, forward and backward.

Per row r of logits x (N, C) with target class t, class weights w and label smoothing ε
(p = softmax(x[r]), −log p_c = logsumexp(x[r]) − x[r, c]):

    loss[r] = (1 − ε)·w_t·(−log p_t) + (ε/C)·Σ_c w_c·(−log p_c)          (0 if t is ignored)
    dloss[r]/dx[r] = (1 − ε)·w_t·(p − onehot(t)) + (ε/C)·(W·p − w),       W = Σ_c w_c

(from d(−log p_k)/dx_c = p_c − [c = k]). The forward kernel keeps p; the backward kernel
applies the formula in one pass. With ``create_graph=True`` the same formula runs with Tensor
ops on p = softmax(x), so second derivatives are exact. The Function returns the per-row losses;
the reduction (sum, or the weighted mean Σ_r loss[r] / Σ_r w_{t_r}) is done with ops by
``nn.functional.cross_entropy``.
"""
import numpy as np

from ..autograd import Function, backward_is_differentiated
from ..backend import array_module, contiguous
from ..tensor import Tensor
from .elementwise import maximum


class CrossEntropyRows(Function):
    """loss[r] = (1 − ε)·w_t·(−log p_t) + (ε/C)·Σ_c w_c·(−log p_c), p = softmax(x[r])
    dloss[r]/dx[r] = (1 − ε)·w_t·(p − onehot(t)) + (ε/C)·(W·p − w)"""

    @staticmethod
    def forward(ctx, x, target, weight, label_smoothing, ignore_index):
        backend = x.backend
        xp = backend.xp
        a = contiguous(x.array)
        probs = xp.empty_like(a)
        loss = xp.empty(a.shape[0], dtype=a.dtype)
        backend.cross_entropy_forward(a, target, weight, label_smoothing, ignore_index, probs,
                                      loss)
        ctx.probs = probs
        ctx.args = (target, weight, label_smoothing, ignore_index)
        return loss

    @staticmethod
    def backward(ctx, grad):
        target, weight, eps, ignore_index = ctx.args
        x = ctx.inputs[0]
        backend = x.backend
        xp = backend.xp
        if not backward_is_differentiated():
            out = xp.empty_like(ctx.probs)
            backend.cross_entropy_backward(ctx.probs, target, weight, eps, ignore_index,
                                           contiguous(grad.array), out)
            return Tensor._wrap(out, x.device), None, None, None, None
        return _readable_backward(x, grad, target, weight, eps, ignore_index), None, None, None, None


def _readable_backward(x, grad, target, weight, eps, ignore_index):
    """grad[r]·((1 − ε)·w_t·(p − onehot(t)) + (ε/C)·(W·p − w)) with Tensor ops (differentiable)."""
    xp = x.backend.xp
    n, c = x.shape
    keep = target != ignore_index
    t = xp.where(keep, target, 0)
    onehot = xp.zeros((n, c), dtype=x.dtype)
    onehot[xp.arange(n), t] = 1
    a = xp.where(keep, (1 - eps) * weight[t], 0).astype(x.dtype)[:, None]
    b = xp.where(keep, eps / c, 0).astype(x.dtype)[:, None]
    const = lambda arr: Tensor._wrap(arr, x.device)  # noqa: E731
    p = x.softmax(-1)
    per_row = const(a) * (p - const(onehot)) + const(b) * (p * float(weight.sum()) - const(weight))
    return grad.unsqueeze(1) * per_row


def cross_entropy_rows(x, target, weight, label_smoothing, ignore_index):
    """Per-row losses (N,) of logits x (N, C); target an int64 array, weight a (C,) array."""
    return CrossEntropyRows.apply(x, target, weight, float(label_smoothing), int(ignore_index))


class BinaryCrossEntropy(Function):
    """loss = −(y·max(log p, −100) + (1 − y)·max(log(1 − p), −100))     elementwise, as torch

    dloss/dp = (p − y) / max(p·(1 − p), ε),   ε = 1e-12
    dloss/dy = max(log(1 − p), −100) − max(log p, −100)

    Differentiating the clamped logs would give 0·inf = NaN at p = 0 or 1 (in float32 a
    saturated sigmoid rounds to exactly 1.0 in ordinary training); torch's rule, used here,
    is the exact derivative for 0 < p < 1 and finite at the ends (0 where p = y).
    """

    @staticmethod
    def forward(ctx, p, y):
        ctx.save_for_backward(p, y)
        log_p, log_q = _clamped_logs(p.array)
        return -(y.array * log_p + (1 - y.array) * log_q)

    @staticmethod
    def backward(ctx, grad):
        p, y = ctx.saved_tensors
        grad_p = grad_y = None
        if ctx.needs_input_grad[0]:
            grad_p = grad * (p - y) / maximum(p * (1.0 - p), 1e-12)
        if ctx.needs_input_grad[1]:
            if backward_is_differentiated():   # with create_graph: the logs as ops, so d/dp is recorded
                grad_y = grad * (maximum((1.0 - p).log(), -100.0)
                                 - maximum(p.log(), -100.0))
            else:
                log_p, log_q = _clamped_logs(p.array)
                grad_y = grad * Tensor._wrap(log_q - log_p, p.device)
        return grad_p, grad_y


def _clamped_logs(p):
    """(max(log p, −100), max(log(1 − p), −100)) of an array, without log(0) warnings."""
    xp = array_module(p)
    with np.errstate(divide="ignore"):
        return xp.maximum(xp.log(p), -100.0), xp.maximum(xp.log(1 - p), -100.0)
