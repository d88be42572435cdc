"""Deploying process models: parse, check every expression under the sandbox, store a version by content."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.bpmn.analysis import model_code
from engine.bpmn.deadline_chains import at_declaring_tasks, expand_deadlines
from engine.bpmn.files import ModelError, ModelProblem, parse_model_xml
from engine.bpmn.forms import SUPPORTED_TYPES, is_reserved
from engine.bpmn.parsing import ProcessSpec, decision_table_problems, parse_process
from engine.kernel import audit
from engine.kernel.context import EngineContext
from engine.processes.camunda_habits import camunda_habits
from engine.processes.decision_habits import decision_habits
from engine.processes.internal_errors import refused_when_unexpected
from engine.processes.model_tests import test_problems
from engine.processes.references import broken_references, unknown_decisions
from engine.processes.rules import lint
from engine.processes.start_form_rules import start_form_problems
from engine.processes.supported_elements import unsupported_elements
from engine.sandbox.restricted import SandboxViolation
from engine.store.tables import Case, ProcessVersion, Staff


@dataclass(frozen=True)
class Deployment:
    version_id: int
    key: str
    version: int
    created: bool  # False when identical content was already deployed
    warnings: tuple[ModelProblem, ...] = ()  # what the review found that does not stop a deployment


def content_hash(bpmn_xml: bytes, dmn_xmls: Mapping[str, bytes]) -> str:
    digest = hashlib.sha256(bpmn_xml)
    for name in sorted(dmn_xmls):
        digest.update(b"\x00" + name.encode() + b"\x00" + dmn_xmls[name])
    return digest.hexdigest()


def open_cases_by_version(session: Session) -> dict[int, int]:
    """How many open cases run on each deployed version (versions without any are left out)."""
    return dict(
        session.execute(
            select(Case.process_version_id, func.count())
            .where(Case.status == "open")
            .group_by(Case.process_version_id)
        ).all()
    )


def latest_version(session: Session, key: str) -> ProcessVersion | None:
    return session.scalar(
        select(ProcessVersion)
        .where(ProcessVersion.key == key)
        .order_by(ProcessVersion.version.desc())
        .limit(1)
    )


def examine(
    ctx: EngineContext,
    bpmn_xml: bytes,
    dmn_xmls: Mapping[str, bytes],
    now: datetime,
    bpmn_name: str = "process.bpmn",
) -> tuple[ProcessSpec | None, list[ModelProblem]]:
    """Read, parse and check a model: the process (None when it cannot be parsed) and every problem found.

    Element kinds Lotse cannot run and broken references are read from the file before SpiffWorkflow
    parses it (its parser and serializer fail on some of them, or report something else); when it
    cannot parse the model at all, those are the problems shown. Camunda habits (JUEL, cron, FEEL) are
    refused with what to write instead; what the parser or the sandbox says about the same elements is
    left out. File-level messages name ``bpmn_name``, the file as uploaded.
    """
    try:
        declared = parse_model_xml(bpmn_xml, bpmn_name)
        root = expand_deadlines(declared, bpmn_name)  # checked as it runs: with the declared chains
        dmn_roots = {name: parse_model_xml(xml, name) for name, xml in dmn_xmls.items()}
    except ModelError as refused:
        return None, list(refused.problems)
    habits = camunda_habits(root)
    decisions = decision_habits(dmn_roots, root)
    covered = habits.covered | {problem.element_id for problem in decisions if problem.element_id}
    found = [
        *(problem for name, dmn in dmn_roots.items() for problem in decision_table_problems(dmn, name)),
        *unsupported_elements(root, bpmn_name),
        *broken_references(root),
        *unknown_decisions(root, list(dmn_roots.values())),
        *habits.problems,
        *decisions,
        *start_form_problems(root),
    ]
    try:
        process = parse_process(bpmn_xml, dmn_xmls, bpmn_name)
    except ModelError as refused:
        return None, found or list(refused.problems)
    named = {problem.element_id for problem in found}
    found.extend(
        problem
        for problem in check_process(ctx, process, now)
        if (problem.element_id or "").split(" / ")[0] not in covered
    )
    found.extend(problem for problem in _storage_problems(ctx, process) if problem.element_id not in named)
    if not blocking(found):  # the stored test cases run only on a model that could be deployed otherwise
        found.extend(test_problems(ctx, root, process, content_hash(bpmn_xml, dmn_xmls)))
    return process, at_declaring_tasks(found, declared)


def _storage_problems(ctx: EngineContext, process: ProcessSpec) -> list[ModelProblem]:
    """Elements the serializer cannot store for running cases (found by trying)."""
    return [
        ModelProblem(
            element,
            f"Lotse cannot store this element for running cases ({reason}): elements of this kind are "
            "not supported.",
            german=f"Dieses Element kann Lotse für laufende Fälle nicht speichern ({reason}): Elemente "
            "dieser Art werden nicht unterstützt.",
        )
        for element, reason in ctx.runtime.storage_failures(process)
    ]


def check_process(
    ctx: EngineContext, process: ProcessSpec, now: datetime | None = None
) -> list[ModelProblem]:
    """What the review finds: code the sandbox refuses, forms the engine cannot serve, the lint rules.

    Problems with severity ``error`` stop a deployment; warnings do not.
    """
    problems: list[ModelProblem] = []
    sandbox = ctx.runtime.script_engine.environment
    for code in model_code(process):
        try:
            sandbox.check(code.source, code.mode)
        except SandboxViolation as violation:
            problems.append(
                ModelProblem(
                    code.element_id,
                    f"{code.kind}: {violation}",
                    german=f"{code.kind}: Die Sandbox lehnt diesen Code ab: {'; '.join(violation.reasons)}",
                )
            )
    problems.extend(_task_problems(process))
    with ctx.unit_of_work(writes=False) as session:
        staff = frozenset(session.scalars(select(Staff.username).where(Staff.active.is_(True))).all())
    problems.extend(lint(process, sandbox, now or ctx.clock.now(), staff))
    return problems


def blocking(problems: list[ModelProblem]) -> list[ModelProblem]:
    return [problem for problem in problems if problem.severity == "error"]


def _task_problems(process: ProcessSpec) -> list[ModelProblem]:
    problems = []
    for name, task_spec in process.spec.task_specs.items():
        if not getattr(task_spec, "manual", False) or not hasattr(task_spec, "form"):
            continue
        groups = (task_spec.extensions or {}).get("camunda:candidateGroups") or task_spec.lane or ""
        if "," in groups:
            problems.append(
                ModelProblem(
                    name,
                    "Only one candidate group per user task is supported.",
                    german="Pro Benutzeraufgabe ist nur eine Kandidatengruppe möglich.",
                )
            )
        for field in process.form_for(task_spec).fields:
            if is_reserved(field.id or ""):
                problems.append(
                    ModelProblem(
                        name,
                        f"Form field id {field.id!r} is reserved.",
                        german=f"Die Feld-ID {field.id!r} ist reserviert.",
                    )
                )
            if field.type not in SUPPORTED_TYPES:
                problems.append(
                    ModelProblem(
                        name,
                        f"Form field {field.id!r} has unsupported type {field.type!r}.",
                        german=f"Das Feld {field.id!r} hat den nicht unterstützten Typ {field.type!r} "
                        "(möglich: string, long, boolean, date, enum).",
                    )
                )
    return problems


@refused_when_unexpected("Deploying a process model")
def deploy_process(
    ctx: EngineContext,
    actor: str,
    bpmn_xml: bytes,
    dmn_xmls: Mapping[str, bytes] | None = None,
    now: datetime | None = None,
    bpmn_name: str = "process.bpmn",
) -> Deployment:
    """Deploy a model as a new version; the content of the newest version again is a no-op, that of an older
    one becomes a new version (a rollback). Raises ModelError (``InternalError`` when the failure is not the
    model's), storing nothing."""
    now = now or ctx.clock.now()
    dmn_xmls = dict(dmn_xmls or {})
    sha = content_hash(bpmn_xml, dmn_xmls)
    with ctx.unit_of_work() as session:
        earlier = session.scalar(
            select(ProcessVersion)
            .where(ProcessVersion.sha256 == sha)
            .order_by(ProcessVersion.id.desc())
            .limit(1)
        )
        if earlier is not None:
            newest = latest_version(session, earlier.key)
            if newest is not None and newest.sha256 == sha:
                return Deployment(newest.id, newest.key, newest.version, created=False)
        process, found = examine(ctx, bpmn_xml, dmn_xmls, now, bpmn_name)
        if process is None or blocking(found):
            raise ModelError(blocking(found) or found)
        number = session.scalar(
            select(func.coalesce(func.max(ProcessVersion.version), 0)).where(
                ProcessVersion.key == process.process_id
            )
        )
        row = ProcessVersion(
            key=process.process_id,
            version=number + 1,
            name=process.name,
            sha256=sha,
            bpmn_xml=bpmn_xml.decode("utf-8"),
            dmn_xml=json.dumps({name: xml.decode("utf-8") for name, xml in dmn_xmls.items()}),
            spec_json=ctx.runtime.spec_to_json(process),
            deployed_at=now,
            deployed_by=actor,
        )
        session.add(row)
        session.flush()
        detail = f"{row.key} v{row.version}"
        if earlier is not None and earlier.key == row.key:
            detail += f" = v{earlier.version}"  # the content of an earlier version, deployed again
        audit.record(session, now, actor, "process_deployed", None, detail)
        session.commit()
        warnings = tuple(problem for problem in found if problem.severity != "error")
        return Deployment(row.id, row.key, row.version, created=True, warnings=warnings)
