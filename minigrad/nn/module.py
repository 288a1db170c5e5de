"""Module and Parameter, with torch.nn's names and meanings (the containers are in container.py).

A Module owns Parameters (tensors an optimizer updates), buffers (state that is saved but not
trained, e.g. BatchNorm's running mean) and sub-modules. Each lives in one ordered registry,
``_parameters``, ``_buffers`` or ``_modules``, exactly as in torch, and attribute assignment
decides which:

    self.w = Parameter(...)       → _parameters["w"]   (a Tensor that is not a Parameter, or
    self.fc = Linear(...)         → _modules["fc"]      anything else, is a plain attribute)
    self.register_buffer("b", t)  → _buffers["b"]       (later ``self.b = t2`` replaces it)

Reading ``self.w`` finds it there (``__getattr__``, consulted only when normal lookup fails),
so the registries are the single truth that ``parameters()``, ``state_dict()``, ``to()`` and
the containers' renumbering all see. Assigning a non-Parameter to a registered parameter's
name (other than None) is a TypeError, as torch; so is a non-Module for a child's name.
Names are dotted paths exactly as torch prints them (``0.weight``, ``features.0.bias``).

Penalty and constraint hooks (used by minigrad.penalties / minigrad.constraints and the
optimizers): a Parameter has ``constraint`` (None, or a callable array → array, applied by the
optimizers after each step as ``p.array[...] = p.constraint(p.array)``); a layer may have
``weight_penalty``, ``bias_penalty`` (callables Tensor → scalar Tensor) and
``activity_penalty`` (applied to the layer's most recent output); ``Module.penalty()`` sums
them all, differentiably.
"""
from collections import OrderedDict, namedtuple
from collections.abc import Mapping

import numpy as np

from .. import creation
from .._conversion import cuda_device as _cuda_device
from .._conversion import to_args as _to_args
from .._conversion import type_target as _type_target
from ..autograd import zero_grad as _zero_grad
from ..dtypes import float16, float32, float64, tensor_dtype
from ..tensor import Tensor
from . import _module_hooks
from ._module_hooks import (_global_backward_hooks, _global_backward_pre_hooks,
                            _global_forward_hooks, _global_forward_pre_hooks)


class Parameter(Tensor):
    """A Tensor that is a module's trainable parameter: requires_grad=True unless told otherwise.

    ``constraint`` (None by default): a projection array → array that optimizers apply after
    each update.
    """

    def __init__(self, data=None, requires_grad=True):
        if data is None:
            data = creation.empty(0)
        source = data if isinstance(data, Tensor) else creation.tensor(data)
        self._init(source.array, source.device, requires_grad)
        self.constraint = None

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()


class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What ``load_state_dict`` returns (torch's named tuple): the keys the model has and the
    state dict lacks, and the keys the state dict has and the model lacks."""

    __slots__ = ()

    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


class Module:
    """Base class of every layer: subclasses set attributes in __init__ and define forward."""

    def __init__(self):
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent_buffers_set", set())
        object.__setattr__(self, "_modules", OrderedDict())

    # ---- registration by attribute assignment (torch's rules) ------------------------------
    def __setattr__(self, name, value):
        params = self.__dict__.get("_parameters")
        if isinstance(value, Parameter):
            self._require_init("parameters")
            self._forget(name, keep=self._parameters)  # a replaced parameter keeps its place
            self.register_parameter(name, value)
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(f"cannot assign '{type(value).__name__}' as parameter "
                                f"'{name}' (Parameter or None expected)")
            self.register_parameter(name, value)
        elif isinstance(value, Module):
            self._require_init("module")
            self._forget(name, keep=self._modules)
            self._modules[name] = value
        elif params is not None and name in self._modules:
            if value is not None:
                raise TypeError(f"cannot assign '{type(value).__name__}' as child module "
                                f"'{name}' (Module or None expected)")
            self._modules[name] = None
        elif params is not None and name in self._buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign '{type(value).__name__}' as buffer '{name}' "
                                "(Tensor or None expected)")
            self._buffers[name] = value
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name):
        # only reached when normal lookup fails: parameters, buffers and children live in the
        # registries, not in __dict__ (read through self.__dict__: during unpickling and
        # copy.deepcopy the registries do not exist yet)
        d = self.__dict__
        for registry in ("_parameters", "_buffers", "_modules"):
            if registry in d and name in d[registry]:
                return d[registry][name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        if name in self._parameters:
            del self._parameters[name]
        elif name in self._buffers:
            del self._buffers[name]
            self._non_persistent_buffers_set.discard(name)
        elif name in self._modules:
            del self._modules[name]
        else:
            object.__delattr__(self, name)

    def __dir__(self):
        names = list(super().__dir__()) + list(self._parameters) + list(self._modules) + \
            list(self._buffers)
        return sorted(n for n in set(names) if not n[0].isdigit())

    def _require_init(self, what):
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"cannot assign {what} before Module.__init__() call: "
                                 f"{type(self).__name__}.__init__ must call "
                                 "super().__init__() first")

    def _forget(self, name, keep):
        """Drops ``name`` from the plain attributes and every registry but ``keep``."""
        self.__dict__.pop(name, None)
        for registry in (self._parameters, self._buffers, self._modules):
            if registry is not keep:
                registry.pop(name, None)
        self._non_persistent_buffers_set.discard(name)

    def _check_new_name(self, name, kind):
        """torch's checks of a registered name; a plain instance attribute of that name is
        replaced (torch raises KeyError 'attribute already exists'; minigrad's Linear sets
        ``self.bias = None`` before registering it)."""
        if not isinstance(name, str):
            raise TypeError(f"{kind} name should be a string, got {type(name).__name__}")
        if "." in name:
            raise KeyError(f"{kind} name can't contain \".\", got: {name!r}")
        if name == "":
            raise KeyError(f"{kind} name can't be empty string \"\"")
        if hasattr(type(self), name) or any(name in registry for registry in
                                             (self._parameters, self._buffers, self._modules)):
            raise KeyError(f"attribute '{name}' already exists (in {type(self).__name__})")
        self.__dict__.pop(name, None)

    def register_buffer(self, name, tensor, persistent=True):
        """State that is not trained: saved in state_dict() unless ``persistent=False``, moved
        by to(); None is allowed (then neither happens), as torch."""
        if "_buffers" not in self.__dict__:
            raise AttributeError("cannot assign buffer before Module.__init__() call")
        if name not in self._buffers:
            self._check_new_name(name, "buffer")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{type(tensor).__name__}' object to buffer "
                            f"'{name}' (Tensor or None required)")
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def register_parameter(self, name, param):
        """Adds a Parameter (or None: a slot that parameters() and state_dict() skip)."""
        self._require_init("parameter")
        if name not in self._parameters:
            self._check_new_name(name, "parameter")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign '{type(param).__name__}' object to parameter "
                            f"'{name}' (Parameter or None required)")
        self._parameters[name] = param

    def add_module(self, name, module):
        """Adds a child module (or None) under ``name``, as ``self.name = module`` would."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        self._require_init("module")
        if name not in self._modules:
            self._check_new_name(name, "module")
        self._modules[name] = module

    def register_module(self, name, module):
        """Alias of add_module."""
        self.add_module(name, module)

    def get_submodule(self, target):
        """The module at the dotted path ``target`` ("" is self), e.g. ``"features.0"``."""
        module = self
        for item in target.split(".") if target else []:
            if not hasattr(module, item):
                raise AttributeError(f"{type(module).__name__} has no attribute `{item}`")
            module = getattr(module, item)
            if not isinstance(module, Module):
                raise AttributeError(f"`{item}` is not an nn.Module")
        return module

    def get_parameter(self, target):
        """The parameter at the dotted path ``target``, e.g. ``"features.0.weight"``."""
        path, _, name = target.rpartition(".")
        module = self.get_submodule(path)
        if name not in module._parameters:
            raise AttributeError(f"{type(module).__name__} has no parameter `{name}`")
        return module._parameters[name]

    def get_buffer(self, target):
        """The buffer at the dotted path ``target``, e.g. ``"bn.running_mean"``."""
        path, _, name = target.rpartition(".")
        module = self.get_submodule(path)
        if name not in module._buffers:
            raise AttributeError(f"{type(module).__name__} has no buffer `{name}`")
        return module._buffers[name]

    # ---- calling ---------------------------------------------------------------------------
    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} has no forward()")

    _has_hooks = False  # set on a module's first hook registration (_module_hooks.py)
    activity_penalty = None  # a layer that takes one sets its own (nn/_layer.py); read per call
    parameter_penalties = None  # {parameter name: penalty} beyond weight/bias (apply_penalty)

    def __call__(self, *args, **kwargs):
        if self._has_hooks or _global_forward_pre_hooks or _global_forward_hooks or \
                _global_backward_hooks or _global_backward_pre_hooks:
            return _module_hooks.call_with_hooks(self, self._forward_and_record, args, kwargs)
        out = self.forward(*args, **kwargs)  # the plain path, as _forward_and_record
        if getattr(self, "activity_penalty", None) is not None:
            object.__setattr__(self, "last_output", out)  # for penalty(): the latest output
        return out

    def _forward_and_record(self, *args, **kwargs):
        out = self.forward(*args, **kwargs)
        if getattr(self, "activity_penalty", None) is not None:
            object.__setattr__(self, "last_output", out)  # for penalty(): the latest output
        return out

    # ---- hooks (torch's; the machinery is in _module_hooks.py) -------------------------------
    def register_forward_pre_hook(self, hook, *, prepend=False, with_kwargs=False):
        """hook(module, args) → None or new args; with_kwargs: hook(module, args, kwargs) →
        None or (args, kwargs). Runs before forward. Returns a RemovableHandle."""
        return _module_hooks.register_forward_pre_hook(self, hook, prepend, with_kwargs)

    def register_forward_hook(self, hook, *, prepend=False, with_kwargs=False,
                              always_call=False):
        """hook(module, args, output) → None or a new output (with_kwargs: hook(module, args,
        kwargs, output)); always_call: also when forward raised."""
        return _module_hooks.register_forward_hook(self, hook, prepend, with_kwargs,
                                                   always_call)

    def register_full_backward_pre_hook(self, hook, *, prepend=False):
        """hook(module, grad_output) → None or a new grad_output, before grad_input is made."""
        return _module_hooks.register_full_backward_pre_hook(self, hook, prepend)

    def register_full_backward_hook(self, hook, *, prepend=False):
        """hook(module, grad_input, grad_output) → None or a new grad_input: gradients with
        respect to the positional tensor inputs and to the outputs of one call."""
        return _module_hooks.register_full_backward_hook(self, hook, prepend)

    # ---- traversal: every walk skips None slots; duplicates are listed once ------------------
    def named_modules(self, memo=None, prefix="", remove_duplicate=True):
        """(dotted name, module) for self and every descendant, depth first, as torch."""
        memo = set() if memo is None else memo
        if id(self) in memo:
            return
        if remove_duplicate:
            memo.add(id(self))
        yield prefix, self
        for name, module in self._modules.items():
            if module is not None:
                yield from module.named_modules(memo, f"{prefix}.{name}" if prefix else name,
                                                remove_duplicate)

    def modules(self, remove_duplicate=True):
        for _, m in self.named_modules(remove_duplicate=remove_duplicate):
            yield m

    def named_children(self):
        seen = set()
        for name, m in self._modules.items():
            if m is not None and id(m) not in seen:
                seen.add(id(m))
                yield name, m

    def children(self):
        for _, m in self.named_children():
            yield m

    def _named_members(self, registry, prefix, recurse, remove_duplicate):
        """(dotted name, tensor) of one registry over self (and descendants if ``recurse``);
        a tensor shared by two modules (tied weights) is listed once unless told otherwise."""
        seen = set()
        modules = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) \
            if recurse else [(prefix, self)]
        for mod_prefix, module in modules:
            for name, t in getattr(module, registry).items():
                if t is None or id(t) in seen:
                    continue
                if remove_duplicate:
                    seen.add(id(t))
                yield (f"{mod_prefix}.{name}" if mod_prefix else name), t

    def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
        """(dotted name, Parameter) pairs; a parameter shared by two layers is listed once."""
        yield from self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse=True):
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix="", recurse=True, remove_duplicate=True):
        yield from self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse=True):
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    # ---- modes and gradients ---------------------------------------------------------------
    def train(self, mode=True):
        """Sets ``training`` on self and, through each child's own train(), its descendants."""
        if not isinstance(mode, bool):
            raise ValueError(f"training mode is expected to be boolean, got {mode!r}")
        self.training = mode
        for m in self.children():
            m.train(mode)
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
        """Σ over every sub-module of weight_penalty(weight) + bias_penalty(bias) + each
        ``parameter_penalties[name](parameter)`` (a dict, for parameters not named weight or
        bias: an RNN's weight_ih_l0) + activity_penalty(its latest output): a differentiable
        0-d tensor (0 if none is set)."""
        total = None
        for module in self.modules():
            slots = [(getattr(module, "weight_penalty", None), "weight"),
                     (getattr(module, "bias_penalty", None), "bias")]
            slots += [(fn, name) for name, fn in (module.parameter_penalties or {}).items()]
            for fn, attr in slots:
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
    def _save_to_state_dict(self, destination, prefix, keep_vars):
        """This module's own parameters and persistent buffers (not its children's)."""
        for name, p in self._parameters.items():
            if p is not None:
                destination[prefix + name] = p if keep_vars else p.detach()
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = b if keep_vars else b.detach()

    def state_dict(self, destination=None, prefix="", keep_vars=False):
        """Ordered {dotted name: tensor} of every parameter and persistent buffer (detached,
        not copied). As torch, a module (or tensor) reachable under two names appears under
        both: the keys mirror the attribute paths, so a tied weight is saved twice."""
        if destination is None:
            destination = OrderedDict()
        self._save_to_state_dict(destination, prefix, keep_vars)
        for name, module in self._modules.items():
            if module is not None:
                module.state_dict(destination=destination, prefix=f"{prefix}{name}.",
                                  keep_vars=keep_vars)
        return destination

    def load_state_dict(self, state_dict, strict=True, assign=False):
        """Copies values into the parameters and persistent buffers by name (torch's rules).

        Returns ``(missing_keys, unexpected_keys)`` as a named tuple. With ``strict=True`` a
        missing or unexpected key is an error; a wrong shape always is. All problems are
        gathered into one RuntimeError, as torch. Values may be Tensors or numpy arrays and
        are cast to the model's dtype; ``assign=True`` makes the loaded tensors the model's
        (keeping each parameter's requires_grad) instead of copying into them.
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
        missing, unexpected, errors = [], [], []
        self._load(dict(state_dict), "", assign, missing, unexpected, errors)
        if strict:
            if unexpected:
                errors.insert(0, "Unexpected key(s) in state_dict: " +
                              ", ".join(f'"{k}"' for k in unexpected) + ". ")
            if missing:
                errors.insert(0, "Missing key(s) in state_dict: " +
                              ", ".join(f'"{k}"' for k in missing) + ". ")
        if errors:
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}:"
                               "\n\t" + "\n\t".join(errors))
        return _IncompatibleKeys(missing, unexpected)

    def _load(self, state_dict, prefix, assign, missing, unexpected, errors):
        own = [(name, t) for registry, skip in ((self._parameters, ()),
                                                 (self._buffers, self._non_persistent_buffers_set))
               for name, t in registry.items() if t is not None and name not in skip]
        for name, t in own:
            key = prefix + name
            if key not in state_dict:
                missing.append(key)
                continue
            value = state_dict[key]
            array = value.numpy() if isinstance(value, Tensor) else np.asarray(value)
            if t.ndim == 0 and array.shape == (1,):  # torch's allowance for old 0-d saves
                array = array.reshape(())
            if tuple(array.shape) != tuple(t.shape):
                errors.append(f"size mismatch for {key}: copying a param with shape "
                              f"{tuple(array.shape)} from checkpoint, the shape in current "
                              f"model is {tuple(t.shape)}.")
                continue
            data = t.backend.asarray(array.astype(t.dtype, copy=False), t.dtype)
            if not assign:
                t.array[...] = data
            elif name in self._parameters:
                setattr(self, name, Parameter(Tensor._wrap(data.copy(), t.device),
                                              requires_grad=t.requires_grad))
            else:
                self._buffers[name] = Tensor._wrap(data.copy(), t.device)
        names = {name for name, _ in own}
        for key in state_dict:
            if not key.startswith(prefix):
                continue
            head, dot, _ = key[len(prefix):].partition(".")
            if (head not in self._modules) if dot else (head not in names):
                unexpected.append(key)
        for name, child in self._modules.items():
            if child is not None:
                child_prefix = f"{prefix}{name}."
                child._load({k: v for k, v in state_dict.items() if k.startswith(child_prefix)},
                            child_prefix, assign, missing, unexpected, errors)

    # ---- printing (torch's layout: one line, or one indented line per extra and child) -------
    def _get_name(self):
        return type(self).__name__

    def extra_repr(self):
        """The text inside the parentheses (e.g. ``in_features=3, out_features=4``)."""
        return ""

    def __repr__(self):
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [f"({name}): " + _indent(repr(m)) for name, m in self._modules.items()]
        head = self._get_name() + "("
        if len(extra_lines) == 1 and not child_lines:
            return head + extra_lines[0] + ")"
        if not extra_lines and not child_lines:
            return head + ")"
        return head + "\n  " + "\n  ".join(extra_lines + child_lines) + "\n)"


def _indent(text):
    return text.replace("\n", "\n  ")


def _convert_in_place(root, device, dtype, floats_only=True):
    """Moves ``root``'s parameters, their grads and its buffers to ``device`` and casts them to
    ``dtype`` (None: unchanged; with ``floats_only``, float tensors only), keeping each tensor
    object and replacing its array, as torch's ``param.array = fn(param)`` does."""
    for module in root.modules():
        params = [p for p in module._parameters.values() if p is not None]
        buffers = [b for b in module._buffers.values() if b is not None]
        for t in params + [p.grad for p in params if p.grad is not None] + buffers:
            cast = dtype if dtype is not None and (t.dtype.kind == "f" or not floats_only) else None
            if t.requires_grad and cast is not None and cast.kind != "f":
                raise RuntimeError(f"cannot cast a parameter that requires grad to {cast}")
            converted = t.detach().to(device, cast)
            if converted.array is not t.array:
                t.array, t._device, t._versions = converted.array, converted._device, None
    return root


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
