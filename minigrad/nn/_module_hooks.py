"""Module hooks (torch's): forward pre-hooks, forward hooks and full backward (pre-)hooks, per
module and global, and the hooked call that runs them.

``Module.__call__`` takes the plain path (``forward`` and nothing else) unless the module has
ever had a hook registered or a global hook exists; then ``call_with_hooks`` below runs, in
torch's order:

    1. forward pre-hooks, global ones first:  hook(module, args) → None or new args
       (with_kwargs=True: hook(module, args, kwargs) → None or (new args, new kwargs))
    2. backward hooks present: the positional tensor inputs pass through an identity node
       whose backward sees the gradients with respect to them (``grad_input``)
    3. forward(*args, **kwargs)
    4. forward hooks, global ones first:  hook(module, args, output) → None or a new output
       (with_kwargs=True: hook(module, args, kwargs, output)); always_call=True hooks run even
       when forward (or an earlier hook) raised, with output None if there was none
    5. backward hooks present: the output tensors pass through an identity node whose backward
       sees ``grad_output`` (and runs the backward pre-hooks: hook(module, grad_output) → None
       or a new grad_output)

A full backward hook ``hook(module, grad_input, grad_output)`` runs once the gradients with
respect to the module's positional tensor inputs are known; grad_input has one entry per
positional argument (None for a non-tensor or one that needs no gradient), grad_output one per
output tensor; it may return a replacement grad_input. If no input requires grad it runs when
grad_output is known, with grad_input all None, as torch's.
"""
import warnings
from collections import OrderedDict

from ..autograd import Function
from ..backend import get_backend
from ..autograd.grad_mode import is_grad_enabled
from ..tensor import Tensor
from ..utils.hooks import RemovableHandle

__all__ = ["register_module_forward_pre_hook", "register_module_forward_hook",
           "register_module_full_backward_pre_hook", "register_module_full_backward_hook"]

# the global hooks (every module's call runs them, before its own)
_global_forward_pre_hooks = OrderedDict()
_global_forward_hooks = OrderedDict()
_global_forward_hooks_with_kwargs = OrderedDict()
_global_forward_hooks_always_called = OrderedDict()
_global_backward_pre_hooks = OrderedDict()
_global_backward_hooks = OrderedDict()

# a module's own hooks: attributes with torch's names, made on its first registration
_MODULE_DICTS = ("_forward_pre_hooks", "_forward_pre_hooks_with_kwargs", "_forward_hooks",
                 "_forward_hooks_with_kwargs", "_forward_hooks_always_called",
                 "_backward_pre_hooks", "_backward_hooks")


def any_global_hooks():
    return bool(_global_forward_pre_hooks or _global_forward_hooks or _global_backward_hooks
                or _global_backward_pre_hooks)


def _check_callable(hook, what):
    if not callable(hook):
        raise TypeError(f"{what}: the hook must be callable, got {type(hook).__name__}")


def _add(hooks, hook, prepend=False, extra=()):
    handle = RemovableHandle(hooks, extra_dict=[d for d, _ in extra])
    hooks[handle.id] = hook
    if prepend:
        hooks.move_to_end(handle.id, last=False)
    for d, flag in extra:
        if flag:
            d[handle.id] = True
    return handle


def module_hook_dicts(module):
    """The module's hook dicts, made (and the module marked as hooked) on first use."""
    if not module.__dict__.get("_has_hooks"):
        for name in _MODULE_DICTS:
            object.__setattr__(module, name, OrderedDict())
        object.__setattr__(module, "_has_hooks", True)
    return module


# ---- registration ------------------------------------------------------------------------

def register_forward_pre_hook(module, hook, prepend=False, with_kwargs=False):
    _check_callable(hook, "register_forward_pre_hook")
    m = module_hook_dicts(module)
    return _add(m._forward_pre_hooks, hook, prepend,
                [(m._forward_pre_hooks_with_kwargs, with_kwargs)])


def register_forward_hook(module, hook, prepend=False, with_kwargs=False, always_call=False):
    _check_callable(hook, "register_forward_hook")
    m = module_hook_dicts(module)
    return _add(m._forward_hooks, hook, prepend,
                [(m._forward_hooks_with_kwargs, with_kwargs),
                 (m._forward_hooks_always_called, always_call)])


def register_full_backward_pre_hook(module, hook, prepend=False):
    _check_callable(hook, "register_full_backward_pre_hook")
    return _add(module_hook_dicts(module)._backward_pre_hooks, hook, prepend)


def register_full_backward_hook(module, hook, prepend=False):
    _check_callable(hook, "register_full_backward_hook")
    return _add(module_hook_dicts(module)._backward_hooks, hook, prepend)


def register_module_forward_pre_hook(hook):
    """A forward pre-hook for every module: hook(module, args) → None or new args."""
    _check_callable(hook, "register_module_forward_pre_hook")
    return _add(_global_forward_pre_hooks, hook)


def register_module_forward_hook(hook, *, with_kwargs=False, always_call=False):
    """A forward hook for every module: hook(module, args, output) → None or a new output."""
    _check_callable(hook, "register_module_forward_hook")
    return _add(_global_forward_hooks, hook, False,
                [(_global_forward_hooks_with_kwargs, with_kwargs),
                 (_global_forward_hooks_always_called, always_call)])


def register_module_full_backward_pre_hook(hook):
    _check_callable(hook, "register_module_full_backward_pre_hook")
    return _add(_global_backward_pre_hooks, hook)


def register_module_full_backward_hook(hook):
    _check_callable(hook, "register_module_full_backward_hook")
    return _add(_global_backward_hooks, hook)


# ---- the hooked call ----------------------------------------------------------------------

def _own(module, name):
    return getattr(module, name) if module.__dict__.get("_has_hooks") else {}


def call_with_hooks(module, forward_call, args, kwargs):
    """``module(*args, **kwargs)`` with its hooks and the global ones (steps in the module
    docstring)."""
    pre_hooks_kw = _own(module, "_forward_pre_hooks_with_kwargs")
    for hook_id, hook in (*_global_forward_pre_hooks.items(),
                          *_own(module, "_forward_pre_hooks").items()):
        if hook_id in pre_hooks_kw:
            result = hook(module, args, kwargs)
            if result is not None:
                if not (isinstance(result, tuple) and len(result) == 2):
                    raise RuntimeError("forward pre-hook must return None or a tuple of "
                                       f"(new_args, new_kwargs), but got {result}.")
                args, kwargs = result
        else:
            result = hook(module, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)

    backward_hooks = [*_global_backward_hooks.values(), *_own(module, "_backward_hooks").values()]
    backward_pre_hooks = [*_global_backward_pre_hooks.values(),
                          *_own(module, "_backward_pre_hooks").values()]
    bw = None
    if (backward_hooks or backward_pre_hooks) and is_grad_enabled():
        bw = _BackwardHookState(module, backward_hooks, backward_pre_hooks)
        args = bw.setup_input_hook(args)

    hooks = (*_global_forward_hooks.items(), *_own(module, "_forward_hooks").items())
    hooks_kw = _own(module, "_forward_hooks_with_kwargs")
    always = _own(module, "_forward_hooks_always_called")
    called = set()
    output = None
    try:
        output = forward_call(*args, **kwargs)
        for hook_id, hook in hooks:
            called.add(hook_id)
            if hook_id in hooks_kw or hook_id in _global_forward_hooks_with_kwargs:
                result = hook(module, args, kwargs, output)
            else:
                result = hook(module, args, output)
            if result is not None:
                output = result
    except Exception:
        for hook_id, hook in hooks:  # the always_call hooks that have not run yet
            if hook_id in called or not (hook_id in always or
                                         hook_id in _global_forward_hooks_always_called):
                continue
            try:
                if hook_id in hooks_kw or hook_id in _global_forward_hooks_with_kwargs:
                    result = hook(module, args, kwargs, output)
                else:
                    result = hook(module, args, output)
                if result is not None:
                    output = result
            except Exception as e:
                warnings.warn(f"forward hook with always_call=True raised an exception that "
                              f"was ignored: {e!r}", stacklevel=2)
        raise
    if bw is not None:
        output = bw.setup_output_hook(output)
    return output


class _BackwardHookFunction(Function):
    """Identity on any number of tensors; its backward hands the gradients of its outputs to
    ``ctx.on_backward`` (the module's backward hooks) and passes on what that returns."""

    @staticmethod
    def forward(ctx, on_backward, *tensors):
        ctx.on_backward = on_backward
        ctx.set_materialize_grads(False)  # an output with no gradient: None, as torch
        arrays = tuple([t.array for t in tensors])
        ctx.mark_non_differentiable(*[a for a, t in zip(arrays, tensors)
                                      if not t.requires_grad])
        return arrays

    @staticmethod
    def backward(ctx, *grads):
        return (None, *ctx.on_backward(grads))

    @staticmethod
    def jvp(ctx, t_on_backward, *tangents):
        return tangents   # the identity: each tangent passes through (hooks are backward's)


def _apply_identity(on_backward, tensors):
    return _BackwardHookFunction.apply(on_backward, *tensors)


class _BackwardHookState:
    """One call's backward hooks: what the output node saw (grad_output) and the positions of
    the input tensors (torch's ``BackwardHook``)."""

    def __init__(self, module, hooks, pre_hooks):
        self.module, self.hooks, self.pre_hooks = module, hooks, pre_hooks
        self.n_inputs = 0
        self.input_positions = None  # None: no input requires grad (hooks run from the output)
        self.grad_outputs = None

    def _pack(self, positions, values):
        packed = [None] * self.n_inputs
        for i, v in zip(positions, values):
            packed[i] = v
        return tuple(packed)

    def setup_input_hook(self, args):
        self.n_inputs = len(args)
        positions = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        if not any(args[i].requires_grad for i in positions):
            return args
        self.input_positions = positions
        self.input_meta = [(args[i].array.shape, args[i].array.dtype, args[i].device)
                           for i in positions]
        new = _apply_identity(self._on_input_grads, [args[i] for i in positions])
        args = list(args)
        for i, t in zip(positions, new):
            args[i] = t
        return tuple(args)

    def _on_input_grads(self, grads):
        # torch's: an input tensor that received no gradient appears as zeros in grad_input
        grads = [g if g is not None else
                 Tensor._wrap(get_backend(device).xp.zeros(shape, dtype), device)
                 for g, (shape, dtype, device) in zip(grads, self.input_meta)]
        grad_input = self._pack(self.input_positions, grads)
        for hook in self.hooks:
            result = hook(self.module, grad_input, self.grad_outputs)
            if result is None:
                continue
            result = tuple(result) if isinstance(result, (tuple, list)) else (result,)
            if len(result) != len(grad_input):
                raise RuntimeError(f"backward hook returned an invalid number of grad_input, "
                                   f"got {len(result)}, but expected {len(grad_input)}")
            grad_input = result
        return [grad_input[i] for i in self.input_positions]

    def setup_output_hook(self, output):
        single = isinstance(output, Tensor)
        if not single and not isinstance(output, tuple):
            warnings.warn("For backward hooks to be called, module output should be a Tensor "
                          f"or a tuple of Tensors but received {type(output)}", stacklevel=3)
            return output
        items = (output,) if single else output
        positions = [i for i, o in enumerate(items) if isinstance(o, Tensor)]
        if not any(items[i].requires_grad for i in positions):
            return output
        new = _apply_identity(self._on_output_grads, [items[i] for i in positions])
        items = list(items)
        for i, t in zip(positions, new):
            items[i] = t
        return items[0] if single else tuple(items)

    def _on_output_grads(self, grads):
        grads = tuple(grads)
        for hook in self.pre_hooks:
            result = hook(self.module, grads)
            if result is not None:
                result = tuple(result) if isinstance(result, (tuple, list)) else (result,)
                if len(result) != len(grads):
                    raise RuntimeError("backward pre hook returned an invalid number of "
                                       f"grad_output, got {len(result)}, but expected "
                                       f"{len(grads)}")
                grads = result
        self.grad_outputs = grads
        if self.input_positions is None and self.hooks:
            warnings.warn("Full backward hook is firing when gradients are computed with "
                          "respect to module outputs since no inputs require gradients (as "
                          "torch: grad_input is all None)", stacklevel=2)
            grad_input = (None,) * self.n_inputs
            for hook in self.hooks:
                result = hook(self.module, grad_input, grads)
                if result is not None and not all(g is None for g in result):
                    raise RuntimeError("can't return non-None grad_input from a backward hook "
                                       "when no input requires grad")
        return grads
