"""The optimizer identities shown by `python -m minigrad check` hold, and a broken one fails."""
import pytest

from minigrad import checks

OPTIM_CASES = [c for c in checks.all_cases() if c.family == "optim"]


def test_the_optimizer_identities_are_registered():
    assert len(OPTIM_CASES) >= 5


@pytest.mark.parametrize("case", OPTIM_CASES, ids=[c.name for c in OPTIM_CASES])
def test_optimizer_identity(case, device):
    err, msg = checks.run_case(case, device)
    assert msg is None, msg
    assert err <= 1e-12


def test_a_broken_identity_is_reported_with_its_size():
    broken = checks.Case("planted", None, (), family="optim", atol=1e-12, check=lambda d: 3e-4)
    err, msg = checks.run_case(broken, "cpu")
    assert err == 3e-4 and "0.0003 > atol 1e-12" in msg
