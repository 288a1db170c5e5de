"""Every differentiable operation of minigrad, by family, and the functions that apply them.

    elementwise.py   + − · / ** neg pow square, exp expm1 log log1p log2 log10 sqrt rsqrt
                     reciprocal abs relu sigmoid tanh, clone and cast
    elementwise_select.py  clip / clamp (number or tensor bounds), maximum minimum where
    _elementwise_base.py   what those share (a saved-or-recomputed output, running a kernel)
    trig.py          sin cos tan asin acos atan sinh cosh atan2
    rounding.py      floor ceil round trunc sign (gradient 0), frac
    compare.py       eq ne lt le gt ge isnan isinf isfinite logical_*, any all, isclose
                     allclose equal (bool results, no gradient)
    reduce.py        sum mean amax amin argmax argmin prod, softmax log_softmax logsumexp
    spread.py        var std var_mean std_mean
    vector_norms.py  vector_norm, norm (torch.norm)
    select.py        max/min (with a dim: values and indices), sort argsort topk kthvalue
                     median mode: torch's named tuples (minigrad/return_types.py)
    scan.py          cumsum cumprod
    shape.py         reshape permute transpose broadcast_to sum_to_shape squeeze unsqueeze
                     flatten expand t movedim unflatten narrow unbind contiguous, getitem
                     setitem, concatenate stack, moving to another device
    join.py          split chunk (tuples of views), hstack vstack
    index.py         gather scatter_add scatter index_select take_along_dim
    mask.py          tril triu masked_fill
    rearrange.py     flip roll repeat tile repeat_interleave
    linalg.py        matmul, matmul_bt (a @ bᵀ: a Linear layer's product), mm bmm mv dot outer
    einsum.py        einsum (its gradient is an einsum again)
    conv.py          im2col / col2im (conv2d and pooling are one GEMM over them)
    loss.py          the cross-entropy rows (log-softmax + NLL, one fused kernel each way)
    norm.py          batch / layer standardisation and L2 normalisation (compositions of ops)
    inplace.py       in-place writes (add_, +=, x[i] = v, zero_, ...) and version counters
    special.py       erf; first_order_only (a gradient that must not be differentiated again)
    penalty.py       the norms inside penalties: group L2 norms, top singular value, nuclear
                     norm (minigrad/penalties/ builds the penalties on them)

Each op is a ``Function`` (minigrad/autograd/function.py) whose docstring states its
derivative, its backward right under its forward and its ``jvp`` (forward mode,
autograd/forward_ad.py) right under its backward; ``_tangents.py`` has the jvp rules' helpers. The Tensor methods (minigrad/tensor.py) and
minigrad's public functions are the functions below.
"""
from . import (conv, elementwise, inplace, linalg, loss, norm, penalty, reduce,  # noqa: F401
               shape, special)
from .conv import Col2Im, Im2Col, col2im, im2col  # noqa: F401
from .elementwise import (add, div, mul, sub,  # noqa: F401
                          Abs, Add, Cast, Clip, Clone, Div, Exp, Expm1, Log,  # noqa: F401
                          Maximum, Minimum, Mul, Neg, Pow, PowScalar, Relu, Sigmoid, Sqrt, Sub,
                          Tanh, Where, abs, clip, exp, expm1, log, maximum, minimum, relu,
                          sigmoid, sqrt, tanh, where)
from .linalg import MatMul, MatMulBT, matmul, matmul_bt  # noqa: F401
from .loss import BinaryCrossEntropy, CrossEntropyRows, CrossEntropyTotal  # noqa: F401
from .reduce import (Amax, LogSoftmax, LogSumExp, Softmax, Sum, amax, amin,  # noqa: F401
                     argmax, argmin, log_softmax, logsumexp, mean, softmax, sum)
from .shape import (BroadcastTo, Concatenate, GetItem, IndexAdd, Permute,  # noqa: F401
                    Reshape, SumToShape, ToDevice, broadcast_to, concatenate, flatten, getitem,
                    permute, reshape, squeeze, stack, sum_to_shape, transpose, unsqueeze)
from .inplace import (copy_, fill_, inplace, random_fill_, setitem,  # noqa: F401
                      share_versions)
from .norm import L2Norm  # noqa: F401
from .special import Erf, erf, first_order_only  # noqa: F401
# issue 12 (math): torch's math functions
from .elementwise import (ClampTensor, LogBase, Log1p, Reciprocal, Rsqrt,  # noqa: F401
                          log1p, log2, log10, neg, pow, reciprocal, rsqrt, square)
from .trig import (Acos, Asin, Atan, Atan2, Cos, Cosh, Sin, Sinh, Tan,  # noqa: F401
                   acos, asin, atan, atan2, cos, cosh, sin, sinh, tan)
from .rounding import Step, ceil, floor, frac, round, sign, trunc  # noqa: F401
from .compare import (all, allclose, any, eq, equal, ge, gt, isclose, isfinite,  # noqa: F401
                      isinf, isnan, le, logical_and, logical_not, logical_or, logical_xor, lt,
                      ne)
from .reduce import Prod, prod  # noqa: F401
from .spread import Std, Var, std, std_mean, var, var_mean  # noqa: F401
from .vector_norms import PNorm, vector_norm  # noqa: F401
# (vector_norm.norm, torch.norm, is minigrad.norm and Tensor.norm: ops.norm stays the module
#  of normalisation, ops/norm.py, which nn.functional imports by that name)
from .select import (SharedValue, argsort, kthvalue, max, median, min, mode,  # noqa: F401
                     sort, topk)
from .scan import CumProd, CumSum, cumprod, cumsum  # noqa: F401
from .linalg import bmm, dot, mm, mv, outer  # noqa: F401
from .einsum import Einsum, einsum  # noqa: F401

__all__ = [
    "exp", "expm1", "log", "sqrt", "abs", "relu", "sigmoid", "tanh", "clip", "maximum", "minimum",
    "where", "sum", "mean", "amax", "amin", "argmax", "argmin", "softmax", "log_softmax",
    "logsumexp", "matmul", "matmul_bt", "reshape", "permute", "transpose", "broadcast_to",
    "sum_to_shape", "concatenate", "stack", "squeeze", "unsqueeze", "flatten", "getitem",
    "setitem", "im2col", "col2im", "first_order_only",
    # issue 12 (math)
    "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "atan2", "log1p", "log2",
    "log10", "reciprocal", "rsqrt", "square", "neg", "pow", "erf", "floor", "ceil", "round",
    "trunc", "sign", "frac", "eq", "ne", "lt", "le", "gt", "ge", "isnan", "isinf", "isfinite",
    "logical_and", "logical_or", "logical_xor", "logical_not", "any", "all", "isclose",
    "allclose", "equal", "max", "min", "sort", "argsort", "topk", "kthvalue", "median", "mode",
    "prod", "cumsum", "cumprod", "var", "std", "var_mean", "std_mean", "vector_norm",
    "mm", "bmm", "mv", "dot", "outer", "einsum",
    "add", "sub", "mul", "div",
]
# issue 12 (shape): torch's views, splitting and joining, masks, indexing along an axis
from .shape import (Contiguous, contiguous, expand, movedim, narrow, swapaxes,  # noqa: F401,E402
                    swapdims, t, unbind, unflatten)
from .join import chunk, hstack, split, vstack  # noqa: F401,E402
from .index import (Gather, Scatter, ScatterAdd, gather, index_select, scatter,  # noqa: F401,E402
                    scatter_add, take_along_dim)
from .mask import MaskedFill, Triangle, masked_fill, tril, triu  # noqa: F401,E402
from .rearrange import (Flip, Roll, flip, repeat, repeat_interleave, roll,  # noqa: F401,E402
                        tile)
__all__ += [
    "contiguous", "expand", "movedim", "narrow", "swapaxes", "swapdims", "t", "unbind",
    "unflatten", "chunk", "hstack", "split", "vstack", "gather", "index_select", "scatter",
    "scatter_add", "take_along_dim", "masked_fill", "tril", "triu", "flip", "repeat",
    "repeat_interleave", "roll", "tile",
]
