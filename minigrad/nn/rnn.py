"""nn.RNN, nn.LSTM, nn.GRU over whole sequences, and the cells (from _rnn_cells.py), as torch.nn.

A layer runs, for each of ``num_layers`` layers and each direction (two with
``bidirectional=True``, the second reading the sequence backwards), the step of its cell over
time:

    xw = x W_ihᵀ + b_ih               for every t at once: one (T·B, I) × (I, G·H) matmul
    h_t = step(xw_t, h_{t−1})         the loop: only h W_hhᵀ and the gate math per step

The directions' outputs are joined along the features, [h_fwd_t, h_bwd_t], and feed the next
layer, through dropout (training mode only, never after the last layer, as torch). Everything
is minigrad ops, so gradients of any order and forward-mode tangents hold.

Shapes (L layers, D = 2 if bidirectional else 1, H_out = proj_size or hidden_size):

    input   (T, B, I), or (B, T, I) with batch_first, or unbatched (T, I)
    h0      (D·L, B, H_out), or (D·L, H_out) unbatched; zeros when not given (c0: H, not H_out)
    output  (T, B, D·H_out) (batch_first: (B, T, D·H_out); unbatched: (T, D·H_out))
    h_n     (D·L, B, H_out): the last step of each layer and direction (for the reverse
            direction, the state after reading t = 0), rows ordered l0, l0_reverse, l1, ...

Parameters are named and shaped exactly as torch's (``weight_ih_l{k}``, ``weight_hh_l{k}``,
``bias_ih_l{k}``, ``bias_hh_l{k}``, ``weight_hr_l{k}``, each with ``_reverse`` for the second
direction) and registered in torch's order, so a torch state_dict loads unchanged.
PackedSequence input is not supported.
"""
import numbers
import warnings

from .. import ops
from ..creation import zeros
from ..tensor import Tensor
from . import functional as F
from ._layer import new_parameter
from ._rnn_cells import (GATES, GRUCell, LSTMCell, RNNCell, check_input, check_sizes,  # noqa: F401
                         gru_step, lstm_step, reset_uniform, rnn_step)
from .module import Module

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell"]


def run_layers(step, x, states, weights, bidirectional=False, dropout=0.0, training=False):
    """The stacked, optionally bidirectional recurrence, as a function of tensors.

    x (T, B, I); states: the initial states, each (D·L, B, ·) (h, or h and c); weights[k] =
    (w_ih, w_hh, b_ih, b_hh, w_hr) for row k = layer·D + direction; step(xw_t, carry, w_hh,
    b_hh, w_hr) → the new carry ([h] or [h, c]). Returns the last layer's output
    (T, B, D·H_out) and the final states, each (D·L, B, ·)."""
    directions = 2 if bidirectional else 1
    finals = [[] for _ in states]
    for layer in range(len(weights) // directions):
        if layer > 0 and dropout > 0 and training:  # between layers, never after the last
            x = F.dropout(x, dropout, True)
        outputs = []
        for d in range(directions):
            k = layer * directions + d
            w_ih, w_hh, b_ih, b_hh, w_hr = weights[k]
            steps = ops.unbind(F.linear(x, w_ih, b_ih), 0)
            if d == 1:  # the reverse direction reads t = T−1, ..., 0
                steps = steps[::-1]
            carry = [s[k] for s in states]
            hs = []
            for xw in steps:
                carry = step(xw, carry, w_hh, b_hh, w_hr)
                hs.append(carry[0])
            if d == 1:
                hs = hs[::-1]
            outputs.append(ops.stack(hs, 0))
            for final, value in zip(finals, carry):
                final.append(value)
        x = outputs[0] if directions == 1 else ops.concatenate(outputs, -1)
    return x, [ops.stack(f, 0) for f in finals]


class RNNBase(Module):
    """What RNN, LSTM and GRU share: arguments, parameters, shapes and the loop over layers."""

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True,
                 batch_first=False, dropout=0.0, bidirectional=False, proj_size=0,
                 device=None, dtype=None):
        super().__init__()
        name = type(self).__name__
        check_sizes(name, input_size, hidden_size)
        if not isinstance(num_layers, numbers.Integral) or num_layers <= 0:
            raise ValueError(f"{name}: num_layers must be a positive int, got {num_layers!r}")
        if isinstance(dropout, bool) or not isinstance(dropout, numbers.Real) or \
                not 0 <= dropout <= 1:
            raise ValueError("dropout should be a number in range [0, 1] representing the "
                             f"probability of an element being zeroed, got {dropout!r}")
        if not isinstance(proj_size, numbers.Integral) or proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable "
                             f"projections, got {proj_size!r}")
        if proj_size >= hidden_size:
            raise ValueError(f"proj_size has to be smaller than hidden_size, got proj_size="
                             f"{proj_size}, hidden_size={hidden_size}")
        if proj_size and mode != "LSTM":
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so "
                          f"non-zero dropout expects num_layers greater than 1, but got "
                          f"dropout={dropout} and num_layers={num_layers}")
        self.mode = mode
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout = bias, batch_first, float(dropout)
        self.bidirectional, self.proj_size = bidirectional, proj_size
        directions = 2 if bidirectional else 1
        out_size = proj_size if proj_size > 0 else hidden_size
        rows = GATES[mode] * hidden_size
        self._flat_weights_names, self._all_weights = [], []
        for layer in range(num_layers):
            layer_in = input_size if layer == 0 else out_size * directions
            for d in range(directions):
                sfx = f"_l{layer}" + ("_reverse" if d == 1 else "")
                shapes = [("weight_ih", (rows, layer_in)), ("weight_hh", (rows, out_size))]
                if bias:
                    shapes += [("bias_ih", (rows,)), ("bias_hh", (rows,))]
                if proj_size > 0:
                    shapes += [("weight_hr", (proj_size, hidden_size))]
                names = []
                for kind, shape in shapes:
                    setattr(self, kind + sfx, new_parameter(shape, dtype, device))
                    names.append(kind + sfx)
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    def reset_parameters(self):
        reset_uniform(self)

    def flatten_parameters(self):
        """A no-op (torch packs the weights for cuDNN here), so ported code runs unchanged."""

    @property
    def all_weights(self):
        """The parameters as a list per layer and direction: [w_ih, w_hh, b_ih, b_hh(, w_hr)]."""
        return [[getattr(self, n) for n in names] for names in self._all_weights]

    @property
    def _flat_weights(self):
        return [getattr(self, n) for n in self._flat_weights_names]

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s

    # ---- shapes and checks ---------------------------------------------------------------
    def _sequence(self, input):
        """input as (T, B, I), and whether it was batched."""
        check_input(self, input, (2, 3), self.weight_ih_l0,
                    "input.size(-1) must be equal to input_size. Expected {want}, got {got}",
                    not_a_tensor=" (PackedSequence is not supported)")
        batched = input.ndim == 3
        if not batched:
            return input.unsqueeze(1), False
        return (input.transpose(0, 1) if self.batch_first else input), True

    def _state(self, hx, x, batched, size, what):
        """An initial state as (D·L, B, size), zeros when None, checked as torch checks it."""
        name = type(self).__name__
        want = ((2 if self.bidirectional else 1) * self.num_layers, x.shape[1], size)
        if hx is None:
            return zeros(*want, dtype=x.dtype, device=x.device)
        if not isinstance(hx, Tensor):
            raise TypeError(f"{name}: {what} must be a Tensor, got {type(hx).__name__}")
        if hx.ndim != (3 if batched else 2):
            kind = "batched 3-D" if batched else "unbatched 2-D"
            raise ValueError(f"{name}: For {kind} input, {what} should also be "
                             f"{3 if batched else 2}-D but got {hx.ndim}-D (shape "
                             f"{tuple(hx.shape)})")
        hx = hx if batched else hx.unsqueeze(1)
        if tuple(hx.shape) != want:
            shown = want if batched else (want[0], want[2])
            got = tuple(hx.shape) if batched else (hx.shape[0], hx.shape[2])
            raise ValueError(f"{name}: Expected {what} size {shown}, got {got}")
        if hx.dtype != x.dtype:
            raise TypeError(f"{name}: {what} dtype {hx.dtype} but input {x.dtype}")
        return hx

    # ---- the loop ------------------------------------------------------------------------
    def layer_weights(self):
        """(w_ih, w_hh, b_ih, b_hh, w_hr) per layer and direction (None where absent), in the
        order of h_n's rows: l0, l0_reverse, l1, ..."""
        out = []
        for names in self._all_weights:
            w = dict((n.split("_l")[0], getattr(self, n)) for n in names)
            out.append(tuple(w.get(kind) for kind in
                             ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr")))
        return out

    def _step(self, xw, carry, w_hh, b_hh, w_hr):
        raise NotImplementedError

    def _forward(self, input, hx_list, sizes, whats):
        x, batched = self._sequence(input)
        states = [self._state(h, x, batched, size, what)
                  for h, size, what in zip(hx_list, sizes, whats)]
        if x.shape[0] == 0:
            raise ValueError(f"{type(self).__name__}: the input sequence is empty "
                             f"(input shape {tuple(input.shape)})")
        out, finals = run_layers(self._step, x, states, self.layer_weights(), self.bidirectional,
                                 self.dropout, self.training)
        if not batched:
            return out.squeeze(1), [f.squeeze(1) for f in finals]
        return (out.transpose(0, 1) if self.batch_first else out), finals


class RNN(RNNBase):
    """Elman RNN, as torch.nn.RNN: h_t = tanh(x_t W_ihᵀ + b_ih + h_{t−1} W_hhᵀ + b_hh)
    (``nonlinearity="relu"``: relu). ``forward(input, hx=None)`` → (output, h_n)."""

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True,
                 batch_first=False, dropout=0.0, bidirectional=False, device=None, dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or "
                             "'relu'.")
        self.nonlinearity = nonlinearity
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size,
                         hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         device=device, dtype=dtype)

    def _step(self, xw, carry, w_hh, b_hh, w_hr):
        return [rnn_step(xw, carry[0], w_hh, b_hh, self.nonlinearity)]

    def forward(self, input, hx=None):
        out, (h_n,) = self._forward(input, [hx], [self.hidden_size], ["hidden"])
        return out, h_n

    def extra_repr(self):
        s = super().extra_repr()
        return s if self.nonlinearity == "tanh" else s + f", nonlinearity={self.nonlinearity}"


class LSTM(RNNBase):
    """LSTM, as torch.nn.LSTM (gates i, f, g, o; with ``proj_size`` > 0, h_t = W_hr (o ⊙
    tanh(c_t)), torch's LSTMP). ``forward(input, (h0, c0)=None)`` → (output, (h_n, c_n))."""

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, proj_size, device, dtype)

    def _step(self, xw, carry, w_hh, b_hh, w_hr):
        return list(lstm_step(xw, carry[0], carry[1], w_hh, b_hh, w_hr))

    def forward(self, input, hx=None):
        if hx is None:
            hx = (None, None)
        elif not isinstance(hx, (tuple, list)) or len(hx) != 2:
            raise TypeError(f"LSTM: hx must be a tuple (h_0, c_0), got {type(hx).__name__}")
        out_size = self.proj_size if self.proj_size > 0 else self.hidden_size
        out, (h_n, c_n) = self._forward(input, list(hx), [out_size, self.hidden_size],
                                        ["hidden[0]", "hidden[1]"])
        return out, (h_n, c_n)


class GRU(RNNBase):
    """GRU, as torch.nn.GRU (gates r, z, n; n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))).
    ``forward(input, hx=None)`` → (output, h_n)."""

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, device=None, dtype=None):
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, device=device, dtype=dtype)

    def _step(self, xw, carry, w_hh, b_hh, w_hr):
        return [gru_step(xw, carry[0], w_hh, b_hh)]

    def forward(self, input, hx=None):
        out, (h_n,) = self._forward(input, [hx], [self.hidden_size], ["hidden"])
        return out, h_n
