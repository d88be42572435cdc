"""A referral answer whose sender is not at the domain the handover went to, through a real Dovecot and HTTP:
it lands in the referral's thread marked "Absender weicht ab", and the referral is confirmed from it only
with the explicit extra confirmation on the confirmation page (refused at the field without it); an
answer from the service's own domain confirms as before."""

from __future__ import annotations

import re

from sqlalchemy import select

from engine.store.channel_tables import InboundMessage
from engine.store.tables import AuditEvent
from tests.web.conftest import csrf_token
from tests.web.test_referral_answers import _answer, _handed_over, _intake, _status


def _from(sender: str, raw: bytes) -> bytes:
    return raw.replace(b"HateAid Beratung <beratung@hateaid.org>", sender.encode())


def test_an_answer_from_another_domain_is_marked_and_needs_an_extra_confirmation(
    deployed, client, auth, dovecot
):
    ctx = deployed
    case_id, referral_id = _handed_over(ctx)
    dovecot.append(
        _from("HateAid <beratung@hateaid-support.example>",
              _answer(f"Bestätigt [Lotse R-{referral_id}]", "Wir haben übernommen.", "<f1@example.org>")),
    )  # fmt: skip
    assert _intake(ctx, dovecot).to_cases == 1
    with ctx.unit_of_work(writes=False) as session:
        message_id = session.scalar(
            select(InboundMessage.id).where(InboundMessage.referral_id == referral_id)
        )
    auth.login("anna")
    page = client.get(f"/faelle/{case_id}").get_data(as_text=True)
    thread = page.split(f'id="referral-thread-{referral_id}"', 1)[1].split("</ol>", 1)[0]
    assert "Wir haben übernommen." in thread and 'data-sender="differs">Absender weicht ab<' in thread
    assert "Übergabe an hateaid.org" in thread

    url = f"/faelle/{case_id}/vermittlungen/{referral_id}/bestaetigen/{message_id}"
    confirm = client.get(url).get_data(as_text=True)
    assert 'id="sender-differs"' in confirm and 'name="absender_geprueft"' in confirm
    refused = client.post(url, data={"csrf_token": csrf_token(confirm)})
    assert refused.status_code == 422 and 'id="absender-error"' in refused.get_data(as_text=True)
    assert _status(ctx, referral_id) == "handed_over"
    done = client.post(url, data={"csrf_token": csrf_token(confirm), "absender_geprueft": "ja"})
    assert done.status_code == 302 and _status(ctx, referral_id) == "confirmed"
    with ctx.unit_of_work(writes=False) as session:
        detail = session.scalar(select(AuditEvent.detail).where(AuditEvent.action == "referral_confirmed"))
    assert detail == f"R-{referral_id}: {message_id} (Absender abweichend, geprüft)"


def test_an_answer_from_the_services_domain_is_not_marked(deployed, client, auth, dovecot):
    ctx = deployed
    case_id, referral_id = _handed_over(ctx)
    dovecot.append(_answer(f"Bestätigt [Lotse R-{referral_id}]", "Wir haben übernommen.", "<g1@hateaid.org>"))
    _intake(ctx, dovecot)
    auth.login("anna")
    page = client.get(f"/faelle/{case_id}").get_data(as_text=True)
    assert "Wir haben übernommen." in page and "Absender weicht ab" not in page
    message_url = re.search(
        rf'href="(/faelle/{case_id}/vermittlungen/{referral_id}/bestaetigen/\d+)"', page
    ).group(1)
    confirm = client.get(message_url).get_data(as_text=True)
    assert "absender_geprueft" not in confirm
    client.post(message_url, data={"csrf_token": csrf_token(confirm)})
    assert _status(ctx, referral_id) == "confirmed"
