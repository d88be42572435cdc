"""``lotse bench deadlines``: a simulated quarter of casework under a fake clock, then a deadline audit.

Cases are opened at random moments in office hours over the simulated weeks, with risk answers that
make the decision table suggest every level. Simulated counsellors claim and complete each task after a
random delay (seeded); a share of them finish after the due time on purpose, so reminders and
escalations happen. The timer sweep runs at every simulated minute. With ``skip_idle`` a minute is
skipped only when it is provably idle: no open case has ``next_timer_at`` at or before it, no counsellor
action and no case opening falls into it (the simulation is the only writer, so the earliest timer read
after the last change stays exact until the next change).

Afterwards every task with a due time is judged from the database alone: the task projection, the audit
trail (``escalated`` rows and their time) and, for the escalation moment, the boundary timer of the
task's escalation chain (its stored due instant) or, for a task without such a chain, the interval the
decision table ``fristen`` gives for the case's risk level.
"""

from __future__ import annotations

import heapq
import os
import random
import tempfile
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from time import perf_counter, process_time
from typing import Any
from uuid import UUID

from sqlalchemy import bindparam, func, select

from engine.bpmn.instance import Instance
from engine.bpmn.tasks import FormSpec
from engine.calendar.business_calendar import BERLIN, BusinessCalendar
from engine.calendar.deadline_functions import expression_helpers
from engine.cases.lifecycle import claim_task, complete_task, open_case
from engine.deadlines.timer_sweep import sweep_timers
from engine.demo.seed import EINGANG, RISIKO_BY_LEVEL, RISIKO_NEUTRAL, VERMITTLUNG
from engine.kernel.actor import Actor
from engine.kernel.clock import ManualClock
from engine.kernel.context import EngineContext, build_context
from engine.kernel.errors import DomainError, FormInvalid
from engine.processes.deployment import deploy_process, latest_version
from engine.store import schema
from engine.store.case_store import RECORD_COLUMNS, load_instance, record_from_row
from engine.store.tables import AuditEvent, Case, Task
from engine.store.vault import Vault

WORKFLOWS = Path(__file__).resolve().parent.parent / "workflows" / "bpmn"
VAULT_KEY = b"d" * 32
START = datetime(
    2026, 4, 13, tzinfo=BERLIN
)  # a Monday; the quarter holds May Day, Ascension, Whit Monday, Fronleichnam
SWEEP_INTERVAL = timedelta(minutes=1)
LEVEL_WEIGHTS = {"AKUT": 1, "HOCH": 2, "MITTEL": 3, "NIEDRIG": 3, "INFO": 1}
LATE_SHARE = 0.15  # tasks completed after their due time on purpose
NOT_ARRIVED_SHARE = 0.15  # follow-ups that send the case back to referral
BASELINE_SWEEPS = 2000
WALL_LIMIT_SECONDS = 60.0
TEAM_LEAD = Actor("sim-teamleitung", frozenset({"teamleitung", "beratung"}))


@dataclass(order=True)
class _Action:
    at: datetime
    seq: int
    kind: str = field(compare=False)  # claim, complete
    task_id: str = field(compare=False)
    case_id: int = field(compare=False)
    element_id: str = field(compare=False)
    actor: Actor = field(compare=False)


@dataclass
class _Tally:
    sweeps: int = 0
    minutes: int = 0
    timers_fired: int = 0
    claims: int = 0
    completions: int = 0
    stale_actions: int = 0  # the task was gone (cancelled or completed meanwhile) when its action came
    form_errors: Counter[str] = field(default_factory=Counter)
    sweep_failures: int = 0


def run(
    cases: int = 300, weeks: int = 13, seed: int = 2026, counsellors: int = 4, skip_idle: bool = False
) -> dict[str, Any]:
    """Simulate, audit the deadlines, measure the empty sweep; returns the report printed as JSON."""
    with tempfile.TemporaryDirectory(prefix="lotse-bench-deadlines-") as directory:
        clock = ManualClock(START)
        url = f"sqlite:///{Path(directory) / 'deadlines.db'}"
        ctx = build_context(url, Vault({"bench": VAULT_KEY}, "bench"), BusinessCalendar(land="NW"), clock)
        try:
            schema.upgrade(ctx.db)
            bpmn = (WORKFLOWS / "fallbearbeitung.bpmn").read_bytes()
            dmn = {path.name: path.read_bytes() for path in sorted(WORKFLOWS.glob("*.dmn"))}
            deploy_process(ctx, "bench", bpmn, dmn)
            empty_before = _empty_sweep_ms(ctx, START)
            simulation = _Simulation(ctx, random.Random(seed), counsellors, skip_idle)
            end = START + timedelta(weeks=weeks)
            load_at_start = os.getloadavg()
            started, cpu_started = perf_counter(), process_time()
            simulation.run(cases, end)
            wall, cpu = perf_counter() - started, process_time() - cpu_started
            audit = _audit(ctx, end)
            empty_after = _empty_sweep_ms(ctx, end)
        finally:
            ctx.db.dispose()
    report = _report(simulation, audit, wall, empty_before, empty_after, cases, weeks, seed, skip_idle)
    # the machine is shared: CPU seconds and the load show how much of the wall time was waiting
    report["machine"] = {
        "cpus": os.cpu_count(),
        "simulation_cpu_seconds": round(cpu, 3),
        "load_average_at_start": [round(value, 2) for value in load_at_start],
        "load_average_at_end": [round(value, 2) for value in os.getloadavg()],
    }
    return report


# -- the simulation ---------------------------------------------------------------------------------


class _Simulation:
    def __init__(self, ctx: EngineContext, rng: random.Random, counsellors: int, skip_idle: bool) -> None:
        self.ctx = ctx
        self.rng = rng
        self.skip_idle = skip_idle
        self.staff = [Actor(f"sim-beratung-{n + 1}", frozenset({"beratung"})) for n in range(counsellors)]
        self.tally = _Tally()
        self.actions: list[_Action] = []
        self.scheduled: set[str] = set()
        self.levels: dict[int, str] = {}
        self.level_mix: Counter[str] = Counter()
        self.forms = _forms_by_element(ctx)
        self._seq = 0

    def run(self, cases: int, end: datetime) -> None:
        openings = self._openings(cases, end)
        now = START
        next_timer = self._next_timer()
        while now < end:
            self.tally.minutes += 1
            changed = False
            while openings and openings[0][0] <= now:
                _, level = openings.pop(0)
                case_id = open_case(self.ctx, self.rng.choice(self.staff), now=now).case_id
                self.levels[case_id] = level
                self._schedule_open_tasks(case_id, now)
                changed = True
            while self.actions and self.actions[0].at <= now:
                changed |= self._act(heapq.heappop(self.actions), now)
            if not self.skip_idle or changed or (next_timer is not None and next_timer <= now):
                report = sweep_timers(self.ctx, now)
                self.tally.sweeps += 1
                self.tally.sweep_failures += len(report.failed)
                if report.fired:
                    self.tally.timers_fired += report.fired
                    self._schedule_created_at(now)
                    changed = True
            if changed:
                next_timer = self._next_timer()
            now = self._next_minute(now, openings, next_timer, end)

    def _next_minute(
        self, now: datetime, openings: list[tuple[datetime, str]], next_timer: datetime | None, end: datetime
    ) -> datetime:
        following = now + SWEEP_INTERVAL
        if not self.skip_idle:
            return following
        candidates = [end]
        if openings:
            candidates.append(openings[0][0])
        if self.actions:
            candidates.append(self.actions[0].at)
        if next_timer is not None:
            candidates.append(next_timer)
        wanted = _minute_at_or_after(min(candidates))
        if wanted > following:
            self.tally.minutes += int((wanted - following) / SWEEP_INTERVAL)
            return wanted
        return following

    def _openings(self, cases: int, end: datetime) -> list[tuple[datetime, str]]:
        """Random office-hours minutes over the simulated weeks, each with the level its answers will give."""
        calendar = self.ctx.calendar
        days = [
            day
            for offset in range((end - START).days)
            if calendar.is_working_day(day := (START + timedelta(days=offset)).date())
        ]
        opens, closes = calendar.hours.opens, calendar.hours.closes
        minutes = (closes.hour * 60 + closes.minute) - (opens.hour * 60 + opens.minute)
        levels = list(LEVEL_WEIGHTS)
        weights = list(LEVEL_WEIGHTS.values())
        chosen = []
        for _ in range(cases):
            day = self.rng.choice(days)
            at = datetime.combine(day, opens, tzinfo=BERLIN) + timedelta(minutes=self.rng.randrange(minutes))
            chosen.append((at.astimezone(UTC), self.rng.choices(levels, weights)[0]))
        return sorted(chosen)

    def _next_timer(self) -> datetime | None:
        query = select(func.min(Case.next_timer_at)).where(Case.status == "open")
        with self.ctx.db.connect() as connection:
            value = connection.execute(query).scalar()
        return _utc(value) if value is not None else None

    # counsellors

    def _schedule_open_tasks(self, case_id: int, now: datetime) -> None:
        query = select(Task.id, Task.case_id, Task.element_id, Task.candidate_group, Task.due_at).where(
            Task.case_id == case_id, Task.status == "open"
        )
        self._schedule(query, now)

    def _schedule_created_at(self, now: datetime) -> None:
        query = select(Task.id, Task.case_id, Task.element_id, Task.candidate_group, Task.due_at).where(
            Task.created_at == now, Task.status == "open"
        )
        self._schedule(query, now)

    def _schedule(self, query: Any, now: datetime) -> None:
        # a stable order, so the seeded draws do not depend on the (random) task ids
        query = query.order_by(Task.case_id, Task.element_id)
        with self.ctx.db.connect() as connection:
            rows = connection.execute(query).all()
        for task_id, case_id, element_id, group, due_at in rows:
            if task_id in self.scheduled:
                continue
            self.scheduled.add(task_id)
            actor = TEAM_LEAD if group == "teamleitung" else self.rng.choice(self.staff)
            done = _minute_at_or_after(now + self._delay(now, _utc(due_at) if due_at else None))
            claim = _minute_at_or_after(now + (done - now) * self.rng.uniform(0.0, 0.5))
            for kind, at in (("claim", claim), ("complete", done)):
                self._seq += 1
                heapq.heappush(
                    self.actions, _Action(at, self._seq, kind, task_id, case_id, element_id, actor)
                )

    def _delay(self, now: datetime, due: datetime | None) -> timedelta:
        """How long the counsellor takes: mostly within the due time, sometimes late on purpose."""
        if due is None:
            return timedelta(minutes=self.rng.uniform(5, 3 * 24 * 60))
        window = max(due - now, SWEEP_INTERVAL)
        if self.rng.random() < LATE_SHARE:
            return window + timedelta(minutes=self.rng.uniform(1, 3 * 24 * 60))
        return max(window * self.rng.uniform(0.05, 0.95), SWEEP_INTERVAL)

    def _act(self, action: _Action, now: datetime) -> bool:
        """Carry out one action at ``now``; True if the database changed."""
        try:
            if action.kind == "claim":
                claim_task(self.ctx, action.actor, action.task_id, now=now)
                self.tally.claims += 1
                return True
            complete_task(self.ctx, action.actor, action.task_id, self._values(action), now=now)
        except FormInvalid:
            self.tally.form_errors[action.element_id] += 1
            return False
        except DomainError:
            self.tally.stale_actions += 1
            return False
        self.tally.completions += 1
        self._schedule_open_tasks(action.case_id, now)
        return True

    def _values(self, action: _Action) -> dict[str, Any]:
        level = self.levels.get(action.case_id, "NIEDRIG")
        known: dict[str, dict[str, Any]] = {
            "eingang": {
                **EINGANG,
                "vorfallarten": ["kein_vorfall"] if level == "INFO" else ["bedrohung"],
            },
            "risikoeinschaetzung": {**RISIKO_NEUTRAL, **RISIKO_BY_LEVEL[level]},
            "risikostufe_bestaetigen": {"risikostufe": level},
            "vermittlung": VERMITTLUNG,
            "nachfassen": {
                "hilfe_angekommen": "nein" if self.rng.random() < NOT_ARRIVED_SHARE else "ja",
            },
        }
        if action.element_id == "risikostufe_bestaetigen":
            self.level_mix[level] += 1
        filled = _filled(self.forms.get(action.element_id, FormSpec()))
        return {**filled, **known.get(action.element_id, {})}


def _forms_by_element(ctx: EngineContext) -> dict[str, FormSpec]:
    """The form of every user task of the deployed process, by element id."""
    with ctx.unit_of_work(writes=False) as session:
        version = latest_version(session, "fallbearbeitung")
        if version is None:
            raise RuntimeError("The shipped process 'fallbearbeitung' was not deployed.")
        process = ctx.process(session, version.id)
    forms = {}
    for spec in (process.spec, *process.subprocess_specs.values()):
        for task_spec in spec.task_specs.values():
            if getattr(task_spec, "manual", False) and getattr(task_spec, "bpmn_id", None):
                forms[task_spec.bpmn_id] = process.form_for(task_spec)
    return forms


def _filled(form: FormSpec) -> dict[str, Any]:
    """Plausible answers for the required fields of any form (models change; the simulation must not)."""
    values: dict[str, Any] = {}
    for spec in form.fields:
        if not spec.required:
            continue
        if spec.type == "boolean":
            values[spec.id] = True
        elif spec.type == "enum" and spec.options:
            values[spec.id] = [spec.options[0][0]] if spec.multiple else spec.options[0][0]
        elif spec.type == "long":
            values[spec.id] = int(spec.constraint("min") or 1)
        elif spec.type == "date":
            values[spec.id] = date(2026, 1, 1).isoformat()
        else:
            values[spec.id] = "Simulation" + "." * int(spec.constraint("minlength") or 0)
    return values


# -- the deadline audit -----------------------------------------------------------------------------


@dataclass
class _Judged:
    """One task with a due time, as the audit sees it."""

    element_id: str
    outcome: str  # met, missed, pending
    chain: bool
    reminded: bool
    escalation_due: bool
    escalation_fired: bool
    fired_late: bool
    delay_seconds: float | None
    born_past_escalation: bool
    interval_unknown: bool


def _audit(ctx: EngineContext, end: datetime) -> dict[str, Any]:
    with ctx.unit_of_work(writes=False) as session:
        tasks = session.execute(
            select(
                Task.id,
                Task.case_id,
                Task.element_id,
                Task.status,
                Task.due_at,
                Task.created_at,
                Task.completed_at,
                Task.escalation,
            )
        ).all()
        marks = session.execute(
            select(AuditEvent.case_id, AuditEvent.action, AuditEvent.detail, AuditEvent.at).where(
                AuditEvent.action.in_(("escalated", "reminded"))
            )
        ).all()
        records = {
            row.id: record_from_row(row)
            for row in session.execute(
                select(*RECORD_COLUMNS).where(Case.id.in_(bindparam("ids", expanding=True))),
                {"ids": sorted({task.case_id for task in tasks})},
            )
        }
        instances = {case_id: load_instance(ctx, session, record) for case_id, record in records.items()}
    by_task: dict[tuple[int, str], list[tuple[str, datetime]]] = defaultdict(list)
    for case_id, action, detail, at in marks:
        by_task[(case_id, detail or "")].append((action, _utc(at)))
    frist = expression_helpers(ctx.calendar, lambda: end)["frist"]
    judged = []
    for task in tasks:
        if task.due_at is None:
            continue
        instance = instances[task.case_id]
        chain_due = _escalation_timer_due(instance, task.id)
        escalation_at = chain_due or _interval_escalation(instance, _utc(task.due_at), frist)
        judged.append(_judge(task, escalation_at, chain_due is not None, by_task, end))
    return {"judged": judged, "tasks": tasks}


def _judge(
    task: Any,
    escalation_at: datetime | None,
    chain: bool,
    marks: dict[tuple[int, str], list[tuple[str, datetime]]],
    end: datetime,
) -> _Judged:
    due = _utc(task.due_at)
    created = _utc(task.created_at)
    closed = _utc(task.completed_at) if task.status != "open" and task.completed_at else None
    last = closed or end
    if closed is not None:
        outcome = "met" if closed <= due else "missed"
    else:
        outcome = "missed" if due < end else "pending"
    # ``escalated`` / ``reminded`` rows name the element; those in this task's lifetime are its own
    # (an escalation task's own creation writes an ``escalated`` row with its element: not its escalation)
    mine = [
        (action, at)
        for action, at in marks.get((task.case_id, task.element_id), [])
        if (created < at if task.escalation else created <= at) and at <= last
    ]
    escalations = sorted(at for action, at in mine if action == "escalated")
    due_escalation = escalation_at is not None and escalation_at < last
    # a task that became ready after its escalation moment can be escalated no earlier than that
    possible = max(escalation_at, created) if escalation_at is not None else None
    delay = (escalations[0] - possible).total_seconds() if escalations and possible else None
    return _Judged(
        element_id=task.element_id,
        outcome=outcome,
        chain=chain,
        reminded=any(action == "reminded" for action, _ in mine),
        escalation_due=due_escalation,
        escalation_fired=bool(escalations),
        fired_late=delay is not None and delay > SWEEP_INTERVAL.total_seconds(),
        delay_seconds=delay,
        born_past_escalation=escalation_at is not None and escalation_at < created,
        interval_unknown=escalation_at is None,
    )


def _escalation_timer_due(instance: Instance, task_id: str) -> datetime | None:
    """The stored due instant of the boundary timer that escalates this task, if its element has one."""
    try:
        task = instance.workflow.get_task_from_id(UUID(task_id))
    except (KeyError, ValueError):
        return None
    if task is None or task.parent is None:
        return None
    for sibling in task.parent.children:
        definition = getattr(sibling.task_spec, "event_definition", None)
        if sibling is task or definition is None or not hasattr(definition, "expression"):
            continue
        effects = {
            (getattr(output, "extensions", None) or {}).get("lotse:effect")
            for output in sibling.task_spec.outputs
        }
        if "eskalation" in effects:
            return _parse_due(sibling._get_internal_data("event_value"))
    return None


def _interval_escalation(instance: Instance, due: datetime, frist: Any) -> datetime | None:
    """For an element without a chain: its due time plus the escalation interval of the case's level."""
    variables = instance.variables()
    amount, unit = variables.get("eskalation_menge"), variables.get("eskalation_einheit")
    if amount is None or not unit:
        return None
    return _utc(datetime.fromisoformat(frist(amount, unit, due.isoformat())))


def _parse_due(value: Any) -> datetime | None:
    if isinstance(value, dict):
        value = value.get("next")
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else None


# -- baseline and report ----------------------------------------------------------------------------


def _empty_sweep_ms(ctx: EngineContext, at: datetime) -> float:
    """The cost of a sweep that finds nothing due, averaged over BASELINE_SWEEPS minutes."""
    started = perf_counter()
    for minute in range(BASELINE_SWEEPS):
        report = sweep_timers(ctx, at - timedelta(days=400) + minute * SWEEP_INTERVAL)
        if report.fired:
            raise RuntimeError("The baseline sweep fired a timer; it must run where nothing is due.")
    return round((perf_counter() - started) * 1000 / BASELINE_SWEEPS, 4)


def _report(
    simulation: _Simulation,
    audit: dict[str, Any],
    wall: float,
    empty_before: float,
    empty_after: float,
    cases: int,
    weeks: int,
    seed: int,
    skip_idle: bool,
) -> dict[str, Any]:
    tally = simulation.tally
    tasks = audit["tasks"]
    judged: list[_Judged] = audit["judged"]
    statuses = Counter(task.status for task in tasks)
    delays = sorted(j.delay_seconds for j in judged if j.delay_seconds is not None)
    missed_without = [j for j in judged if j.escalation_due and not j.escalation_fired]
    late = [j for j in judged if j.fired_late]
    skipped = tally.minutes - tally.sweeps
    return {
        "setup": {
            "database": "sqlite (file in a temporary directory)",
            "cases": cases,
            "weeks": weeks,
            "start": START.isoformat(),
            "seed": seed,
            "counsellors": len(simulation.staff),
            "late_share": LATE_SHARE,
            "sweep_interval_seconds": SWEEP_INTERVAL.total_seconds(),
        },
        "cases": cases,
        "risk_levels": dict(sorted(simulation.level_mix.items())),
        "tasks": {
            "created": len(tasks),
            "completed": statuses["completed"],
            "cancelled": statuses["cancelled"],
            "open_at_end": statuses["open"],
        },
        "deadlines": {
            "total": len(judged),
            "met": sum(j.outcome == "met" for j in judged),
            "missed": sum(j.outcome == "missed" for j in judged),
            "pending_at_end": sum(j.outcome == "pending" for j in judged),
            "missed_and_reminded": sum(j.outcome == "missed" and j.reminded for j in judged),
            # a case still in intake at the end has no level yet, so no escalation interval to judge by
            "escalation_interval_unknown": sum(j.interval_unknown for j in judged),
            "missed_with_escalation_interval_unknown": sum(
                j.interval_unknown and j.outcome == "missed" for j in judged
            ),
        },
        "escalations": {
            "due": sum(j.escalation_due for j in judged),
            "fired": sum(j.escalation_fired for j in judged),
            "fired_late": len(late),
            "max_delay_seconds": delays[-1] if delays else None,
            "tasks_ready_only_after_their_escalation_moment": sum(j.born_past_escalation for j in judged),
            # measured from the timer's own due instant, even where the task did not exist yet
            "fired_after_timer_moment_because_task_became_ready_later": sum(
                j.escalation_fired and j.born_past_escalation for j in judged
            ),
            "missed_without_escalation": len(missed_without),
        },
        "by_element": _by_element(judged),
        "sweeps": {
            "simulated_minutes": tally.minutes,
            "sweeps_run": tally.sweeps,
            "minutes_skipped_provably_idle": skipped,
            "skip_rule": (
                "a minute is skipped only if no open case has next_timer_at at or before it and no "
                "counsellor action or case opening falls into it"
                if skip_idle
                else "none: the sweep ran at every simulated minute"
            ),
            "timers_fired": tally.timers_fired,
            "failed": tally.sweep_failures,
        },
        "actions": {
            "claims": tally.claims,
            "completions": tally.completions,
            "stale": tally.stale_actions,
            "form_errors": dict(tally.form_errors),
        },
        "wall_seconds": round(wall, 3),
        "baseline": {
            "empty_sweep_ms_no_cases": empty_before,
            "empty_sweep_ms_after_quarter": empty_after,
            "every_minute_estimate_seconds": round(wall + skipped * empty_after / 1000, 3),
        },
        "bars": {
            "escalations_fired_late": {"value": len(late), "limit": 0, "ok": not late},
            "missed_without_escalation": {
                "value": len(missed_without),
                "limit": 0,
                "ok": not missed_without,
            },
            "wall_seconds": {
                "value": round(wall, 3),
                "limit": WALL_LIMIT_SECONDS,
                "ok": wall < WALL_LIMIT_SECONDS,
            },
        },
        "definitions": {
            "met": "completed (or cancelled) at or before its due time",
            "missed": "completed after its due time, or still open after it at the end",
            "escalation_moment": "the due instant stored in the task's escalation boundary timer; without a "
            "chain, the due time plus the interval the table 'fristen' gives for the case's level",
            "escalation_due": "the task was still open at its escalation moment",
            "fired_late": "the first 'escalated' audit row for the task is more than one sweep interval "
            "after the escalation moment (or after the task became ready, if that was later: an AKUT "
            "referral's deadline runs from the confirmation, before the task exists)",
            "missed_without_escalation": "escalation due but no 'escalated' audit row for the task",
        },
    }


def _by_element(judged: list[_Judged]) -> dict[str, dict[str, Any]]:
    elements: dict[str, dict[str, Any]] = {}
    for j in judged:
        row = elements.setdefault(
            j.element_id,
            {
                "chain": j.chain,
                "deadlines": 0,
                "met": 0,
                "missed": 0,
                "pending": 0,
                "reminded": 0,
                "escalations_due": 0,
                "escalations_fired": 0,
                "fired_late": 0,
                "missed_without_escalation": 0,
            },
        )
        row["chain"] = row["chain"] or j.chain
        row["deadlines"] += 1
        row[j.outcome] += 1
        row["reminded"] += j.reminded
        row["escalations_due"] += j.escalation_due
        row["escalations_fired"] += j.escalation_fired
        row["fired_late"] += j.fired_late
        row["missed_without_escalation"] += j.escalation_due and not j.escalation_fired
    return dict(sorted(elements.items()))


def _minute_at_or_after(moment: datetime) -> datetime:
    floor = moment.replace(second=0, microsecond=0)
    return floor if floor == moment else floor + SWEEP_INTERVAL


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
