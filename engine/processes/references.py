"""Ids and references in a BPMN file: every flow element has a unique id, every sequence flow joins two
elements of its own (sub)process, every boundary event sits on an activity of it, every business rule
task names a decision of the model's DMN files.

SpiffWorkflow's parser takes broken references silently (a flow without ``sourceRef`` is dropped) or
fails with a message about something else; these rules name the element instead.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from lxml import etree

from engine.bpmn.files import ModelProblem
from engine.processes.supported_elements import BPMN, CAMUNDA, executable_processes

FLOW_NODES = frozenset(
    {
        "task",
        "userTask",
        "manualTask",
        "scriptTask",
        "serviceTask",
        "sendTask",
        "receiveTask",
        "businessRuleTask",
        "callActivity",
        "subProcess",
        "transaction",
        "adHocSubProcess",
        "startEvent",
        "endEvent",
        "intermediateCatchEvent",
        "intermediateThrowEvent",
        "boundaryEvent",
        "exclusiveGateway",
        "parallelGateway",
        "inclusiveGateway",
        "eventBasedGateway",
        "complexGateway",
    }
)
CONTAINERS = frozenset({"subProcess", "transaction", "adHocSubProcess"})
# (element, attribute, what it names in English and in German)
REFERENCES = (
    ("sequenceFlow", "sourceRef", "source", "die Quelle"),
    ("sequenceFlow", "targetRef", "target", "das Ziel"),
    ("boundaryEvent", "attachedToRef", "activity", "die Aktivität"),
)


def broken_references(root: etree._Element) -> list[ModelProblem]:
    """One problem per missing or duplicate id and per reference to nothing, in document order."""
    problems: list[ModelProblem] = []
    for process in executable_processes(root):
        if not process.get("id"):
            problems.append(
                ModelProblem(
                    None, "The executable process has no id.", german="Der ausführbare Prozess hat keine ID."
                )
            )
        problems.extend(_missing_ids(process))
        problems.extend(_dangling(process))
    problems.extend(_duplicates(root))
    return problems


def unknown_decisions(root: etree._Element, dmn_roots: list[etree._Element]) -> list[ModelProblem]:
    """Business rule tasks whose ``camunda:decisionRef`` names no decision in the DMN files."""
    decisions = {
        element.get("id")
        for dmn in dmn_roots
        for element in dmn.iter(etree.Element)
        if etree.QName(element).localname == "decision"
    }
    return [
        ModelProblem(
            task.get("id"),
            f"The decision {reference!r} (camunda:decisionRef) is in none of the model's DMN files: upload "
            "the decision table too.",
            german=f"Die Entscheidung {reference!r} (camunda:decisionRef) steht in keiner DMN-Datei des "
            "Modells: Bitte laden Sie die Entscheidungstabelle mit hoch.",
        )
        for process in executable_processes(root)
        for task in process.iter(f"{BPMN}businessRuleTask")
        if (reference := task.get(f"{CAMUNDA}decisionRef")) and reference not in decisions
    ]


def _localname(element: etree._Element) -> str:
    return element.tag[len(BPMN) :] if element.tag.startswith(BPMN) else ""


def _missing_ids(process: etree._Element) -> Iterator[ModelProblem]:
    for element in process.iter(etree.Element):
        kind = _localname(element)
        if (kind in FLOW_NODES or kind == "sequenceFlow") and not element.get("id"):
            label = f"{kind} {element.get('name')!r}" if element.get("name") else kind
            yield ModelProblem(
                None, f"An element {label} has no id.", german=f"Ein Element {label} hat keine ID."
            )


def _dangling(process: etree._Element) -> Iterator[ModelProblem]:
    containers = [process, *(e for e in process.iter(etree.Element) if _localname(e) in CONTAINERS)]
    for container in containers:
        children = [(child, _localname(child)) for child in container.iterchildren(etree.Element)]
        nodes = {child.get("id") for child, kind in children if kind in FLOW_NODES}
        for element, kind in children:
            yield from _unjoined(element, kind, nodes)


def _unjoined(element: etree._Element, kind: str, nodes: set[str | None]) -> Iterator[ModelProblem]:
    for owner, attribute, english, german in REFERENCES:
        if kind == owner:
            target = element.get(attribute)
            if not target:
                yield ModelProblem(
                    element.get("id"),
                    f"The {kind} names no {english} ({attribute}).",
                    german=f"Beim Element {kind} fehlt {german} ({attribute}).",
                )
            elif target not in nodes:
                yield ModelProblem(
                    element.get("id"),
                    f"The {english} {target!r} ({attribute}) is no element of the same process or subprocess.",
                    german=f"{german[:1].upper()}{german[1:]} {target!r} ({attribute}) ist kein Element desselben "
                    "Prozesses oder Teilprozesses.",
                )


def _duplicates(root: etree._Element) -> Iterator[ModelProblem]:
    counts = Counter(
        element.get("id")
        for element in root.iter(etree.Element)
        if element.tag.startswith(BPMN) and element.get("id")  # Camunda's form fields have ids per form
    )
    for ident, count in counts.items():
        if count > 1:
            yield ModelProblem(
                ident,
                f"{count} elements have this id: each id must be unique in the file.",
                german=f"{count} Elemente haben diese ID: Jede ID darf in der Datei nur einmal vorkommen.",
            )
