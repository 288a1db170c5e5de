"""In-place operations (``x.add_(y)``, ``x += y``, ``x[i] = v``, ``x.zero_()``, ...) and the
version counters that keep them honest.

An in-place op computes the ordinary (out-of-place) result and writes it into the tensor's own
array, so every view of that array sees it, then bumps the tensor's version counter, which its
views share. The rules are torch's:

* a tensor saved for backward (``ctx.save_for_backward``, or a Function's kept output) that is
  written in place afterwards makes backward raise, naming the Function: its gradient would be
  computed from the new values — a silently wrong number;
* an in-place op on a leaf that requires grad raises unless recording is off: under
  ``mg.no_grad()`` (an optimizer step, ``p -= lr * p.grad``) the parameter stays the same leaf;
* writes through ``.array`` are the escape hatch: not checked, not counted;
* under forward-mode AD (a ``forward_ad.dual_level`` open) the written tensor's tangent becomes
  the tangent of what was written: the op's jvp for ``x.mul_(2)``, the value's tangent for
  ``copy_`` and ``x[i] = v``, zeros for ``fill_``/``zero_``/random fills. Difference from torch:
  views of the tensor taken before the write keep their own tangents (torch updates them too).

One deliberate difference from torch: while recording, minigrad refuses an in-place op on a
tensor that is part of the graph (a non-leaf that requires grad, or a write of a value that
requires grad). torch rewrites the tensor's recorded history; minigrad's graph nodes hold their
input tensors, so rewriting one would silently change the gradients of the ops that used it
before the write. The error names the out-of-place spelling.
"""
import numbers

from ..autograd import is_grad_enabled, no_grad
from ..autograd.grad_mode import _forward
from ..random import _rng
from ..tensor import Tensor
from .shape import _normalize_index, broadcast_to


def share_versions(view, base):
    """``view`` (an array view of ``base``'s array) shares ``base``'s version counter."""
    if base._versions is None:
        base._versions = [0]
    view._versions = base._versions
    return view


def bump_version(t):
    if t._versions is None:
        t._versions = [1]
    else:
        t._versions[0] += 1


def check_writable(t, what, value=None):
    """Raises where an in-place write into ``t`` would make a gradient silently wrong."""
    if not is_grad_enabled():
        return
    if t._requires_grad:
        if t._node is None:
            raise RuntimeError(
                f"{what}: a leaf tensor that requires grad is being used in an in-place "
                "operation; update parameters under `with mg.no_grad():` (as an optimizer "
                "step does), or work on a clone()")
        raise RuntimeError(
            f"{what}: in-place operation on a tensor that is part of a recorded graph "
            f"({t._node.fn.__name__} made it); minigrad does not rewrite recorded history, "
            "which would change gradients recorded before the write: write it out-of-place, "
            "e.g. y = y + 1 instead of y += 1")
    if isinstance(value, Tensor) and value._requires_grad:
        raise RuntimeError(
            f"{what}: the value written requires grad, so the write would have to be recorded "
            "in the graph; write it out-of-place (t = t + value) instead")


def inplace(t, compute, what, operand=None):
    """t ← compute(t), written into t's array: the rules of the module docstring."""
    check_writable(t, what, operand)
    with no_grad():
        result = compute(t)
    if result.shape != t.shape:
        raise ValueError(f"{what}: an in-place operation cannot change the tensor's shape "
                         f"{t.shape} to {result.shape}")
    if result.dtype != t.dtype:
        raise TypeError(f"{what}: the result has dtype {result.dtype}, which cannot be written "
                        f"into the tensor's {t.dtype} without a cast; use t = t {what[:-1]} ... "
                        "or convert the tensor first")
    t.array[...] = result.array
    bump_version(t)
    if _forward.level is not None:
        _set_tangent(t, result._fw_tangent)
    return t


def _set_tangent(t, tangent):
    """t's tangent after an in-place write (forward mode): ``tangent``; None means the written
    values carry none, so a tensor that had one now has zeros (it no longer varies)."""
    if tangent is None:
        if t._fw_tangent is None:
            return
        tangent = Tensor._wrap(t.backend.xp.zeros(t.shape, t.dtype), t._device)
    _forward.level.attach(t, tangent)


def fill_(t, value, what):
    """Every element set to the number ``value`` (``zero_``: 0)."""
    if not isinstance(value, numbers.Number) and not (isinstance(value, Tensor)
                                                      and value.numel() == 1):
        raise TypeError(f"{what}: the fill value must be a number or a one-element tensor, "
                        f"got {type(value).__name__}")
    check_writable(t, what, value)
    t.array[...] = value.item() if isinstance(value, Tensor) else value
    bump_version(t)
    if _forward.level is not None:
        _set_tangent(t, None)
    return t


def copy_(t, src):
    """t's elements set from ``src`` (broadcast to t's shape and cast to t's dtype, as torch's
    copy_; from any device)."""
    if not isinstance(src, Tensor):
        raise TypeError(f"copy_: src must be a Tensor, got {type(src).__name__}")
    check_writable(t, "copy_", src)
    xp = t.backend.xp
    values = src.array if src.device == t.device else t.backend.asarray(
        src.backend.to_numpy(src.array), src.dtype)
    try:
        values = xp.broadcast_to(values, t.shape)
    except ValueError:
        raise ValueError(f"copy_: src of shape {src.shape} does not broadcast to the tensor's "
                         f"shape {t.shape}") from None
    t.array[...] = values.astype(t.dtype, copy=False)
    bump_version(t)
    if _forward.level is not None:
        tangent = src._fw_tangent
        if tangent is not None and src.device == t.device:
            tangent = broadcast_to(tangent if tangent.dtype == t.dtype else tangent.to(t.dtype),
                                   t.shape)
        _set_tangent(t, tangent)
    return t


def random_fill_(t, draw, what, generator=None):
    """t's elements drawn from ``generator`` (an ``mg.Generator``; None: the default one):
    ``draw(rng, shape)`` with ``rng`` its numpy generator (a float tensor)."""
    if t.dtype.kind != "f":
        raise TypeError(f"{what} needs a floating-point tensor, got {t.dtype}")
    check_writable(t, what)
    t.array[...] = t.backend.asarray(draw(_rng(generator), t.shape).astype(t.dtype), t.dtype)
    bump_version(t)
    if _forward.level is not None:
        _set_tangent(t, None)
    return t


def setitem(t, index, value):
    """t[index] = value, written into t's array (a counted in-place write)."""
    check_writable(t, "t[index] = value", value)
    index = _normalize_index(index)
    t.array[index] = value.array if isinstance(value, Tensor) else value
    bump_version(t)
    if _forward.level is not None and t.dtype.kind == "f":
        value_tangent = value._fw_tangent if isinstance(value, Tensor) else None
        if value_tangent is not None or t._fw_tangent is not None:
            # the written region takes the value's tangent (a constant array: not differentiable)
            tangent = t._fw_tangent.array.copy() if t._fw_tangent is not None else \
                t.backend.xp.zeros(t.shape, t.dtype)
            tangent[index] = 0 if value_tangent is None else value_tangent.array
            _set_tangent(t, Tensor._wrap(tangent, t._device))
