"""How a DataLoader turns a list of samples into one batch (``default_collate``) and, without
batching, how it converts each sample (``default_convert``): torch's rules, element by element.

==========================  ==============================================================
a sample's element          the batch's element (``default_collate``)
==========================  ==============================================================
Tensor                      the tensors stacked along a new first axis (same shape needed)
numpy array                 a tensor of the arrays stacked (str/bytes/object arrays refused)
numpy scalar                a 1-d tensor of the scalars, in their dtype
Python float                a float64 tensor (torch's rule, whatever the default dtype)
Python int / bool           an int64 / bool tensor
str / bytes                 the samples' values unchanged (a list, or a tuple inside a tuple)
mapping (dict, ...)         a mapping of the same type, each key collated
named tuple                 the same named tuple, each field collated
tuple / list                transposed: field i of every sample collated (a tuple gives a list)
==========================  ==============================================================

Anything else is a TypeError naming its type. Samples whose sequences differ in length, or
whose tensors/arrays differ in shape, are a ValueError (torch raises RuntimeError for these).
"""
import collections.abc
import copy

import numpy as np

from ...creation import from_numpy, tensor
from ...dtypes import float64
from ...ops import stack
from ...tensor import Tensor

__all__ = ["default_collate", "default_convert"]

_UNSUPPORTED_ARRAY_KINDS = "SUOV"    # bytes, str, object and structured arrays


def default_collate(batch):
    """Merges a list of samples into a batch (the table in this module's docstring)."""
    if len(batch) == 0:
        raise ValueError("default_collate needs at least one sample")
    elem = batch[0]
    if isinstance(elem, Tensor):
        return stack(batch, 0)
    if isinstance(elem, np.ndarray):
        if elem.dtype.kind in _UNSUPPORTED_ARRAY_KINDS:
            raise TypeError(f"default_collate: numpy arrays of dtype {elem.dtype} cannot become "
                            "tensors")
        shapes = {b.shape for b in batch}
        if len(shapes) != 1:
            raise ValueError(f"default_collate: numpy arrays of different shapes {sorted(shapes)}")
        return from_numpy(np.stack(batch))
    if isinstance(elem, (np.bool_, np.number)):
        return from_numpy(np.array(batch))
    if isinstance(elem, float):
        return tensor(batch, dtype=float64)
    if isinstance(elem, int):          # bool included: a bool tensor
        return tensor(batch)
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        return _same_mapping(elem, {key: default_collate([d[key] for d in batch])
                                    for key in elem})
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):          # a named tuple
        return type(elem)(*(default_collate(field) for field in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        lengths = {len(sample) for sample in batch}
        if len(lengths) != 1:
            raise ValueError(f"default_collate: samples are sequences of different lengths "
                             f"{sorted(lengths)}")
        fields = [default_collate(field) for field in zip(*batch)]    # tuples, as torch
        return fields if isinstance(elem, tuple) else _same_sequence(elem, fields)
    raise TypeError(f"default_collate: a batch must hold tensors, numpy arrays, numbers, "
                    f"strings, dicts or lists; found {type(elem).__name__}")


def default_convert(data):
    """One sample as the DataLoader returns it without batching (``batch_size=None``): numpy
    arrays and scalars become tensors, containers are converted inside, the rest is unchanged."""
    if isinstance(data, Tensor):
        return data
    if isinstance(data, np.ndarray):
        return data if data.dtype.kind in _UNSUPPORTED_ARRAY_KINDS else from_numpy(data)
    if isinstance(data, (np.bool_, np.number)):
        return from_numpy(np.asarray(data))
    if isinstance(data, collections.abc.Mapping):
        return _same_mapping(data, {key: default_convert(data[key]) for key in data})
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        return _same_sequence(data, [default_convert(d) for d in data])
    return data


def _same_mapping(like, items):
    """``items`` in a mapping of ``like``'s type where that type allows it (as torch)."""
    try:
        if isinstance(like, collections.abc.MutableMapping):
            clone = copy.copy(like)       # keeps a subclass's extra attributes
            clone.update(items)
            return clone
        return type(like)(items)
    except TypeError:
        return items


def _same_sequence(like, values):
    """``values`` in a sequence of ``like``'s type where that type allows it (as torch)."""
    try:
        if isinstance(like, collections.abc.MutableSequence):
            clone = copy.copy(like)
            for i, value in enumerate(values):
                clone[i] = value
            return clone
        return type(like)(values)
    except TypeError:
        return values
