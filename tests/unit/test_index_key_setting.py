"""The blind index has a key of its own: LOTSE_INDEX_KEY, else one generated once into the instance folder."""

from __future__ import annotations

import base64
import os
import stat

from engine.kernel.settings import Settings
from web.app import create_app


def test_the_index_key_is_generated_once_and_kept_private(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("LOTSE_INDEX_KEY", raising=False)
    first = Settings.from_environment(tmp_path)
    again = Settings.from_environment(tmp_path)
    key_file = tmp_path / "index_key"
    assert first.index_key == again.index_key and len(base64.urlsafe_b64decode(first.index_key)) == 32
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert first.index_key != first.keyring and first.index_key not in first.keyring
    app = create_app({"INSTANCE_PATH": tmp_path, "LOTSE_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"})
    assert app.extensions["lotse"].index_key == base64.urlsafe_b64decode(first.index_key)


def test_the_environment_names_the_index_key(tmp_path, monkeypatch) -> None:
    chosen = base64.urlsafe_b64encode(b"i" * 32).decode()
    monkeypatch.setenv("LOTSE_INDEX_KEY", chosen)
    assert Settings.from_environment(tmp_path).index_key == chosen
    assert not (tmp_path / "index_key").exists()
