"""``minigrad.linalg``: the norms of torch.linalg (the rest of torch.linalg is not here).

    vector_norm(x, ord=2, dim=None, keepdim=False)          ops/vector_norms.py
    matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False)  "fro", 1, -1, inf, -inf
"""
import math

from .ops.reduce import amax, amin
from .tensor import Tensor
from .ops.vector_norms import vector_norm
from .ops.shape import _axis, squeeze

__all__ = ["vector_norm", "matrix_norm"]


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False):  # noqa: A002  (torch's name)
    """The matrix norm over the two axes ``dim`` (rows, columns), torch.linalg.matrix_norm:

        "fro"     √Σ a²                        1 / −1      max / min column sum of |a|
        inf/−inf  max / min row sum of |a|     (2, −2 and "nuc" need singular values: not here)
    """
    if len(tuple(dim)) != 2:
        raise ValueError(f"matrix_norm: dim must name two axes, got {dim!r}")
    rows, cols = (_axis(d, A.ndim, "dim") for d in dim)
    if rows == cols:
        raise ValueError(f"matrix_norm: dim names one axis twice: {dim!r}")
    if ord == "fro":
        return vector_norm(A, 2, (rows, cols), keepdim)
    if ord in (1, -1, math.inf, -math.inf):
        summed, over = (rows, cols) if ord in (1, -1) else (cols, rows)  # column or row sums
        sums = A.abs().sum(axis=summed, keepdims=True)
        if ord > 0 and A.shape[over] == 0:   # the max of no sums of |a| ≥ 0: 0, a constant,
            shape = tuple(1 if i == over else n for i, n in enumerate(sums.shape))   # as torch
            out = Tensor._wrap(A.backend.xp.zeros(shape, A.dtype), A.device)
        else:
            out = (amax if ord > 0 else amin)(sums, over, True)
        return out if keepdim else squeeze(out, (rows, cols))
    raise ValueError(f"matrix_norm: ord={ord!r} is not supported here (use 'fro', 1, -1, inf "
                     "or -inf; 2, -2 and 'nuc' need singular values)")
