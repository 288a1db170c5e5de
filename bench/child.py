"""One benchmark child: ``python -m bench.child '<json request>'`` (started by bench.harness).

The request names a framework, a builder ("module:function") and its keyword arguments. The
child builds the callable (importing only what that builder imports), calls it ``warmup``
times, sizes a loop so one sample lasts ``min_sample_seconds``, times ``samples`` loops and
prints one JSON line: the median seconds per call, every sample, the builder's note, and what
this process sees of the machine (library versions, thread counts, which frameworks it loaded).
"""
import json
import statistics
import sys

from .harness import build_callable, calls_per_sample, library_view, time_loop


def main(argv=None):
    request = json.loads((argv if argv is not None else sys.argv[1:])[0])
    fn = build_callable(request["builder"], request.get("args", {}))
    for _ in range(request.get("warmup", 2)):
        fn()
    calls = calls_per_sample(fn, request.get("min_sample_seconds", 0.02))
    samples = time_loop(fn, calls, request.get("samples", 5))
    report = dict(framework=request["framework"], builder=request["builder"],
                  seconds_per_call=statistics.median(samples), samples=samples,
                  calls_per_sample=calls, note=getattr(fn, "note", ""))
    report.update(library_view(request["framework"]))
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
