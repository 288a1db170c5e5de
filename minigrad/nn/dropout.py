"""Dropout, as torch.nn.Dropout: inverted dropout in training, the identity in eval."""
import numbers

from . import functional as F
from .module import Module


class Dropout(Module):
    """y = x·mask/(1 − p), mask ~ Bernoulli(1 − p), in training; y = x in eval."""

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        if not isinstance(p, numbers.Real) or not 0 <= p <= 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p

    def forward(self, input):
        return F.dropout(input, self.p, self.training)

    def extra_repr(self):
        return f"p={self.p}"
