"""The lotse command through Flask's CLI runner, on a fresh SQLite instance folder."""

from __future__ import annotations

import json

import pytest

from lotse.cli import main
from web.app import create_app


@pytest.fixture
def runner(tmp_path, monkeypatch):
    monkeypatch.setenv("LOTSE_INSTANCE", str(tmp_path))
    monkeypatch.delenv("LOTSE_DATABASE_URL", raising=False)
    app = create_app({"TESTING": True, "INSTANCE_PATH": tmp_path})
    cli = app.test_cli_runner()
    result = cli.invoke(main, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    return cli


def test_deploy_twice_is_a_no_op(runner):
    first = runner.invoke(main, ["workflows", "deploy"])
    second = runner.invoke(main, ["workflows", "deploy"])
    assert first.exit_code == 0 and "fallbearbeitung v1 deployed" in first.output
    assert second.exit_code == 0 and "unchanged" in second.output


def test_deploy_refusal_names_the_element_and_exits_2(runner, tmp_path):
    bad = tmp_path / "boese.bpmn"
    bad.write_text(
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">'
        '<bpmn:process id="boese" isExecutable="true"><bpmn:startEvent id="s"/>'
        '<bpmn:scriptTask id="skript" scriptFormat="python"><bpmn:script>import os</bpmn:script></bpmn:scriptTask>'
        '<bpmn:sequenceFlow id="f" sourceRef="s" targetRef="skript"/></bpmn:process></bpmn:definitions>'
    )
    result = runner.invoke(main, ["workflows", "deploy", str(bad)])
    assert result.exit_code == 2 and "[skript]" in result.output


def test_deploy_prints_the_warnings_of_the_review(runner, tmp_path):
    model = tmp_path / "ohne_formular.bpmn"
    model.write_text(
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">'
        '<bpmn:process id="ohne_formular" isExecutable="true"><bpmn:startEvent id="s"/>'
        '<bpmn:userTask id="pruefen" name="Prüfen" camunda:candidateGroups="beratung"/>'
        '<bpmn:endEvent id="e"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="pruefen"/>'
        '<bpmn:sequenceFlow id="f2" sourceRef="pruefen" targetRef="e"/></bpmn:process></bpmn:definitions>'
    )
    result = runner.invoke(main, ["workflows", "deploy", str(model)])
    assert result.exit_code == 0, result.output
    assert "ohne_formular v1 deployed" in result.output
    assert "warning / Hinweis: [pruefen] The user task has no form" in result.output


def test_demo_is_idempotent_and_prints_logins(runner):
    runner.invoke(main, ["workflows", "deploy"])
    first = runner.invoke(main, ["demo"])
    second = runner.invoke(main, ["demo"])
    assert first.exit_code == 0, first.output
    assert "Demo cases created: 12; staff created: 6." in first.output
    assert "Demo cases created: 0; staff created: 0." in second.output
    assert "lotse-demo-2026" in second.output and "tara" in second.output


def test_users_add_and_sweep(runner):
    added = runner.invoke(
        main,
        ["users", "add", "lena", "--name", "Lena Test", "--role", "beratung"],
        input="ein-langes-passwort\n" * 2,
    )
    assert added.exit_code == 0, added.output
    short = runner.invoke(
        main, ["users", "add", "kurz", "--name", "K", "--role", "beratung"], input="kurz\nkurz\n"
    )
    assert short.exit_code != 0 and "12" in short.output
    swept = runner.invoke(main, ["sweep"])
    assert swept.exit_code == 0 and json.loads(swept.output) == {
        "fired": 0,
        "conflicts": 0,
        "failed": [],
        "appointments_reminded": [],
        "appointments_escalated": [],
    }
