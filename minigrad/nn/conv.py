"""Conv1d and Conv2d, as torch.nn: weight (out, in/groups, *kernel), U(±1/√fan_in) for weight and
bias, fan_in = in/groups·∏kernel; padding ints, "valid" or "same"; padding_mode "zeros",
"reflect", "replicate" or "circular" (the last three pad with F.pad first, as torch)."""
import math

from . import functional as F
from . import init
from ._arguments import _pair, _single
from ._layer import new_parameter, set_hooks
from .module import Module

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


class _ConvNd(Module):
    """What Conv1d and Conv2d share: arguments, parameters, initialisation, padding modes."""

    _spatial = 0              # number of spatial axes
    _as_tuple = None          # _single or _pair
    _function = None          # F.conv1d or F.conv2d

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation,
                 groups, bias, padding_mode, device, dtype, hooks):
        super().__init__()
        name = type(self).__name__
        if not isinstance(groups, int) or groups <= 0:
            raise ValueError(f"{name}: groups must be a positive integer, got {groups!r}")
        for what, channels in (("in_channels", in_channels), ("out_channels", out_channels)):
            if channels % groups:
                raise ValueError(f"{name}: {what}={channels} must be divisible by groups={groups}")
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"{name}: padding_mode must be one of "
                             f"{', '.join(map(repr, _PADDING_MODES))}, got {padding_mode!r}")
        as_tuple = type(self)._as_tuple
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = as_tuple(kernel_size, "kernel_size")
        self.stride = as_tuple(stride, "stride")
        self.dilation = as_tuple(dilation, "dilation")
        if isinstance(padding, str):
            if padding not in ("valid", "same"):
                raise ValueError(f"{name}: invalid padding string {padding!r}, should be one of "
                                 "'valid', 'same'")
            if padding == "same" and any(s != 1 for s in self.stride):
                raise ValueError(f"{name}: padding='same' is not supported for strided "
                                 f"convolutions (stride {self.stride})")
            self.padding = padding
        else:
            self.padding = as_tuple(padding, "padding")
        self.groups, self.padding_mode = groups, padding_mode
        self.weight = new_parameter((out_channels, in_channels // groups) + self.kernel_size,
                                    dtype, device)
        if bias:
            self.bias = new_parameter((out_channels,), dtype, device)
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()
        set_hooks(self, *hooks)

    def reset_parameters(self):
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = (self.in_channels // self.groups) * math.prod(self.kernel_size)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def _padding_amounts(self):
        """F.pad's (left, right, top, bottom) for a padding_mode other than zeros: torch's
        _reversed_padding_repeated_twice ("same": dilation·(k − 1) split, the odd one after)."""
        amounts = []
        for i in reversed(range(self._spatial)):
            if self.padding == "same":
                total = self.dilation[i] * (self.kernel_size[i] - 1)
                amounts += [total // 2, total - total // 2]
            elif self.padding == "valid":
                amounts += [0, 0]
            else:
                amounts += [self.padding[i], self.padding[i]]
        return tuple(amounts)

    def forward(self, input):
        channel_axis = input.ndim - self._spatial - 1
        if input.ndim in (self._spatial + 1, self._spatial + 2) and \
                input.shape[channel_axis] != self.in_channels:
            raise ValueError(f"{type(self).__name__}({self.in_channels}, {self.out_channels}) "
                             f"expects {self.in_channels} input channels, got "
                             f"{input.shape[channel_axis]} (input shape {input.shape})")
        conv = type(self)._function
        if self.padding_mode == "zeros":
            return conv(input, self.weight, self.bias, self.stride, self.padding, self.dilation,
                        self.groups)
        padded = F.pad(input, self._padding_amounts(), mode=self.padding_mode)
        return conv(padded, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)

    def extra_repr(self):
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        if self.padding != (0,) * self._spatial:
            s += f", padding={self.padding}"
        if self.dilation != (1,) * self._spatial:
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class Conv2d(_ConvNd):
    """out[n, o] = b[o] + Σ_c W[o, c] ⋆ x[n, c]  (cross-correlation over the input channels of
    o's group, with stride, padding and dilation as ints or pairs), via im2col + one matmul per
    group (functional.conv2d). Input (N, C, H, W) or unbatched (C, H, W)."""

    _spatial = 2
    _as_tuple = staticmethod(_pair)
    _function = staticmethod(F.conv2d)

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True, padding_mode="zeros", device=None, dtype=None, *,
                 weight_penalty=None, bias_penalty=None, activity_penalty=None,
                 weight_constraint=None, bias_constraint=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, device, dtype,
                         (weight_penalty, bias_penalty, activity_penalty, weight_constraint,
                          bias_constraint))


class Conv1d(_ConvNd):
    """out[n, o] = b[o] + Σ_c W[o, c] ⋆ x[n, c] over one axis: input (N, C, L) or unbatched
    (C, L), weight (out, in/groups, k); conv2d over a height of 1 (functional.conv1d)."""

    _spatial = 1
    _as_tuple = staticmethod(_single)
    _function = staticmethod(F.conv1d)

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True, padding_mode="zeros", device=None, dtype=None, *,
                 weight_penalty=None, bias_penalty=None, activity_penalty=None,
                 weight_constraint=None, bias_constraint=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, device, dtype,
                         (weight_penalty, bias_penalty, activity_penalty, weight_constraint,
                          bias_constraint))
