"""Linear: y = x Wᵀ + b, as torch.nn.Linear (weight (out, in), both U(±1/√in) at init)."""
import math

from . import functional as F
from . import init
from ._layer import new_parameter, set_hooks
from .module import Module


class Linear(Module):
    """y = x Wᵀ + b; W: (out_features, in_features) from kaiming_uniform(a=√5), i.e.
    U(±1/√in_features); b: (out_features,) from U(±1/√in_features)."""

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None, *,
                 weight_penalty=None, bias_penalty=None, activity_penalty=None,
                 weight_constraint=None, bias_constraint=None):
        super().__init__()
        for name, v in (("in_features", in_features), ("out_features", out_features)):
            if not isinstance(v, int) or v < 0:
                raise ValueError(f"Linear: {name} must be a non-negative int, got {v!r}")
        self.in_features, self.out_features = in_features, out_features
        self.weight = new_parameter((out_features, in_features), dtype, device)
        self.bias = new_parameter((out_features,), dtype, device) if bias else None
        if not bias:
            self.register_parameter("bias", None)
        self.reset_parameters()
        set_hooks(self, weight_penalty, bias_penalty, activity_penalty, weight_constraint,
                  bias_constraint)

    def reset_parameters(self):
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_features) if self.in_features > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input):
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self):
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")
