"""Function transforms in the style of ``torch.func``: they take a function and return one.

    grad(f)(x)              ∇f(x)                     f returns a 0-dim Tensor
    grad_and_value(f)(x)    (∇f(x), f(x))
    vjp(f, *x)              (f(x), u ↦ uᵀJ)           a reusable vector-Jacobian product
    jvp(f, x, v)            (f(x), J v)               forward mode (autograd/forward_ad.py)
    jacrev(f)(x)            J, row by row in reverse mode
    jacfwd(f)(x)            J, column by column in forward mode
    hessian(f)(x)           H = jacfwd(jacrev(f)), forward-over-reverse

``argnums`` (an int or a tuple of ints, negative ones counting from the end) says which
positional arguments to differentiate with respect to: an int gives one result, a tuple gives a
tuple. The transforms compose — ``grad(grad(f))``, ``jacrev(jacrev(f))`` — because each one,
when its arguments already require grad (an outer transform, or the caller's own tensors, is
tracking them), records its backward pass (``create_graph=True``) and so stays differentiable;
otherwise its results are detached, as torch's are.

Differences from torch.func: arguments are Tensors (no pytrees: a dict of parameters is passed
as separate arguments); there is no ``vmap``, so ``chunk_size`` only is accepted and the rows
are computed one at a time; one forward-mode level at a time (``jvp`` or ``jacfwd`` inside
``jvp``/``jacfwd`` raises, as torch.autograd.forward_ad; torch.func nests them); a tensor a
transformed function captures from outside (a closure) is seen as a constant unless it also
requires grad and an argument does.
"""
from .autograd.functional import (FunctionalArgumentError, _grad_allowing_constants, _zeros,
                                  _zeros_like)
from .autograd.grad_mode import enable_grad, is_grad_enabled
from .tensor import Tensor

__all__ = ["grad", "grad_and_value", "vjp", "jvp", "jacrev", "jacfwd", "hessian"]


# ---- helpers --------------------------------------------------------------------------------

def _argnums_indices(argnums, n_args, fn_name):
    """(the positions, whether argnums was a tuple)."""
    is_tuple = isinstance(argnums, tuple)
    nums = argnums if is_tuple else (argnums,)
    if is_tuple and not nums:
        raise ValueError(f"{fn_name}: argnums must be non-empty")
    indices = []
    for a in nums:
        if not isinstance(a, int) or isinstance(a, bool):
            raise TypeError(f"{fn_name}: argnums must be an int or a tuple of ints, got "
                            f"{argnums!r}")
        if not -n_args <= a < n_args:
            raise ValueError(f"{fn_name}: got argnums={argnums!r}, but only {n_args} "
                             "positional inputs")
        indices.append(a % n_args)
    if len(set(indices)) != len(indices):
        raise ValueError(f"{fn_name}: argnums must not repeat an argument, got {argnums!r}")
    return tuple(indices), is_tuple


def _track(args, indices, fn_name):
    """Fresh tensors to differentiate with respect to, and whether to record the backward
    (an argument that already requires grad, with grad mode on, is being tracked from outside:
    stay connected to it through a view and keep the result differentiable)."""
    for i in indices:
        if not isinstance(args[i], Tensor):
            raise TypeError(f"{fn_name}: argument {i} is a {type(args[i]).__name__}; the "
                            "arguments it differentiates with respect to must be Tensors")
    nested = is_grad_enabled() and any(args[i].requires_grad for i in indices)
    args = list(args)
    for i in indices:
        t = args[i]
        args[i] = t.view_as(t) if nested and t.requires_grad else t.detach().requires_grad_(True)
    return args, nested


def _detached(value, nested):
    """Results leave a transform detached unless it is nested (see _track)."""
    if nested:
        return value
    if isinstance(value, Tensor):
        return value.detach()
    if isinstance(value, (tuple, list)):
        return type(value)(_detached(v, nested) for v in value)
    return value


def _split_aux(result, has_aux, fn_name):
    if not has_aux:
        return result, None
    if not (isinstance(result, tuple) and len(result) == 2):
        raise TypeError(f"{fn_name}(f, ..., has_aux=True): f must return a tuple (output, aux), "
                        f"got {type(result).__name__}")
    return result


def _as_outputs(out, fn_name):
    """(whether it was a tuple, the tuple of output Tensors)."""
    is_tuple = isinstance(out, (tuple, list))
    outs = tuple(out) if is_tuple else (out,)
    for i, o in enumerate(outs):
        if not isinstance(o, Tensor):
            raise TypeError(f"{fn_name}: the function's output {i} is a {type(o).__name__}, "
                            "not a Tensor")
    return is_tuple, outs


def _gradients(outputs, inputs, cotangents, create_graph):
    """Σ cotangentᵀ ∂output/∂input for each input, zeros where nothing reaches it."""
    grads = _grad_allowing_constants(outputs, inputs, cotangents, create_graph=create_graph,
                                     retain_graph=True)
    return tuple(g if g is not None else _zeros_like(x) for g, x in zip(grads, inputs))


# ---- the transforms -------------------------------------------------------------------------

def grad_and_value(func, argnums=0, has_aux=False):
    """``f ↦ (x ↦ (∇f(x), f(x)))`` (with ``has_aux``: ``((∇f(x), aux), f(x))``, as torch)."""
    def wrapper(*args, **kwargs):
        indices, is_tuple = _argnums_indices(argnums, len(args), "grad_and_value")
        with enable_grad():
            args, nested = _track(args, indices, "grad_and_value")
            output, aux = _split_aux(func(*args, **kwargs), has_aux, "grad_and_value")
            if not isinstance(output, Tensor):
                raise TypeError(f"grad_and_value: expected f(*args) to return a Tensor, got "
                                f"{type(output).__name__}")
            if output.ndim != 0:
                raise FunctionalArgumentError(
                    f"grad_and_value: expected f(*args) to return a scalar Tensor, got a tensor "
                    f"with {output.ndim} dims (shape {output.shape}). Maybe you wanted to use "
                    "the vjp or jacrev APIs instead?")
            grads = _gradients((output,), [args[i] for i in indices], None, nested)
        grads = _detached(grads if is_tuple else grads[0], nested)
        output, aux = _detached(output, nested), _detached(aux, nested)
        return ((grads, aux) if has_aux else grads), output
    return wrapper


def grad(func, argnums=0, has_aux=False):
    """``f ↦ (x ↦ ∇f(x))`` for ``f`` returning a 0-dim Tensor: the gradient with respect to the
    argument(s) ``argnums`` (with ``has_aux=True``, f returns ``(output, aux)`` and the new
    function returns ``(gradient, aux)``)."""
    value_and_grad = grad_and_value(func, argnums, has_aux)

    def wrapper(*args, **kwargs):
        return value_and_grad(*args, **kwargs)[0]
    return wrapper


def vjp(func, *primals, has_aux=False):
    """``(f(*primals), vjp_fn)`` (and ``aux`` with ``has_aux``), where ``vjp_fn(cotangents)``
    returns ``uᵀJ`` for a cotangent ``u`` shaped like the output — one entry per primal, always
    as a tuple. ``vjp_fn`` may be called many times (the graph is kept)."""
    with enable_grad():
        primals, nested = _track(primals, range(len(primals)), "vjp")
        output, aux = _split_aux(func(*primals), has_aux, "vjp")
        output_is_tuple, outputs = _as_outputs(output, "vjp")

    def vjp_fn(cotangents):
        _, cotangents = _as_outputs(cotangents, "vjp_fn (cotangents)")
        if len(cotangents) != len(outputs):
            raise FunctionalArgumentError(f"vjp_fn: got {len(cotangents)} cotangents for "
                                          f"{len(outputs)} outputs")
        with enable_grad():
            return _detached(_gradients(outputs, primals, cotangents, nested), nested)

    result = (_detached(output, nested), vjp_fn)
    return result + (_detached(aux, nested),) if has_aux else result


def jvp(func, primals, tangents, *, strict=False, has_aux=False):
    """``(f(*primals), J v)`` with ``v = tangents`` (shaped like the primals), the output and
    ``J v`` both structured like f's output (and ``aux`` with ``has_aux``).

    Forward mode, as torch.func.jvp: the primals become dual tensors carrying the tangents
    (``autograd.forward_ad``) and each op's jvp rule pushes them through ``f`` in one pass.
    ``strict`` is accepted and, as in torch 2.x's torch.func.jvp, checks nothing."""
    from .autograd.forward_ad import dual_level, make_dual, unpack_dual
    for name, value in (("primals", primals), ("tangents", tangents)):
        if not isinstance(value, (tuple, list)):
            raise TypeError(f"jvp(f, primals, tangents): expected {name} to be a tuple, got "
                            f"{type(value).__name__}. E.g. it should be valid to call "
                            "f(*primals).")
    if len(tangents) != len(primals):
        raise FunctionalArgumentError(f"jvp: got {len(tangents)} tangents for {len(primals)} "
                                      "primals")
    for i, (p, t) in enumerate(zip(primals, tangents)):
        if not isinstance(p, Tensor) or not isinstance(t, Tensor):
            raise TypeError(f"jvp: primals[{i}] and tangents[{i}] must be Tensors")
        if p.shape != t.shape:
            raise FunctionalArgumentError(f"jvp: tangents[{i}] has shape {t.shape} but "
                                          f"primals[{i}] has shape {p.shape}")
    nested = is_grad_enabled() and any(p.requires_grad for p in primals)
    with dual_level():
        duals = [make_dual(p if nested else p.detach(), t) for p, t in zip(primals, tangents)]
        output, aux = _split_aux(func(*duals), has_aux, "jvp")
        output_is_tuple, outputs = _as_outputs(output, "jvp")
        unpacked = [unpack_dual(o) for o in outputs]
        values = tuple(u.primal for u in unpacked)
        jvps = tuple(_zeros_like(o) if u.tangent is None else u.tangent
                     for o, u in zip(outputs, unpacked))
    result = (_detached(values if output_is_tuple else values[0], nested),
              _detached(jvps if output_is_tuple else jvps[0], nested))
    return result + (_detached(aux, nested),) if has_aux else result


def jacfwd(func, argnums=0, has_aux=False, *, randomness="error"):
    """``f ↦ (x ↦ J)`` by forward mode: one pass per element of each argument in ``argnums``,
    its tangent a one-hot ``e_k``, giving column k of ``∂yᵢ/∂x_a`` (shaped
    ``yᵢ.shape + x_a.shape``, structured as ``jacrev``'s). Fewer passes than ``jacrev`` when
    the arguments have fewer elements than the outputs. ``randomness`` is accepted (a vmap
    setting in torch). One forward level at a time: ``jacfwd(jacfwd(f))`` raises, as torch's
    forward_ad does; ``jacfwd(jacrev(f))`` and ``jacrev(jacfwd(f))`` work."""
    from .autograd.forward_ad import dual_level, make_dual, unpack_dual

    def wrapper(*args):
        from .ops import stack  # noqa: PLC0415  (ops imports the autograd package)
        indices, argnums_is_tuple = _argnums_indices(argnums, len(args), "jacfwd")
        with enable_grad():
            # the arguments require grad, so a reverse pass inside f (jacfwd(jacrev(f))) can
            # differentiate with respect to the dual views made of them
            args, nested = _track(args, indices, "jacfwd")
            output, aux = _split_aux(func(*args), has_aux, "jacfwd")
            output_is_tuple, outputs = _as_outputs(output, "jacfwd")
            blocks = [[] for _ in outputs]
            for i in indices:
                x = args[i]
                columns = [[] for _ in outputs]
                for k in range(x.numel()):
                    one_hot = _zeros_like(x)
                    one_hot.array.reshape(-1)[k] = 1
                    with dual_level():
                        shifted = list(args)
                        shifted[i] = make_dual(x, one_hot)
                        out_k, _ = _split_aux(func(*shifted), has_aux, "jacfwd")
                        outs_k = _as_outputs(out_k, "jacfwd")[1]
                        tangents = [unpack_dual(o).tangent for o in outs_k]
                    for o, (out, tangent) in enumerate(zip(outputs, tangents)):
                        columns[o].append(_zeros_like(out) if tangent is None else tangent)
                for o, out in enumerate(outputs):
                    blocks[o].append(stack(columns[o], -1).reshape(out.shape + x.shape)
                                     if columns[o] else _zeros(out.shape + x.shape, x))
        blocks = [tuple(b) if argnums_is_tuple else b[0] for b in blocks]
        jac = _detached(tuple(blocks) if output_is_tuple else blocks[0], nested)
        return (jac, _detached(aux, nested)) if has_aux else jac
    return wrapper


def jacrev(func, argnums=0, *, has_aux=False, chunk_size=None):
    """``f ↦ (x ↦ J)``: the Jacobian ``∂yᵢ/∂x_a`` of each output with respect to each
    argument in ``argnums``, shaped ``yᵢ.shape + x_a.shape``, one reverse pass per element of
    the output. Structure as torch.func: a tuple of outputs gives a tuple over outputs, a tuple
    argnums a tuple over arguments inside that. ``chunk_size`` is accepted (in torch it only
    trades memory for speed under vmap)."""
    if chunk_size is not None and (not isinstance(chunk_size, int) or chunk_size < 1):
        raise ValueError(f"jacrev: chunk_size should be a positive int or None, got "
                         f"{chunk_size!r}")

    def wrapper(*args):
        from .ops import stack  # noqa: PLC0415  (ops imports the autograd package)
        indices, argnums_is_tuple = _argnums_indices(argnums, len(args), "jacrev")
        with enable_grad():
            args, nested = _track(args, indices, "jacrev")
            output, aux = _split_aux(func(*args), has_aux, "jacrev")
            output_is_tuple, outputs = _as_outputs(output, "jacrev")
            inputs = [args[i] for i in indices]
            blocks = []
            for out in outputs:
                flat = out.reshape(-1)
                rows = [_gradients((flat[k],), inputs, None, nested) for k in range(out.numel())]
                per_input = tuple(
                    stack([row[j] for row in rows], 0).reshape(out.shape + x.shape) if rows
                    else _zeros(out.shape + x.shape, x)   # an empty output: no rows
                    for j, x in enumerate(inputs))
                blocks.append(per_input if argnums_is_tuple else per_input[0])
        jac = _detached(tuple(blocks) if output_is_tuple else blocks[0], nested)
        return (jac, _detached(aux, nested)) if has_aux else jac
    return wrapper


def hessian(func, argnums=0):
    """``f ↦ (x ↦ H)`` for ``f`` returning one element: ``H = ∂²f/∂x²`` of shape
    ``f.shape + x.shape + x.shape`` (nested tuples for a tuple ``argnums``), computed as
    torch.func does, forward-over-reverse: ``jacfwd(jacrev(f, argnums), argnums)``."""
    return jacfwd(jacrev(func, argnums), argnums)
