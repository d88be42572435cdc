"""`lotse workflows deploy FOLDER` over the model corpus: exit 0 deployed, 2 refused, 1 internal error.

On SQLite and PostgreSQL; the internal error is a real one: the database is opened read-only.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from engine.store.tables import ProcessVersion
from lotse.cli import main
from tests.conftest import make_context
from tests.corpus import CORPUS, EXPECTED
from tests.integration.test_model_corpus import _read_only
from web.app import create_app


def _runner(context, tmp_path):
    app = create_app({"TESTING": True, "INSTANCE_PATH": tmp_path, "LOTSE_CONTEXT": context})
    return app.test_cli_runner()


def _versions(ctx) -> int:
    with ctx.unit_of_work(writes=False) as session:
        return session.scalar(select(func.count()).select_from(ProcessVersion))


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_deploying_a_corpus_folder_exits_by_outcome(ctx, tmp_path, case):
    outcome, needle = EXPECTED[case]
    result = _runner(ctx, tmp_path).invoke(main, ["workflows", "deploy", str(CORPUS / case)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    if outcome == "deployed":
        assert result.exit_code == 0 and " v1 deployed" in result.output, result.output
        assert _versions(ctx) == 1
        return
    assert result.exit_code == 2, result.output
    assert "refused / abgelehnt" in result.output
    assert (needle[0] if isinstance(needle, tuple) else needle) in result.output
    assert _versions(ctx) == 0


def test_a_database_that_refuses_writes_exits_1_with_a_reference(ctx, database_url, clock, tmp_path, caplog):
    read_only = make_context(_read_only(database_url), clock)
    try:
        result = _runner(read_only, tmp_path).invoke(
            main, ["workflows", "deploy", str(CORPUS / "message_catch_delivered")]
        )
    finally:
        read_only.db.dispose()
    assert result.exit_code == 1, result.output
    assert "internal error / interner Fehler" in result.output and "Traceback" not in result.output
    reference = re.search(r"reference ([0-9a-f]{8})", result.output).group(1)
    assert any(reference in record.getMessage() and record.exc_info for record in caplog.records)
    assert _versions(ctx) == 0


def test_one_refused_file_among_good_ones_exits_2_and_the_good_ones_are_deployed(ctx, tmp_path):
    folder = tmp_path / "modelle"
    folder.mkdir()
    for case in ("message_catch_delivered", "service_task_class"):
        (model,) = (CORPUS / case).glob("*.bpmn")
        (folder / model.name).write_bytes(model.read_bytes())
    result = _runner(ctx, tmp_path).invoke(main, ["workflows", "deploy", str(folder)])
    assert result.exit_code == 2, result.output
    assert "message_catch_delivered.bpmn: nachricht_zugestellt v1 deployed" in result.output
    assert "service_task_class.bpmn: refused / abgelehnt" in result.output
    assert _versions(ctx) == 1
