"""Deploying models: versions by content, hostile XML refused, sandbox-refused code named by element."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from benchmarks.models import sequential_model
from engine.bpmn.errors import ExecutionError
from engine.bpmn.files import MAX_MODEL_BYTES, ModelError
from engine.bpmn.parsing import parse_process
from engine.bpmn.runtime import Runtime
from engine.cases.lifecycle import open_case
from engine.processes.deployment import deploy_process
from engine.sandbox.restricted import Sandbox
from engine.store.tables import AuditEvent, Case, ProcessVersion
from tests.conftest import COUNSELLOR, shipped_models
from tests.steps import case_row

BPMN_NS = (
    'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
)


def _versions(ctx) -> int:
    with ctx.unit_of_work() as session:
        return session.scalar(select(func.count()).select_from(ProcessVersion))


def test_same_content_twice_is_a_no_op_and_new_content_a_new_version(ctx):
    first = deploy_process(ctx, "paul", sequential_model(3, "probe"))
    again = deploy_process(ctx, "paul", sequential_model(3, "probe"))
    assert first.created and not again.created and again.version_id == first.version_id
    old_case = open_case(ctx, COUNSELLOR, process_key="probe")
    second = deploy_process(ctx, "paul", sequential_model(4, "probe"))
    new_case = open_case(ctx, COUNSELLOR, process_key="probe")
    assert (second.version, second.created) == (2, True)
    assert case_row(ctx, old_case.case_id).process_version_id == first.version_id
    assert case_row(ctx, new_case.case_id).process_version_id == second.version_id


def test_the_content_of_an_older_version_comes_back_as_a_new_version(ctx):
    """A rollback: v1's content deployed after v2 is v3, and new cases start on it."""
    first = deploy_process(ctx, "paul", sequential_model(3, "probe"))
    deploy_process(ctx, "paul", sequential_model(4, "probe"))
    back = deploy_process(ctx, "paul", sequential_model(3, "probe"))
    assert (back.version, back.created) == (3, True)
    again = deploy_process(ctx, "paul", sequential_model(3, "probe"))
    assert (again.version, again.created) == (3, False)  # now the newest: a no-op
    new_case = open_case(ctx, COUNSELLOR, process_key="probe")
    assert case_row(ctx, new_case.case_id).process_version_id == back.version_id != first.version_id
    with ctx.unit_of_work(writes=False) as session:
        details = session.scalars(
            select(AuditEvent.detail).where(AuditEvent.action == "process_deployed").order_by(AuditEvent.id)
        ).all()
    assert details == ["probe v1", "probe v2", "probe v3 = v1"]


def test_shipped_models_deploy(ctx):
    bpmn, dmn = shipped_models()
    result = deploy_process(ctx, "paul", bpmn, dmn)
    assert (result.key, result.version) == ("fallbearbeitung", 1)


HOSTILE = {
    "billion laughs": b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
    b"<bpmn:definitions " + BPMN_NS.encode() + b">&lol2;</bpmn:definitions>",
    "external entity": b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    b"<bpmn:definitions " + BPMN_NS.encode() + b">&xxe;</bpmn:definitions>",
    "malformed": b"<bpmn:definitions " + BPMN_NS.encode() + b"><bpmn:process>",
    "not bpmn": b"<html><body>hello</body></html>",
    "oversized": b"<x>" + b" " * (MAX_MODEL_BYTES + 1) + b"</x>",
    "not xml at all": b"\x89PNG\r\n\x1a\n",
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_files_are_refused_and_nothing_is_stored(ctx, name):
    with pytest.raises(ModelError) as raised:
        deploy_process(ctx, "paul", HOSTILE[name])
    assert raised.value.problems and str(raised.value)
    assert _versions(ctx) == 0


def _model_with(body: str, *, extra: str = "") -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><bpmn:definitions {BPMN_NS} id="d" targetNamespace="t">'
        f'<bpmn:process id="boese" isExecutable="true">{body}</bpmn:process>{extra}</bpmn:definitions>'
    ).encode()


def _script_model(script: str) -> bytes:
    return _model_with(
        '<bpmn:startEvent id="s"/><bpmn:scriptTask id="skript" scriptFormat="python">'
        f'<bpmn:script>{script}</bpmn:script></bpmn:scriptTask><bpmn:endEvent id="e"/>'
        '<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="skript"/>'
        '<bpmn:sequenceFlow id="f2" sourceRef="skript" targetRef="e"/>'
    )


def _condition_model(condition: str) -> bytes:
    return _model_with(
        '<bpmn:startEvent id="s"/><bpmn:exclusiveGateway id="weiche" default="f3"/>'
        '<bpmn:endEvent id="e1"/><bpmn:endEvent id="e2"/>'
        '<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="weiche"/>'
        '<bpmn:sequenceFlow id="f2" sourceRef="weiche" targetRef="e1">'
        f'<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{condition}</bpmn:conditionExpression>'
        '</bpmn:sequenceFlow><bpmn:sequenceFlow id="f3" sourceRef="weiche" targetRef="e2"/>'
    )


def _timer_model(expression: str) -> bytes:
    return _model_with(
        '<bpmn:startEvent id="s"/><bpmn:intermediateCatchEvent id="wecker"><bpmn:timerEventDefinition>'
        f'<bpmn:timeDate xsi:type="bpmn:tFormalExpression">{expression}</bpmn:timeDate>'
        '</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent><bpmn:endEvent id="e"/>'
        '<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="wecker"/>'
        '<bpmn:sequenceFlow id="f2" sourceRef="wecker" targetRef="e"/>'
    )


def _dmn_model(cell: str) -> tuple[bytes, dict[str, bytes]]:
    bpmn = _model_with(
        '<bpmn:startEvent id="s"/><bpmn:businessRuleTask id="regeln" camunda:decisionRef="entscheidung"/>'
        '<bpmn:endEvent id="e"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="regeln"/>'
        '<bpmn:sequenceFlow id="f2" sourceRef="regeln" targetRef="e"/>'
    )
    dmn = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="dd" name="d" namespace="t">'
        '<decision id="entscheidung" name="E"><decisionTable id="tabelle" hitPolicy="UNIQUE">'
        '<input id="i1" label="x"><inputExpression id="ie1" typeRef="string"><text>x</text></inputExpression></input>'
        '<output id="o1" name="ergebnis" typeRef="string"/>'
        f'<rule id="r1"><inputEntry id="c1"><text>{cell}</text></inputEntry>'
        '<outputEntry id="c2"><text>"ja"</text></outputEntry></rule>'
        "</decisionTable></decision></definitions>"
    ).encode()
    return bpmn, {"entscheidung.dmn": dmn}


ESCAPES = {
    "import os": ("import os\nos.system('touch {sentinel}')", "__import__('os').system('touch {sentinel}')"),
    "open": ("open('{sentinel}', 'w').write('x')", "open('{sentinel}', 'w').write('x')"),
    "subclasses": ("x = ().__class__.__base__.__subclasses__()", "().__class__.__base__.__subclasses__()"),
}


@pytest.mark.parametrize("escape", sorted(ESCAPES))
@pytest.mark.parametrize("where", ["script", "condition", "timer", "dmn"])
def test_escapes_are_refused_at_deploy_naming_the_element(ctx, tmp_path, escape, where):
    sentinel = tmp_path / "pwned"
    script, expression = (text.format(sentinel=sentinel) for text in ESCAPES[escape])
    dmn: dict[str, bytes] = {}
    if where == "script":
        bpmn, element = _script_model(script), "skript"
    elif where == "condition":
        bpmn, element = _condition_model(expression), "weiche"
    elif where == "timer":
        bpmn, element = _timer_model(expression), "wecker"
    else:
        bpmn, dmn = _dmn_model(expression)
        element = "regeln"
    with pytest.raises(ModelError) as raised:
        deploy_process(ctx, "paul", bpmn, dmn)
    assert any(element in (problem.element_id or "") for problem in raised.value.problems), raised.value
    assert _versions(ctx) == 0 and not sentinel.exists()


def test_the_sandbox_also_stops_an_escape_at_run_time(tmp_path):
    """Defence in depth: even a spec that skipped deploy checks cannot reach the file system."""
    sentinel = tmp_path / "pwned"
    process = parse_process(_script_model(f"open('{sentinel}', 'w').write('x')"))
    with pytest.raises(ExecutionError) as raised:
        Runtime(Sandbox()).start(process)
    assert raised.value.element_id == "skript" and not sentinel.exists()


def test_reserved_form_field_is_refused(ctx):
    model = sequential_model(1, "reserviert").replace(b'id="notiz_1"', b'id="typename"')
    with pytest.raises(ModelError, match="reserved"):
        deploy_process(ctx, "paul", model)


def test_case_counts_are_untouched_by_refusals(ctx):
    with pytest.raises(ModelError):
        deploy_process(ctx, "paul", _script_model("import os"))
    with ctx.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(Case)) == 0
