"""A second process with a start form (written for these tests): what Neuer Fall must offer and check."""

from __future__ import annotations

START_FORM_MODEL = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">
  <bpmn:process id="schulung" name="Schulungsanfrage" isExecutable="true">
    <bpmn:startEvent id="anfrage">
      <bpmn:extensionElements><camunda:formData>
        <camunda:formField id="teilnehmende" label="Zahl der Teilnehmenden" type="long">
          <camunda:properties><camunda:property id="label_en" value="Number of participants"/></camunda:properties>
          <camunda:validation>
            <camunda:constraint name="required"/><camunda:constraint name="min" config="1"/>
          </camunda:validation>
        </camunda:formField>
        <camunda:formField id="format" label="Format" type="enum">
          <camunda:properties><camunda:property id="label_en.vor_ort" value="On site"/></camunda:properties>
          <camunda:validation><camunda:constraint name="required"/></camunda:validation>
          <camunda:value id="vor_ort" name="Vor Ort"/>
          <camunda:value id="online" name="Online"/>
        </camunda:formField>
        <camunda:formField id="programm" label="Programm" type="string" defaultValue="Grundkurs">
          <camunda:validation><camunda:constraint name="readonly"/></camunda:validation>
        </camunda:formField>
      </camunda:formData></bpmn:extensionElements>
    </bpmn:startEvent>
    <bpmn:userTask id="schulung_planen" name="Schulung planen" camunda:candidateGroups="beratung">
      <bpmn:documentation>Termin mit der Gruppe abstimmen.</bpmn:documentation>
      <bpmn:extensionElements>
        <camunda:properties>
          <camunda:property name="name_en" value="Plan the training"/>
          <camunda:property name="documentation_en" value="Agree a date with the group."/>
        </camunda:properties>
        <camunda:formData>
        <camunda:formField id="termin" label="Termin" type="date"/>
      </camunda:formData></bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:endEvent id="ende"/>
    <bpmn:sequenceFlow id="f1" sourceRef="anfrage" targetRef="schulung_planen"/>
    <bpmn:sequenceFlow id="f2" sourceRef="schulung_planen" targetRef="ende"/>
  </bpmn:process>
</bpmn:definitions>"""
