"""``python -m minigrad demo --quick``: the table, its identities, the plot, the fallbacks."""
import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KINDS = ["none", "L2", "decoupled", "L1", "group lasso"]


def _env():
    path = os.environ.get("PYTHONPATH")
    return dict(os.environ, MPLBACKEND="Agg", PYTHONUNBUFFERED="1",
                PYTHONPATH=ROOT + (os.pathsep + path if path else ""))


def _table(stdout):
    """{kind: row dict} from the printed table (columns separated by two or more spaces)."""
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("penalty"))
    headers = re.split(r"\s{2,}", lines[start].strip())
    rows = {}
    for line in lines[start + 2:start + 2 + len(KINDS)]:
        cells = re.split(r"\s{2,}", line.strip())
        assert len(cells) == len(headers), line
        kind = next(k for k in reversed(KINDS) if cells[0].startswith(k))
        rows[kind] = dict(zip(headers, cells))
    return rows


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    pytest.importorskip("sklearn")
    cwd = tmp_path_factory.mktemp("demo")
    r = subprocess.run([sys.executable, "-m", "minigrad", "demo", "--quick"], cwd=cwd,
                       env=_env(), capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    return r, cwd


def test_demo_prints_one_row_per_penalty(demo_run):
    rows = _table(demo_run[0].stdout)
    assert sorted(rows) == sorted(KINDS)
    for kind, row in rows.items():
        assert 0.0 < float(row["train loss"]) < 2.3, (kind, row)     # below log(10): it learnt
        assert float(row["val acc"]) > 0.9, (kind, row)


def test_gradient_steps_give_no_exact_zeros_and_prox_steps_do(demo_run):
    rows = _table(demo_run[0].stdout)
    for kind in ("none", "L2", "decoupled"):
        assert float(rows[kind]["exact zeros"]) == 0.0, rows[kind]
        assert rows[kind]["inputs used"] == "64/64"
    assert float(rows["L1"]["exact zeros"]) > 0.0, rows["L1"]
    assert int(rows["group lasso"]["inputs used"].split("/")[0]) < 64, rows["group lasso"]


def test_group_lasso_zeros_are_whole_input_columns(demo_run):
    """Only the first layer (64 inputs × 64 hidden) is penalised, so its zeros come as whole
    columns: fraction = (64 − inputs used)·64 / (64·64 + 64·10) weights."""
    from minigrad import demo
    row = _table(demo_run[0].stdout)["group lasso"]
    removed = 64 - int(row["inputs used"].split("/")[0])
    expected = removed * demo.HIDDEN / (64 * demo.HIDDEN + demo.HIDDEN * 10)
    assert float(row["exact zeros"]) == pytest.approx(expected, abs=5e-4)


def test_same_fixed_point_strength_gives_matching_l2_and_decoupled_rows(demo_run):
    """DECOUPLED_LAM = L2_LAM/(1 − momentum): SGDW and coupled SGD then share their fixed
    points (examples/07), and after training their weight norms agree closely."""
    rows = _table(demo_run[0].stdout)
    a, b = float(rows["L2"]["‖W‖"]), float(rows["decoupled"]["‖W‖"])
    assert abs(a - b) / a < 0.02
    assert a < float(rows["none"]["‖W‖"])


def test_demo_writes_the_plot(demo_run):
    pytest.importorskip("matplotlib")
    r, cwd = demo_run
    path = cwd / "examples" / "out" / "demo.png"
    assert path.exists(), r.stdout
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_demo_without_scikit_learn_says_how_to_install_and_exits_0(tmp_path):
    code = ("import sys; sys.modules['sklearn'] = None\n"
            "from minigrad.__main__ import main\n"
            "sys.exit(main(['demo', '--quick']))")
    r = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=_env(),
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "pip install minigrad[examples]" in r.stdout
    assert not (tmp_path / "examples").exists()


def test_progress_falls_back_to_plain_lines_without_tqdm(monkeypatch, capsys):
    from minigrad import demo
    monkeypatch.setitem(sys.modules, "tqdm", None)
    assert list(demo._epochs(8, "L1")) == list(range(8))
    out = capsys.readouterr().out
    assert "L1: epoch 1/8" in out and "L1: epoch 8/8" in out


def test_help_lists_the_demo_options():
    r = subprocess.run([sys.executable, "-m", "minigrad", "demo", "--help"], env=_env(),
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and "--quick" in r.stdout and "--seed" in r.stdout
