"""The per-op path (issue 16): the engine's modules compiled from their .py (minigrad/_compiled.py)
and the interpreted fallback, and relu's small-array ufunc path against its Cython kernel.

Everything else in the suite runs whichever engine is built (compiled after ``make build``);
here a representative part of it runs again in a fresh process with ``MINIGRAD_PURE_PYTHON=1``,
so that the .py a student reads (and the fallback of a checkout without a build) stays tested.
"""
import os
import pickle
import subprocess
import sys
import traceback
import warnings

import numpy as np
import pytest

import minigrad as mg
from minigrad import _compiled
from minigrad.autograd import Function
from minigrad.backend import cpu

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _run(code, **env):
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, **env}, timeout=600)


# ---- which engine runs ------------------------------------------------------------------------

def test_pure_python_switch_runs_every_module_from_its_source():
    out = _run("import minigrad, minigrad._compiled as c; print(sorted(c.running().items()))",
               MINIGRAD_PURE_PYTHON="1")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == str(sorted((m, "source") for m in _compiled.MODULES))


def test_every_compiled_module_is_imported_before_use_and_reported():
    # tensor.py imports _compiled first, so every module of MODULES is imported after the finder
    assert set(_compiled.running()) == set(_compiled.MODULES)
    # ... and the finder is gone once `import minigrad` is done
    assert not any(isinstance(f, _compiled.SourceFirst) for f in sys.meta_path)
    kinds = set(_compiled.running().values())
    if _compiled.PURE_PYTHON:
        assert kinds == {"source"}


def test_a_py_newer_than_its_compiled_module_runs_from_source(monkeypatch):
    import minigrad.autograd as pkg
    spec = _compiled.importlib.machinery.PathFinder.find_spec("minigrad.autograd.engine",
                                                              pkg.__path__)
    if not spec.origin.endswith(".so"):
        pytest.skip("the engine is not compiled in this checkout")
    monkeypatch.setattr(_compiled, "PURE_PYTHON", False)
    assert _compiled.SourceFirst.find_spec("minigrad.autograd.engine", pkg.__path__) is None
    real = os.path.getmtime
    monkeypatch.setattr(_compiled.os.path, "getmtime",
                        lambda p: real(p) + (1e6 if p.endswith(".py") else 0))
    with pytest.warns(RuntimeWarning, match="engine.py changed since it was compiled"):
        stale = _compiled.SourceFirst.find_spec("minigrad.autograd.engine", pkg.__path__)
    assert stale.origin.endswith(os.path.join("autograd", "engine.py"))
    assert _compiled.SourceFirst.find_spec("minigrad.creation", pkg.__path__) is None  # not ours


def test_representative_tests_pass_interpreted():
    """The engine's own tests, hooks, the graph debugger, forward mode on a few ops, pickling and
    a user's Function, run interpreted in a fresh process."""
    files = ["tests/test_autograd.py", "tests/test_autograd_surface.py", "tests/test_hooks.py",
             "tests/test_check_graph.py", "tests/test_serialization.py",
             "tests/test_jvp_elementwise.py", "tests/test_compiled_engine.py",
             "tests/test_fast_paths.py"]
    out = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider",
                          *files, "-k", "not interpreted"], cwd=ROOT, capture_output=True,
                         text=True, env={**os.environ, "MINIGRAD_PURE_PYTHON": "1"}, timeout=900)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
    assert " passed" in out.stdout


# ---- what must not change when compiled -------------------------------------------------------

class _Cube(Function):
    """y = k x³   dy/dx = 3k x²  (a user's Function: keywords and setup_context, torch 2.x)"""

    @staticmethod
    def forward(x, k=1.0):
        return x.array ** 3 * k

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(inputs[0])
        ctx.k = inputs[1]

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        return grad * 3 * ctx.k * x * x, None


class _Broken(Function):
    @staticmethod
    def forward(ctx, x):
        return x.array.copy()

    @staticmethod
    def backward(ctx, grad):
        raise ValueError("broken backward, line marker 7731")


def test_user_function_with_keywords_and_setup_context():
    x = mg.tensor([1.0, -2.0, 0.5], dtype=mg.float64, requires_grad=True)
    y = _Cube.apply(x, k=2.0)
    np.testing.assert_allclose(y.numpy(), 2 * x.numpy() ** 3)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 6 * x.numpy() ** 2)
    assert type(y.grad_fn).__name__ == "_CubeBackward"
    assert y.grad_fn.needs_input_grad == (True, False)


def test_traceback_through_the_engine_reaches_the_users_backward():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ValueError, match="line marker 7731") as info:
        _Broken.apply(x).sum().backward()
    frames = traceback.extract_tb(info.value.__traceback__)
    # compiled frames are listed too, at their .py line (named with the module's prefix)
    engine = [f for f in frames if f.name.endswith("run_backward")]
    assert engine and engine[0].filename.endswith(os.path.join("autograd", "engine.py"))
    assert engine[0].lineno > 1
    assert frames[-1].name == "backward" and frames[-1].filename == __file__


def test_signatures_and_pickling_of_tensors_modules_and_grad_mode():
    import inspect
    params = inspect.signature(mg.autograd.engine.run_backward).parameters
    assert list(params)[:2] == ["outputs", "grad_outputs"] and params["inputs"].default is None
    model = mg.nn.Linear(3, 2)
    model2 = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(model2.weight.numpy(), model.weight.numpy())
    t = pickle.loads(pickle.dumps(mg.tensor([1.0, 2.0], requires_grad=True)))
    assert t.requires_grad and t.tolist() == [1.0, 2.0]
    with mg.no_grad():
        assert not mg.is_grad_enabled()
        assert not (t * 2).requires_grad
    assert mg.is_grad_enabled()


def test_hooks_and_needs_input_grad_read_from_inputs():
    a = mg.tensor([1.0, 2.0], requires_grad=True)
    b = mg.tensor([3.0, 4.0])
    seen = []
    y = a * b
    y.register_hook(lambda g: seen.append(g.tolist()) or g * 2)
    assert y.grad_fn.needs_input_grad == (True, False)
    assert y.grad_fn.inputs[0] is a and y.grad_fn.inputs[1] is b
    y.sum().backward()
    assert seen == [[1.0, 1.0]]
    assert a.grad.tolist() == [6.0, 8.0]  # the hook doubled the gradient


def test_forward_mode_through_the_compiled_apply():
    import minigrad.autograd.forward_ad as fwAD
    x = mg.tensor([0.5, -1.0, 2.0], dtype=mg.float64)
    v = mg.tensor([1.0, 2.0, -1.0], dtype=mg.float64)
    with fwAD.dual_level():
        y = (fwAD.make_dual(x, v) * 3).relu()
        tangent = fwAD.unpack_dual(y).tangent
    np.testing.assert_array_equal(tangent.numpy(), np.where(x.numpy() > 0, 3 * v.numpy(), 0))


# ---- relu_forward's ufunc path is the kernel's value bit for bit ------------------------------

def _edge_values(dtype, n, rng):
    bits = np.uint32 if dtype == np.float32 else np.uint64
    nans = (np.array([0x7FC00001, 0xFFC00123, 0x7FA00000], np.uint32).view(np.float32)
            if dtype == np.float32 else
            np.array([0x7FF8000000000001, 0xFFF8000000000ABC], np.uint64).view(np.float64))
    tiny = np.finfo(dtype).smallest_subnormal
    pool = np.concatenate([np.array([0.0, -0.0, np.inf, -np.inf, np.nan, tiny, -tiny, 1.5, -2.5],
                                    dtype), nans.astype(dtype)])
    values = rng.choice(pool, n).astype(dtype)
    values[: n // 3] = rng.standard_normal(n // 3)
    return values, bits


@pytest.mark.skipif(not cpu.COMPILED, reason="compares against the compiled Cython kernel")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n", [0, 1, 3, 4, 7, 8, 15, 16, 17, 31, 33, 64, 129, 1000,
                               cpu.UFUNC_MAX_SIZE, cpu.UFUNC_MAX_SIZE + 1])
def test_relu_forward_small_path_equals_the_kernel_bit_for_bit(dtype, n):
    from minigrad._C import activation
    rng = np.random.default_rng(n)
    for _ in range(4):
        x, bits = _edge_values(dtype, n, rng)
        kernel, backend = np.empty_like(x), np.full_like(x, 7)
        activation.relu_forward(x, kernel, 1)
        cpu.CpuBackend().relu_forward(x, backend)
        assert np.array_equal(kernel.view(bits), backend.view(bits)), (x, kernel, backend)
        # the positive zero for -0.0, every NaN passed through unchanged
        assert not np.signbit(backend[x == 0]).any()
        # Relu.forward's own small path (numpy's ufunc straight away) and the whole op
        for y in (mg.relu(mg.tensor(x)).array, mg.tensor(x, requires_grad=True).relu().array):
            assert y.dtype == x.dtype and y.flags.c_contiguous
            assert np.array_equal(kernel.view(bits), y.view(bits)), (x, kernel, y)


def test_relu_forward_small_path_on_nd_arrays_and_bad_calls():
    be = cpu.CpuBackend()
    x = np.arange(-6, 6, dtype=np.float32).reshape(3, 4)
    out = np.empty_like(x)
    be.relu_forward(x, out)
    np.testing.assert_array_equal(out, np.maximum(x, 0))
    with pytest.raises(ValueError, match="C-contiguous"):
        be.relu_forward(x.T, np.empty((4, 3), np.float32))
    with pytest.raises(TypeError, match="dtype"):
        be.relu_forward(x, np.empty_like(x, dtype=np.float64))
    with pytest.raises(ValueError, match="size mismatch"):
        be.relu_forward(x, np.empty(5, np.float32))


def test_user_subclasses_of_compiled_classes():
    """Tensor, Optimizer and SGD are compiled (tensor.py, optim/): a user's subclasses still
    override methods, call super(), keep instance attributes and pickle by name."""
    import inspect

    class Tagged(mg.Tensor):
        def double(self):
            return self * 2

    t = Tagged([1.0, 2.0], requires_grad=True)
    assert isinstance(t, Tagged) and t.double().tolist() == [2.0, 4.0]
    t.tag = "mine"                       # Tensor has a __dict__ slot
    assert t.tag == "mine"

    class HalfStep(mg.optim.SGD):
        def step(self, closure=None):
            for group in self.param_groups:
                group["lr"] = 0.5
            return super().step(closure)

    w = mg.tensor([1.0, -1.0], requires_grad=True)
    opt = HalfStep([w], lr=1.0)
    (w * w).sum().backward()
    opt.step()
    np.testing.assert_allclose(w.numpy(), [0.0, 0.0])      # w − 0.5·2w
    assert list(inspect.signature(mg.optim.SGD).parameters)[:3] == ["params", "lr", "momentum"]
    assert list(inspect.signature(mg.Tensor.sum).parameters)[0] == "self"
    assert mg.Tensor.__module__ == "minigrad.tensor" and mg.Tensor.__qualname__ == "Tensor"


def test_traceback_from_a_compiled_tensor_method_names_its_line():
    x = mg.tensor([1.0, 2.0])
    with pytest.raises(TypeError, match="does not cast silently") as info:
        x + mg.tensor([1.0, 2.0], dtype=mg.float64)
    files = [f.filename for f in traceback.extract_tb(info.value.__traceback__)]
    assert any(f.endswith("_operands.py") for f in files), files
