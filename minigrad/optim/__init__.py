"""Optimizers with torch.optim's arguments and update equations, every term named and traceable.

    opt = mg.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-2)
    with mg.optim.trace(opt) as tr:
        opt.step()
    tr[w]["decoupled_decay"]
"""
from . import lr_scheduler
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam, Adamax, AdamW, NAdam, RAdam
from .asgd import ASGD
from .clip_grad import clip_grad_norm_, clip_grad_value_
from .lamb import LAMB
from .lion import Lion
from .optimizer import Optimizer, required
from .param_groups import param_groups_no_decay
from .proximal import FISTA, ProxSGD
from .rmsprop import RMSprop
from .rprop import Rprop
from .sgd import SGD, SGDW
from .trace import Trace, trace

# issue 14 (lbfgs)
from .lbfgs import LBFGS  # noqa: E402
