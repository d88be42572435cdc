"""The errors of running a case: a model expression or script that failed, a task no longer waiting."""

from __future__ import annotations


class ExecutionError(Exception):
    """A model expression or script failed while a case was running."""

    def __init__(self, element_id: str | None, message: str) -> None:
        self.element_id = element_id
        super().__init__(f"[{element_id}] {message}" if element_id else message)


class TaskNotReady(Exception):
    """The task is not (or no longer) waiting for a person."""


def first_line(error: BaseException) -> str:
    """The first line of an error's message, or its class name when the message is empty."""
    return (str(error).strip().splitlines() or [error.__class__.__name__])[0]
