"""Compiling a CUDA C source into a shared library of the simulator, once: the library is
cached on disk under a hash of everything that decides its contents.

Cache directory: ``$MINIGRAD_CUDA_SIM_CACHE``, else ``$XDG_CACHE_HOME/minigrad/cudasim``, else
``~/.cache/minigrad/cudasim``. Each entry ``<hash>/`` holds the source as compiled
(``<name>``: the kernel file plus the entry points, the file gdb shows) and ``kernels.so``.

Compiler: ``$CXX`` or g++. Flags: ``-O1 -g`` unless ``$MINIGRAD_CUDA_SIM_CFLAGS`` replaces them
(``-O0 -g3`` to step through a kernel in gdb); ``$MINIGRAD_CUDA_SIM_ASAN=1`` adds
AddressSanitizer (then Python must start with libasan preloaded, see ``asan_preload``).
"""
import hashlib
import json
import os
import shlex
import subprocess
import tempfile

from . import _source

HEADER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "cuda_sim.h")


class CompileError(RuntimeError):
    """g++ rejected the source (the message holds its output)."""


def cache_dir():
    explicit = os.environ.get("MINIGRAD_CUDA_SIM_CACHE")
    if explicit:
        return explicit
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "minigrad", "cudasim")


def compiler():
    return os.environ.get("CXX") or "g++"


def asan_enabled():
    return os.environ.get("MINIGRAD_CUDA_SIM_ASAN", "") not in ("", "0")


def compile_flags():
    flags = shlex.split(os.environ.get("MINIGRAD_CUDA_SIM_CFLAGS", "-O1 -g"))
    if asan_enabled():
        flags += ["-fsanitize=address", "-fno-omit-frame-pointer"]
    return flags


def asan_preload():
    """The libasan the compiler links against: LD_PRELOAD it to load an ASan build."""
    out = subprocess.run([compiler(), "-print-file-name=libasan.so"], capture_output=True,
                         text=True)
    return out.stdout.strip()


def kept_options(options):
    """The NVRTC options that mean the same to g++ (-D, -U, -I); the rest (-arch, -std, fast
    math, ...) are about the GPU build and are dropped."""
    kept, it = [], iter(options)
    for opt in it:
        if opt in ("-D", "-U", "-I", "--define-macro", "--undefine-macro", "--include-path"):
            short = {"--define-macro": "-D", "--undefine-macro": "-U", "--include-path": "-I"}
            kept += [short.get(opt, opt), next(it, "")]
        elif opt.startswith(("-D", "-U", "-I")):
            kept.append(opt)
        elif opt.startswith(("--define-macro=", "--undefine-macro=", "--include-path=")):
            head, value = opt.split("=", 1)
            kept.append({"--define-macro": "-D", "--undefine-macro": "-U",
                         "--include-path": "-I"}[head] + value)
    return kept


def _run(cmd, what):
    try:
        result = subprocess.run(cmd, capture_output=True, text=True)
    except FileNotFoundError as exc:
        raise CompileError(f"the CUDA simulator needs a C++ compiler ({cmd[0]} not found; set "
                           f"CXX)") from exc
    if result.returncode != 0:
        raise CompileError(f"{what} failed:\n{' '.join(cmd)}\n{result.stderr}")
    return result.stdout


def preprocess(code, options, name):
    """The source with its macros expanded (the CUDA words left as they are)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, os.path.basename(name) or "kernel.cu")
        with open(path, "w", encoding="utf-8") as f:
            f.write(code)
        return _run([compiler(), "-E", "-P", "-x", "c++", *kept_options(options), path],
                    f"preprocessing {name}")


def build(code, options, name):
    """(path of kernels.so, {kernel: [Parameter]}), preprocessing and compiling only on a cache
    miss: the entry also keeps the kernels' parameter lists (kernels.json), so a hit needs no
    compiler at all."""
    with open(HEADER, encoding="utf-8") as f:
        header = f.read()
    # -fvisibility=hidden, -fno-gnu-unique: each library keeps its own simulator state
    flags = ["-std=gnu++17", "-shared", "-fPIC", "-w", "-fvisibility=hidden", "-fno-gnu-unique",
             *compile_flags(), *kept_options(options)]
    key = hashlib.sha256("\0".join([header, code, name, *flags]).encode()).hexdigest()
    entry = os.path.join(cache_dir(), key[:24])
    library, listing = os.path.join(entry, "kernels.so"), os.path.join(entry, "kernels.json")
    if os.path.exists(library) and os.path.exists(listing):
        with open(listing, encoding="utf-8") as f:
            return library, {k: [_source.Parameter(p) for p in params]
                             for k, params in json.load(f).items()}
    kernels = _source.find_kernels(preprocess(code, options, name))
    source = _source.rewrite(code) + _source.entry_points(kernels)
    os.makedirs(entry, exist_ok=True)
    src_path = os.path.join(entry, os.path.basename(name) or "kernel.cu")
    with open(src_path, "w", encoding="utf-8") as f:
        f.write(source)
    fd, tmp_library = tempfile.mkstemp(suffix=".so", dir=entry)
    os.close(fd)
    try:
        _run([compiler(), *flags, "-include", HEADER, "-x", "c++", src_path, "-o", tmp_library],
             f"compiling {name} for the CUDA simulator")
        _write_atomically(listing, json.dumps({k: [p.text for p in params]
                                               for k, params in kernels.items()}))
        os.replace(tmp_library, library)  # atomic: a parallel process sees all or nothing
    finally:
        if os.path.exists(tmp_library):
            os.remove(tmp_library)
    return library, kernels


def _write_atomically(path, text):
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path))
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)
