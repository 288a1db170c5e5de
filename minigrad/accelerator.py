"""``mg.accelerator``: torch 2.x's device-neutral questions, answered for minigrad's one GPU.

    device = mg.accelerator.current_accelerator() or mg.device("cpu")   # torch's idiom
    device = mg.accelerator.current_accelerator().type if mg.accelerator.is_available() else "cpu"

The only accelerator minigrad knows is CUDA (through CuPy).
"""
from . import cuda as _cuda
from .devices import device as _device

__all__ = ["is_available", "current_accelerator", "device_count", "current_device_index",
           "synchronize"]


def is_available():
    """True when a GPU can be used."""
    return _cuda.is_available()


def current_accelerator(check_available=False):
    """``device(type='cuda')`` when minigrad can use a GPU, else None (as torch on a machine
    without an accelerator)."""
    return _device("cuda") if _cuda.is_available() else None


def device_count():
    return _cuda.device_count()


def current_device_index():
    """0, the GPU in use (a RuntimeError saying why when there is none)."""
    return _cuda.current_device()


def synchronize(device=None):
    """Waits until the GPU has finished the work queued so far."""
    _cuda.synchronize()
