"""compose.yaml (the production topology for container users) parses, and every command it runs is in the README."""

from __future__ import annotations

import shlex
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def commands_of(compose: dict) -> list[str]:
    """Each command a service runs; a ``sh -c "a && b"`` counts as its parts."""
    found = []
    for service in compose["services"].values():
        command = service.get("command")
        if command is None:
            continue
        words = command if isinstance(command, list) else shlex.split(command)
        if words[:2] == ["sh", "-c"]:
            found += [" ".join(part.split()) for part in words[2].split("&&")]
        else:
            found.append(" ".join(words))
    return found


def test_every_command_of_compose_is_in_the_readme():
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    readme = (ROOT / "README.md").read_text()
    services = compose["services"]
    assert {"lotse-db", "prefect-db", "prefect-server", "worker", "web"} <= set(services)
    commands = commands_of(compose)
    assert len(commands) >= 6
    missing = [command for command in commands if f"`{command}`" not in readme]
    assert missing == []


def test_a_command_missing_from_the_readme_is_found():
    compose = {"services": {"x": {"command": 'sh -c "lotse db upgrade && lotse frobnicate"'}}}
    readme = (ROOT / "README.md").read_text()
    assert [command for command in commands_of(compose) if f"`{command}`" not in readme] == [
        "lotse frobnicate"
    ]
