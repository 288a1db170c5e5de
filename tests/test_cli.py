import subprocess
import sys


def test_check_cli_prints_a_table_and_exits_zero():
    r = subprocess.run([sys.executable, "-m", "minigrad", "check", "--fast", "--family", "op"],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "max |err|" in r.stdout and "matmul 2-d" in r.stdout
    assert " 0 failed" in r.stdout


def test_help_explains_the_commands():
    r = subprocess.run([sys.executable, "-m", "minigrad", "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and "check" in r.stdout and "demo" in r.stdout
