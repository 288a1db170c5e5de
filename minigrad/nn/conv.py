"""Conv2d, as torch.nn.Conv2d: weight (out, in, kh, kw), U(±1/√(in·kh·kw)) for weight and bias."""
import math

from . import functional as F
from . import init
from ._layer import new_parameter, set_hooks
from .module import Module


class Conv2d(Module):
    """out[n, o] = b[o] + Σ_c W[o, c] ⋆ x[n, c]  (cross-correlation, with stride, padding and
    dilation as ints or pairs), via im2col + one matmul (functional.conv2d)."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True, padding_mode="zeros", device=None, dtype=None, *,
                 weight_penalty=None, bias_penalty=None, activity_penalty=None,
                 weight_constraint=None, bias_constraint=None):
        super().__init__()
        if groups != 1:
            raise ValueError(f"Conv2d: only groups=1 is implemented, got {groups}")
        if padding_mode != "zeros":
            raise ValueError(f"Conv2d: only padding_mode='zeros' is implemented, got "
                             f"{padding_mode!r}")
        if isinstance(padding, str):
            raise ValueError(f"Conv2d: string padding ({padding!r}) is not implemented; give "
                             "an int or a pair")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = F._pair(kernel_size, "kernel_size")
        self.stride = F._pair(stride, "stride")
        self.padding = F._pair(padding, "padding")
        self.dilation = F._pair(dilation, "dilation")
        self.groups = groups
        self.weight = new_parameter((out_channels, in_channels) + self.kernel_size, dtype, device)
        if bias:
            self.bias = new_parameter((out_channels,), dtype, device)
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()
        set_hooks(self, weight_penalty, bias_penalty, activity_penalty, weight_constraint,
                  bias_constraint)

    def reset_parameters(self):
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.in_channels * self.kernel_size[0] * self.kernel_size[1]
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input):
        if input.ndim == 4 and input.shape[1] != self.in_channels:
            raise ValueError(f"Conv2d({self.in_channels}, {self.out_channels}) expects "
                             f"{self.in_channels} input channels, got {input.shape[1]} "
                             f"(input shape {input.shape})")
        return F.conv2d(input, self.weight, self.bias, self.stride, self.padding, self.dilation)

    def extra_repr(self):
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        if self.padding != (0, 0):
            s += f", padding={self.padding}"
        if self.dilation != (1, 1):
            s += f", dilation={self.dilation}"
        if self.bias is None:
            s += ", bias=False"
        return s
