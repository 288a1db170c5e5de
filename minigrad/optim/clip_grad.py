"""Gradient clipping, as torch.nn.utils.clip_grad_norm_ / clip_grad_value_ (exported here
because the update is the optimizer's business; nn may re-export them)."""
import math

from ..tensor import Tensor


def _grads(parameters):
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p.grad for p in parameters if p.grad is not None]


def _vector_norm(g, norm_type):
    xp, a = g.backend.xp, g.data
    if a.size == 0:
        return 0.0
    if norm_type == math.inf:
        return float(xp.max(xp.abs(a)))
    if norm_type == -math.inf:
        return float(xp.min(xp.abs(a)))
    return float(xp.sum(xp.abs(a) ** norm_type) ** (1.0 / norm_type))


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False):
    r"""Scales all gradients together so that their total norm is at most ``max_norm``.

        total = ‖(‖g₁‖_p, …, ‖g_k‖_p)‖_p        (p = ``norm_type``; inf: max |g|)
        g_i ← g_i · min(1, max_norm / (total + 1e-6))

    Returns ``total`` (the norm BEFORE clipping) as a 0-d tensor, as torch. With
    ``error_if_nonfinite`` a NaN or infinite total raises RuntimeError (torch's type); otherwise
    such gradients are scaled by NaN as in torch.
    """
    norm_type = float(norm_type)
    max_norm = float(max_norm)
    grads = _grads(parameters)
    if not grads:
        from ..creation import tensor
        return tensor(0.0)
    norms = [_vector_norm(g, norm_type) for g in grads]
    if norm_type == math.inf:
        total = max(norms)
    elif norm_type == -math.inf:
        total = min(norms)
    else:
        total = sum(n ** norm_type for n in norms) ** (1.0 / norm_type)
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from "
                           "`parameters` is non-finite, so it cannot be clipped. To disable "
                           "this error and scale the gradients by the non-finite norm anyway, "
                           "set `error_if_nonfinite=False`")
    coef = min(max_norm / (total + 1e-6), 1.0) if not math.isnan(total) else math.nan
    for g in grads:
        g.data[...] = g.data * coef
    return Tensor._wrap(grads[0].backend.xp.asarray(total, dtype=grads[0].dtype),
                        grads[0].device)


def clip_grad_value_(parameters, clip_value):
    """Clamps every gradient entry into [−clip_value, clip_value], in place."""
    clip_value = float(clip_value)
    for g in _grads(parameters):
        g.data[...] = g.backend.xp.clip(g.data, -clip_value, clip_value)
