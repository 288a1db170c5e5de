"""torch.nn.functional, in minigrad: the layers and losses as functions of tensors.

``import minigrad.nn.functional as F`` is the one face; the functions live by family in

    _conv_functions.py        linear conv1d conv2d pad
    _pool_functions.py        max_pool2d avg_pool2d adaptive_avg_pool2d
    _norm_functions.py        batch_norm layer_norm normalize cosine_similarity
    _activation_functions.py  relu leaky_relu gelu silu mish softplus elu sigmoid tanh softmax
                              log_softmax (and erf)
    _attention_functions.py   scaled_dot_product_attention multi_head_attention_forward
    _dropout_functions.py     dropout
    _loss_functions.py        cross_entropy nll_loss mse_loss l1_loss huber_loss smooth_l1_loss
                              binary_cross_entropy(_with_logits) multi_margin_loss kl_div info_nce
    here                      dropout embedding one_hot

Everything is a composition of minigrad ops (so gradcheck and gradgradcheck hold by
construction) except three fused pieces: conv2d's patches (``ops/conv.py``: im2col/col2im
kernels), cross_entropy of class indices (``ops/loss.py``: one log-softmax + NLL kernel forward
and backward), and erf for the exact GELU (``ops/special.py``: a kernel; numpy has none).
Argument names, defaults and reductions are torch's. Bad input raises a ValueError/TypeError
naming the value.
"""
import numbers

import numpy as np

from .. import ops
from .._operands import _const
from ..tensor import Tensor
from ._activation_functions import (elu, erf, gelu, leaky_relu, log_softmax, mish,  # noqa: F401
                                    relu, sigmoid, silu, softmax, softplus, tanh)
from ._arguments import _pair, _tensor  # noqa: F401
from ._attention_functions import (multi_head_attention_forward,  # noqa: F401
                                   scaled_dot_product_attention)
from ._conv_functions import conv1d, conv2d, linear, pad  # noqa: F401
from ._dropout_functions import dropout  # noqa: F401
from ._loss_functions import (_check_reduction, binary_cross_entropy,  # noqa: F401
                              binary_cross_entropy_with_logits, cross_entropy, huber_loss,
                              info_nce, kl_div, l1_loss, mse_loss, multi_margin_loss, nll_loss,
                              smooth_l1_loss)
from ._norm_functions import batch_norm, cosine_similarity, layer_norm, normalize  # noqa: F401
from ._pool_functions import adaptive_avg_pool2d, avg_pool2d, max_pool2d  # noqa: F401

__all__ = [
    "scaled_dot_product_attention", "multi_head_attention_forward",
    "linear", "conv1d", "conv2d", "pad", "max_pool2d", "avg_pool2d", "adaptive_avg_pool2d",
    "batch_norm", "layer_norm", "normalize", "cosine_similarity", "dropout", "embedding",
    "one_hot", "relu", "leaky_relu", "gelu", "silu", "mish", "softplus", "elu", "sigmoid",
    "tanh", "softmax", "log_softmax", "cross_entropy", "nll_loss", "mse_loss", "l1_loss",
    "huber_loss", "smooth_l1_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits",
    "multi_margin_loss", "kl_div", "info_nce",
]


# ---- embedding -----------------------------------------------------------------------------------

def embedding(input, weight, padding_idx=None):
    """Rows of weight (num_embeddings, dim) picked by the integer tensor input; the row at
    padding_idx gets no gradient."""
    _tensor(input, "embedding: input")
    if input.dtype.kind not in "iu":
        raise TypeError(f"embedding: indices must be an integer tensor, got {input.dtype}")
    n = weight.shape[0]
    idx = input.array
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
            keep = Tensor._wrap(keep.array[..., None].repeat(out.shape[-1], axis=-1), out.device)
        out = ops.where(keep, out, out.detach())
    return out


def one_hot(tensor, num_classes=-1):
    """out[..., k] = 1 where tensor[...] = k, else 0: int64 of shape tensor.shape + (C,), C =
    num_classes, or max(tensor) + 1 when num_classes = −1 (as torch; no gradient). Any integer
    dtype is accepted (torch: int64 only)."""
    _tensor(tensor, "one_hot: tensor")
    if tensor.dtype.kind not in "iu":
        raise TypeError(f"one_hot: tensor must hold integer class indices, got {tensor.dtype}")
    if not isinstance(num_classes, numbers.Integral) or isinstance(num_classes, bool):
        raise TypeError(f"one_hot: num_classes must be an int, got {num_classes!r}")
    xp = tensor.backend.xp
    idx = tensor.array
    if idx.size and int(idx.min()) < 0:
        raise ValueError(f"one_hot: class values must be non-negative, got {int(idx.min())}")
    if num_classes == -1:
        if not idx.size:
            raise ValueError("one_hot: cannot infer the number of classes from an empty tensor; "
                             "give num_classes")
        num_classes = int(idx.max()) + 1
    if num_classes < 0 or (idx.size and int(idx.max()) >= num_classes):
        raise ValueError(f"one_hot: class values must be smaller than num_classes "
                         f"({num_classes}), got {int(idx.max()) if idx.size else None}")
    out = (idx[..., None] == xp.arange(num_classes)).astype(np.int64)
    return Tensor._wrap(out, tensor.device)
