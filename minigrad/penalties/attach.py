"""Attaching one penalty to every weight of a model (Keras' ``kernel_regularizer``, at once)."""
from .base import Penalty

_NORM_LAYERS = ("BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "LayerNorm", "GroupNorm",
                "InstanceNorm1d", "InstanceNorm2d", "RMSNorm")


def _is_norm_layer(module, nn):
    classes = tuple(getattr(nn, n) for n in _NORM_LAYERS if hasattr(nn, n))
    return isinstance(module, classes)


def _combined(old, new):
    if isinstance(old, Penalty) and isinstance(new, Penalty):
        return old + new
    return lambda w: old(w) + new(w)


def apply_penalty(model, penalty, include_bias=False, include_norm=False):
    """Attaches ``penalty`` to every weight of ``model`` (Keras' ``kernel_regularizer`` on every
    layer at once) and returns the names of the parameters it now penalises.

    For each sub-module with a ``weight`` parameter, ``penalty`` becomes (or is added to) its
    ``weight_penalty``; with ``include_bias=True`` also its ``bias_penalty``. A module's other
    weight matrices — parameters of 2 or more dimensions whose name starts with ``weight``, as
    an RNN's ``weight_ih_l0``/``weight_hh_l0`` — get it through ``parameter_penalties[name]``
    (and, with ``include_bias``, parameters named ``bias…``, as ``bias_ih_l0``). Normalisation
    layers (BatchNorm, LayerNorm, GroupNorm, …) are skipped unless ``include_norm=True``: their
    scale and shift are not weights whose size regularisation means anything, as the usual
    "no decay on norms and biases" rule says. ``model.penalty()`` then sums them.
    A layer that already has a penalty keeps it and gets ``old + penalty``: calling this twice
    counts the penalty twice.
    """
    from .. import nn
    if not isinstance(penalty, Penalty) and not callable(penalty):
        raise TypeError(f"apply_penalty: penalty must be a Penalty (or a callable Tensor -> "
                        f"scalar Tensor), got {type(penalty).__name__}")
    if not hasattr(model, "named_modules"):
        raise TypeError(f"apply_penalty takes an nn.Module, got {type(model).__name__}")
    names = []
    for prefix, module in model.named_modules():
        if _is_norm_layer(module, nn) and not include_norm:
            continue
        targets = [("weight", "weight_penalty")]
        if include_bias:
            targets.append(("bias", "bias_penalty"))
        for param_name, slot in targets:
            if getattr(module, param_name, None) is None:
                continue
            old = getattr(module, slot, None)
            setattr(module, slot, penalty if old is None else _combined(old, penalty))
            names.append(f"{prefix}.{param_name}" if prefix else param_name)
        for param_name, param in module.named_parameters(recurse=False):
            if param_name in ("weight", "bias") or not (
                    (param_name.startswith("weight") and param.ndim >= 2) or
                    (include_bias and param_name.startswith("bias"))):
                continue
            table = dict(module.parameter_penalties or {})
            old = table.get(param_name)
            table[param_name] = penalty if old is None else _combined(old, penalty)
            module.parameter_penalties = table
            names.append(f"{prefix}.{param_name}" if prefix else param_name)
    return names
