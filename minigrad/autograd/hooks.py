"""Tensor hooks: functions run on a gradient during backward (torch's ``register_hook`` and
``register_post_accumulate_grad_hook``).

Where a hook lives, so the engine finds it with one attribute read:

    non-leaf t   node._tensor_hooks[t._out_index]  (node = t.grad_fn: the gradient of t is
                                                    complete when that node is reached)
    leaf t       t._backward_hooks                 (run on the summed gradient, just before
                                                    it is added into t.grad)
    leaf t       t._post_accumulate_grad_hooks     (run with t after t.grad is updated)

Each is an OrderedDict id → fn, or None (the class default: no hook, nothing to run). A hook
``fn(grad)`` returns None (keep ``grad``) or a replacement of the same shape; several hooks run
in the order they were registered, each on the previous one's result. With
``create_graph=True`` they run with grad mode on, so ``grad`` is a recorded tensor and what a
hook computes from it is differentiable.
"""
from collections import OrderedDict

__all__ = ["register_hook", "register_post_accumulate_grad_hook", "run_hooks",
           "run_output_hooks", "run_post_accumulate_hooks"]


def register_hook(t, hook):
    """``t.register_hook(hook)``: see the module docstring. Returns a RemovableHandle."""
    if not callable(hook):
        raise TypeError(f"register_hook: the hook must be callable, got {type(hook).__name__}")
    if not t.requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    from ..utils.hooks import RemovableHandle  # here: minigrad.utils imports the ops (a cycle)
    if t._node is None:
        if t._backward_hooks is None:
            t._backward_hooks = OrderedDict()
        hooks = t._backward_hooks
    else:
        node = t._node
        if node._tensor_hooks is None:
            node._tensor_hooks = {}
        hooks = node._tensor_hooks.setdefault(t._out_index, OrderedDict())
    handle = RemovableHandle(hooks)
    hooks[handle.id] = hook
    return handle


def register_post_accumulate_grad_hook(t, hook):
    """``t.register_post_accumulate_grad_hook(hook)``: ``hook(t)`` runs after backward has
    added into ``t.grad`` (a leaf only; e.g. an optimizer step fused into backward)."""
    if not callable(hook):
        raise TypeError("register_post_accumulate_grad_hook: the hook must be callable, got "
                        f"{type(hook).__name__}")
    if not t.requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    if t._node is not None:
        raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
    from ..utils.hooks import RemovableHandle
    if t._post_accumulate_grad_hooks is None:
        t._post_accumulate_grad_hooks = OrderedDict()
    handle = RemovableHandle(t._post_accumulate_grad_hooks)
    t._post_accumulate_grad_hooks[handle.id] = hook
    return handle


def run_hooks(hooks, grad):
    """grad → hook_n(…hook_1(grad)), a hook returning None leaving its input unchanged."""
    for hook in tuple(hooks.values()):  # a hook may remove itself while we iterate
        result = hook(grad)
        if result is not None:
            if not hasattr(result, "shape") or tuple(result.shape) != tuple(grad.shape):
                raise RuntimeError(
                    f"hook {getattr(hook, '__name__', hook)!r} returned "
                    f"{type(result).__name__} of shape {getattr(result, 'shape', None)}; a "
                    f"hook must return None or a tensor of the gradient's shape {grad.shape}")
            grad = result
    return grad


def run_output_hooks(node, gouts):
    """The gradients of ``node``'s outputs after each output's hooks (a new list)."""
    gouts = list(gouts)
    for k, hooks in node._tensor_hooks.items():
        if hooks and gouts[k] is not None:
            gouts[k] = run_hooks(hooks, gouts[k])
    return gouts


def run_post_accumulate_hooks(t):
    for hook in tuple(t._post_accumulate_grad_hooks.values()):
        hook(t)
