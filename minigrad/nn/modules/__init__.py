"""``minigrad.nn.modules``: torch's spelling of the path to Module and the global module hooks
(``mg.nn.modules.module.register_module_forward_hook``). The classes live in minigrad/nn/."""
from . import module  # noqa: F401
