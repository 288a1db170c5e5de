"""Torch programs run unchanged on minigrad: only their import lines differ.

Every examples/torch_ports/NN_*.py is an ordinary torch program (course idioms, written
here). Each test runs one of them twice in a subprocess: as written, under torch, and with
its import lines rewritten to minigrad's (``import torch`` -> ``import minigrad as torch``,
``import torch.nn as nn`` -> ``import minigrad.nn as nn``, ``from torch.utils.data import
...`` -> ``from minigrad.utils.data import ...``; no other line changes, which
``test_rewrite_changes_import_lines_only`` asserts). Both runs write their results (losses
per step, weights' norms, accuracy, a few gradients) as JSON to $TORCH_PORT_OUT, and the
two files are compared key by key.

Random numbers differ between the frameworks, so the programs draw data, initial weights
and batch orders with seeded numpy; what is left to differ is round-off. The tolerances
(TOLERANCE below, the reasoning beside each program) were sized so: float32 carries
2^-24 ~ 6e-8 relative error per operation; a loss summed over thousands of terms, or a
matmul of length k, carries ~1e-7 * sqrt(k) to 1e-6; every training step feeds the
previous step's error back, and these small, well-conditioned runs amplify it slowly (an
initial weight perturbation of 1e-7 grew, under torch itself, to at most 3e-6 in any
result), so float32 programs are compared at 1e-4 relative (1e-5 absolute for values near
zero) unless said otherwise; float64 programs at 1e-9 relative, or tighter. Integers,
booleans and strings (counts, shapes, key names, generated text) must be equal, and of the
same type, except the counts listed in COUNT_SLACK: a prediction within round-off of a tie
may flip, so test-set counts of correct answers may differ by one.
"""
import glob
import json
import math
import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PORTS_DIR = os.path.join(ROOT, "examples", "torch_ports")
PORTS = sorted(glob.glob(os.path.join(PORTS_DIR, "[0-9][0-9]_*.py")))
TIMEOUT_S = 120

# ---- the rewrite: import lines only ---------------------------------------------------------
_IMPORT_LINE = re.compile(r"^\s*(import\s+torch\b|from\s+torch\b)")
_REWRITES = [
    (re.compile(r"^import torch$"), "import minigrad as torch"),
    (re.compile(r"^import torch\.([\w.]+) as (\w+)$"), r"import minigrad.\1 as \2"),
    (re.compile(r"^from torch import (.+)$"), r"from minigrad import \1"),
    (re.compile(r"^from torch\.([\w.]+) import (.+)$"), r"from minigrad.\1 import \2"),
]


def to_minigrad(source):
    """The program with its torch import lines replaced by minigrad's, every other line kept.

    Only top-level imports of the four forms in _REWRITES are handled; any other import of
    torch (``import torch.nn`` without ``as``, an indented import) is refused, since
    rewriting it would need more than the import line.
    """
    lines = source.split("\n")
    out = []
    for number, line in enumerate(lines, 1):
        if not _IMPORT_LINE.match(line):
            out.append(line)
            continue
        for pattern, replacement in _REWRITES:
            if pattern.match(line):
                out.append(pattern.sub(replacement, line))
                break
        else:
            raise ValueError(f"line {number}: cannot rewrite this torch import: {line!r}")
    return "\n".join(out)


# ---- what each program may differ by ------------------------------------------------------
# (rtol, atol) for the floats of each program, and why. "grew to" is the largest relative
# change of the program's results under torch itself when its initial weights were perturbed
# by 1e-7 (relative): how much these training runs amplify a round-off-sized difference.
# The float32 tolerances leave 30-100x room above that.
TOLERANCE = {
    # 600 steps of full-batch GD on a convex quadratic (contracting); the loss sums 2000
    # float32 squares, so it carries ~1e-6 relative.
    "01_polynomial_raw_autograd": (2e-5, 1e-6),
    # float64 throughout (gradcheck needs it); the fitted a and c are 0 by symmetry and come
    # out as ~1e-17 residues, hence the atol.
    "02_custom_function_gradcheck": (1e-9, 1e-12),
    # 66 SGD-momentum steps of a CNN in float32 (grew to 1.2e-6); biases near 0 need the atol.
    "03_digits_cnn_dataloader": (1e-4, 1e-5),
    # 45 Adam steps of a VAE in float32 (grew to 1.6e-6); Adam's m / sqrt(v) magnifies the
    # error of gradients near zero; the BCE sums 128 x 64 terms.
    "04_vae_digits": (1e-4, 1e-5),
    # 60 Adam steps of an MLP (grew to 1.4e-7); resumed-vs-straight must be 0.0 in both.
    "05_checkpoint_save_resume": (1e-4, 1e-5),
    # 40 AdamW steps of a 2-layer GPT in float32 (grew to 2.7e-6).
    "06_gpt_block_chars": (1e-4, 1e-5),
    # 126 clipped Adam steps (grew to 7e-7); StepLR's learning rates are exact.
    "07_mlp_classifier_scheduler": (1e-4, 1e-5),
    # 600 SGD steps of a linear model on bounded features (stable); the loss is a residual
    # of targets ~10 and falls to ~1e-3, so its error is absolute (~2e-6), hence the atol.
    "08_regression_smooth_l1": (1e-4, 1e-5),
    # float64 scalar arithmetic, a handful of operations: a few ulps.
    "09_micrograd_scalar_check": (1e-12, 1e-12),
    # 30 SGD-momentum steps of a BatchNorm CNN in float32 (grew to 2.4e-6).
    "10_cnn_batchnorm_dropout": (1e-4, 1e-5),
    # tensor basics: single float32 operations, exact or one rounding.
    "11_tensor_basics_blitz": (1e-6, 1e-7),
    # 236 one-example SGD steps (n-gram) + 200 (bag of words) in float32 (grew to 2.2e-7).
    "12_ngram_language_model": (1e-4, 1e-5),
    # 47 + 40 SGD-momentum steps at rising learning rates (grew to 4.3e-7).
    "13_moduledict_lr_finder": (1e-4, 1e-5),
    # float64 throughout (set_default_dtype); 150 steps of convex logistic regression; the
    # final gradient is ~1e-5, a difference of large terms, hence the atol.
    "14_logistic_regression_float64": (1e-9, 1e-11),
}
# integer results that may differ by one: correct-answer counts on a test set
COUNT_SLACK = {"correct", "correct_max"}

# ---- programs that do not run unchanged yet ---------------------------------------------------
# program name -> what stops it (the first error and every other missing piece), marked as a
# strict xfail: once it passes, the test fails until the entry goes. Every program runs today.
XFAIL = {
}


def _name(path):
    return os.path.splitext(os.path.basename(path))[0]


def _marks(path):
    reason = XFAIL.get(_name(path))
    return [pytest.mark.xfail(strict=True, reason=reason)] if reason else []


def _run(script, tmp_path, tag):
    out = tmp_path / f"{tag}.json"
    # one thread: torch's results do not depend on the machine's thread count, and the two
    # runs do not fight over CI's two cores; PYTHONPATH: the minigrad of this checkout
    env = dict(os.environ, TORCH_PORT_OUT=str(out), PYTHONUNBUFFERED="1", PYTHONHASHSEED="0",
               PYTHONPATH=ROOT, MPLBACKEND="Agg", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    r = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                       timeout=TIMEOUT_S, cwd=tmp_path, env=env)
    assert r.returncode == 0, f"{tag} run failed:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    assert out.exists(), f"{tag} run wrote no {out.name}:\n{r.stdout[-3000:]}"
    with open(out) as f:
        return json.load(f)


def _compare(expected, got, where, rtol, atol, problems):
    """Append to ``problems`` every place where ``got`` (minigrad) differs from ``expected``."""
    if isinstance(expected, dict):
        if not isinstance(got, dict) or sorted(expected) != sorted(got):
            problems.append(f"{where}: keys {sorted(got) if isinstance(got, dict) else got!r}"
                            f" != torch's {sorted(expected)}")
            return
        for key in expected:
            _compare(expected[key], got[key], f"{where}.{key}", rtol, atol, problems)
    elif isinstance(expected, list):
        if not isinstance(got, list) or len(got) != len(expected):
            problems.append(f"{where}: {got!r} is not a list of length {len(expected)}")
            return
        for i, (e, g) in enumerate(zip(expected, got)):
            _compare(e, g, f"{where}[{i}]", rtol, atol, problems)
    elif isinstance(expected, float) and type(got) is float:
        if math.isnan(expected) or math.isinf(expected):
            ok = (math.isnan(expected) and math.isnan(got)) or expected == got
        else:
            ok = abs(got - expected) <= atol + rtol * abs(expected)
        if not ok:
            problems.append(f"{where}: {got!r} vs torch {expected!r} "
                            f"(|diff| {abs(got - expected):.3g} > {atol} + {rtol}*|torch|)")
    elif type(expected) is not type(got):
        problems.append(f"{where}: {got!r} ({type(got).__name__}) vs torch {expected!r} "
                        f"({type(expected).__name__})")
    elif isinstance(expected, int) and not isinstance(expected, bool) \
            and where.rsplit(".", 1)[-1] in COUNT_SLACK:
        if abs(got - expected) > 1:
            problems.append(f"{where}: {got} vs torch {expected} (differs by more than one)")
    elif got != expected:
        problems.append(f"{where}: {got!r} vs torch {expected!r}")


# ---- the tests ------------------------------------------------------------------------------
def test_every_port_has_a_tolerance_and_there_are_enough():
    names = [_name(p) for p in PORTS]
    assert len(names) >= 12, names
    assert sorted(TOLERANCE) == names, "each program needs a justified tolerance"
    assert set(XFAIL) <= set(names)


def test_rewrite_maps_each_import_form_and_refuses_the_others():
    source = ("import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n"
              "from torch import nn, optim\nfrom torch.utils.data import DataLoader\n"
              "from torch.autograd import Function, gradcheck\nimport torchvision_like\n"
              "x = 'import torch'\n")
    assert to_minigrad(source).split("\n") == [
        "import minigrad as torch", "import minigrad.nn as nn",
        "import minigrad.nn.functional as F", "from minigrad import nn, optim",
        "from minigrad.utils.data import DataLoader",
        "from minigrad.autograd import Function, gradcheck", "import torchvision_like",
        "x = 'import torch'", ""]
    for unrewritable in ("import torch.nn\n", "def f():\n    import torch\n",
                         "import torch, numpy\n"):
        with pytest.raises(ValueError, match="cannot rewrite"):
            to_minigrad(unrewritable)


def test_compare_reports_every_difference_and_only_those():
    torch_side = {"loss": [1.0, 2.0, 0.0], "n": 3, "correct": 10, "name": "a", "ok": True,
                  "nan": float("nan"), "nested": {"k": [1, 2]}}
    same = json.loads(json.dumps(torch_side))
    same["loss"] = [1.00005, 2.0, 5e-6]          # within rtol 1e-4 / atol 1e-5
    same["correct"] = 11                        # a count within one
    problems = []
    _compare(torch_side, same, "p", 1e-4, 1e-5, problems)
    assert problems == []
    other = dict(same, loss=[1.001, 2.0], n=3.0, correct=12, ok=1, nested={"k": [1, 3]})
    _compare(torch_side, other, "p", 1e-4, 1e-5, problems)
    assert len(problems) == 5, problems
    assert any("p.loss" in p and "length 3" in p for p in problems)
    assert any("p.n:" in p and "float" in p for p in problems)        # 3.0 is not torch's 3
    assert any("p.correct" in p for p in problems)
    assert any("p.ok" in p for p in problems)                         # 1 is not True
    assert any("p.nested.k[1]" in p for p in problems)
    problems = []
    _compare({"a": 1.0}, {"a": 1.0, "b": 2.0}, "p", 1e-4, 1e-5, problems)
    assert len(problems) == 1 and "keys" in problems[0]


@pytest.mark.parametrize("path", PORTS, ids=[_name(p) for p in PORTS])
def test_rewrite_changes_import_lines_only(path):
    with open(path) as f:
        source = f.read()
    rewritten = to_minigrad(source)
    before, after = source.split("\n"), rewritten.split("\n")
    assert len(before) == len(after)
    changed = [(a, b) for a, b in zip(before, after) if a != b]
    assert changed, "the program imports no torch"
    for original, new in changed:
        assert _IMPORT_LINE.match(original) and not original[0].isspace(), original
        assert "minigrad" in new and new.split()[0] in ("import", "from"), new
    assert "torch" not in "".join(a for a in after if a.startswith(("import", "from"))
                                  ).replace("as torch", "")


@pytest.mark.parametrize("path", [pytest.param(p, id=_name(p), marks=_marks(p)) for p in PORTS])
def test_torch_program_runs_unchanged_on_minigrad(path, tmp_path):
    pytest.importorskip("torch", reason="torch is the oracle these programs are compared with")
    with open(path) as f:
        source = f.read()
    if "sklearn" in source:
        pytest.importorskip("sklearn", reason="the program trains on scikit-learn's digits")
    ported = tmp_path / os.path.basename(path)
    ported.write_text(to_minigrad(source))
    got = _run(ported, tmp_path, "minigrad")      # first: while it fails, torch need not run
    expected = _run(path, tmp_path, "torch")
    rtol, atol = TOLERANCE[_name(path)]
    problems = []
    _compare(expected, got, _name(path), rtol, atol, problems)
    assert not problems, f"{len(problems)} differences from torch:\n" + "\n".join(problems[:30])
