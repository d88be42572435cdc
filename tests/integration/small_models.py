"""Small process models for the scheduled-work tests: one counselling step, then the case closes."""

from __future__ import annotations

GESPRAECH_MODEL = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">
  <bpmn:process id="gespraech" isExecutable="true">
    <bpmn:startEvent id="s"/>
    <bpmn:userTask id="rueckruf" name="Rückruf bei Frau Beispiel" camunda:candidateGroups="beratung"
      camunda:dueDate="arbeitsstunden(2)">
      <bpmn:extensionElements><camunda:formData>
        <camunda:formField id="land" label="Land" type="string"/>
        <camunda:formField id="amt" label="Amt" type="string"/>
        <camunda:formField id="schilderung" label="Schilderung" type="string"/>
      </camunda:formData></bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:endEvent id="e"/>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="rueckruf"/>
    <bpmn:sequenceFlow id="f2" sourceRef="rueckruf" targetRef="e"/>
  </bpmn:process>
</bpmn:definitions>""".encode()
