"""Unexpected failures in review and deploy: logged with a reference, refused like a model error, nothing stored."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

from engine.bpmn.files import ModelError, ModelProblem
from engine.kernel.errors import DomainError

log = logging.getLogger(__name__)


class InternalError(ModelError):
    """A review or deployment failed for a reason that is not the model's; the log holds the details."""

    def __init__(self, reference: str) -> None:
        self.reference = reference
        super().__init__(
            [
                ModelProblem(
                    None,
                    f"An unexpected error occurred (reference {reference}); nothing was stored. Please try "
                    "again later, and give the administrators this reference if it happens again.",
                    german=f"Ein unerwarteter Fehler ist aufgetreten (Referenz {reference}); es wurde nichts "
                    "gespeichert. Bitte versuchen Sie es später erneut und nennen Sie der Administration "
                    "diese Referenz, wenn es wieder geschieht.",
                )
            ]
        )


@contextmanager
def refused_when_unexpected(action: str) -> Iterator[None]:
    """Let model refusals and domain errors through; turn anything else into an ``InternalError``.

    Also a decorator. The unit of work inside has rolled back by the time this sees the error.
    """
    try:
        yield
    except (ModelError, DomainError):
        raise
    except Exception as error:
        reference = secrets.token_hex(4)
        log.exception("%s failed unexpectedly (reference %s)", action, reference)
        raise InternalError(reference) from error
