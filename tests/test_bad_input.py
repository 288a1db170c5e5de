"""Bad input raises a ValueError/TypeError naming the value (it once passed silently or raised
an unrelated ZeroDivisionError/IndexError)."""
import numpy as np
import pytest

import minigrad as mg

F = mg.nn.functional
NAN = float("nan")


def _p():
    return mg.tensor([[0.2, 0.8]], dtype=np.float64)


def _image():
    return mg.randn(1, 1, 4, 4)


CASES = [
    ("kl_div negative target", lambda: F.kl_div(_p().log(), mg.tensor([[-0.1, 1.1]])),
     ValueError, r"target .* probabilities .*-0\.1"),
    ("bce target above 1", lambda: F.binary_cross_entropy(_p(), mg.tensor([[1.5, 0.0]])),
     ValueError, r"target .*\[0\.0, 1\.5\]"),
    ("bce NaN input", lambda: F.binary_cross_entropy(mg.tensor([[NAN, 0.5]]),
                                                     mg.tensor([[1.0, 0.0]])),
     ValueError, "input .*nan"),
    ("huber delta NaN", lambda: F.huber_loss(_p(), _p(), delta=NAN), ValueError, "delta .*nan"),
    ("smooth_l1 beta NaN", lambda: F.smooth_l1_loss(_p(), _p(), beta=NAN), ValueError,
     "beta .*nan"),
    ("info_nce temperature NaN", lambda: F.info_nce(_p(), _p(), temperature=NAN), ValueError,
     "temperature .*nan"),
    ("avg_pool2d divisor 0", lambda: F.avg_pool2d(_image(), 2, divisor_override=0), ValueError,
     "divisor_override .* 0"),
    ("max_pool2d kernel 0", lambda: F.max_pool2d(_image(), 0), ValueError,
     r"kernel_size \(0, 0\)"),
    ("max_pool2d stride 0", lambda: F.max_pool2d(_image(), 2, stride=0), ValueError,
     r"stride \(0, 0\)"),
    ("avg_pool2d stride 0", lambda: F.avg_pool2d(_image(), 2, stride=0), ValueError,
     r"stride \(0, 0\)"),
    ("conv2d 3-D weight", lambda: F.conv2d(_image(), mg.randn(1, 3, 3)), ValueError,
     r"\(1, 3, 3\)"),
    ("sum over axis 1.5", lambda: mg.randn(2, 3).sum(axis=1.5), TypeError, "1.5"),
    ("arange step 0", lambda: mg.arange(0, 5, 0), ValueError, "step .* 0"),
    ("float16 tensor", lambda: mg.tensor([1.0, 2.0], dtype=mg.float16), TypeError, "float16"),
    ("float16 from numpy", lambda: mg.from_numpy(np.ones(2, np.float16)), TypeError, "float16"),
    ("to(float16)", lambda: mg.ones(2).to(mg.float16), TypeError, "float16"),
    ("zeros float16", lambda: mg.zeros(2, dtype=mg.float16), TypeError, "float16"),
    ("MaxNorm of a 0-d array", lambda: mg.constraints.MaxNorm(1.0)(np.array(3.0)), ValueError,
     "0-d"),
    ("cross_entropy 0-d input", lambda: F.cross_entropy(mg.tensor(1.0), mg.tensor(0)),
     ValueError, "0-d"),
]


@pytest.mark.parametrize("name,call,error,message", CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_named(name, call, error, message):
    with pytest.raises(error, match=message):
        call()


# ---- backend kernels called directly: a clear error, never a crash of the interpreter ---------

def _backends():
    from minigrad.backend import cpu
    backends = [pytest.param(cpu.ReferenceBackend(), id="reference")]
    if cpu.COMPILED:
        backends.append(pytest.param(cpu.CpuBackend(), id="cython"))
    return backends


KERNEL_CASES = [
    # im2col with stride 0 died with SIGFPE (an integer division by zero in the kernel)
    ("im2col stride 0", lambda be: be.im2col(np.ones((1, 1, 4, 4)), 0, 0, 0, 0, 1, 1,
                                             np.empty((1, 2, 2, 1, 2, 2))),
     ValueError, r"stride \(0, 0\)"),
    ("im2col wrong output positions", lambda be: be.im2col(
        np.ones((1, 1, 4, 4)), 1, 1, 0, 0, 1, 1, np.empty((1, 2, 2, 1, 9, 9))),
     ValueError, "gives 3x3 positions, not 9x9"),
    ("col2im wrong output positions", lambda be: be.col2im(
        np.ones((1, 2, 2, 1, 9, 9)), 1, 1, 0, 0, 1, 1, np.empty((1, 1, 4, 4))),
     ValueError, "gives 3x3 positions, not 9x9"),
    # erf with a short out wrote past its end (SIGSEGV)
    ("erf short out", lambda be: be.erf_forward(np.ones(100), np.empty(3)), ValueError, "size"),
    ("float16", lambda be: be.relu_forward(np.ones(3, np.float16), np.empty(3, np.float16)),
     TypeError, "float16"),
]


@pytest.mark.parametrize("backend", _backends())
@pytest.mark.parametrize("name,call,error,message", KERNEL_CASES, ids=[c[0] for c in KERNEL_CASES])
def test_kernel_called_directly_rejects_bad_arguments(backend, name, call, error, message):
    with pytest.raises(error, match=message):
        call(backend)
