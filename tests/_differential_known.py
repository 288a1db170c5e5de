"""Entries of the differential registry (tests/_differential_registry.py): where the comparison is
relaxed, and the discrepancies found (relax / known / pin).
"""
import numpy as np
import torch

from minigrad import ops

from _differential_registry import (  # noqa: F401
    C, CHECKS, COMPILED, I, KINDS, REGISTRY, Relax, X
)

# ==== where the comparison is relaxed, and the discrepancies found ============================

_BY_NAME = {e.name: e for e in REGISTRY}


def relax(names, mode, reason, kinds=KINDS + ("masked",), checks=CHECKS):
    for name in names.split():
        _BY_NAME[name].relax.append(Relax(mode, reason, tuple(kinds), tuple(checks)))


def known(names, kinds, checks, reason, when=True):
    """A discrepancy this suite found (not fixed yet): the tests of these kinds are
    xfail(strict) on these checks, so they fail once it is fixed: then delete the line."""
    if not when:
        return
    for name in names.split():
        for kind in kinds.split():
            _BY_NAME[name].known.setdefault(kind, {}).update(dict.fromkeys(checks.split(),
                                                                             reason))


def pin(name, kind, args, **kwargs):
    """A minimal reproduction, always run in the test of (name, kind)."""
    _BY_NAME[name].pins.setdefault(kind, []).append(
        ([a if isinstance(a, (X, C, I, list)) or a is None or not isinstance(a, np.ndarray)
          else X(a) for a in args], kwargs))


def _x(*values, shape=None):
    """X of the values (reshaped to ``shape``)."""
    a = np.array(values, dtype=np.float64)
    return X(a.reshape(shape) if shape is not None else a)


def _x0(value):
    return X(np.array(value, dtype=np.float64))


def _c(*values, dtype=np.float64):
    return C(np.array(values, dtype=dtype))


_BIG = ("extreme", "huge")
_ALL_FIRST = "backward create_graph"

# -- relaxations: torch is not the oracle there (each says why) ---------------------------------

relax("sum mean sum_to_shape matmul rmatmul_array matmul_bt linear conv2d avg_pool2d col2im "
      "nll_loss kl_div",
      "terms", "a sum of terms of very different sizes (1e30 beside 1e15) depends on the order "
      "of summation (e.g. sum_to_shape gave 9.85e14 and torch 9.70e14 from terms of 1e30): the "
      "error bound is rtol·Σ|terms|, and where Σ|terms| overflows (1e300²) any order's inf or "
      "NaN is right", kinds=_BIG)
relax("binary_cross_entropy_with_logits", "torch_nan", "at x = ∓inf with a target weighting "
      "that side the loss is +inf (minigrad: log σ(x) = −softplus(−x) is exact at ±inf); "
      "torch's max-form gives inf − inf = NaN", kinds=("nonfinite",), checks=("forward",))
relax("batch_norm", "terms", "the batch mean and variance written into the running statistics "
      "sum terms of 1e30 beside 1e15: the order of summation decides (running mean 5.556e12 "
      "against 5.473e12); compared within the bound of the terms", kinds=_BIG,
      checks=("forward",))
relax("batch_norm", "torch_nan", "eval mode: torch folds the affine map into "
      "x·(γ/σ) + (β − μ·γ/σ), which is inf − inf = NaN for an infinite γ; minigrad's ((x − μ)/σ)·γ + β is ±inf",
      kinds=("nonfinite",), checks=("forward",))
relax("cross_entropy", "torch_nan", "an ignored row (target = ignore_index) gets no gradient in "
      "minigrad (0, nn/functional.py _weighted_reduce); torch multiplies the NaN softmax of an "
      "infinite logit by the row's zero weight", kinds=("nonfinite", "masked"),
      checks=("backward", "create_graph", "second"))
relax("info_nce", "unchecked", "second derivatives through a row below eps (x/eps) carry terms "
      "of 1/eps = 1e12, and rows of 1e30 terms of that size: their cancellation left torch with "
      "noise of 2⁻⁹…2⁻¹³ where minigrad has 0 or 3.8e−4 (and 0.72 differing by 4e−7 beside "
      "entries of 1e21); only NaN/inf places compared", kinds=("edge", "extreme"),
      checks=("second",))
relax("info_nce", "unchecked", "a row below eps (a zero row, or 1e−30) is divided by "
      "eps = 1e−12, so the rounding (1e−16) of a gradient that is exactly 0 becomes 1e−4 "
      "(minigrad −1.1e−4 where torch, by the luck of its order, 0; 8.9e−4 against 4.4e−4); only "
      "NaN/inf places compared", kinds=("edge", "extreme"), checks=("backward", "create_graph"))
relax("batch_norm layer_norm", "unchecked", "standardising values whose spread is far below "
      "their magnitude is ill-conditioned: three equal values 1e30 have x̂ = (x − μ)/√eps with "
      "μ's rounding deciding (minigrad's exact 0 against the twin's −1); the input gradient "
      "(g − mean g − x̂·mean(g·x̂))·γ/σ cancels terms of size |g|·γ/σ (0 exactly for two values, "
      "and each library returns noise of ulp·γ/σ: −0.125 against 0 with γ/σ = 2e15, 1.0 "
      "against 0.25); only NaN/inf places compared", kinds=("extreme",))
relax("cross_entropy nll_loss", "torch_nan", "the mean with a total weight of 0 (class weights 0 "
      "where the targets are) is NaN in both; minigrad gives no row a gradient (0, as for "
      "every target ignored: nn/functional.py _weighted_reduce), torch divides 0 by 0",
      kinds=("edge",), checks=("backward", "create_graph", "second"))
relax("binary_cross_entropy", "unchecked", "torch's BCE double backward divides by "
      "(p + ε)²(1 − p + ε)², not by the square of its own first derivative's max(p(1 − p), ε): "
      "near p = 0 or 1 they differ by orders of magnitude (2.5e23 against minigrad's 1e12, the "
      "derivative of its first derivative, at p = 1e−30); only NaN/inf places compared",
      kinds=_BIG, checks=("second",))
relax("pow rpow_scalar", "torch_nan", "Pow's documented convention (ops/elementwise.py): where "
      "a = 0 and b ≥ 0 the log in d/db is taken of 1, 'so no NaN enters a second derivative'; "
      "torch's second derivative there is NaN (0·log 0)", checks=("second",))
relax("normalize info_nce", "torch_nan", "L2Norm's documented subgradient 0 at a zero vector "
      "(ops/norm.py): x/max(‖x‖, eps) is x/eps there, whose second derivative is 0; torch's "
      "norm double backward gives 0/0 = NaN", kinds=("edge",), checks=("second",))
relax("kl_div", "torch_nan", "kl_div's documented 0·log 0 = 0 (nn/functional.py: 'no −inf, no "
      "NaN'): minigrad's d/dtarget is 0 at target = 0, torch's is NaN",
      kinds=("edge",), checks=("backward", "create_graph"))
relax("amax amin", "torch_nan", "a NaN is the max (min) of its slice and gets the gradient "
      "(ops/reduce.py Amax, as torch.max() does); torch's amax backward compares x == result, "
      "false for NaN, and divides by 0 hits: NaN", kinds=("nonfinite",),
      checks=("backward", "create_graph"))
relax("gelu", "torch_nan", "torch's GELU double backward forms x²·φ(x) as inf·0 = NaN for "
      "|x| > 1e154; the limit is 0 (minigrad)", kinds=("huge",), checks=("second",))

# -- discrepancies found by this suite (xfail strict until fixed), each with a pinned minimal
#    reproduction (pin): delete both when it is fixed ----------------------------------------

nan, inf = np.nan, np.inf
_WHERE_INF = ("Where.backward multiplies by the mask, so an infinite upstream gradient or an "
              "infinite derivative in the branch not taken gives inf·0 = NaN (torch's where "
              "backward selects: 0). Minimal: x = tensor([1.]); where(x > 0, x, 2*x).backward("
              "tensor([inf])) gives x.grad NaN, torch inf")

# 0-d and empty tensors
known("softmax log_softmax logsumexp", "empty", "forward", "an empty softmax axis raises "
      "ValueError 'cannot reshape array of size 0 into shape (0)' (torch: an empty result; "
      "logsumexp: −inf)")
pin("softmax", "empty", [X(np.zeros((2, 0)))], dim=-1)
pin("log_softmax", "empty", [X(np.zeros((2, 0)))], dim=-1)
pin("logsumexp", "empty", [X(np.zeros((2, 0)))], dim=-1, keepdim=False)
pin("amax", "empty", [X(np.zeros((2, 0, 2)))], dim=0, keepdim=False)   # (fixed in issue 12)
pin("amin", "empty", [X(np.zeros((2, 0, 2)))], dim=0, keepdim=False)
pin("reduce_dim_empty_tuple", "normal", [_x(1.0, 2.0)], which="sum", keepdim=False)  # fixed (12)
known("softmax_family_0d", "normal", "forward", "softmax/log_softmax/logsumexp of a 0-d tensor "
      "raise ValueError; torch returns 1, 0 and x")
pin("softmax_family_0d", "normal", [_x0(0.5)], which="softmax")

# spellings

# non-finite values
known("logsumexp", "nonfinite masked", "forward backward create_graph", "issue 11 item 9 (the "
      "lead is on it): logsumexp of a row with +inf is NaN (torch +inf), of an all −inf row NaN "
      "(torch −inf), and the gradient NaN")
pin("logsumexp", "nonfinite", [_x(1.0, inf)], dim=0, keepdim=False)
pin("logsumexp", "masked", [_x(-inf, -inf)], dim=0, keepdim=False)
known("cross_entropy", "masked nonfinite", "forward backward create_graph", "issue 11 item 9: "
      "the numpy reference cross-entropy (MINIGRAD_PURE_NUMPY=1) is NaN with a −inf logit",
      when=not COMPILED)
if not COMPILED:
    for _kind in ("masked", "nonfinite"):
        pin("cross_entropy", _kind, [_x(2.7, -inf, shape=(1, 2)), _c(0, dtype=np.int64), None],
            reduction="mean")
known("erf gelu", "zero_d", "forward", "the numpy reference erf (MINIGRAD_PURE_NUMPY=1) of a 0-d "
      "tensor raises AttributeError: 'float' object has no attribute 'astype'",
      when=not COMPILED)
if not COMPILED:
    pin("erf", "zero_d", [_x0(0.8)])
known("elu", "nonfinite", "backward create_graph", "at an infinite or NaN input the "
      "gradient is NaN; torch gives its branch's finite value. " + _WHERE_INF)
pin("elu", "nonfinite", [_x(nan)], alpha=1.0)
known("elu", "nonfinite", "second", "at a NaN input the second derivative is NaN (torch 0)")
known("batch_norm", "nonfinite", "backward create_graph second", "with an infinite weight γ "
      "the input gradient is NaN: γ multiplies g before the standardisation's sums (inf − inf); "
      "torch factors γ/σ out and gives ±inf")
known("layer_norm", "nonfinite", "backward create_graph", "with an infinite weight γ_j (and "
      "bias) the input gradient of an entry is NaN where torch's is ±inf (γ multiplies g before "
      "the standardisation's sums)")
pin("batch_norm", "nonfinite", [_x(-1.1, 2.0, -0.5, shape=(3, 1, 1)), None, None, _x(-inf),
                                None], training=True, momentum=0.5, eps=0.1)
pin("layer_norm", "nonfinite", [_x(-2.1196843924583906, 0.25037134209307244, 0.5811669655891833,
                                  shape=(1, 3)),
                               _x(-2.035672600607953, inf, -1.7004092132230983),
                               _x(-2.9878427519141866, -inf, 2.9451730734552415)],
    normalized_shape=(3,), eps=1e-5)
known("multi_margin_loss", "nonfinite", "forward backward create_graph", "an infinite logit "
      "makes the loss NaN: the target's own hinge (x_t − x_t + margin = NaN at inf) is masked "
      "by multiplying with 0; torch skips it (0)")
pin("multi_margin_loss", "nonfinite", [_x(inf, 1.0, shape=(1, 2)), _c(0, dtype=np.int64), None],
    reduction="mean", p=1, margin=1.0)
known("nll_loss", "nonfinite", "forward backward create_graph", "an ignored row with an infinite "
      "log-probability makes the loss NaN: −input[r, t]·0 (masked by multiplying); torch 0")
pin("nll_loss", "nonfinite", [_x(inf, shape=(1, 1)), _c(0, dtype=np.int64), None],
    reduction="sum", ignore_index=0)
known("kl_div", "nonfinite", "forward second", "a NaN target is treated as 0 (the mask "
      "target > 0 is False): the loss 0 where torch's is NaN, a NaN swallowed")
pin("kl_div", "nonfinite", [_x(1.0), _x(nan)], reduction="sum", log_target=False)
known("binary_cross_entropy_with_logits", "nonfinite", "backward create_graph second",
      _WHERE_INF + "; here an infinite weight (and a NaN target gives a NaN second derivative "
      "in x, which does not depend on the target)")
pin("binary_cross_entropy_with_logits", "nonfinite", [_x(1.97), _x(0.5), _c(inf), None],
    reduction="mean")

# kinks (edge values)
known("elu", "edge", "second", "the second derivative at the kink x = 0 takes the negative "
      "branch (α), as minigrad's first derivative does; torch's double backward gives 0 there: "
      "document the convention or match")
pin("elu", "edge", [_x(0.0, -0.5)], alpha=0.5)
known("huber_loss", "edge", "second", "the second derivative at |x − y| = δ takes the quadratic "
      "branch (as the first derivative's ≤ does); torch's double backward takes the linear one "
      "(0): document or match")
pin("huber_loss", "edge", [_x(1.5), _x(0.5)], reduction="sum", delta=1.0)
known("softplus", "edge", "second", "the second derivative at β·x = threshold takes the smooth "
      "branch (as the first derivative does); torch's double backward gives 0 there: document "
      "or match")
pin("softplus", "edge", [_x(2.0)], beta=0.5, threshold=1.0)
known("binary_cross_entropy", "edge", "second", "the second derivative at p = 0 or 1 is NaN: "
      "the derivative of the clamped log is 0·(1/0) (masked by multiplying); the twin's is 0")
pin("binary_cross_entropy", "edge", [_x(0.0, 1.0), _x(0.5, 0.5), None], reduction="sum")
known("kl_div", "edge", "second", "at target = 0 the loss is 0·input, so d²/(dinput dtarget) "
      "is 0 where torch has −1 (from the −target·input term)")
pin("kl_div", "edge", [_x(2.0), _x(0.0)], reduction="sum", log_target=False)

# extreme and huge magnitudes
known("binary_cross_entropy", "extreme", "forward", "log(1 − p) is computed as such, not as "
      "log1p(−p): the loss −log(1 − p) ≈ p of a confident negative loses its digits (p = 1e−15, "
      "y = 0: 9.992e−16 where torch 1.0000e−15, shown here with weight 1e15; p = 1e−200: 0)")
pin("binary_cross_entropy", "extreme", [_x(1e-15), _x(0.0), _c(1e15)], reduction="none")
known("binary_cross_entropy", "huge", "forward second", "log(1 − p) without log1p (see the "
      "extreme kind: p = 1e−200 gives 0 for 1e−200), and with p = 1e−200 and weight 1e300 the "
      "second derivative is NaN or −inf where the twin's is finite")
pin("binary_cross_entropy", "huge", [_x(1e-200), _x(0.0), _c(1e200)], reduction="none")
known("pow", "huge", "second", "a ** b at a = 1.5, b = −1e200: the second derivative is NaN "
      "(torch 0)")
pin("pow", "huge", [_x(1.5), _x(-1e200)])
known("normalize info_nce", "huge", "forward backward create_graph second", "a deliberate "
      "difference, kept here because torch is no oracle for it: minigrad's L2Norm scales by "
      "max|x| before squaring, so normalize([1e300, 1]) is [1, 1e−300] (tested in "
      "test_edge_numbers.py); torch 2.13's norm overflows and gives [0, 0]")
pin("normalize", "huge", [_x(1e300, 1.0)], dim=0, eps=1e-12)
pin("info_nce", "huge", [_x(1e300, 1.0, shape=(2, 1)), _x(1.0, 2.0, shape=(2, 1))],
    temperature=1.0, reduction="mean")
known("batch_norm layer_norm", "huge", "forward backward create_graph second", "a deliberate "
      "difference, kept here because torch is no oracle for it: minigrad standardises values "
      "~1e200 exactly (ops/norm.py standardize scales c by max|c| before squaring; tested in "
      "test_edge_numbers.py), torch's variance overflows (layer_norm NaN, batch_norm 0)")
pin("batch_norm", "huge", [_x(1e200, -1e200, 1.0, shape=(3, 1)), None, None, None, None],
    training=True, momentum=0.1, eps=1e-5)
pin("layer_norm", "huge", [_x(1e200, -1e200, 1.0, shape=(1, 3)), None, None],
    normalized_shape=(3,), eps=1e-5)
known("binary_cross_entropy_with_logits", "huge", "backward create_graph second", _WHERE_INF + "; here "
      "weight 1e200 and pos_weight 1e300 overflow the upstream gradient (NaN where torch −inf)")
pin("binary_cross_entropy_with_logits", "huge", [_x(-1e-300, -1e200), _x(1e-300, 0.5),
                                                 _c(1e200, 0.75), _c(1e300, 1.5)],
    reduction="mean")
known("kl_div", "huge", "second", "d²/dtarget² = 1/t at t = 1e−300 comes out ±inf (torch 1e300)")
pin("kl_div", "huge", [_x(1.0), _x(1e-300)], reduction="sum", log_target=False)
known("kl_div", "extreme", "second", "log_target=True with a target ≥ 710: exp(t) = inf and the "
      "second derivative in the target is NaN where torch's is inf")
pin("kl_div", "extreme", [_x(-1e30, 1.5, -1e15, shape=(1, 3)), _x(1e30, 1e15, 1.5, shape=(1, 3))],
    reduction="mean", log_target=True)


