"""The administrators' list of e-mails given up on: who, when, why — never the text."""

from __future__ import annotations

from engine.kernel import outbox
from engine.kernel.outbox import deliver_outbox
from engine.kernel.settings import SmtpSettings
from integrations.smtp_mail import SmtpMailSender
from tests.smtp_server import free_port

URL = "/verwaltung/postausgang"


def _dead_letter(ctx) -> None:
    with ctx.unit_of_work() as session:
        outbox.enqueue(
            session,
            ctx.clock.now(),
            dedupe_key="reminder:x",
            kind="reminder",
            recipient="team@example.org",
            subject="Lotse: Frist in Fall 2026-00007",
            body="Geheimer Text, der nicht angezeigt werden darf",
        )
        session.commit()
    sender = SmtpMailSender(SmtpSettings(host="127.0.0.1", port=free_port(), starttls=False, timeout=5))
    assert len(deliver_outbox(ctx, sender, max_attempts=1).dead) == 1


def test_administrators_see_dead_letters_without_their_text(app, client, auth):
    auth.login("ada")
    empty = client.get(URL).get_data(as_text=True)
    assert 'id="no-dead-letters"' in empty and 'href="/verwaltung/postausgang"' in empty
    _dead_letter(app.extensions["lotse"])
    page = client.get(URL).get_data(as_text=True)
    assert 'id="dead-letters"' in page and "1 nicht zugestellte Nachricht" in page
    assert "team@example.org" in page and "Erinnerung" in page and "Connection" in page
    assert "Geheimer Text" not in page and "2026-00007" not in page


def test_others_may_not_see_the_list(client, auth):
    auth.login("anna")
    assert client.get(URL).status_code == 403
