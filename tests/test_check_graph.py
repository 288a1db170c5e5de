"""mg.autograd.check_graph: a local gradcheck of every node, naming the one with a wrong backward."""
import inspect

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F


class WrongSquare(mg.autograd.Function):
    """y = x², with the planted bug dy/dx = 3x (should be 2x)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.array * x.array

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        return grad * 3 * x


class RightSquare(WrongSquare):
    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        return grad * 2 * x


class RightSquareWrongJvp(RightSquare):
    """Backward right, jvp planted wrong (3x·t instead of 2x·t): only forward mode sees it."""

    @staticmethod
    def jvp(ctx, t):
        x, = ctx.saved_tensors
        return 3 * x * t


class RightSquareRightJvp(RightSquare):
    @staticmethod
    def jvp(ctx, t):
        x, = ctx.saved_tensors
        return 2 * x * t


class Noisy(mg.autograd.Function):
    """y = x + noise: repeating the call gives another y."""

    @staticmethod
    def forward(ctx, x):
        return x.array + np.random.default_rng().standard_normal(x.shape).astype(x.dtype)

    @staticmethod
    def backward(ctx, grad):
        return grad


def _model_with(square):
    mg.manual_seed(0)
    linear = nn.Linear(4, 3).double()
    x, y = mg.randn(5, 4, dtype=mg.float64), mg.tensor([0, 1, 2, 0, 1])
    with mg.autograd.record_creation_sites():
        h = linear(x)
        line = inspect.currentframe().f_lineno + 1
        h = square.apply(h)
        loss = F.cross_entropy(F.softmax(h, dim=1), y)
    return loss, line


def test_planted_wrong_backward_is_named_and_nothing_else():
    loss, line = _model_with(WrongSquare)
    report = mg.autograd.check_graph(loss, raise_exception=False)
    assert [r.function for r in report.failures] == ["WrongSquare"]
    bad = report.failures[0]
    assert bad.node == "WrongSquareBackward" and bad.site == f"{__file__}:{line}"
    assert bad.max_error > 0.1  # 3x against 2x: |x| of the order of 1
    assert all(r.status == "pass" for r in report if r is not bad), str(report)
    assert {"MatMulBT", "Add", "Softmax", "CrossEntropyTotal"} <= {r.function for r in report}
    with pytest.raises(mg.GradcheckError) as info:
        mg.autograd.check_graph(loss)
    msg = str(info.value)
    assert f"WrongSquareBackward (Function WrongSquare, created at {__file__}:{line})" in msg
    assert "worst at d output[" in msg and "analytical" in msg and "numerical" in msg
    assert "WrongSquareBackward" in str(report) and "FAIL" in str(report)


def test_the_fixed_backward_passes_every_node_also_second_order():
    loss, _ = _model_with(RightSquare)
    report = mg.autograd.check_graph(loss, second_order=True)
    assert report and all(r.passed for r in report), str(report)
    assert max(r.max_error for r in report) < 1e-6


def test_planted_wrong_jvp_is_named_by_the_forward_mode_check_and_nothing_else():
    loss, line = _model_with(RightSquareWrongJvp)
    assert all(r.passed for r in mg.autograd.check_graph(loss, raise_exception=False))
    report = mg.autograd.check_graph(loss, raise_exception=False, check_forward_ad=True)
    assert [r.function for r in report.failures] == ["RightSquareWrongJvp"], str(report)
    assert report.failures[0].site == f"{__file__}:{line}"
    assert "forward-mode (jvp)" in report.failures[0].reason
    assert all(r.passed for r in report if r.status != "FAIL"), str(report)
    loss, _ = _model_with(RightSquareRightJvp)
    report = mg.autograd.check_graph(loss, check_forward_ad=True)
    assert report and all(r.passed for r in report), str(report)


def test_every_layer_of_a_small_cnn_passes():
    mg.manual_seed(1)
    model = nn.Sequential(nn.Conv2d(1, 3, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                          nn.Linear(12, 4)).double()
    x, y = mg.randn(2, 1, 6, 6, dtype=mg.float64), mg.tensor([1, 3])
    with mg.autograd.record_creation_sites():
        loss = F.cross_entropy(model(x), y)
    report = mg.autograd.check_graph(loss)
    assert all(r.status == "pass" for r in report), str(report)
    functions = " ".join(r.function for r in report).lower()
    # conv is a matmul over im2col's patches (of the data: not recorded); max-pool reads its
    # input at the maxima's indices
    for part in ("matmul", "relu", "gatherplanes", "reshape", "crossentropy"):
        assert part in functions, (part, functions)
    loss.backward()  # the check did not disturb the graph
    assert model[0].weight.grad is not None


def test_nodes_that_cannot_be_repeated_are_skipped_with_the_reason():
    w = mg.randn(4, dtype=mg.float64, requires_grad=True)
    with mg.autograd.record_creation_sites():
        noisy = Noisy.apply(w * 2)
        loss = (noisy * w).sum()
    report = mg.autograd.check_graph(loss, raise_exception=False)
    by_function = {r.function: r for r in report}
    assert by_function["Noisy"].status == "skipped"
    assert "not deterministic" in by_function["Noisy"].reason
    with mg.no_grad():
        w.add_(1.0)  # the values the Mul nodes saw are gone
    report = mg.autograd.check_graph(loss, raise_exception=False)
    written = [r for r in report if "written in place" in r.reason]
    assert written and all(r.status == "skipped" for r in written)
    assert "skipped" in str(report)
    w2 = mg.randn(3, dtype=mg.float64, requires_grad=True)
    loss = (w2 * w2).sum()  # recorded without creation sites: Mul saved w2
    with mg.no_grad():
        w2.mul_(2.0)
    row = mg.autograd.check_graph(loss, raise_exception=False)[0]
    assert row.function == "Mul" and row.status == "skipped" and "in place" in row.reason
    # without recording, an op's non-tensor arguments (softmax's dim) are unknown
    x = mg.randn(2, 3, dtype=mg.float64, requires_grad=True)
    report = mg.autograd.check_graph(F.softmax(x, dim=1).sum(), raise_exception=False)
    assert any(r.status == "skipped" and "record_creation_sites" in r.reason for r in report)


def test_inputs_limit_the_walk_and_bad_arguments():
    a = mg.randn(3, dtype=mg.float64, requires_grad=True)
    b = mg.randn(3, dtype=mg.float64, requires_grad=True)
    loss = (a.exp() + b * b).sum()
    only_a = mg.autograd.check_graph(loss, inputs=[a])
    assert [r.function for r in only_a] == ["Exp", "Add", "Sum"]  # not b·b's Mul
    assert [r.function for r in mg.autograd.check_graph(loss)] == ["Mul", "Exp", "Add", "Sum"]
    with pytest.raises(TypeError, match="Tensor"):
        mg.autograd.check_graph(3.0)
    with pytest.raises(ValueError, match="no recorded graph"):
        mg.autograd.check_graph(mg.ones(2))


def test_recording_flag_is_off_by_default_and_restored():
    assert not mg.autograd.is_detect_creation_site_enabled()
    with mg.autograd.record_creation_sites():
        assert mg.autograd.is_detect_creation_site_enabled()
    assert not mg.autograd.is_detect_creation_site_enabled()
    x = mg.randn(2, requires_grad=True)
    assert not hasattr((x * x).grad_fn, "_creation_site")
    mg.autograd.set_detect_creation_site(True)
    try:
        assert (x * x).grad_fn._creation_site.endswith(f":{inspect.currentframe().f_lineno}")
    finally:
        mg.autograd.set_detect_creation_site(False)
