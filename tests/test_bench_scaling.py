"""bench/scaling.py: the series, the arithmetic of its summary, the plots and results.md section.

No timing is asserted: one test runs the real child processes on two small series (that they
produce positive figures for both frameworks and the files); the others feed made-up figures
through the same code, so that the numbers in the written table can be checked exactly.
"""
import importlib
import importlib.util
import json
import os
import re

import pytest

from bench import scaling

HAVE_TORCH = importlib.util.find_spec("torch") is not None
REPORTS = {"minigrad": {"minigrad_threads": 2, "threadpools": "libgomp (openmp) 2 threads"},
           "torch": {"torch": "2.13", "torch_threads": 2, "torch_interop_threads": 2}}


def fake_runner(framework, spec, series, **timing):
    """A child's report with made-up figures: t = 1 ms + x·1 µs (torch: twice that)."""
    keys = {"size", "n", "batch"}
    points = []
    for args in series:
        x = args.get("n") or args.get("size") or (args["sizes"][1] * args["batch"])
        t = (1e-3 + x * 1e-6) * (2 if framework == "torch" else 1)
        points.append({"seconds_per_call": t})
    assert keys & set(series[0]) or "sizes" in series[0]
    return dict(REPORTS[framework], points=points)


def _png(path):
    with open(path, "rb") as f:
        head = f.read(8)
    return head == b"\x89PNG\r\n\x1a\n" and os.path.getsize(path) > 10_000


def test_quick_series_cover_the_issue_and_every_builder_takes_its_arguments():
    import inspect
    series = scaling.all_series(quick=False)
    keys = [s.key for s in series]
    assert keys[:4] == ["mlp_width", "mlp_batch", "conv", "adamw"] and "triad_1" in keys
    by_key = {s.key: s for s in series}
    assert by_key["mlp_width"].xs[0] == 64 and by_key["mlp_width"].xs[-1] == 4096
    assert by_key["mlp_batch"].xs[0] == 8 and by_key["mlp_batch"].xs[-1] == 1024
    assert by_key["conv"].xs == [28, 56, 112]
    assert by_key["adamw"].xs[0] == 1000 and by_key["adamw"].xs[-1] >= 10_000_000
    assert by_key["adamw"].bytes_per_call[0] == 28 * 1000
    for s in series + scaling.all_series(quick=True):
        assert len(s.xs) == len(s.args) >= 2
        for spec in s.build.values():
            module, _, name = spec.partition(":")
            fn = getattr(importlib.import_module(module), name)
            for args in s.args:
                inspect.signature(fn).bind(**args)
    assert [s.key for s in scaling.all_series(True, ["mlp", "triad"])][:2] == ["mlp_width",
                                                                              "mlp_batch"]


def test_adamw_sizes_stop_where_memory_does_not_fit_twice():
    gib = 2 ** 30
    assert scaling.adamw_sizes(available_bytes=64 * gib)[-2:] == [30_000_000, 100_000_000]
    assert scaling.adamw_sizes(available_bytes=5 * gib)[-1] == 30_000_000
    assert scaling.adamw_sizes(available_bytes=1 * gib)[-1] == 10_000_000
    assert scaling.adamw_sizes(quick=True) == [1_000, 100_000, 10_000_000]


def test_fixed_cost_and_linear_regime():
    xs = [1, 10, 100, 1000]
    assert scaling.fixed_cost_fades(xs, [1.0, 2.0, 11.0, 101.0]) == 100
    assert scaling.fixed_cost_fades(xs, [1.0, 1.0, 1.0, 1.0]) is None
    assert scaling.fixed_cost_fades(xs, [1.0, 20.0, 5.0, 50.0]) == 1000   # must stay below
    # time per x: 1, 0.2, 0.11, 0.101 -> within 1.5x of 0.101 from x = 100 on (0.2 is 1.98x)
    assert scaling.linear_from(xs, [1.0, 2.0, 11.0, 101.0]) == 100
    assert scaling.linear_from(xs, [1.0, 1.4, 11.0, 101.0]) == 10       # 0.14 is 1.39x
    assert scaling.linear_from([1, 2], [1.0, 100.0]) == 2


def test_run_with_made_up_figures_writes_plots_json_and_the_section(tmp_path, monkeypatch):
    monkeypatch.setattr(scaling, "run_series_child", fake_runner)
    monkeypatch.setattr(scaling, "framework_available", lambda name: True)
    results = tmp_path / "results.md"
    results.write_text("# Benchmark results\n\nthe table\n\n<!-- notes -->\nnotes kept\n")
    assert scaling.main(["--quick", "--rounds", "1", "--out", str(tmp_path)]) == 0
    for figure in ("mlp", "conv", "adamw"):
        assert _png(tmp_path / f"scaling_{figure}.png")
    data = json.loads((tmp_path / "scaling.json").read_text())
    adamw = next(s for s in data["series"] if s["key"] == "adamw")
    assert adamw["seconds"]["minigrad"][0] == [pytest.approx(1e-3 + 1000e-6)]
    text = results.read_text()
    assert text.startswith("# Benchmark results\n\nthe table\n\n<!-- notes -->\nnotes kept\n")
    # AdamW at n = 1e7: minigrad 1e-3 + 10 s; 28e7 bytes / 10.001 s = 0.028 GB/s; torch twice
    # the time. The triad (12 bytes a float) at the same made-up time: 0.012 GB/s.
    assert "| 1e7 | 1e+04 | 2e+04 | 0.50 | 0.028 | 0.014 | 0.012 | 2.33 |" in text
    assert "| 64 | 9.19 | 18.4 | 0.50 |" in text          # MLP width 64: x = 64·128
    assert "Per-step overhead stops mattering from x = 1e5 on" in text
    assert "Bandwidth takes over from n = 1e5" in text
    assert "Machine:" in text and "libgomp (openmp) 2 threads" in text
    # the plots and the section are redrawn from scaling.json alone, measuring nothing
    monkeypatch.setattr(scaling, "run_series_child", None)
    again = tmp_path / "again"
    assert scaling.main(["--from-json", str(tmp_path / "scaling.json"), "--out", str(again)]) == 0
    section = text[text.index(scaling.BEGIN):]
    assert (again / "results.md").read_text().endswith(section)
    assert _png(again / "scaling_adamw.png")
    monkeypatch.setattr(scaling, "run_series_child", fake_runner)
    # a rerun replaces the section instead of adding a second one
    assert scaling.main(["--quick", "--rounds", "1", "--out", str(tmp_path),
                         "--only", "conv"]) == 0
    text = results.read_text()
    assert text.count(scaling.BEGIN) == 1 and text.count(scaling.END) == 1
    assert "notes kept" in text and "LeNet-like" in text and "w-w-w-10" not in text


def test_section_is_appended_after_a_notes_marker(tmp_path):
    path = tmp_path / "results.md"
    path.write_text("# Benchmark results\n\n| table |\n")
    scaling.write_section(str(path), f"{scaling.BEGIN}\nX\n{scaling.END}")
    assert path.read_text() == (f"# Benchmark results\n\n| table |\n\n<!-- notes -->\n"
                                f"{scaling.BEGIN}\nX\n{scaling.END}\n")
    scaling.write_section(str(path), f"{scaling.BEGIN}\nY\n{scaling.END}")
    assert path.read_text().endswith(f"{scaling.BEGIN}\nY\n{scaling.END}\n")


@pytest.mark.skipif(not HAVE_TORCH, reason="torch not installed")
def test_real_children_on_two_small_series(tmp_path, capsys):
    """The real path: a minigrad and a torch process per series, the figures and the files."""
    assert scaling.main(["--quick", "--rounds", "1", "--out", str(tmp_path), "--max-points", "2",
                         "--only", "mlp_width", "--only", "triad_1"]) == 0
    assert _png(tmp_path / "scaling_mlp.png")
    data = {s["key"]: s for s in json.loads((tmp_path / "scaling.json").read_text())["series"]}
    assert set(data) == {"mlp_width", "triad_1"}
    assert set(data["mlp_width"]["seconds"]) == {"minigrad", "torch"}
    for s in data.values():
        for per_point in s["seconds"].values():
            assert len(per_point) == len(s["xs"]) and all(p[0] > 0 for p in per_point)
    table = re.findall(r"^\| (\d+) \| ([\d.e+]+) \| ([\d.e+]+) \| ([\d.]+) \|$",
                       (tmp_path / "results.md").read_text(), re.M)
    assert [int(x) for x, *_ in table] == [64, 256]
    assert all(float(mg) > 0 and float(th) > 0 for _, mg, th, _ in table)


def test_python_m_bench_scaling_passes_its_options(monkeypatch):
    import bench.__main__ as cli
    seen = []
    monkeypatch.setattr(scaling, "main", lambda argv: seen.append(argv) or 0)
    assert cli.main(["--scaling", "--quick", "--rounds", "1", "--only", "conv"]) == 0
    assert seen == [["--quick", "--rounds", "1", "--only", "conv"]]
