"""DMN features Lotse does not run, each refused naming the file and rule with what to write instead.

Lotse evaluates decision table cells as Python (a cell is compared with the input, or ``?`` stands for
it) and knows the hit policies UNIQUE and COLLECT. FEEL ranges, ``not(...)`` and FEEL's date functions
are refused with their Python equivalent; other hit policies with the nearest one Lotse has.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from lxml import etree

from engine.bpmn.files import ModelProblem
from engine.processes.supported_elements import BPMN, CAMUNDA, executable_processes

HIT_POLICIES = ("UNIQUE", "COLLECT")
RANGE = re.compile(
    r"^\s*(?P<open>[\[\(\]])\s*(?P<low>[^.]+?)\s*\.\.\s*(?P<high>[^.]+?)\s*(?P<close>[\]\)\[])\s*$"
)
NEGATION = re.compile(r"^\s*not\s*\((?P<inner>.*)\)\s*$", re.DOTALL)
FEEL_FUNCTIONS = re.compile(r"\b(date and time|date|time|duration)\s*\(")
COMPARISON = re.compile(r"^\s*(<=|>=|<|>)\s*\S")


def decision_habits(dmn_roots: dict[str, etree._Element], bpmn: etree._Element) -> list[ModelProblem]:
    """One problem per decision table with a hit policy and per cell with FEEL that Lotse cannot run.

    The problem names the business rule task that uses the decision (else the file only).
    """
    users = _tasks_by_decision(bpmn)
    problems = []
    for file_name, root in dmn_roots.items():
        for decision in (e for e in root.iter(etree.Element) if etree.QName(e).localname == "decision"):
            element = users.get(decision.get("id") or "")
            for english, german in _table_habits(decision):
                problems.append(
                    ModelProblem(element, f"{file_name}: {english}", german=f"{file_name}: {german}")
                )
    return problems


def _tasks_by_decision(bpmn: etree._Element) -> dict[str, str]:
    return {
        task.get(f"{CAMUNDA}decisionRef"): task.get("id")
        for process in executable_processes(bpmn)
        for task in process.iter(f"{BPMN}businessRuleTask")
        if task.get(f"{CAMUNDA}decisionRef")
    }


def _table_habits(decision: etree._Element) -> Iterator[tuple[str, str]]:
    for table in (e for e in decision.iter(etree.Element) if etree.QName(e).localname == "decisionTable"):
        policy = (table.get("hitPolicy") or "UNIQUE").upper()
        if policy not in HIT_POLICIES:
            yield (
                f"the hit policy {policy} is not supported: Lotse knows UNIQUE (exactly one rule matches; "
                "make the rules exclusive) and COLLECT (every matching rule, as a list).",
                f"Die Trefferrichtlinie {policy} wird nicht unterstützt: Lotse kennt UNIQUE (genau eine "
                "Regel trifft zu; machen Sie die Regeln eindeutig) und COLLECT (alle zutreffenden Regeln "
                "als Liste).",
            )
        if table.get("aggregation"):
            yield (
                f"the aggregation {table.get('aggregation')} is not supported: use COLLECT without "
                "aggregation and sum or count in a script task.",
                f"Die Aggregation {table.get('aggregation')} wird nicht unterstützt: Verwenden Sie COLLECT "
                "ohne Aggregation und summieren oder zählen Sie in einer Skriptaufgabe.",
            )
        for rule in (e for e in table if etree.QName(e).localname == "rule"):
            for entry in (e for e in rule if etree.QName(e).localname == "inputEntry"):
                text = "".join(entry.itertext()).strip()
                fix = feel_as_python(text)
                if fix is not None:
                    yield _cell(rule.get("id") or "?", text, fix)


def _cell(rule: str, text: str, fix: str) -> tuple[str, str]:
    if fix:
        return (
            f"rule {rule}: the cell {text!r} is FEEL; Lotse evaluates Python, where ? stands for the "
            f"input: write {fix}.",
            f"Regel {rule}: Die Zelle {text!r} ist FEEL; Lotse wertet Python aus, ? steht für die "
            f"Eingabe: Schreiben Sie {fix}.",
        )
    return (
        f"rule {rule}: the cell {text!r} uses FEEL's date and time functions; Lotse evaluates Python: "
        "compare with a helper such as jetzt() or an ISO 8601 text.",
        f"Regel {rule}: Die Zelle {text!r} verwendet die Datums- und Zeitfunktionen von FEEL; Lotse "
        "wertet Python aus: Vergleichen Sie mit einer Hilfsfunktion wie jetzt() oder einem ISO-8601-Text.",
    )


def feel_as_python(text: str) -> str | None:
    """The Python test for a FEEL cell Lotse cannot run ('' when there is none to offer); None when the
    cell is Python already (or plain)."""
    matched = RANGE.match(text)
    if matched is not None:
        low = "<=" if matched.group("open") == "[" else "<"
        high = "<=" if matched.group("close") == "]" else "<"
        return f"{matched.group('low')} {low} ? {high} {matched.group('high')}"
    negated = NEGATION.match(text)
    if negated is not None:
        inner = negated.group("inner").strip()
        return f"? not in ({inner},)" if "," in inner else f"? != {inner}"
    if FEEL_FUNCTIONS.search(text):
        return ""
    return None
