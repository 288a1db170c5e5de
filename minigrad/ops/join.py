"""Cutting a tensor into pieces and joining pieces into a tensor.

``split`` and ``chunk`` return a tuple of slices of the input (views, as torch's), so each
piece's gradient flows back through indexing to the part of the input it came from; the pieces
that receive no gradient contribute zeros. Joining is ``concatenate`` (torch.cat) and ``stack``
in shape.py; ``hstack`` and ``vstack`` are concatenate after numpy's atleast_1d / atleast_2d.
"""
import numbers
import operator

from .shape import _axis, _tensor_list, concatenate, getitem, reshape


def _pieces(x, dim, sizes):
    """The consecutive slices of x along axis ``dim`` (non-negative) of the given sizes."""
    pieces, start = [], 0
    for size in sizes:
        pieces.append(getitem(x, (slice(None),) * dim + (slice(start, start + size),)))
        start += size
    return tuple(pieces)


def split(x, split_size_or_sections, dim=0):
    """x cut along ``dim`` (torch.split): into pieces of ``split_size`` each (an int; the last
    piece is smaller when it does not divide the axis), or of the listed sizes (which must add
    up to the axis's size). A tuple of views of x."""
    if x.ndim == 0:
        raise ValueError("split needs a tensor with at least one dimension")
    d = _axis(dim, x.ndim, "split: dim")
    n = x.shape[d]
    if isinstance(split_size_or_sections, numbers.Integral):
        size = int(split_size_or_sections)
        if size < 0 or (size == 0 and n):
            raise ValueError(f"split: split_size {size} for dim {dim} of size {n} (it must be "
                             "positive, or 0 for an axis of size 0)")
        whole, rest = divmod(n, size) if size else (0, 0)
        sizes = [size] * whole + ([rest] if rest else []) or [n]  # an empty axis: one empty piece
    else:
        try:
            sizes = [operator.index(s) for s in split_size_or_sections]
        except TypeError:
            raise TypeError(f"split: split_size_or_sections must be an int or a sequence of "
                            f"ints, got {split_size_or_sections!r}") from None
        if any(s < 0 for s in sizes) or sum(sizes) != n:
            raise ValueError(f"split: sections {sizes} must be non-negative and add up to the "
                             f"size {n} of dim {dim}")
    return _pieces(x, d, sizes)


def chunk(x, chunks, dim=0):
    """x cut along ``dim`` into at most ``chunks`` pieces of ceil(size / chunks) each, the last
    smaller (torch.chunk: so it may return fewer pieces, e.g. 6 in 4 chunks gives 3 of 2)."""
    if x.ndim == 0:
        raise ValueError("chunk needs a tensor with at least one dimension")
    if not isinstance(chunks, numbers.Integral) or chunks <= 0:
        raise ValueError(f"chunk: chunks must be a positive integer, got {chunks!r}")
    d = _axis(dim, x.ndim, "chunk: dim")
    n = x.shape[d]
    if n == 0:  # torch: as many empty pieces as asked for
        return _pieces(x, d, [0] * int(chunks))
    return split(x, -(-n // int(chunks)), d)


def hstack(tensors):
    """Joined column-wise: 1-D tensors end to end, others along dim 1 (torch.hstack)."""
    tensors = [reshape(t, (1,)) if t.ndim == 0 else t for t in _tensor_list(tensors, "hstack")]
    return concatenate(tensors, 0 if tensors[0].ndim == 1 else 1)


def vstack(tensors):
    """Joined row-wise, a 1-D tensor (or a number) being one row (torch.vstack)."""
    tensors = [t if t.ndim >= 2 else reshape(t, (1, t.array.size))
               for t in _tensor_list(tensors, "vstack")]
    return concatenate(tensors, 0)
