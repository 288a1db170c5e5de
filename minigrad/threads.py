"""How many threads minigrad uses: torch's ``set_num_threads`` / ``get_num_threads``.

One number, ``get_num_threads()``, bounds the intra-op threads of minigrad's CPU work:

* the compiled kernels (csrc/cpu/*.pyx, OpenMP): each call passes its thread count to OpenMP
  (``prange(..., num_threads=n)``); a kernel runs on one thread below its size threshold
  (``backend/cpu.py``: ``PARALLEL_MIN_SIZE``), on ``get_num_threads()`` above it;
* the matrix products minigrad asks numpy's BLAS for (``matmul`` below): one thread below
  ``GEMM_PARALLEL_MIN_MACS`` multiply-adds, ``get_num_threads()`` above it.

The default is the number of CPUs this process may run on (its affinity mask: taskset and
container CPU limits count), lowered by ``OMP_NUM_THREADS`` when that is set, at most
``MAX_THREADS`` — torch's default, read once; nothing is written to the environment.

BLAS is limited per call, not process-wide: numpy's BLAS is one thread pool shared with the
user's own numpy code, so minigrad sets its thread count just around its own products and
puts the previous count back (through threadpoolctl, which finds the BLAS library numpy loaded
and its set/get functions). ``import minigrad`` changes nothing; ``mg.set_num_threads(1)``
changes minigrad's calls only, never ``numpy.dot`` called by the user. Only in the middle of
one of minigrad's products does the BLAS count differ, which another Python thread calling
BLAS at that moment would see (OpenBLAS's count is process-wide).

Why a size threshold for BLAS (measured on this project's 2-core machine, docs/threads.md):
two OpenBLAS threads split a product statically and the caller waits for the slower half; when
another process holds the second core, that half waits a scheduler time slice. (32,128)@(128,512)
took 84 µs on one thread and 28–36 ms on two under load; products of the MLP's size
(128·784·512 = 51M multiply-adds) still gain from two threads on an idle machine.
"""
import contextlib
import os

import numpy as np

#: Upper bound on the default thread count: the kernels are memory-bound well before 8 cores.
MAX_THREADS = 8
#: Multiply-adds (m·k·n, times the batch) from which a product runs on get_num_threads()
#: BLAS threads; below it on one (docs/threads.md has the measurements).
GEMM_PARALLEL_MIN_MACS = 1 << 24
#: Below this many multiply-adds OpenBLAS itself uses one thread (its SMP threshold, 64³), so
#: ``matmul`` leaves the thread count alone: a tiny product pays no threadpoolctl call.
_BLAS_SERIAL_BELOW = 1 << 18


def default_num_threads():
    """CPUs this process may run on, at most OMP_NUM_THREADS (when set) and MAX_THREADS."""
    try:
        ncpu = len(os.sched_getaffinity(0))  # respects taskset / container CPU limits
    except (AttributeError, OSError):
        ncpu = os.cpu_count() or 1
    try:
        ncpu = min(ncpu, int(os.environ["OMP_NUM_THREADS"].split(",")[0]))
    except (KeyError, ValueError):
        pass
    return max(1, min(ncpu, MAX_THREADS))


_num_threads = default_num_threads()


def get_num_threads():
    """The number of threads minigrad's CPU kernels and BLAS calls may use (torch's name)."""
    return _num_threads


def set_num_threads(n):
    """Use at most ``n`` threads in minigrad's CPU kernels and in the BLAS products minigrad
    computes (torch's ``torch.set_num_threads``). numpy's own calls keep their BLAS setting."""
    global _num_threads
    if isinstance(n, bool) or not hasattr(n, "__index__"):
        raise TypeError(f"set_num_threads expects an int, got {type(n).__name__}")
    n = n.__index__()
    if n < 1:
        raise ValueError(f"set_num_threads: the number of threads must be positive, got {n}")
    _num_threads = n


def gemm_threads(macs):
    """Threads for a product of ``macs`` multiply-adds: 1 below GEMM_PARALLEL_MIN_MACS."""
    return _num_threads if macs >= GEMM_PARALLEL_MIN_MACS else 1


# ---- numpy's BLAS: found on first use (not at import), its thread count set per call -------

class _BlasThreads:
    """The thread-count functions of the BLAS libraries loaded in this process (numpy's), as
    threadpoolctl finds them. ``None`` until first needed; empty when none can be controlled."""

    def __init__(self):
        from threadpoolctl import ThreadpoolController
        self.libraries = ThreadpoolController().select(user_api="blas").lib_controllers

    def get(self):
        return self.libraries[0].get_num_threads()

    def set(self, n):
        for lib in self.libraries:
            lib.set_num_threads(n)


_blas = None


def _blas_threads():
    global _blas
    if _blas is None:
        try:
            _blas = _BlasThreads()
        except ImportError:           # threadpoolctl missing: BLAS keeps its own setting
            _blas = False
        else:
            if not _blas.libraries:
                _blas = False
    return _blas


def matmul(a, b):
    """``a @ b`` of two numpy arrays, BLAS on ``gemm_threads(m·k·n·batch)`` threads.

    The BLAS thread count is changed only when it differs from what this product should use,
    and put back right after. Arrays of another library (CuPy) are multiplied as they are."""
    if type(a) is not np.ndarray or type(b) is not np.ndarray:
        return a @ b
    m = a.shape[-2] if a.ndim > 1 else 1
    n = b.shape[-1] if b.ndim > 1 else 1
    macs = max(a.size * n, b.size * m)      # m·k·n, times the batch of either operand
    if macs < _BLAS_SERIAL_BELOW:
        return a @ b
    want = gemm_threads(macs)
    blas = _blas_threads()
    if not blas:
        return a @ b
    before = blas.get()
    if before == want:
        return a @ b
    blas.set(want)
    try:
        return a @ b
    finally:
        blas.set(before)


@contextlib.contextmanager
def products_of(macs):
    """BLAS on ``gemm_threads(macs)`` threads for the products inside the block — a loop of
    products of about ``macs`` multiply-adds each, such as a convolution's chunks of images —
    and the previous count put back after (the per-product rule of ``matmul``, set once)."""
    blas = _blas_threads() if macs >= _BLAS_SERIAL_BELOW else False
    before = blas.get() if blas else None
    want = gemm_threads(macs)
    if before is None or before == want:
        yield
        return
    blas.set(want)
    try:
        yield
    finally:
        blas.set(before)
