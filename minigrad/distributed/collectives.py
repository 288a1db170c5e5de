"""Collectives on tensors, in torch.distributed's names, over mpi4py's buffer calls.

    all_reduce(t, op)       every rank's t ← op(t₀, t₁, …, t_{N−1})   (in place)
    broadcast(t, src)       every rank's t ← t_src                     (in place)
    all_gather(list, t)     list[r] ← t_r on every rank
    barrier()               (process_group.py)

Each call hands MPI the tensor's own numpy buffer with an explicit MPI datatype (mpi4py's
upper-case ``Iallreduce``/``Ibcast``/``Iallgather``): nothing is pickled, nothing is copied
for a C-contiguous CPU tensor. The calls are MPI's non-blocking ones, waited on with the
group's timeout (process_group.wait); ``async_op=True`` returns the ``Work`` to wait on later.

Not traced by autograd (as torch.distributed's collectives): they write into ``t.array`` and
bump ``t``'s version, like any in-place write.

CuPy tensors go through a host copy: the array is copied to a numpy buffer, reduced there,
and copied back. CUDA-aware MPI could read device memory directly, but whether a given MPI
build is CUDA-aware is a property of that build (and of the machine), and the host path is
correct on every one of them; it costs two PCIe copies per collective.
"""
import numpy as np

from ..ops.inplace import bump_version
from ..tensor import Tensor
from .process_group import _get, _seconds, wait
from .reduce_op import ReduceOp, mpi_op

__all__ = ["all_reduce", "broadcast", "all_gather", "Work"]


class Work:
    """A collective in flight (torch's ``Work``): ``wait()`` finishes it (and writes the result
    into the tensors); ``is_completed()`` asks without waiting."""

    def __init__(self, pg, requests, what, finish=None, timeout_s=None):
        self._pg, self._requests, self._what = pg, requests, what
        self._finish, self._timeout_s, self._done = finish, timeout_s, False

    def is_completed(self):
        return self._done or self._pg.MPI.Request.Testall(self._requests)

    def wait(self, timeout=None):
        if not self._done:
            wait(self._requests, self._what, self._pg, self._timeout_s)
            if self._finish is not None:
                self._finish()
            self._done = True
        return True


# ---- buffers ------------------------------------------------------------------------------------

_MPI_TYPE_NAMES = {np.dtype(np.float64): "DOUBLE", np.dtype(np.float32): "FLOAT",
                   np.dtype(np.int64): "INT64_T", np.dtype(np.int32): "INT32_T",
                   np.dtype(np.int16): "INT16_T", np.dtype(np.int8): "INT8_T",
                   np.dtype(np.uint64): "UINT64_T", np.dtype(np.uint32): "UINT32_T",
                   np.dtype(np.uint16): "UINT16_T", np.dtype(np.uint8): "UINT8_T"}


def mpi_buffer(MPI, array):
    """``[array, MPI datatype]``, the explicit form of an mpi4py buffer argument."""
    try:
        return [array, getattr(MPI, _MPI_TYPE_NAMES[np.dtype(array.dtype)])]
    except KeyError:
        raise TypeError(f"minigrad.distributed: no MPI datatype for dtype {array.dtype} "
                        f"(supported: {', '.join(sorted(str(d) for d in _MPI_TYPE_NAMES))})"
                        ) from None


def host_array(array):
    """A numpy view of ``array`` (CPU), or its host copy (CuPy)."""
    return array.get() if hasattr(array, "get") else array


def _check_tensor(t, name):
    if not isinstance(t, Tensor):
        raise TypeError(f"{name} must be a minigrad Tensor, got {type(t).__name__}")


def _host_buffer(t):
    """The contiguous numpy array MPI works in, and whether it is a copy of ``t.array``."""
    arr = host_array(t.array)
    if arr is t.array and arr.flags.c_contiguous:
        return arr, False
    return np.ascontiguousarray(arr), True


def _write_back(t, buf, copied):
    if copied:
        t.array[...] = t.backend.xp.asarray(buf.reshape(t.shape))
    bump_version(t)


# ---- the collectives ---------------------------------------------------------------------------

def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op=False):
    """``tensor ← op over ranks of tensor`` on every rank, in place (SUM, AVG, PRODUCT, MIN,
    MAX). AVG is SUM followed by a division by the world size (MPI has no mean)."""
    pg = _get(group)
    _check_tensor(tensor, "tensor")
    if op == ReduceOp.AVG and tensor.dtype.kind != "f":
        raise TypeError(f"all_reduce with ReduceOp.AVG needs a floating tensor, got "
                        f"dtype {tensor.dtype}")
    buf, copied = _host_buffer(tensor)
    request = pg.comm.Iallreduce(pg.MPI.IN_PLACE, mpi_buffer(pg.MPI, buf), mpi_op(pg.MPI, op))

    def finish():
        if op == ReduceOp.AVG:
            buf[...] /= pg.size
        _write_back(tensor, buf, copied)
    work = Work(pg, [request], f"all_reduce({op.name}) of a tensor of shape "
                f"{tuple(tensor.shape)}", finish)
    return work if async_op else work.wait()


def broadcast(tensor, src=None, group=None, async_op=False, group_src=None):
    """``tensor ← tensor of rank src`` on every rank, in place."""
    pg = _get(group)
    _check_tensor(tensor, "tensor")
    src = group_src if src is None else src
    if isinstance(src, bool) or not isinstance(src, (int, np.integer)) or \
            not 0 <= src < pg.size:
        raise ValueError(f"src must be a rank in [0, {pg.size - 1}], got src={src!r}")
    buf, copied = _host_buffer(tensor)
    request = pg.comm.Ibcast(mpi_buffer(pg.MPI, buf), root=int(src))
    work = Work(pg, [request], f"broadcast from rank {src} of a tensor of shape "
                f"{tuple(tensor.shape)}", lambda: _write_back(tensor, buf, copied))
    return work if async_op else work.wait()


def all_gather(tensor_list, tensor, group=None, async_op=False):
    """``tensor_list[r] ← tensor of rank r`` on every rank (the list holds world_size tensors
    of ``tensor``'s shape and dtype, written in place)."""
    pg = _get(group)
    _check_tensor(tensor, "tensor")
    if not isinstance(tensor_list, (list, tuple)) or len(tensor_list) != pg.size:
        n = len(tensor_list) if isinstance(tensor_list, (list, tuple)) else type(tensor_list)
        raise ValueError(f"tensor_list must be a list of world_size={pg.size} tensors, got {n}")
    for r, t in enumerate(tensor_list):
        _check_tensor(t, f"tensor_list[{r}]")
        if tuple(t.shape) != tuple(tensor.shape) or t.dtype != tensor.dtype:
            raise ValueError(f"tensor_list[{r}] has shape {tuple(t.shape)} and dtype {t.dtype}; "
                             f"all_gather needs the input's, {tuple(tensor.shape)} and "
                             f"{tensor.dtype}")
    send = np.ascontiguousarray(host_array(tensor.array))
    gathered = np.empty((pg.size,) + send.shape, dtype=send.dtype)
    request = pg.comm.Iallgather(mpi_buffer(pg.MPI, send), mpi_buffer(pg.MPI, gathered))

    def finish():
        for t, part in zip(tensor_list, gathered):
            t.array[...] = t.backend.xp.asarray(part)
            bump_version(t)
    work = Work(pg, [request], f"all_gather of tensors of shape {tuple(tensor.shape)}", finish)
    return work if async_op else work.wait()


def barrier(group=None, async_op=False, device_ids=None, timeout=None):
    """Returns once every rank has called barrier (or raises after the timeout)."""
    pg = _get(group)
    work = Work(pg, [pg.comm.Ibarrier()], "barrier",
                timeout_s=_seconds(timeout) if timeout is not None else None)
    return work if async_op else work.wait()
