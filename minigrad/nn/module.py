"""Module, Parameter and the containers, with torch.nn's names and meanings.

A Module owns Parameters (tensors an optimizer updates), buffers (state that is saved but not
trained, e.g. BatchNorm's running mean) and sub-modules, all found by attribute assignment:
``self.weight = Parameter(...)`` registers a parameter, ``self.fc = Linear(...)`` a child.
Names are dotted paths exactly as torch prints them (``0.weight``, ``features.0.bias``).

Penalty and constraint hooks (used by minigrad.penalties / minigrad.constraints and the
optimizers): a Parameter has ``constraint`` (None, or a callable array → array, applied by the
optimizers after each step as ``p.data[...] = p.constraint(p.data)``); a layer may have
``weight_penalty``, ``bias_penalty`` (callables Tensor → scalar Tensor) and
``activity_penalty`` (applied to the layer's most recent output); ``Module.penalty()`` sums
them all, differentiably.
"""
from collections import OrderedDict

import numpy as np

from .. import creation
from .._conversion import cuda_device as _cuda_device
from .._conversion import to_args as _to_args
from .._conversion import type_target as _type_target
from ..autograd import zero_grad as _zero_grad
from ..dtypes import float16, float32, float64, tensor_dtype
from ..tensor import Tensor


class Parameter(Tensor):
    """A Tensor that is a module's trainable parameter: requires_grad=True unless told otherwise.

    ``constraint`` (None by default): a projection array → array that optimizers apply after
    each update.
    """

    def __init__(self, data=None, requires_grad=True):
        if data is None:
            data = creation.empty(0)
        source = data if isinstance(data, Tensor) else creation.tensor(data)
        self._init(source.data, source.device, requires_grad)
        self.constraint = None

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()


class Module:
    """Base class of every layer: subclasses set attributes in __init__ and define forward."""

    def __init__(self):
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "training", True)

    # ---- registration by attribute assignment ----------------------------------------------
    def __setattr__(self, name, value):
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"{type(self).__name__}.__init__ must call super().__init__() "
                                 "before assigning attributes")
        for registry in (self._parameters, self._buffers, self._modules):
            registry.pop(name, None)
        if isinstance(value, Parameter):
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._modules[name] = value
        elif name in self.__dict__.get("_buffer_names", ()):
            self._buffers[name] = value
        object.__setattr__(self, name, value)

    def __delattr__(self, name):
        for registry in (self._parameters, self._buffers, self._modules):
            registry.pop(name, None)
        object.__delattr__(self, name)

    def register_buffer(self, name, tensor):
        """State saved in state_dict() but not trained (None allowed, as torch)."""
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"buffer {name!r} must be a Tensor or None, got "
                            f"{type(tensor).__name__}")
        names = self.__dict__.setdefault("_buffer_names", set())
        names.add(name)
        setattr(self, name, tensor)

    def register_parameter(self, name, param):
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"parameter {name!r} must be a Parameter or None, got "
                            f"{type(param).__name__}")
        if param is None:
            object.__setattr__(self, name, None)
            self._parameters[name] = None
        else:
            setattr(self, name, param)

    def add_module(self, name, module):
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{name!r} is not a Module: {type(module).__name__}")
        if module is None:
            self._modules[name] = None
            object.__setattr__(self, name, None)
        else:
            setattr(self, name, module)

    # ---- calling ---------------------------------------------------------------------------
    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} has no forward()")

    def __call__(self, *args, **kwargs):
        out = self.forward(*args, **kwargs)
        if getattr(self, "activity_penalty", None) is not None:
            object.__setattr__(self, "last_output", out)  # for penalty(): the latest output
        return out

    # ---- traversal -------------------------------------------------------------------------
    def named_modules(self, memo=None, prefix=""):
        memo = set() if memo is None else memo
        if id(self) in memo:
            return
        memo.add(id(self))
        yield prefix, self
        for name, module in self._modules.items():
            if module is not None:
                yield from module.named_modules(memo, f"{prefix}.{name}" if prefix else name)

    def modules(self):
        for _, m in self.named_modules():
            yield m

    def named_children(self):
        for name, m in self._modules.items():
            if m is not None:
                yield name, m

    def children(self):
        for _, m in self.named_children():
            yield m

    def named_parameters(self, prefix="", recurse=True):
        """(dotted name, Parameter) pairs; a parameter shared by two layers is listed once."""
        seen = set()
        modules = self.named_modules(prefix=prefix) if recurse else [(prefix, self)]
        for mod_prefix, module in modules:
            for name, p in module._parameters.items():
                if p is None or id(p) in seen:
                    continue
                seen.add(id(p))
                yield (f"{mod_prefix}.{name}" if mod_prefix else name), p

    def parameters(self, recurse=True):
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix=""):
        for mod_prefix, module in self.named_modules(prefix=prefix):
            for name, b in module._buffers.items():
                if b is not None:
                    yield (f"{mod_prefix}.{name}" if mod_prefix else name), b

    def buffers(self):
        for _, b in self.named_buffers():
            yield b

    # ---- modes and gradients ---------------------------------------------------------------
    def train(self, mode=True):
        if not isinstance(mode, bool):
            raise TypeError(f"train(mode) takes a bool, got {type(mode).__name__}")
        for m in self.modules():
            object.__setattr__(m, "training", mode)
        return self

    def eval(self):
        return self.train(False)

    def zero_grad(self, set_to_none=True):
        """Clears every parameter's .grad (None, as torch ≥ 2.0, or zeros)."""
        for p in self.parameters():
            _zero_grad(p, set_to_none)

    def requires_grad_(self, requires_grad=True):
        for p in self.parameters():
            p.requires_grad = requires_grad
        return self

    def apply(self, fn):
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    # ---- conversion: moving and casting parameters and buffers in place --------------------
    def to(self, *args, **kwargs):
        """``to(device)``, ``to(dtype)``, ``to(device, dtype)``, ``to(tensor)``, as torch's: every
        parameter (its .grad too) and buffer is converted in place, so an optimizer built before
        still holds the model's parameters. A dtype must be a float dtype and casts only the
        float tensors (an integer buffer such as a step count keeps its dtype)."""
        device, dtype, copy = _to_args(args, kwargs)
        if copy:
            raise TypeError("Module.to converts in place: it takes no copy=")
        if dtype is not None and dtype.kind != "f":
            raise TypeError(f"Module.to takes a floating-point dtype, got {dtype}")
        return _convert_in_place(self, device, dtype, floats_only=True)

    def cpu(self):
        return _convert_in_place(self, "cpu", None)

    def cuda(self, device=None):
        return _convert_in_place(self, _cuda_device(device), None)

    def float(self):
        return _convert_in_place(self, None, float32)

    def double(self):
        return _convert_in_place(self, None, float64)

    def half(self):
        return _convert_in_place(self, None, tensor_dtype(float16))  # TypeError: no float16

    def type(self, dst_type):
        """Casts every parameter and buffer, integer ones too, as torch's Module.type."""
        device, dtype = _type_target(dst_type)
        return _convert_in_place(self, device, dtype, floats_only=False)

    # ---- penalties -------------------------------------------------------------------------
    def penalty(self):
        """Σ over every sub-module of weight_penalty(weight) + bias_penalty(bias) +
        activity_penalty(its latest output): a differentiable 0-d tensor (0 if none is set)."""
        total = None
        for module in self.modules():
            for slot, attr in (("weight_penalty", "weight"), ("bias_penalty", "bias")):
                fn = getattr(module, slot, None)
                param = getattr(module, attr, None)
                if fn is not None and param is not None:
                    total = fn(param) if total is None else total + fn(param)
            fn = getattr(module, "activity_penalty", None)
            if fn is not None:
                out = getattr(module, "last_output", None)
                if out is None:
                    raise RuntimeError(f"{type(module).__name__} has an activity_penalty but has "
                                       "not been called yet: run a forward pass before penalty()")
                total = fn(out) if total is None else total + fn(out)
        if total is None:
            first = next(self.parameters(), None)
            dtype = first.dtype if first is not None else None
            device = first.device if first is not None else "cpu"
            return creation.zeros((), dtype=dtype, device=device)
        return total

    # ---- state -----------------------------------------------------------------------------
    def state_dict(self):
        """Ordered {dotted name: tensor} of every parameter and buffer (detached, not copied)."""
        state = OrderedDict()
        for mod_prefix, module in self.named_modules():
            for registry in (module._parameters, module._buffers):
                for name, t in registry.items():
                    if t is not None:
                        state[f"{mod_prefix}.{name}" if mod_prefix else name] = t.detach()
        return state

    def load_state_dict(self, state_dict, strict=True):
        """Copies values into the parameters and buffers by name. With strict=True a missing or
        unexpected key is a KeyError naming it; a wrong shape is always a ValueError."""
        own = OrderedDict()
        for mod_prefix, module in self.named_modules():
            for registry in (module._parameters, module._buffers):
                for name, t in registry.items():
                    if t is not None:
                        own[f"{mod_prefix}.{name}" if mod_prefix else name] = t
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        if strict and (missing or unexpected):
            raise KeyError(f"load_state_dict for {type(self).__name__}: missing keys {missing}, "
                           f"unexpected keys {unexpected}")
        for key, t in own.items():
            if key not in state_dict:
                continue
            value = state_dict[key]
            array = value.numpy() if isinstance(value, Tensor) else np.asarray(value)
            if tuple(array.shape) != tuple(t.shape):
                raise ValueError(f"load_state_dict: {key!r} has shape {tuple(array.shape)} in "
                                 f"the state dict but {tuple(t.shape)} in the model")
            t.data[...] = t.backend.asarray(array.astype(t.dtype, copy=False), t.dtype)
        return missing, unexpected

    # ---- printing --------------------------------------------------------------------------
    def extra_repr(self):
        return ""

    def __repr__(self):
        lines = [f"({name}): " + _indent(repr(m)) for name, m in self._modules.items()]
        head = f"{type(self).__name__}({self.extra_repr()}"
        if not lines:
            return head + ")"
        return head + "\n  " + "\n  ".join(lines) + "\n)"


def _indent(text):
    return text.replace("\n", "\n  ")


def _convert_in_place(root, device, dtype, floats_only=True):
    """Moves ``root``'s parameters, their grads and its buffers to ``device`` and casts them to
    ``dtype`` (None: unchanged; with ``floats_only``, float tensors only), keeping each tensor
    object and replacing its array, as torch's ``param.data = fn(param)`` does."""
    for module in root.modules():
        params = [p for p in module._parameters.values() if p is not None]
        buffers = [b for b in module._buffers.values() if b is not None]
        for t in params + [p.grad for p in params if p.grad is not None] + buffers:
            cast = dtype if dtype is not None and (t.dtype.kind == "f" or not floats_only) else None
            if t.requires_grad and cast is not None and cast.kind != "f":
                raise RuntimeError(f"cannot cast a parameter that requires grad to {cast}")
            converted = t.detach().to(device, cast)
            if converted.data is not t.data:
                t.data, t._device, t._versions = converted.data, converted._device, None
    return root


class Sequential(Module):
    """Calls its modules in order; indexable (``model[0]``, slices give a Sequential)."""

    def __init__(self, *modules):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], OrderedDict):
            for name, m in modules[0].items():
                self.add_module(name, m)
        else:
            for i, m in enumerate(modules):
                if not isinstance(m, Module):
                    raise TypeError(f"Sequential takes Modules, got {type(m).__name__} at "
                                    f"position {i}")
                self.add_module(str(i), m)

    def forward(self, x):
        for m in self._modules.values():
            x = m(x)
        return x

    def __getitem__(self, index):
        items = list(self._modules.items())
        if isinstance(index, slice):
            return Sequential(OrderedDict(items[index]))
        try:
            return items[index][1]
        except IndexError:
            raise IndexError(f"index {index} is out of range for a Sequential of "
                             f"{len(items)} modules") from None

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def append(self, module):
        self.add_module(str(len(self)), module)
        return self


class ModuleList(Module):
    """A list of modules whose parameters are registered (names ``0``, ``1``, ...)."""

    def __init__(self, modules=None):
        super().__init__()
        for m in modules or []:
            self.append(m)

    def append(self, module):
        if not isinstance(module, Module):
            raise TypeError(f"ModuleList holds Modules, got {type(module).__name__}")
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules):
        for m in modules:
            self.append(m)
        return self

    def __getitem__(self, index):
        values = list(self._modules.values())
        if isinstance(index, slice):
            return ModuleList(values[index])
        return values[index]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())


class Identity(Module):
    """y = x"""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, x):
        return x


class Flatten(Module):
    """x.flatten(start_dim, end_dim); torch's defaults keep the batch axis (start_dim=1)."""

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x):
        return x.flatten(self.start_dim, self.end_dim)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"
