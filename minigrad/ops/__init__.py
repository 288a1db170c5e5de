"""Every differentiable operation of minigrad, by family, and the functions that apply them.

    elementwise.py   + − · / ** neg, exp expm1 log sqrt abs relu sigmoid tanh clip maximum minimum
                     where, clone and cast
    reduce.py        sum mean amax amin argmax argmin, softmax log_softmax logsumexp
    shape.py         reshape permute transpose broadcast_to sum_to_shape squeeze unsqueeze
                     flatten, getitem setitem, concatenate stack, moving to another device
    linalg.py        matmul, matmul_bt (a @ bᵀ: a Linear layer's product)
    conv.py          im2col / col2im (conv2d and pooling are one GEMM over them)
    loss.py          the cross-entropy rows (log-softmax + NLL, one fused kernel each way)
    norm.py          batch / layer standardisation and L2 normalisation (compositions of ops)
    inplace.py       in-place writes (add_, +=, x[i] = v, zero_, ...) and version counters
    special.py       erf; first_order_only (a gradient that must not be differentiated again)
    penalty.py       the norms inside penalties: group L2 norms, top singular value, nuclear
                     norm (minigrad/penalties/ builds the penalties on them)

Each op is a ``Function`` (minigrad/autograd/function.py) whose docstring states its
derivative, its backward right under its forward. The Tensor methods (minigrad/tensor.py) and
minigrad's public functions are the functions below.
"""
from . import (conv, elementwise, inplace, linalg, loss, norm, penalty, reduce,  # noqa: F401
               shape, special)
from .conv import Col2Im, Im2Col, col2im, im2col  # noqa: F401
from .elementwise import (Abs, Add, Cast, Clip, Clone, Div, Exp, Expm1, Log,  # noqa: F401
                          Maximum, Minimum, Mul, Neg, Pow, PowScalar, Relu, Sigmoid, Sqrt, Sub,
                          Tanh, Where, abs, clip, exp, expm1, log, maximum, minimum, relu,
                          sigmoid, sqrt, tanh, where)
from .linalg import MatMul, MatMulBT, matmul, matmul_bt  # noqa: F401
from .loss import BinaryCrossEntropy, CrossEntropyRows  # noqa: F401
from .reduce import (Amax, LogSoftmax, LogSumExp, Softmax, Sum, amax, amin,  # noqa: F401
                     argmax, argmin, log_softmax, logsumexp, mean, softmax, sum)
from .shape import (BroadcastTo, Concatenate, GetItem, IndexAdd, Permute,  # noqa: F401
                    Reshape, SumToShape, ToDevice, broadcast_to, concatenate, flatten, getitem,
                    permute, reshape, squeeze, stack, sum_to_shape, transpose, unsqueeze)
from .inplace import (copy_, fill_, inplace, random_fill_, setitem,  # noqa: F401
                      share_versions)
from .norm import L2Norm  # noqa: F401
from .special import Erf, first_order_only  # noqa: F401

__all__ = [
    "exp", "expm1", "log", "sqrt", "abs", "relu", "sigmoid", "tanh", "clip", "maximum", "minimum",
    "where", "sum", "mean", "amax", "amin", "argmax", "argmin", "softmax", "log_softmax",
    "logsumexp", "matmul", "matmul_bt", "reshape", "permute", "transpose", "broadcast_to",
    "sum_to_shape", "concatenate", "stack", "squeeze", "unsqueeze", "flatten", "getitem",
    "setitem", "im2col", "col2im", "first_order_only",
]
