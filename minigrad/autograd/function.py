"""Function and its ctx: how one differentiable operation is written and recorded.

Every differentiable operation is a ``Function`` subclass with two static methods, exactly as
``torch.autograd.Function``::

    class Square(Function):
        '''y = x²      dy/dx = 2x'''
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x.array * x.array          # an array (or a Tensor) of the result
        @staticmethod
        def backward(ctx, grad):
            x, = ctx.saved_tensors
            return grad * 2 * x             # written with Tensor ops: differentiable again

    y = Square.apply(x)

A third static method, ``jvp(ctx, *tangents)``, is forward mode (autograd/forward_ad.py): the
tangent of the output from one tangent per input (None where an input carries none), written
under ``backward`` so an op's three derivatives read together::

        @staticmethod
        def jvp(ctx, t):
            x, = ctx.saved_tensors
            return t * 2 * x                # J·t, also with Tensor ops

``forward`` runs with recording switched off and may return arrays or Tensors. ``backward``
receives one gradient Tensor per output and returns one gradient per input of ``forward``
(``None`` for inputs that are not tensors or need no gradient). Because backward formulas are
written with minigrad's own ops, running them with recording switched on
(``create_graph=True``) records the graph of the gradient itself: second derivatives, and
Hessian-vector products, come for free.

``Function.apply`` runs ``forward`` and, when an input requires grad and grad mode is on,
makes its ``ctx`` the graph node of the outputs: the engine (``engine.py``) later calls
``backward`` on it. The node is an instance of a class made for each Function, named
``<Name>Backward`` as torch's (``type(y.grad_fn).__name__ == "SquareBackward"``);
``y.grad_fn.next_functions`` lists, per tensor input, the node that made it (``AccumulateGrad``
for a leaf that requires grad, None for a constant), as torch.

What torch allows a custom Function, and so does minigrad:

* ``backward`` may return more values than ``forward`` had arguments if the extra ones are
  None (trailing Nones for optional arguments), never fewer; a non-None gradient for an
  argument that is not a tensor is an error.
* ``ctx.mark_non_differentiable(t)``: output ``t`` (e.g. indices) does not require grad; its
  gradient reaching backward is zeros. ``ctx.set_materialize_grads(False)``: an output that
  received no gradient gives backward None instead of zeros.
* ``@once_differentiable`` on backward: it runs without recording; differentiating its result
  again raises instead of silently giving zero.
* torch 2.x's separate style: ``forward(*inputs)`` without ctx plus
  ``setup_context(ctx, inputs, output)``; ``apply`` then fills in forward's defaults, so
  ``inputs`` always has every argument.
* Keyword arguments to ``apply`` (``F.apply(x, w=w)``) are bound to the positions of
  ``forward``'s parameters (a skipped parameter takes its default).

Only Functions defined outside minigrad take the last two paths (see ``__init_subclass__``):
minigrad's own operations call ``apply`` positionally, on every operation's path, which
therefore does no argument binding at all.
"""
import functools
import inspect
import sys
import weakref

import numpy as np

from ..tensor import Tensor
from .grad_mode import _forward, _mode

__all__ = ["AccumulateGrad", "Context", "Function", "FunctionCtx", "NonDifferentiableBackwardError",
           "once_differentiable"]

class NonDifferentiableBackwardError(RuntimeError):
    """A backward pass that is a fused kernel was itself asked to be differentiated."""


class Context:
    """The ``ctx`` handed to forward and backward; it is also the graph node of the call.

    Attributes set by the engine: ``inputs`` (the forward arguments that are tensors, by
    position), ``n_outputs``; ``needs_input_grad`` (one bool per forward argument) is read
    from ``inputs``.
    Each Function's nodes are instances of its own subclass, ``<Name>Backward``.
    """

    # Every attribute starts as a class-level default, so making a node on each operation's
    # path costs no __init__ call: apply writes only what differs (inputs, when recording).
    fn = None                    # the Function class; each <Name>Backward class sets its own
    inputs = ()
    n_outputs = 1
    _saved = ()
    _saved_versions = ()
    _output_versions = None
    _freed = False
    _non_differentiable = None   # ids of the outputs mark_non_differentiable named
    _materialize_grads = True    # zeros (True) or None (False) for an output with no gradient
    _tensor_hooks = None         # {output index: hooks of that output} (autograd/hooks.py)
    _needs_input_grad = None     # set only where forward mode or a user fixes it
    _retain_outputs = None       # outputs whose .grad is kept (Tensor.retain_grad)
    _wanted_outputs = None       # outputs whose gradient mg.grad returns (engine.grad)

    @property
    def needs_input_grad(self):
        """One bool per forward argument: is it a tensor that requires grad? Read from
        ``inputs`` when asked (few backward formulas ask), not built on every call."""
        if self._needs_input_grad is not None:
            return self._needs_input_grad
        return tuple([t is not None and t._requires_grad for t in self.inputs])

    @needs_input_grad.setter
    def needs_input_grad(self, value):
        self._needs_input_grad = tuple(value)

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
        stash = self.__dict__
        for k in [k for k in stash if k[0] != "_" and k not in _GRAPH_ATTRIBUTES]:
            del stash[k]

    def __repr__(self):
        return f"<{type(self).__name__} node>"

    # ---- torch's ctx and node surface (none of it is on the engine's path) -----------------
    def mark_non_differentiable(self, *outputs):
        """Called in forward on outputs it returns: they will not require grad."""
        self._non_differentiable = {id(o) for o in outputs}

    def set_materialize_grads(self, value):
        """False: an output that received no gradient gives backward None, not zeros."""
        self._materialize_grads = bool(value)

    def name(self):
        return type(self).__name__

    @property
    def next_functions(self):
        """((node, output index), ...) per tensor input: the node that made it, an
        AccumulateGrad for a leaf that requires grad, (None, 0) for one that does not."""
        return tuple([_node_of(t) for t in self.inputs if t is not None])


#: What a node keeps after backward freed it: the graph itself (``next_functions`` still reads).
_GRAPH_ATTRIBUTES = frozenset(("fn", "inputs", "n_outputs"))


class AccumulateGrad:
    """The node that stands for a leaf in ``next_functions`` (torch's): it adds the gradient
    into ``variable.grad``. minigrad's engine does that itself, so this is only for looking."""

    def __init__(self, variable):
        self.variable = variable

    next_functions = ()

    def name(self):
        return "AccumulateGrad"

    def __repr__(self):
        return "<AccumulateGrad node>"


def _node_of(t):
    """(node, output index) of a tensor input, as torch's next_functions lists it."""
    if t._node is not None:
        return (t._node, t._out_index)
    if not t._requires_grad:
        return (None, 0)
    # one AccumulateGrad per leaf while something holds it (torch keeps it weakly, too)
    ref = t.__dict__.get("_grad_accumulator")
    node = ref() if ref is not None else None
    if node is None:
        node = AccumulateGrad(t)
        t.__dict__["_grad_accumulator"] = weakref.ref(node)
    return (node, 0)


FunctionCtx = Context  # torch's name for the class of ctx


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
    _node_class = Context

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls._node_class = type(f"{cls.__name__}Backward", (Context,), {"fn": cls})
        if cls.__module__.split(".")[0] != "minigrad":
            # a user's Function: torch 2.x's calling conventions (keywords, setup_context)
            cls.apply = classmethod(_apply_binding_arguments)
            if cls.setup_context is not Function.setup_context and \
                    not getattr(cls.forward, "_calls_setup_context", False):
                cls.forward = staticmethod(_forward_then_setup_context(cls.forward))

    @staticmethod
    def forward(ctx, *args):
        raise NotImplementedError

    @staticmethod
    def setup_context(ctx, inputs, output):
        """torch 2.x's separate style: define this, and forward without ctx."""
        raise NotImplementedError

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError

    @staticmethod
    def jvp(ctx, *tangents):
        """Forward mode: the tangent of each output, J·t, from one tangent per forward argument
        (None for an argument that is not a tensor or carries no tangent). Runs right after
        ``forward`` on the same ctx, so it reads what forward saved (``ctx.saved_tensors``)."""
        raise NotImplementedError(
            f"{ctx.fn.__name__} has no jvp rule, so forward-mode AD cannot go through it: "
            "define jvp(ctx, *tangents) on the Function (as torch asks of a custom Function)")

    @classmethod
    def apply(cls, *args):
        # This is on every operation's path, so it is written for speed: no generators, no
        # imports, grad mode toggled only when a graph is being recorded, no tuple built when
        # every argument is a tensor (the usual case: then ``args`` itself is ``ctx.inputs``).
        ctx = cls._node_class()
        device = None
        record = False
        all_tensors = True
        for a in args:
            if isinstance(a, Tensor):
                if device is None:
                    device = a._device
                if a._requires_grad:
                    record = _mode.enabled
            else:
                all_tensors = False
        if record:
            if _sites.on:  # the debugger's flag (record_creation_sites): off, one check
                _record_site(ctx, args)
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
            # a fresh array wraps without checks; a Tensor, 0-d scalar or number goes the long way
            out = Tensor._wrap(raw, device) if type(raw) is np.ndarray else \
                _wrap_output(raw, device, args)
            if out.array.base is not None:  # the output is a view of an input (reshape, x[i])
                _share_versions_with_base(out, args)
            # integer outputs carry no gradient, nor do outputs marked non-differentiable
            if record and out.array.dtype.kind == "f" and \
                    (ctx._non_differentiable is None or id(raw) not in ctx._non_differentiable):
                ctx.inputs = args if all_tensors else _tensor_inputs(args)
                out._requires_grad = True
                out._node = ctx
                if cls.saves_output:
                    if out._versions is None:
                        out._versions = [0]
                    ctx._output_versions = out._versions
            if _forward.level is not None:  # forward-mode AD: a dual_level is open
                _push_tangents(cls, ctx, args, (out,), (raw,))
            return out
        outs = tuple([_wrap_output(o, device, args) for o in raw])
        if record:
            ctx.inputs = args if all_tensors else _tensor_inputs(args)
            ctx.n_outputs = len(outs)
            # to make zeros for an output that receives no gradient
            ctx._out_meta = [(t.shape, t.dtype, t.device) for t in outs]
            marked = ctx._non_differentiable or ()
            for i, t in enumerate(outs):
                if t.array.dtype.kind == "f" and id(raw[i]) not in marked:
                    t._requires_grad = True
                    t._node = ctx
                    t._out_index = i
        if _forward.level is not None:
            _push_tangents(cls, ctx, args, outs, raw)
        return outs


def _tensor_inputs(args):
    """``ctx.inputs``: each argument that is a tensor, None in the place of one that is not."""
    return tuple([a if isinstance(a, Tensor) else None for a in args])


# ---- forward mode: tangents pushed through each call (autograd/forward_ad.py) ---------------

def _push_tangents(cls, ctx, args, outs, raw):
    """Gives each floating-point output of this call its tangent, ``cls.jvp(ctx, *tangents)``,
    when some input carries one at the open level. The rule runs with forward mode suspended
    (its own operations on tangents carry no tangents) and with recording as the caller has it,
    so a tangent is itself differentiable in reverse mode."""
    level = _forward.level
    tangents = [a._fw_tangent if isinstance(a, Tensor) else None for a in args]
    if not any(t is not None for t in tangents):
        return
    if not ctx.inputs:
        ctx.inputs = _tensor_inputs(args)
    _forward.level = None
    try:
        result = cls.jvp(ctx, *tangents)
    finally:
        _forward.level = level
    if not isinstance(result, tuple):
        result = (result,)
    if len(result) != len(outs):
        raise RuntimeError(f"{cls.__name__}.jvp returned {len(result)} tangents for "
                           f"{len(outs)} outputs")
    marked = ctx._non_differentiable or ()
    for k, (out, tangent) in enumerate(zip(outs, result)):
        if tangent is None or out.array.dtype.kind != "f" or id(raw[k]) in marked:
            continue
        if not isinstance(tangent, Tensor):
            raise TypeError(f"{cls.__name__}.jvp returned {type(tangent).__name__} for output "
                            f"{k}; expected a Tensor or None")
        if tangent.shape != out.shape or tangent.dtype != out.dtype:
            raise RuntimeError(
                f"{cls.__name__}.jvp returned a tangent of shape {tuple(tangent.shape)} and "
                f"dtype {tangent.dtype} for output {k}, which has shape {tuple(out.shape)} and "
                f"dtype {out.dtype}")
        level.attach(out, tangent)


# ---- creation sites, for the gradient debugger (check_graph.py) -----------------------------

class _SiteFlag:
    """Whether ``apply`` records, on each node, where the user's code created it."""
    on = False


_sites = _SiteFlag()
_PACKAGE_DIR = __file__.rsplit("autograd", 1)[0]  # .../minigrad/


def _record_site(ctx, args):
    """Keeps on ``ctx`` the first frame outside minigrad (the user's call, as "file:line"),
    every argument of the call (non-tensor ones too, so the call can be repeated) and each
    tensor argument's version (so a later in-place write is noticed)."""
    frame = sys._getframe()  # the loop below climbs out of minigrad (compiled code has no frames)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame = frame.f_back
    ctx._creation_site = None if frame is None else \
        f"{frame.f_code.co_filename}:{frame.f_lineno}"
    ctx._recorded_args = args
    ctx._recorded_versions = tuple([a._version if isinstance(a, Tensor) else None
                                    for a in args])


# ---- torch 2.x's calling conventions, for Functions defined outside minigrad ----------------

def _apply_binding_arguments(cls, *args, **kwargs):
    """``apply`` of a user's Function: keywords (and, with setup_context, forward's defaults)
    become positional arguments, so backward returns one gradient per position."""
    if kwargs or getattr(cls.forward, "_calls_setup_context", False):
        args = _bind(cls, args, kwargs)
    return Function.apply.__func__(cls, *args)


def _bind(cls, args, kwargs):
    forward = getattr(cls.forward, "_user_forward", cls.forward)
    with_ctx = forward is cls.forward  # the classic style: forward(ctx, *inputs)
    signature = inspect.signature(forward)
    bound = signature.bind(*((None,) if with_ctx else ()), *args, **kwargs)
    names = list(signature.parameters)[1 if with_ctx else 0:]
    for name in names:
        kind = signature.parameters[name].kind
        if kind not in (inspect.Parameter.POSITIONAL_ONLY,
                        inspect.Parameter.POSITIONAL_OR_KEYWORD):
            raise TypeError(f"{cls.__name__}.apply: forward's parameter {name!r} cannot be "
                            "given a position, so apply cannot pass it (make it an ordinary "
                            "parameter)")
    bound.apply_defaults()
    return tuple(bound.arguments[name] for name in names)


def _forward_then_setup_context(forward):
    def forward_with_ctx(ctx, *args):
        output = forward(*args)
        ctx.fn.setup_context(ctx, args, output)
        return output

    forward_with_ctx._calls_setup_context = True
    forward_with_ctx._user_forward = forward
    return forward_with_ctx


# ---- once_differentiable ------------------------------------------------------------------

def once_differentiable(backward):
    """Decorates a ``backward`` that is not written with differentiable Tensor ops (it uses
    ``.array`` or numpy): it runs without recording, and with ``create_graph=True`` its result
    is recorded as coming from a node that raises if differentiated, as torch's."""

    @functools.wraps(backward)
    def wrapper(ctx, *grad_outputs):
        recording = _mode.enabled
        _mode.enabled = False
        try:
            grads = backward(ctx, *grad_outputs)
        finally:
            _mode.enabled = recording
        depends = [g for g in grad_outputs if isinstance(g, Tensor) and g._requires_grad]
        if not (recording and depends):
            return grads
        single = not isinstance(grads, tuple)
        marked = tuple([_DelayedError.apply(g, *depends) if isinstance(g, Tensor) else g
                        for g in ((grads,) if single else grads)])
        return marked[0] if single else marked

    return wrapper


class _DelayedError(Function):
    """Identity forward; its backward and its jvp raise (the result of a once_differentiable
    backward: differentiating it again, in either mode, is refused)."""

    message = "trying to differentiate twice a function that was marked with @once_differentiable"

    @staticmethod
    def forward(ctx, g, *depends_on):
        return g.array

    @staticmethod
    def backward(ctx, grad):
        raise RuntimeError(_DelayedError.message)

    @staticmethod
    def jvp(ctx, tg, *t_depends_on):
        # a tangent through a once_differentiable backward is its derivative: refused the same way
        raise RuntimeError(_DelayedError.message)


def _share_versions_with_base(out, args):
    """Gives ``out`` the version counter of the input whose array it views (numpy and cupy
    record the owner of a view's memory in ``.base``), so a write through either is seen by
    both, as torch's views share their base's counter."""
    owner = out.array.base
    for a in args:
        if isinstance(a, Tensor) and (a.array is owner or a.array.base is owner):
            if a._versions is None:
                a._versions = [0]
            out._versions = a._versions
            return


def _wrap_output(o, device, args):
    if isinstance(o, Tensor):
        return Tensor._wrap(o.array, o._device)
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
