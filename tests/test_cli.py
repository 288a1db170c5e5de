import re
import subprocess
import sys


def test_check_cli_prints_a_table_with_a_forward_column_and_exits_zero():
    r = subprocess.run([sys.executable, "-m", "minigrad", "check", "--fast", "--family", "op"],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "reverse" in r.stdout and "forward" in r.stdout and "matmul 2-d" in r.stdout
    row = next(line for line in r.stdout.splitlines() if line.startswith("matmul 2-d "))
    reverse, forward = [float(v) for v in re.findall(r"\d\.\d\de[-+]\d\d", row)]
    assert reverse < 1e-6 and forward < 1e-6 and row.rstrip().endswith("pass")
    assert " 0 failed" in r.stdout


def test_help_explains_the_commands():
    r = subprocess.run([sys.executable, "-m", "minigrad", "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and "check" in r.stdout and "demo" in r.stdout and "graph" in r.stdout


SCRIPT = """
import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F
mg.manual_seed(0)
model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
x, y = mg.randn(5, 4), mg.tensor([0, 1, 1, 0, 1])
loss = F.cross_entropy(model(x), y)
"""


def test_graph_cli_draws_a_scripts_loss_and_checks_it_node_by_node(tmp_path):
    script = tmp_path / "mlp.py"
    script.write_text(SCRIPT)
    r = subprocess.run([sys.executable, "-m", "minigrad", "graph", str(script), "--check",
                        "forward"], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "CrossEntropyTotalBackward" in r.stdout and "0.weight (3, 4) float32" in r.stdout
    rows = [line for line in r.stdout.splitlines() if re.match(r"^\d+ +\w+Backward", line)]
    assert len(rows) == 6 and all(" pass " in row and "mlp.py:8" in row for row in rows)
    r = subprocess.run([sys.executable, "-m", "minigrad", "graph", str(script), "--var", "nope"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 2 and "ones it has: loss" in r.stderr
