"""What Linear, Conv2d and Embedding share: creating parameters, and the penalty/constraint hooks."""
import numpy as np

from ..creation import zeros
from ..dtypes import get_default_dtype
from .module import Parameter


def new_parameter(shape, dtype, device):
    dtype = get_default_dtype() if dtype is None else np.dtype(dtype)
    return Parameter(zeros(*shape, dtype=dtype, device=device))


def set_hooks(layer, weight_penalty, bias_penalty, activity_penalty, weight_constraint,
              bias_constraint):
    """Penalties: callables Tensor → scalar Tensor, summed by Module.penalty().
    Constraints: callables array → array stored as ``param.constraint`` for the optimizers."""
    for name, fn in (("weight_penalty", weight_penalty), ("bias_penalty", bias_penalty),
                     ("activity_penalty", activity_penalty),
                     ("weight_constraint", weight_constraint),
                     ("bias_constraint", bias_constraint)):

        if fn is not None and not callable(fn):
            raise TypeError(f"{type(layer).__name__}: {name} must be callable, got "
                            f"{type(fn).__name__}")
    layer.weight_penalty = weight_penalty
    layer.bias_penalty = bias_penalty
    layer.activity_penalty = activity_penalty
    layer.weight.constraint = weight_constraint
    if getattr(layer, "bias", None) is not None:
        layer.bias.constraint = bias_constraint
    elif bias_constraint is not None:
        raise ValueError(f"{type(layer).__name__}: bias_constraint given but the layer has no bias")
