"""The dependency rules of DESIGN.md, checked on the source: engine imports no Flask; one module imports SpiffWorkflow."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("engine", "web", "integrations")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def _modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def test_engine_imports_no_web_framework_and_no_scheduler():
    offenders = {
        str(path.relative_to(ROOT)): sorted(
            _imports(path) & {"flask", "flask_login", "prefect", "smtplib", "web"}
        )
        for path in _modules("engine")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_only_the_facade_imports_spiffworkflow():
    importers = [
        str(path.relative_to(ROOT))
        for package in PACKAGES
        for path in _modules(package)
        if "SpiffWorkflow" in _imports(path)
    ]
    assert importers == ["engine/bpmn.py"]


def test_the_rule_would_catch_a_violation(tmp_path):
    rogue = tmp_path / "rogue.py"
    rogue.write_text("from flask import Flask\nimport SpiffWorkflow.bpmn\n")
    assert {"flask", "SpiffWorkflow"} <= _imports(rogue)
