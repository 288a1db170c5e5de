"""The flags and numbers of one fused optimizer update, one spec per rule.

A fused update kernel (``backend.adam_step(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq,
spec)``) takes its arrays one by one and everything else in ONE spec: the numbers of this step
(learning rate, bias corrections, ...) and the flags that switch the stages of the rule on and
off. Each optimizer builds its spec in one place, from its param group and state
(``minigrad/optim/adam.py: adam_spec``), naming the stage of ``minigrad/optim/stages.py``
that each field stands for:

    maximize               the signed_grad stage: g = −grad instead of grad
    coupled_weight_decay   the l2 stage: g ← g + λ·w before any buffer (0: off)
    decoupled_decay        the decoupled_decay stage: step ← step − (s·λ)·w (0: off)

The reference and CPU kernels read the fields by name. A CUDA kernel takes C arguments in an
order, which is the field order here (``cuda.py`` passes ``*spec``; csrc/cuda/optim.cu lists
the same names in the same order). Adding a flag to a rule is: its stage, its field here, and
the two kernels (csrc/cpu/optim.pyx, csrc/cuda/optim.cu).

Floats are Python floats (a kernel rounds them to the arrays' dtype where numpy would), flags
are bools. Specs are NamedTuples: immutable, named, ordered, and cheap to build on every step.
"""
from typing import NamedTuple


class SgdSpec(NamedTuple):
    """torch.optim.SGD: w ← w − lr·d, d from the momentum buffer."""
    lr: float
    coupled_weight_decay: float
    momentum: float
    dampening: float
    nesterov: bool
    maximize: bool
    first_step: bool        # the momentum buffer starts as g (no dampening), as torch


class AdamSpec(NamedTuple):
    """torch.optim.Adam / AdamW at step t."""
    step_size: float               # lr / (1 − β₁ᵗ)
    bias_correction2_sqrt: float   # √(1 − β₂ᵗ)
    beta1: float
    beta2: float
    eps: float
    coupled_weight_decay: float    # λ (Adam's weight_decay), 0 when decoupled
    decoupled_decay: float         # s·λ (AdamW's), 0 when coupled
    amsgrad: bool
    maximize: bool


class RmspropSpec(NamedTuple):
    """torch.optim.RMSprop."""
    lr: float
    alpha: float
    eps: float
    coupled_weight_decay: float
    momentum: float
    centered: bool
    maximize: bool


class AdagradSpec(NamedTuple):
    """torch.optim.Adagrad at step t."""
    clr: float                     # lr / (1 + (t − 1)·lr_decay)
    eps: float
    coupled_weight_decay: float
    maximize: bool
