"""The optimizer base and the issue's claims: param groups, validation, zero_grad, closures,
skipped parameters, state dicts (refused across kinds; resumed runs continue bit-for-bit),
constraints, tracing (the recorded terms reproduce every parameter change), and where the
weight decay sits (coupled vs decoupled)."""
import copy
import math

import numpy as np
import pytest

import minigrad as mg
from minigrad import optim

class SoftThreshold:
    """prox of step·α‖w‖₁ (a stand-in for minigrad.penalties.L1)."""

    def __init__(self, alpha):
        self.alpha = alpha

    def prox(self, v, step):
        return np.sign(v) * np.maximum(np.abs(v) - step * self.alpha, 0.0)


ALL = [optim.SGD, optim.SGDW, optim.Adam, optim.AdamW, optim.Adamax, optim.NAdam, optim.RAdam,
       optim.RMSprop, optim.Adagrad, optim.Adadelta, optim.Rprop, optim.ASGD, optim.Lion,
       optim.LAMB, optim.ProxSGD, optim.FISTA]
FLAGGED = {  # kwargs that switch on the optional state/terms
    optim.SGD: dict(momentum=0.9, weight_decay=0.1, nesterov=True),
    optim.SGDW: dict(momentum=0.9, weight_decay=0.1),
    optim.Adam: dict(weight_decay=0.1, amsgrad=True),
    optim.AdamW: dict(amsgrad=True),
    optim.Adamax: dict(weight_decay=0.1),
    optim.NAdam: dict(weight_decay=0.1, decoupled_weight_decay=True),
    optim.RAdam: dict(weight_decay=0.1),
    optim.RMSprop: dict(momentum=0.5, centered=True, weight_decay=0.1),
    optim.Adagrad: dict(lr_decay=0.01, weight_decay=0.1),
    optim.Adadelta: dict(weight_decay=0.1),
    optim.Rprop: dict(),
    optim.ASGD: dict(t0=2, weight_decay=0.1),
    optim.Lion: dict(weight_decay=0.1),
    optim.LAMB: dict(weight_decay=0.1),
    optim.ProxSGD: dict(lr=0.01, penalty=SoftThreshold(0.1), momentum=0.5),
    optim.FISTA: dict(lr=0.01, penalty=SoftThreshold(0.1)),
}
ids = [c.__name__ for c in ALL]


def _params(seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return [mg.tensor(rng.standard_normal(s).astype(dtype), requires_grad=True)
            for s in [(3, 4), (4,)]]


def _loss(ps):
    w, b = ps
    x = mg.tensor(np.linspace(-1, 1, 12, dtype=w.dtype).reshape(3, 4))
    return (((x * w).sum(1) ** 2).sum() + (b * b * b).sum() * 0.1)


def _steps(opt, ps, n):
    for _ in range(n):
        opt.zero_grad()
        _loss(ps).backward()
        opt.step()


# ---- construction, groups, validation ---------------------------------------------------------

def test_param_groups_take_defaults_and_overrides():
    a, b = _params()
    opt = optim.SGD([{"params": [a]}, {"params": b, "lr": 0.5, "momentum": 0.9}], lr=0.1)
    assert opt.param_groups[0]["lr"] == 0.1 and opt.param_groups[0]["momentum"] == 0
    assert opt.param_groups[1]["lr"] == 0.5 and opt.param_groups[1]["momentum"] == 0.9
    assert opt.param_groups[1]["params"] == [b] or opt.param_groups[1]["params"][0] is b


def test_add_param_group_and_duplicates():
    a, b = _params()
    opt = optim.Adam([a], lr=0.1)
    opt.add_param_group({"params": [b], "lr": 0.2})
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.2]
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [a]})
    with pytest.raises(ValueError, match="empty"):
        optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="iterable"):
        optim.SGD(a, lr=0.1)
    with pytest.raises(TypeError, match="Tensors"):
        optim.SGD([np.zeros(3)], lr=0.1)


@pytest.mark.parametrize("cls, kwargs, name", [
    (optim.SGD, dict(lr=-0.1), "lr"), (optim.SGD, dict(lr=math.nan), "lr"),
    (optim.SGD, dict(lr=math.inf), "lr"), (optim.SGD, dict(momentum=-0.5), "momentum"),
    (optim.SGD, dict(weight_decay=-1e-4), "weight_decay"),
    (optim.SGD, dict(nesterov=True), "nesterov"),
    (optim.SGD, dict(nesterov=True, momentum=0.9, dampening=0.1), "nesterov"),
    (optim.SGDW, dict(decay_scaling="paper"), "decay_scaling"),
    (optim.Adam, dict(lr=-1e-3), "lr"), (optim.Adam, dict(eps=0.0), "eps"),
    (optim.Adam, dict(eps=-1e-8), "eps"), (optim.Adam, dict(betas=(1.0, 0.999)), r"betas\[0\]"),
    (optim.Adam, dict(betas=(0.9, -0.1)), r"betas\[1\]"), (optim.Adam, dict(betas=0.9), "betas"),
    (optim.Adam, dict(weight_decay=-0.1), "weight_decay"),
    (optim.AdamW, dict(decay_scaling="x"), "decay_scaling"),
    (optim.AdamW, dict(weight_decay=math.nan), "weight_decay"),
    (optim.Adamax, dict(eps=0), "eps"), (optim.NAdam, dict(momentum_decay=-1), "momentum_decay"),
    (optim.RAdam, dict(betas=(0.9, 1.5)), r"betas\[1\]"),
    (optim.RMSprop, dict(alpha=-0.1), "alpha"), (optim.RMSprop, dict(eps=0), "eps"),
    (optim.RMSprop, dict(momentum=-1), "momentum"),
    (optim.Adagrad, dict(lr_decay=-1), "lr_decay"),
    (optim.Adagrad, dict(initial_accumulator_value=-1), "initial_accumulator_value"),
    (optim.Adadelta, dict(rho=1.5), "rho"), (optim.Adadelta, dict(eps=0), "eps"),
    (optim.Rprop, dict(etas=(1.5, 1.2)), "etas"), (optim.Rprop, dict(step_sizes=(1, 0.1)),
                                                   "step_sizes"),
    (optim.ASGD, dict(lambd=-1), "lambd"), (optim.Lion, dict(betas=(0.9, 1.0)), r"betas\[1\]"),
    (optim.LAMB, dict(eps=0), "eps"),
    (optim.ProxSGD, dict(lr=-1), "lr"), (optim.FISTA, dict(lr=math.inf), "lr"),
    (optim.ProxSGD, dict(momentum=-0.1), "momentum"), (optim.SGD, dict(dampening=math.nan),
                                                       "dampening"),
    (optim.Adam, dict(decay_scaling="lr2"), "decay_scaling"),
    (optim.Adamax, dict(lr=-1), "lr"), (optim.Adamax, dict(betas=(0.9, 1.0)), r"betas\[1\]"),
    (optim.Adamax, dict(weight_decay=-1), "weight_decay"),
    (optim.NAdam, dict(eps=0), "eps"), (optim.NAdam, dict(lr=-1), "lr"),
    (optim.NAdam, dict(betas=(-0.1, 0.9)), r"betas\[0\]"),
    (optim.NAdam, dict(weight_decay=-1), "weight_decay"),
    (optim.RAdam, dict(lr=-1), "lr"), (optim.RAdam, dict(eps=-1), "eps"),
    (optim.RAdam, dict(weight_decay=-1), "weight_decay"),
    (optim.RMSprop, dict(lr=-1), "lr"), (optim.RMSprop, dict(weight_decay=-1), "weight_decay"),
    (optim.Adagrad, dict(lr=-1), "lr"), (optim.Adagrad, dict(eps=0), "eps"),
    (optim.Adagrad, dict(weight_decay=-1), "weight_decay"),
    (optim.Adadelta, dict(lr=-1), "lr"), (optim.Adadelta, dict(rho=-0.1), "rho"),
    (optim.Adadelta, dict(weight_decay=-1), "weight_decay"),
    (optim.Rprop, dict(lr=-1), "lr"), (optim.Rprop, dict(etas=(0.5, 0.9)), "etas"),
    (optim.Rprop, dict(step_sizes=(-1, 1)), r"step_sizes\[0\]"),
    (optim.ASGD, dict(lr=-1), "lr"), (optim.ASGD, dict(weight_decay=-1), "weight_decay"),
    (optim.ASGD, dict(alpha=math.nan), "alpha"), (optim.ASGD, dict(t0=math.inf), "t0"),
    (optim.Lion, dict(lr=-1), "lr"), (optim.Lion, dict(weight_decay=-1), "weight_decay"),
    (optim.Lion, dict(decay_scaling=None), "decay_scaling"),
    (optim.LAMB, dict(lr=-1), "lr"), (optim.LAMB, dict(betas=(1.2, 0.9)), r"betas\[0\]"),
    (optim.LAMB, dict(weight_decay=-1), "weight_decay"),
    (optim.SGDW, dict(lr=-1), "lr"), (optim.SGDW, dict(weight_decay=-1), "weight_decay"),
    (optim.SGDW, dict(momentum=-1), "momentum"),
])
def test_bad_hyperparameters_raise_value_error_naming_the_argument(cls, kwargs, name):
    with pytest.raises(ValueError, match=name):
        cls(_params()[:1], **({"lr": 0.1} | kwargs) if cls in (optim.ProxSGD, optim.FISTA)
            else kwargs)


def test_a_bad_override_in_a_param_group_is_caught_too():
    a, b = _params()
    with pytest.raises(ValueError, match="lr"):
        optim.Adam([{"params": [a]}, {"params": [b], "lr": -1.0}])


def test_prox_methods_require_lr():
    with pytest.raises(ValueError, match="lr"):
        optim.ProxSGD(_params()[:1])


# ---- step mechanics ---------------------------------------------------------------------------

@pytest.mark.parametrize("cls", ALL, ids=ids)
def test_a_parameter_without_grad_is_skipped(cls):
    a, b = _params()
    b0 = b.array.copy()
    opt = cls([a, b], **FLAGGED[cls])
    a.grad = mg.tensor(np.ones_like(a.array))
    opt.step()
    np.testing.assert_array_equal(b.array, b0)
    assert id(b) not in opt.state and id(a) in opt.state


def test_zero_grad():
    a, b = _params()
    opt = optim.SGD([a, b], lr=0.1)
    _loss([a, b]).backward()
    opt.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(a.grad.array, 0)
    opt.zero_grad()
    assert a.grad is None and b.grad is None


def test_step_with_closure_returns_the_loss_and_uses_its_gradient():
    ps = _params()
    qs = [mg.tensor(p.array.copy(), requires_grad=True) for p in ps]
    opt = optim.SGD(ps, lr=0.01)

    def closure():
        opt.zero_grad()
        loss = _loss(ps)
        loss.backward()
        return loss
    loss = opt.step(closure)
    loss_q = _loss(qs)
    loss_q.backward()
    assert loss.item() == loss_q.item()          # the loss at the point before the step
    for p, q in zip(ps, qs):
        np.testing.assert_array_equal(p.array, q.array - 0.01 * q.grad.array)


@pytest.mark.parametrize("cls", ALL, ids=ids)
def test_a_constraint_is_applied_after_every_step(cls):
    a, b = _params()
    a.constraint = lambda w: np.clip(w, -0.05, 0.05)        # a plain tensor with a projection
    opt = cls([a, b], **FLAGGED[cls])
    for k in range(3):
        a.grad = mg.tensor(np.full(a.shape, 0.3 * (k + 1)))
        b.grad = mg.tensor(np.full(b.shape, 0.3))
        opt.step()
        assert np.abs(a.array).max() <= 0.05
    assert np.abs(b.array).max() > 0.05       # an unconstrained parameter is left alone


def test_the_constraint_sees_the_updated_parameter():
    w = mg.tensor(np.array([1.0, -2.0]), requires_grad=True)
    seen = []
    w.constraint = lambda a: (seen.append(a.copy()), a / np.linalg.norm(a))[1]
    opt = optim.SGD([w], lr=0.5)
    w.grad = mg.tensor(np.array([1.0, 1.0]))
    opt.step()
    np.testing.assert_array_equal(seen[0], [0.5, -2.5])
    np.testing.assert_allclose(w.array, np.array([0.5, -2.5]) / np.hypot(0.5, 2.5), rtol=1e-15)


# ---- state dicts ------------------------------------------------------------------------------

@pytest.mark.parametrize("cls", ALL, ids=ids)
def test_a_resumed_run_continues_bit_for_bit(cls):
    ps = _params()
    opt = cls(ps, **FLAGGED[cls])
    _steps(opt, ps, 3)
    saved_params = [p.array.copy() for p in ps]
    saved = opt.state_dict()
    _steps(opt, ps, 4)
    expected = [p.array.copy() for p in ps]

    for via in ("direct", "deepcopy"):
        qs = [mg.tensor(s.copy(), requires_grad=True) for s in saved_params]
        opt2 = cls(qs, **FLAGGED[cls])
        opt2.load_state_dict(copy.deepcopy(saved) if via == "deepcopy" else saved)
        _steps(opt2, qs, 4)
        for q, e in zip(qs, expected):
            np.testing.assert_array_equal(q.array, e, err_msg=via)


def test_the_state_dict_is_a_snapshot():
    ps = _params()
    opt = optim.Adam(ps)
    _steps(opt, ps, 2)
    sd = opt.state_dict()
    m = sd["state"][0]["exp_avg"].copy()
    _steps(opt, ps, 2)
    np.testing.assert_array_equal(sd["state"][0]["exp_avg"], m)
    assert sd["state"][0]["step"] == 2 and sd["param_groups"][0]["params"] == [0, 1]


def test_loading_hyperparameters_from_the_state_dict():
    ps = _params()
    opt = optim.SGD(ps, lr=0.3, momentum=0.9)
    sd = opt.state_dict()
    opt2 = optim.SGD(_params(), lr=0.01)
    opt2.load_state_dict(sd)
    assert opt2.param_groups[0]["lr"] == 0.3 and opt2.param_groups[0]["momentum"] == 0.9


@pytest.mark.parametrize("src, dst", [(optim.Adam, optim.SGD), (optim.SGD, optim.Adam),
                                      (optim.Adam, optim.AdamW), (optim.RMSprop, optim.Adagrad)])
def test_a_state_dict_from_another_kind_is_refused(src, dst):
    ps = _params()
    opt = src(ps)
    _steps(opt, ps, 1)
    with pytest.raises(ValueError, match=f"saved by a {src.__name__}.*into a {dst.__name__}"):
        dst(_params()).load_state_dict(opt.state_dict())


def test_a_state_dict_with_other_groups_is_refused():
    a, b = _params()
    sd = optim.SGD([a, b]).state_dict()
    with pytest.raises(ValueError, match="parameter groups"):
        optim.SGD([{"params": [a]}, {"params": [b]}]).load_state_dict(sd)
    with pytest.raises(ValueError, match="size"):
        optim.SGD([a]).load_state_dict(sd)


# ---- tracing ----------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("cls", ALL, ids=ids)
def test_the_traced_terms_reproduce_every_parameter_change(cls, dtype):
    ps = _params(dtype=dtype)
    opt = cls(ps, **FLAGGED[cls])
    for _ in range(3):
        before = [p.array.copy() for p in ps]
        opt.zero_grad()
        _loss(ps).backward()
        with optim.trace(opt) as tr:
            opt.step()
        for p, w in zip(ps, before):
            terms = tr[p]
            assert terms["update"].dtype == dtype
            np.testing.assert_array_equal(w + terms["update"], p.array)   # exactly


@pytest.mark.parametrize("cls", [optim.SGD, optim.Adam, optim.AdamW, optim.RMSprop,
                                 optim.Adagrad], ids=lambda c: c.__name__)
def test_tracing_does_not_change_the_trajectory(cls):
    ps, qs = _params(), _params()
    o1, o2 = cls(ps, **FLAGGED[cls]), cls(qs, **FLAGGED[cls])
    for _ in range(3):
        _steps(o1, ps, 1)
        with optim.trace(o2):
            _steps(o2, qs, 1)
    for p, q in zip(ps, qs):
        np.testing.assert_array_equal(p.array, q.array)


def test_the_named_terms_add_up():
    """SGD: update = −lr·(g + λw) through the buffer; AdamW: update = adam + decoupled_decay."""
    ps = _params()
    opt = optim.SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.01)
    _steps(opt, ps, 2)
    w = ps[0].array.copy()
    b_prev = opt.state[id(ps[0])]["momentum_buffer"].copy()
    opt.zero_grad()
    _loss(ps).backward()
    g = ps[0].grad.array.copy()
    with optim.trace(opt) as tr:
        opt.step()
    t = tr[ps[0]]
    assert set(t) == {"grad", "l2", "momentum_buffer", "update"}
    np.testing.assert_array_equal(t["grad"], g)
    np.testing.assert_array_equal(t["l2"], 0.01 * w)
    np.testing.assert_allclose(t["momentum_buffer"], 0.9 * b_prev + g + 0.01 * w, rtol=1e-15)
    np.testing.assert_array_equal(t["update"], -0.1 * t["momentum_buffer"])

    opt = optim.AdamW(ps, lr=0.1, weight_decay=0.5)
    w = ps[0].array.copy()
    with optim.trace(opt) as tr:
        opt.step()
    t = tr[ps[0]]
    assert "l2" not in t
    np.testing.assert_array_equal(t["decoupled_decay"], -(0.1 * 0.5) * w)
    np.testing.assert_array_equal(t["update"], t["adam"] + t["decoupled_decay"])
    np.testing.assert_allclose(t["adam"], -0.1 * np.sign(t["grad"]), rtol=1e-6)  # step 1: ±lr


def test_trace_records_every_step_and_refuses_nesting():
    ps = _params()
    opt = optim.SGD(ps, lr=0.1)
    with optim.trace(opt) as tr:
        _steps(opt, ps, 3)
        with pytest.raises(RuntimeError, match="already"):
            with optim.trace(opt):
                pass
    assert len(tr.steps) == 3 and all(id(ps[0]) in s for s in tr.steps)
    assert opt._tracer is None
    with pytest.raises(KeyError):
        tr[mg.tensor([1.0])]


# ---- where the decay sits ----------------------------------------------------------------------

def _l2_loss(ps, lam):
    return _loss(ps) + sum((p * p).sum() for p in ps) * (lam / 2)


@pytest.mark.parametrize("momentum, nesterov", [(0, False), (0.9, False), (0.9, True)])
def test_sgd_weight_decay_is_exactly_sgd_on_the_l2_penalised_loss(momentum, nesterov):
    lam = 0.05
    ps, qs = _params(), _params()
    o1 = optim.SGD(ps, lr=0.05, momentum=momentum, nesterov=nesterov, weight_decay=lam)
    o2 = optim.SGD(qs, lr=0.05, momentum=momentum, nesterov=nesterov)
    for _ in range(5):
        o1.zero_grad()
        _loss(ps).backward()
        o1.step()
        o2.zero_grad()
        _l2_loss(qs, lam).backward()
        o2.step()
    for p, q in zip(ps, qs):
        np.testing.assert_allclose(p.array, q.array, rtol=1e-14, atol=1e-15)


def test_sgd_weight_decay_matches_penalties_L2_if_available():
    penalties = pytest.importorskip("minigrad.penalties")
    lam = 0.05
    pen = penalties.L2(lam)
    ps, qs = _params(), _params()
    o1, o2 = optim.SGD(ps, lr=0.05, momentum=0.9, weight_decay=lam), \
        optim.SGD(qs, lr=0.05, momentum=0.9)
    for _ in range(4):
        o1.zero_grad()
        _loss(ps).backward()
        o1.step()
        o2.zero_grad()
        (_loss(qs) + sum(pen(q) for q in qs)).backward()
        o2.step()
    for p, q in zip(ps, qs):
        np.testing.assert_allclose(p.array, q.array, rtol=1e-13, atol=1e-15)


def _run(cls, ps, steps=5, **kw):
    opt = cls(ps, **kw)
    _steps(opt, ps, steps)
    return [p.array.copy() for p in ps]


def test_coupled_and_decoupled_sgd_coincide_at_momentum_zero_and_differ_otherwise():
    a = _run(optim.SGD, _params(), lr=0.05, weight_decay=0.1)
    b = _run(optim.SGDW, _params(), lr=0.05, weight_decay=0.1)
    for x, y in zip(a, b):
        np.testing.assert_allclose(x, y, rtol=1e-14, atol=1e-15)
    a = _run(optim.SGD, _params(), lr=0.05, momentum=0.9, weight_decay=0.1)
    b = _run(optim.SGDW, _params(), lr=0.05, momentum=0.9, weight_decay=0.1)
    assert np.abs(a[0] - b[0]).max() > 1e-4


def test_adam_with_weight_decay_differs_from_adamw():
    a = _run(optim.Adam, _params(), lr=0.05, weight_decay=0.1)
    b = _run(optim.AdamW, _params(), lr=0.05, weight_decay=0.1)
    c = _run(optim.Adam, _params(), lr=0.05, weight_decay=0.1, decoupled_weight_decay=True)
    assert np.abs(a[0] - b[0]).max() > 1e-3
    for x, y in zip(b, c):
        np.testing.assert_array_equal(x, y)      # AdamW is Adam(decoupled_weight_decay=True)


def test_without_decay_adam_and_adamw_coincide():
    a = _run(optim.Adam, _params(), lr=0.05)
    b = _run(optim.AdamW, _params(), lr=0.05, weight_decay=0.0)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("cls", [optim.AdamW, optim.SGDW, optim.Lion], ids=lambda c: c.__name__)
def test_decay_scaling_schedule_uses_the_schedule_multiplier_not_the_lr(cls):
    """decay_scaling="schedule": decoupled_decay = −(lr/initial_lr)·λ·w (the AdamW paper);
    "lr": −lr·λ·w (torch). With a scheduler at multiplier 0.5 and base lr 0.1."""
    for scaling, factor in (("lr", 0.05), ("schedule", 0.5)):
        ps = _params()
        opt = cls(ps, lr=0.1, weight_decay=0.2, decay_scaling=scaling)
        sched = optim.lr_scheduler.LambdaLR(opt, lambda t: 0.5)
        assert opt.param_groups[0]["lr"] == 0.05 and opt.param_groups[0]["initial_lr"] == 0.1
        w = ps[0].array.copy()
        opt.zero_grad()
        _loss(ps).backward()
        with optim.trace(opt) as tr:
            opt.step()
        np.testing.assert_array_equal(tr[ps[0]]["decoupled_decay"], -(factor * 0.2) * w)
        del sched


def test_decay_scaling_schedule_without_a_scheduler_is_lambda_w():
    ps = _params()
    opt = optim.AdamW(ps, lr=0.1, weight_decay=0.2, decay_scaling="schedule")
    w = ps[0].array.copy()
    _loss(ps).backward()
    with optim.trace(opt) as tr:
        opt.step()
    np.testing.assert_array_equal(tr[ps[0]]["decoupled_decay"], -0.2 * w)


# ---- the no-decay param-group helper ------------------------------------------------------------

def test_param_groups_no_decay_splits_weights_from_biases_and_norms():
    W = mg.tensor(np.ones((3, 2)), requires_grad=True)
    b = mg.tensor(np.ones(3), requires_grad=True)
    gamma = mg.tensor(np.ones(3), requires_grad=True)
    emb = mg.tensor(np.ones((4, 3)), requires_grad=True)
    named = [("fc.weight", W), ("fc.bias", b), ("ln.weight", gamma), ("LayerNorm2d.scale", emb)]
    groups = optim.param_groups_no_decay(named, weight_decay=0.1)
    assert [g["weight_decay"] for g in groups] == [0.1, 0.0]
    assert groups[0]["params"][0] is W and len(groups[0]["params"]) == 1
    assert {id(p) for p in groups[1]["params"]} == {id(b), id(gamma), id(emb)}
    opt = optim.AdamW(groups, lr=0.1)
    for p in (W, b, gamma, emb):
        p.grad = mg.tensor(np.zeros(p.shape))
    opt.step()          # zero gradient: only the decay moves a parameter
    np.testing.assert_allclose(W.array, 1 - 0.1 * 0.1)
    np.testing.assert_array_equal(b.array, 1.0)


def test_param_groups_no_decay_accepts_a_module_like_object():
    class M:
        def named_parameters(self):
            return iter([("w", mg.tensor(np.ones((2, 2)), requires_grad=True)),
                         ("b", mg.tensor(np.ones(2), requires_grad=True))])
    groups = optim.param_groups_no_decay(M(), 1e-2)
    assert [len(g["params"]) for g in groups] == [1, 1]


def test_numpy_scalar_hyperparameters_keep_float32_parameters_float32():
    w = mg.tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    opt = optim.Adam([w], lr=np.float64(0.1), weight_decay=np.float64(0.01), fused=False)
    assert type(opt.param_groups[0]["lr"]) is float
    w.grad = mg.tensor(np.ones(3, dtype=np.float32))
    with optim.trace(opt) as tr:
        opt.step()
    assert w.array.dtype == np.float32 and tr[w]["update"].dtype == np.float32
    with pytest.raises(ValueError, match="lr"):
        optim.Adam([w], lr="0.1")
