"""The seven GPU bugs of issue 15, found by running the cuda path on the CUDA simulator; each
test fails on the code before its fix. They run on device="cuda" (the simulator when there is
no GPU: tests/conftest.py) and skip only when cuda is switched off (MINIGRAD_CUDA_SIM=0)."""
import os
import subprocess
import sys

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn.functional as F
from minigrad import checks
from minigrad.backend import cuda_unavailable_reason, get_backend, reference
from minigrad.backend.specs import SgdSpec

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

needs_cuda = pytest.mark.skipif(cuda_unavailable_reason() is not None,
                                reason=f"no cuda: {cuda_unavailable_reason()}")


# ---- bug 1: an optimizer step whose gradient is a transposed view ----------------------------

@needs_cuda
@pytest.mark.parametrize("make", [lambda p: mg.optim.SGD(p, lr=0.1, momentum=0.9),
                                  lambda p: mg.optim.AdamW(p, lr=0.01)])
def test_bug1_step_with_a_transposed_gradient_matches_the_cpu(make):
    rng = np.random.default_rng(0)
    x0, w0 = rng.standard_normal((5, 3)), rng.standard_normal((4, 3))
    results = []
    for device in ("cpu", "cuda"):
        w = mg.nn.Parameter(mg.tensor(w0, device=device))
        opt = make([w])
        for _ in range(2):
            opt.zero_grad()
            (mg.tensor(x0, device=device) @ w.T).square().sum().backward()
            opt.step()
        results.append(w.detach().cpu().numpy())
    np.testing.assert_allclose(results[1], results[0], rtol=1e-12, atol=1e-12)


@needs_cuda
@pytest.mark.parametrize("make", [lambda p: mg.optim.SGD(p, lr=0.1, momentum=0.9),
                                  lambda p: mg.optim.Adam(p, lr=0.01, amsgrad=True),
                                  lambda p: mg.optim.RMSprop(p, lr=0.01, centered=True),
                                  lambda p: mg.optim.Adagrad(p, lr=0.1)])
def test_bug1_step_with_an_assigned_transposed_view_gradient(make):
    """A gradient set by hand may be any view, here a transpose (strides (8, 32))."""
    rng = np.random.default_rng(1)
    w0, g0 = rng.standard_normal((4, 3)), rng.standard_normal((3, 4))
    results = []
    for device in ("cpu", "cuda"):
        w = mg.nn.Parameter(mg.tensor(w0, device=device))
        opt = make([w])
        for _ in range(2):
            w.grad = mg.tensor(g0, device=device).T
            assert not w.grad.array.flags.c_contiguous
            opt.step()
        results.append(w.detach().cpu().numpy())
    np.testing.assert_allclose(results[1], results[0], rtol=1e-12, atol=1e-12)


@needs_cuda
def test_bug1_the_kernels_refuse_a_non_contiguous_gradient_alike_on_both_devices():
    """The one argument check (backend/_checks.py) decides: the optimizer passes a contiguous
    copy, and a direct kernel call with a transposed view is the same ValueError everywhere."""
    spec = SgdSpec(lr=0.1, coupled_weight_decay=0.0, momentum=0.0, dampening=0.0,
                   nesterov=False, maximize=False, first_step=False)
    messages = []
    for device in ("cpu", "cuda"):
        be = get_backend(device)
        param = be.asarray(np.ones((4, 3)), np.float64)
        grad = be.asarray(np.ones((3, 4)), np.float64).T
        with pytest.raises(ValueError, match="C-contiguous") as info:
            be.sgd_step(param, grad, None, spec)
        messages.append(str(info.value))
    assert messages[0] == messages[1]


# ---- bug 2: log_softmax_backward accumulated its row sums in float ---------------------------

@needs_cuda
@pytest.mark.parametrize("kernel", ["log_softmax_backward", "softmax_backward"])
def test_bug2_float32_row_sums_accumulate_in_double(kernel):
    """Zero-mean gradients of magnitude 1000: the row sum cancels, so a sum kept in float
    carries errors of the size of the summands (12-45 ulps of the result here), while a double
    sum rounded once is within an ulp or two of the float64 result."""
    rng = np.random.default_rng(0)
    y = rng.standard_normal((511, 257))
    e = np.exp(y - y.max(1, keepdims=True))
    y = np.log(e / e.sum(1, keepdims=True)) if kernel[0] == "l" else e / e.sum(1, keepdims=True)
    y, g = y.astype(np.float32), (rng.standard_normal((511, 257)) * 1000).astype(np.float32)
    be = get_backend("cuda")
    out = be.xp.empty_like(be.asarray(y, np.float32))
    getattr(be, kernel)(be.asarray(y, np.float32), be.asarray(g, np.float32), out)
    y64, g64 = y.astype(np.float64), g.astype(np.float64)
    want = np.empty(y.shape)
    getattr(reference, kernel)(y64, g64, want)
    if kernel == "log_softmax_backward":     # out = g - exp(y) * sum(g)
        scale = np.abs(g64) + np.exp(y64) * np.abs(g64.sum(1, keepdims=True))
    else:                                    # out = y * (g - sum(g * y))
        scale = y64 * (np.abs(g64) + np.abs((g64 * y64).sum(1, keepdims=True)))
    ulps = np.abs(be.to_numpy(out) - want) / scale / np.finfo(np.float32).eps
    assert ulps.max() < 4


# ---- bug 3: a masked (-inf) logit without label smoothing ------------------------------------

@needs_cuda
@pytest.mark.parametrize("dtype", [mg.float32, mg.float64])
def test_bug3_masked_logit_gives_a_finite_loss(dtype):
    x = mg.tensor([[0.0, -float("inf"), 1.0], [2.0, 0.5, -float("inf")]], dtype=dtype,
                  device="cuda")
    loss = F.cross_entropy(x, mg.tensor([2, 0], device="cuda"), reduction="none")
    lse0, lse1 = np.log(1 + np.e), np.log(np.exp(2.0) + np.exp(0.5))
    np.testing.assert_allclose(loss.cpu().numpy(), [lse0 - 1.0, lse1 - 2.0],
                               rtol=1e-6 if dtype == mg.float32 else 1e-14)


# ---- bug 4: the launchers check sizes and targets as the CPU kernels do ----------------------

def _ce_args(n=3, c=4, target=None, weight=None, per_row=None):
    be = get_backend("cuda")
    x = be.asarray(np.zeros((n, c)), np.float64)
    t = be.asarray(np.zeros(n, np.int64) if target is None else np.array(target), np.int64)
    w = be.asarray(np.ones(c if weight is None else weight), np.float64)
    probs = be.asarray(np.zeros((n, c)), np.float64)
    loss = be.asarray(np.zeros(n if per_row is None else per_row), np.float64)
    return be, (x, t, w, 0.0, -100, probs, loss)


@needs_cuda
@pytest.mark.parametrize("target", [[0, 4, 1], [0, -1, 1], [7, 0, 0]])
def test_bug4_target_out_of_range_is_an_index_error(target):
    be, args = _ce_args(target=target)
    with pytest.raises(IndexError, match="out of range for 4 classes"):
        be.cross_entropy_forward(*args)
    with pytest.raises(IndexError, match="out of range for 4 classes"):
        be.cross_entropy_backward(args[0], args[1], args[2], 0.0, -100, args[6], args[5])


@needs_cuda
def test_bug4_ignored_targets_pass_the_check():
    be, args = _ce_args(target=[0, -100, 3])
    be.cross_entropy_forward(*args)
    np.testing.assert_allclose(be.to_numpy(args[6]), [np.log(4), 0.0, np.log(4)], rtol=1e-14)


@needs_cuda
@pytest.mark.parametrize("bad", [dict(weight=3), dict(per_row=2), dict(c=0), dict(target=[0, 0])])
def test_bug4_short_or_mismatched_arrays_are_value_errors(bad):
    be, args = _ce_args(**bad)
    with pytest.raises(ValueError):
        be.cross_entropy_forward(*args)


@needs_cuda
def test_bug4_im2col_col2im_mismatched_images_are_value_errors():
    be = get_backend("cuda")
    x = be.asarray(np.zeros((2, 3, 5, 5)), np.float64)
    cols = be.asarray(np.zeros((3, 3, 3, 1, 3, 3)), np.float64)    # N = 1, not 2
    with pytest.raises(ValueError):
        be.im2col(x, 1, 1, 0, 0, 1, 1, cols)
    with pytest.raises(ValueError):
        be.col2im(cols, 1, 1, 0, 0, 1, 1, x)


# ---- bug 5: kernel sources read as UTF-8 whatever the locale ---------------------------------

def test_bug5_kernel_sources_are_read_as_utf8_in_an_ascii_locale():
    with open(os.path.join(ROOT, "csrc", "cuda", "optim.cu"), "rb") as f:
        assert any(b > 127 for b in f.read()), "optim.cu is plain ASCII: the test proves nothing"
    env = {**os.environ, "LC_ALL": "C", "LANG": "C", "PYTHONUTF8": "0",
           "PYTHONCOERCECLOCALE": "0", "MINIGRAD_CUDA_SIM": "1"}
    code = ("import locale, minigrad as mg\n"
            "assert locale.getpreferredencoding(False).lower() != 'utf-8'\n"
            "mg.cuda.simulate()\n"
            "from minigrad.backend import cuda\n"
            "print(len(cuda._source('optim.cu')) > 0)")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "True"


# ---- bug 6: the BatchNorm eval case builds its running statistics on the case's device -------

@needs_cuda
def test_bug6_batch_norm_eval_case_runs_on_cuda():
    case = next(c for c in checks.all_cases() if c.name == "nn batch_norm 2d eval")
    err, msg = checks.run_case(case, "cuda", fast_mode=True)
    assert err < 1e-6, msg


# ---- bug 7: CuPy extras for CUDA 12 and 13, both named when CuPy is missing ------------------

def test_bug7_cuda12_and_cuda13_extras():
    tomllib = pytest.importorskip("tomllib")
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as f:
        extras = tomllib.load(f)["project"]["optional-dependencies"]
    assert extras["cuda12"][0].startswith("cupy-cuda12x[ctk]")
    assert extras["cuda13"][0].startswith("cupy-cuda13x[ctk]")


def test_bug7_the_missing_cupy_message_names_both_extras():
    code = ("import importlib.util, minigrad as mg\n"
            "if importlib.util.find_spec('cupy') is not None: print('installed')\n"
            "else: print(mg.backend.cuda_unavailable_reason())")
    env = {**os.environ, "MINIGRAD_CUDA_SIM": "0"}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    if done.stdout.strip() == "installed":
        pytest.skip("CuPy is installed here")
    assert "minigrad[cuda12]" in done.stdout and "minigrad[cuda13]" in done.stdout
