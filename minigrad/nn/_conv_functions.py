"""linear, conv1d, conv2d and pad of nn.functional (the layers are nn/linear.py and nn/conv.py).

conv2d is im2col (ops/conv.py: the patches kernel, whose adjoint col2im is its backward) and one
GEMM per group; conv1d is conv2d over a height of 1; pad is slicing and concatenation (constant)
or indexing (reflect, replicate, circular), so every derivative, of any order, comes from ops.
"""
import numbers

import numpy as np

from .. import ops
from .._operands import _const
from ..ops import conv as _conv
from ..ops.linalg import matmul_bt as _matmul_bt
from ._arguments import _pair, _single, _tensor


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


# ---- convolution -----------------------------------------------------------------------------

def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """out[n, o, oh, ow] = b[o] + Σ_c Σ_ij W[o, c, i, j]·x[n, g·C/G + c, oh·sh + i·dh − ph,
                                                         ow·sw + j·dw − pw]

    where output channel o belongs to group g = o // (O/G) and c runs over that group's C/G
    input channels (groups=1: every channel; groups=C: depthwise). Computed as one GEMM per
    group, W_g (O/G, C/G·KH·KW) @ im2col(x)_g (C/G·KH·KW, N·OH·OW), all groups in one batched
    matmul. input (N, C, H, W) or unbatched (C, H, W); weight (O, C/G, KH, KW).

    padding: ints, or "valid" (none) or "same" (output size = input size, stride 1 only):
    dilation·(k − 1) zeros split as torch does, the odd one on the right/bottom.
    """
    return _convolve(input, weight, bias, stride, padding, dilation, groups, "conv2d")


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """out[n, o, l] = b[o] + Σ_c Σ_i W[o, c, i]·x[n, g·C/G + c, l·s + i·d − p]

    conv2d over a height of 1: input (N, C, L) or unbatched (C, L), weight (O, C/G, K);
    padding an int, "valid" or "same" (as conv2d).
    """
    _tensor(input, "conv1d: input")
    _tensor(weight, "conv1d: weight")
    if input.ndim not in (2, 3) or weight.ndim != 3:
        raise ValueError(f"conv1d expects a 3-D input (N, C, L) or 2-D (C, L) and a 3-D weight "
                         f"(O, C/groups, K), got {input.shape} and {weight.shape}")
    stride = (1,) + _single(stride, "conv1d: stride")
    dilation = (1,) + _single(dilation, "conv1d: dilation")
    if not isinstance(padding, str):
        padding = (0,) + _single(padding, "conv1d: padding")
    out = _convolve(input.unsqueeze(-2), weight.unsqueeze(2), bias, stride, padding, dilation,
                    groups, "conv1d")
    return out.squeeze(-2)


def _convolve(input, weight, bias, stride, padding, dilation, groups, what):
    _tensor(input, f"{what}: input")
    _tensor(weight, f"{what}: weight")
    if input.ndim not in (3, 4) or weight.ndim != 4:
        raise ValueError(f"{what} expects a 4-D input (N, C, H, W) or 3-D (C, H, W) and a 4-D "
                         f"weight (O, C/groups, KH, KW), got {input.shape} and {weight.shape}")
    if input.ndim == 3:   # unbatched: a batch of one
        return _convolve(input.unsqueeze(0), weight, bias, stride, padding, dilation, groups,
                         what).squeeze(0)
    o, c_group, kh, kw = weight.shape
    if not isinstance(groups, numbers.Integral) or isinstance(groups, bool) or groups < 1:
        raise ValueError(f"{what}: groups must be a positive int, got {groups!r}")
    if o % groups:
        raise ValueError(f"{what}: groups={groups} must divide the {o} output channels of the "
                         f"weight {weight.shape}")
    if input.shape[1] != c_group * groups:
        raise ValueError(f"{what}: the weight {weight.shape} with groups={groups} expects "
                         f"{c_group * groups} input channels but the input {input.shape} has "
                         f"{input.shape[1]}")
    if bias is not None and tuple(_tensor(bias, f"{what}: bias").shape) != (o,):
        raise ValueError(f"{what}: bias must have shape ({o},) (one per output channel), got "
                         f"{bias.shape}")
    stride, dilation = _pair(stride, "stride"), _pair(dilation, "dilation")
    if min(stride) < 1 or min(dilation) < 1:
        raise ValueError(f"{what}: stride {stride} and dilation {dilation} must be ≥ 1")
    input, padding = _resolve_padding(input, padding, (kh, kw), stride, dilation, what)
    n, c, h, w = input.shape
    oh = _conv.conv_output_size(h, kh, stride[0], padding[0], dilation[0])
    ow = _conv.conv_output_size(w, kw, stride[1], padding[1], dilation[1])
    if oh < 1 or ow < 1:
        raise ValueError(f"{what}: kernel {(kh, kw)} (dilation {dilation}) is larger than the "
                         f"padded input {(h + 2 * padding[0], w + 2 * padding[1])}")
    if groups == 1 and weight.dtype == input.dtype and weight.device == input.device and \
            (bias is None or (bias.dtype == input.dtype and bias.device == input.device)):
        # fused: im2col, one GEMM, the bias added as the result is moved to (N, O, OH, OW)
        return _conv.Conv2d.apply(input, weight, bias, stride, padding, dilation)
    return _convolve_by_ops(input, weight, bias, stride, padding, dilation, groups)


def _convolve_by_ops(input, weight, bias, stride, padding, dilation, groups):
    """conv2d written with ops: im2col, a (batched) matmul, a permute and the bias added; the
    readable version of ops/conv.py's Conv2d, and the path for groups > 1 and mixed dtypes."""
    n, c, h, w = input.shape
    o, c_group, kh, kw = weight.shape
    oh = _conv.conv_output_size(h, kh, stride[0], padding[0], dilation[0])
    ow = _conv.conv_output_size(w, kw, stride[1], padding[1], dilation[1])
    cols = _conv.im2col(input, (kh, kw), stride, padding, dilation)    # (C, KH, KW, N, OH, OW)
    patch = c_group * kh * kw
    if groups == 1:
        out = weight.reshape(o, patch) @ cols.reshape(patch, n * oh * ow)
    else:   # channels are grouped along the leading axis of both: one GEMM per group
        out = (weight.reshape(groups, o // groups, patch)
               @ cols.reshape(groups, patch, n * oh * ow))
    out = out.reshape(o, n, oh, ow).permute(1, 0, 2, 3)
    return out if bias is None else out + bias.reshape(1, o, 1, 1)


def _resolve_padding(input, padding, kernel, stride, dilation, what):
    """(input, (ph, pw)): int padding as a pair; "valid" as 0; "same" as torch computes it,
    dilation·(k − 1) split in half, an odd extra zero added on the right/bottom of the input."""
    if not isinstance(padding, str):
        padding = _pair(padding, "padding")
        if min(padding) < 0:
            raise ValueError(f"{what}: padding {padding} must be ≥ 0")
        return input, padding
    if padding == "valid":
        return input, (0, 0)
    if padding != "same":
        raise ValueError(f"{what}: invalid padding string {padding!r}, should be one of "
                         "'valid', 'same'")
    if stride != (1, 1):
        raise ValueError(f"{what}: padding='same' is not supported for strided convolutions "
                         f"(stride {stride})")
    total = [d * (k - 1) for k, d in zip(kernel, dilation)]
    half = tuple(t // 2 for t in total)
    extra_h, extra_w = (t - 2 * p for t, p in zip(total, half))
    if extra_h or extra_w:
        input = pad(input, (0, extra_w, 0, extra_h))
    return input, half


# ---- padding ---------------------------------------------------------------------------------

_PAD_MODES = ("constant", "reflect", "replicate", "circular")


def pad(input, pad, mode="constant", value=None):
    """input with pad = (left, right, top, bottom, front, back, …) added, the last axis first,
    as torch.nn.functional.pad.

    constant: `value` (0 by default) outside; a negative amount removes that many entries.
    reflect: mirrored without repeating the edge (x₂ x₁ | x₀ x₁ x₂ …), amounts < the size;
    replicate: the edge repeated; circular: wrapped around (amounts ≤ the size). These three
    pad the last 1, 2 or 3 axes of a batched or unbatched input (pad of length 2, 4 or 6, input
    with one or two more axes), as torch. The derivative sends each output entry's gradient to
    the entry it was copied from (repeats add up); constants get none.
    """
    _tensor(input, "pad: input")
    amounts = tuple(pad) if isinstance(pad, (tuple, list)) else None
    if amounts is None or not all(isinstance(a, numbers.Integral) and not isinstance(a, bool)
                                  for a in amounts):
        raise TypeError(f"pad: pad must be a tuple of ints, got {pad!r}")
    if len(amounts) % 2 or len(amounts) // 2 > input.ndim:
        raise ValueError(f"pad: pad {amounts} must have an even length of at most twice the "
                         f"input's dimensions ({input.ndim}: shape {input.shape})")
    if mode not in _PAD_MODES:
        raise ValueError(f"pad: mode must be one of {', '.join(map(repr, _PAD_MODES))}, got "
                         f"{mode!r}")
    if mode != "constant":
        if value is not None and value != 0:
            raise ValueError(f"pad: mode {mode!r} takes no value, got value={value!r}")
        padded = len(amounts) // 2
        if not 1 <= padded <= 3 or input.ndim not in (padded + 1, padded + 2):
            raise ValueError(f"pad: mode {mode!r} pads the last 1, 2 or 3 axes of a (batched) "
                             f"input with 1 or 2 more axes; pad {amounts} does not fit an "
                             f"input of shape {input.shape}")
    out = input
    for i in range(len(amounts) // 2):
        axis = input.ndim - 1 - i
        before, after = int(amounts[2 * i]), int(amounts[2 * i + 1])
        out = _crop(out, axis, max(-before, 0), max(-after, 0), amounts)
        before, after = max(before, 0), max(after, 0)
        if mode == "constant":
            out = _pad_constant(out, axis, before, after, 0.0 if value is None else value)
        elif before or after:
            out = _pad_by_index(out, axis, before, after, mode)
    return out


def _crop(x, axis, before, after, amounts):
    if not before and not after:
        return x
    size = x.shape[axis]
    if before + after > size:
        raise ValueError(f"pad: the negative amounts of pad {amounts} remove {before + after} "
                         f"entries from an axis of size {size}")
    return x[(slice(None),) * axis + (slice(before, size - after),)]


def _pad_constant(x, axis, before, after, value):
    """x with `before`/`after` entries equal to value on both sides of axis (differentiable in
    x: concatenation)."""
    if not before and not after:
        return x
    xp = x.backend.xp

    def block(k):
        shape = x.shape[:axis] + (k,) + x.shape[axis + 1:]
        return _const(xp.full(shape, value, dtype=x.dtype), x)
    pieces = ([block(before)] if before else []) + [x] + ([block(after)] if after else [])
    return ops.concatenate(pieces, axis=axis)


def _pad_by_index(x, axis, before, after, mode):
    """x indexed along axis by where each padded position copies from (reflect, replicate,
    circular): one gather, whose backward adds each gradient back to its source."""
    size = x.shape[axis]
    limit = size - 1 if mode == "reflect" else size
    if mode != "replicate" and max(before, after) > limit:
        rule = "less than" if mode == "reflect" else "at most"
        raise ValueError(f"pad: {mode} padding ({before}, {after}) must be {rule} the size "
                         f"{size} of axis {axis} (input shape {x.shape})")
    if size == 0:
        raise ValueError(f"pad: cannot {mode}-pad the empty axis {axis} (input shape {x.shape})")
    position = np.arange(-before, size + after)
    if mode == "reflect":
        source = np.abs(position)
        source = np.where(source > size - 1, 2 * (size - 1) - source, source)
    elif mode == "replicate":
        source = np.clip(position, 0, size - 1)
    else:
        source = position % size
    index = x.backend.asarray(source.astype(np.int64), np.int64)
    return x[(slice(None),) * axis + (index,)]
