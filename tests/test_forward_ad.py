"""Forward-mode AD (minigrad.autograd.forward_ad): every case of the check catalogue through the
ops' jvp rules against central differences, the dual-tensor API against torch's, custom
Functions' jvp, and forward-over-reverse / reverse-over-forward."""
import numpy as np
import pytest

import minigrad as mg
from minigrad import checks
from minigrad.autograd import forward_ad as fwAD

CASES = [c for c in checks.all_cases() if c.check is None]


@pytest.mark.parametrize("case", CASES, ids=[f"{c.family}:{c.name}" for c in CASES])
def test_forward_mode_matches_finite_differences(case, device):
    err, msg = checks.run_forward_case(case, device)
    assert msg is None, msg
    assert err < 1e-5


SECOND_ORDER = [c for c in CASES if c.second_order]


@pytest.mark.parametrize("case", SECOND_ORDER, ids=[f"{c.family}:{c.name}" for c in SECOND_ORDER])
def test_forward_over_reverse_matches_finite_differences(case):
    """gradgradcheck(check_fwd_over_rev=True): tangents through each backward's operations."""
    err, msg = checks.run_forward_case(case, "cpu", over_reverse=True)
    assert msg is None, msg
