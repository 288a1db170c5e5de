"""Tensor: an n-dimensional array on a device, with the recorded history needed to differentiate.

Every method a Tensor has is written in the class below; each differentiable one is a short
call into ``minigrad/ops/``, where the operation's forward and backward sit side by side.

The rules a user relies on (the same as torch's, except where marked):

* ``tensor(data)``: Python floats become the default dtype (float32, see
  ``set_default_dtype``); Python ints become int64, bools bool; a numpy array keeps its dtype
  (a float64 array stays float64).
* Only floating-point tensors can require gradients.
* Binary operations broadcast as numpy does. A Python number takes the tensor's dtype. An
  integer or bool tensor mixed with a float tensor is promoted to the float dtype (exact).
  float32 mixed with float64 is a ``TypeError`` (torch would silently promote; minigrad asks
  you to say ``.double()`` or ``.float()``), and so is mixing devices.
* ``.array`` is the backing ndarray (numpy on the CPU, CuPy on the GPU); ``.data`` is torch's:
  a tensor sharing that array, cut from the graph. Writing through either changes the tensor
  without recording or counting anything.
"""
import numbers

import numpy as np

from . import _compiled  # noqa: F401  (first: compiled engine modules or their .py, see there)
from .backend import get_backend, normalize_device
from .devices import TENSOR_DEVICES
from .dtypes import bool_, float16, float32, float64, int32, int64

__all__ = ["Tensor"]

_new_object = object.__new__


class Tensor:
    """An array plus what autograd needs: ``requires_grad``, ``grad`` and the node that made it."""

    __slots__ = ("array", "_requires_grad", "grad", "_node", "_out_index", "_device",
                 "_grad_owned", "_versions", "__weakref__", "__dict__")
    __array_priority__ = 1000  # numpy_array + tensor dispatches to Tensor.__radd__
    _backward_hooks = _post_accumulate_grad_hooks = None  # a leaf's hooks (autograd/hooks.py)
    _fw_tangent = None  # its forward-mode tangent at the open level (autograd/forward_ad.py)

    def __init__(self, data, dtype=None, requires_grad=False, device=None):
        device = normalize_device(device)
        self._init(_array_from(data, dtype, device), device, requires_grad)

    def _init(self, data, device, requires_grad=False):
        self.array = data
        self._device = device
        self._requires_grad = False
        self.grad = None
        self._node = None
        self._out_index = 0
        self._grad_owned = False
        self._versions = None
        if requires_grad:
            self.requires_grad = True

    @classmethod
    def _wrap(cls, data, device="cpu"):
        """Wraps an array the caller owns, without checks or copies (internal)."""
        t = _new_object(cls)
        t.array = data
        t._device = device
        t._requires_grad = False
        t.grad = None
        t._node = None
        t._out_index = 0
        t._grad_owned = False
        t._versions = None   # [count] shared with the tensor's views; made on first need
        return t

    # ---- attributes ---------------------------------------------------------------------
    @property
    def data(self):
        """torch's ``.data``: the values as a new tensor sharing this tensor's array, cut from
        the graph, whose writes are neither checked nor counted (the escape hatch behind
        ``p.data.add_(-lr * p.grad)``). The array itself is ``.array``."""
        return Tensor._wrap(self.array, self._device)

    @data.setter
    def data(self, value):
        """``p.data = t`` makes ``p`` hold ``t``'s array (shape and dtype may change), as torch."""
        self.array = _conversion.data_array(self, value)

    @property
    def shape(self):
        return self.array.shape

    @property
    def ndim(self):
        return self.array.ndim

    @property
    def dtype(self):
        return self.array.dtype

    @property
    def device(self):
        """A ``mg.device``: device(type='cpu'), or device(type='cuda', index=0) as torch."""
        return TENSOR_DEVICES[self._device]

    @property
    def is_cuda(self):
        return self._device == "cuda"

    def is_floating_point(self):
        return self.array.dtype.kind == "f"

    def element_size(self):
        return self.array.itemsize

    @property
    def nbytes(self):
        return self.array.nbytes

    @property
    def backend(self):
        return get_backend(self._device)  # cached per device string

    @property
    def is_leaf(self):
        return self._node is None

    @property
    def grad_fn(self):
        return self._node

    def size(self, dim=None):
        return self.shape if dim is None else self.shape[dim]

    def numel(self):
        return int(self.array.size)

    def dim(self):
        return self.ndim

    def __len__(self):
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    @property
    def requires_grad(self):
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value):
        if value and self.array.dtype.kind not in "fc":
            raise TypeError(f"only floating-point tensors can require gradients; this one is "
                            f"{self.array.dtype}")
        if not value and self._node is not None:
            raise RuntimeError("requires_grad can only be switched off on a leaf tensor; use "
                               ".detach() to cut a tensor from the graph")
        self._requires_grad = bool(value)

    def requires_grad_(self, requires_grad=True):
        self.requires_grad = requires_grad
        return self

    def retain_grad(self):
        """Keep ``.grad`` for this non-leaf tensor after backward (as torch)."""
        if self._node is None:
            return
        lst = getattr(self._node, "_retain_outputs", None)
        if lst is None:
            lst = self._node._retain_outputs = []
        if self not in lst:
            lst.append(self)

    def register_hook(self, hook):  # fn(grad) → None or a replacement (autograd/hooks.py)
        return _hooks.register_hook(self, hook)

    def register_post_accumulate_grad_hook(self, hook):
        return _hooks.register_post_accumulate_grad_hook(self, hook)

    # ---- conversion ---------------------------------------------------------------------
    def numpy(self):
        """The values as a numpy array (a view on the CPU, a copy from the GPU)."""
        return self.backend.to_numpy(self.array)

    def tolist(self):
        return self.numpy().tolist()

    def item(self):
        if self.array.size != 1:
            raise ValueError(f"item() needs a tensor with one element, this one has shape "
                             f"{self.shape}")
        return self.numpy().reshape(()).item()

    def detach(self):
        """The same data, cut from the graph (a view: it shares the version counter)."""
        return ops.share_versions(Tensor._wrap(self.array, self._device), self)

    def clone(self):
        return ops.Clone.apply(self)

    def to(self, *args, **kwargs):
        """torch's ``.to(device, dtype)``, ``.to(dtype)``, ``.to(other_tensor)``, with
        ``non_blocking=`` (no effect) and ``copy=``; differentiable; ``self`` if nothing changes."""
        device, dtype, copy = _conversion.to_args(args, kwargs)
        out = self if dtype is None or dtype == self.dtype else ops.Cast.apply(self, dtype)
        out = out if device is None or device == self._device else ops.ToDevice.apply(out, device)
        return ops.Clone.apply(out) if copy and out is self else out

    def type(self, dtype=None, non_blocking=False):
        """No argument: the type name, 'minigrad.FloatTensor' (torch: 'torch.FloatTensor');
        else ``.to`` that dtype or type name (torch's names, 'torch.DoubleTensor', too)."""
        if dtype is None:
            return _conversion.type_name(self)
        return self.to(*_conversion.type_target(dtype))

    def cpu(self): return self.to("cpu")
    def cuda(self, device=None, non_blocking=False): return self.to(_conversion.cuda_device(device))
    def float(self): return self.to(float32)
    def double(self): return self.to(float64)
    def half(self): return self.to(float16)   # a TypeError: minigrad refuses float16 (dtypes.py)
    def long(self): return self.to(int64)
    def int(self): return self.to(int32)
    def bool(self): return self.to(bool_)

    def __array__(self, dtype=None, copy=None):
        a = self.numpy()
        return a if dtype is None else a.astype(dtype)

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __bool__(self):
        if self.array.size != 1:
            raise ValueError(f"the truth value of a tensor of shape {self.shape} is ambiguous")
        return bool(self.item())

    def __index__(self):
        if self.dtype.kind not in "iu" or self.array.size != 1:
            raise TypeError("only integer tensors of one element can be used as an index")
        return int(self.item())

    def __repr__(self):
        return _conversion.tensor_repr(self)

    def __hash__(self):
        return id(self)

    # ---- autograd (minigrad/autograd/engine.py) -------------------------------------------
    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Accumulates d(self)/d(leaf) into ``leaf.grad`` for every leaf that requires grad.

        ``gradient`` is required unless ``self`` is a scalar (one element).
        """
        engine.backward((self,), None if gradient is None else (gradient,), retain_graph,
                        create_graph, inputs)

    # ---- in place (ops/inplace.py): each write bumps the version counter, as torch ---------
    @property
    def _version(self):
        """How many in-place writes this tensor (or a view of its array) has seen."""
        return 0 if self._versions is None else self._versions[0]

    def zero_(self):
        return ops.fill_(self, 0, "zero_")

    def fill_(self, value):
        return ops.fill_(self, value, "fill_")

    def copy_(self, src):
        return ops.copy_(self, src)

    def add_(self, other, *, alpha=1):
        return ops.inplace(self, lambda t: t + (other if alpha == 1 else other * alpha),
                           "add_", other)

    def sub_(self, other, *, alpha=1):
        return ops.inplace(self, lambda t: t - (other if alpha == 1 else other * alpha),
                           "sub_", other)

    def mul_(self, other):
        return ops.inplace(self, lambda t: t * other, "mul_", other)

    def div_(self, other):
        return ops.inplace(self, lambda t: t / other, "div_", other)

    def pow_(self, exponent):
        return ops.inplace(self, lambda t: t ** exponent, "pow_", exponent)

    def neg_(self):
        return ops.inplace(self, lambda t: -t, "neg_")

    def exp_(self):
        return ops.inplace(self, ops.exp, "exp_")

    def sqrt_(self):
        return ops.inplace(self, ops.sqrt, "sqrt_")

    def clamp_(self, min=None, max=None):  # noqa: A002
        return ops.inplace(self, lambda t: ops.clip(t, min, max), "clamp_")

    clip_ = clamp_

    def uniform_(self, a=0.0, b=1.0, *, generator=None):
        return ops.random_fill_(self, lambda rng, shape: rng.uniform(a, b, shape),
                                "uniform_", generator)

    def normal_(self, mean=0.0, std=1.0, *, generator=None):
        return ops.random_fill_(self, lambda rng, shape: rng.normal(mean, std, shape),
                                "normal_", generator)

    def __iadd__(self, other):
        return ops.inplace(self, lambda t: t + other, "+=", other)

    def __isub__(self, other):
        return ops.inplace(self, lambda t: t - other, "-=", other)

    def __imul__(self, other):
        return ops.inplace(self, lambda t: t * other, "*=", other)

    def __itruediv__(self, other):
        return ops.inplace(self, lambda t: t / other, "/=", other)

    def __imatmul__(self, other):
        return ops.inplace(self, lambda t: ops.matmul(t, other), "@=", other)

    # ---- arithmetic operators (ops/elementwise.py, ops/linalg.py) ---------------------------
    def __add__(self, other):
        return ops.Add.apply(*_binary(self, other, "+"))

    def __radd__(self, other):
        return ops.Add.apply(*_binary(other, self, "+"))

    def __sub__(self, other):
        return ops.Sub.apply(*_binary(self, other, "-"))

    def __rsub__(self, other):
        return ops.Sub.apply(*_binary(other, self, "-"))

    def __mul__(self, other):
        return ops.Mul.apply(*_binary(self, other, "*"))

    def __rmul__(self, other):
        return ops.Mul.apply(*_binary(other, self, "*"))

    def __truediv__(self, other):
        return ops.Div.apply(*_binary(self, other, "/"))

    def __rtruediv__(self, other):
        return ops.Div.apply(*_binary(other, self, "/"))

    def __pow__(self, exponent):
        if isinstance(exponent, numbers.Number) and not isinstance(exponent, bool):
            return ops.PowScalar.apply(self, float(exponent))
        return ops.Pow.apply(*_binary(self, exponent, "**"))

    def __rpow__(self, base):
        return ops.Pow.apply(*_binary(base, self, "**"))

    def __neg__(self):
        return ops.Neg.apply(self)

    def __pos__(self):
        return self

    def __matmul__(self, other):
        return ops.matmul(self, other)

    def __rmatmul__(self, other):
        return ops.matmul(other, self)

    def __abs__(self):
        return ops.abs(self)

    def add(self, other, *, alpha=1):
        return ops.add(self, other, alpha=alpha)

    def sub(self, other, *, alpha=1):
        return ops.sub(self, other, alpha=alpha)

    def mul(self, other):
        return ops.mul(self, other)

    def div(self, other, *, rounding_mode=None):
        return ops.div(self, other, rounding_mode=rounding_mode)

    # ---- comparisons and logic: bool tensors, no gradient ---------------------------------
    def _compare(self, other, op):
        a, b = _binary(self, other, op)
        return Tensor._wrap(getattr(a.array, _COMPARE[op])(b.array), self._device)

    def __lt__(self, other):
        return self._compare(other, "<")

    def __le__(self, other):
        return self._compare(other, "<=")

    def __gt__(self, other):
        return self._compare(other, ">")

    def __ge__(self, other):
        return self._compare(other, ">=")

    def __eq__(self, other):
        return self._compare(other, "==")

    def __ne__(self, other):
        return self._compare(other, "!=")

    def __invert__(self):
        if self.dtype != bool_:
            raise TypeError(f"~ needs a bool tensor, got {self.dtype}")
        return Tensor._wrap(~self.array, self._device)

    def __and__(self, other):
        return Tensor._wrap(self.array & _as_operand(other, self).array, self._device)

    def __or__(self, other):
        return Tensor._wrap(self.array | _as_operand(other, self).array, self._device)

    eq, ne, lt, le, gt, ge = __eq__, __ne__, __lt__, __le__, __gt__, __ge__
    greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne
    def isnan(self): return ops.isnan(self)
    def isinf(self): return ops.isinf(self)
    def isfinite(self): return ops.isfinite(self)
    def logical_and(self, other): return ops.logical_and(self, other)
    def logical_or(self, other): return ops.logical_or(self, other)
    def logical_xor(self, other): return ops.logical_xor(self, other)
    def logical_not(self): return ops.logical_not(self)
    def any(self, dim=None, keepdim=False): return ops.any(self, dim, keepdim)
    def all(self, dim=None, keepdim=False): return ops.all(self, dim, keepdim)
    def isclose(self, other, *args, **kwargs): return ops.isclose(self, other, *args, **kwargs)
    def allclose(self, other, *args, **kwargs): return ops.allclose(self, other, *args, **kwargs)
    def equal(self, other): return ops.equal(self, other)

    # ---- indexing (ops/shape.py; along an axis ops/index.py; masks ops/mask.py; where) ----
    def __getitem__(self, index):
        return ops.getitem(self, index)

    def __setitem__(self, index, value):
        ops.setitem(self, index, value)

    def gather(self, dim, index):
        return ops.gather(self, dim, index)
    def scatter_add(self, dim, index, src):
        return ops.scatter_add(self, dim, index, src)
    def scatter(self, dim, index, src=None, *, value=None):
        return ops.scatter(self, dim, index, src, value=value)
    def index_select(self, dim, index):
        return ops.index_select(self, dim, index)
    def take_along_dim(self, indices, dim=None):
        return ops.take_along_dim(self, indices, dim)
    def tril(self, diagonal=0):
        return ops.tril(self, diagonal)
    def triu(self, diagonal=0):
        return ops.triu(self, diagonal)
    def masked_fill(self, mask, value):
        return ops.masked_fill(self, mask, value)
    def masked_fill_(self, mask, value):
        return ops.inplace(self, lambda t: ops.masked_fill(t, mask, value), "masked_fill_", value)
    def where(self, condition, other):
        return ops.where(condition, self, other)

    # ---- elementwise functions (ops/elementwise.py) ---------------------------------------
    def exp(self):
        return ops.exp(self)

    def expm1(self):
        return ops.expm1(self)

    def log(self):
        return ops.log(self)

    def sqrt(self):
        return ops.sqrt(self)

    def abs(self):
        return ops.abs(self)

    def relu(self):
        if self.array.dtype.kind == "f":   # ops.relu's check, without the call (on every layer)
            return ops.Relu.apply(self)
        return ops.relu(self)              # which raises its TypeError

    def sigmoid(self):
        return ops.sigmoid(self)

    def tanh(self):
        return ops.tanh(self)

    def clip(self, min=None, max=None):  # noqa: A002
        """Limits the values to [min, max] (either may be None), as torch.clamp."""
        return ops.clip(self, min, max)

    def clamp(self, min=None, max=None):  # noqa: A002
        return ops.clip(self, min, max)

    def maximum(self, b):
        return ops.maximum(self, b)

    def minimum(self, b):
        return ops.minimum(self, b)

    # torch's math methods, one line each (ops/elementwise.py, trig.py, rounding.py, special.py)
    def sin(self): return ops.sin(self)
    def cos(self): return ops.cos(self)
    def tan(self): return ops.tan(self)
    def asin(self): return ops.asin(self)
    def acos(self): return ops.acos(self)
    def atan(self): return ops.atan(self)
    def sinh(self): return ops.sinh(self)
    def cosh(self): return ops.cosh(self)
    def atan2(self, other): return ops.atan2(self, other)
    def log1p(self): return ops.log1p(self)
    def log2(self): return ops.log2(self)
    def log10(self): return ops.log10(self)
    def rsqrt(self): return ops.rsqrt(self)
    def reciprocal(self): return ops.reciprocal(self)
    def square(self): return ops.square(self)
    def pow(self, exponent): return ops.pow(self, exponent)
    def neg(self): return ops.neg(self)
    def erf(self): return ops.erf(self)
    def sign(self): return ops.sign(self)
    def floor(self): return ops.floor(self)
    def ceil(self): return ops.ceil(self)
    def round(self, *, decimals=0): return ops.round(self, decimals=decimals)
    def trunc(self): return ops.trunc(self)
    def frac(self): return ops.frac(self)

    # ---- reductions (ops/reduce.py); torch's dim= and keepdim= are accepted too -------------
    def sum(self, axis=None, keepdims=False, *, dim=None, keepdim=False):
        return ops.sum(self, _axis_kw(axis, dim), _keep_kw(keepdims, keepdim))

    def mean(self, axis=None, keepdims=False, *, dim=None, keepdim=False):
        return ops.mean(self, _axis_kw(axis, dim), _keep_kw(keepdims, keepdim))

    def max(self, dim=None, keepdim=False, *, axis=None, keepdims=False):
        """max(): the value; max(dim): torch's (values, indices); max(other): the maximum."""
        return ops.max(self, _axis_kw(axis, dim), _keep_kw(keepdims, keepdim))

    def min(self, dim=None, keepdim=False, *, axis=None, keepdims=False):
        return ops.min(self, _axis_kw(axis, dim), _keep_kw(keepdims, keepdim))

    def amax(self, dim=None, keepdim=False, *, axis=None, keepdims=False):
        return ops.amax(self, _axis_kw(axis, dim), _keep_kw(keepdims, keepdim))

    def amin(self, dim=None, keepdim=False, *, axis=None, keepdims=False):
        return ops.amin(self, _axis_kw(axis, dim), _keep_kw(keepdims, keepdim))

    # ops/select.py (named tuples (values, indices)), ops/scan.py, the rest of ops/reduce.py
    def sort(self, *args, **kwargs): return ops.sort(self, *args, **kwargs)
    def argsort(self, *args, **kwargs): return ops.argsort(self, *args, **kwargs)
    def topk(self, *args, **kwargs): return ops.topk(self, *args, **kwargs)
    def kthvalue(self, k, dim=-1, keepdim=False): return ops.kthvalue(self, k, dim, keepdim)
    def median(self, dim=None, keepdim=False): return ops.median(self, dim, keepdim)
    def mode(self, dim=-1, keepdim=False): return ops.mode(self, dim, keepdim)
    def prod(self, dim=None, keepdim=False): return ops.prod(self, dim, keepdim)
    def cumsum(self, dim): return ops.cumsum(self, dim)
    def cumprod(self, dim): return ops.cumprod(self, dim)
    def var(self, *args, **kwargs): return ops.var(self, *args, **kwargs)
    def std(self, *args, **kwargs): return ops.std(self, *args, **kwargs)
    def norm(self, *args, **kwargs): return ops.vector_norms.norm(self, *args, **kwargs)

    def argmax(self, axis=None, keepdims=False, *, dim=None, keepdim=False):
        return ops.argmax(self, _axis_kw(axis, dim), _keep_kw(keepdims, keepdim))

    def argmin(self, axis=None, keepdims=False, *, dim=None, keepdim=False):
        return ops.argmin(self, _axis_kw(axis, dim), _keep_kw(keepdims, keepdim))

    def softmax(self, axis=-1, *, dim=None):
        return ops.softmax(self, dim if dim is not None else axis)

    def log_softmax(self, axis=-1, *, dim=None):
        return ops.log_softmax(self, dim if dim is not None else axis)

    def logsumexp(self, axis=-1, keepdims=False, *, dim=None, keepdim=False):
        return ops.logsumexp(self, dim if dim is not None else axis, _keep_kw(keepdims, keepdim))

    # ---- shape (ops/shape.py) -------------------------------------------------------------
    def reshape(self, *shape):
        return ops.reshape(self, *shape)

    view = reshape   # where torch's view refuses a non-contiguous tensor, this copies, as reshape

    def permute(self, *axes):
        return ops.permute(self, *axes)

    def transpose(self, dim0=None, dim1=None):
        """Swaps two axes (torch); with no arguments reverses all axes (numpy)."""
        if dim0 is None and dim1 is None:
            return self.T
        return ops.transpose(self, dim0, dim1)

    @property
    def T(self):
        """All axes reversed."""
        return ops.permute(self, tuple(reversed(range(self.ndim))))

    @property
    def mT(self):
        """The last two axes swapped (a batch of matrices transposed)."""
        return ops.transpose(self, -1, -2)

    def flatten(self, start_dim=0, end_dim=-1):
        return ops.flatten(self, start_dim, end_dim)

    def squeeze(self, axis=None, *, dim=None):
        return ops.squeeze(self, axis, dim=dim)

    def unsqueeze(self, axis=None, *, dim=None):
        return ops.unsqueeze(self, axis, dim=dim)

    def broadcast_to(self, shape):
        return ops.broadcast_to(self, shape)

    def expand(self, *sizes):
        return ops.expand(self, *sizes)

    def sum_to_shape(self, shape):
        return ops.sum_to_shape(self, shape)

    # torch's other views and axis moves (ops/shape.py), pieces (ops/join.py), copies of
    # elements (ops/rearrange.py)
    def view_as(self, other):
        return ops.reshape(self, other.shape)
    reshape_as = view_as
    def expand_as(self, other):
        return ops.expand(self, other.shape)
    def t(self):
        return ops.t(self)
    def contiguous(self):
        return ops.contiguous(self)
    swapaxes = swapdims = transpose   # torch's other names for transpose(dim0, dim1)
    def movedim(self, source, destination):
        return ops.movedim(self, source, destination)
    moveaxis = movedim
    def unflatten(self, dim, sizes):
        return ops.unflatten(self, dim, sizes)
    def narrow(self, dim, start, length):
        return ops.narrow(self, dim, start, length)
    def unbind(self, dim=0):
        return ops.unbind(self, dim)
    def split(self, split_size, dim=0):
        return ops.split(self, split_size, dim)
    def chunk(self, chunks, dim=0):
        return ops.chunk(self, chunks, dim)
    def flip(self, *dims):
        return ops.flip(self, *dims)
    def roll(self, shifts, dims=None):
        return ops.roll(self, shifts, dims)
    def repeat(self, *sizes):
        return ops.repeat(self, *sizes)
    def tile(self, *dims):
        return ops.tile(self, *dims)
    def repeat_interleave(self, repeats, dim=None, *, output_size=None):
        return ops.repeat_interleave(self, repeats, dim, output_size=output_size)

    # ---- linear algebra (ops/linalg.py) ---------------------------------------------------
    def matmul(self, b): return ops.matmul(self, b)
    def mm(self, mat2): return ops.mm(self, mat2)
    def bmm(self, mat2): return ops.bmm(self, mat2)
    def mv(self, vec): return ops.mv(self, vec)
    def dot(self, other): return ops.dot(self, other)
    def outer(self, vec2): return ops.outer(self, vec2)

    # ---- new tensors like this one (creation.py): this dtype and device unless given -----
    def new_tensor(self, data, dtype=None, device=None, requires_grad=False):
        return creation.tensor(data, dtype=dtype or self.dtype, requires_grad=requires_grad,
                               device=device or self._device)

    def new_full(self, size, fill_value, dtype=None, device=None, requires_grad=False):
        return creation.full(size, fill_value, dtype=dtype or self.dtype,
                             requires_grad=requires_grad, device=device or self._device)

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
        return self.new_full(_shape_arg(size), 0, dtype, device, requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
        return self.new_full(_shape_arg(size), 1, dtype, device, requires_grad)

    new_empty = new_zeros   # minigrad has no uninitialised memory

    # ---- random sampling (creation.py; not differentiable) ---------------------------------
    def multinomial(self, num_samples, replacement=False, *, generator=None):
        return creation.multinomial(self, num_samples, replacement, generator=generator)

    def __format__(self, spec):   # torch's: f"{loss:.4f}" formats a 0-d tensor's value
        return format(self.item(), spec) if self.ndim == 0 else object.__format__(self, spec)


# ---------------------------------------------------------------------------------------------
# The package's one import cycle, closed here: the ops, the operand and conversion helpers and
# the creation functions build or read Tensors (so do the generator's state and gradcheck, which
# they reach), the engine walks them — all import Tensor from this module — and the Tensor
# methods above call them. They are imported at the bottom, once Tensor exists;
# minigrad/__init__ imports this module first.
from . import _conversion, creation, ops  # noqa: E402
from ._operands import (_COMPARE, _array_from, _as_operand, _axis_kw, _binary,  # noqa: E402
                        _keep_kw, _shape_arg)
from .autograd import engine, hooks as _hooks  # noqa: E402
