"""Every example runs in quick mode and prints its verdict; identities must hold.

Claims that are identities (exact up to a stated tolerance) must print ``claim holds: yes``:
one that fails is a bug to find, not a tolerance to loosen. Claims that are empirical
tendencies must print a verdict, whichever it is (the README reports it honestly).
"""
import glob
import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = sorted(glob.glob(os.path.join(ROOT, "examples", "[0-9][0-9]_*.py")))
IDENTITY_CLAIMS = {2, 3, 4, 6, 7, 9, 10, 11, 13, 17, 18, 19, 22, 23, 26}


def _number(path):
    return int(os.path.basename(path)[:2])


@pytest.mark.parametrize("path", EXAMPLES, ids=[os.path.basename(p) for p in EXAMPLES])
def test_example_runs_in_quick_mode(path, tmp_path):
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONUNBUFFERED="1")
    r = subprocess.run([sys.executable, path, "--quick"], capture_output=True, text=True,
                       timeout=120, cwd=tmp_path, env=env)
    assert r.returncode == 0, f"{os.path.basename(path)} failed:\n{r.stdout}\n{r.stderr}"
    n = _number(path)
    if n >= 1:
        verdicts = re.findall(r"^claim holds: (yes|no)", r.stdout, re.M)
        assert verdicts, f"{os.path.basename(path)} printed no 'claim holds:' line:\n{r.stdout}"
        if n in IDENTITY_CLAIMS:
            assert all(v == "yes" for v in verdicts), (
                f"identity claim {n} does not hold:\n{r.stdout}")


def test_every_claim_has_an_example():
    present = {_number(p) for p in EXAMPLES}
    missing = sorted(set(range(1, max(present) + 1)) - present)
    assert not missing, f"claims without an example: {missing}"
