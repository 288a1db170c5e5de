"""Every csrc/cuda/*.cu compiles to PTX with nvcc and exports <kernel>_f32 / <kernel>_f64 for
every kernel of the contract: catches a broken or missing CUDA kernel on a machine without a GPU.
"""
import glob
import os
import re
import shutil
import subprocess

import pytest

from minigrad.backend import reference

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOURCES = sorted(glob.glob(os.path.join(ROOT, "csrc", "cuda", "*.cu")))
NVCC = shutil.which("nvcc")

pytestmark = pytest.mark.skipif(NVCC is None, reason="nvcc is not on PATH")


def _arch():
    """sm_70 (the oldest GPU CuPy 13 targets) when this nvcc still has it; CUDA 13 dropped it,
    so otherwise the oldest architecture it lists."""
    try:
        listed = subprocess.run([NVCC, "--list-gpu-arch"], capture_output=True, text=True,
                                timeout=60).stdout.split()
    except (OSError, subprocess.SubprocessError):
        listed = []
    numbers = sorted(int(a.split("_")[1]) for a in listed if re.fullmatch(r"compute_\d+", a))
    if not numbers or 70 in numbers:
        return "sm_70"
    return f"sm_{numbers[0]}"


@pytest.fixture(scope="module")
def ptx_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("ptx")


def test_sources_exist():
    assert SOURCES, "no csrc/cuda/*.cu found"


@pytest.mark.parametrize("src", SOURCES, ids=os.path.basename)
def test_compiles_to_ptx(src, ptx_dir):
    ptx = ptx_dir / (os.path.splitext(os.path.basename(src))[0] + ".ptx")
    cmd = [NVCC, "-ptx", f"-arch={_arch()}", src, "-o", str(ptx)]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"{' '.join(cmd)} failed:\n{result.stderr}"
    assert ptx.exists()


def test_every_kernel_has_both_dtypes(ptx_dir):
    for src in SOURCES:  # compile what the parametrised test has not (e.g. when run with -k)
        ptx = ptx_dir / (os.path.splitext(os.path.basename(src))[0] + ".ptx")
        if not ptx.exists():
            subprocess.run([NVCC, "-ptx", f"-arch={_arch()}", src, "-o", str(ptx)],
                           check=True, capture_output=True, timeout=300)
    entries = set()
    for ptx in ptx_dir.glob("*.ptx"):
        entries |= set(re.findall(r"^\.visible \.entry (\w+)\(", ptx.read_text(), re.M))
    missing = [f"{k}_{s}" for k in reference.KERNELS for s in ("f32", "f64")
               if f"{k}_{s}" not in entries]
    assert not missing, f"CUDA entry points missing: {missing}"
