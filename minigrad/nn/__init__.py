"""minigrad.nn: modules, layers, functional ops, losses and initialisers, as torch.nn.

    module.py         Module, Parameter, Sequential, ModuleList, Identity, Flatten
    linear.py conv.py pooling.py normalization.py dropout.py embedding.py activation.py
    loss.py           the loss modules (formulas in functional.py)
    functional.py     everything as functions (``import minigrad.nn.functional as F``)
    init.py           xavier / kaiming / normal / zeros / ones initialisers
"""
from . import functional, init  # noqa: F401
from .activation import ELU, GELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Softplus, Tanh
from .conv import Conv2d
from .dropout import Dropout
from .embedding import Embedding
from .linear import Linear
from .loss import (BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, InfoNCELoss,
                   KLDivLoss, L1Loss, MSELoss, MultiMarginLoss, NLLLoss, SmoothL1Loss)
from .module import Flatten, Identity, Module, ModuleList, Parameter, Sequential
from .normalization import BatchNorm1d, BatchNorm2d, LayerNorm
from .pooling import AvgPool2d, MaxPool2d

__all__ = [
    "Module", "Parameter", "Sequential", "ModuleList", "Identity", "Flatten", "Linear",
    "Conv2d", "MaxPool2d", "AvgPool2d", "BatchNorm1d", "BatchNorm2d", "LayerNorm", "Dropout",
    "Embedding", "ReLU", "LeakyReLU", "Tanh", "Sigmoid", "GELU", "Softplus", "ELU", "Softmax",
    "LogSoftmax", "CrossEntropyLoss", "NLLLoss", "MSELoss", "L1Loss", "HuberLoss",
    "SmoothL1Loss", "BCELoss", "BCEWithLogitsLoss", "MultiMarginLoss", "KLDivLoss",
    "InfoNCELoss", "functional", "init",
]

# issue 12 (func): the new layers (the lead may fold them into the imports and __all__ above)
from .activation import Mish, SiLU  # noqa: E402
from .conv import Conv1d  # noqa: E402
from .pooling import AdaptiveAvgPool2d  # noqa: E402

__all__ += ["Conv1d", "AdaptiveAvgPool2d", "SiLU", "Mish"]
