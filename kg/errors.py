"""Errors with stable exit codes (0 ok, 1 quality check failed, 2 bad input)."""
from __future__ import annotations


class KGError(Exception):
    """Base class; ``exit_code`` is what the CLI exits with."""

    exit_code = 2


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
