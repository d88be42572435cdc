"""Nachfassen tells the handover's delivery truthfully, through HTTP and a real SMTP server: while the warm
handover e-mail waits in the outbox, the follow-up task's panel says "Übergabe wartet auf Versand" with the
reason, never "warm übergeben"; once the e-mail has been sent, it says "warm übergeben"."""

from __future__ import annotations

from datetime import timedelta

from engine.deadlines.timer_sweep import sweep_timers
from engine.kernel.outbox import deliver_outbox
from engine.kernel.settings import SmtpSettings
from integrations.smtp_mail import SmtpMailSender
from tests.smtp_server import SmtpServer
from tests.steps import task_id_for
from tests.web.test_referral_answers import _handed_over


def _panel(page: str) -> str:
    return page.split('id="referral-panel"', 1)[1].split("</section>", 1)[0]


def test_nachfassen_says_waiting_until_the_handover_left_the_outbox(
    deployed, client, auth, clock, monkeypatch
):
    monkeypatch.delenv("LOTSE_SMTP_HOST", raising=False)
    case_id, _referral_id = _handed_over(deployed)
    clock.advance(timedelta(days=30))
    sweep_timers(deployed, now=clock.now())
    nachfassen = task_id_for(deployed, case_id, "nachfassen")
    auth.login("anna")
    panel = _panel(client.get(f"/aufgaben/{nachfassen}").get_data(as_text=True))
    assert "Vermittlungen nachfassen" in panel
    assert 'data-delivery="waiting"' in panel
    assert "Übergabe wartet auf Versand (kein Mailserver eingerichtet)" in panel
    assert "warm übergeben" not in panel

    monkeypatch.setenv("LOTSE_SMTP_HOST", "127.0.0.1")
    panel = _panel(client.get(f"/aufgaben/{nachfassen}").get_data(as_text=True))
    assert "Übergabe wartet auf Versand (in der Warteschlange)" in panel

    with SmtpServer() as smtp:
        sender = SmtpMailSender(SmtpSettings(host="127.0.0.1", port=smtp.port, starttls=False, timeout=5))
        assert len(deliver_outbox(deployed, sender, clock.now()).sent) == 1
    panel = _panel(client.get(f"/aufgaben/{nachfassen}").get_data(as_text=True))
    assert "warm übergeben" in panel and "wartet auf Versand" not in panel
