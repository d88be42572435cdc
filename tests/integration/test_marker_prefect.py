"""No case content in Prefect's database (issue 19): an e-mail with a marker everywhere is taken by the
mail-intake flow from a real IMAP server, a case opened from it gets a reply with the marker, and the outbox
flow (a real SMTP server refusing the person's address) and the timer sweep flow run through Prefect with
its own database in a temporary folder. Neither that database (with its write-ahead log) nor Lotse's holds
the marker in any form (see tests/web/test_marker_everywhere.py for the other paths)."""

from __future__ import annotations

import base64
import glob
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from engine.channels.replies import send_reply
from engine.channels.triage import open_case_from_message, triage_queue
from engine.store import schema
from engine.store.tables import OutboxMessage
from tests.conftest import COUNSELLOR, make_context, shipped_models
from tests.database_dump import database_bytes
from tests.marker_search import ADDRESS, MARKER, UMLAUT_MARKER, forms, hits, mail_with_marker
from tests.smtp_server import SmtpServer

pytestmark = pytest.mark.prefect


@pytest.fixture
def lotse_database(tmp_path, clock, monkeypatch, dovecot):
    from engine.processes.deployment import deploy_process

    url = f"sqlite:///{tmp_path / 'lotse.db'}"
    ctx = make_context(url, clock)
    schema.upgrade(ctx.db)
    bpmn, dmn = shipped_models()
    deploy_process(ctx, "test", bpmn, dmn)
    keyring = "test:" + base64.urlsafe_b64encode(b"k" * 32).decode()  # the key of TEST_KEY
    settings = {
        "LOTSE_DATABASE_URL": url,
        "LOTSE_KEYS": keyring,
        "DO_NOT_TRACK": "1",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "LOTSE_IMAP_HOST": dovecot.host,
        "LOTSE_IMAP_PORT": str(dovecot.port),
        "LOTSE_IMAP_TLS": "off",
        "LOTSE_IMAP_USER": dovecot.user,
        "LOTSE_IMAP_PASSWORD": dovecot.password,
        "LOTSE_SMTP_STARTTLS": "off",
    }
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    yield ctx
    ctx.db.dispose()


def _prefect_files() -> bytes:
    """Prefect's own database as it lies on disk: the file and its journal or write-ahead log."""
    import prefect.settings

    url = make_url(prefect.settings.PREFECT_SERVER_DATABASE_CONNECTION_URL.value())
    files = [Path(name) for name in glob.glob(f"{url.database}*")]
    assert files, "Prefect's database was written"
    return b"".join(path.read_bytes() for path in files)


def _run(flows, ctx, dovecot, monkeypatch) -> tuple[dict, dict, dict, bytes]:
    dovecot.append(mail_with_marker())
    taken = flows.mail_intake_flow()
    [entry] = triage_queue(ctx, COUNSELLOR)
    case = open_case_from_message(ctx, COUNSELLOR, entry.id)
    send_reply(ctx, COUNSELLOR, case.case_id, f"Antwort {MARKER}")
    with SmtpServer(refuse=frozenset({ADDRESS})) as server:
        monkeypatch.setenv("LOTSE_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("LOTSE_SMTP_PORT", str(server.port))
        delivered = flows.outbox_flow()
    swept = flows.sweep_flow()
    return taken, delivered, swept, _prefect_files()


def test_prefect_keeps_no_marker(lotse_database, dovecot, monkeypatch):
    from prefect.testing.utilities import prefect_test_harness

    from integrations import flows

    ctx = lotse_database
    flows._context = None
    # the flows in a thread of their own: an event loop left running by another test must not matter here
    with prefect_test_harness(server_startup_timeout=90), ThreadPoolExecutor(1) as thread:
        taken, delivered, swept, prefect_bytes = thread.submit(_run, flows, ctx, dovecot, monkeypatch).result(
            timeout=300
        )
    flows._context = None
    assert taken["taken"] == 1 and len(delivered["dead"]) == 1 and swept["fired"] >= 1
    assert b"lotse-outbox" in prefect_bytes, "Prefect's database is read (the flow runs are in it)"
    with ctx.unit_of_work(writes=False) as session:
        error = session.scalar(select(OutboxMessage.last_error).where(OutboxMessage.status == "dead"))
    assert "550" in error
    needles = forms(MARKER, UMLAUT_MARKER, ADDRESS)
    assert hits(prefect_bytes, needles) == []
    ctx.db.dispose()
    assert hits(database_bytes(ctx.db.url.render_as_string(hide_password=False)), needles) == []
