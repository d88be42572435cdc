"""Camunda's ``readonly`` constraint is honoured: the field is not written by the form."""

from __future__ import annotations

from engine.bpmn import forms
from engine.bpmn.parsing import parse_process

MODEL = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">
  <bpmn:process id="kredit" isExecutable="true">
    <bpmn:startEvent id="s"/>
    <bpmn:userTask id="pruefen" name="Antrag pruefen" camunda:candidateGroups="beratung">
      <bpmn:extensionElements><camunda:formData>
        <camunda:formField id="betrag" label="Betrag" type="long">
          <camunda:validation><camunda:constraint name="readonly"/></camunda:validation>
        </camunda:formField>
        <camunda:formField id="genehmigt" label="Genehmigt" type="boolean"/>
      </camunda:formData></bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:endEvent id="e"/>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="pruefen"/>
    <bpmn:sequenceFlow id="f2" sourceRef="pruefen" targetRef="e"/>
  </bpmn:process>
</bpmn:definitions>"""


def test_a_readonly_constraint_keeps_the_form_from_writing_the_field():
    process = parse_process(MODEL)
    task_spec = next(spec for spec in process.spec.task_specs.values() if spec.bpmn_id == "pruefen")
    form = process.form_for(task_spec)
    assert form.field("betrag").readonly and not form.field("genehmigt").readonly
    values, errors = forms.validate(form, {"betrag": "999999", "genehmigt": "on"})
    assert errors == {} and values == {"genehmigt": True}
