"""Who a user task goes to: a staff group (candidate group or lane), checked against the groups staff have.

Lotse hands tasks to groups, and its staff groups are its roles. A task that names only a person
(``camunda:assignee``, the Camunda Modeler's habit) goes to that person when they are active staff,
else it is refused with the group to add; a candidate group
or lane that no staff member can have is a warning listing the groups that exist. Variables that Lotse
sets by delivering a message (a new incident, a Strafantrag period, the person's new message) count as set for the lint rules.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from engine.bpmn.analysis import caught_messages
from engine.bpmn.files import ModelProblem
from engine.bpmn.parsing import ProcessSpec
from engine.cases.incidents import MESSAGE as INCIDENT_MESSAGE
from engine.cases.incidents import RESULT_VARIABLE as INCIDENT_VARIABLE
from engine.channels.message_events import MESSAGE as NEW_MESSAGE
from engine.channels.message_events import RESULT_VARIABLE as NEW_MESSAGE_VARIABLE
from engine.staff.accounts import ROLES
from engine.strafantrag.periods import MESSAGE as STRAFANTRAG_MESSAGE
from engine.strafantrag.periods import RESULT_VARIABLE as STRAFANTRAG_VARIABLE

DELIVERED_VARIABLES = {
    INCIDENT_MESSAGE: INCIDENT_VARIABLE,
    STRAFANTRAG_MESSAGE: STRAFANTRAG_VARIABLE,
    NEW_MESSAGE: NEW_MESSAGE_VARIABLE,
}


def task_group_problems(element: str, task_spec: Any, staff: frozenset[str]) -> Iterator[ModelProblem]:
    extensions = getattr(task_spec, "extensions", None) or {}
    group = extensions.get("camunda:candidateGroups") or getattr(task_spec, "lane", None)
    groups = ", ".join(ROLES)
    if not group:
        assignee = extensions.get("camunda:assignee")
        if assignee in staff:
            return  # the task goes to this staff member (and team leads see it)
        named = assignee or extensions.get("camunda:candidateUsers")
        if named:
            yield ModelProblem(
                element,
                f"The user task names only the person {named!r} (camunda:assignee or candidateUsers), who "
                f"is no active staff member of Lotse: add camunda:candidateGroups with one of: {groups}.",
                german=f"Die Benutzeraufgabe nennt nur die Person {named!r} (camunda:assignee oder "
                "candidateUsers), die keine aktive Mitarbeiterin und kein aktiver Mitarbeiter von Lotse ist: "
                f"Bitte ergänzen Sie camunda:candidateGroups mit einer dieser Gruppen: {groups}.",
            )
            return
        yield ModelProblem(
            element,
            f"The user task has no candidate group and lies in no lane: add camunda:candidateGroups with "
            f"one of: {groups}.",
            german="Die Benutzeraufgabe hat keine Kandidatengruppe und liegt in keiner Lane: Bitte ergänzen "
            f"Sie camunda:candidateGroups mit einer dieser Gruppen: {groups}.",
        )
        return
    if "," not in group and group.strip() not in ROLES:
        source = "candidate group" if extensions.get("camunda:candidateGroups") else "lane"
        german_source = "Die Kandidatengruppe" if source == "candidate group" else "Die Lane"
        yield ModelProblem(
            element,
            f"The {source} {group!r} is no staff group: nobody will see this task. Staff groups are: {groups}.",
            "warning",
            f"{german_source} {group!r} ist keine Gruppe von Mitarbeitenden: Niemand wird diese Aufgabe "
            f"sehen. Die Gruppen sind: {groups}.",
        )


def delivered_variables(process: ProcessSpec) -> set[str]:
    """The variables Lotse sets by delivering the messages this model catches."""
    return {DELIVERED_VARIABLES[name] for name in caught_messages(process) if name in DELIVERED_VARIABLES}
