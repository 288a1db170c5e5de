"""Cross-entropy as one fused log-softmax + NLL Function, forward and backward.

Per row r of logits x (N, C) with target class t, class weights w and label smoothing ε
(p = softmax(x[r]), −log p_c = logsumexp(x[r]) − x[r, c]):

    loss[r] = (1 − ε)·w_t·(−log p_t) + (ε/C)·Σ_c w_c·(−log p_c)          (0 if t is ignored)
    dloss[r]/dx[r] = (1 − ε)·w_t·(p − onehot(t)) + (ε/C)·(W·p − w),       W = Σ_c w_c

(from d(−log p_k)/dx_c = p_c − [c = k]). The forward kernel keeps p; the backward kernel
applies the formula in one pass. With ``create_graph=True`` the same formula runs with Tensor
ops on p = softmax(x), so second derivatives are exact. CrossEntropyRows returns the per-row
losses (``reduction='none'``); CrossEntropyTotal is the same node with the reduction inside
(sum, or the weighted mean Σ_r loss[r] / Σ_r w_{t_r}), which ``nn.functional.cross_entropy``
uses for 'sum' and 'mean'. Forward mode: jvp[r] = Σ_c dloss[r]/dx[r, c]·t[r, c], the same
row formula (targets and class weights are arrays here, constants without tangents).
"""
import numpy as np

from ..autograd import Function, backward_is_differentiated
from ..backend import array_module, contiguous
from ..tensor import Tensor
from ._tangents import tangent_sum
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
        per_row = _loss_derivative(x, x.softmax(-1), target, weight, eps, ignore_index)
        return grad.unsqueeze(1) * per_row, None, None, None, None

    @staticmethod
    def jvp(ctx, tx, *t_args):
        x = ctx.inputs[0]
        # p recomputed with ops when the tangent's derivative is recorded; else forward's p
        p = x.softmax(-1) if backward_is_differentiated() else Tensor._wrap(ctx.probs, x.device)
        return (_loss_derivative(x, p, *ctx.args) * tx).sum(axis=1)


def _loss_derivative(x, p, target, weight, eps, ignore_index):
    """dloss[r]/dx[r] = (1 − ε)·w_t·(p − onehot(t)) + (ε/C)·(W·p − w) of logits x (N, C) with
    softmax p (a Tensor), with Tensor ops (differentiable)."""
    xp = x.backend.xp
    n, c = x.shape
    keep = target != ignore_index
    t = xp.where(keep, target, 0)
    onehot = xp.zeros((n, c), dtype=x.dtype)
    onehot[xp.arange(n), t] = 1
    a = xp.where(keep, (1 - eps) * weight[t], 0).astype(x.dtype)[:, None]
    b = xp.where(keep, eps / c, 0).astype(x.dtype)[:, None]
    const = lambda arr: Tensor._wrap(arr, x.device)  # noqa: E731
    return const(a) * (p - const(onehot)) + const(b) * (p * float(weight.sum()) - const(weight))


def cross_entropy_rows(x, target, weight, label_smoothing, ignore_index):
    """Per-row losses (N,) of logits x (N, C); target an int64 array, weight a (C,) array."""
    return CrossEntropyRows.apply(x, target, weight, float(label_smoothing), int(ignore_index))


class CrossEntropyTotal(Function):
    """L = (Σ_r loss[r]) / d  with loss[r] of CrossEntropyRows; d = Σ_r w_{t_r} ('mean') or 1
    ('sum'):  dL/dx[r] = (1/d)·dloss[r]/dx[r]

    The reduction of ``cross_entropy`` inside the fused op: one graph node where the per-row
    Function plus ``sum`` and ``/ d`` were three (their recording and backward cost more than
    the kernels on a (128, 1000) batch). The same numbers: the per-row losses are summed as
    ``Tensor.sum`` sums them (numpy's pairwise sum) and divided in the array's dtype, and each
    row's gradient is the kernel's with grad[r] = g / d, as sum's and div's backward give it.
    """

    @staticmethod
    def forward(ctx, x, target, weight, label_smoothing, ignore_index, divisor):
        rows = CrossEntropyRows.forward(ctx, x, target, weight, label_smoothing, ignore_index)
        ctx.divisor = divisor
        total = rows.sum()
        return total if divisor == 1 else total / divisor

    @staticmethod
    def backward(ctx, grad):
        # every row's loss enters L with weight 1/d: the per-row backward with grad[r] = g / d
        g = grad if ctx.divisor == 1 else grad / ctx.divisor
        grad_x = CrossEntropyRows.backward(ctx, g.expand(ctx.inputs[0].shape[0]))[0]
        return grad_x, None, None, None, None, None

    @staticmethod
    def jvp(ctx, tx, *t_args):
        rows = CrossEntropyRows.jvp(ctx, tx)
        total = rows.sum()
        return total if ctx.divisor == 1 else total / ctx.divisor


def cross_entropy_total(x, target, weight, label_smoothing, ignore_index, divisor=1.0):
    """Σ_r loss[r] / divisor of logits x (N, C) as one graph node (``reduction='sum'`` with
    divisor 1, ``'mean'`` with divisor Σ_r w_{t_r} > 0); arguments as ``cross_entropy_rows``."""
    return CrossEntropyTotal.apply(x, target, weight, float(label_smoothing),
                                   int(ignore_index), float(divisor))


class BinaryCrossEntropy(Function):
    """loss = −(y·max(log p, −100) + (1 − y)·max(log(1 − p), −100))     elementwise, as torch

    dloss/dp = (p − y) / max(p·(1 − p), ε),   ε = 1e-12
    dloss/dy = max(log(1 − p), −100) − max(log p, −100)

    Differentiating the clamped logs would give 0·inf = NaN at p = 0 or 1 (in float32 a
    saturated sigmoid rounds to exactly 1.0 in ordinary training); torch's rule, used here,
    is the exact derivative for 0 < p < 1 and finite at the ends (0 where p = y).
    jvp: tp·dloss/dp + ty·dloss/dy with the same two derivatives.
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
            grad_p = grad * _bce_dp(p, y)
        if ctx.needs_input_grad[1]:
            grad_y = grad * _bce_dy(p)
        return grad_p, grad_y

    @staticmethod
    def jvp(ctx, tp, ty):
        p, y = ctx.saved_tensors
        return tangent_sum(None if tp is None else tp * _bce_dp(p, y),
                           None if ty is None else ty * _bce_dy(p))


def _bce_dp(p, y):
    """dloss/dp = (p − y) / max(p·(1 − p), 1e-12)"""
    return (p - y) / maximum(p * (1.0 - p), 1e-12)


def _bce_dy(p):
    """dloss/dy = max(log(1 − p), −100) − max(log p, −100)"""
    if backward_is_differentiated():   # with create_graph: the logs as ops, so d/dp is recorded
        return maximum((1.0 - p).log(), -100.0) - maximum(p.log(), -100.0)
    log_p, log_q = _clamped_logs(p.array)
    return Tensor._wrap(log_q - log_p, p.device)


def _clamped_logs(p):
    """(max(log p, −100), max(log(1 − p), −100)) of an array, without log(0) warnings."""
    xp = array_module(p)
    with np.errstate(divide="ignore"):
        return xp.maximum(xp.log(p), -100.0), xp.maximum(xp.log(1 - p), -100.0)
