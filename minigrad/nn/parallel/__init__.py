"""minigrad.nn.parallel, as torch.nn.parallel: DistributedDataParallel (over MPI; see
minigrad/distributed/ and docs/distributed.md)."""
from .distributed import DistributedDataParallel

__all__ = ["DistributedDataParallel"]
