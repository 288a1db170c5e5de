"""Builds every csrc/cpu/*.pyx into minigrad._C.<name> (OpenMP, float32/float64 via fused types),
and compiles the engine's hot-path modules (minigrad/_compiled.py's MODULES) from their own .py
files with Cython, each into a module beside its .py (the .py stays the source; see _compiled.py).

The CUDA sources in csrc/cuda/*.cu are compiled at run time by CuPy (cupy.RawModule); they are
copied into the package as data so an installed (non-editable) minigrad finds them too.
"""
import ast
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
    kernels = cythonize(exts, language_level=3, compiler_directives={
        "boundscheck": False, "wraparound": False, "cdivision": True,
        "initializedcheck": False, "embedsignature": True,
    })
    return kernels + _compiled_python_modules()


def _compiled_python_modules():
    """The engine's .py modules, compiled as the Python they are: Cython's defaults (Python's
    semantics: negative indices, bounds and division as in the interpreter), binding functions
    (``inspect.signature``, pickling by name and tracebacks keep working), the C files under
    build/ so that nothing but the module lands beside the .py."""
    with open(os.path.join(HERE, "minigrad", "_compiled.py")) as f:
        tree = ast.parse(f.read())
    modules = next(ast.literal_eval(node.value) for node in tree.body
                   if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "MODULES")
    exts = [Extension(name, [name.replace(".", "/") + ".py"]) for name in modules]
    return cythonize(exts, language_level=3, build_dir=os.path.join("build", "cython"),
                     compiler_directives={"binding": True, "annotation_typing": False})


_copy_cuda_sources()
setup(ext_modules=_extensions())
