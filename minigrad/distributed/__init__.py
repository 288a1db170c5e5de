"""minigrad.distributed: data-parallel training over MPI, in torch.distributed's names.

    import minigrad.distributed as dist
    dist.init_process_group()                     # joins the job mpirun started
    model = mg.nn.parallel.DistributedDataParallel(model)
    sampler = mg.utils.data.DistributedSampler(dataset)   # each rank its shard
    ...                                           # the usual loop: grads are averaged

    python -m minigrad.distributed.run -n 2 train.py      # mpirun, with this machine's flags

The engine is MPI through mpi4py (``pip install 'minigrad[distributed]'``: mpi4py and the
Open MPI wheel): every collective hands MPI a numpy buffer, never a pickle.

    process_group.py   init_process_group, get_rank, get_world_size, the timeout and
                       the abort-on-exception guard that keep a failed rank from hanging a job
    collectives.py     all_reduce, broadcast, all_gather, barrier (in place, on Tensors; Work)
    reduce_op.py       ReduceOp (SUM, AVG, PRODUCT, MIN, MAX)
    run.py             the launcher: ``python -m minigrad.distributed.run -n N script.py``

DistributedDataParallel lives in minigrad/nn/parallel/, DistributedSampler in
minigrad/utils/data/, as in torch. docs/distributed.md tells the whole story.
"""
from .collectives import Work, all_gather, all_reduce, barrier, broadcast
from .process_group import (DistributedTimeout, destroy_process_group, get_backend,
                            get_rank, get_world_size, group, init_process_group, is_available,
                            is_initialized, is_mpi_available)
from .reduce_op import ReduceOp

__all__ = ["init_process_group", "destroy_process_group", "is_initialized", "is_available",
           "is_mpi_available", "get_rank", "get_world_size", "get_backend", "barrier",
           "all_reduce", "broadcast", "all_gather", "ReduceOp", "Work", "DistributedTimeout",
           "group"]
