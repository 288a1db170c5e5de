"""Array backends, one per device, sharing one flat kernel contract (see ``reference.py``).

``get_backend("cpu")`` is the module ``minigrad.backend.cpu`` (numpy + the compiled Cython
kernels in ``minigrad._C``); ``get_backend("cuda")`` is ``minigrad.backend.cuda`` (CuPy + the
kernels in csrc/cuda/*.cu). Both expose ``name``, ``xp`` (the array module) and every kernel
named in ``reference.KERNELS`` with the reference's signature. CuPy is imported only when a
CUDA tensor is asked for.
"""

DEVICES = ("cpu", "cuda")


def array_module(a):
    """numpy for a numpy array, cupy for a cupy array (cupy is imported only in that case)."""
    import numpy
    if isinstance(a, numpy.ndarray):
        return numpy
    import cupy
    return cupy


def normalize_device(device):
    """'cpu' | 'cuda' | 'cuda:0' | None -> 'cpu' or 'cuda'; anything else is a ValueError."""
    if device is None:
        return "cpu"
    if not isinstance(device, str):
        device = getattr(device, "type", device)  # accept objects with a .type, like torch.device
    if isinstance(device, str):
        d = device.strip().lower()
        if d == "cpu":
            return "cpu"
        if d == "cuda" or d == "cuda:0" or d == "gpu":
            return "cuda"
    raise ValueError(f"unknown device {device!r}: expected 'cpu' or 'cuda'")


_cache = {}


def get_backend(device):
    """The backend module of ``device`` (cached: this is on every operation's path)."""
    try:
        return _cache[device]
    except (KeyError, TypeError):
        pass
    name = normalize_device(device)
    if name == "cpu":
        from . import cpu as module
    else:
        from . import cuda as module  # raises a RuntimeError that says why CuPy/GPU is missing
    if isinstance(device, str):
        _cache[device] = module
    return module


def cuda_available():
    """True when CuPy imports and sees at least one GPU (never raises)."""
    try:
        from . import cuda  # noqa: F401
        return True
    except Exception:
        return False


def cuda_unavailable_reason():
    """Why device='cuda' cannot be used here, or None when it can."""
    try:
        from . import cuda  # noqa: F401
        return None
    except Exception as exc:  # the message names the missing piece
        return str(exc)


def available_devices():
    return ["cpu"] + (["cuda"] if cuda_available() else [])
