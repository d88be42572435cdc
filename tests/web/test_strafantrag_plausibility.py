"""Issue 23, item 14: knowing the offender before the offence is warned about at the field; the
counsellor corrects the dates or confirms them."""

from __future__ import annotations

from types import SimpleNamespace

from sqlalchemy import select

from engine.cases.lifecycle import open_case
from engine.store.tables import StrafantragRow
from engine.strafantrag.offence_content import open_offence
from tests.conftest import COUNSELLOR
from tests.web.conftest import csrf_token

UNLIKELY = {"delikt": "beleidigung", "kenntnis_tat": "2026-05-20", "kenntnis_taeter": "2026-05-10"}


def _rows(ctx) -> list[SimpleNamespace]:
    """The stored periods with their sealed content opened."""
    with ctx.unit_of_work(writes=False) as session:
        rows = list(session.scalars(select(StrafantragRow).order_by(StrafantragRow.id)))
    return [
        SimpleNamespace(id=row.id, **vars(open_offence(ctx.vault, row.case_id, row.sealed))) for row in rows
    ]


def test_offender_known_before_the_offence_is_warned_at_the_field_then_confirmed(deployed, client, auth):
    case_id = open_case(deployed, COUNSELLOR).case_id
    auth.login()
    token = csrf_token(client.get(f"/faelle/{case_id}").get_data(as_text=True))
    warned = client.post(f"/faelle/{case_id}/strafantrag", data={"csrf_token": token, **UNLIKELY})
    page = warned.get_data(as_text=True)
    assert warned.status_code == 422 and _rows(deployed) == []
    assert 'aria-describedby="kenntnis-taeter-warning"' in page
    assert "den Täter vor der Tat gekannt" in page and "10.05.2026 vor 20.05.2026" in page
    assert 'name="daten_bestaetigt"' in page
    assert 'value="2026-05-10"' in page and 'value="2026-05-20"' in page  # nothing typed is lost

    confirmed = client.post(
        f"/faelle/{case_id}/strafantrag", data={"csrf_token": token, **UNLIKELY, "daten_bestaetigt": "ja"}
    )
    assert confirmed.status_code == 302
    (row,) = _rows(deployed)
    assert (row.learned_of_offence.isoformat(), row.learned_of_offender.isoformat()) == (
        "2026-05-20",
        "2026-05-10",
    )


def test_a_corrected_order_needs_no_confirmation_and_the_later_offender_date_warns_too(
    deployed, client, auth
):
    case_id = open_case(deployed, COUNSELLOR).case_id
    auth.login()
    token = csrf_token(client.get(f"/faelle/{case_id}").get_data(as_text=True))
    unknown = {"delikt": "beleidigung", "kenntnis_tat": "2026-05-20", "taeter_unbekannt": "1"}
    assert (
        client.post(f"/faelle/{case_id}/strafantrag", data={"csrf_token": token, **unknown}).status_code
        == 302
    )
    (row,) = _rows(deployed)
    later = client.post(
        f"/faelle/{case_id}/strafantrag/{row.id}/taeter",
        data={"csrf_token": token, "kenntnis_taeter": "2026-05-01"},
    )
    page = later.get_data(as_text=True)
    assert later.status_code == 422 and f'id="taeter-{row.id}-warning"' in page
    assert _rows(deployed)[0].learned_of_offender is None
    fixed = client.post(
        f"/faelle/{case_id}/strafantrag/{row.id}/taeter",
        data={"csrf_token": token, "kenntnis_taeter": "2026-05-25"},
    )
    assert fixed.status_code == 302 and _rows(deployed)[0].learned_of_offender.isoformat() == "2026-05-25"
