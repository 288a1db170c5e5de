"""Array backends, one object per device, sharing one flat kernel contract (``reference.py``).

``get_backend(device)`` returns the device's backend object (built once, then cached):

  * ``"cpu"``:  ``cpu.CpuBackend`` — numpy arrays and the Cython kernels compiled from
    csrc/cpu/*.pyx into ``minigrad._C``; or, with ``MINIGRAD_PURE_NUMPY=1``,
    ``cpu.ReferenceBackend`` — numpy arrays and the plain numpy kernels of ``reference.py``;
  * ``"cuda"``: ``cuda.CudaBackend`` — CuPy arrays and the kernels of csrc/cuda/*.cu (CuPy is
    imported only when a CUDA tensor is asked for).

Every backend object has ``name`` ("cpu" or "cuda"), ``xp`` (the array module), ``to_numpy``,
``asarray``, ``synchronize``, and one method per kernel of the contract, written out by name:
``backend.relu_forward(x, out)``, ``backend.adam_step(param, grad, ..., spec)``. Before a
kernel runs, each method checks its arguments with the checks of ``_checks.py`` (written once
for all backends), so a bad call raises the same TypeError or ValueError on every device.

Two array helpers used across the package live in arrays.py, re-exported here: ``array_module``
(numpy or cupy for this array) and ``contiguous`` (the array, or a C-contiguous copy of it).
"""
import os

from .arrays import array_module, contiguous  # noqa: F401  (re-exported)

from .. import devices as _devices
from ..devices import DEVICE_TYPES as DEVICES, parse_device  # noqa: F401

# the spellings met on every tensor creation, looked up without parsing (a device object,
# being a str equal to its type, is found here too)
_NAMES = {"cpu": "cpu", "cuda": "cuda", "cuda:0": "cuda", "cpu:0": "cpu", "gpu": "cuda"}


def normalize_device(device):
    """The backend name, "cpu" or "cuda", of a device written as torch writes it ("cpu", "cuda",
    "cuda:0", ``mg.device(...)``, 0) or of None, which means the default device
    (``mg.set_default_device``); anything else is a ValueError (TypeError for a non-string)."""
    if device is None:
        return _devices._default_device
    try:
        return _NAMES[device]
    except (KeyError, TypeError):
        return parse_device(device)[0]


def _build(name):
    """The backend object of device ``name`` ('cpu' or 'cuda'): where the choice is made."""
    if name == "cpu":
        from . import cpu
        if cpu.COMPILED:
            return cpu.CpuBackend()
        # MINIGRAD_PURE_NUMPY=1: the numpy reference kernels run on the CPU instead of the
        # compiled ones (which are then not even imported; see cpu.py).
        return cpu.ReferenceBackend()
    _simulate_if_asked()
    from . import cuda  # raises a RuntimeError that says why CuPy/GPU is missing
    return cuda.CudaBackend()


_backends = {}   # 'cpu' / 'cuda' -> backend object
_cache = {}      # any spelling of a device ('cuda:0', ...) -> backend object


def get_backend(device):
    """The backend object of ``device`` (cached: this is on every operation's path)."""
    try:
        return _cache[device]
    except (KeyError, TypeError):
        pass
    name = normalize_device(device)
    backend = _backends.get(name)
    if backend is None:
        backend = _backends[name] = _build(name)
    if isinstance(device, str):
        _cache[device] = backend
    return backend


def cuda_available():
    """True when CuPy imports and sees at least one GPU (never raises)."""
    try:
        _simulate_if_asked()
        from . import cuda  # noqa: F401
        return True
    except Exception:
        return False


def cuda_unavailable_reason():
    """Why device='cuda' cannot be used here, or None when it can."""
    try:
        _simulate_if_asked()
        from . import cuda  # noqa: F401
        return None
    except Exception as exc:  # the message names the missing piece
        return str(exc)


def available_devices():
    return ["cpu"] + (["cuda"] if cuda_available() else [])


def simulate():
    """Runs device "cuda" on the CUDA simulator (``minigrad.cudasim``) from now on: installs the
    CuPy stand-in as ``cupy``, so that cuda.py's kernels are compiled for the CPU and run
    thread by thread. Must come before the first cuda tensor (a RuntimeError otherwise)."""
    from ..cudasim import cupy_standin
    if cupy_standin.installed():
        return
    if "cuda" in _backends:
        raise RuntimeError("mg.cuda.simulate() must be called before the first cuda tensor "
                           "(the real CuPy backend is already in use)")
    cupy_standin.install()


def _simulate_if_asked():
    """MINIGRAD_CUDA_SIM=1 asks for the simulator: installed at the first question about cuda
    (importing minigrad installs nothing)."""
    if os.environ.get("MINIGRAD_CUDA_SIM", "") not in ("", "0"):
        simulate()
