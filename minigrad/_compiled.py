"""Which of minigrad's own .py modules run compiled, and the switch back to their source.

The path every operation pays — ``Function.apply`` (autograd/function.py), the backward loop
(autograd/engine.py), grad mode (autograd/grad_mode.py), the Tensor class and its operand
checks (tensor.py, _operands.py), the common ops (ops/elementwise.py, shape.py, linalg.py,
loss.py and their helper _elementwise_base.py), cross-entropy's wrapper
(nn/_loss_functions.py) and the optimizer step (optim/optimizer.py, sgd.py) — is compiled by
Cython from the very .py files you read
(Cython's "pure Python mode": no .pyx twin, no type annotations). ``setup.py build_ext
--inplace`` (``make build``) writes each as ``<name>.cpython-*.so`` beside its ``.py``, and
Python's import system prefers such an extension module to the ``.py`` of the same name.
Compiled, the code is the same Python; it runs without the interpreter's per-bytecode work
(a recorded ``a + b`` on 4 elements: about a fifth fewer instructions; the course MLP step
64-64-10: about 6% less time than with the engine modules alone). Classes stay Python
classes: a user's subclass of Tensor, Optimizer or SGD works as before.

The ``.py`` runs instead of the compiled module (``SOURCE_FIRST`` below decides, per import):

* ``MINIGRAD_PURE_PYTHON=1`` in the environment before minigrad is imported: to step through
  ``apply`` in a debugger, or to see the interpreted engine's speed;
* the ``.py`` is newer than its compiled module (you edited it and did not rebuild): the file
  you read is still the file that runs, and a warning says that it runs interpreted;
* nothing was compiled (a checkout without ``build_ext``).

``running()`` tells, per module, which one was imported. minigrad/__init__.py imports this
module first (and tensor.py imports it too), so the choice is made before any of the modules is
imported; the finder that makes it
is on ``sys.meta_path`` only while ``import minigrad`` runs (removed at the end of
minigrad/__init__.py: importing minigrad leaves the process's import system as it found it).
"""
import importlib.machinery
import importlib.util
import os
import sys
import warnings

#: The modules compiled from their .py by setup.py (which reads this tuple).
MODULES = ("minigrad.autograd.function", "minigrad.autograd.engine",
           "minigrad.autograd.grad_mode", "minigrad.ops._elementwise_base",
           "minigrad.tensor", "minigrad._operands", "minigrad.ops.elementwise",
           "minigrad.ops.shape", "minigrad.ops.linalg", "minigrad.ops.loss",
           "minigrad.nn._loss_functions", "minigrad.optim.sgd", "minigrad.optim.optimizer")

#: Seconds by which a .py may be newer than its compiled module and still count as compiled
#: with it: an installer writes the two files of a wheel one after the other.
INSTALL_SLACK_S = 2.0
#: True when MINIGRAD_PURE_PYTHON=1: every module of MODULES runs from its .py.
PURE_PYTHON = os.environ.get("MINIGRAD_PURE_PYTHON") == "1"


class SourceFirst:
    """An import finder that hands out a module of MODULES as its .py source (the interpreted
    module) when it must not run compiled; for everything else it answers None, and Python's
    own finders go on as usual (finding the compiled module where there is a current one)."""

    @staticmethod
    def find_spec(name, path=None, target=None):
        if name not in MODULES:
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or not isinstance(spec.loader, importlib.machinery.ExtensionFileLoader):
            return None  # no compiled module: the .py is found anyway
        source = os.path.join(os.path.dirname(spec.origin), name.rsplit(".", 1)[1] + ".py")
        if not os.path.exists(source):
            return None  # an installed wheel may ship the compiled module alone
        if not PURE_PYTHON:
            if os.path.getmtime(source) <= os.path.getmtime(spec.origin) + INSTALL_SLACK_S:
                return None  # the compiled module is current: Python's finder loads it
            warnings.warn(f"{source} changed since it was compiled: it runs interpreted (rebuild "
                          "with `make build` or `python setup.py build_ext --inplace`)",
                          RuntimeWarning, stacklevel=2)
        return importlib.util.spec_from_file_location(name, source)


def running():
    """{module name: "compiled" or "source"} for the modules of MODULES imported so far."""
    return {name: "compiled" if sys.modules[name].__file__.endswith((".so", ".pyd"))
            else "source" for name in MODULES if name in sys.modules}


def install():
    """Puts the finder first on ``sys.meta_path`` while minigrad imports itself (the first
    import of minigrad/__init__.py); minigrad/__init__.py calls ``remove()`` at its end, once every module of
    MODULES is imported, so the user's process keeps its import system as it was."""
    if not any(isinstance(f, SourceFirst) for f in sys.meta_path):
        sys.meta_path.insert(0, SourceFirst())


def remove():
    sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, SourceFirst)]


install()
