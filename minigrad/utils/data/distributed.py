"""DistributedSampler (torch.utils.data.distributed): each rank its own shard of a dataset.

Every rank draws the same permutation (seeded by ``seed + epoch``), pads it to a multiple of
the number of ranks by repeating its first indices (or, with ``drop_last``, cuts it), and
takes every ``num_replicas``-th index starting at its rank::

    order = randperm(n, seed + epoch)            (0 .. n−1 without shuffle)
    order = order + order[: total − n]           total = num_replicas · num_samples
    rank r gets order[r :: num_replicas]         num_samples = ⌈n / num_replicas⌉
                                                 (drop_last: ⌊n / num_replicas⌋)

so the shards are disjoint (up to the padding) and together cover the dataset. Call
``set_epoch(epoch)`` before each epoch for a fresh shuffle, as in torch. Without shuffle the
indices are torch's; with it the permutation comes from minigrad's generator, not torch's.
"""
import math
import numbers

from ...creation import randperm
from ...random import Generator
from .sampler import Sampler

__all__ = ["DistributedSampler"]


def _int(name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    return int(value)


class DistributedSampler(Sampler):
    """``DistributedSampler(dataset, num_replicas=None, rank=None, shuffle=True, seed=0,
    drop_last=False)``; num_replicas and rank default to the process group's."""

    def __init__(self, dataset, num_replicas=None, rank=None, shuffle=True, seed=0,
                 drop_last=False):
        if num_replicas is None or rank is None:
            from ... import distributed as dist
            if not dist.is_initialized():
                raise RuntimeError("DistributedSampler: pass num_replicas and rank, or call "
                                   "minigrad.distributed.init_process_group() first")
            num_replicas = dist.get_world_size() if num_replicas is None else num_replicas
            rank = dist.get_rank() if rank is None else rank
        num_replicas, rank = _int("num_replicas", num_replicas), _int("rank", rank)
        if num_replicas < 1:
            raise ValueError(f"num_replicas must be >= 1, got {num_replicas}")
        if not 0 <= rank < num_replicas:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval "
                             f"[0, {num_replicas - 1}]")
        self.dataset = dataset
        self.num_replicas, self.rank = num_replicas, rank
        self.shuffle, self.seed, self.drop_last = bool(shuffle), _int("seed", seed), drop_last
        self.epoch = 0
        n = len(dataset)
        if drop_last and n % num_replicas:
            self.num_samples = math.ceil((n - num_replicas) / num_replicas)   # torch's formula
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas

    def __iter__(self):
        n = len(self.dataset)
        if self.shuffle:
            g = Generator().manual_seed(self.seed + self.epoch)
            order = randperm(n, generator=g).tolist()
        else:
            order = list(range(n))
        if not self.drop_last:
            padding = self.total_size - len(order)
            if padding <= len(order):
                order += order[:padding]
            else:                                 # fewer samples than ranks: repeat whole
                order += (order * math.ceil(padding / len(order)))[:padding]
        else:
            order = order[:self.total_size]
        assert len(order) == self.total_size
        return iter(order[self.rank:self.total_size:self.num_replicas])

    def __len__(self):
        return self.num_samples

    def set_epoch(self, epoch):
        """The shuffle of the next iteration is drawn from ``seed + epoch``."""
        self.epoch = _int("epoch", epoch)
