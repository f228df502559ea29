"""Errors the engine raises, and the Problem record that BPMN validation returns.

Everything the library (SpiffWorkflow, lxml) can raise is turned into one of these where the engine calls it,
so callers handle one small family of exceptions and never show a raw traceback to a user.
"""
from dataclasses import dataclass


class EngineError(Exception):
    """Base error of the engine. `element_id` is the BPMN id of the element at fault, when known."""

    def __init__(self, message, element_id=None):
        super().__init__(message)
        self.message = message
        self.element_id = element_id


class TaskNotReady(EngineError):
    """The task does not exist in this instance, or is not waiting for a person (already done, cancelled, ...)."""


@dataclass(frozen=True)
class Problem:
    """One finding of BPMN validation. `line` is the line in the uploaded file, when known."""

    line: int | None
    element_id: str | None
    message: str

    def format(self, filename="<upload>"):
        return f"{filename}:{self.line if self.line is not None else '-'}: {self.element_id or '-'}: {self.message}"


class BpmnInvalid(EngineError):
    """Raised by compile_bpmn; `.problems` lists every problem found, not only the first."""

    def __init__(self, problems):
        self.problems = list(problems)
        first = self.problems[0] if self.problems else None
        if first is None:
            message = "the BPMN file is invalid"
        elif len(self.problems) == 1:
            message = f"the BPMN file is invalid: {first.message}"
        else:
            message = f"the BPMN file has {len(self.problems)} problems; first: {first.message}"
        super().__init__(message, first.element_id if first else None)
