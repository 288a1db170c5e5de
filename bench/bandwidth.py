"""STREAM-like rows: how many GB/s this machine's memory gives a compiled loop.

A large optimizer update cannot run faster than the memory streams its arrays, whatever any
framework does; these rows measure that limit in the same run as the AdamW row, on arrays of
the same length, so that the AdamW row can say what fraction of it it reaches
(``harness.bandwidth_notes``). The kernels are STREAM's copy (``a = b``) and triad
(``a = b + s·c``), compiled in csrc/cpu/bandwidth.pyx, on 1 thread and on 2 (and on every core
when there are more).

The minigrad column is that compiled loop. The numpy column does the same with numpy on one
thread: ``np.copyto`` for copy, and for triad ``np.multiply(c, s, out=a); np.add(a, b, out=a)``
-- two passes over ``a``, which is what numpy can do without a compiled loop, so its GB/s
(counted, like every column, as STREAM's 3 arrays) shows what the second pass costs. The torch
column is ``a.copy_(b)`` and ``torch.add(b, c, alpha=s, out=a)`` (one pass) on as many threads
as the row says.
"""
import os

import numpy as np

from .harness import Row

#: Bytes per element that each kernel must move (STREAM's count: arrays read + arrays written).
ARRAYS_MOVED = {"copy": 2, "triad": 3}
SCALAR = 3.0


def _arrays(n):
    rng = np.random.default_rng(0)
    b = rng.standard_normal(n, dtype=np.float32)
    c = rng.standard_normal(n, dtype=np.float32)
    return np.empty_like(b), b, c


def stream_minigrad(kernel, n, threads):
    from minigrad._C import bandwidth
    a, b, c = _arrays(n)
    if kernel == "copy":
        return lambda: bandwidth.copy(a, b, threads)
    return lambda: bandwidth.triad(a, b, c, SCALAR, threads)


def stream_numpy(kernel, n, threads):
    if threads != 1:
        raise ValueError(f"numpy's loops run on one thread, got threads={threads}")
    a, b, c = _arrays(n)
    if kernel == "copy":
        return lambda: np.copyto(a, b)

    def triad():
        np.multiply(c, np.float32(SCALAR), out=a)
        np.add(a, b, out=a)
    return triad


def stream_torch(kernel, n, threads):
    import torch
    torch.set_num_threads(threads)
    a, b, c = (torch.from_numpy(x) for x in _arrays(n))
    if kernel == "copy":
        return lambda: a.copy_(b)
    return lambda: torch.add(b, c, alpha=SCALAR, out=a)


def thread_counts():
    """1, 2 and, on a machine with more, every core this process may use."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return sorted({1, 2, cores})


def rows(quick=False):
    n = 1_000_000 if quick else 10_000_000       # the AdamW row's length (bench/training.py)
    out = []
    for kernel in ("copy", "triad"):
        for threads in thread_counts():
            frameworks = ("minigrad", "numpy", "torch") if threads == 1 else ("minigrad", "torch")
            out.append(Row(
                "bandwidth", f"STREAM {kernel}, {n / 1e6:.0f}M float32, {threads} "
                f"thread{'s' if threads > 1 else ''}",
                {k: f"bench.bandwidth:stream_{k}" for k in frameworks},
                {"kernel": kernel, "n": n, "threads": threads},
                bytes_per_call=ARRAYS_MOVED[kernel] * 4 * n))
    return out
