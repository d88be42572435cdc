"""A case whose stored state cannot be opened (its key is missing from the keyring, or it was altered)
shows a clear page naming the key, for that case alone; the other cases open as before."""

from __future__ import annotations

from sqlalchemy import update

from engine.cases.lifecycle import open_case
from engine.store.case_store import binding
from engine.store.tables import Case
from engine.store.vault import Vault
from tests.conftest import COUNSELLOR


def _seal_elsewhere(ctx, case_id: int, state: bytes | None = None) -> None:
    with ctx.unit_of_work() as session:
        if state is None:
            state = Vault({"verloren": b"v" * 32}, "verloren").seal(b"{}", binding(case_id))
        session.execute(update(Case).where(Case.id == case_id).values(state=state))
        session.commit()
    ctx.instances.clear()


def test_a_missing_key_or_altered_state_fails_only_that_case_page(deployed, client, auth):
    lost = open_case(deployed, COUNSELLOR).case_id
    altered = open_case(deployed, COUNSELLOR).case_id
    fine = open_case(deployed, COUNSELLOR).case_id
    _seal_elsewhere(deployed, lost)
    with deployed.unit_of_work(writes=False) as session:
        state = session.get(Case, altered).state
    _seal_elsewhere(deployed, altered, state[:-1] + bytes([state[-1] ^ 1]))
    auth.login("anna")
    page = client.get(f"/faelle/{lost}")
    assert page.status_code == 500
    text = page.get_data(as_text=True)
    assert "Inhalt nicht lesbar" in text and "mit dem Schlüssel „verloren“ verschlüsselt" in text
    assert "Traceback" not in text
    changed = client.get(f"/faelle/{altered}")
    assert changed.status_code == 500 and "wurde verändert" in changed.get_data(as_text=True)
    assert client.get(f"/faelle/{fine}").status_code == 200
