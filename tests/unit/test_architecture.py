"""The layout rules of DESIGN.md and issue 15, checked on the source; each rule is shown to catch a planted violation.

- ``engine/`` is a set of area packages: no module lies directly in it.
- ``engine`` imports neither Flask, Prefect, mail libraries, nor ``web``, ``integrations``, ``lotse``;
  ``integrations`` does not import ``web``.
- Only the ``engine/bpmn`` package imports SpiffWorkflow.
- No SQL in the web package: no ``sqlalchemy`` and no ORM tables imported there.
- No import cycle at run time (module-level imports, ``if TYPE_CHECKING`` blocks left out) in engine or web.
- No module over 400 lines.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("engine", "web", "integrations", "lotse")
MAX_LINES = 400
FORBIDDEN = {
    "engine": {"flask", "flask_login", "flask_wtf", "flask_babel", "prefect", "smtplib", "imaplib"}
    | {"web", "integrations", "lotse", "benchmarks"},
    "integrations": {"web"},
}
WEB_SQL = ("sqlalchemy", "engine.store.tables")


# --- reading the source ----------------------------------------------------------------------------


def _modules(root: Path, package: str) -> Iterator[Path]:
    for path in sorted((root / package).rglob("*.py")):
        if "node_modules" not in path.parts and "versions" not in path.parent.parts[-1:]:
            yield path


def _module_name(root: Path, path: Path) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imported(path: Path, top_level_only: bool = False) -> list[str]:
    """Dotted names a module imports: ``from a.b import c`` gives ``a.b`` and ``a.b.c``."""
    tree = ast.parse(path.read_text(), filename=str(path))
    nodes: list[ast.AST] = []
    if top_level_only:
        pending = list(tree.body)
        while pending:
            node = pending.pop()
            if isinstance(node, ast.If) and not _is_type_checking(node):
                pending.extend(node.body + node.orelse)
            elif isinstance(node, ast.Try):
                pending.extend(node.body + node.orelse + node.finalbody)
            elif isinstance(node, ast.Import | ast.ImportFrom):
                nodes.append(node)
    else:
        nodes = [node for node in ast.walk(tree) if isinstance(node, ast.Import | ast.ImportFrom)]
    found: list[str] = []
    for node in nodes:
        if isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
            found.extend(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def _top(name: str) -> str:
    return name.split(".")[0]


# --- the rules: each returns its violations --------------------------------------------------------


def modules_outside_area_packages(root: Path) -> list[str]:
    return sorted(
        str(path.relative_to(root)) for path in (root / "engine").glob("*.py") if path.name != "__init__.py"
    )


def forbidden_imports(root: Path) -> dict[str, list[str]]:
    offenders: dict[str, list[str]] = {}
    for package, forbidden in FORBIDDEN.items():
        for path in _modules(root, package):
            bad = sorted({_top(name) for name in _imported(path)} & forbidden)
            if bad:
                offenders[str(path.relative_to(root))] = bad
    return offenders


def spiffworkflow_importers(root: Path) -> list[str]:
    return sorted(
        str(path.relative_to(root))
        for package in PACKAGES
        for path in _modules(root, package)
        if "SpiffWorkflow" in {_top(name) for name in _imported(path)}
        and path.relative_to(root).parts[:2] != ("engine", "bpmn")
    )


def sql_in_web(root: Path) -> dict[str, list[str]]:
    offenders: dict[str, list[str]] = {}
    for path in _modules(root, "web"):
        names = _imported(path)
        bad = [s for s in WEB_SQL if any(name == s or name.startswith(s + ".") for name in names)]
        if bad:
            offenders[str(path.relative_to(root))] = bad
    return offenders


def import_cycles(root: Path, package: str) -> list[list[str]]:
    """Every strongly connected group of modules that import each other at import time."""
    paths = {_module_name(root, path): path for path in _modules(root, package)}
    graph = {
        name: sorted({target for target in _imported(path, top_level_only=True) if target in paths} - {name})
        for name, path in paths.items()
    }
    return [sorted(group) for group in _strongly_connected(graph) if len(group) > 1]


def _strongly_connected(graph: dict[str, list[str]]) -> list[list[str]]:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            groups.append(group)

    for node in graph:
        if node not in index:
            visit(node)
    return groups


def oversized_modules(root: Path) -> dict[str, int]:
    sizes = {
        str(path.relative_to(root)): len(path.read_text().splitlines())
        for package in PACKAGES
        for path in _modules(root, package)
    }
    return {name: lines for name, lines in sizes.items() if lines > MAX_LINES}


# --- the rules hold for Lotse ----------------------------------------------------------------------


def test_engine_is_a_set_of_area_packages():
    assert modules_outside_area_packages(ROOT) == []


def test_engine_imports_no_web_framework_scheduler_mail_or_outer_package():
    assert forbidden_imports(ROOT) == {}


def test_only_the_bpmn_package_imports_spiffworkflow():
    assert spiffworkflow_importers(ROOT) == []
    assert any("SpiffWorkflow" in {_top(n) for n in _imported(p)} for p in _modules(ROOT, "engine/bpmn"))


def test_no_sql_in_the_web_package():
    assert sql_in_web(ROOT) == {}


@pytest.mark.parametrize("package", ["engine", "web"])
def test_no_import_cycles(package):
    assert import_cycles(ROOT, package) == []


def test_no_module_over_400_lines():
    assert oversized_modules(ROOT) == {}


def test_importing_every_module_has_no_side_effect_on_spiffworkflow():
    """SpiffWorkflow's timers read Lotse's clock only once a runtime is built, not because a module was imported."""
    probe = (
        "import importlib, pkgutil, datetime, engine\n"
        "for info in pkgutil.walk_packages(engine.__path__, 'engine.'):\n"
        "    if '.migrations' not in info.name:\n"
        "        importlib.import_module(info.name)\n"
        "from SpiffWorkflow.bpmn.specs.event_definitions import timer\n"
        "assert timer.datetime is datetime.datetime, timer.datetime\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr


# --- each rule catches a planted violation ---------------------------------------------------------


def _plant(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_a_flat_engine_module_is_caught(tmp_path):
    root = _plant(
        tmp_path, {"engine/__init__.py": "", "engine/helpers.py": "", "engine/cases/__init__.py": ""}
    )
    assert modules_outside_area_packages(root) == ["engine/helpers.py"]


def test_forbidden_imports_are_caught(tmp_path):
    root = _plant(
        tmp_path,
        {
            "engine/cases/rogue.py": "def f():\n    from flask import request\n    import web.app\n",
            "integrations/mail.py": "from web.app import create_app\n",
        },
    )
    assert forbidden_imports(root) == {
        "engine/cases/rogue.py": ["flask", "web"],
        "integrations/mail.py": ["web"],
    }


def test_a_second_spiffworkflow_importer_is_caught(tmp_path):
    root = _plant(
        tmp_path,
        {
            "engine/bpmn/parsing.py": "from SpiffWorkflow.camunda.parser import CamundaParser\n",
            "engine/cases/shortcut.py": "import SpiffWorkflow.bpmn\n",
        },
    )
    assert spiffworkflow_importers(root) == ["engine/cases/shortcut.py"]


def test_sql_in_a_view_is_caught(tmp_path):
    root = _plant(
        tmp_path,
        {"web/cases.py": "from sqlalchemy import select\nfrom engine.store.tables import Case\n"},
    )
    assert sql_in_web(root) == {"web/cases.py": ["sqlalchemy", "engine.store.tables"]}


def test_an_import_cycle_is_caught_but_not_a_deferred_or_typing_import(tmp_path):
    root = _plant(
        tmp_path,
        {
            "web/app.py": "from web.inbox import page\n",
            "web/inbox.py": "from web import app\n",
            "web/tasks.py": "def f():\n    from web.cases import g\n",
            "web/cases.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from web.tasks import f\n",
        },
    )
    assert import_cycles(root, "web") == [["web.app", "web.inbox"]]


def test_an_oversized_module_is_caught(tmp_path):
    root = _plant(tmp_path, {"engine/cases/big.py": "x = 1\n" * 401, "engine/cases/ok.py": "x = 1\n" * 400})
    assert oversized_modules(root) == {"engine/cases/big.py": 401}
