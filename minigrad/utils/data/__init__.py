"""minigrad.utils.data: datasets, samplers and the DataLoader, as ``torch.utils.data``.

    from minigrad.utils.data import DataLoader, TensorDataset, random_split
    split_seed = mg.Generator().manual_seed(0)
    train, test = random_split(TensorDataset(X, y), [0.8, 0.2], generator=split_seed)
    for xb, yb in DataLoader(train, batch_size=64, shuffle=True):
        ...

Shuffles are reproducible from ``mg.manual_seed`` or a ``generator=``, but they are not the
orders torch draws for the same seed (a different generator). ``num_workers > 0`` loads in
this process (see dataloader.py).
"""
from .collate import default_collate, default_convert
from .dataloader import DataLoader, get_worker_info
from .dataset import (ChainDataset, ConcatDataset, Dataset, IterableDataset, Subset,
                      TensorDataset, random_split)
from .sampler import (BatchSampler, RandomSampler, Sampler, SequentialSampler,
                      SubsetRandomSampler, WeightedRandomSampler)

__all__ = ["Dataset", "IterableDataset", "TensorDataset", "Subset", "ConcatDataset",
           "ChainDataset", "random_split", "DataLoader", "get_worker_info", "default_collate",
           "default_convert", "Sampler", "SequentialSampler", "RandomSampler",
           "SubsetRandomSampler", "WeightedRandomSampler", "BatchSampler"]

# issue 17 (distributed): DistributedSampler, as torch.utils.data.DistributedSampler
from .distributed import DistributedSampler  # noqa: E402

__all__ += ["DistributedSampler"]
