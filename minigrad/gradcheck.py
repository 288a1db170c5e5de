"""Gradient checking: analytical Jacobians (the backward passes) against central differences.

``gradcheck(fn, inputs)`` compares, for every output o and every input i that requires grad,

    J_analytical[o, i]   row by row: backward of a one-hot output gradient
    J_numerical[o, i]    column by column: (f(x + eps·e_k) − f(x − eps·e_k)) / (2·eps)

element by element with ``|a − n| ≤ atol + rtol·|n|``. ``fast_mode=True`` compares the single
number vᵀ J u per input instead, for random directions u (input) and v (output): two function
evaluations and one backward pass per input instead of one evaluation per input element. When
fast mode finds a mismatch it reruns the full check on that input to say which element is
wrong.

``check_forward_ad=True`` checks forward mode too: the Jacobian built column by column from
the ops' ``jvp`` rules (a one-hot tangent per input element; in fast mode one random direction
u, J·u compared element by element) against the same central differences.

``gradgradcheck`` applies the same check to the first derivative (built with
``create_graph=True``), which checks every backward formula's own backward
(``check_fwd_over_rev=True``: the forward mode of the backward's operations too).

The signatures are torch.autograd.gradcheck's (importable as ``mg.autograd.gradcheck`` too).
Of torch's options, ``nondet_tol``, ``check_undefined_grad``, ``check_grad_dtypes`` and
``gen_non_contig_grad_outputs`` are accepted and change nothing here: minigrad's backward is
deterministic, an output that received no gradient is given zeros unless its Function says
otherwise, a gradient's dtype is always checked, and gradients are plain arrays whatever
their layout. The checks of features minigrad lacks (``check_batched_grad``,
``check_batched_forward_grad``, ``masked``) raise NotImplementedError when asked for, rather
than passing without checking.

Finite differences are taken in float64: a float32 input is perturbed in float64 and rounded
back, which loses most digits; a warning says so. When a mismatch sits where the function has a
kink (|w| or relu at 0, a group-lasso group at 0), the one-sided differences disagree and the
error says the point is not differentiable rather than blaming the backward formula.
"""
import warnings

import numpy as np

from . import autograd
from .tensor import Tensor

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError"]


class GradcheckError(RuntimeError):
    """An analytical gradient disagrees with finite differences; the message says where."""


def _as_tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


class _Problem:
    """The function under test, its inputs, and evaluation at perturbed points."""

    def __init__(self, fn, inputs, eps):
        self.fn = fn
        self.inputs = _as_tuple(inputs)
        self.eps = eps
        self.diff = [i for i, t in enumerate(self.inputs)
                     if isinstance(t, Tensor) and t.requires_grad]
        if not self.diff:
            raise ValueError("gradcheck: no input requires grad; nothing to check")
        for i in self.diff:
            t = self.inputs[i]
            if t.dtype != np.float64:
                warnings.warn(
                    f"gradcheck: input {i} is {t.dtype}, not float64; central differences in "
                    f"low precision are unreliable. Check with .double() inputs.", stacklevel=3)
        self.base = {i: self.inputs[i].numpy().astype(np.float64) for i in self.diff}

    def outputs(self):
        """Outputs with recording on (for the analytical Jacobian)."""
        with autograd.enable_grad():
            outs = _as_tuple(self.fn(*self.inputs))
        for k, o in enumerate(outs):
            if not isinstance(o, Tensor):
                raise TypeError(f"gradcheck: the function returned a {type(o).__name__} as "
                                f"output {k}; expected Tensors")
        return outs

    def evaluate(self, i, values):
        """Outputs (float64 numpy, flattened) with input i replaced by ``values``."""
        args = list(self.inputs)
        t = self.inputs[i]
        data = t.backend.asarray(values.astype(t.dtype).reshape(t.shape), t.dtype)
        args[i] = Tensor._wrap(data, t.device)
        args[i].requires_grad = True  # fn may differentiate internally (gradgradcheck does)
        with autograd.enable_grad():
            outs = _as_tuple(self.fn(*args))
        return [o.numpy().astype(np.float64).ravel() for o in outs]

    def shifted(self, i, k, step):
        x = self.base[i].ravel().copy()
        x[k] += step
        return self.evaluate(i, x)


def _float_outputs(outs):
    return [k for k, o in enumerate(outs) if o.dtype.kind == "f"]


def _analytical_vjp(outs, problem, grad_outputs):
    """(∂f/∂x)ᵀ v for every differentiable input, as float64 numpy arrays (zeros if unused)."""
    diff_outs = [o for o in outs if o.requires_grad]
    vs = [g for o, g in zip(outs, grad_outputs) if o.requires_grad]
    inputs = [problem.inputs[i] for i in problem.diff]
    if not diff_outs:
        return [np.zeros(t.shape) for t in inputs]
    grads = autograd.grad(diff_outs, inputs, vs, retain_graph=True, allow_unused=True)
    result = []
    for t, g in zip(inputs, grads):
        if g is not None and g.dtype != t.dtype:
            raise GradcheckError(f"gradcheck: the gradient of an input of dtype {t.dtype} came "
                                 f"back as {g.dtype}")
        result.append(np.zeros(t.shape) if g is None else g.numpy().astype(np.float64))
    return result


def _full_jacobians(problem, outs, out_ids):
    """Analytical and numerical Jacobians: {(o, i): (A, N)} with A, N of shape (m_o, n_i)."""
    result = {}
    for o in out_ids:
        m = outs[o].array.size
        for i in problem.diff:
            result[(o, i)] = [np.zeros((m, problem.inputs[i].array.size)), None]
        for j in range(m):
            v = [Tensor._wrap(t.backend.xp.zeros(t.shape, t.dtype), t.device) for t in outs]
            v[o].array.reshape(-1)[j] = 1
            for i, g in zip(problem.diff, _analytical_vjp(outs, problem, v)):
                result[(o, i)][0][j] = g.ravel()
    for i in problem.diff:
        for o, N in _numerical_jacobian(problem, outs, i, out_ids).items():
            result[(o, i)][1] = N
    return result


def _numerical_jacobian(problem, outs, i, out_ids):
    """{o: N} with N[:, k] = (f(x + eps·e_k) − f(x − eps·e_k)) / (2·eps) for input i."""
    n = problem.inputs[i].array.size
    cols = {o: np.zeros((outs[o].array.size, n)) for o in out_ids}
    for k in range(n):
        plus, minus = problem.shifted(i, k, problem.eps), problem.shifted(i, k, -problem.eps)
        for o in out_ids:
            cols[o][:, k] = (plus[o] - minus[o]) / (2 * problem.eps)
    return cols


# ---- forward mode (check_forward_ad): Jacobian columns J·u from the ops' jvp rules ----------

def _forward_jvp(problem, i, u, out_ids):
    """J·u for a direction u (float64, input i's shape) by forward mode: {o: flat float64}."""
    from .autograd import forward_ad
    t = problem.inputs[i]
    tangent = Tensor._wrap(t.backend.asarray(u.astype(t.dtype).reshape(t.shape), t.dtype),
                           t.device)
    args = list(problem.inputs)
    with forward_ad.dual_level(), autograd.enable_grad():
        args[i] = forward_ad.make_dual(t, tangent)
        outs = _as_tuple(problem.fn(*args))
        tangents = {o: forward_ad.unpack_dual(outs[o]).tangent for o in out_ids}
    return {o: np.zeros(outs[o].array.size) if tan is None else
            tan.numpy().astype(np.float64).ravel() for o, tan in tangents.items()}


def _forward_jacobians(problem, outs, out_ids):
    """Forward-mode and numerical Jacobians: {(o, i): (F, N)}, F built one column per input
    element from the jvp of a one-hot tangent."""
    result = {}
    for i in problem.diff:
        n = problem.inputs[i].array.size
        forward = {o: np.zeros((outs[o].array.size, n)) for o in out_ids}
        for k in range(n):
            e_k = np.zeros(n)
            e_k[k] = 1.0
            for o, column in _forward_jvp(problem, i, e_k, out_ids).items():
                forward[o][:, k] = column
        for o, N in _numerical_jacobian(problem, outs, i, out_ids).items():
            result[(o, i)] = (forward[o], N)
    return result


def _check_forward(problem, outs, out_ids, atol, rtol, seed, fast_mode, prefix):
    if not fast_mode:
        _check_full(problem, outs, out_ids, atol, rtol, prefix + "forward mode: ",
                    _forward_jacobians(problem, outs, out_ids), what="forward-mode (jvp)")
        return
    rng = np.random.default_rng(seed)
    for i in problem.diff:
        u = rng.standard_normal(problem.inputs[i].shape)
        u /= np.linalg.norm(u) or 1.0
        x = problem.base[i].ravel()
        plus = problem.evaluate(i, x + problem.eps * u.ravel())
        minus = problem.evaluate(i, x - problem.eps * u.ravel())
        for o, forward in _forward_jvp(problem, i, u, out_ids).items():
            numerical = (plus[o] - minus[o]) / (2 * problem.eps)
            err = np.abs(forward - numerical) - (atol + rtol * np.abs(numerical))
            if not (err <= 0).all():
                j = int(np.argmax(np.where(np.isnan(err), np.inf, err)))
                raise GradcheckError(
                    f"{prefix}forward mode: fast-mode mismatch for output {o} along a random "
                    f"direction u of input {i} (shape {problem.inputs[i].shape}): (J·u)"
                    f"{list(_index(outs[o].shape, j))} forward-mode {forward[j]:.10g}, "
                    f"numerical {numerical[j]:.10g} (seed={seed}, eps={problem.eps:g}); "
                    "rerun without fast_mode to see the element of the input")


def forward_error(fn, inputs, eps=1e-6, seed=0):
    """max |J·u forward mode − J·u numerical| over the inputs, for random unit directions u:
    the check table's forward-mode column."""
    problem = _Problem(fn, inputs, eps)
    outs = problem.outputs()
    out_ids = _float_outputs(outs)
    rng = np.random.default_rng(seed)
    worst = 0.0
    for i in problem.diff:
        u = rng.standard_normal(problem.inputs[i].shape)
        u /= np.linalg.norm(u) or 1.0
        x = problem.base[i].ravel()
        plus = problem.evaluate(i, x + eps * u.ravel())
        minus = problem.evaluate(i, x - eps * u.ravel())
        for o, forward in _forward_jvp(problem, i, u, out_ids).items():
            numerical = (plus[o] - minus[o]) / (2 * eps)
            if forward.size:
                worst = max(worst, float(np.max(np.abs(forward - numerical))))
    return worst


def _kink_note(problem, o, i, j, k, atol, rtol):
    """If f is not differentiable at input element k (one-sided slopes differ), say so."""
    h = problem.eps
    f0 = problem.evaluate(i, problem.base[i].ravel())[o][j]
    right = (problem.shifted(i, k, h)[o][j] - f0) / h
    left = (f0 - problem.shifted(i, k, -h)[o][j]) / h
    if abs(right - left) > 10 * (atol + rtol * max(abs(left), abs(right))):
        return (f"\n  The function is not differentiable at this point: the left derivative is "
                f"{left:.6g} and the right derivative {right:.6g}. Finite differences cannot "
                f"judge a gradient at a kink (|w| or relu at 0, a group-lasso group at 0, a "
                f"tie in max); move the input away from it.")
    return ""


def _index(shape, flat):
    return tuple(int(v) for v in np.unravel_index(flat, shape)) if shape else ()


def _check_full(problem, outs, out_ids, atol, rtol, prefix, jacobians=None, what="analytical"):
    if jacobians is None:
        jacobians = _full_jacobians(problem, outs, out_ids)
    for (o, i), (A, N) in jacobians.items():
        err = np.abs(A - N) - (atol + rtol * np.abs(N))
        bad = ~(err <= 0)  # NaN counts as bad
        if not bad.any():
            continue
        j, k = np.unravel_index(int(np.argmax(np.where(np.isnan(err), np.inf, err))), err.shape)
        a, n = A[j, k], N[j, k]
        in_shape, out_shape = problem.inputs[i].shape, outs[o].shape
        msg = (f"{prefix}Jacobian mismatch for output {o} with respect to input {i}:\n"
               f"  input {i} has shape {in_shape}, output {o} has shape {out_shape}; "
               f"{int(bad.sum())} of {bad.size} entries differ\n"
               f"  worst at d output{list(_index(out_shape, j))} / d input{list(_index(in_shape, k))}: "
               f"{what} {a:.10g}, numerical {n:.10g}, |difference| {abs(a - n):.3g} > "
               f"atol + rtol·|numerical| = {atol + rtol * abs(n):.3g}\n"
               f"  (eps={problem.eps:g}, atol={atol:g}, rtol={rtol:g})")
        msg += _kink_note(problem, o, i, j, k, atol, rtol)
        raise GradcheckError(msg)


def _directional(problem, outs, out_ids, seed):
    """Per differentiable input i: (i, vᵀJu analytical, vᵀJu numerical) for random u, v."""
    rng = np.random.default_rng(seed)
    v = []
    for o, t in enumerate(outs):
        arr = rng.standard_normal(t.shape) if o in out_ids else np.zeros(t.shape)
        v.append(Tensor._wrap(t.backend.asarray(arr.astype(t.dtype), t.dtype), t.device))
    vjps = _analytical_vjp(outs, problem, v)
    v_np = [x.numpy().astype(np.float64).ravel() for x in v]
    result = []
    for i, g in zip(problem.diff, vjps):
        u = rng.standard_normal(g.size)
        u /= np.linalg.norm(u) or 1.0
        x = problem.base[i].ravel()
        plus = problem.evaluate(i, x + problem.eps * u)
        minus = problem.evaluate(i, x - problem.eps * u)
        numerical = float(sum(v_np[o] @ ((plus[o] - minus[o]) / (2 * problem.eps))
                              for o in out_ids))
        result.append((i, float(g.ravel() @ u), numerical))
    return result


def _check_fast(problem, outs, out_ids, atol, rtol, seed, prefix):
    for i, analytical, numerical in _directional(problem, outs, out_ids, seed):
        if abs(analytical - numerical) <= atol + rtol * abs(numerical):
            continue
        summary = (f"{prefix}fast-mode mismatch for input {i} (shape {problem.inputs[i].shape}): "
                   f"vᵀJu analytical {analytical:.10g}, numerical {numerical:.10g}, "
                   f"|difference| {abs(analytical - numerical):.3g} > "
                   f"{atol + rtol * abs(numerical):.3g} (random directions, seed={seed}, "
                   f"eps={problem.eps:g})")
        work = problem.inputs[i].array.size * sum(outs[o].array.size for o in out_ids)
        if work <= 200_000:  # small enough: locate the element with the full check
            sub = _Problem.__new__(_Problem)
            sub.__dict__.update(problem.__dict__, diff=[i])
            try:
                _check_full(sub, outs, out_ids, atol, rtol, "")
            except GradcheckError as exc:
                raise GradcheckError(summary + "\n  The full check of that input says:\n  " +
                                     str(exc).replace("\n", "\n  ")) from None
        raise GradcheckError(summary)


def directional_error(fn, inputs, eps=1e-6, seed=0):
    """max over inputs of |vᵀJu analytical − vᵀJu numerical| (random u, v): a one-number
    summary of how far a backward is from finite differences (the check table's column)."""
    problem = _Problem(fn, inputs, eps)
    outs = problem.outputs()
    rows = _directional(problem, outs, _float_outputs(outs), seed)
    return max((abs(a - n) for _, a, n in rows), default=0.0)


def measured_check(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, fast_mode=False, seed=0):
    """gradcheck as a measurement: (largest |analytical − numerical|, the GradcheckError gradcheck
    would raise or None). The full check's error is over every Jacobian entry, fast mode's over
    the vᵀJu numbers (one per input). ``check_graph`` fills its per-node rows with this."""
    problem = _Problem(fn, inputs, eps)
    outs = problem.outputs()
    out_ids = _float_outputs(outs)
    if fast_mode:
        rows = _directional(problem, outs, out_ids, seed)
        worst = max((abs(a - n) for _, a, n in rows), default=0.0)
    else:
        jacobians = _full_jacobians(problem, outs, out_ids)
        worst = max((float(np.max(np.abs(A - N))) for A, N in jacobians.values() if A.size),
                    default=0.0)
    try:
        if fast_mode:
            _check_fast(problem, outs, out_ids, atol, rtol, seed, "")
        else:
            _check_full(problem, outs, out_ids, atol, rtol, "", jacobians)
    except GradcheckError as error:
        return worst, error
    return worst, None


def _torch_options(nondet_tol=0.0, check_undefined_grad=True, check_grad_dtypes=False,
                   gen_non_contig_grad_outputs=False, masked=None, **unsupported_checks):
    """torch's options (see the module docstring): accepted, or NotImplementedError."""
    if not (isinstance(nondet_tol, (int, float)) and nondet_tol >= 0):
        raise ValueError(f"gradcheck: nondet_tol must be a number >= 0, got {nondet_tol!r}")
    asked = [name for name, value in unsupported_checks.items() if value]
    if masked:
        asked.append("masked")
    if asked:
        raise NotImplementedError(f"gradcheck: {', '.join(asked)} checks features minigrad does "
                                  "not have (batched gradients / masked tensors); leave it False")


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True,
              nondet_tol=0.0, check_undefined_grad=True, check_grad_dtypes=False,
              check_batched_grad=False, check_batched_forward_grad=False,
              check_forward_ad=False, check_backward_ad=True, fast_mode=False, masked=None,
              seed=0):
    """Checks the gradients of ``func`` at ``inputs`` against central finite differences.

    ``func`` takes the inputs (Tensors, plus any other arguments) and returns a Tensor or a
    tuple of Tensors. Every input with ``requires_grad=True`` is checked against every
    floating-point output: by reverse mode (``check_backward_ad``, the backward formulas), and
    with ``check_forward_ad=True`` by forward mode too (the jvp rules: one Jacobian column per
    input element, or one random direction in fast mode). Returns True, or raises
    ``GradcheckError`` naming the mode, output and input, the worst element, both values and
    the tolerances (returns False instead when ``raise_exception=False``). torch's other
    options: see the module docstring.
    """
    _torch_options(nondet_tol, check_undefined_grad, check_grad_dtypes, masked=masked,
                   check_batched_grad=check_batched_grad,
                   check_batched_forward_grad=check_batched_forward_grad)
    return _run(func, inputs, eps, atol, rtol, fast_mode, raise_exception, seed, prefix="",
                backward_mode=check_backward_ad, forward_mode=check_forward_ad)


def _run(fn, inputs, eps, atol, rtol, fast_mode, raise_exception, seed, prefix,
         backward_mode=True, forward_mode=False):
    if not (backward_mode or forward_mode):
        raise ValueError("gradcheck: check_backward_ad=False and check_forward_ad=False leave "
                         "nothing to check")
    problem = _Problem(fn, inputs, eps)
    outs = problem.outputs()
    out_ids = _float_outputs(outs)
    try:
        if backward_mode and fast_mode:
            _check_fast(problem, outs, out_ids, atol, rtol, seed, prefix)
        elif backward_mode:
            _check_full(problem, outs, out_ids, atol, rtol, prefix)
        if forward_mode:
            _check_forward(problem, outs, out_ids, atol, rtol, seed, fast_mode, prefix)
    except GradcheckError:
        if raise_exception:
            raise
        return False
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3,
                  gen_non_contig_grad_outputs=False, raise_exception=True, nondet_tol=0.0,
                  check_undefined_grad=True, check_grad_dtypes=False, check_batched_grad=False,
                  check_fwd_over_rev=False, check_rev_over_rev=True, fast_mode=False,
                  masked=False, seed=0):
    """Checks second derivatives: gradcheck of x ↦ (∂f/∂x)ᵀ v, built with create_graph=True:
    reverse-over-reverse (``check_rev_over_rev``, the backward formulas' own backward) and, with
    ``check_fwd_over_rev=True``, forward-over-reverse (the jvp rules of the backward's ops).

    ``v`` (``grad_outputs``) defaults to random normal tensors (never all ones, which can hide
    errors that cancel under a sum); it is checked as an input too, since the first derivative
    is linear in it. torch's other options: see the module docstring.
    """
    _torch_options(nondet_tol, check_undefined_grad, check_grad_dtypes,
                   gen_non_contig_grad_outputs, masked, check_batched_grad=check_batched_grad)
    fn = func
    inputs = _as_tuple(inputs)
    with autograd.enable_grad():
        outs = _as_tuple(fn(*inputs))
    diff_outs = [k for k, o in enumerate(outs) if o.requires_grad]
    if grad_outputs is None:
        rng = np.random.default_rng(seed + 1)
        grad_outputs = []
        for k in diff_outs:
            o = outs[k]
            arr = rng.standard_normal(o.shape).astype(o.dtype)
            grad_outputs.append(Tensor._wrap(o.backend.asarray(arr, o.dtype), o.device))
    grad_outputs = [g.detach() for g in _as_tuple(grad_outputs)]
    for g in grad_outputs:
        g.requires_grad = True
    n_in = len(inputs)
    diff = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]

    def first_derivative(*args):
        xs, vs = args[:n_in], args[n_in:]
        ys = _as_tuple(fn(*xs))
        ys = [ys[k] for k in diff_outs]
        grads = autograd.grad(ys, [xs[i] for i in diff], list(vs), create_graph=True,
                              allow_unused=True)
        return tuple(g for g in grads if g is not None)

    return _run(first_derivative, tuple(inputs) + tuple(grad_outputs), eps, atol, rtol,
                fast_mode, raise_exception, seed, backward_mode=check_rev_over_rev,
                forward_mode=check_fwd_over_rev,
                prefix="gradgradcheck (output k is the gradient wrt the k-th differentiable "
                       "input; inputs past the function's own are the output gradients v): ")
