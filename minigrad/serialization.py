"""``mg.save`` / ``mg.load``: tensors, state dicts and whole checkpoints, in a file format whose
loading runs no code (torch's own format is a pickle: loading one can run anything).

The format: a zip archive (entries stored, not compressed) holding

    data.json            the object's structure: one JSON document, described below
    tensors/<k>.npy      the array of tensor (or numpy array) k, in numpy's .npy format, read
                         back with ``numpy.load(allow_pickle=False)``
    pickles/<k>.pkl      only in a file saved with ``allow_pickle=True``: one object outside
                         the format, pickled (``mg.load`` refuses these unless
                         ``weights_only=False``)

``data.json`` is ``{"format": "minigrad.save", "version": 1, "object": NODE}``; a NODE is a
JSON object with one key, the type, whose value describes it:

    {"none": null}  {"bool": true}  {"int": 3}  {"str": "fc1.weight"}
    {"float": 0.1}  {"float": "inf"}  {"float": "-inf"}  {"float": "nan"}
    {"list": [NODE, ...]}   {"tuple": [NODE, ...]}
    {"dict": [[KEY, NODE], ...]}   {"ordered_dict": [[KEY, NODE], ...]}
    {"tensor": {"file": "tensors/0.npy", "dtype": "float32", "shape": [3, 2], "device": "cpu",
                "requires_grad": false, "parameter": false}}
    {"ndarray": {"file": "tensors/1.npy", "dtype": "float64", "shape": [3], "device": "cpu"}}
    {"numpy_scalar": {"dtype": "float32", "value": NODE}}
    {"pickle": "pickles/0.pkl"}

A dict is a list of [key, value] pairs whose keys are NODEs too, so an optimizer state dict's
integer keys come back as integers; a KEY may be None, a bool, int, float, str or a tuple of
them. Floats are written as Python's shortest repr, which reads back to the same double.

What round-trips: tensors (values bit for bit, dtype, shape, device, ``requires_grad``;
``nn.Parameter`` stays a Parameter; loaded as leaves, without ``.grad`` or graph, as torch),
numpy arrays (an optimizer's state buffers) and scalars, None, bool, int, float (inf and NaN
too), str, and lists, tuples, dicts and OrderedDicts of these: a module's ``state_dict()``, an
optimizer's, and a checkpoint dict holding both with an epoch and a loss. Anything else is a
TypeError naming its type and where it sits, at save time — unless ``allow_pickle=True``.

Shared storage: one tensor object that appears twice (tied weights) is stored once and loads
as one tensor; **different tensors that share memory (views of one array) are stored
separately and load as independent tensors** (torch keeps their storage shared).

Identical objects give identical files (the zip entries carry a fixed timestamp).
"""
import io
import json
import math
import os
import pickle
import zipfile
from collections import OrderedDict

import numpy as np

from .backend import get_backend, normalize_device
from .dtypes import tensor_dtype
from .nn.module import Parameter
from .tensor import Tensor

__all__ = ["save", "load"]

FORMAT, VERSION = "minigrad.save", 1
_ENTRY_TIME = (1980, 1, 1, 0, 0, 0)          # the zip format's earliest date: reproducible files
_KEY_TYPES = (type(None), bool, int, float, str)


def save(obj, f, *, allow_pickle=False):
    """Writes ``obj`` to ``f`` (a path or a writable binary file) in the format above.

    ``allow_pickle=True`` pickles the objects the format cannot hold (a whole Module, say);
    such a file is loaded only with ``mg.load(f, weights_only=False)``.
    """
    if isinstance(f, (str, os.PathLike)):
        with open(f, "wb") as file:
            return save(obj, file, allow_pickle=allow_pickle)
    with zipfile.ZipFile(f, "w", zipfile.ZIP_STORED) as archive:
        encoder = _Encoder(archive, allow_pickle)
        document = {"format": FORMAT, "version": VERSION, "object": encoder.node(obj, "obj")}
        _write(archive, "data.json", json.dumps(document, allow_nan=False).encode())


def load(f, map_location=None, *, weights_only=True):
    """Reads an object ``mg.save`` wrote to ``f`` (a path or a readable binary file).

    ``map_location``: None puts each tensor back on the device it was saved from; a device
    (``"cpu"``, ``"cuda"``, ``mg.device(...)``) puts every tensor there; a dict maps saved
    devices to devices (``{"cuda": "cpu"}``); a function ``fn(tensor, saved_device)`` gets each
    tensor loaded on the CPU and returns the tensor to use (``lambda storage, loc: storage``
    keeps it on the CPU).

    ``weights_only=True`` (the default, as torch's): pickled entries are refused with an
    ``UnpicklingError``, so loading runs no code. ``weights_only=False`` unpickles them: do this
    only with a file you trust.
    """
    if isinstance(f, (str, os.PathLike)):
        with open(f, "rb") as file:
            return load(file, map_location, weights_only=weights_only)
    if not (hasattr(f, "seekable") and f.seekable()):
        f = io.BytesIO(f.read())
    try:
        archive = zipfile.ZipFile(f)
    except zipfile.BadZipFile:
        raise ValueError("mg.load: this is not a file mg.save wrote (that is a zip archive "
                         "holding data.json); files written by torch.save or pickle are not "
                         "read") from None
    with archive:
        if "data.json" not in archive.namelist():
            raise ValueError("mg.load: this zip archive has no data.json; it is not a file "
                             "mg.save wrote")
        document = json.loads(archive.read("data.json"))
        if not isinstance(document, dict) or document.get("format") != FORMAT:
            raise ValueError("mg.load: data.json does not describe a minigrad.save file")
        if document.get("version") != VERSION:
            raise ValueError(f"mg.load: format version {document.get('version')!r}; this "
                             f"minigrad reads version {VERSION}")
        weights_only = True if weights_only is None else weights_only
        return _Decoder(archive, map_location, weights_only).node(document["object"])


def _write(archive, name, data):
    info = zipfile.ZipInfo(name, date_time=_ENTRY_TIME)
    with archive.open(info, "w", force_zip64=len(data) >= 2 ** 31) as entry:
        entry.write(data)


def _npy_bytes(array):
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


class _Encoder:
    """Turns an object into a NODE, writing its arrays (and, if allowed, pickles) as it goes."""

    def __init__(self, archive, allow_pickle):
        self.archive = archive
        self.allow_pickle = allow_pickle
        self.stored = {}        # id(tensor or array) -> (its node, the object: kept alive)
        self.open = set()       # ids of the containers being encoded (a cycle is an error)
        self.pickles = 0

    def node(self, obj, where):
        kind = type(obj)
        if obj is None:
            return {"none": None}
        if kind in (bool, int, str):
            return {kind.__name__: obj}
        if kind is float:
            return {"float": obj if math.isfinite(obj) else repr(obj)}
        if isinstance(obj, Tensor) and kind in (Tensor, Parameter):
            return self.array(obj, where)
        if kind is np.ndarray or (kind.__name__ == "ndarray" and
                                  kind.__module__.split(".")[0] == "cupy"):
            return self.array(obj, where)
        if isinstance(obj, (np.bool_, np.number)) and kind.__module__ == "numpy":
            return {"numpy_scalar": {"dtype": obj.dtype.name,
                                     "value": self.node(obj.item(), where)}}
        if kind in (list, tuple, dict, OrderedDict):
            if id(obj) in self.open:
                raise ValueError(f"mg.save: {where} contains itself (a circular reference)")
            self.open.add(id(obj))
            try:
                if kind in (list, tuple):
                    items = [self.node(v, f"{where}[{i}]") for i, v in enumerate(obj)]
                    return {kind.__name__: items}
                pairs = [[self.key(k, where), self.node(v, f"{where}[{k!r}]")]
                         for k, v in obj.items()]
                return {"dict" if kind is dict else "ordered_dict": pairs}
            finally:
                self.open.discard(id(obj))
        if self.allow_pickle:
            name = f"pickles/{self.pickles}.pkl"
            self.pickles += 1
            _write(self.archive, name, pickle.dumps(obj))
            return {"pickle": name}
        raise TypeError(f"mg.save: {where} is a {kind.__module__}.{kind.__qualname__}, which "
                        f"minigrad's format does not hold (tensors, numpy arrays, numbers, str, "
                        f"None and lists/tuples/dicts of them); save a state_dict() instead, "
                        f"or pass allow_pickle=True (the file then needs "
                        f"mg.load(..., weights_only=False), which runs code)")

    def key(self, key, where):
        parts = key if type(key) is tuple else (key,)
        if not all(type(p) in _KEY_TYPES for p in parts):
            raise TypeError(f"mg.save: a key of {where} is a {type(key).__name__} ({key!r}); "
                            f"keys may be None, bool, int, float, str or tuples of them")
        return self.node(key, where)

    def array(self, obj, where):
        """A tensor's or numpy array's node; its .npy is written once per object."""
        if id(obj) in self.stored:
            return self.stored[id(obj)][0]
        if obj.dtype.kind not in "biufc":
            raise TypeError(f"mg.save: {where} is a numpy array of dtype {obj.dtype}; the format "
                            f"holds arrays of numbers and bools only")
        name = f"tensors/{len(self.stored)}.npy"
        if isinstance(obj, Tensor):
            values, device = obj.numpy(), obj.device
        elif isinstance(obj, np.ndarray):
            values, device = obj, "cpu"
        else:                                           # a cupy array
            values, device = obj.get(), "cuda"
        _write(self.archive, name, _npy_bytes(values))
        meta = {"file": name, "dtype": values.dtype.name, "shape": list(values.shape),
                "device": str(device)}
        if isinstance(obj, Tensor):
            meta.update(requires_grad=obj.requires_grad, parameter=isinstance(obj, Parameter))
            node = {"tensor": meta}
        else:
            node = {"ndarray": meta}
        self.stored[id(obj)] = (node, obj)
        return node


class _Decoder:
    """Turns a NODE back into the object; reads arrays with allow_pickle=False."""

    def __init__(self, archive, map_location, weights_only):
        self.archive = archive
        self.map_location = map_location
        self.weights_only = weights_only
        self.loaded = {}        # file -> the object loaded from it (one object per stored one)

    def node(self, node):
        if not isinstance(node, dict) or len(node) != 1:
            raise ValueError(f"mg.load: malformed node {node!r} in data.json")
        (kind, value), = node.items()
        if kind == "none":
            return None
        if kind in ("bool", "int", "str"):
            return self._checked(value, {"bool": bool, "int": int, "str": str}[kind])
        if kind == "float":
            return float(value) if value in ("inf", "-inf", "nan") else \
                float(self._checked(value, (int, float)))
        if kind in ("list", "tuple"):
            items = [self.node(v) for v in self._checked(value, list)]
            return items if kind == "list" else tuple(items)
        if kind in ("dict", "ordered_dict"):
            pairs = [(self.node(k), self.node(v)) for k, v in self._checked(value, list)]
            return dict(pairs) if kind == "dict" else OrderedDict(pairs)
        if kind == "numpy_scalar":
            dtype = np.dtype(self._checked(value["dtype"], str))
            if dtype.kind not in "biufc":
                raise ValueError(f"mg.load: numpy scalar of dtype {dtype} in data.json")
            return dtype.type(self.node(value["value"]))
        if kind in ("tensor", "ndarray"):
            if value["file"] not in self.loaded:
                self.loaded[value["file"]] = self.array(kind, value)
            return self.loaded[value["file"]]
        if kind == "pickle":
            if self.weights_only:
                raise pickle.UnpicklingError(
                    "mg.load: the file holds pickled objects (it was saved with "
                    "allow_pickle=True); unpickling can run arbitrary code, so it is refused "
                    "with weights_only=True. Pass weights_only=False only for a file you trust.")
            return pickle.loads(self.archive.read(value))
        raise ValueError(f"mg.load: unknown node type {kind!r} in data.json")

    @staticmethod
    def _checked(value, types):
        if not isinstance(value, types) or (types is int and isinstance(value, bool)):
            raise ValueError(f"mg.load: malformed value {value!r} in data.json")
        return value

    def array(self, kind, meta):
        values = np.load(io.BytesIO(self.archive.read(meta["file"])), allow_pickle=False)
        if values.dtype.name != meta["dtype"] or list(values.shape) != meta["shape"]:
            raise ValueError(f"mg.load: {meta['file']} holds {values.dtype} {values.shape}, "
                             f"data.json says {meta['dtype']} {tuple(meta['shape'])}")
        if kind == "tensor":
            tensor_dtype(values.dtype)
        if callable(self.map_location):
            mapped = self.map_location(Tensor._wrap(values, "cpu"), meta["device"])
            if not isinstance(mapped, Tensor):
                raise TypeError(f"mg.load: map_location returned a {type(mapped).__name__}, "
                                f"not a Tensor")
            array, device = mapped.array, mapped.device
        else:
            device = self.device(meta["device"])
            array = values if device == "cpu" else get_backend(device).asarray(values,
                                                                               values.dtype)
        if kind == "ndarray":
            return array
        if meta.get("parameter"):
            return Parameter(Tensor._wrap(array, device), requires_grad=meta["requires_grad"])
        tensor = Tensor._wrap(array, device)
        tensor.requires_grad = meta["requires_grad"]
        return tensor

    def device(self, saved):
        """Where a tensor saved on ``saved`` goes, by ``map_location``."""
        target = self.map_location
        if isinstance(target, dict):
            target = {normalize_device(k): v for k, v in target.items()}.get(
                normalize_device(saved), saved)
        device = normalize_device(saved if target is None else target)
        if device != "cpu":
            try:
                get_backend(device)
            except Exception as exc:
                raise RuntimeError(f"mg.load: the file holds a tensor saved on {saved!r}, and "
                                   f"{device!r} is not available here ({exc}); pass "
                                   f"map_location='cpu' to load it onto the CPU") from None
        return device
