"""The kernel contract, as plain numpy: the reference every fast kernel is tested against.

Every backend (this one, ``cpu`` with Cython kernels, ``cuda`` with CuPy kernels) exposes the
same functions with the same arguments. A kernel never allocates its result: it writes into
``out``, an array the caller made with the right shape and dtype (float32 or float64, the same
dtype as the inputs). Inputs are C-contiguous.

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


def _xp(a):
    return np if isinstance(a, np.ndarray) else __import__("cupy").get_array_module(a)


# ---- fused activations: y = f(x) and dx = dy * f'(x) in one pass ----------------------------

def relu_forward(x, out):
    """out = max(x, 0)"""
    _xp(x).maximum(x, 0, out=out)


def relu_backward(x, grad, out):
    """out = grad * [x > 0]   (derivative 0 at x = 0, as torch)"""
    xp = _xp(x)
    xp.multiply(grad, x > 0, out=out)


def sigmoid_forward(x, out):
    """out = 1 / (1 + exp(-x)), computed without overflow for large |x|"""
    xp = _xp(x)
    e = xp.exp(-xp.abs(x))                      # in (0, 1], never overflows
    xp.divide(xp.where(x >= 0, 1, e), 1 + e, out=out)


def sigmoid_backward(y, grad, out):
    """out = grad * y * (1 - y), with y = sigmoid(x)"""
    xp = _xp(y)
    xp.multiply(grad, y * (1 - y), out=out)


def tanh_forward(x, out):
    """out = tanh(x)"""
    _xp(x).tanh(x, out=out)


def tanh_backward(y, grad, out):
    """out = grad * (1 - y²), with y = tanh(x)"""
    xp = _xp(y)
    xp.multiply(grad, 1 - y * y, out=out)


# ---- row kernels: along the last axis of a (rows, cols) array --------------------------------

def softmax_forward(x, out):
    """out[r] = exp(x[r] - max x[r]) / Σ exp(x[r] - max x[r])"""
    xp = _xp(x)
    e = xp.exp(x - x.max(axis=1, keepdims=True))
    xp.divide(e, e.sum(axis=1, keepdims=True), out=out)


def softmax_backward(y, grad, out):
    """out[r] = y[r] * (grad[r] - Σ_j grad[r,j] y[r,j]), with y = softmax(x)"""
    xp = _xp(y)
    xp.multiply(y, grad - (grad * y).sum(axis=1, keepdims=True), out=out)


def log_softmax_forward(x, out):
    """out[r] = x[r] - max x[r] - log Σ exp(x[r] - max x[r])"""
    xp = _xp(x)
    shifted = x - x.max(axis=1, keepdims=True)
    xp.subtract(shifted, xp.log(xp.exp(shifted).sum(axis=1, keepdims=True)), out=out)


def log_softmax_backward(y, grad, out):
    """out[r] = grad[r] - exp(y[r]) * Σ_j grad[r,j], with y = log_softmax(x)"""
    xp = _xp(y)
    xp.subtract(grad, xp.exp(y) * grad.sum(axis=1, keepdims=True), out=out)


def logsumexp_forward(x, out):
    """out[r] = max x[r] + log Σ exp(x[r] - max x[r]);  out has shape (rows,)"""
    xp = _xp(x)
    m = x.max(axis=1)
    xp.add(m, xp.log(xp.exp(x - m[:, None]).sum(axis=1)), out=out)


# ---- reduce-to-shape -------------------------------------------------------------------------

def sum_rows(x, out):
    """out[c] = Σ_r x[r, c];  x is (rows, cols), out is (cols,)"""
    _xp(x).sum(x, axis=0, out=out)


KERNELS = (
    "relu_forward", "relu_backward", "sigmoid_forward", "sigmoid_backward",
    "tanh_forward", "tanh_backward", "softmax_forward", "softmax_backward",
    "log_softmax_forward", "log_softmax_backward", "logsumexp_forward", "sum_rows",
)
