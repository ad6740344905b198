"""Errors with stable exit codes.

0 ok, 1 a quality check failed, 2 bad input (a file, option or query the tool cannot use),
3 an installation problem (a missing optional dependency), 4 an internal error (a bug: please
report it, with the traceback the CLI prints).
"""
from __future__ import annotations

import importlib


class KGError(Exception):
    """Base class; ``exit_code`` is what the CLI exits with."""

    exit_code = 2

    def __reduce__(self):
        # pickled (back from a worker process) as its state: each subclass's __init__ takes
        # other arguments than the message that Exception would call it with
        return _rebuilt_error, (type(self), self.args, self.__dict__)


def _rebuilt_error(kind: type, args: tuple, state: dict) -> KGError:
    error = kind.__new__(kind)
    error.args = args
    error.__dict__.update(state)
    return error


class InputError(KGError):
    """A file or option the tool cannot use. Message: one line naming the file and the problem."""

    exit_code = 2

    def __init__(self, path, problem: str):
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


class QualityError(KGError):
    """A check ran and failed (SHACL violations, evaluation below threshold)."""

    exit_code = 1


class MissingDependency(KGError):
    """An optional package is not installed: an installation problem, not bad input."""

    exit_code = 3

    def __init__(self, needed_for: str, package: str, module: str | None = None):
        self.needed_for = needed_for
        self.package = package
        self.module = module or package
        super().__init__(f"{needed_for} needs the Python package {package!r}, which is not installed: "
                         f"pip install {package}")


def require(module: str, package: str | None = None, needed_for: str = "this step"):
    """Import ``module`` or raise MissingDependency saying what to install."""
    try:
        return importlib.import_module(module)
    except ImportError as err:
        raise MissingDependency(needed_for, package or module, module) from err


class InternalError(KGError):
    """Wraps an unexpected exception (a bug): the CLI says "internal error, please report"."""

    exit_code = 4
