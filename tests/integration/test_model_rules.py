"""Lint rules before deployment: each rule refuses (or warns about) the element it names; nothing is stored."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from engine.bpmn.files import ModelError
from engine.processes.deployment import deploy_process
from engine.processes.rules import covers_every_case
from engine.store.tables import ProcessVersion
from tests.integration.test_deploy import _model_with

FORM = (
    '<bpmn:extensionElements><camunda:formData><camunda:formField id="notiz" label="Notiz" type="string"/>'
    "</camunda:formData></bpmn:extensionElements>"
)


def _versions(ctx) -> int:
    with ctx.unit_of_work() as session:
        return session.scalar(select(func.count()).select_from(ProcessVersion))


def _task_model(
    attributes: str = 'camunda:candidateGroups="beratung"', form: str = FORM, lanes: str = ""
) -> bytes:
    return _model_with(
        f'{lanes}<bpmn:startEvent id="s"/><bpmn:userTask id="aufgabe" name="Aufgabe" {attributes}>{form}'
        '</bpmn:userTask><bpmn:endEvent id="e"/>'
        '<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="aufgabe"/>'
        '<bpmn:sequenceFlow id="f2" sourceRef="aufgabe" targetRef="e"/>'
    )


def _timer_model(kind: str, expression: str) -> bytes:
    return _model_with(
        '<bpmn:startEvent id="s"/><bpmn:intermediateCatchEvent id="wecker"><bpmn:timerEventDefinition>'
        f'<bpmn:{kind} xsi:type="bpmn:tFormalExpression">{expression}</bpmn:{kind}>'
        '</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent><bpmn:endEvent id="e"/>'
        '<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="wecker"/>'
        '<bpmn:sequenceFlow id="f2" sourceRef="wecker" targetRef="e"/>'
    )


def _gateway_model(first: str, second: str, default: str = "", form: str = FORM) -> bytes:
    return _model_with(
        '<bpmn:startEvent id="s"/>'
        f'<bpmn:userTask id="frage" camunda:candidateGroups="beratung">{form}</bpmn:userTask>'
        f'<bpmn:exclusiveGateway id="weiche" {default}/><bpmn:endEvent id="e1"/><bpmn:endEvent id="e2"/>'
        '<bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="frage"/>'
        '<bpmn:sequenceFlow id="f1" sourceRef="frage" targetRef="weiche"/>'
        '<bpmn:sequenceFlow id="f2" sourceRef="weiche" targetRef="e1">'
        f'<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{first}</bpmn:conditionExpression>'
        '</bpmn:sequenceFlow><bpmn:sequenceFlow id="f3" sourceRef="weiche" targetRef="e2">'
        f'<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{second}</bpmn:conditionExpression>'
        "</bpmn:sequenceFlow>"
    )


def _script_model(script: str) -> bytes:
    return _model_with(
        '<bpmn:startEvent id="s"/><bpmn:scriptTask id="skript" scriptFormat="python">'
        f'<bpmn:script>{script}</bpmn:script></bpmn:scriptTask><bpmn:endEvent id="e"/>'
        '<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="skript"/>'
        '<bpmn:sequenceFlow id="f2" sourceRef="skript" targetRef="e"/>'
    )


def _decision_model(output: str, value: str = '"ja"') -> tuple[bytes, dict[str, bytes]]:
    bpmn = _model_with(
        '<bpmn:startEvent id="s"/><bpmn:businessRuleTask id="regeln" camunda:decisionRef="entscheidung"/>'
        '<bpmn:endEvent id="e"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="regeln"/>'
        '<bpmn:sequenceFlow id="f2" sourceRef="regeln" targetRef="e"/>'
    )
    dmn = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="dd" name="d" namespace="t">'
        '<decision id="entscheidung" name="E"><decisionTable id="tabelle" hitPolicy="UNIQUE">'
        '<input id="i1" label="x"><inputExpression id="ie1" typeRef="string"><text>1</text></inputExpression></input>'
        f'<output id="o1" name="{output}" typeRef="string"/>'
        '<rule id="r1"><inputEntry id="c1"><text>1</text></inputEntry>'
        f'<outputEntry id="c2"><text>{value}</text></outputEntry></rule>'
        "</decisionTable></decision></definitions>"
    ).encode()
    return bpmn, {"entscheidung.dmn": dmn}


ENUM_FORM = (
    '<bpmn:extensionElements><camunda:formData><camunda:formField id="wahl" label="Wahl" type="enum">'
    '<camunda:value id="a" name="A"/><camunda:value id="b" name="B"/></camunda:formField>'
    "</camunda:formData></bpmn:extensionElements>"
)
LANES = (
    '<bpmn:laneSet id="ls"><bpmn:lane id="lane_beratung" name="beratung">'
    "<bpmn:flowNodeRef>aufgabe</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>"
)

REFUSED = {
    "user task without group or lane": (_task_model(attributes=""), "aufgabe", "candidate group"),
    "unsupported field type": (
        _task_model(form=FORM.replace('type="string"', 'type="file"')),
        "aufgabe",
        "unsupported type",
    ),
    "reserved field name": (
        _task_model(form=FORM.replace('id="notiz"', 'id="typename"')),
        "aufgabe",
        "reserved",
    ),
    "timer date not a date": (_timer_model("timeDate", "'bald'"), "wecker", "ISO 8601 date-time"),
    "timer date without offset": (_timer_model("timeDate", "'2026-07-01T10:00:00'"), "wecker", "ISO 8601"),
    "timer that raises": (_timer_model("timeDate", "arbeitstage(1) + 1"), "wecker", "fails"),
    "timer duration not a duration": (_timer_model("timeDuration", "'eine Stunde'"), "wecker", "duration"),
    "due date not a date": (
        _task_model('camunda:candidateGroups="beratung" camunda:dueDate="\'morgen\'"'),
        "aufgabe",
        "dueDate",
    ),
    "priority out of range": (
        _task_model('camunda:candidateGroups="beratung" camunda:priority="101"'),
        "aufgabe",
        "priority",
    ),
    "priority that does not finish": (
        _task_model('camunda:candidateGroups="beratung" camunda:priority="9 ** 9 ** 9"'),
        "aufgabe",
        "does not finish",
    ),
    "priority that breaks the time bound when tried": (
        _task_model('camunda:candidateGroups="beratung" camunda:priority="sum(n for n in range(10**11))"'),
        "aufgabe",
        "Time bound exceeded",
    ),
    "timer that needs too much memory": (_timer_model("timeDuration", "'P' * 10 ** 11"), "wecker", "256 MiB"),
    "script that never ends": (_script_model("while True:\n    pass"), "skript", "never ends"),
    "script whose loop condition nothing changes": (
        _script_model("n = 0\nwhile n &gt;= 0:\n    pass"),
        "skript",
        "never changes",
    ),
    "script computing a number beyond the bounds": (
        _script_model("x = 10**10**8"),
        "skript",
        "binary digits",
    ),
    "script that runs away when tried": (
        _script_model("liste = []\nwhile len(liste) &gt;= 0:\n    liste.append(1)"),
        "skript",
        "Time bound exceeded",
    ),
    "script that fails without case data": (_script_model("x = [][0]"), "skript", "IndexError"),
    "gateway condition running through 10**11 numbers": (
        _gateway_model("max(range(10**11)) &gt; 0", "x == 'b'", default='default="f3"'),
        "weiche",
        "100,000,000,000 numbers",
    ),
    "gateway condition that runs away when tried": (
        _gateway_model("sum(n for n in range(10**11)) &gt; 0", "x == 'b'", default='default="f3"'),
        "weiche",
        "Time bound exceeded",
    ),
    "decision cell beyond the memory bound": (
        _decision_model("stufe", "'x' * 10**10"),
        "regeln / rule 1",
        "MiB",
    ),
    "gateway not covering every case": (_gateway_model("x == 'a'", "x == 'b'"), "weiche", "default flow"),
    "enum gateway missing a value": (
        _gateway_model("wahl == 'a'", "wahl == 'c'", form=ENUM_FORM),
        "weiche",
        "default flow",
    ),
    "script hiding a helper": (_script_model("arbeitstage = 3"), "skript", "helper"),
    "script writing a reserved name": (_script_model("lotse_intern = 1"), "skript", "reserved"),
    "decision output with a reserved name": (_decision_model("typename"), "regeln", "reserved"),
}


@pytest.mark.parametrize("rule", sorted(REFUSED))
def test_each_rule_refuses_naming_the_element_and_stores_nothing(ctx, rule):
    model, element, words = REFUSED[rule]
    bpmn, dmn = model if isinstance(model, tuple) else (model, {})
    with pytest.raises(ModelError) as raised:
        deploy_process(ctx, "paul", bpmn, dmn)
    named = [p for p in raised.value.problems if p.element_id == element and p.severity == "error"]
    assert named and any(words in p.message for p in named), raised.value.problems
    assert all(p.german for p in named), "every refusal also says it in German"
    assert _versions(ctx) == 0


ACCEPTED = {
    "group from a lane": _task_model(attributes="", lanes=LANES),
    "timer from a helper": _timer_model("timeDate", "arbeitstage(2)"),
    "timer duration": _timer_model("timeDuration", "'PT4H'"),
    "due date and priority": _task_model(
        'camunda:candidateGroups="beratung" camunda:dueDate="arbeitsstunden(2)" camunda:priority="80"'
    ),
    "gateway with a default flow": _gateway_model("x == 'a'", "x == 'b'", default='default="f3"'),
    "gateway with complementary conditions": _gateway_model("x == 'a'", "x != 'a'"),
    "gateway with a condition and its negation": _gateway_model("dringend", "not dringend"),
    "gateway covering every enum value": _gateway_model("wahl == 'a'", "wahl in ('b',)", form=ENUM_FORM),
    "script with a loop that ends": _script_model(
        "i = 0\nwhile True:\n    i += 1\n    if i &gt; 3:\n        break"
    ),
    "script looping over case data": _script_model("n = 0\nfor art in vorfallarten or []:\n    n += 1"),
    "script waiting on case data in a loop": _script_model("while offen &gt; 0:\n    offen -= 1"),
    "script computing without case data": _script_model("gesamt = sum(range(100)) + 2 ** 64"),
}


@pytest.mark.parametrize("name", sorted(ACCEPTED))
def test_models_that_follow_the_rules_deploy(ctx, name):
    assert deploy_process(ctx, "paul", ACCEPTED[name]).created


def test_a_user_task_without_form_is_a_warning_not_a_refusal(ctx):
    from engine.bpmn.parsing import parse_process
    from engine.processes.deployment import check_process

    model = _task_model(form="")
    problems = check_process(ctx, parse_process(model))
    assert [(p.element_id, p.severity) for p in problems] == [("aufgabe", "warning")]
    assert "no form" in problems[0].message and "kein Formular" in problems[0].german
    assert deploy_process(ctx, "paul", model).created


def test_a_timer_reading_a_variable_nothing_sets_is_a_warning_not_a_refusal(ctx):
    from engine.bpmn.parsing import parse_process
    from engine.processes.deployment import check_process

    model = _timer_model("timeDate", "frist_unbekannt")
    problems = check_process(ctx, parse_process(model))
    assert [(p.element_id, p.severity) for p in problems] == [("wecker", "warning")]
    assert "frist_unbekannt" in problems[0].message and problems[0].german
    assert deploy_process(ctx, "paul", model).created


def test_a_timer_reading_a_variable_the_model_sets_is_not_flagged(ctx):
    from engine.bpmn.parsing import parse_process
    from engine.processes.deployment import check_process

    model = _model_with(
        '<bpmn:startEvent id="s"/><bpmn:scriptTask id="setzen" scriptFormat="python">'
        "<bpmn:script>frist_x = arbeitstage(1)</bpmn:script></bpmn:scriptTask>"
        '<bpmn:intermediateCatchEvent id="wecker"><bpmn:timerEventDefinition>'
        '<bpmn:timeDate xsi:type="bpmn:tFormalExpression">frist_x</bpmn:timeDate>'
        '</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent><bpmn:endEvent id="e"/>'
        '<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="setzen"/>'
        '<bpmn:sequenceFlow id="f2" sourceRef="setzen" targetRef="wecker"/>'
        '<bpmn:sequenceFlow id="f3" sourceRef="wecker" targetRef="e"/>'
    )
    assert check_process(ctx, parse_process(model)) == []


def test_coverage_needs_every_enum_value_or_a_complement():
    enums = {"stufe": {"A", "B", "C"}}
    assert covers_every_case(["stufe == 'A'", "stufe in ('B', 'C')"], enums)
    assert not covers_every_case(["stufe == 'A'", "stufe == 'B'"], enums)
    assert covers_every_case(["x > 3", "not x > 3"], {})
    assert covers_every_case(["x in ('a',)", "x not in ('a',)"], {})
    assert not covers_every_case(["x > 3", "x < 3"], {})
    assert not covers_every_case(["x ==", "not x =="], {})
