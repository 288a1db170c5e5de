"""``mg.cuda``: torch.cuda's questions and commands that torch programs use, for minigrad's one GPU.

    device = "cuda" if mg.cuda.is_available() else "cpu"

minigrad drives at most one GPU (cuda:0), through CuPy: ``device_count()`` is 1 when CuPy sees a
GPU and 0 otherwise. minigrad has one random generator, on the host, for every device (so the
same seed gives the same numbers on the CPU and the GPU): ``manual_seed`` here seeds that one
generator, as ``mg.manual_seed`` does (torch keeps a separate generator per GPU).

Without a GPU, ``mg.cuda.simulate()`` (or ``MINIGRAD_CUDA_SIM=1`` in the environment) runs
device "cuda" on minigrad's CUDA simulator (``minigrad.cudasim``): the real kernels of
csrc/cuda/*.cu compiled for the CPU and run one block at a time, a fiber per CUDA thread —
slowly, but a kernel can be read, run, given a ``printf`` and stepped through in a debugger.
"""
from ..backend import cuda_available, cuda_unavailable_reason, get_backend, simulate
from ..random import manual_seed as _manual_seed

__all__ = ["is_available", "device_count", "current_device", "synchronize", "manual_seed",
           "manual_seed_all", "simulate"]


def is_available():
    """True when CuPy imports and sees a GPU (never raises)."""
    return cuda_available()


def device_count():
    """1 when a GPU can be used (minigrad drives one, cuda:0), else 0."""
    return 1 if cuda_available() else 0


def current_device():
    """The index of the GPU in use: 0 (a RuntimeError saying why when there is none)."""
    _require_gpu()
    return 0


def synchronize(device=None):
    """Waits until the GPU has finished the work queued so far (for timing)."""
    _require_gpu()
    get_backend("cuda").synchronize()


def manual_seed(seed):
    """Seeds minigrad's one random generator (the same as ``mg.manual_seed``)."""
    _manual_seed(seed)


manual_seed_all = manual_seed


def _require_gpu():
    reason = cuda_unavailable_reason()
    if reason is not None:
        raise RuntimeError(f"no GPU for minigrad: {reason}")
