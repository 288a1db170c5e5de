import numpy as np
import pytest

import minigrad as mg
from minigrad.backend import cuda_unavailable_reason


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
