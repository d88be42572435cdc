"""``lotse bench migrate``: dry run and migration of many running cases between two process versions.

The cases are generated quickly: one case per distinct step is driven through the real process with
the real use cases, then cloned with bulk inserts (fresh task ids, state sealed for the clone's id).
The target version is the shipped model with a new user task after the referral, a renamed field
in the referral form and the prevention task removed, so some cases move and some are refused.

Baselines in the same run: reading every case the way the dry run does (decrypt and deserialize, no
migration), and loading and saving every case in its own transaction (no migration).
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from lxml import etree
from sqlalchemy import create_engine, func, insert, select, text
from sqlalchemy.engine import make_url

from engine.calendar.business_calendar import BusinessCalendar
from engine.cases.incidents import report_incident
from engine.cases.lifecycle import complete_task, open_case
from engine.demo.seed import EINGANG, RISIKO_BY_LEVEL, RISIKO_NEUTRAL, VERMITTLUNG
from engine.kernel.actor import Actor
from engine.kernel.clock import ManualClock
from engine.kernel.context import EngineContext, build_context
from engine.processes.deployment import deploy_process
from engine.processes.migration import cases_on, dry_run, migrate_cases
from engine.store import schema
from engine.store.case_store import RECORD_COLUMNS, binding, load_instance, record_from_row, update_case
from engine.store.tables import Case, Task
from engine.store.vault import Vault

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / "workflows" / "bpmn"
DRY_RUN_BAR = 200.0  # cases per second on SQLite
POSTGRES_ADMIN_URL = os.environ.get(
    "LOTSE_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
COUNSELLOR = Actor("anna", frozenset({"beratung"}))
UUID_PATTERN = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- target versions: edits of the shipped model's text -----------------------------------------------

NEW_STEP = b"""<bpmn:userTask id="sicherheitsgespraech" name="Sicherheitsgespr\xc3\xa4ch f\xc3\xbchren" \
camunda:candidateGroups="beratung" camunda:dueDate="arbeitstage(2)">
      <bpmn:extensionElements>
        <camunda:formData>
          <camunda:formField id="sicherheitsgespraech_gefuehrt" label="Gespr\xc3\xa4ch gef\xc3\xbchrt" type="boolean"/>
        </camunda:formData>
      </bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="flow_sicherheitsgespraech" sourceRef="sicherheitsgespraech" \
targetRef="nachfassen_terminieren"/>
    """


def with_extra_step(bpmn: bytes) -> bytes:
    """A new user task between the referral and the follow-up; the model's tests that reach the follow-up
    complete it on the way (as a process owner updates the tests with the change)."""
    flow = b'<bpmn:sequenceFlow id="flow_vermittlung_nachfassen" sourceRef="vermittlung" targetRef="nachfassen_terminieren"/>'
    assert flow in bpmn, "the shipped model changed: referral flow not found"
    rewired = flow.replace(b'targetRef="nachfassen_terminieren"', b'targetRef="sicherheitsgespraech"')
    wait = b'<lotse:wait for="nachfassen"/>'
    step = b'<lotse:task id="sicherheitsgespraech">{"sicherheitsgespraech_gefuehrt": true}</lotse:task>'
    return bpmn.replace(flow, NEW_STEP + rewired).replace(wait, step + wait)


def with_renamed_field(bpmn: bytes) -> bytes:
    """The referral form's note field gets a new id."""
    old = b'<camunda:formField id="vermittlung_notiz"'
    assert old in bpmn, "the shipped model changed: referral note field not found"
    return bpmn.replace(old, b'<camunda:formField id="notiz_zur_vermittlung"')


def without_praevention(bpmn: bytes) -> bytes:
    """The prevention task is removed with its reminder and escalation chain; INFO cases go straight on to
    closing (information requests end at once)."""
    start = bpmn.index(b'<bpmn:userTask id="praevention"')
    end = bpmn.index(b"</bpmn:userTask>", start) + len(b"</bpmn:userTask>")
    flow = b'<bpmn:sequenceFlow id="flow_praevention_weiter" sourceRef="praevention" targetRef="nach_praevention"/>'
    assert flow in bpmn, "the shipped model changed: prevention flow not found"
    edited = bpmn[:start] + bpmn[end:]
    edited = edited.replace(flow, b"")
    # the model's tests: an information request ends right after the intake now
    edited = re.sub(rb'<lotse:task id="praevention">[^<]*</lotse:task>\s*', b"", edited)
    edited = edited.replace(
        b'sourceRef="vor_praevention" targetRef="praevention"',
        b'sourceRef="vor_praevention" targetRef="nach_praevention"',
    )
    return _without_elements(edited, PRAEVENTION_CHAIN)


# the prevention task's reminder and escalation chain (boundary timers, events, the team lead's review)
PRAEVENTION_CHAIN = (
    "praevention_ueberfaellig",
    "praevention_erinnern",
    "praevention_erinnert",
    "praevention_eskalationsfrist",
    "praevention_eskalieren",
    "eskalation_praevention",
    "eskalation_praevention_ende",
    "eskalation_praevention_ueberfaellig",
    "eskalation_praevention_erinnern",
    "eskalation_praevention_erinnert",
    "eskalation_praevention_eskalationsfrist",
    "eskalation_praevention_eskalieren",
    "eskalation_praevention_eskaliert",
)


def _without_elements(bpmn: bytes, element_ids: tuple[str, ...]) -> bytes:
    """Drop the elements, the sequence flows touching them and their diagram shapes and edges."""
    root = etree.fromstring(bpmn)
    doomed = set(element_ids)
    flows = root.xpath("//bpmn:sequenceFlow", namespaces=NAMESPACES)
    doomed |= {f.get("id") for f in flows if f.get("sourceRef") in doomed or f.get("targetRef") in doomed}
    for element in root.xpath(
        "//bpmn:process//*[@id] | //bpmndi:BPMNShape | //bpmndi:BPMNEdge", namespaces=NAMESPACES
    ):
        if element.get("id") in doomed or element.get("bpmnElement") in doomed:
            element.getparent().remove(element)
    for ref in root.xpath("//bpmn:incoming | //bpmn:outgoing", namespaces=NAMESPACES):
        if ref.text in doomed:
            ref.getparent().remove(ref)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


NAMESPACES = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
}


def target_model(bpmn: bytes) -> bytes:
    return without_praevention(with_renamed_field(with_extra_step(bpmn)))


def shipped_models() -> tuple[bytes, dict[str, bytes]]:
    bpmn = (WORKFLOWS / "fallbearbeitung.bpmn").read_bytes()
    return bpmn, {path.name: path.read_bytes() for path in WORKFLOWS.glob("*.dmn")}


# -- cases at every step -------------------------------------------------------------------------------

Action = tuple[str, dict[str, Any]]


def _assessed(level: str) -> list[Action]:
    eingang = {**EINGANG, "vorfallarten": ["kein_vorfall"]} if level == "INFO" else EINGANG
    return [
        ("eingang", eingang),
        ("risikoeinschaetzung", {**RISIKO_NEUTRAL, **RISIKO_BY_LEVEL[level]}),
        ("risikostufe_bestaetigen", {"risikostufe": level}),
    ]


# Where a case stands -> the steps that bring it there ("!vorfall": report a new incident).
STEPS: dict[str, list[Action]] = {
    "eingang": [],
    "risikoeinschaetzung": [("eingang", EINGANG)],
    "risikostufe_bestaetigen": _assessed("MITTEL")[:2],
    "vermittlung": _assessed("MITTEL"),
    "praevention": _assessed("INFO"),
    "warten_nachfassen": [*_assessed("MITTEL"), ("vermittlung", VERMITTLUNG)],
    "abschluss_nach_praevention": [
        *_assessed("INFO"),
        ("praevention", {"material": ["broschuere_sicherheit"]}),
    ],
    "neuer_vorfall": [*_assessed("HOCH"), ("!vorfall", {})],
}
# What the combined target version does with each: None when the case can move.
REFUSED_ON_TARGET = {
    "praevention": "open_removed",
    "warten_nachfassen": "completed_changed",
    "abschluss_nach_praevention": "completed_removed",
}


def drive(ctx: EngineContext, step: str, start: datetime) -> int:
    """A new case brought to ``step`` through the real use cases, one action every ten minutes."""
    now = start
    case_id = open_case(ctx, COUNSELLOR, {"kontaktkanal": "telefon"}, now=now).case_id
    for element, values in STEPS[step]:
        now += timedelta(minutes=10)
        if element == "!vorfall":
            report_incident(ctx, COUNSELLOR, case_id, now=now)
            continue
        with ctx.unit_of_work(writes=False) as session:
            task_id = session.scalar(
                select(Task.id).where(
                    Task.case_id == case_id, Task.element_id == element, Task.status == "open"
                )
            )
        if task_id is None:
            raise LookupError(f"case {case_id}: no open task {element} on the way to {step}")
        complete_task(ctx, COUNSELLOR, task_id, values, now=now)
    return case_id


# -- cloning cases in bulk ------------------------------------------------------------------------------

_CASE_COLUMNS = [column.name for column in Case.__table__.columns]
_TASK_COLUMNS = [column.name for column in Task.__table__.columns]


def clone_cases(ctx: EngineContext, templates: Sequence[int], count: int, chunk: int = 1000) -> list[int]:
    """``count`` new cases, copies of the templates in turn, each with its own task ids and sealed state."""
    with ctx.unit_of_work(writes=False) as session:
        cases = {
            row.id: row._asdict()
            for row in session.execute(select(Case.__table__).where(Case.id.in_(templates))).all()
        }
        tasks: dict[int, list[dict[str, Any]]] = {case_id: [] for case_id in templates}
        for row in session.execute(
            select(Task.__table__).where(Task.case_id.in_(templates), Task.status == "open")
        ).all():
            tasks[row.case_id].append(row._asdict())
        first = (session.scalar(select(func.max(Case.id))) or 0) + 1
    plain = {case_id: ctx.vault.open(row["state"], binding(case_id)) for case_id, row in cases.items()}
    created: list[int] = []
    for offset in range(0, count, chunk):
        case_rows, task_rows = [], []
        for number in range(offset, min(count, offset + chunk)):
            template = templates[number % len(templates)]
            new_id = first + number
            state, ids = _fresh_ids(plain[template])
            row = dict(cases[template], id=new_id, reference=f"K-{new_id:07d}")
            row["state"] = ctx.vault.seal(state, binding(new_id))
            case_rows.append(row)
            for task in tasks[template]:
                task_rows.append(
                    dict(
                        task,
                        id=ids[task["id"].encode()].decode(),
                        case_id=new_id,
                        case_reference=row["reference"],
                    )
                )
            created.append(new_id)
        with ctx.unit_of_work() as session:
            session.execute(insert(Case.__table__), case_rows)
            if task_rows:
                session.execute(insert(Task.__table__), task_rows)
            session.commit()
    return created


def _fresh_ids(state: bytes) -> tuple[bytes, dict[bytes, bytes]]:
    """The state with every task id replaced by a new one, and the replacements."""
    ids: dict[bytes, bytes] = {}
    fresh = UUID_PATTERN.sub(lambda match: ids.setdefault(match.group(0), str(uuid.uuid4()).encode()), state)
    return fresh, ids


# -- the benchmark --------------------------------------------------------------------------------------


def _rate(count: int, timing: tuple[float, float]) -> dict[str, Any]:
    """Wall-clock rate, and the rate by this process's CPU time (steadier on a shared machine)."""
    seconds, cpu = timing
    return {
        "cases": count,
        "seconds": round(seconds, 3),
        "cases_per_second": round(count / seconds, 1),
        "cpu_seconds": round(cpu, 3),
        "cases_per_cpu_second": round(count / cpu, 1) if cpu else None,
    }


def _timed(action: Callable[[], Any]) -> tuple[Any, tuple[float, float]]:
    started, cpu = time.perf_counter(), time.process_time()
    result = action()
    return result, (time.perf_counter() - started, time.process_time() - cpu)


def _read_all(ctx: EngineContext, version_id: int) -> int:
    """Baseline of the dry run: decrypt and deserialize every open case of the version, in batches."""
    read = 0
    with ctx.unit_of_work(writes=False) as session:
        process = ctx.process(session, version_id)
        for case in cases_on(session, version_id):
            ctx.runtime.load(ctx.vault.open(case.state, binding(case.id)), process)
            read += 1
    return read


def _load_and_save_all(ctx: EngineContext, case_ids: Sequence[int], now: datetime) -> int:
    """Baseline of the migration: load and save every case in its own transaction, without migrating."""
    for case_id in case_ids:
        with ctx.unit_of_work() as session:
            row = session.execute(select(*RECORD_COLUMNS).where(Case.id == case_id)).one()
            case = record_from_row(row)
            instance = load_instance(ctx, session, case)
            instance.fragments.clear()  # re-encode every task, as a migration does
            instance.prints.clear()
            update_case(ctx, session, case, instance, now)
            session.commit()
    ctx.instances.clear()
    return len(case_ids)


def run(cases: int = 10_000, postgres: bool = False) -> dict[str, Any]:
    """The report on SQLite, and on a temporary PostgreSQL database when asked for."""
    with tempfile.TemporaryDirectory(prefix="lotse-bench-migrate-") as folder:
        report = {"sqlite": _run(f"sqlite:///{Path(folder) / 'migrate.db'}", cases)}
    if postgres:
        with throwaway_postgres("lotse_bench_migrate") as url:
            report["postgresql"] = _run(url, cases)
    report["bar"] = {
        "dry_run_sqlite_cases_per_second": DRY_RUN_BAR,
        "ok": report["sqlite"]["dry_run"]["cases_per_second"] >= DRY_RUN_BAR,
        "ok_by_cpu_time": report["sqlite"]["dry_run"]["cases_per_cpu_second"] >= DRY_RUN_BAR,
    }
    return report


@contextmanager
def throwaway_postgres(prefix: str) -> Iterator[str]:
    """A new, empty PostgreSQL database for one bench run, dropped afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _run(url: str, cases: int) -> dict[str, Any]:
    start = datetime.fromisoformat("2026-06-01T08:00:00+00:00")
    clock = ManualClock(start)
    vault = Vault({"bench": b"m" * 32}, "bench")
    ctx = build_context(url, vault, BusinessCalendar(land="NW"), clock)
    schema.upgrade(ctx.db)
    bpmn, dmn = shipped_models()
    source = deploy_process(ctx, "bench", bpmn, dmn, now=start)
    templates = {step: drive(ctx, step, start) for step in STEPS}
    target = deploy_process(ctx, "bench", target_model(bpmn), dmn, now=start)
    log(f"templates: {len(templates)} cases; cloning {cases - len(templates)} ...")
    clones, clone_seconds = _timed(lambda: clone_cases(ctx, list(templates.values()), cases - len(templates)))
    all_ids = [*templates.values(), *clones]
    now = start + timedelta(hours=1)
    clock.set(now)
    ctx.instances.clear()
    log("baseline: load and save every case ...")
    saved, save_seconds = _timed(lambda: _load_and_save_all(ctx, all_ids, now))
    log("baseline: read every case ...")  # the same stored states the dry run then reads
    read, read_seconds = _timed(lambda: _read_all(ctx, source.version_id))
    log("dry run ...")
    report, dry_seconds = _timed(lambda: dry_run(ctx, source.version_id, target.version_id, now=now))
    chosen = {check.case_id: check.lock_version for check in report.movable}
    log(f"migrating {len(chosen)} cases ...")
    results, migrate_seconds = _timed(
        lambda: migrate_cases(ctx, "bench", source.version_id, target.version_id, chosen, now=now)
    )
    migrated = sum(1 for result in results if result.migrated)
    with ctx.unit_of_work(writes=False) as session:
        on_target = session.scalar(select(func.count()).where(Case.process_version_id == target.version_id))
    ctx.db.dispose()
    dry = _rate(len(report.movable) + len(report.refused), dry_seconds)
    return {
        "benchmark": "migrate",
        "database": ctx.db.dialect.name,
        "cases": cases,
        "generated": {"templates": sorted(templates), "clone": _rate(len(clones), clone_seconds)},
        "diff": {"added": report.added, "removed": report.removed, "changed": report.changed},
        "baseline_read": _rate(read, read_seconds),
        "baseline_load_save": _rate(saved, save_seconds),
        "dry_run": {
            **dry,
            "movable": len(report.movable),
            "refused": len(report.refused),
            "refusals": dict(Counter(r.kind for check in report.refused for r in check.refusals)),
            "cpu_relative_to_baseline_read": round(read_seconds[1] / dry_seconds[1], 3),
        },
        "migration": {
            **_rate(len(results), migrate_seconds),
            "migrated": migrated,
            "not_migrated": len(results) - migrated,
            "on_target_after": on_target,
            "relative_to_baseline_load_save": round(save_seconds[0] / migrate_seconds[0], 3),
        },
    }
