"""LR schedulers: their lr sequences against closed forms (torch-free) and against
torch.optim.lr_scheduler (optional oracle), to float64 round-off."""
import math

import numpy as np
import pytest

import minigrad as mg
from minigrad import optim
from minigrad.optim import lr_scheduler as S

EPOCHS = 40


def _opt(lr=0.1, cls=optim.SGD, **kw):
    w = mg.tensor(np.zeros(2), requires_grad=True)
    b = mg.tensor(np.zeros(1), requires_grad=True)
    return cls([{"params": [w]}, {"params": [b], "lr": lr * 3}], lr=lr, **kw)


def _lrs(make, cls=optim.SGD, n=EPOCHS, **kw):
    opt = _opt(cls=cls, **kw)
    sched = make(opt)
    out = [[g["lr"] for g in opt.param_groups]]
    for _ in range(n):
        opt.step()
        sched.step()
        out.append([g["lr"] for g in opt.param_groups])
        assert sched.get_last_lr() == out[-1]
    return np.array(out)


def _torch_lrs(make, cls_name="SGD", n=EPOCHS, **kw):
    torch = pytest.importorskip("torch")
    w, b = torch.zeros(2, requires_grad=True), torch.zeros(1, requires_grad=True)
    opt = getattr(torch.optim, cls_name)([{"params": [w]}, {"params": [b], "lr": 0.3}],
                                         lr=0.1, **kw)
    sched = make(torch.optim.lr_scheduler, opt)
    out = [[g["lr"] for g in opt.param_groups]]
    for _ in range(n):
        opt.step()
        sched.step()
        out.append([g["lr"] for g in opt.param_groups])
    return np.array(out)


def _closed(f):
    t = np.arange(EPOCHS + 1)[:, None]
    return f(t, np.array([[0.1, 0.3]]))


SCHEDULES = {
    "StepLR": (lambda m, o: m.StepLR(o, step_size=7, gamma=0.5),
               lambda t, b: b * 0.5 ** (t // 7)),
    "MultiStepLR": (lambda m, o: m.MultiStepLR(o, milestones=[5, 12, 12, 30], gamma=0.3),
                    lambda t, b: b * 0.3 ** ((t >= 5) + 2 * (t >= 12) + (t >= 30))),
    "ExponentialLR": (lambda m, o: m.ExponentialLR(o, gamma=0.93), lambda t, b: b * 0.93 ** t),
    "CosineAnnealingLR": (lambda m, o: m.CosineAnnealingLR(o, T_max=15, eta_min=0.001),
                          lambda t, b: 0.001 + (b - 0.001) * (1 + np.cos(np.pi * t / 15)) / 2),
    "LinearLR": (lambda m, o: m.LinearLR(o, start_factor=0.2, end_factor=0.9, total_iters=10),
                 lambda t, b: b * (0.2 + 0.7 * np.minimum(t, 10) / 10)),
    "LambdaLR": (lambda m, o: m.LambdaLR(o, lambda e: 1 / (1 + 0.1 * e)),
                 lambda t, b: b / (1 + 0.1 * t)),
}


@pytest.mark.parametrize("name", SCHEDULES)
def test_schedule_matches_its_closed_form(name):
    make, closed = SCHEDULES[name]
    np.testing.assert_allclose(_lrs(lambda o: make(S, o)), _closed(closed), rtol=1e-12,
                               atol=1e-15)


@pytest.mark.parametrize("name", SCHEDULES)
def test_schedule_matches_torch(name):
    make, _ = SCHEDULES[name]
    np.testing.assert_allclose(_lrs(lambda o: make(S, o)), _torch_lrs(make), rtol=1e-14,
                               atol=0)


def test_cosine_annealing_past_t_max_goes_back_up_as_torch():
    make = lambda m, o: m.CosineAnnealingLR(o, T_max=6)  # noqa: E731
    got = _lrs(lambda o: make(S, o), n=20)
    t = np.arange(21)[:, None]
    np.testing.assert_allclose(got, np.array([[0.1, 0.3]]) * (1 + np.cos(np.pi * t / 6)) / 2,
                               rtol=1e-10, atol=1e-15)


def _warmup(m, o):
    return m.SequentialLR(o, [m.LinearLR(o, start_factor=0.1, total_iters=5),
                              m.CosineAnnealingLR(o, T_max=30)], milestones=[5])


def test_sequential_warmup_then_cosine_closed_form():
    got = _lrs(lambda o: _warmup(S, o))
    b = np.array([0.1, 0.3])
    for t in range(EPOCHS + 1):
        if t < 5:
            expected = b * (0.1 + 0.9 * t / 5)
        else:
            expected = b * (1 + math.cos(math.pi * (t - 5) / 30)) / 2
        np.testing.assert_allclose(got[t], expected, rtol=1e-10, atol=1e-15, err_msg=f"t={t}")


def test_sequential_matches_torch():
    np.testing.assert_allclose(_lrs(lambda o: _warmup(S, o)), _torch_lrs(_warmup), rtol=1e-14)


def _onecycle(three_phase, strategy):
    return lambda m, o: m.OneCycleLR(o, max_lr=[1.0, 2.0], total_steps=EPOCHS + 1,
                                     pct_start=0.25, anneal_strategy=strategy,
                                     three_phase=three_phase)


@pytest.mark.parametrize("three_phase", [False, True])
@pytest.mark.parametrize("strategy", ["cos", "linear"])
def test_onecycle_matches_torch_lr_and_momentum(three_phase, strategy):
    make = _onecycle(three_phase, strategy)
    np.testing.assert_allclose(_lrs(lambda o: make(S, o), momentum=0.9),
                               _torch_lrs(make, momentum=0.9), rtol=1e-14)
    np.testing.assert_allclose(_lrs(lambda o: make(S, o), cls=optim.Adam),
                               _torch_lrs(make, "Adam"), rtol=1e-14)


def test_onecycle_closed_form_two_phase_cos():
    opt = _opt(momentum=0.9)
    n, pct = 41, 0.25
    sched = S.OneCycleLR(opt, max_lr=1.0, total_steps=n, pct_start=pct)
    up = pct * n - 1
    ann = lambda a, b, p: b + (a - b) / 2 * (math.cos(math.pi * p) + 1)  # noqa: E731
    for t in range(n):
        if t <= up:
            lr, mom = ann(1 / 25, 1.0, t / up), ann(0.95, 0.85, t / up)
        else:
            p = (t - up) / (n - 1 - up)
            lr, mom = ann(1.0, 1 / 25 / 1e4, p), ann(0.85, 0.95, p)
        assert opt.param_groups[0]["lr"] == pytest.approx(lr, rel=1e-12)
        assert opt.param_groups[0]["momentum"] == pytest.approx(mom, rel=1e-12)
        if t < n - 1:
            opt.step()
            sched.step()
    with pytest.raises(ValueError, match="Tried to step"):
        sched.step()
        sched.step()


def test_schedulers_set_initial_lr_once_and_validate():
    opt = _opt()
    S.StepLR(opt, 3)
    opt.param_groups[0]["lr"] = 0.5
    S.ExponentialLR(opt, 0.9)
    assert opt.param_groups[0]["initial_lr"] == 0.1
    with pytest.raises(ValueError, match="step_size"):
        S.StepLR(_opt(), 0)
    with pytest.raises(ValueError, match="start_factor"):
        S.LinearLR(_opt(), start_factor=0)
    with pytest.raises(ValueError, match="milestones"):
        o = _opt()
        S.SequentialLR(o, [S.StepLR(o, 2), S.StepLR(o, 3)], milestones=[])
    with pytest.raises(ValueError, match="total_steps"):
        S.OneCycleLR(_opt(), max_lr=1.0)
    with pytest.raises(TypeError, match="not an Optimizer"):
        S.StepLR(object(), 3)


def test_scheduler_state_dict_round_trip():
    opt = _opt()
    s = S.CosineAnnealingLR(opt, T_max=10)
    for _ in range(4):
        opt.step()
        s.step()
    sd, osd = s.state_dict(), opt.state_dict()
    expected = []
    for _ in range(3):
        opt.step()
        s.step()
        expected.append(s.get_last_lr())
    opt2 = _opt()
    opt2.load_state_dict(osd)
    s2 = S.CosineAnnealingLR(opt2, T_max=10, last_epoch=3)
    s2.load_state_dict(sd)
    got = []
    for _ in range(3):
        opt2.step()
        s2.step()
        got.append(s2.get_last_lr())
    assert got == expected
