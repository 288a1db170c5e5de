"""minigrad.nn: modules, layers, functional ops, losses and initialisers, as torch.nn.

    module.py         Module, Parameter, Identity, Flatten
    container.py      Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict
    linear.py conv.py pooling.py normalization.py dropout.py embedding.py activation.py
    rnn.py            RNN, LSTM, GRU (the loop over layers and directions); _rnn_cells.py: one
                      step of RNNCell, LSTMCell, GRUCell
    attention.py      MultiheadAttention (scaled_dot_product_attention: _attention_functions.py)
    transformer.py    TransformerEncoder/DecoderLayer, TransformerEncoder/Decoder, Transformer
    loss.py           the loss modules (formulas in functional.py)
    functional.py     everything as functions (``import minigrad.nn.functional as F``)
    init.py           initialisers (uniform, normal, trunc_normal, xavier, kaiming, orthogonal, ...)
    utils/            clip_grad_norm_, clip_grad_value_, parameters_to_vector, vector_to_parameters
"""
from . import functional, init, utils  # noqa: F401
from .activation import (ELU, GELU, LeakyReLU, LogSoftmax, Mish, ReLU, Sigmoid, SiLU, Softmax,
                         Softplus, Tanh)
from .attention import MultiheadAttention
from .container import ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential
from .conv import Conv1d, Conv2d
from .dropout import Dropout
from .embedding import Embedding
from .linear import Linear
from .loss import (BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, InfoNCELoss,
                   KLDivLoss, L1Loss, MSELoss, MultiMarginLoss, NLLLoss, SmoothL1Loss)
from .module import Flatten, Identity, Module, Parameter
from .normalization import BatchNorm1d, BatchNorm2d, LayerNorm
from .pooling import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d
from .rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNBase, RNNCell
from .transformer import (Transformer, TransformerDecoder, TransformerDecoderLayer,
                          TransformerEncoder, TransformerEncoderLayer)

__all__ = [
    "Module", "Parameter", "Sequential", "ModuleList", "ModuleDict", "ParameterList",
    "ParameterDict", "Identity", "Flatten", "Linear",
    "Conv2d", "MaxPool2d", "AvgPool2d", "BatchNorm1d", "BatchNorm2d", "LayerNorm", "Dropout",
    "Embedding", "ReLU", "LeakyReLU", "Tanh", "Sigmoid", "GELU", "Softplus", "ELU", "Softmax",
    "LogSoftmax", "CrossEntropyLoss", "NLLLoss", "MSELoss", "L1Loss", "HuberLoss",
    "SmoothL1Loss", "BCELoss", "BCEWithLogitsLoss", "MultiMarginLoss", "KLDivLoss",
    "InfoNCELoss", "functional", "init", "utils",
    "Conv1d", "AdaptiveAvgPool2d", "SiLU", "Mish",
    "RNNBase", "RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell",
    "MultiheadAttention", "Transformer", "TransformerEncoder", "TransformerDecoder",
    "TransformerEncoderLayer", "TransformerDecoderLayer",
]

# issue 17 (distributed): mg.nn.parallel.DistributedDataParallel, as torch.nn.parallel
from . import parallel  # noqa: F401,E402
