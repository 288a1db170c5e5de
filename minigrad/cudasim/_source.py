"""Reading a CUDA C source: its ``extern "C" __global__`` kernels, their parameters, and the
host C++ the simulator compiles from it.

A kernel's parameters decide how each launch argument is checked (``_kernel.py``), so they are
read from the preprocessed source (the kernels of csrc/cuda are stamped out by macros such as
``UNARY_ENTRY(relu_forward, float, f32)``): ``g++ -E`` expands the macros and leaves the CUDA
words (``__global__``, ...) as they are, since nothing defines them there.
"""
import re

import numpy as np

#: The numpy dtype of each C scalar type (LP64 Linux, as CUDA's device side: long is 64 bits).
C_DTYPES = {
    "bool": np.bool_,
    "char": np.int8, "signed char": np.int8, "unsigned char": np.uint8,
    "short": np.int16, "short int": np.int16, "unsigned short": np.uint16,
    "unsigned short int": np.uint16,
    "int": np.int32, "signed int": np.int32, "unsigned": np.uint32, "unsigned int": np.uint32,
    "long": np.int64, "long int": np.int64, "long long": np.int64, "long long int": np.int64,
    "unsigned long": np.uint64, "unsigned long int": np.uint64,
    "unsigned long long": np.uint64, "unsigned long long int": np.uint64,
    "int8_t": np.int8, "uint8_t": np.uint8, "int16_t": np.int16, "uint16_t": np.uint16,
    "int32_t": np.int32, "uint32_t": np.uint32, "int64_t": np.int64, "uint64_t": np.uint64,
    "size_t": np.uint64, "ptrdiff_t": np.int64,
    "float": np.float32, "double": np.float64,
}
C_DTYPES = {name: np.dtype(t) for name, t in C_DTYPES.items()}

_TYPE_WORDS = {"signed", "unsigned", "long", "short", "int", "char", "void", "const", "volatile"}
_QUALIFIERS = {"const", "volatile", "__restrict__", "__restrict", "restrict"}
_KERNEL = re.compile(
    r'extern\s+"C"\s+__global__\s+(?:__launch_bounds__\s*\([^)]*\)\s*)?void\s+'
    r'(?:__launch_bounds__\s*\([^)]*\)\s*)?(\w+)\s*\(([^)]*)\)\s*([;{])')
_DYNAMIC_SHARED = re.compile(
    r'extern\s+__shared__\s+(?:__align__\s*\(\s*\d+\s*\)\s*)?([\w\s:]+?)\s+(?:__align__\s*\(\s*'
    r'\d+\s*\)\s*)?(\w+)\s*\[\s*\]\s*;')


class Parameter:
    """One kernel parameter as written in the source: ``c_type`` ("const float*", "long long"),
    ``name``, and what the simulator makes of it: ``pointer`` (True for T*), ``dtype`` (the
    numpy dtype of T or of the scalar; None for void* and for types the simulator does not
    know), ``const`` (a pointer to const: the kernel only reads it)."""

    def __init__(self, text):
        self.text = " ".join(text.split())
        tokens = re.findall(r"\w+|\*|&", text)
        self.name = ""
        if len(tokens) >= 2 and re.fullmatch(r"\w+", tokens[-1]) and tokens[-1] not in \
                _TYPE_WORDS and tokens[-1] not in C_DTYPES:
            self.name = tokens.pop()
        self.stars = tokens.count("*")
        self.pointer = self.stars > 0
        base_tokens = [t for t in tokens if t not in _QUALIFIERS and t != "*"]
        stars_at = tokens.index("*") if "*" in tokens else len(tokens)
        self.const = "const" in tokens[:stars_at]
        self.base = " ".join(base_tokens)
        self.c_type = " ".join(t for t in tokens if t not in ("__restrict__", "__restrict",
                                                             "restrict"))
        self.c_type = self.c_type.replace(" *", "*")
        self.dtype = C_DTYPES.get(self.base)

    def __iter__(self):  # (c_type, name): kernel.parameters is a list of such pairs
        return iter((self.c_type, self.name))

    def __repr__(self):
        return f"Parameter({self.c_type!r}, {self.name!r})"


def split_parameters(text):
    """The comma-separated parameters of a declaration, split at top-level commas."""
    text = text.strip()
    if text in ("", "void"):
        return []
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch in "<([":
            depth += 1
        elif ch in ">)]":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [Parameter(p) for p in parts]


def find_kernels(preprocessed):
    """{name: [Parameter, ...]} of every ``extern "C" __global__ void name(...)`` in the
    preprocessed source, in source order."""
    kernels = {}
    for match in _KERNEL.finditer(preprocessed):
        name, params = match.group(1), match.group(2)
        kernels.setdefault(name, split_parameters(params))
    return kernels


def rewrite(code):
    """The source as host C++, line for line (so compiler messages and gdb name the .cu's own
    lines): ``extern __shared__ T name[];`` becomes a pointer to the simulator's dynamic shared
    memory, as every such array of a CUDA kernel starts at the same address."""
    return _DYNAMIC_SHARED.sub(
        lambda m: (f"{m.group(1)}* const {m.group(2)} = "
                   f"reinterpret_cast<{m.group(1)}*>(::mg_sim::dynamic_shared);"), code)


def entry_points(kernels):
    """C++ appended to the source: one ``mg_sim_entry_<kernel>(void** args)`` per kernel that
    calls the kernel with the arguments args[i] point at (types from the kernel's own
    signature, so nothing here restates them)."""
    lines = ["", "// ---- added by minigrad.cudasim: one entry point per kernel ----"]
    for name in kernels:
        lines.append(f'extern "C" __attribute__((visibility("default"))) void '
                     f"mg_sim_entry_{name}(void** args) {{ ::mg_sim::call(&{name}, args); }}")
    return "\n".join(lines) + "\n"
