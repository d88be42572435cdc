"""Deadlines declared on a task expand, before SpiffWorkflow reads the model, into the same elements a
drawn reminder and escalation chain has: the same ids, timers, effects, team-lead step and end events.
The shipped model declares them; its diagram draws the business path only."""

from __future__ import annotations

from itertools import pairwise

import pytest
from lxml import etree
from SpiffWorkflow.bpmn.specs.defaults import BoundaryEvent, EndEvent, IntermediateThrowEvent

from engine.bpmn.deadline_chains import expand_deadlines, owner_of, with_owners
from engine.bpmn.files import ModelError, parse_model_xml
from engine.bpmn.parsing import parse_process
from tests.conftest import shipped_models

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
DECLARING = {  # the shipped model's tasks with a deadline: (overdue at, escalated at)
    "eingang": ("arbeitsstunden(2)", "frist(2, 'arbeitsstunden', ab=arbeitsstunden(2))"),
    "vermittlung": ("frist_vermittlung", "eskalation_vermittlung_ab"),
    "nachfassen": ("frist_nachfassen_bearbeitung", "eskalation_nachfassen_ab"),
    "strafantrag_erinnerung_70": ("arbeitstage(1)", "frist(1, 'arbeitstage', ab=arbeitstage(1))"),
}
CHAIN = ("ueberfaellig", "erinnern", "erinnert", "eskalationsfrist", "eskalieren")


def _model(task: str, extra: str = "", declared: str = "") -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="{BPMN}" xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="d" targetNamespace="t">
  <bpmn:process id="p" isExecutable="true">
    <bpmn:startEvent id="s"/>
    <bpmn:userTask id="{task}" name="Prüfen" camunda:candidateGroups="beratung">
      <bpmn:extensionElements><camunda:properties>{declared}</camunda:properties></bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:endEvent id="e"/>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="{task}"/>
    <bpmn:sequenceFlow id="f2" sourceRef="{task}" targetRef="e"/>
    {extra}
  </bpmn:process>
</bpmn:definitions>""".encode()


def _specs(process) -> dict[str, object]:
    return {
        task_spec.bpmn_id: task_spec
        for spec in [process.spec, *process.subprocess_specs.values()]
        for task_spec in spec.task_specs.values()
        if getattr(task_spec, "bpmn_id", None)
    }


def test_the_shipped_model_draws_no_chain_but_runs_every_one():
    bpmn, dmn = shipped_models()
    drawn = {element.get("id") for element in parse_model_xml(bpmn, "f.bpmn").iter() if element.get("id")}
    specs = _specs(parse_process(bpmn, dmn, "fallbearbeitung.bpmn"))
    assert sum(isinstance(spec, BoundaryEvent) for spec in specs.values()) == 56  # as the issue counted
    assert [element for element in drawn if element.endswith(("_ueberfaellig", "_erinnern"))] == []
    for task, (overdue, escalated) in DECLARING.items():
        timers = {
            suffix: specs[f"{task}_{suffix}"].event_definition.expression
            for suffix in ("ueberfaellig", "eskalationsfrist")
        }
        assert timers == {"ueberfaellig": overdue, "eskalationsfrist": escalated}
        assert specs[f"{task}_ueberfaellig"].cancel_activity is False
        assert specs[f"{task}_erinnern"].extensions == {"lotse:effect": "erinnerung", "lotse:ziel": task}
        assert specs[f"{task}_eskalieren"].extensions == {"lotse:effect": "eskalation", "lotse:ziel": task}
        review = specs[f"eskalation_{task}"]
        assert review.extensions["lotse:escalation"] == "true"
        assert review.extensions["camunda:candidateGroups"] == "teamleitung"
        assert [field.id for field in review.form.fields] == [
            f"eskalation_{task}_massnahme",
            f"eskalation_{task}_notiz",
        ]
        assert isinstance(specs[f"eskalation_{task}_ende"], EndEvent)
        # the team lead's step is reminded and escalated too, without a further step
        assert specs[f"eskalation_{task}_eskalationsfrist"].event_definition.expression == (
            "frist(2, 'arbeitsstunden', ab=arbeitsstunden(2))"
        )
        assert isinstance(specs[f"eskalation_{task}_eskaliert"], EndEvent)
        assert f"eskalation_eskalation_{task}" not in specs
        assert "lotse:frist" not in specs[task].extensions  # the declaration itself is not a property
    assert specs["eskalation_eingang"].bpmn_name == "Eskalation prüfen: Eingang erfassen überfällig"
    assert specs["eskalation_eingang"].extensions["name_en"] == "Check escalation: Record the intake overdue"


def test_a_declaration_without_escalation_only_reminds():
    declared = '<camunda:property name="lotse:frist" value="arbeitstage(3)"/>'
    specs = _specs(parse_process(_model("pruefen", declared=declared)))
    assert isinstance(specs["pruefen_erinnern"], IntermediateThrowEvent)
    assert specs["pruefen_ueberfaellig"].event_definition.expression == "arbeitstage(3)"
    assert "pruefen_eskalationsfrist" not in specs and "eskalation_pruefen" not in specs


def test_a_model_without_declarations_is_read_as_it_is():
    root = parse_model_xml(_model("pruefen"), "p.bpmn")
    assert expand_deadlines(root) is root


def test_a_declaration_that_clashes_with_a_drawn_chain_is_refused_naming_the_task():
    declared = '<camunda:property name="lotse:frist" value="arbeitstage(3)"/>'
    drawn = '<bpmn:endEvent id="pruefen_erinnert"/>'
    with pytest.raises(ModelError) as refused:
        parse_process(_model("pruefen", drawn, declared), bpmn_name="akte.bpmn")
    (problem,) = refused.value.problems
    assert problem.element_id == "pruefen"
    assert "akte.bpmn" in problem.message and "pruefen_erinnert" in problem.message
    assert "gezeichnete Erinnerung" in problem.text("de")


def test_an_empty_declaration_is_refused_at_its_task():
    declared = '<camunda:property name="lotse:eskalation_ab" value=" "/>'
    with pytest.raises(ModelError) as refused:
        parse_process(_model("pruefen", declared=declared), bpmn_name="akte.bpmn")
    (problem,) = refused.value.problems
    assert (problem.element_id, "lotse:eskalation_ab" in problem.message) == ("pruefen", True)


def test_expanded_elements_belong_to_their_task_on_the_diagram():
    tasks = {"vermittlung", "eskalation_vermittlung", "nachfassen"}
    for element in ("vermittlung_ueberfaellig", "eskalation_vermittlung", "eskalation_vermittlung_eskaliert"):
        assert owner_of(element, tasks) == "vermittlung"
    assert owner_of("nachfassen_terminieren", tasks) is None
    active, done = with_owners(
        frozenset({"eskalation_vermittlung", "nachfassen"}), frozenset({"vermittlung"}), tasks
    )
    assert active == {"eskalation_vermittlung", "vermittlung", "nachfassen"} and done == set()


def test_the_expansion_leaves_the_stored_model_untouched():
    bpmn, _ = shipped_models()
    root = parse_model_xml(bpmn, "f.bpmn")
    before = etree.tostring(root)
    expand_deadlines(root)
    assert etree.tostring(root) == before


def test_the_shipped_diagram_draws_every_element_once_and_connects_its_edges():
    bpmn, _ = shipped_models()
    root = parse_model_xml(bpmn, "f.bpmn")
    di = "http://www.omg.org/spec/BPMN/20100524/DI"
    dc = "http://www.omg.org/spec/DD/20100524/DC"
    nodes = {
        element.get("id"): element
        for container in root.iter(f"{{{BPMN}}}process", f"{{{BPMN}}}subProcess")
        for element in container
        if element.get("id") and etree.QName(element).localname not in ("sequenceFlow", "documentation")
    }
    flows = {flow.get("id"): flow for flow in root.iter(f"{{{BPMN}}}sequenceFlow")}
    shapes = [shape.get("bpmnElement") for shape in root.iter(f"{{{di}}}BPMNShape")]
    edges = [edge.get("bpmnElement") for edge in root.iter(f"{{{di}}}BPMNEdge")]
    assert sorted(shapes) == sorted(nodes) and sorted(edges) == sorted(flows)  # each once, nothing else
    bounds = {}
    for shape in root.iter(f"{{{di}}}BPMNShape"):
        box = shape.find(f"{{{dc}}}Bounds")
        x, y, w, h = (float(box.get(name)) for name in ("x", "y", "width", "height"))
        bounds[shape.get("bpmnElement")] = (x, y, x + w, y + h)

    def on_border(point: tuple[float, float], element: str) -> bool:
        left, top, right, bottom = bounds[element]
        inside = left - 1 <= point[0] <= right + 1 and top - 1 <= point[1] <= bottom + 1
        return (
            inside
            and min(abs(point[0] - left), abs(point[0] - right), abs(point[1] - top), abs(point[1] - bottom))
            <= 8
        )

    for edge in root.iter(f"{{{di}}}BPMNEdge"):
        flow = flows[edge.get("bpmnElement")]
        points = [
            (float(p.get("x")), float(p.get("y")))
            for p in edge.iter("{http://www.omg.org/spec/DD/20100524/DI}waypoint")
        ]
        assert on_border(points[0], flow.get("sourceRef")), flow.get("id")
        assert on_border(points[-1], flow.get("targetRef")), flow.get("id")
        assert all(a[0] == b[0] or a[1] == b[1] for a, b in pairwise(points)), flow.get("id")  # right angles
    drawn_width = max(right for _, _, right, _ in bounds.values()) - min(
        left for left, _, _, _ in bounds.values()
    )
    assert drawn_width <= 1150  # fits a 1,366-px screen beside the editor's panel at about 3/4 size
