"""``param_groups_no_decay``: weight decay on weights, none on biases and normalisation params."""


def param_groups_no_decay(named_parameters, weight_decay, no_decay_names=("bias", "norm")):
    """Two param groups: ``{"params": decayed, "weight_decay": weight_decay}`` and
    ``{"params": others, "weight_decay": 0.0}``.

    ``named_parameters`` is a Module (its ``named_parameters()`` is used) or an iterable of
    ``(name, tensor)``. A parameter gets no decay when it has fewer than 2 dimensions (biases,
    LayerNorm/BatchNorm scales and shifts, scalars) or when its name contains one of
    ``no_decay_names`` (case-insensitive) — the rule most PyTorch training scripts hand-write.
    Decaying a norm layer's scale pulls it toward 0, which is not the prior anyone means.
    Groups that would be empty are left out; pass the result to any optimizer.
    """
    if hasattr(named_parameters, "named_parameters"):
        named_parameters = named_parameters.named_parameters()
    decay, no_decay = [], []
    keys = tuple(k.lower() for k in no_decay_names)
    for name, p in named_parameters:
        if not getattr(p, "requires_grad", True):
            continue
        skip = p.ndim < 2 or any(k in name.lower() for k in keys)
        (no_decay if skip else decay).append(p)
    groups = []
    if decay:
        groups.append({"params": decay, "weight_decay": weight_decay})
    if no_decay:
        groups.append({"params": no_decay, "weight_decay": 0.0})
    return groups
