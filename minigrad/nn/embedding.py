"""Embedding, as torch.nn.Embedding: weight (num_embeddings, embedding_dim) from N(0, 1),
the padding_idx row zero and never updated."""
from . import functional as F
from . import init
from ._layer import new_parameter, set_hooks
from .module import Module


class Embedding(Module):
    """y = weight[indices]"""

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None, device=None, dtype=None,
                 *, weight_penalty=None, activity_penalty=None, weight_constraint=None):
        super().__init__()
        if padding_idx is not None:
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise ValueError(f"Embedding: padding_idx {padding_idx} is out of range for "
                                 f"{num_embeddings} embeddings")
            padding_idx = padding_idx % num_embeddings
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.padding_idx = padding_idx
        self.weight = new_parameter((num_embeddings, embedding_dim), dtype, device)
        self.reset_parameters()
        set_hooks(self, weight_penalty, None, activity_penalty, weight_constraint, None)

    def reset_parameters(self):
        init.normal_(self.weight)
        if self.padding_idx is not None:
            self.weight.array[self.padding_idx] = 0

    def forward(self, input):
        return F.embedding(input, self.weight, self.padding_idx)

    def extra_repr(self):
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        return s if self.padding_idx is None else s + f", padding_idx={self.padding_idx}"
