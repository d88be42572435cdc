"""The review understands declared deadlines: a deadline variable set by a script task is no warning,
one that nothing sets is warned about at the task that declares it (the editor draws no timer)."""

from __future__ import annotations

from engine.processes.deployment import examine

MODEL = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">
  <bpmn:process id="unterlagen" name="Unterlagen" isExecutable="true">
    <bpmn:startEvent id="s"/>
    <bpmn:scriptTask id="fristen_setzen" name="Fristen setzen" scriptFormat="python">
      <bpmn:script>frist_pruefen = arbeitstage(2)
eskalation_pruefen_ab = frist(1, 'arbeitstage', ab=frist_pruefen)</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:userTask id="pruefen" name="Unterlagen prüfen" camunda:candidateGroups="beratung"
        camunda:dueDate="frist_pruefen">
      <bpmn:extensionElements>
        <camunda:properties>
          <camunda:property name="lotse:frist" value="{overdue}"/>
          <camunda:property name="lotse:eskalation_ab" value="eskalation_pruefen_ab"/>
        </camunda:properties>
        <camunda:formData><camunda:formField id="vollstaendig" label="Vollständig" type="boolean"/></camunda:formData>
      </bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:endEvent id="e"/>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="fristen_setzen"/>
    <bpmn:sequenceFlow id="f2" sourceRef="fristen_setzen" targetRef="pruefen"/>
    <bpmn:sequenceFlow id="f3" sourceRef="pruefen" targetRef="e"/>
  </bpmn:process>
</bpmn:definitions>"""


def _review(ctx, clock, overdue: str):
    return examine(ctx, MODEL.format(overdue=overdue).encode(), {}, clock.now(), "unterlagen.bpmn")


def test_a_deadline_variable_set_by_a_script_task_gives_no_warning(ctx, clock):
    process, problems = _review(ctx, clock, "frist_pruefen")
    assert process is not None and problems == []
    assert {"pruefen_ueberfaellig", "pruefen_eskalationsfrist"} <= set(process.spec.task_specs)  # expanded


def test_a_deadline_nothing_sets_is_warned_about_at_its_task(ctx, clock):
    _, problems = _review(ctx, clock, "frist_pruefn")
    assert [(problem.element_id, problem.severity) for problem in problems] == [("pruefen", "warning")]
    assert "pruefen_ueberfaellig" in problems[0].message and "frist_pruefn" in problems[0].message


def test_a_camunda_habit_in_a_declaration_is_explained_at_its_task(ctx, clock):
    _, problems = _review(ctx, clock, "${frist_pruefen}")
    (problem,) = [problem for problem in problems if problem.severity == "error"]
    assert problem.element_id == "pruefen"
    assert "JUEL" in problem.message and "write frist_pruefen" in problem.message
