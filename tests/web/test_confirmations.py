"""Issue 23, item 11: consequences only after a confirmation that works without JavaScript — a new
incident, a legal hold (with an audited reason; see test_retention_pages), a migration (see
test_process_migration)."""

from __future__ import annotations

from tests.conftest import COUNSELLOR
from tests.steps import case_at_vermittlung, open_tasks
from tests.web.conftest import csrf_token


def test_a_new_incident_is_only_reported_after_a_confirmation(deployed, client, auth):
    case_id = case_at_vermittlung(deployed, COUNSELLOR)
    auth.login("anna")
    page = client.get(f"/faelle/{case_id}").get_data(as_text=True)
    asked = client.post(f"/faelle/{case_id}/neuer-vorfall", data={"csrf_token": csrf_token(page)})
    confirmation = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "Neuen Vorfall erfassen?" in confirmation
    assert 'name="bestaetigt" value="ja"' in confirmation and 'id="cancel"' in confirmation
    assert "<script>" not in confirmation  # a plain form under the strict CSP
    assert "vorfall_erfassen" not in open_tasks(deployed, case_id)  # nothing happened yet

    done = client.post(
        f"/faelle/{case_id}/neuer-vorfall", data={"csrf_token": csrf_token(confirmation), "bestaetigt": "ja"}
    )
    assert done.status_code == 302 and "/aufgaben/" in done.headers["Location"]
    assert "vorfall_erfassen" in open_tasks(deployed, case_id)
