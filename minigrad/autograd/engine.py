"""The backward engine: topological order, accumulation of gradients, ``grad`` and ``backward``.

The graph is recorded by ``Function.apply``: each output tensor points (``_node``) to the ctx
of the call that made it, and each ctx lists its ``inputs``. ``run_backward`` walks that graph
once in reverse topological order (every node after all the nodes that consume its outputs),
calls each node's ``backward`` with the gradients of its outputs, and sums the gradients that
reach a tensor from all its uses. Leaves receive theirs in ``.grad`` (``Tensor.backward``), or
they are returned (``grad``, as ``torch.autograd.grad``).
"""
from ..backend import array_module, get_backend
from ..tensor import Tensor
from .grad_mode import _forward, set_grad_enabled
from .hooks import run_hooks, run_output_hooks, run_post_accumulate_hooks

__all__ = ["backward", "grad", "run_backward", "zero_grad"]


def _topological_nodes(roots):
    """Nodes reachable from ``roots``, each after every node that consumes its outputs."""
    order, visited = [], set()
    stack = [(n, False) for n in roots if n is not None]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in visited:
            continue
        visited.add(id(node))
        stack.append((node, True))
        for t in node.inputs:
            if t is not None and t._node is not None and id(t._node) not in visited:
                stack.append((t._node, False))
    order.reverse()  # consumers first
    return order


def _add(a, b, differentiable):
    if differentiable:  # create_graph, or tangents to carry (a forward-mode level is open)
        return a + b
    return Tensor._wrap(a.array + b.array, a.device)


def _check_grad(node, i, inp, g):
    if not isinstance(g, Tensor):
        raise TypeError(f"{node.fn.__name__}.backward returned {type(g).__name__} for input {i}; "
                        "expected a Tensor or None")
    if g.shape != inp.shape:
        raise RuntimeError(
            f"{node.fn.__name__}.backward returned a gradient of shape {g.shape} for input {i}, "
            f"whose shape is {inp.shape}")


def run_backward(outputs, grad_outputs, retain_graph=False, create_graph=False, inputs=None,
                 allow_unused=False):
    """Back-propagate ``grad_outputs`` from ``outputs``.

    With ``inputs=None`` the gradients are accumulated into the ``.grad`` of every leaf tensor
    that requires grad (``Tensor.backward``). Otherwise the gradients with respect to
    ``inputs`` are returned as a tuple and no ``.grad`` is touched (``mg.grad``).
    """
    roots = [o._node for o in outputs]
    nodes = _topological_nodes(roots)
    # forward-over-reverse: with a forward-mode level open, the gradients carry tangents, so
    # they are summed with Tensor ops (and the ops choose their differentiable backward)
    summing_graph = create_graph or _forward.level is not None
    pending = {}  # id(node) -> [grad of each output or None]
    leaf_grads = {}  # id(tensor) -> (tensor, grad)
    # arrays a leaf must not keep as its .grad: the caller's, and those another tensor holds
    claimed = {id(g.array) for g in grad_outputs}
    wanted = None
    if inputs is not None:
        wanted = {id(t): None for t in inputs}
    for o, g in zip(outputs, grad_outputs):
        if o._node is None:  # a leaf handed straight to backward
            _deliver_leaf(o, g, leaf_grads, summing_graph)
            continue
        slot = pending.setdefault(id(o._node), [None] * o._node.n_outputs)
        slot[o._out_index] = g if slot[o._out_index] is None else _add(slot[o._out_index], g, summing_graph)

    with set_grad_enabled(create_graph):
        for node in nodes:
            gouts = pending.pop(id(node), None)
            if gouts is None:
                continue
            if node._tensor_hooks is not None or node._retain_outputs or node._wanted_outputs:
                gouts = _capture_nonleaf(node, gouts, wanted, claimed)
            if node._freed:
                node.saved_tensors  # raises the "backward twice" error
            if node._saved or node._output_versions is not None:
                node._check_versions()  # a saved tensor written in place since: raise
            if node.n_outputs > 1 and node._materialize_grads:  # only these can miss a gradient
                gouts = [g if g is not None else _zeros_for(node, i) for i, g in enumerate(gouts)]
            gins = node.fn.backward(node, *gouts)
            if type(gins) is not tuple:
                gins = (gins,)
            if len(gins) != len(node.inputs):
                gins = _trailing_nones_dropped(node, gins)
            for i, (inp, g) in enumerate(zip(node.inputs, gins)):
                if g is None:
                    continue
                if inp is None:
                    _not_a_tensor_input(node, i)
                if not inp._requires_grad:
                    continue
                if type(g) is not Tensor or g.array.shape != inp.array.shape:
                    _check_grad(node, i, inp, g)  # raises unless g is a Tensor's subclass
                if inp._node is None:
                    _deliver_leaf(inp, g, leaf_grads, summing_graph)
                    continue
                slot = pending.get(id(inp._node))
                if slot is None:
                    slot = pending[id(inp._node)] = [None] * inp._node.n_outputs
                k = inp._out_index
                slot[k] = g if slot[k] is None else _add(slot[k], g, summing_graph)
            if not retain_graph:
                node._free()
        # a leaf's hooks see its gradient summed over all its uses, as torch's AccumulateGrad
        for key, (t, g) in leaf_grads.items():
            if t._backward_hooks and (wanted is None or key in wanted):
                claimed.add(id(g.array))  # a hook may keep what it saw: .grad must not be it
                g = run_hooks(t._backward_hooks, g)
                claimed.add(id(g.array))
                leaf_grads[key] = (t, g)

    if wanted is None:
        for t, g in leaf_grads.values():
            _accumulate_into_grad(t, g, create_graph, claimed)
            if t._post_accumulate_grad_hooks:
                run_post_accumulate_hooks(t)
        return None
    result = []
    for i, t in enumerate(inputs):
        g = wanted[id(t)]
        if g is None and id(t) in leaf_grads:
            g = leaf_grads[id(t)][1]
        if g is None and not allow_unused:
            raise RuntimeError(
                f"input {i} (shape {t.shape}) was not used to compute the outputs; "
                "pass allow_unused=True to get None for it")
        result.append(g)
    return tuple(result)


def _trailing_nones_dropped(node, gins):
    """torch's rule: backward may return extra gradients only if they are None (for optional
    arguments that were not passed); too few, or a non-None extra, is an error."""
    n = len(node.inputs)
    if len(gins) < n or any(g is not None for g in gins[n:]):
        raise RuntimeError(f"function {type(node).__name__} returned an incorrect number of "
                           f"gradients (expected {n}, got {len(gins)}): {node.fn.__name__}."
                           f"backward must return one gradient per forward argument")
    return gins[:n]


def _not_a_tensor_input(node, i):
    raise RuntimeError(f"function {type(node).__name__} returned a gradient different than None "
                       f"at position {i + 1}, but the corresponding forward input was not a "
                       "Tensor")


def _capture_nonleaf(node, gouts, wanted, claimed):
    """Gradients reaching the outputs of ``node``: for mg.grad inputs, the tensors' hooks and
    retain_grad(), in torch's order: mg.grad captures the gradient before the hooks run,
    ``.grad`` of retain_grad() keeps it after them. Returns the gradients node.backward gets."""
    for t in (getattr(node, "_wanted_outputs", None) or ()) if wanted is not None else ():
        if id(t) in wanted and gouts[t._out_index] is not None:
            wanted[id(t)] = gouts[t._out_index]
    if node._tensor_hooks is not None:
        # a hook may keep the gradients it sees or returns: no leaf may take them as its .grad
        claimed.update([id(g.array) for g in gouts if g is not None])
        gouts = run_output_hooks(node, gouts)
        claimed.update([id(g.array) for g in gouts if g is not None])
    for t in getattr(node, "_retain_outputs", None) or ():
        g = gouts[t._out_index]
        if g is not None:
            t.grad = g if t.grad is None else t.grad + g
            claimed.add(id(t.grad.array))
    return gouts


def _zeros_for(node, i):
    shape, dtype, device = node._out_meta[i]
    return Tensor._wrap(get_backend(device).xp.zeros(shape, dtype), device)


def _deliver_leaf(t, g, leaf_grads, differentiable):
    if id(t) in leaf_grads:
        leaf_grads[id(t)] = (t, _add(leaf_grads[id(t)][1], g, differentiable))
    else:
        leaf_grads[id(t)] = (t, g)


def _accumulate_into_grad(t, g, create_graph, claimed):
    """``t.grad += g`` as torch's AccumulateGrad, keeping the rule that every ``.grad`` a leaf
    receives is its own writable, C-contiguous array.

    The engine hands out arrays that are not the leaf's to keep: the same array to both
    operands of ``a + b``, a read-only broadcast view as the gradient of a sum, the caller's
    ``gradient=``. Zeroing or clipping one such ``.grad`` in place would change another
    tensor's gradient (or fail), so the first gradient a leaf receives is copied unless it is a
    fresh array nobody else holds; later ones are added in place.
    """
    if create_graph:  # a gradient with a graph of its own: kept as the tensor it is, as torch
        t.grad = g if t.grad is None else t.grad + g
        return
    if t.grad is None:
        t.grad = _own_copy_unless_fresh(g, claimed)
        t._grad_owned = True
    elif t.grad.requires_grad:
        t.grad = Tensor._wrap(t.grad.array + g.array, t.device)
        t._grad_owned = True
    elif t._grad_owned:
        t.grad.array += g.array
    else:  # a .grad the user assigned: not ours to write into
        t.grad = Tensor._wrap(t.grad.array + g.array, t.device)
        t._grad_owned = True


def _own_copy_unless_fresh(g, claimed):
    a = g.array
    if (a.base is None and a.flags.writeable and a.flags.c_contiguous
            and id(a) not in claimed):
        claimed.add(id(a))
        return Tensor._wrap(a, g.device)
    copy = array_module(a).array(a, order="C", copy=True)
    claimed.add(id(copy))
    return Tensor._wrap(copy, g.device)


def zero_grad(t, set_to_none=True):
    """Clears ``t.grad``: to None (torch ≥ 2.0's default) or to zeros.

    Zeros are written in place only into a buffer that is ``t``'s own: the engine may have
    handed the same array to several leaves (the gradient of a + b), or a user's ``gradient=``
    array, and zeroing it in place would change those too.
    """
    if t.grad is None:
        return
    if set_to_none:
        t.grad = None
    elif t._grad_owned and not t.grad.requires_grad and t.grad.array.flags.writeable:
        t.grad.array[...] = 0
    else:
        t.grad = Tensor._wrap(t.backend.xp.zeros_like(t.grad.array), t.device)
        t._grad_owned = True


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulates d(tensors)/d(leaf) into ``leaf.grad`` (``Tensor.backward``; torch's
    ``autograd.backward``): into every leaf that requires grad, or only into ``inputs``.

    ``tensors`` is a Tensor or a sequence of them; ``grad_tensors`` (one per tensor) may be
    left out for scalar tensors (one element).
    """
    tensors = _as_tuple(tensors, "tensors")
    grads = _make_grad_outputs(tensors, grad_tensors)
    if retain_graph is None:
        retain_graph = create_graph
    if inputs is not None:
        inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
        gs = grad(tensors, inputs, grads, retain_graph=retain_graph,
                  create_graph=create_graph, allow_unused=True)
        claimed = {id(g.array) for g in grads}
        for t, g in zip(inputs, gs):
            if g is not None:
                _accumulate_into_grad(t, g, create_graph, claimed)
                if t._post_accumulate_grad_hooks:
                    run_post_accumulate_hooks(t)
        return
    run_backward(tensors, grads, retain_graph=retain_graph, create_graph=create_graph)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         only_inputs=True, allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """Gradients of ``outputs`` with respect to ``inputs``, without touching any ``.grad``.

    Same meaning and arguments as ``torch.autograd.grad``. ``grad_outputs`` defaults to ones
    for scalar outputs. With ``create_graph=True`` the returned gradients are themselves
    differentiable (Hessian-vector products: ``mg.grad(mg.grad(f, x, create_graph=True)[0] @ v,
    x)``). An input the outputs do not depend on is an error, or gives None with
    ``allow_unused=True``, or zeros with ``materialize_grads=True``. ``only_inputs`` is
    deprecated in torch and ignored, as there; ``is_grads_batched`` (vmap) is not supported.
    """
    if is_grads_batched:
        raise NotImplementedError("grad: is_grads_batched=True needs vmap, which minigrad "
                                  "does not have; loop over the batch of grad_outputs")
    if materialize_grads and allow_unused is False:
        raise ValueError("grad: materialize_grads=True needs allow_unused to be None or True")
    if materialize_grads:
        result = grad(outputs, inputs, grad_outputs, retain_graph, create_graph,
                      allow_unused=True)
        inputs = _as_tuple(inputs, "inputs")
        return tuple([g if g is not None else
                      Tensor._wrap(t.backend.xp.zeros_like(t.array), t.device)
                      for t, g in zip(inputs, result)])
    allow_unused = bool(allow_unused)
    outputs = _as_tuple(outputs, "outputs")
    inputs = _as_tuple(inputs, "inputs")
    grad_outputs = _make_grad_outputs(outputs, grad_outputs)
    if retain_graph is None:
        retain_graph = create_graph
    for i, t in enumerate(inputs):
        if not t.requires_grad:
            raise ValueError(f"input {i} (shape {t.shape}) does not require grad")
    # mark the non-leaf inputs so the engine captures the gradient that reaches them
    marked = []
    for t in inputs:
        if t._node is not None:
            lst = getattr(t._node, "_wanted_outputs", None)
            if lst is None:
                lst = t._node._wanted_outputs = []
            lst.append(t)
            marked.append(t._node)
    try:
        res = run_backward(outputs, grad_outputs, retain_graph=retain_graph,
                           create_graph=create_graph, inputs=inputs, allow_unused=allow_unused)
    finally:
        for n in marked:
            n._wanted_outputs = None
    return res


def _as_tuple(x, what):
    if isinstance(x, Tensor):
        return (x,)
    x = tuple(x)
    for i, t in enumerate(x):
        if not isinstance(t, Tensor):
            raise TypeError(f"{what}[{i}] is a {type(t).__name__}, not a Tensor")
    return x


def _make_grad_outputs(outputs, grad_outputs):
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    elif isinstance(grad_outputs, Tensor):
        grad_outputs = [grad_outputs]
    grad_outputs = list(grad_outputs)
    if len(grad_outputs) != len(outputs):
        raise ValueError(f"got {len(grad_outputs)} grad_outputs for {len(outputs)} outputs")
    result = []
    for i, (o, g) in enumerate(zip(outputs, grad_outputs)):
        if not o.requires_grad:
            raise ValueError(
                f"output {i} (shape {o.shape}) does not require grad and has no grad_fn: "
                "no input that requires grad was used to compute it")
        if g is None:
            if o.array.size != 1:
                raise ValueError(
                    f"grad can be implicitly created only for scalar outputs, but output {i} "
                    f"is not a scalar: it has shape {o.shape}; pass gradient= (grad_outputs=) "
                    "of that shape")
            g = Tensor._wrap(o.backend.xp.ones(o.shape, o.dtype), o.device)
        elif not isinstance(g, Tensor):
            g = Tensor._wrap(o.backend.asarray(g, o.dtype), o.device)
        if g.shape != o.shape:
            raise ValueError(f"gradient for output {i} has shape {g.shape}, but the output has "
                             f"shape {o.shape}")
        if g.dtype != o.dtype:
            raise TypeError(f"gradient for output {i} has dtype {g.dtype}, but the output has "
                            f"dtype {o.dtype}")
        result.append(g)
    return result
