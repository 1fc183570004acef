"""The one error every custom resource's spec parser raises: where, what is wrong, the fix."""

from __future__ import annotations


class SpecError(ValueError):
    """A spec field that cannot be used: ``path`` (``spec.latitude``), the problem, the fix.

    The operator puts ``str(error)`` in the resource's ``Ready`` condition; the frontend
    logs it once and leaves the resource out.
    """

    def __init__(self, path: str, problem: str, fix: str) -> None:
        self.path = path
        self.problem = problem
        self.fix = fix
        super().__init__(f"{path}: {problem}; {fix}")
