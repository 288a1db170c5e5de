"""Datasets, as ``torch.utils.data.dataset``.

A map-style ``Dataset`` answers ``len(ds)`` and ``ds[i]`` (the DataLoader asks for the indices
its sampler draws); an ``IterableDataset`` is only iterated (a stream: the DataLoader batches
what it yields, in order). ``TensorDataset`` serves rows of tensors that share their first
dimension; ``Subset``, ``ConcatDataset`` and ``random_split`` select and join datasets.
"""
import bisect
import math
import numbers
import warnings

from ...creation import randperm
from ...tensor import Tensor

__all__ = ["Dataset", "IterableDataset", "TensorDataset", "Subset", "ConcatDataset",
           "ChainDataset", "random_split"]


class Dataset:
    """A map-style dataset: subclasses define ``__getitem__(index)`` and ``__len__()``.

    (No default ``__len__``, as in torch: a dataset that cannot say its length leaves it out.)
    ``a + b`` is ``ConcatDataset([a, b])``.
    """

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__(index)")

    def __add__(self, other):
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """A dataset that is iterated (subclasses define ``__iter__``); ``a + b`` chains two."""

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __iter__()")

    def __add__(self, other):
        return ChainDataset([self, other])


class TensorDataset(Dataset):
    """Sample ``i`` is ``tuple(t[i] for t in tensors)``: tensors that share their first dimension
    (features and targets, say). A mismatch is a ValueError naming the sizes (torch: an
    AssertionError)."""

    def __init__(self, *tensors):
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        for position, t in enumerate(tensors):
            if not isinstance(t, Tensor):
                raise TypeError(f"TensorDataset: argument {position} is a {type(t).__name__}, "
                                "not a Tensor (convert it with mg.tensor or mg.from_numpy)")
            if t.ndim == 0:
                raise ValueError(f"TensorDataset: argument {position} is a 0-d tensor; each "
                                 "tensor needs a first dimension to index samples by")
        sizes = [t.shape[0] for t in tensors]
        if len(set(sizes)) != 1:
            raise ValueError(f"TensorDataset: the tensors' first dimensions differ: {sizes} "
                             f"(shapes {[tuple(t.shape) for t in tensors]})")
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self):
        return self.tensors[0].shape[0]


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order: ``Subset(ds, idx)[i]`` is
    ``ds[idx[i]]``."""

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, index):
        if isinstance(index, list):
            return self.dataset[[self.indices[i] for i in index]]
        return self.dataset[self.indices[index]]

    def __len__(self):
        return len(self.indices)


class ConcatDataset(Dataset):
    """Map-style datasets one after another: index ``i`` falls in the dataset whose cumulative
    size first exceeds it."""

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset needs at least one dataset")
        for d in self.datasets:
            if isinstance(d, IterableDataset):
                raise TypeError("ConcatDataset does not take an IterableDataset (chain "
                                "iterable datasets with ChainDataset or +)")
        self.cumulative_sizes = self.cumsum(self.datasets)

    @staticmethod
    def cumsum(datasets):
        sizes, total = [], 0
        for d in datasets:
            total += len(d)
            sizes.append(total)
        return sizes

    def __len__(self):
        return self.cumulative_sizes[-1]

    def __getitem__(self, index):
        if not -len(self) <= index < len(self):
            raise IndexError(f"index {index} is out of range for a ConcatDataset of "
                             f"{len(self)} samples")
        if index < 0:
            index += len(self)
        which = bisect.bisect_right(self.cumulative_sizes, index)
        start = self.cumulative_sizes[which - 1] if which > 0 else 0
        return self.datasets[which][index - start]


class ChainDataset(IterableDataset):
    """Iterable datasets one after another (``len`` is the sum of theirs, where they have one)."""

    def __init__(self, datasets):
        self.datasets = datasets

    def __iter__(self):
        for d in self.datasets:
            if not isinstance(d, IterableDataset):
                raise TypeError(f"ChainDataset only chains IterableDatasets, got "
                                f"{type(d).__name__}")
            yield from d

    def __len__(self):
        return sum(len(d) for d in self.datasets)


def random_split(dataset, lengths, generator=None):
    """Splits ``dataset`` into non-overlapping ``Subset``s of the given lengths, from one random
    permutation drawn from ``generator`` (None: the default generator).

    ``lengths`` are sizes summing to ``len(dataset)``, or fractions summing to 1; fractions
    become ``floor(fraction · len)`` each, and the remainder is handed out one by one to the
    splits in order (round robin), as torch. The permutation is not torch's for the same seed.
    """
    lengths = list(lengths)
    n = len(dataset)
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        for position, fraction in enumerate(lengths):
            if not 0 <= fraction <= 1:
                raise ValueError(f"random_split: fraction {fraction} at index {position} is "
                                 "not between 0 and 1")
        sizes = [math.floor(n * fraction) for fraction in lengths]
        for i in range(n - sum(sizes)):
            sizes[i % len(sizes)] += 1
        for position, size in enumerate(sizes):
            if size == 0:
                warnings.warn(f"random_split: the split at index {position} is empty",
                              stacklevel=2)
        lengths = sizes
    for position, size in enumerate(lengths):
        if isinstance(size, bool) or not isinstance(size, numbers.Integral) or size < 0:
            raise ValueError(f"random_split: lengths must be non-negative integers or fractions "
                             f"summing to 1, got {size!r} at index {position}")
    if sum(lengths) != n:
        raise ValueError(f"random_split: the lengths {lengths} sum to {sum(lengths)}, but the "
                         f"dataset has {n} samples")
    order = randperm(n, generator=generator).tolist()
    splits, start = [], 0
    for size in lengths:
        splits.append(Subset(dataset, order[start:start + size]))
        start += size
    return splits
