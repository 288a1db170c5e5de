"""Automatic differentiation, reverse and forward mode, by idea:

    grad_mode.py   no_grad, enable_grad, set_grad_enabled, is_grad_enabled (per thread); the
                   open forward-mode level
    function.py    Function (forward + backward + jvp of one operation) and its ctx, the graph
                   node; once_differentiable
    engine.py      the backward pass: topological order, accumulation into .grad, grad(),
                   backward(), zero_grad()
    variable.py    Variable, torch's deprecated wrapper (it returns a Tensor)
    forward_ad.py  forward mode: dual_level, make_dual, unpack_dual (tangents pushed by apply)
    functional.py  vjp jvp jacobian hessian vhp hvp of whole functions
    hooks.py       tensor hooks, run by the engine
    draw.py        the recorded graph, drawn
    check_graph.py the per-node gradient debugger

A ``Function`` records, for each output, the ctx of the call that made it; ``backward`` /
``grad`` walk that graph once in reverse topological order, summing the gradients that reach
each tensor from all its uses. The Functions themselves live in ``minigrad/ops/``.
``gradcheck`` and ``gradgradcheck`` (minigrad/gradcheck.py) are importable from here, as
from torch.autograd.
"""
from .engine import backward, grad, run_backward, zero_grad
from .function import Context, Function, NonDifferentiableBackwardError, once_differentiable
from .grad_mode import (backward_is_differentiated, enable_grad, is_grad_enabled, no_grad,
                        set_grad_enabled)
from .variable import Variable
from ..gradcheck import GradcheckError, gradcheck, gradgradcheck  # noqa: E402  (uses this package)

__all__ = [
    "Function", "Context", "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled",
    "grad", "backward", "run_backward", "zero_grad", "NonDifferentiableBackwardError",
    "once_differentiable", "Variable", "gradcheck", "gradgradcheck", "GradcheckError",
]
# issue 13 (functional): vjp, jvp, jacobian, hessian, vhp, hvp of whole functions
from . import functional  # noqa: E402,F401

# issue 13 (graph): the drawn graph and the per-node gradient debugger
from .check_graph import (GraphCheckReport, NodeCheck, check_graph,  # noqa: E402
                          is_detect_creation_site_enabled, record_creation_sites,
                          set_detect_creation_site)
from .draw import draw  # noqa: E402

# forward mode: dual tensors and each op's jvp rule
from . import forward_ad  # noqa: E402,F401

__all__ += ["draw", "check_graph", "GraphCheckReport", "NodeCheck", "record_creation_sites",
            "set_detect_creation_site", "is_detect_creation_site_enabled"]
