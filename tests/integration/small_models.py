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


# A script that reads case data, so review can neither try it nor see it run away: with ``anzahl`` 0 it
# ends at once, with any other number it counts up for ever (until the sandbox's time bound stops it).
COUNTING_SCRIPT = "n = anzahl\nwhile n != 0:\n    n = n + 1\nergebnis = n"

_HEADER = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  id="d" targetNamespace="t">"""
_SCRIPT = f"""<bpmn:scriptTask id="zaehlen" name="Zählen" scriptFormat="python">
      <bpmn:script>{COUNTING_SCRIPT}</bpmn:script></bpmn:scriptTask>"""

# after a timer of one working hour the script runs, then a person goes on
COUNTING_TIMER_MODEL = f"""{_HEADER}
  <bpmn:process id="zaehlwecker" isExecutable="true">
    <bpmn:startEvent id="s"/>
    <bpmn:intermediateCatchEvent id="eine_stunde"><bpmn:timerEventDefinition>
      <bpmn:timeDate xsi:type="bpmn:tFormalExpression">arbeitsstunden(1)</bpmn:timeDate>
    </bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
    {_SCRIPT}
    <bpmn:userTask id="danach" name="Danach" camunda:candidateGroups="beratung"/>
    <bpmn:endEvent id="e"/>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="eine_stunde"/>
    <bpmn:sequenceFlow id="f2" sourceRef="eine_stunde" targetRef="zaehlen"/>
    <bpmn:sequenceFlow id="f3" sourceRef="zaehlen" targetRef="danach"/>
    <bpmn:sequenceFlow id="f4" sourceRef="danach" targetRef="e"/>
  </bpmn:process>
</bpmn:definitions>""".encode()

# a person types ``anzahl``; the script runs when the task is submitted
COUNTING_TASK_MODEL = f"""{_HEADER}
  <bpmn:process id="zaehlaufgabe" isExecutable="true">
    <bpmn:startEvent id="s"/>
    <bpmn:userTask id="erfassen" name="Anzahl erfassen" camunda:candidateGroups="beratung">
      <bpmn:extensionElements><camunda:formData>
        <camunda:formField id="anzahl" label="Anzahl" type="long"/>
        <camunda:formField id="notiz" label="Notiz" type="string"/>
      </camunda:formData></bpmn:extensionElements>
    </bpmn:userTask>
    {_SCRIPT}
    <bpmn:userTask id="danach" name="Danach" camunda:candidateGroups="beratung"/>
    <bpmn:endEvent id="e"/>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="erfassen"/>
    <bpmn:sequenceFlow id="f2" sourceRef="erfassen" targetRef="zaehlen"/>
    <bpmn:sequenceFlow id="f3" sourceRef="zaehlen" targetRef="danach"/>
    <bpmn:sequenceFlow id="f4" sourceRef="danach" targetRef="e"/>
  </bpmn:process>
</bpmn:definitions>""".encode()

# the script runs right at the start: opening a case runs it
COUNTING_START_MODEL = f"""{_HEADER}
  <bpmn:process id="zaehlstart" isExecutable="true">
    <bpmn:startEvent id="s"/>
    {_SCRIPT}
    <bpmn:userTask id="danach" name="Danach" camunda:candidateGroups="beratung"/>
    <bpmn:endEvent id="e"/>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="zaehlen"/>
    <bpmn:sequenceFlow id="f2" sourceRef="zaehlen" targetRef="danach"/>
    <bpmn:sequenceFlow id="f3" sourceRef="danach" targetRef="e"/>
  </bpmn:process>
</bpmn:definitions>""".encode()


def with_time_bound(ctx, seconds: float):  # type: ignore[no-untyped-def]
    """The context with model code bounded to ``seconds`` (the default is 1 s; a wider bound makes a
    lock held while model code runs plainly visible)."""
    from engine.bpmn.runtime import Runtime
    from engine.sandbox.budget import Limits
    from engine.sandbox.restricted import Sandbox

    current = ctx.runtime.script_engine.environment
    ctx.runtime = Runtime(Sandbox(current.helpers, Limits(seconds=seconds, memory=current.limits.memory)))
    return ctx


# a person waits at "Begleiten"; a "Neuer Vorfall" message starts an event sub-process whose script counts
COUNTING_INCIDENT_MODEL = f"""{_HEADER}
  <bpmn:message id="nachricht" name="neuer_vorfall"/>
  <bpmn:process id="zaehlvorfall" isExecutable="true">
    <bpmn:startEvent id="s"/>
    <bpmn:userTask id="begleiten" name="Begleiten" camunda:candidateGroups="beratung"/>
    <bpmn:endEvent id="e"/>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="begleiten"/>
    <bpmn:sequenceFlow id="f2" sourceRef="begleiten" targetRef="e"/>
    <bpmn:subProcess id="vorfall" name="Neuer Vorfall" triggeredByEvent="true">
      <bpmn:startEvent id="gemeldet" isInterrupting="false">
        <bpmn:messageEventDefinition messageRef="nachricht"/>
      </bpmn:startEvent>
      {_SCRIPT}
      <bpmn:userTask id="neu_einschaetzen" name="Neu einschätzen" camunda:candidateGroups="beratung"/>
      <bpmn:endEvent id="ve"/>
      <bpmn:sequenceFlow id="v1" sourceRef="gemeldet" targetRef="zaehlen"/>
      <bpmn:sequenceFlow id="v2" sourceRef="zaehlen" targetRef="neu_einschaetzen"/>
      <bpmn:sequenceFlow id="v3" sourceRef="neu_einschaetzen" targetRef="ve"/>
    </bpmn:subProcess>
  </bpmn:process>
</bpmn:definitions>""".encode()
