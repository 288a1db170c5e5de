"""Higher-order derivatives of whole functions, as ``torch.autograd.functional``.

For ``f`` taking tensors ``x₁ … xₙ`` and returning tensors ``y₁ … yₘ``, write
``J = ∂y/∂x`` (the Jacobian, one block ``∂yᵢ/∂xⱼ`` per output/input pair). Then

    vjp(f, x, v)    vᵀJ        one reverse pass (``mg.grad`` with ``grad_outputs=v``)
    jvp(f, x, v)    J v        two reverse passes: the "double backward trick" (below)
    jacobian(f, x)  J          one reverse pass per output element (one row of J each), or
                               with strategy="forward-mode" one forward-mode pass per input
                               element (one column each: fewer passes when inputs are few)
    hessian(f, x)   H = ∂²f/∂x²  the Jacobian of the gradient (f scalar); forward-over-reverse
                               with outer_jacobian_strategy="forward-mode"
    vhp(f, x, v)    vᵀH        reverse pass over the (recorded) gradient
    hvp(f, x, v)    H v        the double backward trick applied to the gradient

**Why J v takes two reverse passes.** Reverse mode computes ``g(u) = uᵀJ = Jᵀu`` for any
cotangent ``u``. Run it with ``create_graph=True`` and ``g(u)`` is itself a recorded function
of ``u`` — a *linear* one, ``g(u) = Jᵀu``. Its own vector-Jacobian product with ``v`` is
``vᵀ ∂g/∂u = vᵀJᵀ = (J v)ᵀ``: differentiating the backward pass with respect to its seed
gives the forward-mode product without any forward-mode machinery. Because ``g`` is linear
in ``u``, the value of ``u`` does not matter (zeros are used; they only must be finite).
This works in minigrad because every backward is written with minigrad's own recorded ops.

Conventions, all as torch: ``inputs`` (and ``v``) are a Tensor or a tuple of Tensors, and the
result mirrors that (a tuple in, a tuple out); the function is called as ``func(*inputs)``;
results are detached unless ``create_graph=True`` (then they are differentiable, also with
respect to inputs that required grad); an output that does not depend on an input gives zeros,
or, with ``strict=True``, a RuntimeError with torch's message. ``vectorize=True`` only makes
torch faster (it uses vmap): minigrad accepts it and runs the same loop. ``strategy=
"forward-mode"`` uses ``forward_ad`` and, as torch, requires ``vectorize=True`` and refuses
``create_graph=True`` for the Jacobian (torch's messages). ``jvp`` keeps torch's double
backward trick (torch.autograd.functional.jvp uses it too); ``mg.func.jvp`` is forward mode.
"""
from ..tensor import Tensor
from .engine import grad as _grad
from .grad_mode import enable_grad, is_grad_enabled, set_grad_enabled

__all__ = ["vjp", "jvp", "jacobian", "hessian", "vhp", "hvp"]


class FunctionalArgumentError(ValueError, RuntimeError):
    """A wrong ``v`` or function result. A ValueError (minigrad's convention for bad input)
    that is also a RuntimeError (what torch raises), so either ``except`` catches it."""


# ---- helpers (the same steps as torch's, under the same names without underscores) ---------

def _as_tuple(value, arg_name, fn_name):
    """(was it a tuple, the tuple of Tensors)."""
    is_tuple = isinstance(value, tuple)
    values = value if is_tuple else (value,)
    for i, el in enumerate(values):
        if not isinstance(el, Tensor):
            where = f"the value at index {i}" if is_tuple else f"the given {arg_name}"
            raise TypeError(f"The {arg_name} given to {fn_name} must be either a Tensor or a "
                            f"tuple of Tensors but {where} has type {type(el).__name__}.")
    return is_tuple, values


def _untuple(result, was_tuple):
    """Undo ``_as_tuple``: a bool for a flat tuple, (outer, inner) bools for a nested one."""
    if isinstance(was_tuple, tuple):
        outer, inner = was_tuple
        if not inner:
            result = tuple(row[0] for row in result)
        return result if outer else result[0]
    return result if was_tuple else result[0]


def _prepare(tensors, create_graph, need_graph):
    """Fresh tensors to differentiate with respect to. With create_graph an input that
    already requires grad stays connected to its own graph (a view of it), so the results can
    be differentiated again with respect to the caller's tensors; otherwise a detached copy."""
    return tuple(t.view_as(t) if create_graph and t.requires_grad
                 else t.detach().requires_grad_(need_graph) for t in tensors)


def _finish(tensors, create_graph):
    """Detach the results (recursively through nested tuples) unless create_graph."""
    if create_graph:
        return tensors
    return tuple(_finish(t, False) if isinstance(t, tuple) else t.detach() for t in tensors)


def _check_v(v, others, others_is_tuple):
    if len(v) != len(others):
        if others_is_tuple:
            raise FunctionalArgumentError(f"v is a tuple of invalid length: should be "
                                          f"{len(others)} but got {len(v)}.")
        raise FunctionalArgumentError("The given v should contain a single Tensor.")
    for i, (el_v, el) in enumerate(zip(v, others)):
        if el_v.shape != el.shape:
            prefix = f"Entry {i} in " if len(others) > 1 else ""
            raise FunctionalArgumentError(f"{prefix}v has invalid size: should be {el.shape} "
                                          f"but got {el_v.shape}.")


def _check_requires_grad(tensors, kind, strict):
    """In strict mode, every tensor must be present and depend on the inputs."""
    if not strict:
        return
    for i, t in enumerate(tensors):
        if t is None:
            raise RuntimeError(f"The output of the user-provided function is independent of "
                               f"input {i}. This is not allowed in strict mode.")
        if t.requires_grad:
            continue
        if kind == "hessian":
            raise RuntimeError(
                f"The hessian of the user-provided function with respect to input {i} is "
                "independent of the input. This is not allowed in strict mode. You should "
                "ensure that your function is thrice differentiable and that the hessian "
                "depends on the inputs.")
        if kind == "jacobian":
            raise RuntimeError(
                f"While computing the hessian, found that the jacobian of the user-provided "
                f"function with respect to input {i} is independent of the input. This is not "
                "allowed in strict mode. You should ensure that your function is twice "
                "differentiable and that the jacobian depends on the inputs (this would be "
                "violated by a linear function for example).")
        if kind == "grad_inputs":
            raise RuntimeError(f"The gradient with respect to input {i} is independent of the "
                               "inputs of the user-provided function. This is not allowed in "
                               "strict mode.")
        raise RuntimeError(f"Output {i} of the user-provided function does not require "
                           "gradients. The outputs must be computed in a differentiable manner "
                           "from the input when running in strict mode.")


def _grad_allowing_constants(outputs, inputs, grad_outputs=None, create_graph=False,
                             retain_graph=None):
    """``mg.grad`` that skips outputs which are None or do not require grad, and gives None
    for inputs nothing reaches (torch's ``_autograd_grad``)."""
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    kept = [(o, g) for o, g in zip(outputs, grad_outputs) if o is not None and o.requires_grad]
    if not kept:
        return (None,) * len(inputs)
    return _grad([o for o, _ in kept], inputs, [g for _, g in kept], allow_unused=True,
                 create_graph=create_graph, retain_graph=retain_graph)


_STRICT_NONE_MESSAGES = {
    "back": "The output of the user-provided function is independent of input {i}. This is "
            "not allowed in strict mode.",
    "back_trick": "The gradient with respect to the input is independent of entry {i} in the "
                  "grad_outputs when using the double backward trick to compute forward mode "
                  "gradients. This is not allowed in strict mode.",
    "double_back": "The jacobian of the user-provided function is independent of input {i}. "
                   "This is not allowed in strict mode.",
    "double_back_trick": "The hessian of the user-provided function is independent of entry "
                         "{i} in the grad_jacobian. This is not allowed in strict mode as it "
                         "prevents from using the double backward trick to replace forward "
                         "mode AD.",
}


def _fill_in_zeros(grads, refs, strict, create_graph, stage):
    """Replace each None (nothing reached that input) by zeros shaped like ``refs[i]``, or
    raise in strict mode."""
    result = []
    for i, g in enumerate(grads):
        if g is None:
            if strict:
                raise RuntimeError(_STRICT_NONE_MESSAGES[stage].format(i=i))
            g = _zeros_like(refs[i])
        elif strict and create_graph and not g.requires_grad:
            what = "hessian" if "double" in stage else "jacobian"
            raise RuntimeError(f"The {what} of the user-provided function is independent of "
                               f"input {i}. This is not allowed in strict mode when "
                               "create_graph=True.")
        result.append(g)
    return tuple(result)


def _zeros(shape, like):
    return Tensor._wrap(like.backend.xp.zeros(shape, like.dtype), like.device)


def _zeros_like(t, requires_grad=False):
    zeros = _zeros(t.shape, t)
    return zeros.requires_grad_(True) if requires_grad else zeros


def _prepare_v(v, others, others_is_tuple, create_graph, fn_name, none_allowed_because):
    """Check ``v`` against ``others`` (the outputs for vjp, the inputs otherwise)."""
    if v is None:
        if len(others) != 1 or others[0].numel() != 1:
            raise FunctionalArgumentError(f"The vector v can only be None if "
                                          f"{none_allowed_because} a single Tensor with a "
                                          "single element.")
        return None
    _, v = _as_tuple(v, "v", fn_name)
    v = _prepare(v, create_graph, need_graph=False)
    _check_v(v, others, others_is_tuple)
    return v


def _single_scalar_output(outputs, is_tuple, fn_name):
    if is_tuple:
        raise FunctionalArgumentError(f"The function given to {fn_name} should return a single "
                                      "Tensor")
    if outputs[0].numel() != 1:
        raise FunctionalArgumentError(f"The Tensor returned by the function given to {fn_name} "
                                      f"should contain a single element (got shape "
                                      f"{outputs[0].shape})")


# ---- the six functions ----------------------------------------------------------------------

def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(*inputs), vᵀJ)``: the vector-Jacobian product, ``vᵀJ = Σᵢ vᵢᵀ ∂yᵢ/∂x``, one
    entry per input, shaped like it. ``v`` is shaped like the outputs; it may be None only
    for a single one-element output (then v = 1 and vᵀJ is the gradient)."""
    with enable_grad():
        inputs_is_tuple, inputs = _as_tuple(inputs, "inputs", "vjp")
        inputs = _prepare(inputs, create_graph, need_graph=True)
        outputs = func(*inputs)
        outputs_is_tuple, outputs = _as_tuple(outputs, "outputs of the user-provided function",
                                              "vjp")
        _check_requires_grad(outputs, "outputs", strict)
        v = _prepare_v(v, outputs, outputs_is_tuple, create_graph, "vjp",
                       "the user-provided function returns")
    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        grads = _grad_allowing_constants(outputs, inputs, v, create_graph=create_graph)
        result = _fill_in_zeros(grads, inputs, strict, create_graph, "back")
    return (_untuple(_finish(outputs, create_graph), outputs_is_tuple),
            _untuple(_finish(result, create_graph), inputs_is_tuple))


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(*inputs), J v)``: the Jacobian-vector product, ``(J v)ᵢ = Σⱼ ∂yᵢ/∂xⱼ vⱼ``, one
    entry per output. ``v`` is shaped like the inputs (None only for one one-element input).

    Computed by the double backward trick (see the module docstring): with a seed ``u``
    (zeros, requiring grad), ``g(u) = uᵀJ`` is recorded; then ``J v = (∂g/∂u)ᵀ v``."""
    with enable_grad():
        inputs_is_tuple, inputs = _as_tuple(inputs, "inputs", "jvp")
        inputs = _prepare(inputs, create_graph, need_graph=True)
        v = _prepare_v(v, inputs, inputs_is_tuple, create_graph, "jvp",
                       "the input to the user-provided function is")
        outputs = func(*inputs)
        outputs_is_tuple, outputs = _as_tuple(outputs, "outputs of the user-provided function",
                                              "jvp")
        _check_requires_grad(outputs, "outputs", strict)
        seeds = tuple(_zeros_like(out, requires_grad=True) for out in outputs)   # u
        grad_inputs = _grad_allowing_constants(outputs, inputs, seeds, create_graph=True)
        _check_requires_grad(grad_inputs, "grad_inputs", strict)
    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        grads = _grad_allowing_constants(grad_inputs, seeds, v, create_graph=create_graph)
        result = _fill_in_zeros(grads, outputs, strict, create_graph, "back_trick")
    return (_untuple(_finish(outputs, create_graph), outputs_is_tuple),
            _untuple(_finish(result, create_graph), outputs_is_tuple))


def _check_strategy(strategy, fn_name, argument, vectorize):
    """True for "forward-mode" (which, as in torch, needs vectorize=True), False for reverse."""
    if strategy == "forward-mode":
        if not vectorize:
            raise NotImplementedError("Computing Jacobian using forward-AD or forward-over-reverse "
                                      "Hessian is only implemented for `vectorize=True`.")
        return True
    if strategy != "reverse-mode":
        raise ValueError(f"{fn_name}: {argument} must be \"reverse-mode\" or \"forward-mode\", "
                         f"got {strategy!r}")
    return False


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False,
             strategy="reverse-mode"):
    """The Jacobian ``J[i][j] = ∂yᵢ/∂xⱼ``, each block of shape ``yᵢ.shape + xⱼ.shape``.

    Nesting as torch: one Tensor in and out gives a Tensor; a tuple of inputs gives a tuple
    over inputs; a tuple of outputs gives a tuple over outputs (of those). Row ``k`` of the
    block is one reverse pass seeded at output element ``k``. ``vectorize=True`` is accepted
    and runs the same loop (in torch it only changes speed)."""
    if _check_strategy(strategy, "jacobian", "strategy", vectorize):
        if create_graph:
            raise NotImplementedError(
                "torch.autograd.functional.jacobian: `create_graph=True` and `strategy=\"forward-"
                "mode\"` are not supported together (yet). Please either set `create_graph=False` "
                "or `strategy=\"reverse-mode\"`.")
        return _jacobian_forward_mode(func, inputs, strict)
    with enable_grad():
        inputs_is_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
        inputs = _prepare(inputs, create_graph, need_graph=True)
        outputs = func(*inputs)
        outputs_is_tuple, outputs = _as_tuple(outputs, "outputs of the user-provided function",
                                              "jacobian")
        _check_requires_grad(outputs, "outputs", strict)
        if vectorize and strict:
            raise RuntimeError("torch.autograd.functional.jacobian: `strict=True` and "
                               "`vectorized=True` are not supported together. Please either "
                               "set `strict=False` or `vectorize=False`.")
        blocks = tuple(_jacobian_of_output(i, out, inputs, create_graph, strict)
                       for i, out in enumerate(outputs))
    return _untuple(_finish(blocks, create_graph), (outputs_is_tuple, inputs_is_tuple))


def _jacobian_forward_mode(func, inputs, strict):
    """The blocks ``∂yᵢ/∂xⱼ`` column by column: one forward-mode pass per input element,
    the tangent a one-hot ``e_k`` of input j; column k is the output's tangent."""
    from ..ops import stack  # noqa: PLC0415  (ops imports the autograd package)
    from .forward_ad import dual_level, make_dual, unpack_dual
    inputs_is_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
    # inputs that require grad, so a reverse pass inside func (hessian's forward-over-reverse)
    # can differentiate with respect to the dual views made of them
    inputs = tuple(x.detach().requires_grad_(x.dtype.kind == "f") for x in inputs)
    outputs_is_tuple, outputs = _as_tuple(func(*inputs), "outputs of the user-provided "
                                          "function", "jacobian")
    blocks = [[None] * len(inputs) for _ in outputs]
    for j, x in enumerate(inputs):
        columns = [[] for _ in outputs]
        for k in range(x.numel()):
            one_hot = _zeros_like(x)
            one_hot.array.reshape(-1)[k] = 1
            with dual_level():
                args = list(inputs)
                args[j] = make_dual(x, one_hot)
                _, outs = _as_tuple(func(*args), "outputs", "jacobian")
                tangents = [unpack_dual(o).tangent for o in outs]
            for i, (out, tangent) in enumerate(zip(outputs, tangents)):
                if tangent is None and strict:
                    raise RuntimeError(f"Output {i} of the user-provided function is "
                                       f"independent of input {j}. This is not allowed in "
                                       "strict mode.")
                columns[i].append(_zeros_like(out) if tangent is None else tangent.detach())
        for i, out in enumerate(outputs):
            blocks[i][j] = stack(columns[i], -1).reshape(out.shape + x.shape) if columns[i] \
                else _zeros(out.shape + x.shape, x)
    return _untuple(tuple(tuple(b) for b in blocks), (outputs_is_tuple, inputs_is_tuple))


def _jacobian_of_output(i, out, inputs, create_graph, strict):
    """The blocks ``∂out/∂xⱼ`` for every input, by one reverse pass per element of ``out``."""
    from ..ops import stack  # noqa: PLC0415  (ops imports the autograd package)
    rows = [[] for _ in inputs]
    flat = out.reshape(-1)
    for k in range(out.numel()):
        grads = _grad_allowing_constants((flat[k],), inputs, retain_graph=True,
                                         create_graph=create_graph)
        for j, (g, inp) in enumerate(zip(grads, inputs)):
            if g is None:
                if strict:
                    raise RuntimeError(f"Output {i} of the user-provided function is "
                                       f"independent of input {j}. This is not allowed in "
                                       "strict mode.")
                g = _zeros_like(inp)
            elif strict and create_graph and not g.requires_grad:
                raise RuntimeError(f"The jacobian of the user-provided function is independent "
                                   f"of input {j}. This is not allowed in strict mode when "
                                   "create_graph=True.")
            rows[j].append(g)
    return tuple(stack(r, 0).reshape(out.shape + inp.shape) if r    # no rows: out is empty
                 else _zeros(out.shape + inp.shape, inp) for r, inp in zip(rows, inputs))


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False,
            outer_jacobian_strategy="reverse-mode"):
    """The Hessian ``H[i][j] = ∂²f/∂xᵢ∂xⱼ`` of a function returning one element, each block of
    shape ``xᵢ.shape + xⱼ.shape``: the Jacobian of the (recorded) gradient. A single input
    gives a Tensor, a tuple of inputs a tuple of tuples."""
    inputs_is_tuple, inputs = _as_tuple(inputs, "inputs", "hessian")
    forward_over_reverse = _check_strategy(outer_jacobian_strategy, "hessian",
                                           "outer_jacobian_strategy", vectorize)

    def scalar_func(*inp):
        out = func(*inp)
        is_tuple, outs = _as_tuple(out, "outputs of the user-provided function", "hessian")
        _check_requires_grad(outs, "outputs", strict)
        _single_scalar_output(outs, is_tuple, "hessian")
        return out.reshape(())

    def gradient(*inp):
        grads = jacobian(scalar_func, inp, create_graph=True)
        _check_requires_grad(grads, "jacobian", strict)
        return grads

    blocks = jacobian(gradient, inputs, create_graph=create_graph, strict=strict,
                      vectorize=vectorize,
                      strategy="forward-mode" if forward_over_reverse else "reverse-mode")
    return _untuple(blocks, (inputs_is_tuple, inputs_is_tuple))


def _gradient_of_scalar(func, inputs, v, create_graph, strict, fn_name):
    """Shared start of vhp/hvp: prepared inputs and v, the output, its recorded gradient."""
    inputs_is_tuple, inputs = _as_tuple(inputs, "inputs", fn_name)
    inputs = _prepare(inputs, create_graph, need_graph=True)
    v = _prepare_v(v, inputs, inputs_is_tuple, create_graph, fn_name,
                   "the input to the user-provided function is")
    outputs = func(*inputs)
    outputs_is_tuple, outputs = _as_tuple(outputs, "outputs of the user-provided function",
                                          fn_name)
    _check_requires_grad(outputs, "outputs", strict)
    _single_scalar_output(outputs, outputs_is_tuple, fn_name)
    gradient = _grad_allowing_constants(outputs, inputs, create_graph=True)
    _check_requires_grad(gradient, "jacobian", strict)
    return inputs_is_tuple, inputs, v, outputs, gradient


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(*inputs), vᵀH)`` for a function returning one element: one reverse pass over
    the recorded gradient ``∇f`` with ``v`` as its seed, ``vᵀ ∂(∇f)/∂x = vᵀH``."""
    with enable_grad():
        inputs_is_tuple, inputs, v, outputs, gradient = _gradient_of_scalar(
            func, inputs, v, create_graph, strict, "vhp")
    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        grads = _grad_allowing_constants(gradient, inputs, v, create_graph=create_graph)
        result = _fill_in_zeros(grads, inputs, strict, create_graph, "double_back")
    return (_finish(outputs, create_graph)[0],
            _untuple(_finish(result, create_graph), inputs_is_tuple))


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(*inputs), H v)`` for a function returning one element. ``H`` is symmetric for
    smooth ``f``, so ``H v = (vᵀH)ᵀ`` equals vhp's; torch (and minigrad) still compute it
    as the double backward trick on the gradient: ``g(u) = uᵀH`` recorded with a seed ``u``,
    then ``H v = (∂g/∂u)ᵀ v``."""
    with enable_grad():
        inputs_is_tuple, inputs, v, outputs, gradient = _gradient_of_scalar(
            func, inputs, v, create_graph, strict, "hvp")
        seeds = tuple(_zeros_like(inp, requires_grad=True) for inp in inputs)   # u
        double_back = _grad_allowing_constants(gradient, inputs, seeds, create_graph=True)
        _check_requires_grad(gradient, "hessian", strict)
    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        grads = _grad_allowing_constants(double_back, seeds, v, create_graph=create_graph)
        result = _fill_in_zeros(grads, inputs, strict, create_graph, "double_back_trick")
    return (_finish(outputs, create_graph)[0],
            _untuple(_finish(result, create_graph), inputs_is_tuple))
