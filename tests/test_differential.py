"""minigrad against torch, op by op, as PyTorch's OpInfo tests do (the registry of ops is
tests/_differential_registry.py).

For every registered op and every kind of values it admits, hypothesis draws shapes (0-d,
size-1 and empty axes, broadcasting pairs, negative axes, keepdim) and options, and each
example compares, in float64:

    forward        the value (NaN in the same places, infinities with their sign, finite values
                   within rtol/atol), its dtype and shape, and any state written in place
    backward       loss.backward(G) with recording off, G a random upstream gradient (never
                   ones): the fused kernels
    create_graph   mg.grad(out, inputs, G, create_graph=True): the readable formula path
    second         a Hessian-vector product, mg.grad twice against torch.autograd.grad twice

When torch and minigrad both refuse an input (both raise), the example counts as agreeing.

Budget: CI runs a few examples per (op, kind), derandomized (reproducible). Environment:
    MINIGRAD_DIFFERENTIAL_EXAMPLES=300   more examples per (op, kind)
    MINIGRAD_DIFFERENTIAL_RANDOM=1       random seeds (the known-discrepancy marks turn non-strict)
The long-run table (cases and failures per op and check) comes from running this file:
    python tests/test_differential.py --examples 300 --random [--only NAME ...]
and the list of known discrepancies, each with what its pinned reproduction gives, from
    python tests/test_differential.py --known
"""
import os
import sys
import warnings

if __name__ == "__main__":   # run as a script: test the minigrad of this checkout
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402
import pytest  # noqa: E402

torch = pytest.importorskip("torch")

from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402

import minigrad as mg  # noqa: E402
import minigrad.nn.functional as F  # noqa: E402
from minigrad.tensor import Tensor  # noqa: E402

sys.path.insert(0, os.path.dirname(__file__))
import _differential_registry as R  # noqa: E402

EXAMPLES = int(os.environ.get("MINIGRAD_DIFFERENTIAL_EXAMPLES", "25"))
RANDOM = os.environ.get("MINIGRAD_DIFFERENTIAL_RANDOM") == "1"


# ---- running one example in both libraries -----------------------------------------------------

def _to_mg(a):
    if isinstance(a, R.X):
        return mg.tensor(a.array, requires_grad=True)
    if isinstance(a, R.C):
        return mg.tensor(a.array)
    if isinstance(a, R.I):
        def conv(i):
            return mg.tensor(i) if a.tensor and isinstance(i, np.ndarray) and i.dtype.kind == "i" \
                else i
        return tuple(conv(i) for i in a.index) if isinstance(a.index, tuple) else conv(a.index)
    if isinstance(a, list):
        return [_to_mg(b) for b in a]
    return a


def _to_torch(a):
    if isinstance(a, R.X):
        return torch.tensor(a.array, dtype=torch.float64, requires_grad=True)
    if isinstance(a, R.C):
        return torch.from_numpy(np.array(a.array))
    if isinstance(a, R.I):
        def conv(i):
            return torch.from_numpy(np.array(i)) if isinstance(i, np.ndarray) else i
        return tuple(conv(i) for i in a.index) if isinstance(a.index, tuple) else conv(a.index)
    if isinstance(a, list):
        return [_to_torch(b) for b in a]
    return a


def _collect(sample_args, lib_args, cls):
    """The converted arguments whose sample argument is of class ``cls`` (lists flattened)."""
    out = []
    for s, t in zip(sample_args, lib_args):
        if isinstance(s, list):
            out += _collect(s, t, cls)
        elif type(s) is cls:
            out.append(t)
    return out


def _call(entry, sample, lib):
    """(output, leaves, states) of one call, fresh inputs each time."""
    conv = _to_mg if lib == "mg" else _to_torch
    args = [conv(a) for a in sample.args]
    fn = (entry.mg[sample.spelling] if lib == "mg"
          else entry.torch_by_kind.get(sample.kind, entry.torch))
    out = fn(*args, **sample.kwargs)
    return out, _collect(sample.args, args, R.X), _collect(sample.args, args, R.S)


def _np(t):
    if t is None:
        return None
    if isinstance(t, torch.Tensor):
        if t._is_zerotensor():   # torch's efficient zeros (e.g. the second derivative of abs)
            return np.zeros(t.shape, _TORCH_DTYPES[t.dtype])
        return t.detach().numpy()
    return np.asarray(t.numpy())


_TORCH_DTYPES = {torch.float64: np.float64, torch.float32: np.float32, torch.int64: np.int64,
                 torch.bool: np.bool_, torch.int32: np.int32}


def compare(what, got, want, rtol, atol, modes=(), scale=None):
    """None if ``got`` (minigrad) matches ``want`` (torch), else what differs, with an index.

    NaN must meet NaN, an infinity the same infinity, finite values must be within
    atol + rtol·|torch|; ``modes`` relax this as ``Relax`` in the registry describes
    (``scale``: the magnitudes for the "terms" mode).
    """
    got, want = np.asarray(got), np.asarray(want)
    if got.shape != want.shape:
        return f"{what}: shape {got.shape}, torch {want.shape}"
    if want.dtype.kind in "biu" or got.dtype.kind in "biu":
        bad = got != want
    else:
        gn, wn = np.isnan(got), np.isnan(want)
        gi, wi = np.isinf(got), np.isinf(want)
        finite = ~(gn | wn | gi | wi)
        size = np.abs(want)
        if "normwise" in modes and finite.any():
            size = np.full(want.shape, np.abs(want[finite]).max())
        if "terms" in modes and scale is not None:
            size = np.maximum(size, np.where(np.isfinite(scale), np.abs(scale), np.inf))
        with np.errstate(all="ignore"):
            close = np.abs(got - want) <= atol + rtol * size
        bad = (gn != wn) | ((gi | wi) & ~gn & ~wn & (got != want)) | (finite & ~close)
        if "terms" in modes and scale is not None:
            bad &= np.isfinite(scale)   # Σ|terms| overflows: any order's inf or NaN is right
        if "torch_nan" in modes:
            bad &= ~wn
        if "unchecked" in modes:
            bad &= ~finite
    if not bad.any():
        return None
    i = tuple(int(k) for k in np.argwhere(bad)[0])
    return (f"{what}: {int(bad.sum())} of {bad.size} differ; at {i} minigrad {got[i]!r}, "
            f"torch {want[i]!r}")


class Outcome:
    """Per check: 'pass', 'fail', 'skip' (not applicable) or 'refused' (both raised)."""

    def __init__(self):
        self.status = {c: "skip" for c in R.CHECKS}
        self.message = {}

    def fail(self, check, message):
        self.status[check] = "fail"
        self.message[check] = message

    def failures(self):
        return {c: self.message[c] for c in R.CHECKS if self.status[c] == "fail"}


def _exc(e):
    return f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"[:300]


def evaluate(entry, sample):
    """Runs every check of ``entry`` on ``sample``; returns an Outcome."""
    o = Outcome()
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        _evaluate(entry, sample, o)
    return o


def _torch_side(entry, sample, absolute=False):
    """torch's forward, first derivatives and Hessian-vector products of one example.

    With ``absolute``, of the same example with every float input (differentiable or constant),
    the upstream gradient and the direction replaced by their magnitudes: the scale of the
    "terms" bound.
    Returns a dict: out, states, first (list), second (list), and why a part is missing.
    """
    rng = np.random.default_rng(sample.seed)
    if absolute:
        def magnitude(a):
            if isinstance(a, list):
                return [magnitude(b) for b in a]
            if type(a) in (R.X, R.C) and a.array.dtype.kind == "f":
                return type(a)(np.abs(a.array))
            return a
        sample = sample.with_args([magnitude(a) for a in sample.args])
    r = {}
    out, leaves, states = _call(entry, sample, "torch")
    r.update(out=out, states=states, leaves=leaves)
    if not (entry.grad and out.requires_grad and out.dtype.is_floating_point):
        return r
    G = rng.standard_normal(out.shape)
    V = [rng.standard_normal(x.shape) for x in leaves]
    if absolute:
        G, V = np.abs(G), [np.abs(v) for v in V]
    r.update(G=G, V=V)
    try:
        first = torch.autograd.grad(out, leaves, torch.from_numpy(G), create_graph=entry.hvp,
                                    allow_unused=True)
    except Exception as e:  # noqa: BLE001 - torch has no derivative here
        r["first_missing"] = f"skip: torch {_exc(e)}"
        return r
    r["first"] = [np.zeros(a.shape) if g is None else _np(g) for g, a in zip(first, leaves)]
    if not entry.hvp:
        return r
    try:
        terms = [(g * torch.from_numpy(v)).sum() for g, v in zip(first, V)
                 if g is not None and g.requires_grad]
        second = (torch.autograd.grad(sum(terms), leaves, allow_unused=True) if terms
                  else [None] * len(leaves))
    except Exception as e:  # noqa: BLE001
        r["second_missing"] = f"skip: torch {_exc(e)}"
        return r
    r["second"] = [np.zeros(a.shape) if g is None else _np(g) for g, a in zip(second, leaves)]
    return r


def _evaluate(entry, sample, o):
    # ---- forward
    try:
        t = _torch_side(entry, sample)
        t_err = None
    except Exception as e:  # noqa: BLE001 - torch refusing is an answer too
        t_err = e
    try:
        m_out, m_leaves, m_states = _call(entry, sample, "mg")
        m_err = None
    except Exception as e:  # noqa: BLE001
        m_err = e
    if t_err is not None and m_err is not None:
        for c in R.CHECKS:
            o.status[c] = "refused"
        return
    if m_err is not None:
        o.fail("forward", f"minigrad raised {_exc(m_err)}; torch returned {_np(t['out'])!r}")
        return
    if t_err is not None:
        o.fail("forward", f"minigrad returned {_np(m_out)!r}; torch raised {_exc(t_err)}")
        return
    if not isinstance(m_out, Tensor):
        o.fail("forward", f"minigrad returned a {type(m_out).__name__}, not a Tensor")
        return
    tols = {c: entry.tolerance(sample.kind, c) for c in R.CHECKS}
    scale = None
    if any("terms" in modes for _, _, modes in tols.values()):
        try:
            scale = _torch_side(entry, sample, absolute=True)
        except Exception:  # noqa: BLE001 - no bound: compare as usual
            scale = None

    def check(name, pairs, scales=None):
        rtol, atol, modes = tols[name]
        msgs = []
        for i, (what, got, want) in enumerate(pairs):
            sc = None if scales is None or "terms" not in modes else scales[i]
            msgs.append(compare(what, got, want, rtol, atol, modes, sc))
        msgs = [m for m in msgs if m]
        o.status[name] = "pass"
        if msgs:
            o.fail(name, "; ".join(msgs))

    t_out = t["out"]
    problems = []
    if m_out.dtype != _TORCH_DTYPES.get(t_out.dtype):
        problems.append(f"dtype {m_out.dtype}, torch {t_out.dtype}")
    if m_out.requires_grad != t_out.requires_grad:
        problems.append(f"requires_grad {m_out.requires_grad}, torch {t_out.requires_grad}")
    check("forward", [("value", _np(m_out), _np(t_out))] + [
        (f"state {i}", _np(a), _np(b)) for i, (a, b) in enumerate(zip(m_states, t["states"]))],
        scale and [np.abs(_np(v)) for v in [scale["out"]] + scale["states"]])
    if problems:
        o.fail("forward", "; ".join(problems + ([o.message["forward"]]
                                                 if o.status["forward"] == "fail" else [])))
    if "G" not in t:
        return
    # ---- first derivatives: minigrad's two paths against torch
    if "first" not in t:
        o.status["backward"] = o.status["create_graph"] = t["first_missing"]
        return
    G = mg.tensor(t["G"])

    def first_pairs(grads):
        return [(f"d/d(input {i})", g, w) for i, (g, w) in enumerate(zip(grads, t["first"]))]

    try:
        out, leaves, _ = _call(entry, sample, "mg")
        out.backward(G)
        check("backward", first_pairs([np.zeros(x.shape) if x.grad is None else _np(x.grad)
                                       for x in leaves]), scale and scale.get("first"))
    except Exception as e:  # noqa: BLE001
        o.fail("backward", f"minigrad raised {_exc(e)}")
    try:
        out, leaves, _ = _call(entry, sample, "mg")
        m_first = mg.grad(out, leaves, grad_outputs=G, create_graph=True, allow_unused=True)
        check("create_graph", first_pairs([np.zeros(x.shape) if g is None else _np(g)
                                           for g, x in zip(m_first, leaves)]),
              scale and scale.get("first"))
    except Exception as e:  # noqa: BLE001
        o.fail("create_graph", f"minigrad raised {_exc(e)}")
        return
    # ---- second derivative: d/dx Σᵢ <dL/dxᵢ, Vᵢ>, V random
    if not entry.hvp:
        return
    if "second" not in t:
        o.status["second"] = t["second_missing"]
        return
    try:
        terms = [(g * mg.tensor(v)).sum() for g, v in zip(m_first, t["V"])
                 if g is not None and g.requires_grad]
        m_second = [None] * len(leaves)
        if terms:
            total = terms[0]
            for term in terms[1:]:
                total = total + term
            m_second = mg.grad(total, leaves, allow_unused=True)
        check("second", [(f"d²/d(input {i})·v", np.zeros(x.shape) if g is None else _np(g), w)
                         for i, (g, w, x) in enumerate(zip(m_second, t["second"], leaves))],
              scale and scale.get("second"))
    except Exception as e:  # noqa: BLE001
        o.fail("second", f"minigrad raised {_exc(e)}")


# ---- drawing examples ---------------------------------------------------------------------------

class Sample:
    def __init__(self, entry, kind, spelling, args, kwargs, seed):
        self.entry, self.kind, self.spelling = entry, kind, spelling
        self.args, self.kwargs, self.seed = args, kwargs, seed

    def with_args(self, args):
        return Sample(self.entry, self.kind, self.spelling, args, self.kwargs, self.seed)

    def __repr__(self):
        return (f"<{self.entry.name} [{self.kind}] spelling {self.spelling} of "
                f"{len(self.entry.mg)}: args={self.args!r} kwargs={self.kwargs!r} "
                f"seed={self.seed}>")


@st.composite
def samples(draw, entry, kind):
    """Examples of ``entry`` on ``kind`` values, with its first spelling (the "spellings" kind:
    normal values, and the test runs every spelling)."""
    c = R.Draw(draw, "normal" if kind == "spellings" else kind)
    args, kwargs = entry.sample(c)
    return Sample(entry, kind, 0, args, kwargs, draw(st.integers(0, 2 ** 31 - 1)))


def outcomes(entry, sample):
    """[(spelling, Outcome)]: the first spelling, or every one for the "spellings" kind."""
    if sample.kind != "spellings":
        return [(0, evaluate(entry, sample))]
    out = []
    for i in range(len(entry.mg)):
        sample.spelling = i
        out.append((i, evaluate(entry, sample)))
    sample.spelling = 0
    return out


def _settings(examples, random):
    return settings(max_examples=examples, deadline=None, derandomize=not random,
                    database=None, print_blob=False,
                    suppress_health_check=list(HealthCheck))


# ---- the tests ----------------------------------------------------------------------------------

class KnownDiscrepancy(AssertionError):
    """A registered, not yet fixed difference from torch (the test is an xfail)."""


def _kinds(entry):
    return entry.kinds + (("spellings",) if len(entry.mg) > 1 else ())


def _params():
    out = []
    for entry in R.REGISTRY:
        for kind in _kinds(entry):
            known = entry.known.get(kind, {})
            marks = []
            if known:
                reason = "; ".join(f"{c}: {r}" for c, r in known.items())
                marks.append(pytest.mark.xfail(raises=KnownDiscrepancy, strict=not RANDOM,
                                               reason=reason))
            out.append(pytest.param(entry, kind, id=f"{entry.name}-{kind}", marks=marks))
    return out


@pytest.mark.parametrize("entry,kind", _params())
def test_matches_torch(entry, kind):
    known = entry.known.get(kind, {})
    seen = {}
    compared = []

    def check(sample):
        unexpected = {}
        for spelling, o in outcomes(entry, sample):
            compared.append(o.status["forward"] != "refused")
            for check, message in o.failures().items():
                where = f"spelling {spelling}: {message}\n    example: {sample!r}"
                if check in known:
                    seen.setdefault(check, where)
                else:
                    unexpected.setdefault(check, where)
        assert not unexpected, "\n".join(f"{c}: {m}" for c, m in unexpected.items())

    for args, kwargs in entry.pins.get(kind, []):   # the pinned reproductions, always run
        check(Sample(entry, kind, 0, args, kwargs, 0))
    _settings(EXAMPLES, RANDOM)(given(samples(entry, kind))(check))()
    assert any(compared), f"{entry.name} [{kind}]: every example was refused by both libraries"
    if seen:
        raise KnownDiscrepancy("\n".join(f"{c}: {m}" for c, m in seen.items()))


# ---- the registry covers the API ----------------------------------------------------------------

def _public_api():
    """Every public operation: F.__all__, ops.__all__, the minigrad.* functions that are ops,
    and every attribute of Tensor (public names and the operator dunders in its body)."""
    names = {f"F.{n}" for n in F.__all__} | {f"ops.{n}" for n in mg.ops.__all__}
    op_functions = {id(getattr(mg.ops, n)) for n in mg.ops.__all__}
    names |= {f"mg.{n}" for n in dir(mg)
              if not n.startswith("_") and id(getattr(mg, n)) in op_functions}
    names |= {f"Tensor.{n}" for n in vars(Tensor)
              if (not n.startswith("_") or (n.startswith("__") and n.endswith("__")))
              and n not in _ADDED_BY_PYTHON}
    return names


# Put on the class by Python itself, not by minigrad: copyreg caches __slotnames__ the first
# time a Tensor is pickled (test_serialization.py does, behind allow_pickle=True).
_ADDED_BY_PYTHON = {"__slotnames__"}


def test_registry_covers_every_public_op():
    covered = {name for e in R.REGISTRY for name in e.covers}
    excused = set(R.NOT_COMPARABLE) | {f"Tensor.{n}" for n in R.TENSOR_NOT_OPS}
    missing = sorted(_public_api() - covered - excused)
    assert not missing, (f"public ops with no entry in tests/_differential_registry.py (add one, "
                         f"or list it in NOT_COMPARABLE / TENSOR_NOT_OPS with the reason): "
                         f"{missing}")


def test_registry_names_exist():
    """Every name the registry claims to cover or excuse is real (no stale entries)."""
    api = _public_api() | {"F.erf"}
    claimed = {name for e in R.REGISTRY for name in e.covers} | set(R.NOT_COMPARABLE) | {
        f"Tensor.{n}" for n in R.TENSOR_NOT_OPS if n in vars(Tensor)}
    assert not sorted(claimed - api)


def test_registry_is_sane():
    for e in R.REGISTRY:
        assert e.kinds and set(e.kinds) <= set(R.KINDS) | {"masked"}, e.name
        assert set(e.known) <= set(_kinds(e)), e.name
        for kind, checks in e.known.items():
            assert set(checks) <= set(R.CHECKS), e.name


def test_compare_is_nan_and_inf_aware():
    nan, inf = np.nan, np.inf
    assert compare("v", [1.0, nan, inf, -inf], [1.0 + 1e-12, nan, inf, -inf], 1e-7, 1e-9) is None
    assert compare("v", [nan], [1.0], 1e-7, 1e-9)
    assert compare("v", [1.0], [nan], 1e-7, 1e-9)
    assert compare("v", [inf], [-inf], 1e-7, 1e-9)
    assert compare("v", [1e300], [inf], 1e-7, 1e-9)
    assert compare("v", [1.0], [1.0 + 1e-6], 1e-7, 1e-9)
    assert compare("v", np.zeros(2), np.zeros(3), 1e-7, 1e-9)


# ---- the long run: a table of cases and failures per op and check -------------------------------

def long_run(examples, random, only=None, out=sys.stdout, progress=False):
    """Runs every (entry, kind) for ``examples`` examples, counting outcomes per check instead
    of stopping at the first failure; prints a markdown table and the first failure of each."""
    import collections
    import time
    rows, details = [], []
    t0 = time.time()
    for entry in R.REGISTRY:
        if only and entry.name not in only:
            continue
        for kind in _kinds(entry):
            if progress:
                print(f"{entry.name} [{kind}]", file=sys.stderr, flush=True)
            counts = collections.Counter()
            first = {}

            @_settings(examples, random)
            @given(samples(entry, kind))
            def run(sample):
                for spelling, o in outcomes(entry, sample):
                    counts["cases"] += 1
                    if o.status["forward"] == "refused":
                        counts["refused"] += 1
                    for check in R.CHECKS:
                        s = o.status[check]
                        if s in ("pass", "fail"):
                            counts[check, "run"] += 1
                        if s == "fail":
                            counts[check, "fail"] += 1
                            first.setdefault(check, (f"spelling {spelling}: {o.message[check]}",
                                                     repr(sample)))

            run()
            rows.append((entry, kind, counts))
            for check, (msg, ex) in first.items():
                details.append(f"- {entry.name} [{kind}] {check}: {msg}\n  e.g. {ex[:1500]}")
    print(f"differential long run: {examples} examples per (op, kind), "
          f"{'random' if random else 'derandomized'}, kernels "
          f"{'compiled' if R.COMPILED else 'numpy reference'} ({mg.__file__}), "
          f"{time.time() - t0:.0f} s\n",
          file=out)
    print("| op | kind | cases | refused by both | forward | backward | create_graph | second |"
          " known |", file=out)
    print("|---|---|---|---|---|---|---|---|---|", file=out)
    for entry, kind, c in rows:
        cells = []
        for check in R.CHECKS:
            run_, fail = c[check, "run"], c[check, "fail"]
            cells.append("–" if not run_ else f"{fail}/{run_}" if fail else f"0/{run_}")
        known = ", ".join(sorted(entry.known.get(kind, {}))) or ""
        print(f"| {entry.name} | {kind} | {c['cases']} | {c['refused']} | " + " | ".join(cells)
              + f" | {known} |", file=out)
    print("\nFirst failure of each (op, kind, check):\n", file=out)
    print("\n".join(details) or "(none)", file=out)


def known_report(out=sys.stdout):
    """Every registered discrepancy: its reason, and what its pinned reproduction gives now."""
    for entry in R.REGISTRY:
        for kind, checks in entry.known.items():
            reasons = {}
            for check, reason in checks.items():
                reasons.setdefault(reason, []).append(check)
            for reason, which in reasons.items():
                print(f"- {entry.name} [{kind}] ({', '.join(which)}): {reason}", file=out)
            for args, kwargs in entry.pins.get(kind, []):
                sample = Sample(entry, kind, 0, args, kwargs, 0)
                print(f"  pin: {sample!r}", file=out)
                for spelling, o in outcomes(entry, sample):
                    for check, message in o.failures().items():
                        print(f"    {check}: {message}", file=out)


if __name__ == "__main__":
    import argparse
    p = argparse.ArgumentParser(description=long_run.__doc__)
    p.add_argument("--examples", type=int, default=EXAMPLES)
    p.add_argument("--random", action="store_true", default=RANDOM)
    p.add_argument("--only", nargs="*")
    p.add_argument("--progress", action="store_true", help="name each (op, kind) on stderr")
    p.add_argument("--known", action="store_true",
                   help="list the registered discrepancies and run their reproductions instead")
    a = p.parse_args()
    if a.known:
        known_report()
    else:
        long_run(a.examples, a.random, a.only, progress=a.progress)
