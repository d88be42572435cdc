"""The errors of running a case: a model expression or script that failed, a task no longer waiting."""

from __future__ import annotations

from typing import Literal

from engine.sandbox.errors import ModelCodeBreach

FailureKind = Literal["time", "memory", "error"]


class ExecutionError(Exception):
    """A model expression or script failed while a case was running.

    ``kind`` says why: ``time`` or ``memory`` when the sandbox stopped it at its bound, ``error``
    otherwise. ``detail`` is a short English description without case content (the breach's sentence,
    or the error's class name: an error message may quote the values of process variables).
    """

    def __init__(
        self, element_id: str | None, message: str, kind: FailureKind = "error", detail: str = ""
    ) -> None:
        self.element_id = element_id
        self.kind: FailureKind = kind
        self.detail = detail or "model error"
        super().__init__(f"[{element_id}] {message}" if element_id else message)


class TaskNotReady(Exception):
    """The task is not (or no longer) waiting for a person."""


def first_line(error: BaseException) -> str:
    """The first line of an error's message, or its class name when the message is empty."""
    return (str(error).strip().splitlines() or [error.__class__.__name__])[0]


def breach_in(error: BaseException) -> ModelCodeBreach | None:
    """The sandbox's breach behind an error (SpiffWorkflow wraps it), if there is one."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, ModelCodeBreach):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def execution_error(element_id: str | None, error: BaseException) -> ExecutionError:
    """An ExecutionError for whatever model code raised, with its kind and a detail free of case content."""
    breach = breach_in(error)
    if breach is not None:
        return ExecutionError(element_id, breach.english, breach.bound, breach.english[:300])
    cause: BaseException = error
    while cause.__cause__ is not None or cause.__context__ is not None:
        cause = cause.__cause__ or cause.__context__  # type: ignore[assignment]
    named = cause.__class__.__name__ if cause is not error else error.__class__.__name__
    return ExecutionError(element_id, first_line(error), "error", f"model error ({named})"[:300])
