"""The model corpus in the browser: review, upload and deploy answer a page with the refusal, never a 500,
and store nothing; a failure that is not the model's names a reference that the log repeats."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select, text

from benchmarks.models import sequential_model
from engine.store.tables import ProcessVersion
from tests.corpus import EXPECTED, corpus_files, shown
from tests.web.test_processes import KEY, _owner


def _versions(ctx) -> int:
    with ctx.unit_of_work(writes=False) as session:
        return session.scalar(select(func.count()).select_from(ProcessVersion))


def _files(bpmn_name: str, bpmn: bytes, dmn: dict[str, bytes]) -> dict:
    files = {"bpmn": (io.BytesIO(bpmn), bpmn_name)}
    for name, xml in dmn.items():
        files["dmn"] = (io.BytesIO(xml), name)
    return files


def _post(client, url: str, token: str, **fields):
    return client.post(url, data={"csrf_token": token, **fields}, content_type="multipart/form-data")


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_the_corpus_through_review_upload_and_deploy(deployed, client, case):
    token = _owner(client)
    name, bpmn, dmn = corpus_files(case)
    outcome, needle = EXPECTED[case]
    before = _versions(deployed)

    reviewed = _post(client, "/prozesse/entwurf/pruefen", token, **_files(name, bpmn, dmn))
    page = reviewed.get_data(as_text=True)
    uploaded = _post(client, "/prozesse/hochladen", token, datei=(io.BytesIO(bpmn), name))
    tables = [
        _post(client, "/prozesse/hochladen", token, prozess=KEY, datei=(io.BytesIO(xml), dmn_name))
        for dmn_name, xml in dmn.items()
    ]
    assert all(response.status_code < 500 for response in [reviewed, uploaded, *tables])
    if outcome == "deployed":
        assert reviewed.status_code == 200 and "Keine Fehler gefunden" in page, page
        deployed_page = _post(
            client, "/prozesse/entwurf/bereitstellen", token, fragment="1", **_files(name, bpmn, dmn)
        )
        assert deployed_page.status_code == 200 and "ist bereitgestellt" in deployed_page.get_data(
            as_text=True
        )
        assert _versions(deployed) == before + 1
        return

    assert reviewed.status_code == 422 and shown(page, needle), page
    assert "Keine Fehler gefunden" not in page and 'id="deploy-form"' not in page
    if not dmn:
        assert uploaded.status_code == 422 and shown(uploaded.get_data(as_text=True), needle)
    if str(needle).endswith(".dmn"):
        [table] = tables
        assert table.status_code == 422 and shown(table.get_data(as_text=True), needle)
    # A deploy sent anyway (an old page, a crafted request) is refused by the same checks.
    fragment = _post(
        client, "/prozesse/entwurf/bereitstellen", token, fragment="1", **_files(name, bpmn, dmn)
    )
    assert fragment.status_code == 422 and shown(fragment.get_data(as_text=True), needle)
    redirected = _post(client, "/prozesse/entwurf/bereitstellen", token, **_files(name, bpmn, dmn))
    assert redirected.status_code == 302
    overview = client.get(redirected.headers["Location"]).get_data(as_text=True)
    assert "Nicht bereitgestellt" in overview and shown(overview, needle)
    assert _versions(deployed) == before


@pytest.fixture
def versions_refused(deployed) -> Iterator[None]:
    """The database refuses every new process version (as a full disk or a revoked grant would)."""
    if deployed.is_postgres:
        install = [
            "CREATE FUNCTION lotse_test_refuse() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'storage refused'; "
            "END $$ LANGUAGE plpgsql",
            "CREATE TRIGGER lotse_test_refuse BEFORE INSERT ON process_versions FOR EACH ROW "
            "EXECUTE FUNCTION lotse_test_refuse()",
        ]
        remove = [
            "DROP TRIGGER IF EXISTS lotse_test_refuse ON process_versions",
            "DROP FUNCTION IF EXISTS lotse_test_refuse()",
        ]
    else:
        install = [
            "CREATE TRIGGER lotse_test_refuse BEFORE INSERT ON process_versions "
            "BEGIN SELECT RAISE(ABORT, 'storage refused'); END"
        ]
        remove = ["DROP TRIGGER IF EXISTS lotse_test_refuse"]
    with deployed.db.begin() as connection:
        for statement in install:
            connection.execute(text(statement))
    yield
    with deployed.db.begin() as connection:
        for statement in remove:
            connection.execute(text(statement))


def test_a_deploy_the_database_refuses_answers_a_refusal_with_a_reference(
    deployed, client, versions_refused, caplog
):
    token = _owner(client)
    model = {"bpmn": (io.BytesIO(sequential_model(2, "neu")), "neu.bpmn")}
    reviewed = _post(client, "/prozesse/neu/pruefen", token, **model)
    assert reviewed.status_code == 200 and 'id="deploy-form"' in reviewed.get_data(as_text=True)

    model = {"bpmn": (io.BytesIO(sequential_model(2, "neu")), "neu.bpmn")}
    fragment = _post(client, "/prozesse/neu/bereitstellen", token, fragment="1", **model)
    page = fragment.get_data(as_text=True)
    assert fragment.status_code == 422 and "unerwarteter Fehler" in page and "nichts gespeichert" in page
    reference = re.search(r"Referenz ([0-9a-f]{8})", page).group(1)
    assert any(reference in record.getMessage() and record.exc_info for record in caplog.records)

    model = {"bpmn": (io.BytesIO(sequential_model(2, "neu")), "neu.bpmn")}
    redirected = _post(client, "/prozesse/neu/bereitstellen", token, **model)
    overview = client.get(redirected.headers["Location"]).get_data(as_text=True)
    assert redirected.status_code == 302 and re.search(r"Referenz [0-9a-f]{8}", overview)
    assert _versions(deployed) == 1  # the shipped model only
