"""The benchmark suite's plumbing (bench/harness.py, bench/child.py, python -m bench).

Speed is measured by ``python -m bench``, never asserted here: these tests check that a row's
frameworks run in their own processes (and load only their own framework), that the rounds
alternate, and the arithmetic and the format of medians, ratios and the table.
"""
import importlib
import importlib.util
import inspect

import pytest

from bench import harness
from bench.__main__ import GROUPS, select
from bench.harness import Row

HAVE_TORCH = importlib.util.find_spec("torch") is not None
TINY = {k: f"bench.core:tiny_op_{k}" for k in ("minigrad", "numpy", "torch")}


@pytest.mark.parametrize("framework, loaded", [("minigrad", ["minigrad"]), ("numpy", []),
                                               ("torch", ["torch"])])
def test_child_runs_one_framework_alone(framework, loaded):
    if framework == "torch" and not HAVE_TORCH:
        pytest.skip("torch not installed")
    report = harness.run_child(framework, TINY[framework], {"op": "a + b"}, warmup=1, samples=3,
                               min_sample_seconds=0.001)
    assert report["framework"] == framework
    assert report["loaded"] == loaded          # minigrad's child never imports torch, and back
    assert len(report["samples"]) == 3
    assert report["calls_per_sample"] >= 1
    assert report["seconds_per_call"] == sorted(report["samples"])[1]   # median of 3
    if framework == "minigrad":
        assert report["minigrad_threads"] >= 1
    if framework == "torch":
        assert report["torch_threads"] >= 1


def test_failing_child_names_the_builder():
    with pytest.raises(RuntimeError, match="bench.core:no_such_builder"):
        harness.run_child("numpy", "bench.core:no_such_builder", {}, samples=1)


def test_rounds_alternate_and_medians_are_over_rounds():
    calls = []
    figures = {"minigrad": iter([3.0, 1.0, 2.0]), "numpy": iter([1.0, 1.0, 4.0]),
               "torch": iter([8.0, 4.0, 2.0])}

    def runner(framework, spec, args, **timing):
        calls.append(framework)
        assert spec == TINY[framework] and args == {"op": "a + b"}
        return {"seconds_per_call": next(figures[framework]), "note": "n" if framework == "torch"
                else ""}

    row = Row("overhead", "a + b", dict(TINY), {"op": "a + b"})
    reports = {}
    harness.measure_subprocess(row, rounds=3, runner=runner, reports=reports)
    expected_order = ["minigrad", "numpy", "torch"] if HAVE_TORCH else ["minigrad", "numpy"]
    assert calls == expected_order * 3
    assert row.samples["minigrad"] == [3.0, 1.0, 2.0]
    assert row.medians["minigrad"] == 2.0 and row.medians["numpy"] == 1.0
    assert harness.ratios(row.medians)["numpy"] == 2.0
    if HAVE_TORCH:
        assert row.medians["torch"] == 4.0 and harness.ratios(row.medians)["torch"] == 0.5
        assert row.note == "n" and set(reports) == {"minigrad", "numpy", "torch"}


def test_medians_and_ratios():
    assert harness.medians({"minigrad": [5.0, 1.0, 3.0, 2.0], "numpy": []}) == {"minigrad": 2.5}
    assert harness.ratios({"minigrad": 3.0, "numpy": 1.5, "torch": 6.0}) == {"numpy": 2.0,
                                                                            "torch": 0.5}
    assert harness.ratios({"numpy": 1.0}) == {}
    assert harness.ratios({"minigrad": 1.0, "torch": 0.0}) == {}     # no division by zero


def test_table_format():
    a = Row("loss", "CE", {}, unit="ms", medians={"minigrad": 2.55e-4, "torch": 1.19e-4})
    b = Row("overhead", "relu", {}, unit="us", note="x",
            medians={"minigrad": 3.6e-6, "numpy": 7.2e-7, "torch": 1.44e-6})
    assert harness.table([a, b]).splitlines() == [
        "| group | benchmark | unit | minigrad | numpy | torch | mg/numpy | mg/torch | note |",
        "|---|---|---|---|---|---|---|---|---|",
        "| loss | CE | ms | 0.255 | — | 0.119 | — | 2.14 |  |",
        "| overhead | relu | us | 3.6 | 0.72 | 1.44 | 5.00 | 2.50 | x |",
    ]


def test_in_process_mode_fills_every_framework():
    row = Row("overhead", "a + b", dict(TINY), {"op": "a + b"}, unit="us")
    harness.measure_in_process(row, rounds=2, min_round_seconds=0.001, warmup=1)
    assert set(row.medians) == ({"minigrad", "numpy", "torch"} if HAVE_TORCH
                                else {"minigrad", "numpy"})
    assert all(len(v) == 2 for v in row.samples.values())


def test_every_row_names_builders_that_take_its_arguments():
    rows = [r for g in GROUPS for r in importlib.import_module(g).rows(quick=True)]
    assert len(rows) >= 18
    for r in rows:
        assert "minigrad" in r.build, r.name
        for spec in r.build.values():
            module, _, name = spec.partition(":")
            inspect.signature(getattr(importlib.import_module(module), name)).bind(**r.args)


def test_the_issue16_rows_exist_and_select_by_name():
    rows = [r for g in GROUPS for r in importlib.import_module(g).rows(quick=True)]
    picked = select(rows, ["training: MLP 784", "course MLP", "training: LeNet", "AdamW update", "softmax-CE",
                           "a + b on", "a.relu() on"])
    assert len(picked) == 7
    assert select(rows, []) == rows


def test_bad_builder_name():
    with pytest.raises(ValueError, match="module:function"):
        harness.build_callable("bench.core.tiny_op_numpy", {})


def test_machine_description_names_each_librarys_threads():
    reports = {"numpy": {"numpy": "2.0", "blas": "openblas 0.3 (2 threads)"},
               "minigrad": {"minigrad_threads": 2},
               "torch": {"torch": "2.13", "torch_threads": 2, "torch_interop_threads": 2}}
    text = harness.machine_description(reports)
    for part in ("cores", "Python", "numpy 2.0 (BLAS: openblas 0.3 (2 threads))",
                 "minigrad NUM_THREADS=2", "torch 2.13 (get_num_threads()=2, interop 2)",
                 "environment:"):
        assert part in text


def test_select_keeps_the_order_of_the_texts_and_no_duplicates():
    rows = [Row("g", n, {}) for n in ("a1", "b1", "a2", "ab")]
    assert [r.name for r in select(rows, ["b", "a"])] == ["b1", "ab", "a1", "a2"]


def test_the_parent_loads_neither_framework_in_subprocess_mode():
    """The rows are listed without importing minigrad or torch, so nothing their imports do
    (environment variables, thread pools) reaches the children through the parent."""
    import subprocess
    import sys
    code = ("import sys, importlib; from bench.__main__ import GROUPS; "
            "[importlib.import_module(g).rows() for g in GROUPS]; "
            "print(sorted(m for m in ('minigrad', 'torch') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=harness.os.path.dirname(harness.os.path.dirname(harness.__file__)))
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_a_failing_row_is_reported_and_the_others_still_measured(monkeypatch, capsys):
    import bench.__main__ as cli

    def runner_failing_for(row, **kw):
        if "a + b" in row.name:
            raise RuntimeError("bench child for minigrad x failed")
        row.medians = {"minigrad": 2e-6, "numpy": 1e-6}
        return row
    monkeypatch.setattr(cli, "measure_subprocess", runner_failing_for)
    monkeypatch.setattr(cli, "machine_description", lambda reports=None: "test machine")
    assert cli.main(["--quick", "--no-write", "--only", "a + b on", "--only", "a * b on"]) == 0
    out = capsys.readouterr().out
    assert "| overhead | a + b on 4 elements, recording | us | — | — | — | — | — | failed: bench " \
           "child for minigrad x failed |" in out
    assert "| overhead | a * b on 4 elements, recording | us | 2 | 1 | — | 2.00 | — |  |" in out


# --- issue 16: bandwidth rows, series children, the machine record ---------------------------

def test_bandwidth_notes_give_gb_per_s_and_the_fraction_of_the_triad():
    triad1 = Row("bandwidth", "STREAM triad, 1M float32, 1 thread", {}, bytes_per_call=12_000_000,
                 medians={"minigrad": 1e-3, "numpy": 2e-3})
    triad2 = Row("bandwidth", "STREAM triad, 1M float32, 2 threads", {},
                 bytes_per_call=12_000_000, medians={"minigrad": 0.75e-3})
    adamw = Row("optimizer", "AdamW update, 1M float32", {}, note="torch AdamW not fused",
                bytes_per_call=28_000_000, medians={"minigrad": 2e-3, "torch": 4e-3})
    plain = Row("loss", "CE", {}, medians={"minigrad": 1e-3})
    assert harness.gigabytes_per_second(triad1) == {"minigrad": 12.0, "numpy": 6.0}
    assert harness.bandwidth_notes([triad1, triad2, adamw, plain]) == 16.0   # the best triad
    assert triad1.note == "GB/s: minigrad 12, numpy 6"
    assert triad2.note == "GB/s: minigrad 16"
    assert adamw.note == ("torch AdamW not fused; GB/s: minigrad 14 (0.88 of triad 16), "
                          "torch 7 (0.44)")
    assert plain.note == ""
    lonely = Row("optimizer", "AdamW", {}, bytes_per_call=28, medians={"minigrad": 1e-9})
    assert harness.bandwidth_notes([lonely]) is None and lonely.note == "GB/s: minigrad 28"


def test_the_adamw_and_stream_rows_count_their_bytes():
    from bench import bandwidth, training
    adamw = [r for r in training.rows() if r.name.startswith("AdamW update")]
    assert len(adamw) == 1 and adamw[0].bytes_per_call == 7 * 4 * adamw[0].args["n"]
    stream = bandwidth.rows()
    assert [r.args["threads"] for r in stream][:2] == [1, 2]
    for r in stream:
        assert r.args["n"] == adamw[0].args["n"]            # the same length as the AdamW row
        assert r.bytes_per_call == {"copy": 2, "triad": 3}[r.args["kernel"]] * 4 * r.args["n"]
        assert ("numpy" in r.build) == (r.args["threads"] == 1)


@pytest.mark.parametrize("kernel", ["copy", "triad"])
def test_stream_builders_compute_the_same_arrays(kernel):
    import numpy as np
    from bench import bandwidth
    pytest.importorskip("minigrad._C.bandwidth")
    b, c = bandwidth._arrays(1001)[1:]
    expected = b if kernel == "copy" else b + np.float32(bandwidth.SCALAR) * c
    frameworks = ("minigrad", "torch") if HAVE_TORCH else ("minigrad",)
    for k in frameworks:              # the builders return what they wrote (an array, a tensor)
        out = np.asarray(getattr(bandwidth, f"stream_{k}")(kernel, 1001, 1)())
        np.testing.assert_allclose(out, expected, rtol=1e-6, atol=1e-6)
    with pytest.raises(ValueError, match="one thread, got threads=2"):
        bandwidth.stream_numpy(kernel, 10, 2)


def test_series_child_times_every_point_in_one_process():
    series = [{"kernel": "copy", "n": 1000, "threads": 1}, {"kernel": "triad", "n": 5000,
                                                            "threads": 1}]
    report = harness.run_series_child("numpy", "bench.bandwidth:stream_numpy", series, warmup=1,
                                      samples=3, min_sample_seconds=0.001)
    assert len(report["points"]) == 2
    for point in report["points"]:
        assert point["seconds_per_call"] == sorted(point["samples"])[1] > 0
    assert report["loaded"] == [] and "threadpools" in report


def test_machine_record_lists_memory_os_revision_and_every_thread_pool():
    reports = {"numpy": {"numpy": "2.0", "blas": "openblas 0.3 (2 threads)",
                         "threadpools": "libopenblas (openblas 0.3 pthreads) 2 threads"},
               "minigrad": {"minigrad_threads": 2, "minigrad_parallel_min_size": 1048576,
                            "minigrad_optimizer_parallel_min_size": 2097152,
                            "threadpools": "libgomp (openmp) 2 threads"}}
    text = harness.machine_description(reports)
    for part in ("GiB memory", "Linux" if harness.platform.system() == "Linux" else "",
                 "minigrad source ", "minigrad NUM_THREADS=2 (kernels threaded from 1048576 "
                 "elements, optimizer updates from 2097152)", "torch not installed",
                 "numpy: libopenblas (openblas 0.3 pthreads) 2 threads; minigrad: libgomp "
                 "(openmp) 2 threads"):
        assert part in text
    assert harness.source_revision() != ""


def test_threadpool_view_in_a_process_that_ran_a_kernel():
    pytest.importorskip("threadpoolctl")
    report = harness.run_child("minigrad", TINY["minigrad"], {"op": "a + b"}, warmup=1,
                               samples=1, min_sample_seconds=0.001)
    assert "openblas" in report["threadpools"] or "mkl" in report["threadpools"]
    assert report["minigrad_parallel_min_size"] >= 1


def test_a_slow_point_stops_after_three_samples():
    from bench.child import time_point
    spec, args = TINY["numpy"], {"op": "a + b"}
    capped = time_point(spec, args, warmup=1, samples=10, min_sample_seconds=1e-4,
                        max_point_seconds=1e-9)
    full = time_point(spec, args, warmup=1, samples=10, min_sample_seconds=1e-4)
    assert len(capped["samples"]) == 3 and len(full["samples"]) == 10
    assert capped["seconds_per_call"] == sorted(capped["samples"])[1]
