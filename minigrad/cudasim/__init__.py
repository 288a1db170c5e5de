"""A CUDA simulator for minigrad's CUDA C kernels (csrc/cuda/*.cu): they run on the CPU, one
simulated thread per CUDA thread, so that their logic is tested on every machine (issue 15;
the idea of Numba's NUMBA_ENABLE_CUDASIM).

    from minigrad import cudasim
    module = cudasim.compile_module(open("csrc/cuda/activation.cu").read())
    kernel = module.get_function("relu_forward_f32")
    kernel((4,), (256,), (x, out, numpy.int64(x.size)))   # CuPy RawKernel's call

The source is compiled as host C++ by g++ with ``cuda_sim.h`` (the CUDA built-ins, barriers,
warp shuffles and votes, atomics, shared memory) into a shared library cached on disk. A
launch runs the blocks one after another and a block's threads as fibers under a scheduler
(``configure``); a kernel's ``printf`` prints; ``SimulatorError`` reports what a GPU would not
(a divergent barrier, a full-mask shuffle in a partial warp, ...). Arrays are numpy arrays, and
launch arguments are checked as CuPy passes them (``_kernel.py``).
"""
from ._build import CompileError, cache_dir
from ._kernel import (SCHEDULES, Kernel, Module, SimulatorError, compile_module, config,
                      configure)

__all__ = ["compile_module", "configure", "SimulatorError", "CompileError", "Module", "Kernel",
           "SCHEDULES", "config", "cache_dir"]
