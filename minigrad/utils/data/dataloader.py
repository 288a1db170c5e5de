"""DataLoader, as ``torch.utils.data.DataLoader``: iterates over a dataset in batches.

Each ``for batch in loader`` is an epoch: the sampler gives the order (a fresh shuffle per
epoch with ``shuffle=True``), the batch sampler cuts it into lists of indices, the dataset is
read at those indices, and ``collate_fn`` merges the samples into one batch
(``default_collate``: tensors stacked, numbers made tensors, tuples and dicts kept).

**Difference from torch:** ``num_workers > 0`` is accepted and the data is still loaded in
this process, in the same order (so ``get_worker_info()`` is None and ``worker_init_fn`` is
not called: there are no workers). minigrad's datasets are in-memory arrays whose batches cost
one numpy gather; worker processes would add the cost of starting processes and pickling
every batch back, and they would need torch's per-worker seeding to stay reproducible.
``pin_memory`` is accepted and does nothing (page-locked host memory only speeds up torch's
asynchronous copies to a GPU).

A ``TensorDataset`` collated by ``default_collate`` is batched with one indexing per tensor,
``t[indices]``, instead of one per sample and a stack: the same tensors (a test checks it), a
batch in one step.
"""
import itertools
import math
import numbers

import numpy as np

from .collate import default_collate, default_convert
from .dataset import IterableDataset, TensorDataset
from .sampler import BatchSampler, RandomSampler, SequentialSampler

__all__ = ["DataLoader", "get_worker_info"]


def get_worker_info():
    """None: minigrad loads data in the calling process (as torch in its main process)."""
    return None


class DataLoader:
    """Batches of ``dataset``: ``batch_size`` samples each (None: one sample at a time, not
    batched), in order or shuffled (``shuffle``; ``generator`` for the shuffle's randomness),
    or in the order of a ``sampler`` / ``batch_sampler`` of your own. ``len(loader)`` is the
    number of batches; the loader can be iterated any number of times.

    The arguments and the checks between them are torch's; see the module docstring for
    ``num_workers`` and ``pin_memory``.
    """

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None,
                 num_workers=0, collate_fn=None, pin_memory=False, drop_last=False, timeout=0,
                 worker_init_fn=None, multiprocessing_context=None, generator=None, *,
                 prefetch_factor=None, persistent_workers=False, pin_memory_device="",
                 in_order=True):
        if isinstance(num_workers, bool) or not isinstance(num_workers, numbers.Integral) \
                or num_workers < 0:
            raise ValueError(f"num_workers must be a non-negative integer, got {num_workers!r}")
        if timeout < 0:
            raise ValueError(f"timeout must be non-negative, got {timeout!r}")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor goes with num_workers > 0 only")
        if num_workers == 0 and persistent_workers:
            raise ValueError("persistent_workers goes with num_workers > 0 only")
        if num_workers == 0 and multiprocessing_context is not None:
            raise ValueError("multiprocessing_context goes with num_workers > 0 only")
        if isinstance(dataset, IterableDataset):
            if shuffle not in (False, None):
                raise ValueError(f"DataLoader with an IterableDataset cannot shuffle (it is "
                                 f"read in its own order), got shuffle={shuffle!r}")
            if sampler is not None or batch_sampler is not None:
                raise ValueError("DataLoader with an IterableDataset takes no sampler or "
                                 "batch_sampler (it is read in its own order)")
        if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(
                batch_size, numbers.Integral) or batch_size <= 0):
            raise ValueError(f"batch_size must be a positive integer or None, got "
                             f"batch_size={batch_size!r}")
        shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("sampler and shuffle=True are mutually exclusive (the sampler "
                             "decides the order)")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler is mutually exclusive with batch_size, "
                                 "shuffle, sampler and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None (no batching) and drop_last=True are mutually "
                             "exclusive")
        if sampler is None and not isinstance(dataset, IterableDataset):
            sampler = (RandomSampler(dataset, generator=generator) if shuffle
                       else SequentialSampler(dataset))
        if batch_size is not None and batch_sampler is None and sampler is not None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.dataset = dataset
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.num_workers = num_workers
        self.collate_fn = collate_fn if collate_fn is not None else (
            default_convert if batch_size is None and batch_sampler is None else default_collate)
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.generator = generator
        self.prefetch_factor = prefetch_factor
        self.persistent_workers = persistent_workers
        self.in_order = in_order

    def __iter__(self):
        if isinstance(self.dataset, IterableDataset):
            yield from self._iterate_stream()
        elif self.batch_sampler is None:          # batch_size=None: sample by sample
            for index in self.sampler:
                yield self.collate_fn(self.dataset[index])
        else:
            for indices in self.batch_sampler:
                yield self._fetch(indices)

    def _fetch(self, indices):
        """The batch of the samples at ``indices``."""
        if type(self.dataset) is TensorDataset and self.collate_fn is default_collate:
            rows = np.asarray(indices, dtype=np.int64)
            return [t[rows] for t in self.dataset.tensors]     # = stacking t[i] for each i
        getitems = getattr(self.dataset, "__getitems__", None)
        samples = getitems(indices) if getitems else [self.dataset[i] for i in indices]
        return self.collate_fn(samples)

    def _iterate_stream(self):
        samples = iter(self.dataset)
        if self.batch_size is None:
            for sample in samples:
                yield self.collate_fn(sample)
            return
        batch = list(itertools.islice(samples, self.batch_size))
        while batch and not (self.drop_last and len(batch) < self.batch_size):
            yield self.collate_fn(batch)
            batch = list(itertools.islice(samples, self.batch_size))

    def __len__(self):
        if isinstance(self.dataset, IterableDataset):
            n = len(self.dataset)        # a TypeError if the stream has no length, as torch
            if self.batch_size is None:
                return n
            return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)
        if self.batch_sampler is not None:
            return len(self.batch_sampler)
        return len(self.sampler)
