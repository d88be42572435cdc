"""Camunda Modeler habits in the model corpus: each refusal names the element and says what to write
instead, and the file with that written deploys and runs. File-level messages name the uploaded file.
No false warnings on the shipped model."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from engine.cases.lifecycle import open_case
from engine.demo.seed import ensure_staff
from engine.kernel.actor import Actor
from engine.processes.camunda_habits import cron_as_iso, juel_as_python
from engine.processes.decision_habits import feel_as_python
from engine.processes.deployment import deploy_process
from engine.processes.review import PROCESS_OWNER, ModelFiles, review_model
from engine.store.tables import Task
from tests.corpus import EXPECTED, FIXES, corpus_files

OWNER = Actor("paul", frozenset({PROCESS_OWNER}))
SHIPPED = Path(__file__).resolve().parents[2] / "workflows" / "bpmn"


def _fixed(case: str) -> tuple[bytes, dict[str, bytes]]:
    _name, bpmn, dmn = corpus_files(case)
    file_name, old, _said, new = FIXES[case]
    if file_name.endswith(".dmn"):
        assert old.encode() in dmn[file_name]
        dmn = {**dmn, file_name: dmn[file_name].replace(old.encode(), new.encode())}
    else:
        assert old.encode() in bpmn
        bpmn = bpmn.replace(old.encode(), new.encode())
    return bpmn, dmn


@pytest.mark.parametrize("case", sorted(FIXES))
def test_a_habit_is_refused_with_what_to_write_instead_and_that_deploys(ctx, case):
    name, bpmn, dmn = corpus_files(case)
    _file, _old, said, _new = FIXES[case]
    review = review_model(ctx, OWNER, ModelFiles(bpmn, dmn, name))
    needle = EXPECTED[case][1]
    named = [problem for problem in review.errors if problem.element_id == needle]
    assert named and all(said in p.message and said in (p.german or "") for p in named), review.errors
    assert [p for p in review.errors if p.element_id != needle] == [], "one clear message, no parser noise"
    bpmn, dmn = _fixed(case)
    fixed = review_model(ctx, OWNER, ModelFiles(bpmn, dmn, name))
    assert fixed.deployable, fixed.problems
    deployed = deploy_process(ctx, "paul", bpmn, dmn)
    with ctx.unit_of_work(writes=False) as session:
        process = ctx.process(session, deployed.version_id)
    instance = ctx.runtime.start(process)
    assert instance.workflow is not None


def test_a_lane_no_staff_group_has_is_a_warning_listing_the_groups(ctx):
    name, bpmn, dmn = corpus_files("lane_unknown_group")
    review = review_model(ctx, OWNER, ModelFiles(bpmn, dmn, name))
    assert review.deployable
    [warning] = [
        p for p in review.warnings if p.element_id == "antrag_sichten" and "sachbearbeitung" in p.message
    ]
    assert "beratung, teamleitung" in warning.message and "beratung, teamleitung" in (warning.german or "")


def test_a_file_level_message_names_the_uploaded_file(ctx):
    bpmn = corpus_files("juel_condition")[1].replace(b'isExecutable="true"', b'isExecutable="false"')
    review = review_model(ctx, OWNER, ModelFiles(bpmn, {}, "mein_prozess.bpmn"))
    assert review.errors and all("mein_prozess.bpmn" in p.message for p in review.errors if not p.element_id)
    assert not any("process.bpmn" in p.message for p in review.errors)


def test_the_shipped_model_has_no_false_lint_warnings(ctx):
    bpmn = (SHIPPED / "fallbearbeitung.bpmn").read_bytes()
    dmn = {path.name: path.read_bytes() for path in sorted(SHIPPED.glob("*.dmn"))}
    review = review_model(ctx, OWNER, ModelFiles(bpmn, dmn, "fallbearbeitung.bpmn"))
    assert review.key == "fallbearbeitung"
    assert not [p for p in review.warnings if "sets" in p.message], review.warnings


@pytest.mark.parametrize(
    ("juel", "python"),
    [
        ("${temperature >= 18}", "temperature >= 18"),
        ('#{a eq "x" && !b}', 'a == "x" and not b'),
        ("${empty name || count gt 3}", "not name or count > 3"),
        ("${approved}", "approved"),
        ("${execution.getVariable('x')}", None),
    ],
)
def test_juel_becomes_python_where_it_is_simple(juel, python):
    assert juel_as_python(juel) == python


@pytest.mark.parametrize(
    ("cron", "iso"),
    [
        ("0/5 0/1 * 1/1 * ?", "R/PT5S"),
        ("0 */15 * * * ?", "R/PT15M"),
        ("*/5 * * * *", "R/PT5M"),
        ("0 0 */2 * * ?", "R/PT2H"),
        ("0 0 9 * * ?", None),
        ("0 0/15 9-17 * * MON-FRI", None),
    ],
)
def test_cron_steps_become_iso_8601_cycles(cron, iso):
    assert cron_as_iso(cron) == iso


@pytest.mark.parametrize(
    ("cell", "python"),
    [("[3..10]", "3 <= ? <= 10"), ("(1..5]", "1 < ? <= 5"), ('not("a")', '? != "a"'), ('"a"', None)],
)
def test_feel_cells_become_python_tests(cell, python):
    assert feel_as_python(cell) == python


def test_an_assignee_who_is_active_staff_gets_the_task(ctx):
    ensure_staff(ctx)
    name, bpmn, dmn = corpus_files("assignee_only")
    bpmn = bpmn.replace(b'camunda:assignee="demo"', b'camunda:assignee="anna"')
    review = review_model(ctx, OWNER, ModelFiles(bpmn, dmn, name))
    assert review.deployable, review.problems
    deploy_process(ctx, "paul", bpmn, dmn)
    opened = open_case(ctx, Actor("anna", frozenset({"beratung"})), process_key="nur_person")
    with ctx.unit_of_work(writes=False) as session:
        [task] = session.scalars(select(Task).where(Task.case_id == opened.case_id)).all()
    assert task.element_id == "antrag_pruefen" and task.assignee == "anna"


def test_a_start_form_field_of_an_unsupported_type_is_refused(ctx):
    from tests.web.start_form_model import START_FORM_MODEL

    bpmn = START_FORM_MODEL.replace(
        b'id="programm" label="Programm" type="string"', b'id="programm" type="file"'
    )
    review = review_model(ctx, OWNER, ModelFiles(bpmn, {}, "schulung.bpmn"))
    assert [p.german for p in review.errors] == [
        "Startformular: Das Feld 'programm' hat den nicht unterstützten Typ 'file' "
        "(möglich: string, long, boolean, date, enum)."
    ]
    assert review_model(ctx, OWNER, ModelFiles(START_FORM_MODEL, {}, "schulung.bpmn")).deployable
