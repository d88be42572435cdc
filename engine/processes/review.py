"""Process owners change models: the list of versions, the files of a version, review before deploy, deploy.

A review parses the draft, runs every check (sandbox, lint rules) and compares it with the latest
deployed version of the same process; it stores nothing. Deploying is a separate step that checks
everything again and refuses when another version was deployed since the review.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.bpmn.diff import ModelDiff, diff_processes
from engine.bpmn.files import ModelError, ModelProblem, parse_model_xml
from engine.bpmn.parsing import BPMN_NS
from engine.kernel.actor import Actor
from engine.kernel.context import EngineContext
from engine.kernel.errors import DomainError, NotFound, NotPermitted
from engine.processes.deployment import (
    Deployment,
    blocking,
    content_hash,
    deploy_process,
    examine,
    latest_version,
    open_cases_by_version,
)
from engine.processes.internal_errors import InternalError, refused_when_unexpected
from engine.processes.model_tests import TEST_PREFIX, read_tests
from engine.processes.references import broken_references
from engine.processes.supported_elements import executable_processes
from engine.store.tables import ProcessVersion

PROCESS_OWNER = "prozessverantwortung"


@dataclass(frozen=True)
class ModelFiles:
    """A BPMN file with the DMN files it uses, as a deployment takes them."""

    bpmn: bytes
    dmn: dict[str, bytes] = field(default_factory=dict)
    bpmn_name: str = "process.bpmn"  # the file as uploaded, for messages about the file as a whole


@dataclass(frozen=True)
class VersionSummary:
    id: int
    version: int
    deployed_at: datetime
    deployed_by: str
    open_cases: int
    dmn_names: tuple[str, ...]


@dataclass(frozen=True)
class ProcessSummary:
    key: str
    name: str
    versions: tuple[VersionSummary, ...]  # newest first

    @property
    def latest(self) -> VersionSummary:
        return self.versions[0]


@dataclass(frozen=True)
class Review:
    key: str | None
    sha256: str
    problems: tuple[ModelProblem, ...]
    base_version: int | None  # the deployed version the draft was compared with
    diff: ModelDiff | None
    unchanged: bool  # exactly this content is the latest version: deploying would change nothing
    # this content is an older version: its hash is taken, so it cannot become a new version (yet)
    older_version: int | None = None
    tests: int = 0  # test cases stored with the draft (lotse:tests), run by the review

    @property
    def tests_failed(self) -> int:
        return sum(1 for problem in self.problems if problem.message.startswith(TEST_PREFIX))

    @property
    def errors(self) -> tuple[ModelProblem, ...]:
        return tuple(blocking(list(self.problems)))

    @property
    def warnings(self) -> tuple[ModelProblem, ...]:
        return tuple(problem for problem in self.problems if problem.severity != "error")

    @property
    def deployable(self) -> bool:
        return not self.errors and not self.unchanged and self.older_version is None


class DeployedMeanwhile(DomainError):
    code = "deployed_meanwhile"

    def __init__(self, key: str, version: int, by: str) -> None:
        super().__init__(
            f"Inzwischen hat {by} Version {version} von {key} bereitgestellt. "
            "Bitte prüfen Sie Ihren Entwurf erneut; er ist nicht verloren.",
            f"Meanwhile {by} deployed version {version} of {key}. "
            "Please review your draft again; it has not been lost.",
            key=key,
            version=version,
        )


class DraftChanged(DomainError):
    code = "draft_changed"

    def __init__(self) -> None:
        super().__init__(
            "Der Entwurf wurde nach der Prüfung geändert. Bitte prüfen Sie ihn erneut.",
            "The draft was changed after the review. Please review it again.",
        )


def _require_owner(actor: Actor) -> None:
    if PROCESS_OWNER not in actor.groups:
        raise NotPermitted("Prozessverantwortung")


def _dmn_files(row: ProcessVersion) -> dict[str, bytes]:
    return {name: xml.encode("utf-8") for name, xml in json.loads(row.dmn_xml or "{}").items()}


def process_overview(ctx: EngineContext, actor: Actor) -> list[ProcessSummary]:
    """Every process with its versions: who deployed when, how many open cases run on each."""
    _require_owner(actor)
    with ctx.unit_of_work(writes=False) as session:
        open_cases = open_cases_by_version(session)
        rows = session.execute(
            select(
                ProcessVersion.id,
                ProcessVersion.key,
                ProcessVersion.name,
                ProcessVersion.version,
                ProcessVersion.deployed_at,
                ProcessVersion.deployed_by,
                ProcessVersion.dmn_xml,
            ).order_by(ProcessVersion.key, ProcessVersion.version.desc())
        ).all()
    summaries: dict[str, ProcessSummary] = {}
    for row in rows:
        version = VersionSummary(
            row.id,
            row.version,
            row.deployed_at,
            row.deployed_by,
            open_cases.get(row.id, 0),
            tuple(sorted(json.loads(row.dmn_xml or "{}"))),
        )
        known = summaries.get(row.key)
        versions = (*known.versions, version) if known else (version,)
        summaries[row.key] = ProcessSummary(row.key, known.name if known else row.name, versions)
    return list(summaries.values())


def process_summary(
    ctx: EngineContext, actor: Actor, key: str, dmn_name: str | None = None
) -> ProcessSummary:
    """One process with its versions; NotFound when there is none (or, if ``dmn_name`` is given, when
    its latest version has no decision table of that name)."""
    found = next((summary for summary in process_overview(ctx, actor) if summary.key == key), None)
    if found is None:
        raise NotFound("Prozess/Process", key)
    if dmn_name is not None and dmn_name not in found.latest.dmn_names:
        raise NotFound("Entscheidungstabelle/Decision table", dmn_name)
    return found


def _version_row(session: Session, key: str, version: int | None) -> ProcessVersion:
    if version is None:
        row = latest_version(session, key)
    else:
        row = session.scalar(
            select(ProcessVersion).where(ProcessVersion.key == key, ProcessVersion.version == version)
        )
    if row is None:
        raise NotFound("Prozessversion/Process version", f"{key} v{version}" if version else key)
    return row


def version_files(ctx: EngineContext, actor: Actor, key: str, version: int | None = None) -> ModelFiles:
    """The files of a deployed version (the latest when ``version`` is None)."""
    _require_owner(actor)
    with ctx.unit_of_work(writes=False) as session:
        row = _version_row(session, key, version)
        return ModelFiles(row.bpmn_xml.encode("utf-8"), _dmn_files(row))


def version_file(ctx: EngineContext, actor: Actor, key: str, version: int, file_name: str) -> bytes:
    """One file of a deployed version: the BPMN as ``<key>.bpmn`` or a decision table by its name."""
    files = version_files(ctx, actor, key, version)
    if file_name == f"{key}.bpmn":
        return files.bpmn
    if file_name in files.dmn:
        return files.dmn[file_name]
    raise NotFound("Datei/File", file_name)


def process_key_of(bpmn: bytes, bpmn_name: str = "process.bpmn") -> str:
    """The id of the executable process in a BPMN file (refusing hostile or foreign XML)."""
    root = parse_model_xml(bpmn, bpmn_name)
    processes = [process.get("id") for process in executable_processes(root)]
    if not root.tag.startswith(f"{{{BPMN_NS}}}") or len(processes) != 1:
        raise ModelError(
            [
                ModelProblem(
                    None,
                    f"{bpmn_name}: expected a BPMN file with exactly one executable process, found "
                    f"{len(processes)}.",
                    german=f"{bpmn_name}: Erwartet wird eine BPMN-Datei mit genau einem ausführbaren "
                    f"Prozess, gefunden: {len(processes)}.",
                )
            ]
        )
    if not processes[0]:
        raise ModelError(broken_references(root))
    return processes[0]


def _decisions(dmn: bytes, file_name: str) -> set[str]:
    root = parse_model_xml(dmn, file_name)
    if root.tag.startswith(f"{{{BPMN_NS}}}"):
        raise ModelError(
            [
                ModelProblem(
                    None,
                    f"{file_name}: this is not a DMN model.",
                    german=f"{file_name}: Das ist kein DMN-Modell.",
                )
            ]
        )
    return {child.get("id") for child in root if child.get("id") and child.tag.endswith("}decision")}


def _require_utf8(file_name: str, data: bytes | None) -> None:
    try:
        (data or b"").decode("utf-8")
    except UnicodeDecodeError as error:
        raise ModelError(
            [
                ModelProblem(
                    None,
                    f"{file_name}: the file must be UTF-8 encoded.",
                    german=f"{file_name}: Die Datei muss UTF-8-kodiert sein.",
                )
            ]
        ) from error


@refused_when_unexpected("Preparing a draft for review")
def draft_files(
    ctx: EngineContext,
    key: str | None,
    bpmn: bytes | None = None,
    dmn: Mapping[str, bytes] | None = None,
    bpmn_name: str = "process.bpmn",
) -> tuple[str, ModelFiles]:
    """The files a deployment would take: the latest version's, with the given ones put in their place.

    A new BPMN names its process itself. A DMN file replaces the stored file that holds the same
    decisions (the Camunda Modeler may have saved it under another name), else it is added.
    """
    key = process_key_of(bpmn, bpmn_name) if bpmn is not None else key
    for name, data in [(bpmn_name, bpmn), *(dmn or {}).items()]:
        _require_utf8(name, data)
    if not key:
        raise ModelError(
            [
                ModelProblem(
                    None,
                    "Choose the process the decision table belongs to.",
                    german="Bitte wählen Sie den Prozess, zu dem die Entscheidungstabelle gehört.",
                )
            ]
        )
    with ctx.unit_of_work(writes=False) as session:
        row = latest_version(session, key)
        base = ModelFiles(row.bpmn_xml.encode("utf-8"), _dmn_files(row)) if row is not None else None
    if bpmn is None and base is None:
        raise NotFound("Prozess/Process", key)
    files = dict(base.dmn) if base else {}
    for name, xml in (dmn or {}).items():
        decisions = _decisions(xml, name)
        replaced = [
            stored for stored, stored_xml in files.items() if decisions & _decisions(stored_xml, stored)
        ]
        for stored in replaced:
            del files[stored]
        files[replaced[0] if replaced else name] = xml
    name = bpmn_name if bpmn is not None else f"{key}.bpmn"
    return key, ModelFiles(bpmn if bpmn is not None else base.bpmn, files, name)  # type: ignore[union-attr]


def review_model(ctx: EngineContext, actor: Actor, files: ModelFiles, now: datetime | None = None) -> Review:
    """Every check and the diff against the latest deployed version; nothing is stored.

    An unexpected failure is a review that refuses the draft, naming the reference in the log.
    """
    _require_owner(actor)
    sha = content_hash(files.bpmn, files.dmn)
    try:
        with refused_when_unexpected("Reviewing a process model"):
            return _review(ctx, files, sha, now or ctx.clock.now())
    except InternalError as failed:
        return Review(None, sha, tuple(failed.problems), None, None, False)


def _review(ctx: EngineContext, files: ModelFiles, sha: str, now: datetime) -> Review:
    process, found = examine(ctx, files.bpmn, files.dmn, now, files.bpmn_name)
    problems = tuple(found)
    if process is None:
        return Review(None, sha, problems, None, None, False)
    with ctx.unit_of_work(writes=False) as session:
        base = latest_version(session, process.process_id)
        unchanged = base is not None and base.sha256 == sha
        base_version = base.version if base is not None else None
        previous = ctx.process(session, base.id) if base is not None else None
        base_tests = (
            _test_names(base.bpmn_xml.encode("utf-8"), files.bpmn_name) if base is not None else set()
        )
        older = (
            None
            if unchanged
            else session.scalar(select(ProcessVersion.version).where(ProcessVersion.sha256 == sha))
        )
    diff = diff_processes(ctx.runtime, previous, process) if previous is not None else None
    names = _test_names(files.bpmn, files.bpmn_name)
    dropped = sorted(base_tests - names)
    if dropped:
        problems += (
            ModelProblem(
                None,
                f"The draft no longer has these model tests of version {base_version}: {', '.join(dropped)}.",
                "warning",
                german=f"Der Entwurf enthält diese Modelltests von Version {base_version} nicht mehr: "
                f"{', '.join(dropped)}.",
            ),
        )
    return Review(process.process_id, sha, problems, base_version, diff, unchanged, older, len(names))


def _test_names(bpmn: bytes, bpmn_name: str) -> set[str]:
    return {test.name for test in read_tests(parse_model_xml(bpmn, bpmn_name))[0]}


@refused_when_unexpected("Deploying a reviewed process model")
def deploy_model(
    ctx: EngineContext,
    actor: Actor,
    files: ModelFiles,
    reviewed_base: int | None,
    reviewed_sha256: str | None = None,
    now: datetime | None = None,
) -> Deployment:
    """Deploy what was reviewed (content ``reviewed_sha256``, against version ``reviewed_base``).

    Identical content is a no-op; the deployment is audited by ``deploy_process``.
    """
    _require_owner(actor)
    if reviewed_sha256 is not None and reviewed_sha256 != content_hash(files.bpmn, files.dmn):
        raise DraftChanged()
    key = process_key_of(files.bpmn, files.bpmn_name)
    with ctx.unit_of_work(writes=False) as session:
        base = latest_version(session, key)
        if (
            base is not None
            and base.version != reviewed_base
            and base.sha256 != content_hash(files.bpmn, files.dmn)
        ):
            raise DeployedMeanwhile(key, base.version, base.deployed_by)
    return deploy_process(ctx, actor.username, files.bpmn, files.dmn, now, files.bpmn_name)
