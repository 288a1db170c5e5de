"""Modules, kernels, launches: the Python half of the simulator.

A launch argument is checked the way CuPy 14 passes it to the GPU, where a mismatch is not an
error but a silent misreading of bytes:
  * a numpy array for a pointer parameter: its dtype must be the pointee type (any for void*),
    and it must be C-contiguous (the kernel indexes it as a flat buffer);
  * a numpy scalar for a value parameter travels as its bytes: its dtype must be exactly the
    parameter's type (np.float64 for a `float` would be read as garbage);
  * a Python int travels as int64, a float as float64, a bool as bool: the parameter must be of
    that type (an int for an `int` parameter, or a float for a `float`, is an error).
Anything else is a TypeError naming the kernel, the parameter (index and name), its C type and
what was passed. Beyond CuPy: a read-only array for a pointer to non-const is a TypeError too
(the kernel would write through it).
"""
import ctypes
import os
import threading

import numpy as np

from . import _build


class SimulatorError(RuntimeError):
    """A launch went wrong in a way a GPU would not report (or would report as a hang): a
    barrier not every thread reaches, a full-mask warp operation in a partial warp or with
    lanes missing, ... The message names the kernel, the block and the thread."""


SCHEDULES = ("round_robin", "reverse", "run_ahead", "random")
_launch_lock = threading.Lock()   # the simulator's state in each library is global
_ERROR_BYTES = 2048
_MAX_DYNAMIC_SHARED = 227 * 1024  # bytes: cuda_sim.h's MAX_DYNAMIC_SHARED


class _Config:
    def __init__(self):
        self.schedule = os.environ.get("MINIGRAD_CUDA_SIM_SCHEDULE", "round_robin")
        blocks = os.environ.get("MINIGRAD_CUDA_SIM_MAX_BLOCKS", "")
        self.max_blocks = int(blocks) if blocks else None
        self.seed = int(os.environ.get("MINIGRAD_CUDA_SIM_SEED", "0"))
        self.check(self.schedule, self.max_blocks, self.seed)

    @staticmethod
    def check(schedule, max_blocks, seed):
        if schedule not in SCHEDULES:
            raise ValueError(f"schedule must be one of {SCHEDULES}, got {schedule!r}")
        if max_blocks is not None and (not isinstance(max_blocks, (int, np.integer))
                                       or isinstance(max_blocks, bool) or max_blocks < 1):
            raise ValueError(f"max_blocks must be None or an int >= 1, got {max_blocks!r}")
        if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
            raise ValueError(f"seed must be an int >= 0, got {seed!r}")


config = _Config()


def configure(schedule="round_robin", max_blocks=None, seed=0):
    """Set how launches run; returns the previous settings as a dict (``configure(**old)``
    restores them).

    schedule: which runnable simulated thread goes next (round_robin, reverse, run_ahead: the
    lowest-numbered one, so warp 0 runs as far as it can first; random: seeded by ``seed``).
    max_blocks: cap gridDim.x at this many blocks (None: the grid as launched), so grid-stride
    loops run more than one trip; a kernel that is not grid-stride then leaves work undone.
    The environment gives the initial values: MINIGRAD_CUDA_SIM_SCHEDULE, _MAX_BLOCKS, _SEED.
    """
    _Config.check(schedule, max_blocks, seed)
    old = {"schedule": config.schedule, "max_blocks": config.max_blocks, "seed": config.seed}
    config.schedule, config.max_blocks, config.seed = schedule, max_blocks, int(seed)
    return old


def _dims(value, what):
    dims = (value,) if isinstance(value, (int, np.integer)) else tuple(value)
    if not 1 <= len(dims) <= 3 or any(not isinstance(d, (int, np.integer))
                                      or isinstance(d, bool) for d in dims):
        raise ValueError(f"{what} must be an int or a tuple of 1 to 3 ints, got {value!r}")
    dims = tuple(int(d) for d in dims) + (1,) * (3 - len(dims))
    if min(dims) < 1:
        raise ValueError(f"{what} {value!r} has a dimension < 1: an invalid launch")
    return dims


class Kernel:
    """One ``extern "C" __global__`` function of a module: call it as CuPy's RawKernel,
    ``kernel(grid, block, args, shared_mem=0)``."""

    def __init__(self, module, name, parameters):
        self.module, self.name = module, name
        self._parameters = parameters
        self._entry = ctypes.cast(getattr(module._library, f"mg_sim_entry_{name}"),
                                  ctypes.c_void_p)

    @property
    def parameters(self):
        """[(c_type, name), ...] as written in the source, e.g. ("const float*", "x")."""
        return [(p.c_type, p.name) for p in self._parameters]

    def __repr__(self):
        return f"<cudasim kernel {self.name}({', '.join(' '.join(p) for p in self.parameters)})>"

    # ---- argument checks (module docstring) -------------------------------------------------
    def _wrong(self, index, param, message):
        label = f"parameter {index} ({param.c_type} {param.name})".replace(" )", ")")
        return TypeError(f"kernel {self.name}: {label}: {message}")

    def _argument_bytes(self, index, param, arg):
        """A numpy buffer holding what the kernel's parameter slot receives."""
        if param.pointer:
            if not isinstance(arg, np.ndarray):
                raise self._wrong(index, param, f"expected an array, got {_describe(arg)}")
            if param.stars > 1 or (param.base != "void" and param.dtype is None):
                raise self._wrong(index, param, "the simulator does not support this type")
            if param.dtype is not None and arg.dtype != param.dtype:
                raise self._wrong(index, param, f"expected an array of {param.dtype}, got one of "
                                  f"{arg.dtype} (the kernel would misread its bytes)")
            if not arg.flags.c_contiguous:
                raise self._wrong(index, param, f"the array of shape {arg.shape} with strides "
                                  f"{arg.strides} is not C-contiguous (the kernel reads it as "
                                  f"a flat buffer)")
            if not param.const and not arg.flags.writeable:
                raise self._wrong(index, param, "the array is read-only but the kernel may "
                                  "write through this pointer")
            return np.array([arg.ctypes.data], dtype=np.uintp)
        if param.dtype is None:
            raise self._wrong(index, param, "the simulator does not support this type")
        if isinstance(arg, np.generic):
            passed = arg.dtype
        elif isinstance(arg, bool):
            passed = np.dtype(np.bool_)
        elif isinstance(arg, int):
            if not -2**63 <= arg < 2**63:
                raise self._wrong(index, param, f"the int {arg} does not fit in int64")
            passed = np.dtype(np.int64)
        elif isinstance(arg, float):
            passed = np.dtype(np.float64)
        else:
            raise self._wrong(index, param, f"expected a scalar of {param.dtype}, got "
                              f"{_describe(arg)}")
        if passed != param.dtype:
            how = "" if isinstance(arg, np.generic) else \
                f" (a Python {type(arg).__name__} is passed as {passed})"
            raise self._wrong(index, param, f"expected {param.dtype}, got {_describe(arg)}{how}; "
                              f"pass numpy.{param.dtype}(value)")
        return np.array(arg, dtype=passed)

    def __call__(self, grid, block, args, shared_mem=0, stream=None):
        """Run the kernel: blocks one after another, each block's threads as fibers. ``stream``
        is accepted for CuPy's signature and ignored (every launch completes before it
        returns)."""
        grid, block = _dims(grid, "grid"), _dims(block, "block")
        if block[0] > 1024 or block[1] > 1024 or block[2] > 64 or \
                block[0] * block[1] * block[2] > 1024:
            raise ValueError(f"block {block}: at most 1024 threads per block (x, y <= 1024, "
                             f"z <= 64)")
        if grid[0] > 2**31 - 1 or grid[1] > 65535 or grid[2] > 65535:
            raise ValueError(f"grid {grid} exceeds CUDA's limits (2**31-1, 65535, 65535)")
        if not isinstance(shared_mem, (int, np.integer)) or not \
                0 <= shared_mem <= _MAX_DYNAMIC_SHARED:
            raise ValueError(f"shared_mem must be an int in 0..{_MAX_DYNAMIC_SHARED}, got "
                             f"{shared_mem!r}")
        if not isinstance(args, (tuple, list)):
            raise TypeError(f"kernel {self.name}: args must be a tuple, got {_describe(args)}")
        if len(args) != len(self._parameters):
            raise TypeError(f"kernel {self.name} takes {len(self._parameters)} arguments "
                            f"({', '.join(' '.join(p) for p in self.parameters)}), got "
                            f"{len(args)}")
        slots = [self._argument_bytes(i, p, a) for i, (p, a) in
                 enumerate(zip(self._parameters, args))]
        pointers = (ctypes.c_void_p * max(1, len(slots)))(*[s.ctypes.data for s in slots])
        if config.max_blocks is not None:
            grid = (min(grid[0], config.max_blocks), grid[1], grid[2])
        error = ctypes.create_string_buffer(_ERROR_BYTES)
        with _launch_lock:
            status = self.module._run(
                self.name.encode(), self._entry, pointers, (ctypes.c_uint * 3)(*grid),
                (ctypes.c_uint * 3)(*block), int(shared_mem), SCHEDULES.index(config.schedule),
                config.seed, error, _ERROR_BYTES)
        del slots  # kept alive until here: the kernel reads the arguments through them
        if status != 0:
            raise SimulatorError(error.value.decode(errors="replace"))


def _describe(arg):
    if isinstance(arg, np.ndarray):
        return f"numpy array of {arg.dtype} {arg.shape}"
    if isinstance(arg, np.generic):
        return f"numpy.{arg.dtype} scalar {arg!r}"
    return f"{type(arg).__name__} {arg!r}"


class Module:
    """The kernels of one CUDA C source, compiled for the simulator."""

    def __init__(self, code, options=(), name="kernel.cu"):
        self.name = name
        path, self._kernels = _build.build(code, tuple(options), name)
        if _build.asan_enabled() and "libasan" not in open("/proc/self/maps").read():
            raise _build.CompileError(
                "MINIGRAD_CUDA_SIM_ASAN=1 builds need AddressSanitizer's runtime loaded first: "
                f"run Python as LD_PRELOAD={_build.asan_preload()} python ...")
        self._library = ctypes.CDLL(path)
        self._run = self._library.mg_sim_run
        self._run.restype = ctypes.c_int
        self._run.argtypes = [ctypes.c_char_p, ctypes.c_void_p, ctypes.c_void_p,
                              ctypes.c_void_p, ctypes.c_void_p, ctypes.c_ulonglong, ctypes.c_int,
                              ctypes.c_ulonglong, ctypes.c_char_p, ctypes.c_size_t]
        self._functions = {}

    @property
    def kernel_names(self):
        return list(self._kernels)

    def get_function(self, name):
        if name not in self._kernels:
            raise KernelNotFound(f"{self.name} has no extern \"C\" __global__ kernel {name!r}; it "
                                 f"has: {', '.join(self._kernels) or 'none'}")
        if name not in self._functions:
            self._functions[name] = Kernel(self, name, self._kernels[name])
        return self._functions[name]


class KernelNotFound(KeyError):
    """get_function of a name the module does not define (the message lists those it does)."""

    def __str__(self):
        return str(self.args[0])


_modules = {}


def compile_module(code, options=(), name="kernel.cu"):
    """The module of ``code`` (CUDA C), compiled once per process and cached on disk."""
    key = (code, tuple(options), name, _build.asan_enabled(),
           os.environ.get("MINIGRAD_CUDA_SIM_CFLAGS"), _build.cache_dir())
    if key not in _modules:
        _modules[key] = Module(code, options, name)
    return _modules[key]
