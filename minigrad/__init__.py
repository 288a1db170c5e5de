"""minigrad: a from-scratch tensor and reverse-mode autograd engine, every gradient term explicit.

The public API, re-exported here, follows torch's names and meanings::

    import minigrad as mg
    x = mg.tensor([[1.0, 2.0]], requires_grad=True)
    y = (x @ x.T).sum()
    y.backward()
    x.grad
"""
from . import _compiled  # noqa: F401  (first: which modules run compiled, see _compiled.py)
from .tensor import Tensor  # tensor.py closes the package's one import cycle (with ops)
from . import ops  # noqa: F401
from . import optim  # noqa: F401
from . import nn  # noqa: F401,E402  (nn family)
from .autograd import (Function, NonDifferentiableBackwardError, enable_grad, grad,
                       is_grad_enabled, no_grad, set_grad_enabled)
from .backend import available_devices, cuda_available
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .ops import (abs, amax, amin, broadcast_to, clip, concatenate, exp, expm1, flatten, log,
                  log_softmax, logsumexp, matmul, maximum, mean, minimum, permute, relu,
                  reshape, sigmoid, softmax, sqrt, squeeze, stack, sum, tanh, transpose,
                  unsqueeze, where)
from .creation import (arange, as_tensor, empty, empty_like, eye, from_numpy, full, full_like,
                       linspace, manual_seed, ones, ones_like, rand, rand_like, randint, randn, randn_like,
                       tensor, zeros, zeros_like)
from .dtypes import (bool_, float16, float32, float64, get_default_dtype, int32, int64,
                     set_default_dtype)
from . import constraints, penalties  # noqa: F401,E402  (penalties family)
from .lipschitz import certified_radius, lipschitz_bound  # noqa: E402

clamp = clip
cat = concatenate
__version__ = "0.1.0"

# issue 12 (data)
from . import utils  # noqa: F401,E402  (minigrad.utils.data: Dataset, DataLoader, ...)
from .creation import bernoulli, multinomial, normal, randperm  # noqa: E402
from .random import (Generator, default_generator, get_rng_state, initial_seed,  # noqa: E402
                     seed, set_rng_state)
from .serialization import load, save  # noqa: E402
# issue 12 (nn)
from . import autograd  # noqa: F401,E402  (mg.autograd.gradcheck, .Variable, .backward, ...)
from .legacy import (BoolTensor, ByteTensor, DoubleTensor, FloatTensor, IntTensor,  # noqa: E402
                     LongTensor)
# issue 12 (shape): torch's views, pieces, masks and indexing along an axis, as functions
from .ops import (chunk, flip, gather, hstack, index_select, masked_fill, movedim,  # noqa: E402
                  narrow, repeat_interleave, roll, scatter, scatter_add, split, swapaxes,
                  swapdims, t, take_along_dim, tile, tril, triu, unbind, unflatten, vstack)
concat = concatenate
moveaxis = movedim
# issue 12 (math): torch's math, comparison, reduction, selection and product functions
from . import linalg, return_types  # noqa: F401,E402
from .ops import (acos, all, allclose, any, argmax, argmin, argsort, asin, atan,  # noqa: E402,F401
                  atan2, bmm, ceil, cos, cosh, cumprod, cumsum, dot, einsum, eq, equal, erf,
                  floor, frac, ge, gt, isclose, isfinite, isinf, isnan, kthvalue, le, log1p,
                  log2, log10, logical_and, logical_not, logical_or, logical_xor, lt, max,
                  median, min, mm, mode, mv, ne, neg, outer, pow, prod, reciprocal, round,
                  rsqrt, sign, sin, sinh, sort, square, std, std_mean, tan, topk, trunc, var,
                  var_mean)
from .ops.vector_norms import norm  # noqa: E402  (ops.norm is the normalisation module)
greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne
from .ops import add, div, mul, sub  # noqa: E402  (torch.add ...: the operators as functions)
# issue 12 (device): dtypes and devices as torch spells them. `float`, `int` and `bool` below
# are dtypes (torch.float is float32): from here on they shadow Python's builtins in this file,
# so nothing after this block may use the builtins.
from .dtypes import (bool, double, dtype, finfo, float, half, iinfo, int, int8, int16,  # noqa
                     long, uint8)
from ._conversion import is_floating_point  # noqa: E402
from .devices import device, get_default_device, set_default_device  # noqa: E402
from . import accelerator, backends, cuda  # noqa: F401,E402
# issue 13 (functional): torch.func-style transforms (grad, vjp, jvp, jacrev, hessian)
from . import func  # noqa: F401,E402
# issue 13 (hooks): torch's path to the global module hooks, mg.nn.modules.module
from .nn import modules as _nn_modules  # noqa: F401,E402
# issue 17 (distributed): mg.distributed as torch.distributed (MPI is initialised only by
# init_process_group, not by this import)
from . import distributed  # noqa: F401,E402
# issue 16 (threads): torch's intra-op thread count for minigrad's kernels and BLAS products
from . import threads  # noqa: F401,E402
from .threads import get_num_threads, set_num_threads  # noqa: E402
# Last: every module of _compiled.MODULES is imported by now, so the import finder that chose
# compiled-or-source for them is taken off sys.meta_path (see minigrad/_compiled.py).
from . import _compiled  # noqa: E402
_compiled.remove()
