"""No case content in clear at rest after a warm handover made in the browser: a marker search over a real
`pg_dump` of the PostgreSQL database and over the bytes of the SQLite file (with its write-ahead log)."""

from __future__ import annotations

from engine.directory.search import search_offers
from tests.conftest import COUNSELLOR
from tests.database_dump import database_bytes, found_in
from tests.steps import case_at_vermittlung, open_tasks, task_id_for
from tests.web.conftest import csrf_token

MARKER = "Markertext-Qz7Wk4 Drohbrief am Gartentor"
PHONE = "0171 5550199 83"
DESCRIPTION = f"{MARKER}; die Person ist unter {PHONE} erreichbar"
CONTACT = f"Tel {PHONE}"
NEEDLES = (MARKER, "Qz7Wk4", PHONE, PHONE.replace(" ", ""), "5550199")


def hand_over(deployed, client, auth) -> int:
    """Intake with the markers, then a warm handover with consent to share description and contact."""
    case_id = case_at_vermittlung(deployed, COUNSELLOR, kurzbeschreibung=DESCRIPTION)
    hateaid = next(offer.id for offer in search_offers(deployed, text="hateaid") if offer.key == "hateaid")
    auth.login("anna")
    task_id = task_id_for(deployed, case_id, "vermittlung")
    token = csrf_token(client.get(f"/aufgaben/{task_id}").get_data(as_text=True))
    response = client.post(
        f"/aufgaben/{task_id}",
        data={
            "csrf_token": token,
            f"ref-{hateaid}": "handover",
            f"ref-{hateaid}-consent": "true",
            f"ref-{hateaid}-facts": ["kurzbeschreibung", "kontakt"],
            f"ref-{hateaid}-contact": CONTACT,
            "schutzmassnahmen": ["beweissicherung"],
        },
    )
    assert response.status_code == 302
    assert "vermittlung" not in open_tasks(deployed, case_id)
    return case_id


def test_no_marker_in_a_database_dump_after_a_warm_handover(deployed, client, auth, database_url):
    hand_over(deployed, client, auth)
    dump = database_bytes(database_url)
    assert b"beratung@hateaid.org" in dump  # the dump does hold the outbox (its recipient is in clear)
    assert found_in(dump, NEEDLES) == []
