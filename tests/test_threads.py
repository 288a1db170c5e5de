"""Thread policy (minigrad/threads.py, docs/threads.md): torch's set/get_num_threads, BLAS
threads chosen per product and put back, and no change to the process by ``import minigrad``."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

import minigrad as mg
from minigrad import threads
from minigrad.backend import cpu

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _run(code, **env):
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, env=dict(os.environ, PYTHONPATH=ROOT, **env), timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


_SNAPSHOT = r'''
import json, os
import numpy as np
from threadpoolctl import threadpool_info
def blas():
    return [(i["filepath"], i["num_threads"]) for i in threadpool_info() if i["user_api"] == "blas"]
import sys
env0, blas0, hooks0 = dict(os.environ), blas(), [list(map(repr, sys.meta_path)), list(sys.path_hooks)]
import minigrad as mg
env1, blas1, hooks1 = dict(os.environ), blas(), [list(map(repr, sys.meta_path)), list(sys.path_hooks)]
# work that runs the kernels and products of every size class, then look again
x = mg.randn(128, 784, requires_grad=True)
w = mg.randn(512, 784, requires_grad=True)
y = (x @ w.T).relu().sum()
y.backward()
mg.threads.matmul(np.ones((32, 128), np.float32), np.ones((128, 512), np.float32))
env2, blas2 = dict(os.environ), blas()
print(json.dumps(dict(env=[env0 == env1, env0 == env2], blas=[blas0, blas1, blas2],
                      imports=hooks0 == hooks1)))
'''


def test_import_and_use_change_neither_environment_nor_numpys_blas_nor_imports():
    pytest.importorskip("threadpoolctl")
    got = _run(_SNAPSHOT)
    assert got["env"] == [True, True]
    assert got["imports"]  # sys.meta_path and sys.path_hooks as they were
    before, after_import, after_use = got["blas"]
    assert before and before == after_import == after_use


def test_default_follows_affinity_and_omp_num_threads():
    assert threads.default_num_threads() == min(len(os.sched_getaffinity(0)), threads.MAX_THREADS,
                                                int(os.environ.get("OMP_NUM_THREADS", 1 << 30)))
    got = _run("import json, minigrad as mg; print(json.dumps(mg.get_num_threads()))",
               OMP_NUM_THREADS="1")
    assert got == 1


@pytest.fixture
def restore_threads():
    n = mg.get_num_threads()
    yield
    mg.set_num_threads(n)


def test_set_num_threads_bounds_kernels_and_products(restore_threads):
    mg.set_num_threads(3)
    assert mg.get_num_threads() == 3
    big = np.empty(cpu.PARALLEL_MIN_SIZE)
    assert cpu._threads(big) == 3 and cpu._threads(big[:10]) == 1
    assert cpu._optimizer_threads(np.empty(cpu.OPTIMIZER_PARALLEL_MIN_SIZE)) == 3
    assert threads.gemm_threads(threads.GEMM_PARALLEL_MIN_MACS) == 3
    assert threads.gemm_threads(threads.GEMM_PARALLEL_MIN_MACS - 1) == 1
    mg.set_num_threads(1)
    assert cpu._threads(big) == 1 and threads.gemm_threads(1 << 40) == 1


@pytest.mark.parametrize("bad, error", [(0, ValueError), (-2, ValueError), (1.5, TypeError),
                                        ("2", TypeError), (True, TypeError)])
def test_set_num_threads_rejects(bad, error, restore_threads):
    with pytest.raises(error, match="set_num_threads"):
        mg.set_num_threads(bad)
    assert mg.get_num_threads() >= 1


class _RecordingBlas:
    def __init__(self, count):
        self.count, self.calls = count, []

    def get(self):
        return self.count

    def set(self, n):
        self.calls.append(n)
        self.count = n


@pytest.mark.parametrize("shapes, set_calls", [
    (((4, 4), (4, 4)), []),                                  # tiny: OpenBLAS is serial anyway
    (((32, 128), (128, 512)), [1, 2]),                       # 2M MACs: one thread, put back
    (((128, 784), (784, 512)), []),                          # 51M MACs: already 2 threads
    (((4, 32, 128), (128, 512)), [1, 2]),                    # batched: 4·2M MACs
])
def test_matmul_sets_blas_threads_per_product_and_puts_them_back(shapes, set_calls, monkeypatch,
                                                                 restore_threads):
    mg.set_num_threads(2)
    fake = _RecordingBlas(2)
    monkeypatch.setattr(threads, "_blas", fake)
    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal(s).astype(np.float32) for s in shapes)
    macs = max(a.size * b.shape[-1], b.size * a.shape[-2])
    np.testing.assert_array_equal(threads.matmul(a, b), a @ b)
    expect = [] if macs < threads._BLAS_SERIAL_BELOW or macs >= threads.GEMM_PARALLEL_MIN_MACS \
        else [1, 2]
    assert fake.calls == expect == set_calls
    assert fake.count == 2


def test_matmul_puts_blas_threads_back_when_the_product_fails(monkeypatch, restore_threads):
    mg.set_num_threads(2)
    fake = _RecordingBlas(2)
    monkeypatch.setattr(threads, "_blas", fake)
    with pytest.raises(ValueError):
        threads.matmul(np.ones((64, 128)), np.ones((129, 512)))
    assert fake.count == 2


@pytest.mark.parametrize("macs, set_calls", [(1000, []), (1 << 20, [1, 2]), (1 << 24, [])])
def test_products_of_sets_blas_threads_once_for_a_loop_and_puts_them_back(macs, set_calls,
                                                                           monkeypatch,
                                                                           restore_threads):
    mg.set_num_threads(2)
    fake = _RecordingBlas(2)
    monkeypatch.setattr(threads, "_blas", fake)
    with threads.products_of(macs):
        inside = fake.count
    assert fake.calls == set_calls and fake.count == 2
    assert inside == (1 if set_calls else 2)
    with pytest.raises(KeyError), threads.products_of(1 << 20):
        raise KeyError("the count is put back when the block raises")
    assert fake.count == 2


def test_conv2d_chunks_run_on_the_blas_threads_their_size_earns(monkeypatch, restore_threads):
    """LeNet's conv chunks are ~10⁵–10⁶ multiply-adds: one BLAS thread, set once per loop."""
    mg.set_num_threads(2)
    fake = _RecordingBlas(2)
    monkeypatch.setattr(threads, "_blas", fake)
    x = mg.randn(64, 1, 28, 28, requires_grad=True)
    conv = mg.nn.Conv2d(1, 6, 5)
    conv(x).sum().backward()
    assert fake.calls == [1, 2, 1, 2] and fake.count == 2   # forward's loop, backward's loop


def test_matmul_with_the_real_blas_keeps_numpys_setting(restore_threads):
    threadpoolctl = pytest.importorskip("threadpoolctl")

    def blas():
        return [i["num_threads"] for i in threadpoolctl.threadpool_info()
                if i["user_api"] == "blas"]
    before = blas()
    mg.set_num_threads(1)
    a = np.ones((64, 256), np.float32)
    np.testing.assert_array_equal(threads.matmul(a, a.T), np.full((64, 64), 256, np.float32))
    assert blas() == before


def test_matmul_leaves_other_array_types_alone(monkeypatch):
    fake = _RecordingBlas(2)
    monkeypatch.setattr(threads, "_blas", fake)

    class Other:
        shape, ndim, size = (64, 512), 2, 64 * 512

        def __matmul__(self, other):
            return "other @"
    assert threads.matmul(Other(), np.ones((512, 512))) == "other @"
    assert fake.calls == []
