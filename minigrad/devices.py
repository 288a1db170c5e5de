"""Devices as torch spells them: ``device("cpu")``, ``device("cuda")``, ``device("cuda:0")``,
``device("cuda", 0)``, and the device tensors are made on when none is given
(``set_default_device`` / ``get_default_device``). (The module is "devices" so that the class
``minigrad.device`` does not shadow it.)

A ``device`` is a ``str`` whose value is the device *type*, ``"cpu"`` or ``"cuda"``: the name
minigrad's backends go by (``backend.get_backend``), which the package passes around as
``t._device``. So a device object goes wherever a device string went, at no cost on the hot
path (comparing and hashing it is comparing and hashing the string), and ``x.device == "cpu"``
is True. (torch's devices never equal a string: there ``x.device == "cpu"`` is False, and
programs write ``x.device.type == "cpu"``, which works here too.)

Beside the type a device keeps torch's ``index``: None when not given, 0 for the GPU a tensor
is on. ``str()`` and ``repr()`` print as torch's (``cuda:0``, ``device(type='cuda', index=0)``).
minigrad drives one GPU, so ``cuda:1`` is refused, and ``device("cuda")`` equals
``device("cuda:0")`` (torch: not equal, the index differs).
"""
import numbers

__all__ = ["device", "set_default_device", "get_default_device"]

DEVICE_TYPES = ("cpu", "cuda")


class device(str):  # noqa: N801  (torch's name)
    """A device: ``device("cpu")``, ``device("cuda")``, ``device("cuda:0")``, ``device("cuda", 0)``,
    ``device(type="cuda", index=0)``; also ``device(0)`` (cuda:0) and ``device(other_device)``.

    ``.type`` is "cpu" or "cuda", ``.index`` None or 0. As a str it is its type (see the module
    docstring).
    """

    def __new__(cls, type, index=None):  # noqa: A002  (torch's argument name)
        kind, index = parse_device(type, index)
        self = str.__new__(cls, kind)
        self._index = index
        return self

    @property
    def type(self):
        return str.__str__(self)

    @property
    def index(self):
        return self._index

    def __str__(self):
        return self.type if self._index is None else f"{self.type}:{self._index}"

    def __format__(self, spec):
        return format(str(self), spec)

    def __repr__(self):
        index = "" if self._index is None else f", index={self._index}"
        return f"device(type='{self.type}'{index})"

    def __reduce__(self):  # pickle/copy: rebuilt from type and index
        return (device, (self.type, self._index))


def parse_device(spec, index=None):
    """``(type, index)`` of a device written as torch writes it; a ValueError for anything else.

    ``spec`` is "cpu", "cuda", "cuda:0", "cpu:0", an int (a GPU index, as ``torch.device(0)``) or
    a device object (minigrad's or one with a ``.type``, as torch's); "gpu" means "cuda".
    """
    if isinstance(spec, device):
        if index is not None:
            raise ValueError(f"device({spec!r}, {index!r}): the device already has its index")
        return spec.type, spec.index
    if isinstance(spec, numbers.Integral) and not isinstance(spec, bool) and index is None:
        spec, index = "cuda", spec
    elif not isinstance(spec, str) and isinstance(getattr(spec, "type", None), str):
        spec = str(spec)   # another library's device object, e.g. a torch.device
    if not isinstance(spec, str):
        raise TypeError(f"a device is a string such as 'cpu' or 'cuda:0' (or a device), got "
                        f"{type(spec).__name__} {spec!r}")
    kind, sep, written_index = spec.strip().lower().partition(":")
    kind = "cuda" if kind == "gpu" else kind
    if sep:
        if index is not None:
            raise ValueError(f"device {spec!r} already names its index; got index={index!r} too")
        if not written_index.isdigit():
            raise ValueError(f"invalid device string {spec!r}: expected e.g. 'cuda:0'")
        index = int(written_index)
    if kind not in DEVICE_TYPES:
        raise ValueError(f"unknown device {spec!r}: expected 'cpu' or 'cuda' (or 'cuda:0')")
    if index is not None:
        if not isinstance(index, numbers.Integral) or isinstance(index, bool) or index < 0:
            raise ValueError(f"device index must be a non-negative integer, got {index!r}")
        if index != 0:
            raise ValueError(f"device {kind}:{index}: minigrad drives one {kind} device, index 0")
        index = int(index)
    return kind, index


# The devices tensors report (Tensor.device), by the backend name kept in t._device: torch's
# cpu tensors are on device(type='cpu'), its GPU tensors on device(type='cuda', index=0).
TENSOR_DEVICES = {"cpu": device("cpu"), "cuda": device("cuda", 0)}

_default_device = "cpu"   # a backend name; backend.normalize_device(None) returns it


def set_default_device(device_spec):
    """The device tensors are made on when no ``device=`` is given (torch's
    ``set_default_device``); None puts back "cpu". Checked at once: a ValueError names a bad
    spelling (whether the device is present is checked when a tensor is made there)."""
    global _default_device
    _default_device = "cpu" if device_spec is None else parse_device(device_spec)[0]


def get_default_device():
    """The device tensors are made on when no ``device=`` is given (torch's)."""
    return TENSOR_DEVICES[_default_device]
