"""Claim 26: data parallelism is the big batch. N processes, each with its own shard of every
batch, whose gradients are averaged before the step, train exactly as one process does on
the concatenated batch.

With a mean loss over each shard B_r (all shards the same size b, the batch B = ∪ B_r of size
N·b), the average of the ranks' gradients is the big batch's gradient:

    (1/N) Σ_r (1/b) Σ_{i∈B_r} ∇ℓ_i(w)  =  (1/(N·b)) Σ_{i∈B} ∇ℓ_i(w)

and every rank, starting from the same weights (DistributedDataParallel broadcasts rank 0's)
and taking the same step, keeps the same weights. Coupled weight decay needs no care: adding
λw before or after the average gives the same gradient, since every rank holds the same w.

Run it (it starts its 2 ranks itself when launched without mpirun):

    python -m minigrad.distributed.run -n 2 examples/26_data_parallel.py
    python examples/26_data_parallel.py            (the same, through the launcher)

Each rank trains an MLP with DistributedDataParallel on the shards a DistributedSampler deals
it (SGD, momentum 0.9, weight decay); rank 0 also trains a plain copy on the concatenated
batches and prints, per epoch, both losses and the largest weight difference. Verdict
(identity, float64): the weights agree to round-off (< 1e-12) after every epoch. Without MPI
installed the example says so and simulates the ranks in one process (the averaging by hand).
"""
from _common import parse_args, print_table, verdict  # first: puts this checkout on sys.path

import copy
import os
import subprocess
import sys

import numpy as np

import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F

RANKS, BATCH_PER_RANK, LR, MOMENTUM, WEIGHT_DECAY = 2, 16, 0.1, 0.9, 1e-3


def data(seed, n):
    """Three Gaussian blobs in 10 dimensions (seeded: the same on every rank)."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((3, 10)) * 2
    y = rng.integers(0, 3, n)
    return centres[y] + rng.standard_normal((n, 10)), y


def model(seed):
    mg.manual_seed(seed)
    return nn.Sequential(nn.Linear(10, 32), nn.Tanh(), nn.Linear(32, 3))


def sgd(params):
    return mg.optim.SGD(params, lr=LR, momentum=MOMENTUM, weight_decay=WEIGHT_DECAY)


def flat(m):
    return np.concatenate([p.detach().numpy().ravel() for p in m.parameters()])


def under_mpi(args, dist):
    """Every rank: DDP on its shards; rank 0 also trains the single-process reference."""
    from minigrad.utils.data import DistributedSampler
    dist.init_process_group()
    rank, world = dist.get_rank(), dist.get_world_size()
    X, y = data(args.seed, 96 if args.quick else 480)
    X, y = mg.tensor(X), mg.tensor(y)
    ddp = nn.parallel.DistributedDataParallel(model(args.seed + rank))   # rank 0's weights win
    reference = copy.deepcopy(ddp.module)
    opt, opt_ref = sgd(ddp.parameters()), sgd(reference.parameters())
    samplers = [DistributedSampler(range(len(X)), world, r, seed=args.seed)
                for r in range(world)]                 # every rank's, to build the big batch
    rows, worst = [], 0.0
    for epoch in range(2 if args.quick else 5):
        for s in samplers:
            s.set_epoch(epoch)
        shards = [list(s) for s in samplers]
        losses, ref_losses = [], []
        for start in range(0, len(shards[0]), BATCH_PER_RANK):
            mine = shards[rank][start:start + BATCH_PER_RANK]
            opt.zero_grad()
            loss = F.cross_entropy(ddp(X[mine]), y[mine])
            loss.backward()
            with mg.optim.trace(opt) as tr:
                opt.step()
            mean_loss = loss.detach().clone()
            dist.all_reduce(mean_loss, dist.ReduceOp.AVG)
            losses.append(float(mean_loss.item()))
            big = sum((shard[start:start + BATCH_PER_RANK] for shard in shards), [])
            opt_ref.zero_grad()
            ref_loss = F.cross_entropy(reference(X[big]), y[big])
            ref_loss.backward()
            opt_ref.step()
            ref_losses.append(float(ref_loss.item()))
        gap = float(np.abs(flat(ddp.module) - flat(reference)).max())
        worst = max(worst, gap)
        rows.append([epoch, float(np.mean(losses)), float(np.mean(ref_losses)), gap])
    terms = list(tr[ddp.module[0].weight])
    if rank == 0:
        print(f"{world} ranks, {BATCH_PER_RANK} samples each per step "
              f"(the reference: one process, {world * BATCH_PER_RANK} per step)\n")
        print_table(["epoch", f"mean loss, {world} ranks", "mean loss, 1 process",
                     "max |w - w_ref|"],
                    rows)
        print(f"\nthe traced terms of one step: {' → '.join(terms)}")
        verdict(worst < 1e-12 and terms[:2] == ["local_grad", "allreduce_mean"],
                f"{world} processes on their shards = 1 process on the concatenated batch: "
                f"max weight difference {worst:.1e} (float64 round-off)")
    dist.destroy_process_group()


def simulated(args):
    """No MPI: the N ranks' gradients computed one after another here and averaged by hand."""
    X, y = data(args.seed, 96 if args.quick else 480)
    X, y = mg.tensor(X), mg.tensor(y)
    ranks_model, reference = model(args.seed), model(args.seed)
    opt, opt_ref = sgd(ranks_model.parameters()), sgd(reference.parameters())
    worst = 0.0
    for start in range(0, len(X), RANKS * BATCH_PER_RANK):
        big = list(range(start, min(start + RANKS * BATCH_PER_RANK, len(X))))
        shards = [big[r::RANKS] for r in range(RANKS)]
        grads = []
        for shard in shards:
            ranks_model.zero_grad()
            F.cross_entropy(ranks_model(X[shard]), y[shard]).backward()
            grads.append([p.grad.numpy().copy() for p in ranks_model.parameters()])
        for p, *gs in zip(ranks_model.parameters(), *grads):
            p.grad = mg.tensor(np.mean(gs, axis=0))                     # the all-reduce mean
        opt.step()
        opt_ref.zero_grad()
        F.cross_entropy(reference(X[big]), y[big]).backward()
        opt_ref.step()
        worst = max(worst, float(np.abs(flat(ranks_model) - flat(reference)).max()))
    verdict(worst < 1e-12, f"{RANKS} simulated ranks (MPI not installed) = 1 process on the "
            f"concatenated batch: max weight difference {worst:.1e}")


def main():
    args = parse_args(__doc__.splitlines()[0])
    mg.set_default_dtype(np.float64)
    import minigrad.distributed as dist
    from minigrad.distributed.run import find_mpirun
    launched = any(k in os.environ for k in ("OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"))
    if launched:
        return under_mpi(args, dist)
    if dist.is_available() and find_mpirun() is not None:
        # started without mpirun: start RANKS copies of this script through the launcher
        cmd = [sys.executable, "-m", "minigrad.distributed.run", "-n", str(RANKS),
               "--timeout", "300", os.path.abspath(__file__)] + sys.argv[1:]
        print("starting:", " ".join(cmd[1:]), flush=True)
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(
            [os.path.dirname(os.path.dirname(os.path.abspath(__file__)))] +
            [p for p in [os.environ.get("PYTHONPATH")] if p]))
        return subprocess.run(cmd, env=env).returncode
    print("MPI is not installed (pip install 'minigrad[distributed]'): simulating the ranks")
    return simulated(args)


if __name__ == "__main__":
    sys.exit(main() or 0)
