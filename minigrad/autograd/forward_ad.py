"""Forward-mode AD, as ``torch.autograd.forward_ad``: dual tensors carry a tangent forward.

Reverse mode (``backward``) gives a vector-Jacobian product vᵀJ for one output direction v at
the cost of about one more evaluation; forward mode gives a Jacobian-vector product J·t for one
*input* direction t, computed alongside the forward pass itself, no graph kept::

    with forward_ad.dual_level():
        x = forward_ad.make_dual(x0, t)          # x0 carrying the tangent t
        y = f(x)                                 # every op pushes its tangent forward
        y0, jvp = forward_ad.unpack_dual(y)      # f(x0) and J_f(x0)·t

How an op pushes a tangent: ``Function.apply`` calls the Function's ``jvp(ctx, *tangents)``
right after its ``forward`` whenever an input carries a tangent at the open level. The rule sits
beside the op's ``forward`` and ``backward``, so the three derivatives of an op read together,
e.g. for z = a·b::

    backward:  (grad·b, grad·a)        vᵀJ, one output direction
    jvp:       ta·b + a·tb             J·t, one input direction

``jvp`` rules are written with minigrad's ops, so a tangent is itself differentiable in reverse
mode (reverse-over-forward); and a backward run while a level is open carries tangents through
its own operations (forward-over-reverse: ``grad`` of a dual tensor's function has the tangent
H·t, a Hessian-vector product).

The rules are torch's: one level at a time (nesting raises), ``make_dual`` only inside a level,
tangents of the same shape as their primal, integer tensors carry none, and leaving the level
drops every tangent made in it. One deliberate difference: a tangent of another dtype than its
primal is a ``TypeError`` (torch casts it silently).
"""
import weakref
from typing import NamedTuple, Optional

from ..tensor import Tensor
from .function import Function
from .grad_mode import _forward

__all__ = ["dual_level", "enter_dual_level", "exit_dual_level", "make_dual", "unpack_dual",
           "UnpackedDualTensor"]


class _Level:
    """An open level: the tensors given tangents in it, so that leaving it can drop them."""

    def __init__(self, index):
        self.index = index
        self._duals = []

    def attach(self, tensor, tangent):
        tensor._fw_tangent = tangent
        self._duals.append(weakref.ref(tensor))

    def close(self):
        for ref in self._duals:
            t = ref()
            if t is not None:
                t.__dict__.pop("_fw_tangent", None)
        self._duals = []


def enter_dual_level():
    """Opens a forward-mode level and returns its index (0: one level at a time, as torch)."""
    if _forward.level is not None:
        raise RuntimeError("Nested forward mode AD is not supported at the moment")
    _forward.level = _Level(0)
    return 0


def exit_dual_level(*, level=None):
    """Closes the open level; every tangent made in it is dropped."""
    current = _forward.level
    if current is None or (level is not None and level != current.index):
        raise RuntimeError(f"Trying to exit a forward AD level ({level}) that was not the "
                           "last one entered (or none is open)")
    _forward.level = None
    current.close()


class dual_level:
    """``with dual_level():`` opens a level for the block; usable as a decorator too."""

    def __enter__(self):
        return enter_dual_level()

    def __exit__(self, *exc):
        exit_dual_level()
        return False

    def __call__(self, fn):
        def wrapper(*args, **kwargs):
            with dual_level():
                return fn(*args, **kwargs)
        wrapper.__wrapped__ = fn
        return wrapper


class UnpackedDualTensor(NamedTuple):
    primal: Tensor
    tangent: Optional[Tensor]


class _MakeDual(Function):
    """The dual tensor: a view of the primal (identity forward, identity backward) whose
    tangent is set by ``make_dual``; its ``jvp`` gives the primal's own tangent, if any."""

    @staticmethod
    def forward(ctx, primal):
        return primal.array.view()

    @staticmethod
    def backward(ctx, grad):
        return grad

    @staticmethod
    def jvp(ctx, tangent):
        return tangent


class _Primal(_MakeDual):
    """``unpack_dual(t).primal``: a view of t through which gradients flow and no tangent."""

    @staticmethod
    def jvp(ctx, tangent):
        return None


def make_dual(tensor, tangent, *, level=None):
    """A view of ``tensor`` (gradients flow through it in reverse mode) carrying ``tangent`` as
    its forward-mode derivative at the open level."""
    if _forward.level is None:
        raise RuntimeError("Trying to create a dual Tensor for forward AD but no level exists, "
                           "make sure to enter_dual_level() first.")
    if not isinstance(tensor, Tensor) or not isinstance(tangent, Tensor):
        raise TypeError(f"make_dual expects two Tensors, got {type(tensor).__name__} and "
                        f"{type(tangent).__name__}")
    if tensor.dtype.kind != "f":
        raise ValueError(f"Expected primal to be floating point, but got: {tensor.dtype}")
    if tangent.shape != tensor.shape:
        raise RuntimeError(
            "Trying to set a forward gradient that has a different size than that of the "
            f"original Tensor, this is not supported. Tensor is of size {list(tensor.shape)} "
            f"while the given forward gradient is of size {list(tangent.shape)}.")
    if tangent.dtype != tensor.dtype or tangent.device != tensor.device:
        raise TypeError(f"make_dual: the tangent is {tangent.dtype} on {tangent.device}, the "
                        f"primal {tensor.dtype} on {tensor.device}; convert the tangent "
                        "(minigrad does not cast it silently)")
    dual = _MakeDual.apply(tensor)
    _forward.level.attach(dual, tangent)
    return dual


def unpack_dual(tensor, *, level=None):
    """(primal, tangent): a view of ``tensor`` without tangent, and its tangent at the open
    level (None outside a level or when it has none)."""
    tangent = tensor._fw_tangent if _forward.level is not None else None
    if tangent is None:
        return UnpackedDualTensor(tensor, None)
    current = _forward.level
    _forward.level = None  # the primal view must not take the tangent along
    try:
        primal = _Primal.apply(tensor)
    finally:
        _forward.level = current
    return UnpackedDualTensor(primal, tangent)
