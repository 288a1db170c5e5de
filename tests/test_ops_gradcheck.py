"""Every op in the catalogue (minigrad/checks.py) passes gradcheck and gradgradcheck in float64,
in full and fast mode, on every device present."""
import pytest

from minigrad import checks

OP_CASES = [c for c in checks.CASES if c.family == "op"]


@pytest.mark.parametrize("case", OP_CASES, ids=[c.name for c in OP_CASES])
def test_gradcheck_full(case, device):
    err, msg = checks.run_case(case, device, fast_mode=False)
    assert msg is None, msg
    assert err < 1e-6


@pytest.mark.parametrize("case", OP_CASES, ids=[c.name for c in OP_CASES])
def test_gradcheck_fast(case, device):
    err, msg = checks.run_case(case, device, fast_mode=True)
    assert msg is None, msg


def test_catalogue_covers_the_issue_ops():
    names = " ".join(c.name for c in OP_CASES)
    for op in ["add", "sub", "mul", "div", "pow", "neg", "exp", "log", "sqrt", "abs", "tanh",
               "sigmoid", "relu", "clip", "sum", "mean", "max", "min", "reshape", "transpose",
               ".T", "flatten", "squeeze", "unsqueeze", "broadcast_to", "softmax",
               "log_softmax", "logsumexp", "matmul", "getitem", "where", "maximum", "minimum",
               "concatenate", "stack", "0-d"]:
        assert op in names, f"no gradcheck case for {op}"
