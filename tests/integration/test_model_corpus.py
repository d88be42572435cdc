"""No model file crashes review or deploy: the corpus through the engine's use cases, on SQLite and PostgreSQL.

Element kinds Lotse cannot run are refused at review naming the element, in German and English; a
failure that is not the model's is a refusal with a reference that the log repeats; nothing is stored.
"""

from __future__ import annotations

import logging
import re

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from benchmarks.models import sequential_model
from engine.bpmn.files import ModelError
from engine.bpmn.parsing import parse_process
from engine.bpmn.runtime import Runtime
from engine.kernel.actor import Actor
from engine.processes.deployment import deploy_process
from engine.processes.internal_errors import InternalError
from engine.processes.review import PROCESS_OWNER, ModelFiles, deploy_model, review_model
from engine.sandbox.restricted import Sandbox
from engine.store.tables import ProcessVersion
from tests.conftest import make_context
from tests.corpus import CORPUS, EXPECTED, corpus_files, names

OWNER = Actor("paul", frozenset({PROCESS_OWNER}))
REFERENCE = re.compile(r"(?:reference|Referenz) ([0-9a-f]{8})")


def _versions(ctx) -> int:
    with ctx.unit_of_work(writes=False) as session:
        return session.scalar(select(func.count()).select_from(ProcessVersion))


def test_the_corpus_lists_every_folder():
    assert sorted(path.name for path in CORPUS.iterdir() if path.is_dir()) == sorted(EXPECTED)


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_review_and_deploy_of_the_corpus(ctx, case):
    _name, bpmn, dmn = corpus_files(case)
    outcome, needle = EXPECTED[case]
    review = review_model(ctx, OWNER, ModelFiles(bpmn, dmn))
    if outcome == "deployed":
        assert review.deployable, review.problems
        assert deploy_process(ctx, "paul", bpmn, dmn).created and _versions(ctx) == 1
        return
    assert not review.deployable
    named = [problem for problem in review.errors if names(problem, needle)]
    assert named, review.errors
    assert all(problem.german and problem.german != problem.message for problem in named), named
    for deploy in (
        lambda: deploy_process(ctx, "paul", bpmn, dmn),
        lambda: deploy_model(ctx, OWNER, ModelFiles(bpmn, dmn), None),
    ):
        with pytest.raises(ModelError) as refused:
            deploy()
        assert not isinstance(refused.value, InternalError), refused.value
        assert any(names(problem, needle) for problem in refused.value.problems), refused.value
    assert _versions(ctx) == 0


def test_a_decision_table_whose_dmn_namespace_has_a_prefix_runs(ctx):
    """DMN 1.2 with ``dmn:`` on the elements and another default namespace: SpiffWorkflow read it as empty."""
    _name, bpmn, dmn = corpus_files("dmn_1_2_prefixed")
    deployed = deploy_process(ctx, "paul", bpmn, dmn)
    with ctx.unit_of_work(writes=False) as session:
        process = ctx.process(session, deployed.version_id)
    instance = ctx.runtime.start(process)
    assert instance.workflow.is_completed() and instance.workflow.data["stufe"] == "hoch"


def test_a_message_lotse_delivers_reaches_a_catch_event(ctx):
    _name, bpmn, dmn = corpus_files("message_catch_delivered")
    deployed = deploy_process(ctx, "paul", bpmn, dmn)
    with ctx.unit_of_work(writes=False) as session:
        process = ctx.process(session, deployed.version_id)
    instance = ctx.runtime.start(process)
    assert instance.deliver("neuer_vorfall", {"risikostufe_bisher": "HOCH"}, "vorfall")
    instance.advance()
    assert instance.workflow.is_completed() and instance.workflow.data["vorfall"] == {
        "risikostufe_bisher": "HOCH"
    }


def test_the_runtime_names_the_elements_its_serializer_cannot_store():
    """The check behind the review's last rule, found by trying (a service task gets past the parser)."""
    _name, bpmn, _dmn = corpus_files("service_task_class")
    runtime = Runtime(Sandbox())
    [(element, reason)] = runtime.storage_failures(parse_process(bpmn))
    assert element == "bescheid_erzeugen" and "ServiceTask" in reason
    assert runtime.storage_failures(parse_process(sequential_model(2, "gut"))) == []


def _read_only(url: str) -> str:
    """The same database, opened so that every write fails."""
    if url.startswith("sqlite"):
        return f"sqlite:///file:{make_url(url).database}?mode=ro&uri=true"
    return (
        make_url(url)
        .update_query_dict({"options": "-c default_transaction_read_only=on"})
        .render_as_string(hide_password=False)
    )


def _unreachable(url: str, tmp_path) -> str:
    if url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'missing' / 'lotse.db'}"
    return make_url(url).set(database="lotse_no_such_database").render_as_string(hide_password=False)


def _logged_reference(caplog, reference: str) -> bool:
    return any(
        record.levelno == logging.ERROR and reference in record.getMessage() and record.exc_info
        for record in caplog.records
    )


def test_a_deployment_the_database_refuses_is_an_internal_error_with_a_reference(
    ctx, database_url, clock, caplog
):
    read_only = make_context(_read_only(database_url), clock)
    try:
        with pytest.raises(InternalError) as failed:
            deploy_process(read_only, "paul", sequential_model(2, "neu"))
    finally:
        read_only.db.dispose()
    reference = failed.value.reference
    [problem] = failed.value.problems
    assert (
        REFERENCE.search(problem.message).group(1) == reference == REFERENCE.search(problem.german).group(1)
    )
    assert _logged_reference(caplog, reference)
    assert _versions(ctx) == 0


def test_a_review_without_its_database_is_a_refusal_with_a_reference(database_url, clock, tmp_path, caplog):
    unreachable = make_context(_unreachable(database_url, tmp_path), clock)
    try:
        review = review_model(unreachable, OWNER, ModelFiles(sequential_model(2, "neu")))
    finally:
        unreachable.db.dispose()
    assert not review.deployable
    [problem] = review.errors
    reference = REFERENCE.search(problem.message).group(1)
    assert _logged_reference(caplog, reference)
