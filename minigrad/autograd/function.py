"""Function and its ctx: how one differentiable operation is written and recorded.

Every differentiable operation is a ``Function`` subclass with two static methods, exactly as
``torch.autograd.Function``::

    class Square(Function):
        '''y = x²      dy/dx = 2x'''
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x.data * x.data          # an array (or a Tensor) of the result
        @staticmethod
        def backward(ctx, grad):
            x, = ctx.saved_tensors
            return grad * 2 * x             # written with Tensor ops: differentiable again

    y = Square.apply(x)

``forward`` runs with recording switched off and may return arrays or Tensors. ``backward``
receives one gradient Tensor per output and returns one gradient per input of ``forward``
(``None`` for inputs that are not tensors or need no gradient). Because backward formulas are
written with minigrad's own ops, running them with recording switched on
(``create_graph=True``) records the graph of the gradient itself: second derivatives, and
Hessian-vector products, come for free.

``Function.apply`` runs ``forward`` and, when an input requires grad and grad mode is on,
makes its ``ctx`` the graph node of the outputs: the engine (``engine.py``) later calls
``backward`` on it.
"""
import numpy as np

from ..tensor import Tensor
from .grad_mode import _mode

__all__ = ["Context", "Function", "NonDifferentiableBackwardError"]

class NonDifferentiableBackwardError(RuntimeError):
    """A backward pass that is a fused kernel was itself asked to be differentiated."""


class Context:
    """The ``ctx`` handed to forward and backward; it is also the graph node of the call.

    Attributes set by the engine: ``needs_input_grad`` (one bool per forward argument),
    ``inputs`` (the forward arguments that are tensors, by position), ``n_outputs``.
    """

    def __init__(self, fn):
        self.fn = fn
        self.inputs = ()
        self.n_outputs = 1
        self.needs_input_grad = ()
        self._saved = ()
        self._saved_versions = ()
        self._output_versions = None
        self._freed = False

    def save_for_backward(self, *tensors):
        self._saved = tensors
        # each saved tensor's version now: an in-place write before backward makes it raise
        self._saved_versions = tuple([0 if t is None or t._versions is None else t._versions[0]
                                      for t in tensors])

    def _check_versions(self):
        """Raises if a tensor this node saved (or its output, for Functions that keep it) was
        written in place since: backward would read the new values, a silently wrong gradient."""
        for i, (t, v) in enumerate(zip(self._saved, self._saved_versions)):
            if t is not None and t._versions is not None and t._versions[0] != v:
                _modified(self.fn, f"saved tensor {i} (shape {tuple(t.shape)})", t._version, v)
        if self._output_versions is not None and self._output_versions[0] != 0:
            _modified(self.fn, "output 0", self._output_versions[0], 0)

    @property
    def saved_tensors(self):
        if self._freed:
            raise RuntimeError(
                f"{self.fn.__name__}: trying to backward through the graph a second time, "
                "after its saved tensors were freed; call .backward(retain_graph=True) the "
                "first time if you need to backward twice")
        return self._saved

    def _free(self):
        self._saved = ()
        self._freed = True
        # anything else an op stashed on ctx (raw arrays for fused backward kernels)
        for k in list(self.__dict__):
            if not k.startswith("_") and k not in ("fn", "inputs", "n_outputs", "needs_input_grad"):
                delattr(self, k)

    def __repr__(self):
        return f"<{self.fn.__name__} node>"


def _modified(fn, what, now, expected):
    raise RuntimeError(
        f"one of the tensors needed for gradient computation has been modified by an in-place "
        f"operation: {what} of {fn.__name__} is at version {now}; expected version {expected} "
        "instead. Write it out of place (y = y + 1) or clone() it before the in-place write")


class Function:
    """Base class of every differentiable operation (see the module docstring).

    A Function whose backward reads its own output (kept on ctx, as ``Exp`` keeps eˣ) sets
    ``saves_output = True``: an in-place write into that output then makes backward raise.
    """

    saves_output = False

    @staticmethod
    def forward(ctx, *args):
        raise NotImplementedError

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError

    @classmethod
    def apply(cls, *args):
        # This is on every operation's path, so it is written for speed: no generators,
        # no imports, grad mode toggled only when a graph is being recorded.
        ctx = Context(cls)
        device = None
        record = False
        for a in args:
            if isinstance(a, Tensor):
                if device is None:
                    device = a._device
                if a._requires_grad:
                    record = _mode.enabled
        if record:
            _mode.enabled = False
            try:
                raw = cls.forward(ctx, *args)
            finally:
                _mode.enabled = True
        else:
            raw = cls.forward(ctx, *args)
        if device is None:
            device = "cpu"
        if type(raw) is not tuple:
            out = _wrap_output(raw, device, args)
            if out.data.base is not None:  # the output is a view of an input (reshape, x[i])
                _share_versions_with_base(out, args)
            if record and out.data.dtype.kind == "f":  # integer outputs carry no gradient
                ctx.needs_input_grad = tuple([isinstance(a, Tensor) and a._requires_grad
                                              for a in args])
                ctx.inputs = tuple([a if isinstance(a, Tensor) else None for a in args])
                out._requires_grad = True
                out._node = ctx
                if cls.saves_output:
                    if out._versions is None:
                        out._versions = [0]
                    ctx._output_versions = out._versions
            return out
        outs = tuple([_wrap_output(o, device, args) for o in raw])
        if record:
            ctx.needs_input_grad = tuple([isinstance(a, Tensor) and a._requires_grad
                                          for a in args])
            ctx.inputs = tuple([a if isinstance(a, Tensor) else None for a in args])
            ctx.n_outputs = len(outs)
            # to make zeros for an output that receives no gradient
            ctx._out_meta = [(t.shape, t.dtype, t.device) for t in outs]
            for i, t in enumerate(outs):
                if t.data.dtype.kind == "f":
                    t._requires_grad = True
                    t._node = ctx
                    t._out_index = i
        return outs


def _share_versions_with_base(out, args):
    """Gives ``out`` the version counter of the input whose array it views (numpy and cupy
    record the owner of a view's memory in ``.base``), so a write through either is seen by
    both, as torch's views share their base's counter."""
    owner = out.data.base
    for a in args:
        if isinstance(a, Tensor) and (a.data is owner or a.data.base is owner):
            if a._versions is None:
                a._versions = [0]
            out._versions = a._versions
            return


def _wrap_output(o, device, args):
    if isinstance(o, Tensor):
        return Tensor._wrap(o.data, o._device)
    return Tensor._wrap(_as_array(o, args), device)


def _as_array(o, args):
    """numpy turns 0-d results into scalars (np.float32(…)); a tensor needs an array."""
    if type(o) is np.ndarray:
        return o
    if isinstance(o, np.generic):
        return np.asarray(o)
    if isinstance(o, (int, float, bool)):
        like = next(a for a in args if hasattr(a, "data"))
        return like.backend.xp.asarray(o, dtype=like.dtype)
    return o
