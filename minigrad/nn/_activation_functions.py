"""The activations of nn.functional (their modules are in nn/activation.py): compositions of ops,
so every derivative, of any order, comes from the ops; erf is a kernel (ops/special.py)."""
import math

from .. import ops
from ..ops.special import Erf
from ._arguments import _tensor


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


def silu(input):
    """x·σ(x) (the swish), derivative σ(x)·(1 + x·(1 − σ(x)))."""
    return _tensor(input, "silu: input") * input.sigmoid()


def mish(input):
    """x·tanh(softplus(x)), derivative tanh(sp) + x·σ(x)·(1 − tanh²(sp)), sp = softplus(x).

    softplus's accuracy: an absolute error below 1e-16, so for x < −30, where the value is
    tiny, only a few relative digits (torch uses log1p; the engine has none)."""
    return _tensor(input, "mish: input") * softplus(input).tanh()
