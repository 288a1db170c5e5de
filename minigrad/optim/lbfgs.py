r"""L-BFGS, exactly torch.optim.LBFGS: the two-loop recursion, its history, the line search.

L-BFGS (Nocedal 1980; Liu & Nocedal 1989) is a quasi-Newton method: it steps along
``d = −H·g``, where H approximates the inverse Hessian from the last m changes of the
parameters and of the gradient, and never stores H. Every parameter is one flat vector x
(the parameters' elements concatenated in order) with gradient g. After a move
``x_{k+1} = x_k + t·d_k`` it keeps the curvature pair::

    s_k = x_{k+1} − x_k = t·d_k          (a step:             state "old_stps")
    y_k = g_{k+1} − g_k                  (the gradient change: state "old_dirs")
    ρ_k = 1 / (y_kᵀ s_k)                 (state "ro")

only if ``y_kᵀ s_k > 1e-10`` (curvature along s, which keeps H positive definite), and at
most ``history_size`` pairs, dropping the oldest. The BFGS update, applied to the starting
guess ``H⁰ = γ·I`` with ``γ = s_kᵀy_k / y_kᵀy_k`` (state "H_diag", the newest pair's scale),
once per stored pair from the oldest to the newest, is::

    H ← Vᵀ H V + ρ s sᵀ,        V = I − ρ y sᵀ

and ``two_loop_direction`` computes ``−H·g`` from the pairs in O(m·n) without forming any
matrix. The step length t is ``lr`` (the first iteration ever: ``min(1, 1/‖g‖₁)·lr``), or
with ``line_search_fn="strong_wolfe"`` a t that satisfies the strong Wolfe conditions
(``strong_wolfe``). One ``step(closure)`` runs up to ``max_iter`` such iterations and calls
the closure (which re-evaluates the loss and its gradient) up to ``max_eval`` times.

Differences from the other optimizers here, all as torch: LBFGS takes a closure, has one
parameter group, keeps one state for all parameters (stored under the first parameter, so a
state dict holds it at index 0), and has no weight decay: put a penalty into the closure's
loss. With ``mg.optim.trace(opt)`` every L-BFGS iteration is one traced step
(``tr.steps`` grows by the number of iterations of each ``step``), with the terms
``grad`` g_k, ``direction`` d_k, ``step_length`` t and ``update`` t·d_k of each parameter.
"""
import math
import numbers

import numpy as np

from ..autograd import enable_grad
from ..tensor import Tensor
from .optimizer import Optimizer, _copy, check_choice, check_nonnegative
from .stages import update

#: the values of ``line_search_fn`` (torch's)
LINE_SEARCHES = (None, "strong_wolfe")

#: the state keys, torch's (minigrad's state dict and torch's name the same things)
STATE_KEYS = ("func_evals", "n_iter", "d", "t", "old_dirs", "old_stps", "ro", "H_diag",
              "prev_flat_grad", "prev_loss", "al")


# ---- the direction: the two-loop recursion ---------------------------------------------------

def two_loop_direction(flat_grad, old_dirs, old_stps, ro, H_diag, al):
    r"""The quasi-Newton direction ``d = −H·g`` from the stored curvature pairs.

    With pairs (s_i, y_i, ρ_i), i = 0 (oldest) … m−1 (newest), and H⁰ = γ·I::

        q = −g
        for i = m−1 … 0:   α_i = ρ_i · s_iᵀ q;    q ← q − α_i · y_i      (newest first)
        r = γ · q
        for i = 0 … m−1:   β_i = ρ_i · y_iᵀ r;    r ← r + (α_i − β_i) · s_i
        d = r

    which is exactly ``−H·g`` for the H of m BFGS updates of γ·I (Nocedal & Wright,
    Algorithm 7.4). ``old_dirs`` holds the y_i, ``old_stps`` the s_i (torch's names); the α_i
    are written into ``al`` (torch keeps that scratch list in the state).
    """
    q = -flat_grad
    for i in range(len(old_dirs) - 1, -1, -1):
        al[i] = (old_stps[i] @ q) * ro[i]
        q -= al[i] * old_dirs[i]
    r = q * H_diag
    for i in range(len(old_dirs)):
        be_i = (old_dirs[i] @ r) * ro[i]
        r += (al[i] - be_i) * old_stps[i]
    return r


def remember_curvature(y, s, old_dirs, old_stps, ro, H_diag, history_size):
    r"""Adds the pair (s, y) to the history when it has curvature; returns the new γ.

    Only if ``yᵀs > 1e-10`` (otherwise the BFGS update would lose positive definiteness;
    the pair is skipped and γ kept): drop the oldest pair when ``history_size`` are stored,
    append (y, s, ρ = 1/yᵀs), and γ = yᵀs / yᵀy, the scale of H along the newest step.
    """
    ys = y @ s
    if ys > 1e-10:
        if len(old_dirs) == history_size:
            old_dirs.pop(0)
            old_stps.pop(0)
            ro.pop(0)
        old_dirs.append(y)
        old_stps.append(s)
        ro.append(1.0 / ys)
        H_diag = ys / (y @ y)
    return H_diag


# ---- the step length: a strong Wolfe line search ---------------------------------------------

def cubic_interpolate(x1, f1, g1, x2, f2, g2, bounds=None):
    r"""The minimiser of the cubic through (x1, f1) and (x2, f2) with slopes g1 and g2.

    (Nocedal & Wright eq. 3.59)::

        d1 = g1 + g2 − 3·(f1 − f2)/(x1 − x2)
        d2 = √(d1² − g1·g2)
        x  = x2 − (x2 − x1)·(g2 + d2 − d1)/(g2 − g1 + 2·d2)      (x1 <= x2; mirrored otherwise)

    clamped to ``bounds`` (default: between x1 and x2). If d1² < g1·g2 the cubic has no
    minimiser and the midpoint of the bounds is returned. torch's ``_cubic_interpolate``
    (from minFunc's polyinterp), operation for operation.
    """
    lo, hi = bounds if bounds is not None else ((x1, x2) if x1 <= x2 else (x2, x1))
    with np.errstate(divide="ignore", invalid="ignore"):   # torch gives inf/nan silently
        d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
        d2_square = d1 ** 2 - g1 * g2
        if d2_square >= 0:
            d2 = math.sqrt(d2_square)
            if x1 <= x2:
                min_pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
            else:
                min_pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
            return min(max(min_pos, lo), hi)
        return (lo + hi) / 2.0


class _Point:
    """A trial step length t with the loss f, flat gradient g and slope gᵀd found there."""
    __slots__ = ("t", "f", "g", "gtd")

    def __init__(self, t, f, g, gtd):
        self.t, self.f, self.g, self.gtd = t, f, g, gtd


def strong_wolfe(obj_func, x, t, d, f, g, gtd, c1=1e-4, c2=0.9, tolerance_change=1e-9,
                 max_ls=25):
    r"""A step length t along d satisfying the strong Wolfe conditions; torch's ``_strong_wolfe``.

    With φ(t) = loss(x + t·d), φ(0) = f, φ'(0) = gtd = gᵀd < 0, the conditions are::

        sufficient decrease (Armijo):   φ(t) <= f + c1·t·gtd
        curvature (strong):             |φ'(t)| <= −c2·gtd

    Nocedal & Wright's Algorithm 3.5/3.6 (from minFunc's lswolfe). Bracketing: try t; if it
    breaks Armijo (or is no better than the previous trial), or φ' turns non-negative, a
    minimiser lies between the previous trial and t; if it satisfies both conditions, done;
    otherwise extrapolate (a cubic step clamped to [t + 0.01·(t − t_prev), 10·t]). Zoom:
    shrink the bracket [low, high] (low: the lower φ) by cubic interpolation, kept at least
    a tenth of the bracket from its ends, until a point satisfies both conditions, the
    bracket is shorter than ``tolerance_change / max|d|``, or ``max_ls`` evaluations are
    spent. ``obj_func(x, t, d)`` returns (loss, flat gradient) at x + t·d.

    Returns (f, g, t, evaluations) of the best point found (the bracket's low end).
    """
    d_norm = abs(d).max()
    f_new, g_new = obj_func(x, t, d)
    evals = 1
    start = _Point(0, f, g, gtd)
    prev, new = start, _Point(t, f_new, g_new, g_new @ d)

    # bracketing phase
    done, ls_iter = False, 0
    while ls_iter < max_ls:
        if new.f > f + c1 * new.t * gtd or (ls_iter > 1 and new.f >= prev.f):
            bracket = [prev, new]
            break
        if abs(new.gtd) <= -c2 * gtd:
            bracket, done = [new], True
            break
        if new.gtd >= 0:
            bracket = [prev, new]
            break
        t = cubic_interpolate(prev.t, prev.f, prev.gtd, new.t, new.f, new.gtd,
                              bounds=(new.t + 0.01 * (new.t - prev.t), new.t * 10))
        f_new, g_new = obj_func(x, t, d)
        evals += 1
        prev, new = new, _Point(t, f_new, g_new, g_new @ d)
        ls_iter += 1
    if ls_iter == max_ls:                 # evaluations spent: between 0 and the last trial
        bracket = [start, new]

    # zoom phase
    low, high = (0, 1) if bracket[0].f <= bracket[-1].f else (1, 0)
    insufficient_progress = False
    while not done and ls_iter < max_ls:
        a, b = bracket
        if abs(b.t - a.t) * d_norm < tolerance_change:      # the bracket is too small
            break
        t = cubic_interpolate(a.t, a.f, a.gtd, b.t, b.f, b.gtd)
        # Keep t a tenth of the bracket away from its ends: once, when the cubic lands
        # close to an end, accept it but remember; if it does again (or lands on/out of an
        # end), move it to 0.1·|bracket| inside the nearer end.
        t_min, t_max = min(a.t, b.t), max(a.t, b.t)
        eps = 0.1 * (t_max - t_min)
        if min(t_max - t, t - t_min) < eps:
            if insufficient_progress or t >= t_max or t <= t_min:
                t = t_max - eps if abs(t - t_max) < abs(t - t_min) else t_min + eps
                insufficient_progress = False
            else:
                insufficient_progress = True
        else:
            insufficient_progress = False

        f_new, g_new = obj_func(x, t, d)
        evals += 1
        ls_iter += 1
        new = _Point(t, f_new, g_new, g_new @ d)
        if new.f > f + c1 * t * gtd or new.f >= bracket[low].f:
            bracket[high] = new                # Armijo fails, or no lower: the new high end
            low, high = (0, 1) if bracket[0].f <= bracket[1].f else (1, 0)
        else:
            if abs(new.gtd) <= -c2 * gtd:
                done = True                    # both Wolfe conditions hold
            elif new.gtd * (bracket[high].t - bracket[low].t) >= 0:
                bracket[high] = bracket[low]   # the minimiser is on the low end's other side
            bracket[low] = new                 # the new point is the new low end

    best = bracket[low]
    return best.f, best.g, best.t, evals


# ---- the optimizer -----------------------------------------------------------------------------

def _check_count(name, value, minimum=1):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")


class LBFGS(Optimizer):
    r"""L-BFGS with torch.optim.LBFGS's arguments, closure protocol, state and trajectory.

    ``LBFGS(params, lr=1, max_iter=20, max_eval=None, tolerance_grad=1e-7,
    tolerance_change=1e-9, history_size=100, line_search_fn=None)``; ``max_eval`` defaults
    to ``max_iter * 5 // 4``. ``step(closure)``: the closure clears the gradients,
    evaluates the loss, calls ``backward`` and returns the loss; ``step`` returns the FIRST
    loss (before any move). One ``step`` is (torch's loop)::

        f, g = closure()                      stop now if max|g| <= tolerance_grad
        repeat up to max_iter times:
            d = −g (first iteration ever) or two_loop_direction(g)  after remembering
                (s = t·d_prev, y = g − g_prev)
            t = min(1, 1/‖g‖₁)·lr (first iteration ever) or lr
            stop if gᵀd > −tolerance_change   (not a descent direction)
            strong_wolfe: t, f, g = line search from t;  x ← x + t·d
            None:         x ← x + t·d;  f, g = closure()  (skipped at the last iteration)
            stop if max_eval closure calls are spent, max|g| <= tolerance_grad,
                 max|t·d| <= tolerance_change, or |f − f_prev| < tolerance_change

    State (one dict, under the first parameter, torch's keys): ``func_evals`` and
    ``n_iter`` (closure calls and iterations over all steps), ``d`` and ``t`` (the last
    direction and step length), ``old_dirs`` y_i, ``old_stps`` s_i, ``ro`` ρ_i, ``H_diag``
    γ, ``prev_flat_grad``, ``prev_loss``, ``al`` (the two-loop's α_i). As torch, the line
    search's bracket tolerance is its own 1e-9 whatever ``tolerance_change`` is.

    Checked here where torch is silent or late: ``line_search_fn`` other than None or
    "strong_wolfe" (torch: at the first step), ``max_iter``/``max_eval``/``history_size``
    below 1, negative tolerances, a second parameter group (torch: also a ValueError in the
    constructor; ``add_param_group`` refuses too). A parameter with a ``constraint`` is
    projected once at the end of each ``step``; the iterations inside a step are
    unconstrained and the history is not corrected for the projection.
    """

    def __init__(self, params, lr=1, max_iter=20, max_eval=None, tolerance_grad=1e-7,
                 tolerance_change=1e-9, history_size=100, line_search_fn=None):
        if not isinstance(params, Tensor):
            params = list(params)
            n_groups = sum(isinstance(g, dict) for g in params)
            if n_groups > 1:
                raise ValueError("LBFGS doesn't support per-parameter options (parameter "
                                 f"groups): it takes one group, got {n_groups}")
        _check_count("max_iter", max_iter)
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        super().__init__(params, dict(
            lr=lr, max_iter=max_iter, max_eval=max_eval, tolerance_grad=tolerance_grad,
            tolerance_change=tolerance_change, history_size=history_size,
            line_search_fn=line_search_fn))

    def _validate(self, group):
        check_nonnegative("lr", group["lr"])
        _check_count("max_iter", group["max_iter"])
        _check_count("max_eval", group["max_eval"])
        check_nonnegative("tolerance_grad", group["tolerance_grad"])
        check_nonnegative("tolerance_change", group["tolerance_change"])
        _check_count("history_size", group["history_size"])
        check_choice("line_search_fn", group["line_search_fn"], LINE_SEARCHES)

    def add_param_group(self, param_group):
        if self.param_groups:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups): "
                             "it has its one group already")
        super().add_param_group(param_group)

    @property
    def _params(self):
        return self.param_groups[0]["params"]

    # ---- the parameters as one flat vector ---------------------------------------------------
    def _gather_flat_grad(self):
        """g: every parameter's gradient flattened and concatenated (zeros where none)."""
        xp = self._params[0].backend.xp
        return xp.concatenate([
            p.grad.array.reshape(-1) if p.grad is not None else xp.zeros(p.numel(), p.dtype)
            for p in self._params])

    def _slices(self, flat):
        """``flat`` cut back into one view per parameter, shaped like it."""
        offset = 0
        for p in self._params:
            n = p.numel()
            yield p, flat[offset:offset + n].reshape(p.shape)
            offset += n

    def _add_grad(self, t, d):
        """x ← x + t·d (torch's name: it adds the scaled direction to every parameter)."""
        for p, d_p in self._slices(d):
            p.array[...] = p.array + t * d_p

    def _evaluate(self, closure):
        """(loss as a float, the loss as returned, flat gradient) from one closure call."""
        with enable_grad():
            loss = closure()
        return float(loss), loss, self._gather_flat_grad()

    def _directional_evaluate(self, closure, x, t, d):
        """(loss, flat gradient) at x + t·d; the parameters are put back to x afterwards."""
        self._add_grad(t, d)
        loss, _, flat_grad = self._evaluate(closure)
        for p, x_p in zip(self._params, x):
            p.array[...] = x_p
        return loss, flat_grad

    def _trace_iteration(self, tracer, flat_grad, d, t):
        """One traced step per L-BFGS iteration: each parameter's g, d, t and t·d."""
        tracer._begin_step()
        for (p, g_p), (_, d_p) in zip(self._slices(flat_grad), self._slices(d)):
            terms = {"grad": g_p, "direction": d_p, "step_length": t}
            tracer._record(p, update(t * d_p, terms))

    # ---- the step ---------------------------------------------------------------------------
    def step(self, closure=None):
        """Up to ``max_iter`` L-BFGS iterations; returns the closure's first loss."""
        if not callable(closure):
            raise TypeError("LBFGS.step needs a closure that clears the gradients, evaluates "
                            f"the loss, calls backward and returns the loss; got {closure!r}")
        group = self.param_groups[0]
        lr, max_iter, max_eval = group["lr"], group["max_iter"], group["max_eval"]
        tolerance_grad, tolerance_change = group["tolerance_grad"], group["tolerance_change"]
        line_search_fn, history_size = group["line_search_fn"], group["history_size"]
        tracer = self._tracer

        state = self.state.setdefault(id(self._params[0]), {})
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        loss, orig_loss, flat_grad = self._evaluate(closure)
        current_evals = 1
        state["func_evals"] += 1
        opt_cond = abs(flat_grad).max() <= tolerance_grad
        if opt_cond:
            return orig_loss              # already stationary: not a single move

        d, t = state.get("d"), state.get("t")
        old_dirs, old_stps, ro = state.get("old_dirs"), state.get("old_stps"), state.get("ro")
        H_diag = state.get("H_diag")
        prev_flat_grad, prev_loss = state.get("prev_flat_grad"), state.get("prev_loss")

        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1

            # the direction d
            if state["n_iter"] == 1:
                d = -flat_grad            # steepest descent: no history yet
                old_dirs, old_stps, ro, H_diag = [], [], [], 1
            else:
                H_diag = remember_curvature(flat_grad - prev_flat_grad, d * t, old_dirs,
                                            old_stps, ro, H_diag, history_size)
                al = state.setdefault("al", [None] * history_size)
                d = two_loop_direction(flat_grad, old_dirs, old_stps, ro, H_diag, al)
            if prev_flat_grad is None:
                prev_flat_grad = flat_grad.copy()
            else:
                prev_flat_grad[...] = flat_grad
            prev_loss = loss

            # the step length t
            if state["n_iter"] == 1:
                t = min(1.0, 1.0 / abs(flat_grad).sum()) * lr
            else:
                t = lr
            gtd = flat_grad @ d           # the slope along d
            if gtd > -tolerance_change:
                break                     # d is no (noticeable) descent direction

            grad_here = flat_grad
            evals = 0
            if line_search_fn == "strong_wolfe":
                x_init = [p.array.copy() for p in self._params]
                loss, flat_grad, t, evals = strong_wolfe(
                    lambda x, t, d: self._directional_evaluate(closure, x, t, d),
                    x_init, t, d, loss, flat_grad, gtd, max_ls=max_eval - current_evals)
                self._add_grad(t, d)
                opt_cond = abs(flat_grad).max() <= tolerance_grad
            else:
                self._add_grad(t, d)      # a fixed step t = lr
                if n_iter != max_iter:    # as torch: no evaluation after the last move
                    loss, _, flat_grad = self._evaluate(closure)
                    opt_cond = abs(flat_grad).max() <= tolerance_grad
                    evals = 1
            if tracer is not None:
                self._trace_iteration(tracer, grad_here, d, t)
            current_evals += evals
            state["func_evals"] += evals

            # the stopping tests
            if n_iter == max_iter or current_evals >= max_eval or opt_cond:
                break
            if abs(d * t).max() <= tolerance_change:
                break                     # the step no longer moves the parameters
            if abs(loss - prev_loss) < tolerance_change:
                break                     # the loss no longer changes

        state.update(d=d, t=t, old_dirs=old_dirs, old_stps=old_stps, ro=ro, H_diag=H_diag,
                     prev_flat_grad=prev_flat_grad, prev_loss=prev_loss)
        for p in self._params:
            constraint = getattr(p, "constraint", None)
            if constraint is not None:
                p.array[...] = constraint(p.array)
        return orig_loss

    # ---- state dicts ---------------------------------------------------------------------
    def load_state_dict(self, state_dict):
        """As the base's, but the state is one flat history, kept under parameter 0: its
        vectors (``d``, ``prev_flat_grad``, each y_i and s_i) must have as many elements as
        all the parameters together; arrays and scalars go to the parameters' device."""
        if not isinstance(state_dict, dict):
            return super().load_state_dict(state_dict)     # raises, naming what it got
        saved = state_dict.get("state", {})
        first = self._params[0]
        numel = sum(p.numel() for p in self._params)
        state = {}
        for index, st in saved.items():
            if index != 0:
                raise ValueError("an LBFGS state dict keeps its state under parameter 0, got "
                                 f"state for parameter {index!r}")
            for key, value in st.items():
                if key not in STATE_KEYS:
                    raise ValueError(f"loaded LBFGS state has the key {key!r}; an LBFGS state "
                                     f"has only {STATE_KEYS}")
                if key in ("d", "prev_flat_grad", "old_dirs", "old_stps") and value is not None:
                    for v in (value if isinstance(value, list) else [value]):
                        if tuple(v.shape) != (numel,):
                            raise ValueError(f"loaded LBFGS state {key!r} has a vector of shape "
                                             f"{tuple(v.shape)}, but the parameters have "
                                             f"{numel} elements together")
                if isinstance(value, list):
                    state[key] = [_to_device(v, first) for v in value]
                else:
                    state[key] = _to_device(value, first)
        super().load_state_dict({**state_dict, "state": {}})
        if state:
            self.state[id(first)] = state


def _to_device(value, like):
    """A copy of one state entry on ``like``'s device; a 0-d array stays a scalar."""
    if not hasattr(value, "shape") or isinstance(value, (int, float)):
        return _copy(value)
    array = _copy(value, like=like)
    return array[()] if array.ndim == 0 and like.device == "cpu" else array
