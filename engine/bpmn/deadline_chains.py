"""Deadlines declared on a user task, expanded into the reminder and escalation chain Lotse runs.

A process owner declares on a user task (``camunda:properties``):

- ``lotse:frist``: when the step is overdue (an expression or a variable, like ``camunda:dueDate``);
  the people responsible are then reminded;
- ``lotse:eskalation_ab``: when the overdue step is escalated: its priority rises and the team lead
  gets a step "Eskalation prüfen: … überfällig" (which is itself reminded and escalated, without a
  further team-lead step).

Before SpiffWorkflow reads a model, each declaration becomes the elements a modeller would otherwise
draw by hand: two non-interrupting boundary timers, the throw events with their ``lotse:effect``, the
team lead's step with its form and English texts, their end events and the sequence flows between them,
with fixed ids (``<task>_ueberfaellig``, ``<task>_erinnern``, ``eskalation_<task>`` …) so that running
cases, stored test cases, statistics and the inbox see the same elements as in a drawn chain. The
expansion adds no diagram: the diagram shows the business path only.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator

from lxml import etree

from engine.bpmn.files import ModelError, ModelProblem

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA = "http://camunda.org/schema/1.0/bpmn"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
DEADLINE_PROPERTY = "lotse:frist"
ESCALATION_AFTER_PROPERTY = "lotse:eskalation_ab"
DECLARATIONS = (DEADLINE_PROPERTY, ESCALATION_AFTER_PROPERTY)
ESCALATION_PREFIX = "eskalation_"
# the team lead's step: due in two office hours, escalated two office hours after that
ESCALATION_DEADLINE = "arbeitsstunden(2)"
ESCALATION_ESCALATED_AFTER = "frist(2, 'arbeitsstunden', ab=arbeitsstunden(2))"
# the elements an expansion adds for task ``{t}`` (the escalation step's own chain included)
GENERATED_PATTERNS = (
    "{t}_ueberfaellig",
    "{t}_erinnern",
    "{t}_erinnert",
    "{t}_eskalationsfrist",
    "{t}_eskalieren",
    "eskalation_{t}",
    "eskalation_{t}_ende",
)
OUTCOMES = (
    ("beratung_kontaktiert", "Mit der zuständigen Person geklärt, Bearbeitung heute"),
    ("fall_uebernommen", "Fall übernommen oder neu zugewiesen"),
    ("verzoegerung_vertretbar", "Verzögerung vertretbar (siehe Notiz)"),
)
OUTCOMES_EN = {
    "beratung_kontaktiert": "Clarified with the person responsible, done today",
    "fall_uebernommen": "Case taken over or reassigned",
    "verzoegerung_vertretbar": "Delay justifiable (see note)",
}


def _tag(name: str, namespace: str = BPMN) -> str:
    return f"{{{namespace}}}{name}"


def declared_deadlines(task: etree._Element) -> dict[str, str]:
    """The deadline declarations of one user task (property name → non-empty value)."""
    found = {}
    for prop in task.iterfind(
        f"{_tag('extensionElements')}/{_tag('properties', CAMUNDA)}/{_tag('property', CAMUNDA)}"
    ):
        name = prop.get("name")
        if name in DECLARATIONS:
            found[name] = (prop.get("value") or "").strip()
    return found


def declaring_tasks(root: etree._Element) -> Iterator[etree._Element]:
    """Every user task that declares a deadline, in document order."""
    for task in root.iter(_tag("userTask")):
        if declared_deadlines(task):
            yield task


def owner_of(element_id: str, declared: set[str]) -> str | None:
    """The declaring task an expanded element belongs to (None for an element of the drawn model)."""
    owners = [task for task in declared if element_id in _generated_ids(task)]
    return min(owners, key=len) if owners else None


def _generated_ids(task: str) -> set[str]:
    review = f"{ESCALATION_PREFIX}{task}"
    own = {pattern.format(t=task) for pattern in GENERATED_PATTERNS}
    return own | {pattern.format(t=review) for pattern in GENERATED_PATTERNS[:5]} | {f"{review}_eskaliert"}


def expand_deadlines(root: etree._Element, file_name: str = "process.bpmn") -> etree._Element:
    """A copy of the model with every declared deadline expanded (the model itself when none is)."""
    if not any(True for _ in declaring_tasks(root)):
        return root
    expanded = copy.deepcopy(root)
    taken = {element.get("id") for element in expanded.iter() if element.get("id")}
    problems: list[ModelProblem] = []
    for task in list(declaring_tasks(expanded)):
        problems.extend(_expand_task(task, taken, file_name))
    if problems:
        raise ModelError(problems)
    return expanded


def _expand_task(task: etree._Element, taken: set[str], file_name: str) -> list[ModelProblem]:
    task_id = task.get("id") or ""
    declared = declared_deadlines(task)
    _drop_declarations(task)
    empty = [name for name, value in declared.items() if not value]
    if empty:
        return [
            _problem(
                task_id,
                file_name,
                f"{' and '.join(empty)} has no value",
                f"{' und '.join(empty)} hat keinen Wert",
            )
        ]
    chain = _Chain(task.getparent(), task_id)
    deadline, escalate_after = declared.get(DEADLINE_PROPERTY), declared.get(ESCALATION_AFTER_PROPERTY)
    if deadline:
        chain.reminder(deadline)
    if escalate_after:
        if task.find(f".//{_tag('property', CAMUNDA)}[@name='lotse:escalation'][@value='true']") is not None:
            chain.escalation(escalate_after, review=None)
        else:
            chain.escalation(escalate_after, review=_escalation_task(task))
    clashes = sorted(set(chain.ids) & taken)
    if clashes:
        return [
            _problem(
                task_id,
                file_name,
                f"the deadline declared here would add {', '.join(clashes)}, which the model already "
                "draws; remove the drawn reminder and escalation or the declaration",
                f"die hier erklärte Frist würde {', '.join(clashes)} anlegen, das das Modell schon "
                "zeichnet; entfernen Sie die gezeichnete Erinnerung und Eskalation oder die Erklärung",
            )
        ]
    taken.update(chain.ids)
    chain.attach()
    return []


def _problem(task_id: str, file_name: str, english: str, german: str) -> ModelProblem:
    return ModelProblem(task_id, f"{file_name}: {english}.", german=f"{file_name}: {german}.")


def _drop_declarations(task: etree._Element) -> None:
    for prop in list(task.iter(_tag("property", CAMUNDA))):
        if prop.get("name") in DECLARATIONS:
            holder = prop.getparent()
            holder.remove(prop)
            if len(holder) == 0:
                extension = holder.getparent()
                extension.remove(holder)
                if len(extension) == 0:
                    task.remove(extension)


class _Chain:
    """The elements one declaration adds, collected and then appended to the task's container."""

    def __init__(self, container: etree._Element, task_id: str) -> None:
        self.container = container
        self.task = task_id
        self.elements: list[etree._Element] = []
        self.ids: list[str] = []

    def _add(self, element: etree._Element) -> etree._Element:
        self.elements.append(element)
        self.ids.append(element.get("id") or "")
        return element

    def _element(self, kind: str, element_id: str, name: str, **attributes: str) -> etree._Element:
        return self._add(etree.Element(_tag(kind), id=element_id, name=name, **attributes))

    def _flow(self, flow_id: str, source: etree._Element, target: etree._Element) -> None:
        self._add(
            etree.Element(
                _tag("sequenceFlow"), id=flow_id, sourceRef=source.get("id"), targetRef=target.get("id")
            )
        )
        etree.SubElement(source, _tag("outgoing")).text = flow_id
        incoming = etree.Element(_tag("incoming"))
        incoming.text = flow_id
        target.insert(_after_extensions(target), incoming)

    def _timer(self, suffix: str, name: str, expression: str) -> etree._Element:
        element_id = f"{self.task}_{suffix}"
        event = self._element(
            "boundaryEvent", element_id, name, cancelActivity="false", attachedToRef=self.task
        )
        definition = etree.SubElement(event, _tag("timerEventDefinition"), id=f"{element_id}_timer")
        time_date = etree.SubElement(definition, _tag("timeDate"))
        time_date.set(_tag("type", XSI), "bpmn:tFormalExpression")
        time_date.text = expression
        return event

    def _throw(self, suffix: str, name: str, effect: str) -> etree._Element:
        event = self._element("intermediateThrowEvent", f"{self.task}_{suffix}", name)
        extension = etree.SubElement(event, _tag("extensionElements"))
        properties = etree.SubElement(extension, _tag("properties", CAMUNDA))
        etree.SubElement(properties, _tag("property", CAMUNDA), name="lotse:effect", value=effect)
        etree.SubElement(properties, _tag("property", CAMUNDA), name="lotse:ziel", value=self.task)
        return event

    def reminder(self, deadline: str) -> None:
        timer = self._timer("ueberfaellig", "Frist abgelaufen", deadline)
        remind = self._throw("erinnern", "Zuständige erinnern", "erinnerung")
        reminded = self._element("endEvent", f"{self.task}_erinnert", "Erinnert")
        self._flow(f"flow_{self.task}_frist_erinnern", timer, remind)
        self._flow(f"flow_{self.task}_erinnert", remind, reminded)

    def escalation(self, after: str, review: etree._Element | None) -> None:
        timer = self._timer("eskalationsfrist", "Eskalationsabstand", after)
        escalate = self._throw("eskalieren", "Priorität erhöhen, Fall eskalieren", "eskalation")
        self._flow(f"flow_{self.task}_eskalationsfrist", timer, escalate)
        if review is None:  # the team lead's own step ends here: no step above the team lead
            escalated = self._element("endEvent", f"{self.task}_eskaliert", "Eskaliert")
            self._flow(f"flow_{self.task}_eskaliert", escalate, escalated)
            return
        self._add(review)
        self._flow(f"flow_{self.task}_zur_eskalation", escalate, review)
        review_id = review.get("id") or ""
        done = self._element("endEvent", f"{review_id}_ende", "Eskalation geprüft")
        self._flow(f"flow_{review_id}_ende", review, done)
        own = _Chain(self.container, review_id)
        own.reminder(ESCALATION_DEADLINE)
        own.escalation(ESCALATION_ESCALATED_AFTER, review=None)
        for element in own.elements:
            self._add(element)

    def attach(self) -> None:
        for element in self.elements:
            self.container.append(element)


def _after_extensions(element: etree._Element) -> int:
    """Where ``incoming`` goes: after documentation and extension elements."""
    position = 0
    for index, child in enumerate(element):
        if child.tag in (_tag("documentation"), _tag("extensionElements")):
            position = index + 1
    return position


def _english_name(task: etree._Element) -> str:
    for prop in task.iter(_tag("property", CAMUNDA)):
        if prop.get("name") == "name_en" and prop.get("value"):
            return prop.get("value") or ""
    return task.get("name") or task.get("id") or ""


def _escalation_task(task: etree._Element) -> etree._Element:
    """The team lead's step for an overdue ``task``, its texts from one template with the task's name."""
    task_id = task.get("id") or ""
    name, english = task.get("name") or task_id, _english_name(task)
    review_id = f"{ESCALATION_PREFIX}{task_id}"
    review = etree.Element(
        _tag("userTask"),
        {
            "id": review_id,
            "name": f"Eskalation prüfen: {name} überfällig",
            _tag("candidateGroups", CAMUNDA): "teamleitung",
            _tag("dueDate", CAMUNDA): ESCALATION_DEADLINE,
            _tag("priority", CAMUNDA): "95",
        },
    )
    etree.SubElement(review, _tag("documentation")).text = (
        f"Die Frist für „{name}“ ist abgelaufen, die Zuständigen wurden erinnert, und auch der "
        "Eskalationsabstand ist verstrichen. Klären Sie mit der zuständigen Person, was fehlt, und sorgen "
        "Sie dafür, dass heute bearbeitet oder der Fall übernommen wird."
    )
    extension = etree.SubElement(review, _tag("extensionElements"))
    _properties(
        extension,
        "name",
        {
            "name_en": f"Check escalation: {english} overdue",
            "documentation_en": f"The deadline for “{english}” has passed, the people responsible were "
            "reminded, and the escalation interval has passed too. Find out from the person responsible "
            "what is missing and make sure the step is done today or the case is taken over.",
        },
    )
    form = etree.SubElement(extension, _tag("formData", CAMUNDA))
    action = etree.SubElement(
        form, _tag("formField", CAMUNDA), id=f"{review_id}_massnahme", label="Maßnahme", type="enum"
    )
    _properties(
        action,
        "id",
        {"label_en": "Action taken", **{f"label_en.{key}": text for key, text in OUTCOMES_EN.items()}},
    )
    validation = etree.SubElement(action, _tag("validation", CAMUNDA))
    etree.SubElement(validation, _tag("constraint", CAMUNDA), name="required")
    for key, text in OUTCOMES:
        etree.SubElement(action, _tag("value", CAMUNDA), id=key, name=text)
    note = etree.SubElement(
        form, _tag("formField", CAMUNDA), id=f"{review_id}_notiz", label="Notiz", type="string"
    )
    _properties(note, "id", {"label_en": "Note", "multiline": "true"})
    _properties(extension, "name", {"lotse:escalation": "true"})
    return review


def _properties(parent: etree._Element, key: str, values: dict[str, str]) -> None:
    holder = etree.SubElement(parent, _tag("properties", CAMUNDA))
    for name, value in values.items():
        etree.SubElement(holder, _tag("property", CAMUNDA), {key: name, "value": value})


def with_owners(
    active: frozenset[str], done: frozenset[str], tasks: set[str]
) -> tuple[frozenset[str], frozenset[str]]:
    """Active and done elements, with the task an active expanded element belongs to counted as active:
    the diagram does not draw the expansion, so a case at "Eskalation prüfen: …" shows at its task."""
    owners = {owner for element in active if (owner := owner_of(element, tasks)) is not None}
    return active | owners, done - owners


def at_declaring_tasks(problems: list[ModelProblem], root: etree._Element) -> list[ModelProblem]:
    """Problems found on expanded elements, shown at the task that declares them (the editor draws no
    expanded element), saying that they concern its reminder or escalation."""
    tasks = {task.get("id") or "" for task in declaring_tasks(root)}
    if not tasks:
        return problems
    moved = []
    for problem in problems:
        element, _, rest = (problem.element_id or "").partition(" / ")
        owner = owner_of(element, tasks)
        if owner is None:
            moved.append(problem)
            continue
        where = f"{owner} / {rest}" if rest else owner
        moved.append(
            ModelProblem(
                where,
                f"reminder or escalation ({element}): {problem.message}",
                problem.severity,
                f"Erinnerung oder Eskalation ({element}): {problem.german}" if problem.german else None,
            )
        )
    return moved
