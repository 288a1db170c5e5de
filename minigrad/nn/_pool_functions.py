"""max_pool2d, avg_pool2d and adaptive_avg_pool2d of nn.functional (modules in nn/pooling.py).

Max pooling: one kernel finds each window's maximum and its index, and the output is the input
read at those indices (ops/conv.py GatherPlanes, whose adjoint adds gradients back there), so
every derivative, of any order, comes from ops. Its readable twin, _max_pool2d_from_patches,
takes each window as a patch of im2col (C, KH·KW, N, OH, OW) and picks one entry by indexing.
Average pooling sums each im2col patch and divides. Inputs are (N, C, H, W) or unbatched
(C, H, W), as torch.
"""
import numbers

import numpy as np

from .. import ops
from .._operands import _const
from ..ops import conv as _conv
from ..tensor import Tensor
from ._arguments import _pair, _tensor
from ._conv_functions import pad


def _pool_output_size(size, kernel, stride, padding, dilation, ceil_mode):
    """torch's rule: ⌊(size + 2p − d·(k − 1) − 1)/s⌋ + 1, rounded up instead with ceil_mode,
    where the last window must then start inside the input or its left padding."""
    span = size + 2 * padding - dilation * (kernel - 1) - 1
    out = (span + (stride - 1 if ceil_mode else 0)) // stride + 1
    if ceil_mode and (out - 1) * stride >= size + padding:
        out -= 1
    return out


def _pool_geometry(input, kernel_size, stride, padding, dilation, ceil_mode, what):
    """kernel, stride, padding, dilation as pairs, the output size (OH, OW), and the extra
    (bottom, right) entries that windows allowed by ceil_mode reach beyond the padding."""
    k = _pair(kernel_size, "kernel_size")
    s = k if stride is None or stride == [] else _pair(stride, "stride")
    p, d = _pair(padding, "padding"), _pair(dilation, "dilation")
    if min(k) < 1 or min(s) < 1 or min(d) < 1 or min(p) < 0:
        raise ValueError(f"{what}: kernel_size {k}, stride {s} and dilation {d} must be "
                         f"positive and padding {p} non-negative")
    if p[0] > k[0] // 2 or p[1] > k[1] // 2:
        raise ValueError(f"{what}: padding {p} must be at most half the kernel size {k}")
    size = input.shape[2:]
    out = tuple(_pool_output_size(size[i], k[i], s[i], p[i], d[i], ceil_mode) for i in (0, 1))
    if min(out) < 1:
        raise ValueError(f"{what}: kernel {k} is larger than the padded input of shape "
                         f"{input.shape}")
    extra = tuple(max(0, (out[i] - 1) * s[i] + d[i] * (k[i] - 1) + 1 - (size[i] + 2 * p[i]))
                  for i in (0, 1))
    return k, s, p, d, out, extra


def _batched(input, what):
    _tensor(input, f"{what}: input")
    if input.ndim not in (3, 4):
        raise ValueError(f"{what} expects a 4-D input (N, C, H, W) or 3-D (C, H, W), got shape "
                         f"{input.shape}")
    return input if input.ndim == 4 else input.unsqueeze(0)


# ---- max pooling -----------------------------------------------------------------------------

def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """out[n, c, oh, ow] = max_ij x[n, c, oh·sh + i·dh − ph, ow·sw + j·dw − pw]   (padding −∞)

    The derivative sends the gradient to the one entry chosen as torch's kernel chooses it: the
    first maximum of the window (row by row), or its last NaN if it holds one. ceil_mode: the
    output size rounds up (torch's rule, _pool_output_size). return_indices: also that entry's
    index h·W + w in its (H, W) plane, int64, as torch (for max_unpool). A window wholly in the
    padding (possible only with dilation; torch's kernel reads out of bounds there) gives −inf,
    no gradient, and an index into the padding.

    One kernel finds each window's maximum and its index (ops/conv.py MaxPool2d); the gradient
    is added back at the indices. ``_max_pool2d_from_patches`` below is the same function
    written with im2col and indexing, kept as the readable version (tests/test_pool_kernels.py
    checks the two agree).
    """
    x = _batched(input, "max_pool2d")
    k, s, p, d, (oh, ow), _ = _pool_geometry(x, kernel_size, stride, padding, dilation,
                                             ceil_mode, "max_pool2d")
    out, index = _conv.max_pool2d_with_index(x, k, s, p, d, (oh, ow))
    if not return_indices:
        return out if input.ndim == 4 else out.squeeze(0)
    xp = x.backend.xp
    w = x.shape[3]
    # a window with no tap inside (index −1): its first tap's position, as the patches version
    first_tap = (xp.arange(oh)[:, None] * s[0] - p[0]) * w + xp.arange(ow) * s[1] - p[1]
    index = Tensor._wrap(xp.where(index.array < 0, first_tap, index.array), input.device)
    return (out, index) if input.ndim == 4 else (out.squeeze(0), index.squeeze(0))


def _max_pool2d_from_patches(input, kernel_size, stride=None, padding=0, dilation=1,
                             ceil_mode=False, return_indices=False):
    """max_pool2d as ops: the windows are patches of im2col (C, KH·KW, N, OH, OW) of the input
    padded with −∞, the tap torch's kernel picks is found with argmax (``_chosen_tap``), and
    the output is those taps taken by indexing, so its derivatives are indexing's."""
    x = _batched(input, "max_pool2d")
    k, s, p, d, (oh, ow), extra = _pool_geometry(x, kernel_size, stride, padding, dilation,
                                                 ceil_mode, "max_pool2d")
    n, c, h, w = x.shape
    padded = p != (0, 0) or extra != (0, 0)
    if padded:
        x = pad(x, (p[1], p[1] + extra[1], p[0], p[0] + extra[0]), value=-np.inf)
    taps = _conv.im2col(x, k, s, (0, 0), d).reshape(c, k[0] * k[1], n, oh, ow)
    xp = x.backend.xp
    inside = None
    if padded:   # (KH·KW, 1, OH, OW): which taps of each window read the input, not padding
        rows = _tap_positions(oh, k[0], s[0], p[0], d[0])
        cols = _tap_positions(ow, k[1], s[1], p[1], d[1])
        inside = ((rows >= 0) & (rows < h))[:, None, :, None] & \
            ((cols >= 0) & (cols < w))[None, :, None, :]
        inside = x.backend.asarray(inside.reshape(k[0] * k[1], 1, oh, ow), np.bool_)
    chosen = _chosen_tap(taps.array, inside, xp)                  # (C, N, OH, OW)
    ci, ni, hi, wi = xp.ogrid[:c, :n, :oh, :ow]
    out = taps[ci, chosen, ni, hi, wi].permute(1, 0, 2, 3)
    if not return_indices:
        return out if input.ndim == 4 else out.squeeze(0)
    tap_row, tap_col = chosen // k[1], chosen % k[1]
    index = (xp.arange(oh)[:, None] * s[0] + tap_row * d[0] - p[0]) * w \
        + xp.arange(ow) * s[1] + tap_col * d[1] - p[1]
    index = Tensor._wrap(xp.ascontiguousarray(index.transpose(1, 0, 2, 3).astype(np.int64)),
                         input.device)
    return (out, index) if input.ndim == 4 else (out.squeeze(0), index.squeeze(0))


def _tap_positions(out_size, kernel, stride, padding, dilation):
    """(kernel, out_size) array: the input row (or column) tap i of window o reads."""
    return (np.arange(out_size)[None, :] * stride + np.arange(kernel)[:, None] * dilation
            - padding)


def _chosen_tap(taps, inside, xp):
    """The tap (axis 1 of taps (C, K, N, OH, OW)) torch's max-pool kernel picks in each window:
    it scans the taps inside the input row by row and keeps a value greater than the one kept,
    or a NaN. So: the first maximum among the taps inside the input (inside: (K, 1, OH, OW),
    None when all are), or the last NaN."""
    if inside is None:
        chosen = taps.argmax(axis=1)
    else:   # a padding tap is −∞ too: among tied −∞, the first one inside the input wins
        chosen = ((taps == taps.max(axis=1, keepdims=True)) & inside).argmax(axis=1)
    nan = xp.isnan(taps)
    if bool(nan.any()):
        last_nan = taps.shape[1] - 1 - nan[:, ::-1].argmax(axis=1)
        chosen = xp.where(nan.any(axis=1), last_nan, chosen)
    return chosen


# ---- average pooling -------------------------------------------------------------------------

def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """out[n, c, oh, ow] = Σ_window x / divisor   (zero padding), the divisor as torch's:

    divisor_override if given; else with count_include_pad the taps inside the input or its
    padding (a window that ceil_mode lets run past the padding is cut there), without it the
    taps inside the input alone. A window with no tap inside the input gives 0.
    """
    x = _batched(input, "avg_pool2d")
    k, s, p, _, (oh, ow), extra = _pool_geometry(x, kernel_size, stride, padding, 1, ceil_mode,
                                                 "avg_pool2d")
    n, c, h, w = x.shape
    if extra != (0, 0):   # zeros beyond the padding for the windows ceil_mode adds
        x = pad(x, (0, extra[1], 0, extra[0]))
    taps = _conv.im2col(x, k, s, p, (1, 1)).reshape(c, k[0] * k[1], n, oh, ow)
    total = taps.sum(axis=1).permute(1, 0, 2, 3)
    if divisor_override is not None:
        if not isinstance(divisor_override, numbers.Integral) or divisor_override < 1:
            raise ValueError(f"avg_pool2d: divisor_override must be a positive integer, got "
                             f"{divisor_override!r}")
        out = total / float(divisor_override)
    elif extra == (0, 0) and (count_include_pad or p == (0, 0)):
        out = total / float(k[0] * k[1])
    else:
        count = np.outer(_taps_counted(h, oh, k[0], s[0], p[0], count_include_pad),
                         _taps_counted(w, ow, k[1], s[1], p[1], count_include_pad))
        count = x.backend.asarray(np.maximum(count, 1).astype(x.dtype), x.dtype)
        out = total / _const(count.reshape(1, 1, oh, ow), x)
    return out if input.ndim == 4 else out.squeeze(0)


def _taps_counted(size, out_size, kernel, stride, padding, count_include_pad):
    """Per window along one axis: its taps inside [−p, size + p) (count_include_pad) or inside
    [0, size), as torch's divisor counts them."""
    start = np.arange(out_size) * stride - padding
    if count_include_pad:
        return np.minimum(start + kernel, size + padding) - start
    return np.maximum(np.minimum(start + kernel, size) - np.maximum(start, 0), 0)


def adaptive_avg_pool2d(input, output_size):
    """out[n, c, i, j] = mean of x[n, c, h₀(i):h₁(i), w₀(j):w₁(j)] with torch's windows

        h₀(i) = ⌊i·H/OH⌋,  h₁(i) = ⌈(i + 1)·H/OH⌉      (the same along W)

    which tile the input when OH divides H (then this is avg_pool2d with kernel = stride = H/OH;
    output_size 1 is global average pooling) and overlap by one otherwise. output_size: an int,
    or a pair whose None entries keep the input's size. An empty H or W gives NaN (0/0).
    """
    x = _batched(input, "adaptive_avg_pool2d")
    n, c, h, w = x.shape
    oh, ow = _output_size(output_size, (h, w))
    if h and w and oh and ow and h % oh == 0 and w % ow == 0:
        out = avg_pool2d(x, (h // oh, w // ow))
    else:   # windows of different lengths: gather each, padded to the longest, mask, sum
        xp = x.backend.xp
        rows, row_inside = _adaptive_windows(h, oh)
        cols, col_inside = _adaptive_windows(w, ow)
        index = (x.backend.asarray(rows[:, :, None, None], np.int64),
                 x.backend.asarray(cols[None, None, :, :], np.int64))
        windows = x[:, :, index[0], index[1]]                       # (N, C, OH, LH, OW, LW)
        inside = row_inside[:, :, None, None] & col_inside[None, None, :, :]
        inside = Tensor._wrap(x.backend.asarray(inside, np.bool_), x.device)
        total = ops.where(inside, windows, 0.0).sum(axis=(3, 5))
        count = np.outer(row_inside.sum(axis=1), col_inside.sum(axis=1)).astype(x.dtype)
        with np.errstate(invalid="ignore", divide="ignore"):     # an empty input: 0/0 = NaN
            out = total / _const(xp.asarray(count), x)
    return out if input.ndim == 4 else out.squeeze(0)


def _output_size(output_size, size):
    sizes = (output_size, output_size) if not isinstance(output_size, (tuple, list)) \
        else tuple(output_size)
    if len(sizes) != 2 or not all(v is None or (isinstance(v, numbers.Integral) and v >= 0)
                                  for v in sizes):
        raise ValueError(f"adaptive_avg_pool2d: output_size must be a non-negative int or a "
                         f"pair of them (None keeps the input's size), got {output_size!r}")
    return tuple(size[i] if v is None else int(v) for i, v in enumerate(sizes))


def _adaptive_windows(size, out_size):
    """(index (out_size, L), inside (out_size, L)): window o's entries ⌊o·size/out⌋ …
    ⌈(o + 1)·size/out⌉ − 1, padded to the longest window L by repeating its last entry
    (marked not inside)."""
    o = np.arange(out_size)
    start = (o * size) // out_size
    end = -((-(o + 1) * size) // out_size)                 # ceiling division
    longest = int((end - start).max()) if out_size else 0
    offset = np.arange(longest)
    inside = offset[None, :] < (end - start)[:, None]
    index = np.minimum(start[:, None] + offset[None, :], np.maximum(end - 1, 0)[:, None])
    return index.astype(np.int64), inside
