"""The optimizer base: param groups, per-parameter state, the step loop, state dicts.

Every optimizer follows torch.optim's arguments, defaults and update equations. What minigrad
adds is that an update is never a black box: a subclass writes ``_update(p, grad, state,
group)``, which builds the step of one parameter from NAMED terms in plain array code and
returns them as a dict ending in ``"update"``; the base adds ``update`` to the parameter::

    w ← w + terms["update"]

The stages most optimizers share (the signed gradient, coupled ``l2``, ``decoupled_decay``,
the final ``update``) are written once, in ``stages.py``.

``with mg.optim.trace(opt) as tr: opt.step()`` records those dicts (``tr[p]``). Four
optimizers (SGD, Adam/AdamW, RMSprop, Adagrad) also have a fused kernel that does the same
arithmetic in one pass over memory (``_fused_update``, with the step's numbers and flags in
one spec, ``minigrad/backend/specs.py``); it runs unless the optimizer is being traced or was
built with ``fused=False``, and tests check both give the same trajectory.

After every step, a parameter ``p`` with ``p.constraint`` (set by nn layers'
``weight_constraint=``) is projected: ``p.array[...] = p.constraint(p.array)``.
"""
import copy
import math
import numbers

from ..autograd import enable_grad
from ..autograd import zero_grad as _zero_grad
from ..backend import contiguous
from ..tensor import Tensor
from .stages import decoupled_decay_factor  # noqa: F401  (its home is stages.py)


class _Required:
    def __repr__(self):
        return "<required parameter>"


#: Marks a hyperparameter that has no default (ProxSGD's and FISTA's lr, as torch's SGD once).
required = _Required()


# ---- validation: ValueError naming the argument -------------------------------------------------

def _finite_number(name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or \
            not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")


def check_nonnegative(name, value):
    _finite_number(name, value)
    if value < 0:
        raise ValueError(f"{name} must be >= 0, got {value!r}")


def check_positive(name, value):
    _finite_number(name, value)
    if value <= 0:
        raise ValueError(f"{name} must be > 0, got {value!r}")


def check_unit_interval(name, value):
    """0 <= value < 1 (a beta, alpha, rho or momentum-like decay rate)."""
    _finite_number(name, value)
    if not 0.0 <= value < 1.0:
        raise ValueError(f"{name} must be in [0, 1), got {value!r}")


def check_betas(value, name="betas"):
    if not (isinstance(value, (tuple, list)) and len(value) == 2):
        raise ValueError(f"{name} must be a pair (beta1, beta2), got {value!r}")
    check_unit_interval(f"{name}[0]", value[0])
    check_unit_interval(f"{name}[1]", value[1])


def check_choice(name, value, choices):
    if value not in choices:
        raise ValueError(f"{name} must be one of {choices}, got {value!r}")


class Optimizer:
    """Base class: ``Optimizer(params, defaults)``.

    ``params`` is an iterable of tensors, or of ``(name, tensor)`` pairs (``named_parameters()``,
    as torch 2.x: the names are kept in the group's ``"param_names"`` and in ``state_dict()``),
    or of dicts ``{"params": [...], **overrides}`` (param groups, each filled in from
    ``defaults``). The group dicts are the caller's own, as in torch, and every step reads
    them afresh: ``for g in opt.param_groups: g["lr"] = 0.01`` changes the next step's lr
    (that is how the lr schedulers work). Subclasses implement ``_validate(group)``,
    ``_init_state(p, group)`` and ``_update(p, grad, state, group) -> terms``; optionally
    ``_fused_update(p, grad, state, group)``, which must change ``p.array`` and the state exactly
    as ``p.array + terms["update"]`` would.
    """

    def __init__(self, params, defaults):
        self.defaults = dict(defaults)
        self.state = {}          # id(p) -> dict (keyed by id: Tensor's == is elementwise)
        self.param_groups = []
        self._tracer = None
        if isinstance(params, Tensor):
            raise TypeError("params must be an iterable of Tensors or of dicts, got a Tensor "
                            "(wrap it in a list)")
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {v}" for k, v in sorted(group.items()) if k != "params"]
        return "\n".join(lines + [")"])

    # ---- param groups ----------------------------------------------------------------------
    def add_param_group(self, param_group):
        """Adds a group (a dict with "params" and any per-group overrides of the defaults),
        e.g. layers unfrozen while fine-tuning; the dict itself becomes the group, as torch."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, got {type(param_group).__name__}")
        group = param_group
        params = group.get("params")
        if params is None:
            raise ValueError("a param group needs a 'params' entry")
        if isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, "
                            "but the ordering of tensors in sets will change between runs. "
                            "Please use a list instead.")
        params = [params] if isinstance(params, Tensor) else list(params)
        names = [p[0] for p in params if isinstance(p, tuple)]  # from named_parameters()
        if names:
            if len(names) != len(params):
                raise ValueError("all optimizer params should be with/without names. Some "
                                 "param names are missing")
            params = [p[1] for p in params]
            group["param_names"] = names
        if any(("param_names" in g) != bool(names) for g in self.param_groups):
            raise ValueError("all optimizer param groups should be with/without names. cannot "
                             f"add param group {'with' if names else 'without'} names to the "
                             "optimizer")
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer params must be Tensors, got {type(p).__name__}")
            if not p.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor")
        if len({id(p) for p in params}) != len(params):
            raise ValueError("a param group contains the same parameter more than once")
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        group["params"] = params
        for name, default in self.defaults.items():
            if default is required and name not in group:
                raise ValueError(f"parameter group didn't specify a value of required "
                                 f"optimization parameter {name}")
            group.setdefault(name, default)
        for name, value in group.items():
            # numpy scalars become Python floats: under numpy 2's promotion rules a float64
            # scalar times a float32 parameter would silently give float64.
            if isinstance(value, numbers.Real) and type(value).__module__ == "numpy":
                group[name] = int(value) if isinstance(value, numbers.Integral) else float(value)
        self._validate(group)
        self.param_groups.append(group)

    def _validate(self, group):
        check_nonnegative("lr", group["lr"])

    # ---- the step ----------------------------------------------------------------------------
    def zero_grad(self, set_to_none=True):
        for group in self.param_groups:
            for p in group["params"]:
                _zero_grad(p, set_to_none)

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns ``closure()`` if given."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        tracer = self._tracer
        if tracer is not None:
            tracer._begin_step()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue        # as torch: a parameter without a gradient is skipped
                grad = p.grad.array
                state = self.state.get(id(p))
                if state is None:
                    state = self.state[id(p)] = self._init_state(p, group)
                if tracer is None and self._use_fused(group) and p.array.flags.c_contiguous:
                    # the kernels take flat C-contiguous arrays (they raise on anything else)
                    self._fused_update(p, contiguous(grad), state, group)
                else:
                    terms = self._update(p, grad, state, group)
                    p.array[...] = p.array + terms["update"]
                    if tracer is not None:
                        tracer._record(p, terms)
                constraint = getattr(p, "constraint", None)
                if constraint is not None:
                    p.array[...] = constraint(p.array)
                self._after_update(p, state, group)
        return loss

    def _after_update(self, p, state, group):
        """Hook for state that depends on the updated (and projected) parameter (ASGD's ax)."""

    def _use_fused(self, group):
        return type(self)._fused_update is not Optimizer._fused_update and \
            group.get("fused") is not False

    def _fused_update(self, p, grad, state, group):
        raise NotImplementedError

    def _init_state(self, p, group):
        return {}

    def _update(self, p, grad, state, group):
        raise NotImplementedError

    # ---- state dicts -----------------------------------------------------------------------
    def state_dict(self):
        """``{"optimizer": class name, "state": {index: {...}}, "param_groups": [...]}``.

        As torch's, parameters are replaced by their index in the order of the groups (and a
        group built from named_parameters() keeps its "param_names"); unlike torch's, arrays
        are copies, so later steps do not change a saved dict.
        """
        index = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            packed["params"] = []
            for p in group["params"]:
                index[id(p)] = len(index)
                packed["params"].append(index[id(p)])
            groups.append(packed)
        state = {index[pid]: {k: _copy(v) for k, v in s.items()}
                 for pid, s in self.state.items() if pid in index}
        return {"optimizer": type(self).__name__, "state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        kind = state_dict.get("optimizer") if isinstance(state_dict, dict) else None
        if kind is None:
            raise ValueError("not a minigrad.optim state dict (it has no 'optimizer' entry "
                             "naming the optimizer that saved it)")
        if kind != type(self).__name__:
            raise ValueError(f"this state dict was saved by a {kind} optimizer and cannot be "
                             f"loaded into a {type(self).__name__}: their state differs")
        saved = state_dict["param_groups"]
        if len(saved) != len(self.param_groups):
            raise ValueError(f"loaded state dict has {len(saved)} parameter groups, this "
                             f"optimizer has {len(self.param_groups)}")
        for g, s in zip(self.param_groups, saved):
            if len(g["params"]) != len(s["params"]):
                raise ValueError("loaded state dict contains a parameter group that doesn't "
                                 f"match the size of optimizer's group ({len(s['params'])} "
                                 f"vs {len(g['params'])} parameters)")
        params = {}
        for g, s in zip(self.param_groups, saved):
            params.update(zip(s["params"], g["params"]))
        state = {}
        for i, st in state_dict["state"].items():
            if i not in params:
                raise ValueError(f"loaded state dict has state for parameter index {i!r}, but its "
                                 f"parameter groups list only the indices {sorted(params)}")
            p = params[i]
            for k, v in st.items():
                # a buffer of the same size but another shape would be stepped on scrambled
                if hasattr(v, "shape") and len(v.shape) > 0 and tuple(v.shape) != tuple(p.shape):
                    raise ValueError(f"loaded state {k!r} of parameter {i} has shape "
                                     f"{tuple(v.shape)}, but the parameter has shape "
                                     f"{tuple(p.shape)}")
            state[id(p)] = {k: _copy(v, like=p) for k, v in st.items()}
        self.state = state
        # as torch: the saved hyperparameters, this optimizer's parameters, and its names
        # where the saved groups have none
        self.param_groups = [
            {**({"param_names": g["param_names"]} if "param_names" in g else {}),
             **copy.deepcopy({k: v for k, v in s.items() if k != "params"}),
             "params": g["params"]}
            for g, s in zip(self.param_groups, saved)]


def _copy(value, like=None):
    """A copy of a state entry; arrays go to ``like``'s device when given."""
    if hasattr(value, "shape") and hasattr(value, "dtype") and not isinstance(value, (int, float)):
        if like is not None:
            if hasattr(value, "get") and like.device == "cpu":
                value = value.get()          # cupy -> numpy
            return like.backend.xp.array(value, copy=True)
        return value.copy()
    return copy.deepcopy(value)
