"""The recurrent cells: one time step of an Elman RNN, an LSTM and a GRU, as functions of tensors
and as the modules nn.RNNCell, nn.LSTMCell and nn.GRUCell (the layers over whole sequences are
in rnn.py and call the same step functions).

Every step is Linear-style matmuls, sigmoid/tanh/relu and chunking of the gate vector, so
gradients of any order, and forward-mode tangents, come from the ops. With x (B, I), h (B, H),
W_ih (G·H, I), W_hh (G·H, H) and biases (G·H,) (G = 1, 4 or 3 gates):

    RNN   h' = tanh(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh)           (or relu)

    LSTM  [i, f, g, o] = x W_ihᵀ + b_ih + h W_hhᵀ + b_hh          (torch's gate order i, f, g, o)
          i, f, o = σ(i), σ(f), σ(o);  g = tanh(g)
          c' = f ⊙ c + i ⊙ g
          h' = o ⊙ tanh(c')          (with a projection, proj_size > 0: h' = W_hr (o ⊙ tanh(c')))

    GRU   [r_i, z_i, n_i] = x W_ihᵀ + b_ih;  [r_h, z_h, n_h] = h W_hhᵀ + b_hh   (order r, z, n)
          r = σ(r_i + r_h);  z = σ(z_i + z_h)
          n = tanh(n_i + r ⊙ n_h)     (torch's form: the reset gate multiplies W_hn h + b_hn)
          h' = (1 − z) ⊙ n + z ⊙ h  =  n + z ⊙ (h − n)

Each step takes the input's projection ``x W_ihᵀ + b_ih`` already computed (``xw``): the layers
compute it for all time steps in one matmul, as cuDNN does, and only h W_hhᵀ stays in the loop.

The LSTM's gate math has a fused CPU kernel twin (csrc/cpu/rnn.pyx), used only when no graph is
recorded (inference, no_grad): one pass instead of ~10 allocating ops. On the ops version's
B=32, H=256 step: float32 ~170 vs ~270 µs, float64 about even (2 loaded cores; the kernel's exp
and tanh are glibc's SSE ones, numpy's own are faster). CUDA runs the ops version.
"""
import math
import numbers

import numpy as np

from ..autograd.grad_mode import _forward, is_grad_enabled
from ..backend import contiguous
from ..creation import zeros
from ..tensor import Tensor
from . import functional as F
from . import init
from ._layer import new_parameter
from .module import Module

GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def check_input(module, input, ndims, weight, size_message, not_a_tensor=""):
    """torch's checks of a recurrent module's input: a Tensor with one of ``ndims`` dimensions
    (unbatched or batched), last dimension ``module.input_size`` (else ``size_message``, a format
    string of ``got`` and ``want``), the parameters' dtype."""
    name = type(module).__name__
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}: input must be a Tensor, got {type(input).__name__}"
                        + not_a_tensor)
    if input.ndim not in ndims:
        raise ValueError(f"{name}: Expected input to be {ndims[0]}D or {ndims[1]}D, got "
                         f"{input.ndim}D instead (input shape {tuple(input.shape)})")
    if input.shape[-1] != module.input_size:
        message = size_message.format(got=input.shape[-1], want=module.input_size)
        raise ValueError(f"{name}: {message} (input shape {tuple(input.shape)})")
    if input.dtype != weight.dtype:
        raise TypeError(f"{name}: input dtype {input.dtype} but parameters {weight.dtype}: "
                        "convert one with .float() or .double()")


# ---- one time step -----------------------------------------------------------------------------

def rnn_step(xw, h, w_hh, b_hh=None, nonlinearity="tanh"):
    """h' = act(xw + h W_hhᵀ + b_hh), xw = x W_ihᵀ + b_ih."""
    pre = xw + F.linear(h, w_hh, b_hh)
    return pre.tanh() if nonlinearity == "tanh" else pre.relu()


def lstm_pointwise(gates, c):
    """The LSTM's gate math after the matmuls: gates (B, 4H) = [i, f, g, o] pre-activations,
    c (B, H) → (o ⊙ tanh(c'), c') with c' = σ(f) ⊙ c + σ(i) ⊙ tanh(g).

    Written with ops (``lstm_pointwise_ops``) whenever a graph is recorded, so every order of
    derivative and forward mode works; when none is (inference, no_grad), it runs as one fused
    kernel of the device's backend (``lstm_pointwise_fused``: csrc/cpu/rnn.pyx, csrc/cuda/rnn.cu,
    or the numpy reference with MINIGRAD_PURE_NUMPY=1)."""
    if _fused_kernel_applies(gates, c):
        return lstm_pointwise_fused(gates, c)
    return lstm_pointwise_ops(gates, c)


def lstm_pointwise_ops(gates, c):
    """The readable version: chunk, σ, tanh, ⊙ and + as minigrad ops."""
    i, f, g, o = gates.chunk(4, dim=-1)
    c = f.sigmoid() * c + i.sigmoid() * g.tanh()
    return o.sigmoid() * c.tanh(), c


def lstm_pointwise_fused(gates, c):
    """The same values from one pass of the backend's ``lstm_pointwise_forward`` kernel (no
    graph: plain tensors)."""
    g_arr, c_arr = contiguous(gates.array), contiguous(c.array)
    xp = gates.backend.xp
    h_out, c_out = xp.empty_like(c_arr), xp.empty_like(c_arr)
    gates.backend.lstm_pointwise_forward(g_arr, c_arr, h_out, c_out)
    return Tensor._wrap(h_out, gates._device), Tensor._wrap(c_out, gates._device)


def _fused_kernel_applies(gates, c):
    """No reverse graph (grad mode off, or nothing requires grad), no forward-mode level open,
    both on one device in float32/float64."""
    if _forward.level is not None:
        return False
    if is_grad_enabled() and (gates.requires_grad or c.requires_grad):
        return False
    return (gates.device == c.device and gates.dtype == c.dtype
            and gates.dtype in (np.float32, np.float64) and gates.ndim == 2)


def lstm_step(xw, h, c, w_hh, b_hh=None, w_hr=None):
    """(h', c') of one LSTM step; xw = x W_ihᵀ + b_ih, h (B, H or proj_size), c (B, H)."""
    h, c = lstm_pointwise(xw + F.linear(h, w_hh, b_hh), c)
    return (h if w_hr is None else F.linear(h, w_hr)), c


def gru_step(xw, h, w_hh, b_hh=None):
    """h' of one GRU step (torch's form, r applied to W_hn h + b_hn); xw = x W_ihᵀ + b_ih."""
    r_i, z_i, n_i = xw.chunk(3, dim=-1)
    r_h, z_h, n_h = F.linear(h, w_hh, b_hh).chunk(3, dim=-1)
    r = (r_i + r_h).sigmoid()
    z = (z_i + z_h).sigmoid()
    n = (n_i + r * n_h).tanh()
    return n + z * (h - n)


# ---- the cell modules ----------------------------------------------------------------------------

def check_sizes(owner, input_size, hidden_size):
    for name, v in (("input_size", input_size), ("hidden_size", hidden_size)):
        if not isinstance(v, numbers.Integral) or isinstance(v, bool) or v < 0:
            raise ValueError(f"{owner}: {name} must be a non-negative int, got {v!r}")
    if hidden_size == 0:
        raise ValueError(f"{owner}: hidden_size must be greater than zero")


def reset_uniform(module):
    """Every parameter from U(−1/√hidden_size, 1/√hidden_size), as torch's RNNs and cells."""
    bound = 1.0 / math.sqrt(module.hidden_size) if module.hidden_size > 0 else 0.0
    for p in module.parameters():
        init.uniform_(p, -bound, bound)


class _CellBase(Module):
    """weight_ih (G·H, I), weight_hh (G·H, H), bias_ih and bias_hh (G·H,), as torch."""

    mode = None  # "RNN_TANH", "LSTM", "GRU"

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__()
        check_sizes(type(self).__name__, input_size, hidden_size)
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        rows = GATES[self.mode] * hidden_size
        self.weight_ih = new_parameter((rows, input_size), dtype, device)
        self.weight_hh = new_parameter((rows, hidden_size), dtype, device)
        if bias:
            self.bias_ih = new_parameter((rows,), dtype, device)
            self.bias_hh = new_parameter((rows,), dtype, device)
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self):
        reset_uniform(self)

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            s += ", bias=False"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s

    def _input(self, input):
        """input as (B, I), and whether it came unbatched (I,)."""
        check_input(self, input, (1, 2), self.weight_ih,
                    "input has inconsistent input_size: got {got} expected {want}")
        batched = input.ndim == 2
        return (input if batched else input.unsqueeze(0)), batched

    def _state(self, hx, x, batched, what="hx"):
        """hx as (B, H) (zeros when None), checked against the input's batch."""
        name = type(self).__name__
        want = (x.shape[0], self.hidden_size)
        if hx is None:
            return zeros(*want, dtype=x.dtype, device=x.device)
        if not isinstance(hx, Tensor):
            raise TypeError(f"{name}: {what} must be a Tensor, got {type(hx).__name__}")
        if hx.ndim != (2 if batched else 1):
            raise ValueError(f"{name}: Expected {what} to be {2 if batched else 1}D for "
                             f"{'batched 2-D' if batched else 'unbatched 1-D'} input, got "
                             f"{hx.ndim}D (shape {tuple(hx.shape)})")
        hx = hx if batched else hx.unsqueeze(0)
        if tuple(hx.shape) != want:
            raise ValueError(f"{name}: Expected {what} size {want}, got {tuple(hx.shape)} "
                             f"(input shape {tuple(x.shape)})")
        return hx

    def _xw(self, x):
        return F.linear(x, self.weight_ih, self.bias_ih)


class RNNCell(_CellBase):
    """h' = tanh(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh) (or relu), as torch.nn.RNNCell.
    input (B, I) or (I,); hx (B, H) or (H,), zeros when None; returns h'."""

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None,
                 dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity: {nonlinearity!r} (use 'tanh' or 'relu')")
        self.mode = "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU"
        super().__init__(input_size, hidden_size, bias, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        x, batched = self._input(input)
        h = rnn_step(self._xw(x), self._state(hx, x, batched), self.weight_hh, self.bias_hh,
                     self.nonlinearity)
        return h if batched else h.squeeze(0)


class LSTMCell(_CellBase):
    """One LSTM step (gates i, f, g, o), as torch.nn.LSTMCell. input (B, I) or (I,);
    hx = (h, c), each (B, H) or (H,), zeros when None; returns (h', c')."""

    mode = "LSTM"

    def forward(self, input, hx=None):
        x, batched = self._input(input)
        if hx is None:
            h = c = self._state(None, x, batched)
        else:
            if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                raise TypeError(f"LSTMCell: hx must be a tuple (h, c), got "
                                f"{type(hx).__name__}")
            h, c = self._state(hx[0], x, batched, "hx[0]"), self._state(hx[1], x, batched, "hx[1]")
        h, c = lstm_step(self._xw(x), h, c, self.weight_hh, self.bias_hh)
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(_CellBase):
    """One GRU step (gates r, z, n; n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))), as
    torch.nn.GRUCell. input (B, I) or (I,); hx (B, H) or (H,), zeros when None; returns h'."""

    mode = "GRU"

    def forward(self, input, hx=None):
        x, batched = self._input(input)
        h = gru_step(self._xw(x), self._state(hx, x, batched), self.weight_hh, self.bias_hh)
        return h if batched else h.squeeze(0)
