"""``Variable``: torch's pre-0.4 wrapper, kept as a thin deprecated alias for old tutorials.

Since torch 0.4 every Tensor records its history itself, and ``Variable(t, requires_grad=True)``
only returns a tensor: here, ``t.detach()`` (sharing t's data) with ``requires_grad`` set, so
the result is a leaf, as torch's. Any Tensor passes ``isinstance(x, Variable)``, as in torch.
A DeprecationWarning says to write ``t.requires_grad_()`` or ``mg.tensor(..., requires_grad=True)``.
"""
import warnings

from ..tensor import Tensor

__all__ = ["Variable"]


class _VariableMeta(type):
    def __instancecheck__(cls, instance):
        return isinstance(instance, Tensor)


class Variable(metaclass=_VariableMeta):
    """``Variable(tensor, requires_grad=False)`` → a Tensor (deprecated; see the module)."""

    def __new__(cls, data, requires_grad=False):
        warnings.warn("Variable is deprecated (torch 0.4 merged it into Tensor): use the tensor "
                      "itself, with .requires_grad_() or requires_grad=True", DeprecationWarning,
                      stacklevel=2)
        if not isinstance(data, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
        out = data.detach()
        if requires_grad:
            out.requires_grad_(True)
        return out
