"""Builds every csrc/cpu/*.pyx into minigrad._C.<name> (OpenMP, float32/float64 via fused types).

The CUDA sources in csrc/cuda/*.cu are compiled at run time by CuPy (cupy.RawModule); they are
copied into the package as data so an installed (non-editable) minigrad finds them too.
"""
import glob
import os
import shutil
import sys

import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, setup

HERE = os.path.dirname(os.path.abspath(__file__))


def _copy_cuda_sources():
    dest = os.path.join(HERE, "minigrad", "cuda_kernels")
    os.makedirs(dest, exist_ok=True)
    for src in glob.glob(os.path.join(HERE, "csrc", "cuda", "*.cu")):
        shutil.copy2(src, dest)


def _extensions():
    openmp = [] if sys.platform == "darwin" else ["-fopenmp"]
    # -O3 without -ffast-math: gradcheck and error_if_nonfinite rely on IEEE NaN/inf (PERF-NOTES).
    compile_args = ["-O3"] + openmp
    exts = []
    for pyx in sorted(glob.glob(os.path.join("csrc", "cpu", "*.pyx"))):
        name = os.path.splitext(os.path.basename(pyx))[0]
        exts.append(Extension(
            f"minigrad._C.{name}", [pyx],
            include_dirs=[np.get_include()],
            extra_compile_args=compile_args,
            extra_link_args=openmp + ["-lm"],
            define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
        ))
    return cythonize(exts, language_level=3, compiler_directives={
        "boundscheck": False, "wraparound": False, "cdivision": True,
        "initializedcheck": False, "embedsignature": True,
    })


_copy_cuda_sources()
setup(ext_modules=_extensions())
