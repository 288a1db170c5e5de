"""Every nn case (minigrad/nn/_cases.py: layers with their parameters, activations, losses) passes
gradcheck and gradgradcheck in float64, full and fast mode, on every device present."""
import pytest

from minigrad import checks

NN_CASES = [c for c in checks.all_cases() if c.family == "nn"]


@pytest.mark.parametrize("case", NN_CASES, ids=[c.name for c in NN_CASES])
def test_gradcheck_full(case, device):
    err, msg = checks.run_case(case, device, fast_mode=False)
    assert msg is None, msg
    assert err < 1e-6


@pytest.mark.parametrize("case", NN_CASES, ids=[c.name for c in NN_CASES])
def test_gradcheck_fast(case, device):
    err, msg = checks.run_case(case, device, fast_mode=True)
    assert msg is None, msg


def test_catalogue_covers_every_layer_activation_and_loss():
    names = " ".join(c.name for c in NN_CASES)
    for thing in ["linear", "conv2d", "max_pool2d", "avg_pool2d", "batch_norm 1d train",
                  "batch_norm 2d train", "batch_norm 2d eval", "layer_norm", "dropout fixed mask",
                  "dropout eval", "embedding", "relu", "leaky_relu", "gelu", "softplus", "elu",
                  "sigmoid", "tanh", "softmax", "log_softmax", "normalize", "cross_entropy",
                  "nll_loss", "mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss",
                  "binary_cross_entropy", "binary_cross_entropy_with_logits",
                  "multi_margin_loss", "kl_div", "info_nce", "stride", "dilation"]:
        assert thing in names, f"no nn gradcheck case for {thing}"
    assert all(c.second_order for c in NN_CASES)  # every nn backward is built from ops
