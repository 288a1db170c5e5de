"""``minigrad.nn.modules.module``, as torch's: Module and the global module hooks (which live in
minigrad/nn/_module_hooks.py; this file only gives them torch's import path)."""
from .._module_hooks import (register_module_forward_hook,  # noqa: F401
                             register_module_forward_pre_hook,
                             register_module_full_backward_hook,
                             register_module_full_backward_pre_hook)
from ..module import Module, Parameter  # noqa: F401
