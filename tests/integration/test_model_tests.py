"""Test cases stored with a model run against every draft at review; a failing one blocks the deploy."""

from __future__ import annotations

import pytest

from engine.bpmn.files import ModelError, parse_model_xml
from engine.processes.deployment import deploy_process
from engine.processes.model_tests import NS, read_tests
from engine.processes.review import ModelFiles, review_model
from tests.conftest import shipped_models
from tests.integration.test_camunda_habits import OWNER
from tests.web.start_form_model import START_FORM_MODEL

NEIN = b"hilfe_angekommen == 'nein'"


def _review(ctx, bpmn: bytes):
    _bpmn, dmn = shipped_models()
    return review_model(ctx, OWNER, ModelFiles(bpmn, dmn, "fallbearbeitung.bpmn"))


def _test_problems(review):
    return [problem for problem in review.problems if "Modelltest" in (problem.german or "")]


def test_the_shipped_model_carries_tests_for_its_paths_and_passes_them(ctx):
    bpmn, _dmn = shipped_models()
    tests, problems = read_tests(parse_model_xml(bpmn, "fallbearbeitung.bpmn"))
    assert problems == []
    assert len(tests) >= 4
    ended = [test for test in tests if test.ends]
    assert ended and all(test.steps for test in tests)
    review = _review(ctx, bpmn)
    assert _test_problems(review) == [] and review.deployable


def test_a_draft_that_breaks_a_stored_test_is_refused_naming_the_test_and_the_step(ctx):
    bpmn, _dmn = shipped_models()
    assert NEIN in bpmn
    # a change of behaviour: "help did not arrive" no longer leads back to Vermittlung
    broken = bpmn.replace(NEIN, b"hilfe_angekommen == 'nie'")
    review = _review(ctx, broken)
    [problem] = _test_problems(review)
    assert problem.severity == "error" and not review.deployable
    assert "Hilfe nicht angekommen: erneute Vermittlung" in problem.german
    assert "vermittlung" in problem.german and "Model test" in problem.message


def test_a_draft_whose_form_refuses_a_tests_values_is_refused_at_the_field(ctx):
    bpmn, _dmn = shipped_models()
    anchor = b'<camunda:formField id="abweichung_begruendung" label="Begr\xc3\xbcndung, falls Sie vom Vorschlag abweichen" type="string">'
    assert anchor in bpmn
    required = anchor + b'<camunda:validation><camunda:constraint name="required"/></camunda:validation>'
    review = _review(ctx, bpmn.replace(anchor, required))
    problems = _test_problems(review)
    assert problems and all(problem.element_id == "risikostufe_bestaetigen" for problem in problems)
    assert "abweichung_begruendung" in problems[0].german and not review.deployable


def test_deploy_refuses_a_draft_that_fails_its_tests(ctx):
    bpmn, dmn = shipped_models()
    with pytest.raises(ModelError) as refused:
        deploy_process(ctx, "paul", bpmn.replace(NEIN, b"hilfe_angekommen == 'nie'"), dmn)
    assert "Hilfe nicht angekommen" in str(refused.value)


def test_badly_written_test_values_are_reported_where_they_are(ctx):
    bpmn, _dmn = shipped_models()
    broken = bpmn.replace(b'<lotse:task id="praevention">{', b'<lotse:task id="praevention">{,', 1)
    [problem] = _test_problems(_review(ctx, broken))
    assert problem.element_id == "praevention" and "kein gültiges JSON" in problem.german


def test_a_test_naming_an_element_the_draft_no_longer_has_says_so(ctx):
    bpmn, _dmn = shipped_models()
    renamed = bpmn.replace(b'passed="information_erledigt"', b'passed="information_erledigt_neu"')
    [problem] = _test_problems(_review(ctx, renamed))
    assert "„information_erledigt_neu“ ist kein Element des Modells" in problem.german
    assert "Nicht betroffen" in problem.german


def _with_tests(model: bytes, tests: str) -> bytes:
    anchor = b'<bpmn:process id="schulung" name="Schulungsanfrage" isExecutable="true">'
    block = f'<bpmn:extensionElements><lotse:tests xmlns:lotse="{NS}">{tests}</lotse:tests></bpmn:extensionElements>'
    return model.replace(anchor, anchor + block.encode())


def test_another_process_tests_its_start_values_and_path(ctx):
    passing = _with_tests(
        START_FORM_MODEL,
        '<lotse:test name="Schulung online"><lotse:start>{"teilnehmende": 12, "format": "online"}</lotse:start>'
        '<lotse:task id="schulung_planen">{"termin": "2026-04-01"}</lotse:task>'
        '<lotse:expect ends="true" passed="ende"/></lotse:test>',
    )
    review = review_model(ctx, OWNER, ModelFiles(passing, {}, "schulung.bpmn"))
    assert review.tests == 1 and review.tests_failed == 0 and review.deployable
    failing = passing.replace(b'ends="true"', b'ends="false"')
    review = review_model(ctx, OWNER, ModelFiles(failing, {}, "schulung.bpmn"))
    assert review.tests_failed == 1 and not review.deployable
    [problem] = _test_problems(review)
    assert "Modelltest „Schulung online“: Der Prozess sollte am Ende noch laufen" in problem.german


def test_a_draft_that_drops_a_deployed_models_tests_is_warned(deployed):
    bpmn, _dmn = shipped_models()
    start = bpmn.index(b'<lotse:test name="Nicht betroffen')
    end = bpmn.index(b"</lotse:test>", start) + len(b"</lotse:test>")
    review = _review(deployed, bpmn[:start] + bpmn[end:])
    [warning] = [
        problem for problem in review.warnings if "Modelltests von Version 1" in (problem.german or "")
    ]
    assert "Nicht betroffen: Präventionsmaterial, dann Ende" in warning.german
    assert review.tests == 5 and review.deployable  # a warning: the owner may mean it
