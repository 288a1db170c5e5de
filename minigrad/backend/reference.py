"""The kernel contract, as plain numpy: the reference every fast kernel is tested against.

Every backend object (``cpu.CpuBackend`` with Cython kernels, ``cuda.CudaBackend`` with CUDA
kernels, and ``cpu.ReferenceBackend``, which runs these functions) has one method per function
here, with the same name and arguments; its method checks the arguments (``_checks.py``), then
runs its kernel. A kernel never allocates its result: it writes into
``out``, an array the caller made with the right shape and dtype (float32 or float64, the same
dtype as the inputs). Inputs are C-contiguous. The functions themselves check nothing: they
also run on float16 (penalties' prox) and on CuPy arrays.

Shapes:
  * elementwise kernels take arrays of any (equal) shape;
  * row kernels take a 2-D array (rows, cols) and work along the last axis, the caller having
    moved the axis of interest there;
  * ``sum_rows`` reduces a 2-D array (rows, cols) to (cols,): the broadcast gradient of a bias.

These functions are written with ``xp`` taken from the input, so they also serve as the
readable fallback on any array module; the fast versions live in csrc/cpu/*.pyx and
csrc/cuda/*.cu.
"""
import numpy as np

from .arrays import array_module   # numpy or cupy, whichever holds the array


# ---- fused activations: y = f(x) and dx = dy * f'(x) in one pass ----------------------------

def relu_forward(x, out):
    """out = max(x, 0)"""
    array_module(x).maximum(x, 0, out=out)


def relu_backward(x, grad, out):
    """out = grad * [not x ≤ 0]   (derivative 0 at x = 0; 1 at x = NaN, as torch's
    threshold_backward: a NaN input passes the gradient on)"""
    xp = array_module(x)
    xp.multiply(grad, ~(x <= 0), out=out)


def sigmoid_forward(x, out):
    """out = 1 / (1 + exp(-x)), computed without overflow for large |x|"""
    xp = array_module(x)
    e = xp.exp(-xp.abs(x))                      # in (0, 1], never overflows
    xp.divide(xp.where(x >= 0, 1, e), 1 + e, out=out)


def sigmoid_backward(y, grad, out):
    """out = grad * y * (1 - y), with y = sigmoid(x)"""
    xp = array_module(y)
    xp.multiply(grad, y * (1 - y), out=out)


def tanh_forward(x, out):
    """out = tanh(x)"""
    array_module(x).tanh(x, out=out)


def tanh_backward(y, grad, out):
    """out = grad * (1 - y²), with y = tanh(x)"""
    xp = array_module(y)
    xp.multiply(grad, 1 - y * y, out=out)


# ---- row kernels: along the last axis of a (rows, cols) array --------------------------------

def softmax_forward(x, out):
    """out[r] = exp(x[r] - max x[r]) / Σ exp(x[r] - max x[r])"""
    xp = array_module(x)
    e = xp.exp(x - x.max(axis=1, keepdims=True))
    xp.divide(e, e.sum(axis=1, keepdims=True), out=out)


def softmax_backward(y, grad, out):
    """out[r] = y[r] * (grad[r] - Σ_j grad[r,j] y[r,j]), with y = softmax(x)"""
    xp = array_module(y)
    xp.multiply(y, grad - (grad * y).sum(axis=1, keepdims=True), out=out)


def log_softmax_forward(x, out):
    """out[r] = x[r] - max x[r] - log Σ exp(x[r] - max x[r])"""
    xp = array_module(x)
    shifted = x - x.max(axis=1, keepdims=True)
    xp.subtract(shifted, xp.log(xp.exp(shifted).sum(axis=1, keepdims=True)), out=out)


def log_softmax_backward(y, grad, out):
    """out[r] = grad[r] - exp(y[r]) * Σ_j grad[r,j], with y = log_softmax(x)"""
    xp = array_module(y)
    xp.subtract(grad, xp.exp(y) * grad.sum(axis=1, keepdims=True), out=out)


def logsumexp_forward(x, out):
    """out[r] = max x[r] + log Σ exp(x[r] - max x[r]);  out has shape (rows,)

    A row whose max is ±inf (a +inf entry, or only −inf entries) gives that max, as torch:
    exp(x − max) would be exp(inf − inf) = NaN there.
    """
    xp = array_module(x)
    m = x.max(axis=1)
    infinite = xp.isinf(m)
    shift = xp.where(infinite, 0, m)
    with np.errstate(divide="ignore"):  # log 0 for a row of −inf (then replaced by m)
        lse = shift + xp.log(xp.exp(x - shift[:, None]).sum(axis=1))
    xp.copyto(out, xp.where(infinite, m, lse).astype(out.dtype))


# ---- reduce-to-shape -------------------------------------------------------------------------

def sum_rows(x, out):
    """out[c] = Σ_r x[r, c];  x is (rows, cols), out is (cols,)"""
    array_module(x).sum(x, axis=0, out=out)


KERNELS = (
    "relu_forward", "relu_backward", "sigmoid_forward", "sigmoid_backward",
    "tanh_forward", "tanh_backward", "softmax_forward", "softmax_backward",
    "log_softmax_forward", "log_softmax_backward", "logsumexp_forward", "sum_rows",
)


# ---- optimizer updates (minigrad/optim): param and state buffers updated IN PLACE ------------
# These kernels break the "write into out" rule on purpose: a fused update's outputs are the
# parameter and its state themselves. Scalars are Python floats (numpy casts them to the
# arrays' dtype); a buffer an update does not use is never touched (it may be None). Each takes
# its numbers and flags in one spec (``specs.py``). The readable, stage-by-stage versions are
# the optimizers' own ``_update`` methods; these are the same arithmetic in the same order, so
# the compiled twins can be tested against them to the last bit.

def sgd_step(param, grad, momentum_buffer, spec):
    """torch.optim.SGD (spec: ``specs.SgdSpec``): g = ±grad (+ λw); b = g (first step) or
    μb + (1−τ)g;  d = g + μb (Nesterov) or b;  w ← w + (−lr)·d"""
    g = -grad if spec.maximize else grad
    if spec.coupled_weight_decay != 0:
        g = g + spec.coupled_weight_decay * param
    if spec.momentum != 0:
        momentum_buffer[...] = g if spec.first_step else \
            spec.momentum * momentum_buffer + (1 - spec.dampening) * g
        g = g + spec.momentum * momentum_buffer if spec.nesterov else momentum_buffer
    param[...] = param + -spec.lr * g


def adam_step(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, spec):
    """torch.optim.Adam/AdamW (spec: ``specs.AdamSpec``, step_size = lr/(1−β₁ᵗ)):
    g = ±grad (+ λw coupled); m = β₁m + (1−β₁)g; v = β₂v + (1−β₂)g²; v̂ = max(v̂, v);
    w ← w + [(−step_size)·m/(√v̂/√(1−β₂ᵗ) + ε) + (−decoupled_decay)·w]"""
    xp = array_module(param)
    beta1, beta2 = spec.beta1, spec.beta2
    g = -grad if spec.maximize else grad
    if spec.coupled_weight_decay != 0:
        g = g + spec.coupled_weight_decay * param
    exp_avg[...] = beta1 * exp_avg + (1 - beta1) * g
    exp_avg_sq[...] = beta2 * exp_avg_sq + (1 - beta2) * (g * g)
    v = exp_avg_sq
    if spec.amsgrad:
        xp.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)
        v = max_exp_avg_sq
    update = -spec.step_size * (exp_avg / (xp.sqrt(v) / spec.bias_correction2_sqrt + spec.eps))
    if spec.decoupled_decay != 0:
        update = update + -spec.decoupled_decay * param
    param[...] = param + update


def rmsprop_step(param, grad, square_avg, grad_avg, momentum_buffer, spec):
    """torch.optim.RMSprop (spec: ``specs.RmspropSpec``): g = ±grad (+ λw);
    s = αs + (1−α)g²; ḡ = αḡ + (1−α)g (centered); a = √(s − ḡ²) + ε or √s + ε;
    w ← w + (−lr)·b, b = μb + g/a (momentum > 0), else (−lr)·g/a"""
    xp = array_module(param)
    alpha = spec.alpha
    g = -grad if spec.maximize else grad
    if spec.coupled_weight_decay != 0:
        g = g + spec.coupled_weight_decay * param
    square_avg[...] = alpha * square_avg + (1 - alpha) * (g * g)
    if spec.centered:
        grad_avg[...] = alpha * grad_avg + (1 - alpha) * g
        avg = xp.sqrt(square_avg - grad_avg * grad_avg) + spec.eps
    else:
        avg = xp.sqrt(square_avg) + spec.eps
    if spec.momentum > 0:
        momentum_buffer[...] = spec.momentum * momentum_buffer + g / avg
        param[...] = param + -spec.lr * momentum_buffer
    else:
        param[...] = param + -spec.lr * (g / avg)


def adagrad_step(param, grad, state_sum, spec):
    """torch.optim.Adagrad (spec: ``specs.AdagradSpec``, clr = lr/(1 + (t−1)·lr_decay)):
    g = ±grad (+ λw); G = G + g²;  w ← w + (−clr)·(g/(√G + ε))"""
    xp = array_module(param)
    g = -grad if spec.maximize else grad
    if spec.coupled_weight_decay != 0:
        g = g + spec.coupled_weight_decay * param
    state_sum[...] = state_sum + g * g
    param[...] = param + -spec.clr * (g / (xp.sqrt(state_sum) + spec.eps))


OPTIM_KERNELS = ("sgd_step", "adam_step", "rmsprop_step", "adagrad_step")


# ---- proximal operators (minigrad/penalties.py): prox of L1 / elastic net / group lasso -------

def soft_threshold(v, threshold, divisor, out):
    """out = sign(v) · max(|v| − threshold, 0) / divisor   (any shape)

    The prox of L1 (threshold = step·lam, divisor = 1) and of the elastic net
    (threshold = step·l1, divisor = 1 + step·l2). ``threshold`` ≥ 0 and ``divisor`` > 0 are
    Python floats, rounded to v's dtype as numpy does.
    """
    xp = array_module(v)
    xp.divide(xp.sign(v) * xp.maximum(xp.abs(v) - threshold, 0), divisor, out=out)


def group_soft_threshold(v, threshold, out):
    """out[r] = v[r] · max(1 − threshold / ‖v[r]‖₂, 0)   on (rows, cols), one group per row

    The prox of the group lasso (threshold = step·lam). A row with ‖v[r]‖ ≤ threshold, a zero
    row included, becomes 0 (no 0/0).
    """
    xp = array_module(v)
    norm = xp.sqrt((v * v).sum(axis=1, keepdims=True))
    safe = xp.where(norm > threshold, norm, 1)
    xp.multiply(v, xp.where(norm > threshold, 1 - threshold / safe, 0), out=out)


PROX_KERNELS = ("soft_threshold", "group_soft_threshold")


# ---- nn (minigrad/nn, minigrad/ops/conv.py, ops/loss.py): im2col / col2im, fused cross-entropy --

def im2col(x, stride_h, stride_w, pad_h, pad_w, dil_h, dil_w, out):
    """out[c, i, j, n, oh, ow] = x[n, c, oh·sh + i·dh − ph, ow·sw + j·dw − pw]   (0 outside x)

    x is (N, C, H, W); out is (C, KH, KW, N, OH, OW): the patches of a convolution laid out so
    that out viewed as (C·KH·KW, N·OH·OW) makes a whole conv2d one GEMM with the weight
    (O, C·KH·KW), and its two gradients one GEMM each.
    """
    xp = array_module(x)
    _, kh, kw, _, oh, ow = out.shape
    padded = xp.pad(x, ((0, 0), (0, 0), (pad_h, pad_h), (pad_w, pad_w)))
    for i in range(kh):
        for j in range(kw):
            r, c = i * dil_h, j * dil_w
            window = padded[:, :, r:r + stride_h * (oh - 1) + 1:stride_h,
                            c:c + stride_w * (ow - 1) + 1:stride_w]
            out[:, i, j] = window.transpose(1, 0, 2, 3)


def col2im(cols, stride_h, stride_w, pad_h, pad_w, dil_h, dil_w, out):
    """out[n, c, h, w] = Σ of the cols[c, i, j, n, oh, ow] that im2col read from x[n, c, h, w]

    The adjoint of im2col (overlapping patches add up); out is (N, C, H, W).
    """
    xp = array_module(cols)
    ch, kh, kw, n, oh, ow = cols.shape
    h, w = out.shape[2], out.shape[3]
    padded = xp.zeros((n, ch, h + 2 * pad_h, w + 2 * pad_w), dtype=out.dtype)
    for i in range(kh):
        for j in range(kw):
            r, c = i * dil_h, j * dil_w
            padded[:, :, r:r + stride_h * (oh - 1) + 1:stride_h,
                   c:c + stride_w * (ow - 1) + 1:stride_w] += cols[:, i, j].transpose(1, 0, 2, 3)
    out[...] = padded[:, :, pad_h:pad_h + h, pad_w:pad_w + w]


def max_pool2d_forward(x, kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w, dil_h, dil_w,
                       out, index):
    """out[n, c, oh, ow] = max over the window's taps inside x of x[n, c, r, q], and
    index[n, c, oh, ow] = r·W + q of the tap chosen, with r = oh·sh + i·dh − ph, q likewise.

    torch's choice: scanning the taps inside x row by row, a tap is kept when it is greater
    than the one kept, or NaN (so the first maximum, or the last NaN). x is (N, C, H, W); out
    (float) and index (int64) are (N, C, OH, OW), OH and OW the caller's (ceil_mode windows
    may run past the bottom and right: their taps there are skipped). A window with no tap
    inside x gives out −∞ and index −1.
    """
    xp = array_module(x)
    n, ch, h, w = x.shape
    oh, ow = out.shape[2], out.shape[3]
    out[...] = -xp.inf
    index[...] = -1
    rows = xp.arange(oh)[:, None] * stride_h - pad_h       # (OH, 1): each window's first row
    cols = xp.arange(ow)[None, :] * stride_w - pad_w       # (1, OW)
    for i in range(kernel_h):
        for j in range(kernel_w):
            r, q = rows + i * dil_h, cols + j * dil_w
            inside = (r >= 0) & (r < h) & (q >= 0) & (q < w)               # (OH, OW)
            tap = x[:, :, xp.clip(r, 0, h - 1), xp.clip(q, 0, w - 1)]      # (N, C, OH, OW)
            keep = inside & ((index < 0) | (tap > out) | xp.isnan(tap))
            out[...] = xp.where(keep, tap, out)
            index[...] = xp.where(keep, r * w + q, index)


def gather_planes(x, index, out):
    """out[n, c, k] = x[n, c, index[n, c, k]] with each (H, W) plane of x read flat, 0 where
    the index is outside [0, H·W) (−1: no tap). x is (N, C, H, W); index (int64) and out are
    (N, C, OH, OW): a max-pool's values from its indices (its forward-mode and double-backward
    direction)."""
    xp = array_module(x)
    n, ch = x.shape[0], x.shape[1]
    planes = x.reshape(n, ch, -1)
    flat = index.reshape(n, ch, -1)
    inside = (flat >= 0) & (flat < planes.shape[2])
    if planes.shape[2] == 0:
        out[...] = 0
        return
    got = xp.take_along_axis(planes, xp.where(inside, flat, 0), axis=2)
    out[...] = xp.where(inside, got, 0).reshape(out.shape)


def scatter_add_planes(src, index, kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w,
                       dil_h, dil_w, out):
    """out[n, c] = 0, then out[n, c, index[n, c, oh, ow]] += src[n, c, oh, ow] (planes of out
    read flat): the adjoint of gather_planes, so a max-pool's backward. src and index (int64)
    are (N, C, OH, OW); out is (N, C, H, W). Each index must name a tap of its own window
    (oh, ow) of the pooling geometry, as max_pool2d_forward's do; any other (−1: no tap) is
    skipped. (So a GPU thread per pixel of out finds its sources among the ≤ KH·KW windows
    that hold it, without atomics.)"""
    xp = array_module(src)
    n, ch, h, w = out.shape
    oh, ow = src.shape[2], src.shape[3]
    flat = index.reshape(n, ch, -1)
    r, q = flat // max(w, 1), flat % max(w, 1)
    window_r = (xp.arange(oh)[:, None] * stride_h - pad_h) + xp.zeros((1, ow), dtype=np.int64)
    window_q = (xp.arange(ow)[None, :] * stride_w - pad_w) + xp.zeros((oh, 1), dtype=np.int64)
    i, j = r - window_r.reshape(1, 1, -1), q - window_q.reshape(1, 1, -1)
    keep = (flat >= 0) & (flat < h * w) & (i >= 0) & (i % dil_h == 0) & \
        (i // dil_h < kernel_h) & (j >= 0) & (j % dil_w == 0) & (j // dil_w < kernel_w)
    rows = xp.arange(n * ch).reshape(n, ch, 1) * (h * w)
    total = xp.zeros(n * ch * h * w, dtype=out.dtype)
    xp.add.at(total, (rows + flat)[keep], src.reshape(n, ch, -1)[keep])
    out[...] = total.reshape(out.shape)


def cross_entropy_forward(x, target, weight, label_smoothing, ignore_index, probs, loss):
    """Per row r of logits x (N, C), target t = target[r] (int64), class weights w (C,), ε:

        probs[r] = softmax(x[r]),   lse = log Σ_c exp(x[r, c]),   −log p[r, c] = lse − x[r, c]
        loss[r]  = (1 − ε)·w[t]·(−log p[r, t]) + (ε/C)·Σ_c w[c]·(−log p[r, c])
        loss[r]  = 0 where t == ignore_index.
    """
    xp = array_module(x)
    m = x.max(axis=1, keepdims=True)
    e = xp.exp(x - m)
    s = e.sum(axis=1, keepdims=True)
    xp.divide(e, s, out=probs)
    nlogp = (m - x) + xp.log(s)   # in this order: m + log s would round log s away at |m| ≫ 1
    keep = target != ignore_index
    t = xp.where(keep, target, 0)
    rows = xp.arange(x.shape[0])
    c = x.shape[1]
    value = (1 - label_smoothing) * weight[t] * nlogp[rows, t]
    if label_smoothing != 0:  # only then: a masked (−inf) logit's term is +inf, and 0·inf = NaN
        value = value + (label_smoothing / c) * (nlogp * weight).sum(axis=1)
    loss[...] = xp.where(keep, value, 0)


def cross_entropy_backward(probs, target, weight, label_smoothing, ignore_index, grad, out):
    """out[r] = grad[r]·( (1 − ε)·w[t]·(p[r] − onehot(t)) + (ε/C)·(W·p[r] − w) ),  W = Σ_c w[c]

    the derivative of cross_entropy_forward's loss[r] times the row's gradient grad[r];
    rows with t == ignore_index get 0.
    """
    xp = array_module(probs)
    n, c = probs.shape
    keep = target != ignore_index
    t = xp.where(keep, target, 0)
    onehot = xp.zeros_like(probs)
    onehot[xp.arange(n), t] = 1
    g = xp.where(keep, grad, 0)[:, None]
    a = (1 - label_smoothing) * weight[t][:, None]
    b = label_smoothing / c
    xp.multiply(g, a * (probs - onehot) + b * (weight.sum() * probs - weight), out=out)


def erf_forward(x, out):
    """out = erf(x) = (2/√π) ∫₀ˣ exp(−t²) dt   (numpy has no erf: math.erf per element)"""
    xp = array_module(x)
    import math
    values = np.frompyfunc(math.erf, 1, 1)(_to_numpy(x)).astype(out.dtype)
    out[...] = xp.asarray(values)


def _to_numpy(a):
    return a if isinstance(a, np.ndarray) else a.get()


# ---- recurrent cells ---------------------------------------------------------------------------

def lstm_pointwise_forward(gates, c, h_out, c_out):
    """One LSTM step's gate math after the matmuls, gates (B, 4H) = [i | f | g | o]
    pre-activations (torch's order), c (B, H):

        c_out = σ(f)·c + σ(i)·tanh(g)        h_out = σ(o)·tanh(c_out)
    """
    xp = array_module(gates)
    H = c.shape[1]
    i, f, g, o = (gates[:, k * H:(k + 1) * H] for k in range(4))

    def sigmoid(v):   # as sigmoid_forward: e = exp(−|v|) never overflows
        e = xp.exp(-xp.abs(v))
        return xp.where(v >= 0, 1, e) / (1 + e)

    c_out[...] = sigmoid(f) * c + sigmoid(i) * xp.tanh(g)
    h_out[...] = sigmoid(o) * xp.tanh(c_out)


NN_KERNELS = ("im2col", "col2im", "max_pool2d_forward", "gather_planes", "scatter_add_planes",
              "cross_entropy_forward", "cross_entropy_backward",
              "erf_forward", "lstm_pointwise_forward")
