"""The timer sweep: due timers fire at the right instant, exactly once, also with two sweepers at once."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import func, select

from engine.cases.lifecycle import open_case
from engine.deadlines.timer_sweep import sweep_timers
from engine.processes.deployment import deploy_process
from engine.store.tables import AuditEvent, Task
from tests.conftest import COUNSELLOR
from tests.steps import case_row, open_tasks

TIMER_MODEL = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  id="d" targetNamespace="t">
  <bpmn:process id="wecker" isExecutable="true">
    <bpmn:startEvent id="s"/>
    <bpmn:intermediateCatchEvent id="eine_stunde"><bpmn:timerEventDefinition>
      <bpmn:timeDate xsi:type="bpmn:tFormalExpression">arbeitsstunden(1)</bpmn:timeDate>
    </bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
    <bpmn:userTask id="danach" name="Danach" camunda:candidateGroups="beratung"/>
    <bpmn:endEvent id="e"/>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="eine_stunde"/>
    <bpmn:sequenceFlow id="f2" sourceRef="eine_stunde" targetRef="danach"/>
    <bpmn:sequenceFlow id="f3" sourceRef="danach" targetRef="e"/>
  </bpmn:process>
</bpmn:definitions>"""


def _open_timer_cases(ctx, count: int) -> list[int]:
    deploy_process(ctx, "test", TIMER_MODEL)
    return [open_case(ctx, COUNSELLOR, process_key="wecker").case_id for _ in range(count)]


def test_timer_fires_not_a_second_early(ctx, clock):
    (case_id,) = _open_timer_cases(ctx, 1)
    due = case_row(ctx, case_id).next_timer_at
    assert due == clock.now() + timedelta(hours=1)
    before = case_row(ctx, case_id).lock_version
    assert sweep_timers(ctx, now=due - timedelta(seconds=1)).fired == 0
    assert case_row(ctx, case_id).lock_version == before and open_tasks(ctx, case_id) == {}
    assert sweep_timers(ctx, now=due + timedelta(seconds=1)).fired == 1
    assert list(open_tasks(ctx, case_id)) == ["danach"] and case_row(ctx, case_id).next_timer_at is None
    assert sweep_timers(ctx, now=due + timedelta(minutes=5)).fired == 0


def test_two_sweepers_fire_every_timer_exactly_once(ctx, clock):
    cases = _open_timer_cases(ctx, 30)
    ctx.instances.clear()
    later = clock.now() + timedelta(hours=2)
    reports = []
    barrier = threading.Barrier(2)

    def sweeper() -> None:
        barrier.wait()
        reports.append(sweep_timers(ctx, now=later))

    threads = [threading.Thread(target=sweeper) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sum(report.fired for report in reports) == len(cases)
    assert all(not report.failed for report in reports)
    with ctx.unit_of_work(writes=False) as session:
        fired = session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "timer_fired")
        )
        tasks = session.scalar(select(func.count()).select_from(Task).where(Task.element_id == "danach"))
    assert fired == len(cases) and tasks == len(cases)
