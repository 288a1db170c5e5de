"""``mg.backends``: the flags of torch.backends that torch programs set or ask about, so that
lines such as these run unchanged:

    device = ("cuda" if mg.cuda.is_available() else "mps" if mg.backends.mps.is_available()
              else "cpu")
    mg.backends.cudnn.deterministic = True
    mg.backends.cuda.matmul.allow_tf32 = True

None of them changes what minigrad computes: it has no MPS (Apple GPU) backend and does not
use cuDNN; its kernels give the same numbers on every run and never compute in TF32. The flags
are kept so that a program may read back what it set. (This is torch.backends; the array
backends minigrad runs on are minigrad.backend.)
"""
from types import SimpleNamespace

__all__ = ["mps", "cudnn", "cuda"]


def _false():
    return False


mps = SimpleNamespace(is_available=_false, is_built=_false)
cudnn = SimpleNamespace(is_available=_false, enabled=True, benchmark=False, deterministic=False,
                        allow_tf32=True)
cuda = SimpleNamespace(is_built=_false,
                       matmul=SimpleNamespace(allow_tf32=False,
                                              allow_fp16_reduced_precision_reduction=True))
