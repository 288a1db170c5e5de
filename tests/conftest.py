import os

import numpy as np
import pytest

import minigrad as mg
from minigrad.backend import cuda_unavailable_reason

#: Blocks per launch under the simulator (grid-stride loops cover the rest): keeps the suite's
#: simulated cuda tests within the CI budget and exercises the grid-stride paths.
SIM_MAX_BLOCKS = 3


def _simulate_without_gpu():
    """device="cuda" runs on minigrad's CUDA simulator when no real GPU is usable (as Numba's
    NUMBA_ENABLE_CUDASIM=1 does), so every cuda test runs on every machine; MINIGRAD_CUDA_SIM=0
    turns that off (the cuda tests then skip), =1 forces it even with a GPU."""
    flag = os.environ.get("MINIGRAD_CUDA_SIM", "")
    if flag == "0" or (flag == "" and cuda_unavailable_reason() is None):
        return
    mg.cuda.simulate()
    from minigrad import cudasim
    if "MINIGRAD_CUDA_SIM_MAX_BLOCKS" not in os.environ:
        cudasim.configure(max_blocks=SIM_MAX_BLOCKS)


_simulate_without_gpu()

# cuda tests that fail for reasons outside the simulator: device bugs it found in the catalogue
# and tests, to be fixed where named (strict: once fixed, the test passes and its mark must go)
_KNOWN_CUDA_FAILURES = {
    "cuda-sort values]": "minigrad/checks.py's 'sort values' case multiplies by mg.arange(4.0) "
                         "made on the CPU whatever the device",
    "differences_agree[cuda-L2SP]": "the test's L2SP reference array is made on the CPU",
    "differences_agree[cuda-EWC]": "the test's EWC reference arrays are made on the CPU",
}


def pytest_collection_modifyitems(config, items):
    for item in items:
        for part, reason in _KNOWN_CUDA_FAILURES.items():
            if part in item.nodeid:
                item.add_marker(pytest.mark.xfail(strict=True, reason=reason))


def _device_params():
    params = [pytest.param("cpu", id="cpu")]
    reason = cuda_unavailable_reason()
    params.append(pytest.param("cuda", id="cuda", marks=pytest.mark.skipif(
        reason is not None, reason=f"no GPU: {reason}")))
    return params


DEVICES = _device_params()


@pytest.fixture(params=DEVICES)
def device(request):
    return request.param


@pytest.fixture(autouse=True)
def _restore_global_state():
    """Tests may change the default dtype or the seed; put both back."""
    dtype = mg.get_default_dtype()
    mg.manual_seed(0)
    yield
    mg.set_default_dtype(dtype)


@pytest.fixture
def rng():
    return np.random.default_rng(1234)
