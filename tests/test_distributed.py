"""minigrad.distributed in this one process (no mpirun): the sampler against torch's, the
launcher's command line, and the errors before a process group exists. The multi-process
behaviour is in test_distributed_mpi.py."""
import datetime
import os
import sys

import pytest

import minigrad as mg
import minigrad.distributed as dist
from minigrad.distributed import run
from minigrad.utils.data import DistributedSampler


# ---- DistributedSampler -------------------------------------------------------------------------

@pytest.mark.parametrize("n,replicas,drop_last", [(10, 3, False), (10, 3, True), (9, 3, True),
                                                  (9, 3, False), (2, 3, False), (1, 4, False),
                                                  (7, 1, False)])
def test_sampler_without_shuffle_gives_torchs_indices(n, replicas, drop_last):
    tud = pytest.importorskip("torch.utils.data")
    for rank in range(replicas):
        mine = DistributedSampler(range(n), replicas, rank, shuffle=False, drop_last=drop_last)
        theirs = tud.DistributedSampler(range(n), replicas, rank, shuffle=False,
                                        drop_last=drop_last)
        assert list(mine) == list(theirs)
        assert len(mine) == len(theirs)


def test_sampler_shuffle_is_one_permutation_split_and_changes_with_set_epoch():
    n, replicas = 11, 3
    samplers = [DistributedSampler(range(n), replicas, r, seed=5) for r in range(replicas)]
    shards = [list(s) for s in samplers]
    assert [len(s) for s in shards] == [4, 4, 4]
    merged = [shards[k % replicas][k // replicas] for k in range(12)]   # the padded order
    assert sorted(merged[:n]) == list(range(n))        # a permutation ...
    assert merged[n:] == merged[:1]                    # ... padded with its first index
    assert [list(s) for s in samplers] == shards       # the same epoch: the same shards
    for s in samplers:
        s.set_epoch(1)
    assert [list(s) for s in samplers] != shards


def test_sampler_checks_its_arguments():
    with pytest.raises(ValueError, match=r"Invalid rank 3, rank should be in the interval "
                                         r"\[0, 2\]"):
        DistributedSampler(range(4), num_replicas=3, rank=3)
    with pytest.raises(ValueError, match="num_replicas must be >= 1"):
        DistributedSampler(range(4), num_replicas=0, rank=0)
    with pytest.raises(TypeError, match="rank must be an integer"):
        DistributedSampler(range(4), num_replicas=2, rank=0.5)
    with pytest.raises(RuntimeError, match="init_process_group"):
        DistributedSampler(range(4))              # no process group and no num_replicas


# ---- before init_process_group ------------------------------------------------------------------

def test_queries_before_init_raise_torchs_error():
    assert not dist.is_initialized()
    for fn in (dist.get_rank, dist.get_world_size, dist.barrier):
        with pytest.raises(ValueError, match="Default process group has not been initialized"):
            fn()
    with pytest.raises(ValueError, match="has not been initialized"):
        dist.all_reduce(mg.ones(2))


def test_ddp_needs_a_process_group():
    with pytest.raises(ValueError, match="has not been initialized"):
        mg.nn.parallel.DistributedDataParallel(mg.nn.Linear(2, 2))


def test_init_rejects_what_mpi_cannot_do():
    with pytest.raises(ValueError, match="backend='nccl': minigrad.distributed runs over MPI"):
        dist.init_process_group("nccl")
    with pytest.raises(ValueError, match="init_method='tcp://x:1': not used with MPI"):
        dist.init_process_group(init_method="tcp://x:1")
    with pytest.raises(TypeError, match="timeout must be a datetime.timedelta"):
        dist.init_process_group(timeout="1 minute")
    with pytest.raises(ValueError, match="timeout must be positive"):
        dist.init_process_group(timeout=datetime.timedelta(0))
    assert not dist.is_initialized()


def test_reduce_op_names_are_torchs():
    torch_dist = pytest.importorskip("torch.distributed")
    for name in ("SUM", "AVG", "PRODUCT", "MIN", "MAX"):
        assert hasattr(torch_dist.ReduceOp, name) and hasattr(dist.ReduceOp, name)
    from minigrad.distributed.reduce_op import mpi_op
    with pytest.raises(TypeError, match="op must be a dist.ReduceOp"):
        mpi_op(None, "sum")


def test_torch_spellings_reach_the_same_objects():
    import minigrad.nn.parallel
    import minigrad.utils.data
    assert mg.distributed is dist
    assert mg.nn.parallel.DistributedDataParallel is \
        minigrad.nn.parallel.distributed.DistributedDataParallel
    assert minigrad.utils.data.DistributedSampler is DistributedSampler


# ---- the launcher ------------------------------------------------------------------------------

def test_launcher_flags_for_one_machine():
    flags, env = run.local_flags("openmpi")
    assert flags == ["--oversubscribe", "--bind-to", "none", "--mca", "btl", "self,sm",
                     "--mca", "pml", "ob1"]
    if os.geteuid() == 0:
        assert env == {"OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1"}
    assert run.local_flags("mpich") == ([], {})


def test_launcher_command_line(tmp_path, monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    fake = tmp_path / "mpirun"
    fake.write_text("#!/bin/sh\necho 'mpirun (Open MPI) 5.0.11'\n")
    fake.chmod(0o755)
    argv, env = run.command(3, ["train.py", "--epochs", "2"], mpirun=str(fake))
    assert argv == [str(fake), "-n", "3"] + run.local_flags("openmpi")[0] + \
        [sys.executable, "train.py", "--epochs", "2"]
    assert env["PYTHONUNBUFFERED"] == "1"
    assert env["OMP_NUM_THREADS"] == str(max(1, run._cores() // 3))   # the cores shared out
    monkeypatch.setenv("OMP_NUM_THREADS", "7")
    assert run.command(3, ["train.py"], mpirun=str(fake))[1]["OMP_NUM_THREADS"] == "7"
    with pytest.raises(ValueError, match="-n must be a positive number of processes, got 0"):
        run.command(0, ["train.py"], mpirun=str(fake))
    with pytest.raises(FileNotFoundError, match="is not an executable file"):
        run.command(2, ["train.py"], mpirun=str(tmp_path / "missing"))


def test_launcher_dry_run_prints_the_command(tmp_path, capsys):
    fake = tmp_path / "mpirun"
    fake.write_text("#!/bin/sh\necho 'HYDRA build details'\n")
    fake.chmod(0o755)
    assert run.main(["-n", "2", "--mpirun", str(fake), "--dry-run", "train.py"]) == 0
    assert capsys.readouterr().out.split()[-5:] == [str(fake), "-n", "2", sys.executable,
                                                    "train.py"]


def test_launcher_splits_its_arguments_from_the_programs():
    split = run.split_arguments
    assert split(["-n", "2", "train.py", "-n", "5"]) == (["-n", "2"], ["train.py", "-n", "5"])
    assert split(["-n2", "--timeout=3", "-m", "pkg.mod", "-x"]) == \
        (["-n2", "--timeout=3"], ["-m", "pkg.mod", "-x"])
    assert split(["-n", "2", "--dry-run", "--", "-m", "x"]) == (["-n", "2", "--dry-run"],
                                                               ["-m", "x"])
