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
from ..autograd import Function, is_grad_enabled
from ..backend import contiguous
from ..tensor import Tensor


class CrossEntropyRows(Function):
    """loss[r] = (1 − ε)·w_t·(−log p_t) + (ε/C)·Σ_c w_c·(−log p_c), p = softmax(x[r])
    dloss[r]/dx[r] = (1 − ε)·w_t·(p − onehot(t)) + (ε/C)·(W·p − w)"""

    @staticmethod
    def forward(ctx, x, target, weight, label_smoothing, ignore_index):
        backend = x.backend
        xp = backend.xp
        a = contiguous(x.data)
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
        if not is_grad_enabled():
            out = xp.empty_like(ctx.probs)
            backend.cross_entropy_backward(ctx.probs, target, weight, eps, ignore_index,
                                           contiguous(grad.data), out)
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
