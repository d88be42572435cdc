"""Deadlines declared on a task (``lotse:frist``, ``lotse:eskalation_ab``) run as a drawn chain does:
a step left overdue reminds the people responsible at its deadline and, after the escalation interval,
raises its priority and puts "Eskalation prüfen: … überfällig" in the team lead's inbox. Only the
clock is set by hand; the timer sweep, the engine and the inbox are the real ones."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from engine.cases.lifecycle import open_case
from engine.deadlines.timer_sweep import sweep_timers
from engine.processes.deployment import deploy_process
from engine.store.tables import OutboxMessage
from tests.conftest import COUNSELLOR
from tests.steps import case_row, complete, open_tasks

DECLARED = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">
  <bpmn:process id="unterlagen" name="Unterlagen" isExecutable="true">
    <bpmn:startEvent id="s"/>
    <bpmn:userTask id="pruefen" name="Unterlagen prüfen" camunda:candidateGroups="beratung"
        camunda:dueDate="arbeitsstunden(1)">
      <bpmn:extensionElements>
        <camunda:properties>
          <camunda:property name="name_en" value="Check the documents"/>
          <camunda:property name="lotse:frist" value="arbeitsstunden(1)"/>
          <camunda:property name="lotse:eskalation_ab" value="frist(2, 'arbeitsstunden', ab=arbeitsstunden(1))"/>
        </camunda:properties>
      </bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:endEvent id="e"/>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="pruefen"/>
    <bpmn:sequenceFlow id="f2" sourceRef="pruefen" targetRef="e"/>
  </bpmn:process>
</bpmn:definitions>""".encode()


def _messages(ctx, case_id: int) -> list[tuple[str, str, str]]:
    with ctx.unit_of_work(writes=False) as session:
        rows = session.scalars(
            select(OutboxMessage).where(OutboxMessage.case_id == case_id).order_by(OutboxMessage.id)
        ).all()
    return [(row.dedupe_key.split(":")[0], row.dedupe_key.split(":")[-1], row.recipient) for row in rows]


def test_a_declared_deadline_reminds_then_escalates_to_the_team_lead_inbox(deployed, client, auth, clock):
    deploy_process(deployed, "test", DECLARED, {})
    case_id = open_case(deployed, COUNSELLOR, process_key="unterlagen").case_id
    task = open_tasks(deployed, case_id)["pruefen"]
    due = case_row(deployed, case_id).next_timer_at
    assert due == task.due_at == clock.now() + timedelta(hours=1)

    assert sweep_timers(deployed, now=due - timedelta(seconds=1)).fired == 0
    assert sweep_timers(deployed, now=due + timedelta(minutes=1)).fired == 1
    assert list(open_tasks(deployed, case_id)) == ["pruefen"]
    assert _messages(deployed, case_id) == [("reminder", "pruefen_erinnern", "group:beratung")]
    escalate_at = case_row(deployed, case_id).next_timer_at
    assert escalate_at == due + timedelta(hours=2)

    assert sweep_timers(deployed, now=escalate_at + timedelta(minutes=1)).fired == 1
    tasks = open_tasks(deployed, case_id)
    assert set(tasks) == {"pruefen", "eskalation_pruefen"}
    assert tasks["pruefen"].priority == 95  # the overdue step itself is raised
    review = tasks["eskalation_pruefen"]
    assert (review.title, review.candidate_group, review.escalation, review.priority) == (
        "Eskalation prüfen: Unterlagen prüfen überfällig",
        "teamleitung",
        True,
        95,
    )
    assert case_row(deployed, case_id).escalated

    auth.login("tara")
    inbox = client.get("/?tab=groups").get_data(as_text=True)
    assert "Eskalation prüfen: Unterlagen prüfen überfällig" in inbox
    page = client.get(f"/aufgaben/{review.id}").get_data(as_text=True)
    assert 'name="eskalation_pruefen_massnahme"' in page

    # done with the overdue step, the case waits at the team lead's step, which the diagram does not draw:
    # the case page marks the step it is about
    complete(deployed, COUNSELLOR, case_id, "pruefen", {}, escalate_at + timedelta(minutes=5))
    assert list(open_tasks(deployed, case_id)) == ["eskalation_pruefen"]
    case_page = client.get(f"/faelle/{case_id}").get_data(as_text=True)
    active = re.search(r'data-active="([^"]*)"', case_page).group(1).split(",")
    done = re.search(r'data-done="([^"]*)"', case_page).group(1).split(",")
    assert {"eskalation_pruefen", "pruefen"} <= set(active) and "pruefen" not in done
