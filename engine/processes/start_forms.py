"""Which deployed processes staff can start, and the form of each start event (``camunda:formData``).

A process can be started by staff when its executable process has a plain start event (no message,
timer or signal). The built-in process comes first. Its start form is read from the BPMN file of the
latest version; the values it asks are validated like a task's and become the case's first variables.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from engine.bpmn.files import parse_model_xml
from engine.bpmn.tasks import FormSpec
from engine.cases.lifecycle import DEFAULT_PROCESS
from engine.kernel.context import EngineContext
from engine.processes.start_form_rules import start_form_of
from engine.store.tables import ProcessVersion


@dataclass(frozen=True)
class StartableProcess:
    key: str
    name: str
    form: FormSpec


def startable_processes(ctx: EngineContext) -> list[StartableProcess]:
    """The latest version of every process staff can start, the built-in one first."""
    with ctx.unit_of_work(writes=False) as session:
        newest = (
            select(ProcessVersion.key, func.max(ProcessVersion.version).label("version"))
            .group_by(ProcessVersion.key)
            .subquery()
        )
        rows = session.execute(
            select(ProcessVersion.key, ProcessVersion.name, ProcessVersion.bpmn_xml).join(
                newest,
                (ProcessVersion.key == newest.c.key) & (ProcessVersion.version == newest.c.version),
            )
        ).all()
    found = []
    for key, name, bpmn_xml in rows:
        form = start_form(bpmn_xml.encode("utf-8"))
        if form is not None:
            found.append(StartableProcess(key, name or key, form))
    return sorted(found, key=lambda process: (process.key != DEFAULT_PROCESS, process.name.lower()))


def start_form(bpmn_xml: bytes) -> FormSpec | None:
    """The form of the process's plain start event; None when staff cannot start it."""
    return start_form_of(parse_model_xml(bpmn_xml, "process.bpmn"))
