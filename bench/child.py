"""One benchmark child: ``python -m bench.child '<json request>'`` (started by bench.harness).

The request names a framework, a builder ("module:function") and its keyword arguments. The
child builds the callable (importing only what that builder imports), calls it ``warmup``
times, sizes a loop so one sample lasts ``min_sample_seconds``, times ``samples`` loops and
prints one JSON line: the median seconds per call, every sample, the builder's note, and what
this process sees of the machine (library versions, thread counts, which frameworks it loaded).
A request with ``series`` (a list of argument dicts) times the builder at each in turn, in this
one process, and reports a list of ``points`` (bench/scaling.py).
"""
import gc
import json
import statistics
import sys

from .harness import build_callable, calls_per_sample, library_view, time_loop


def time_point(builder, args, warmup=2, samples=5, min_sample_seconds=0.02,
               max_point_seconds=None):
    """Builds one callable, warms it up and times it: seconds per call (median of the samples),
    the samples, the calls per sample and the builder's note.

    ``max_point_seconds`` (scaling series): stop after 3 samples once the samples have taken
    that long, so that the slowest points of a series do not take most of its time."""
    fn = build_callable(builder, args)
    for _ in range(warmup):
        fn()
    calls = calls_per_sample(fn, min_sample_seconds)
    times = []
    while len(times) < samples:
        times += time_loop(fn, calls, 1)
        if max_point_seconds and len(times) >= 3 and sum(times) * calls > max_point_seconds:
            break
    return dict(seconds_per_call=statistics.median(times), samples=times, calls_per_sample=calls,
                note=getattr(fn, "note", ""))


def main(argv=None):
    request = json.loads((argv if argv is not None else sys.argv[1:])[0])
    timing = {k: request[k] for k in ("warmup", "samples", "min_sample_seconds",
                                      "max_point_seconds") if k in request}
    report = dict(framework=request["framework"], builder=request["builder"])
    if "series" in request:
        # A scaling series (bench/scaling.py): one point after another in this one process,
        # each point's data freed before the next is built.
        report["points"] = []
        for args in request["series"]:
            report["points"].append(time_point(request["builder"], args, **timing))
            gc.collect()
    else:
        report.update(time_point(request["builder"], request.get("args", {}), **timing))
    report.update(library_view(request["framework"]))
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
