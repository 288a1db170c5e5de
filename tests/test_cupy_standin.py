"""The CuPy stand-in of the CUDA simulator (minigrad/cudasim/cupy_standin.py): it must refuse
what CuPy refuses (implicit conversion to numpy, mixing cupy and numpy arrays, numpy arrays as
kernel arguments), keep numpy's view semantics (``.base``), and launch real kernels through
the simulator; ``MINIGRAD_CUDA_SIM=1`` / ``mg.cuda.simulate()`` install it."""
import copy
import os
import shutil
import pickle
import subprocess
import sys

import numpy as np
import pytest

from minigrad.cudasim import cupy_standin as cp

pytestmark = pytest.mark.skipif(
    shutil.which(os.environ.get("CXX") or "g++") is None,
    reason="no C++ compiler (g++ or $CXX): the CUDA simulator compiles the kernels with it")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# ---- what CuPy refuses -----------------------------------------------------------------------

def test_implicit_conversion_to_numpy_is_refused():
    a = cp.arange(6.0)
    with pytest.raises(TypeError, match="Implicit conversion"):
        np.asarray(a)
    with pytest.raises(TypeError, match="Implicit conversion"):
        np.array(a)
    np.testing.assert_array_equal(a.get(), np.arange(6.0))
    np.testing.assert_array_equal(cp.asnumpy(a), np.arange(6.0))


@pytest.mark.parametrize("mix", [lambda a, n: a + n, lambda a, n: n + a, lambda a, n: a * n,
                                 lambda a, n: n < a, lambda a, n: cp.maximum(a, n),
                                 lambda a, n: cp.where(a > 0, a, n), lambda a, n: a @ n])
def test_mixing_cupy_and_numpy_arrays_is_refused(mix):
    a, n = cp.ones((3, 3)), np.ones((3, 3))
    with pytest.raises(TypeError, match="numpy.ndarray"):
        mix(a, n)


def test_numbers_and_numpy_scalars_mix_with_cupy_arrays():
    a = cp.arange(3.0, dtype=np.float32)
    b = a * np.float32(2) + 1
    assert isinstance(b, cp.ndarray) and b.dtype == np.float32
    np.testing.assert_array_equal(b.get(), [1.0, 3.0, 5.0])


def test_inplace_operators_write_into_the_array():
    a = cp.ones(3, dtype=bool)
    keep = a
    a &= cp.asarray([True, False, True])
    assert a is keep
    np.testing.assert_array_equal(a.get(), [True, False, True])


def test_cupy_array_is_not_a_numpy_array_and_names_its_module():
    a = cp.zeros(2)
    assert not isinstance(a, np.ndarray)
    assert type(a).__module__ == "cupy" and type(a).__name__ == "ndarray"


# ---- views -----------------------------------------------------------------------------------

def test_views_have_the_owner_as_base_and_share_its_memory():
    a = cp.arange(12.0).reshape(3, 4)
    owner = a.base                        # reshape of arange: a view of arange's array
    assert a[1:].base is owner and a.T.base is owner and a[1:][:, 2].base is owner
    fresh = cp.zeros((3, 4))
    assert fresh.base is None and fresh[1].base is fresh and fresh.T.base is fresh
    v = fresh[1:, ::2]
    v[...] = 7.0
    np.testing.assert_array_equal(fresh.get()[1], [7.0, 0.0, 7.0, 0.0])
    assert fresh.copy().base is None
    assert not fresh.T.flags.c_contiguous


def test_full_integer_index_gives_a_0d_view():
    a = cp.zeros((2, 3))
    e = a[1, 2]
    assert isinstance(e, cp.ndarray) and e.shape == () and e.base is a
    e[...] = 5.0
    assert float(a[1, 2]) == 5.0


def test_reductions_return_0d_arrays_as_cupy_does():
    a = cp.arange(4.0)
    s = a.sum()
    assert isinstance(s, cp.ndarray) and s.shape == () and float(s) == 6.0
    t = np.sum(a)                        # numpy's function dispatches to cupy's
    assert isinstance(t, cp.ndarray) and float(t) == 6.0
    assert f"{a.max():.1f}" == "3.0" and int(a.argmax()) == 3


def test_astype_copy_false_returns_the_same_array():
    a = cp.arange(3.0)
    assert a.astype(a.dtype, copy=False) is a
    b = a.astype(np.float32)
    assert b.dtype == np.float32 and b.base is None


def test_asarray_copies_numpy_into_an_exact_size_buffer():
    host = np.arange(10.0)
    a = cp.asarray(host[::2])
    assert a.shape == (5,) and a.base is None and a.flags.c_contiguous
    host[:] = -1                          # the device copy is independent of the host array
    np.testing.assert_array_equal(a.get(), [0.0, 2.0, 4.0, 6.0, 8.0])
    assert cp.asarray(a) is a


def test_setitem_with_masks_indices_and_numpy_values():
    a = cp.zeros(5)
    a[cp.asarray([True, False, True, False, False])] = 1.0
    a[np.array([3])] = np.array([4.0])
    a[4] = cp.asarray(9.0)
    np.testing.assert_array_equal(a.get(), [1.0, 0.0, 1.0, 4.0, 9.0])


def test_copy_pickle_and_iteration():
    a = cp.arange(6.0).reshape(2, 3)
    for b in (copy.deepcopy(a), pickle.loads(pickle.dumps(a)), a.copy()):
        assert isinstance(b, cp.ndarray) and b is not a
        np.testing.assert_array_equal(b.get(), a.get())
    rows = list(a)
    assert len(rows) == 2 and rows[1].base is a.base
    np.testing.assert_array_equal(rows[1].get(), [3.0, 4.0, 5.0])


def test_creation_functions_and_linalg():
    np.testing.assert_array_equal(cp.eye(2).get(), np.eye(2))
    np.testing.assert_array_equal(cp.full((2,), 3, dtype=np.int64).get(), [3, 3])
    z = cp.empty_like(cp.ones((2, 2), dtype=np.float32))
    assert isinstance(z, cp.ndarray) and z.dtype == np.float32
    n = cp.linalg.norm(cp.asarray([3.0, 4.0]))
    assert isinstance(n, cp.ndarray) and float(n) == 5.0
    c = cp.concatenate([cp.ones(2), cp.zeros(1)])
    np.testing.assert_array_equal(c.get(), [1.0, 1.0, 0.0])


def test_scatter_add_adds_repeated_indices():
    out = cp.zeros(3)
    cp.cupyx.scatter_add(out, cp.asarray([0, 0, 2]), cp.asarray([1.0, 2.0, 5.0]))
    np.testing.assert_array_equal(out.get(), [3.0, 0.0, 5.0])


def test_what_is_missing_is_an_attribute_error_naming_it():
    with pytest.raises(AttributeError, match="cupy.fft"):
        cp.fft
    with pytest.raises(AttributeError, match="cupy.ndarray.tobytes"):
        cp.zeros(1).tobytes()
    with pytest.raises(TypeError):        # numpy has no implementation to fall back on
        np.fft.fft(cp.zeros(4))


def test_one_simulated_device():
    assert cp.cuda.runtime.getDeviceCount() == 1
    cp.cuda.Device().synchronize()
    assert cp.cuda.Device(0).id == 0


# ---- kernels ---------------------------------------------------------------------------------

SAXPY = r"""
extern "C" __global__ void saxpy(float a, const float* x, float* y, long long n) {
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n;
         i += (long long)gridDim.x * blockDim.x)
        y[i] = a * x[i] + y[i];
}
"""


def test_rawmodule_launch_runs_the_kernel_on_cupy_arrays():
    kernel = cp.RawModule(code=SAXPY).get_function("saxpy")
    x, y = cp.arange(1000, dtype=np.float32), cp.ones(1000, dtype=np.float32)
    kernel((2,), (128,), (np.float32(3), x, y, np.int64(1000)))   # 2 blocks: grid-stride
    np.testing.assert_array_equal(y.get(), 3 * np.arange(1000, dtype=np.float32) + 1)


def test_launch_refuses_numpy_arrays_and_mistyped_scalars():
    kernel = cp.RawModule(code=SAXPY).get_function("saxpy")
    x, y = cp.zeros(4, dtype=np.float32), cp.zeros(4, dtype=np.float32)
    with pytest.raises(TypeError, match="numpy array"):
        kernel((1,), (32,), (np.float32(1), np.zeros(4, np.float32), y, np.int64(4)))
    with pytest.raises(TypeError):        # a Python float travels as a double, not a float
        kernel((1,), (32,), (1.0, x, y, np.int64(4)))
    with pytest.raises(TypeError):        # a float64 array for a float*
        kernel((1,), (32,), (np.float32(1), cp.zeros(4), y, np.int64(4)))


# ---- activation ------------------------------------------------------------------------------

def _run(code, **env):
    environ = {k: v for k, v in os.environ.items() if not k.startswith("MINIGRAD_CUDA_SIM")}
    environ.update(env)
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=environ,
                          capture_output=True, text=True, timeout=300)


def test_env_flag_runs_device_cuda_on_the_simulator():
    code = ("import sys, minigrad as mg\n"
            "assert 'cupy' not in sys.modules   # importing minigrad installs nothing\n"
            "x = mg.tensor([-1.0, 2.0], device='cuda')\n"
            "print(type(x.array).__module__, x.relu().tolist(), mg.cuda.device_count())")
    done = _run(code, MINIGRAD_CUDA_SIM="1")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["cupy", "[0.0,", "2.0]", "1"]


def test_simulate_call_before_the_first_cuda_tensor():
    code = ("import minigrad as mg\n"
            "mg.cuda.simulate()\n"
            "print(mg.cuda.is_available(), mg.tensor([[1.0, 3.0]], device='cuda')"
            ".softmax(1).sum().item())")
    done = _run(code)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[0] == "True" and abs(float(done.stdout.split()[1]) - 1) < 1e-6


def test_without_the_flag_nothing_is_installed():
    done = _run("import sys, minigrad as mg\nmg.backend.cuda_unavailable_reason()\n"
                "m = sys.modules.get('cupy')\n"
                "print(m is None or 'cupy_standin' not in m.__name__)", MINIGRAD_CUDA_SIM="0")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "True"
