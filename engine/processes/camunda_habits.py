"""Camunda Modeler habits that Lotse does not run, each refused with what to write instead.

Read from the BPMN file before SpiffWorkflow parses it: JUEL expressions (``${a >= 18}``) where Lotse
evaluates Python, cron cycles (``0/5 * * * * ?``) and unquoted ISO 8601 timer values (``PT5M``) where
Lotse evaluates a Python expression that yields an ISO 8601 text. The element named is the one that
carries the expression; the fix is spelled out (the Python equivalent where it can be derived).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass

from lxml import etree

from engine.bpmn.files import ModelProblem
from engine.processes.supported_elements import BPMN, CAMUNDA, executable_processes

JUEL = re.compile(r"^\s*[$#]\{(?P<body>.*)\}\s*$", re.DOTALL)
JUEL_TOKEN = re.compile(
    r"(?P<string>'[^']*'|\"[^\"]*\")|(?P<op>&&|\|\||!=|!|==)|(?P<word>[A-Za-z_][A-Za-z_0-9]*)|(?P<other>.)",
    re.DOTALL,
)
JUEL_WORDS = {
    "eq": "==",
    "ne": "!=",
    "lt": "<",
    "gt": ">",
    "le": "<=",
    "ge": ">=",
    "null": "None",
    "true": "True",
    "false": "False",
    "div": "/",
    "mod": "%",
    "empty": "not",
}
JUEL_OPERATORS = {"&&": " and ", "||": " or ", "!": " not ", "!=": "!=", "==": "=="}
# A Quartz (6 or 7 fields) or Unix (5 fields) cron line.
CRON_FIELD = r"[0-9*?/,\-LW#A-Za-z]+"
CRON = re.compile(rf"^\s*{CRON_FIELD}(\s+{CRON_FIELD}){{4,6}}\s*$")
CRON_WILDCARDS = frozenset({"*", "?", "0/1", "1/1", "*/1"})
CRON_UNITS = ("S", "M", "H")  # seconds, minutes, hours: the fields a step can be turned into ISO 8601
ISO_LITERAL = re.compile(r"^\s*(R\d*/\S+|-?P(\d|T)\S*|\d{4}-\d{2}-\d{2}T\S+)\s*$")
TIMER_TAGS = ("timeDate", "timeDuration", "timeCycle")
TASK_EXPRESSIONS = ("dueDate", "followUpDate", "priority")


@dataclass(frozen=True)
class Habits:
    """The problems found, and the elements they cover (whose parser or sandbox errors say the same)."""

    problems: list[ModelProblem]
    covered: set[str]


def camunda_habits(root: etree._Element) -> Habits:
    problems: list[ModelProblem] = []
    covered: set[str] = set()
    for process in executable_processes(root):
        for element in process.iter(etree.Element):
            for problem, also in _element_habits(element):
                problems.append(problem)
                covered.update(name for name in (problem.element_id, also) if name)
    return Habits(problems, covered)


def _element_habits(element: etree._Element) -> Iterator[tuple[ModelProblem, str | None]]:
    tag = etree.QName(element).localname if element.tag.startswith(BPMN) else ""
    if tag == "sequenceFlow":
        condition = element.find(f"{BPMN}conditionExpression")
        if condition is not None and JUEL.match(condition.text or ""):
            yield _juel(element.get("id"), "condition", condition.text or ""), element.get("sourceRef")
    elif tag == "timerEventDefinition":
        event = element.getparent()
        for child in element:
            if etree.QName(child).localname in TIMER_TAGS and child.text and child.text.strip():
                found = _timer(event.get("id"), etree.QName(child).localname, child.text.strip())
                if found is not None:
                    yield found, None
    elif tag == "userTask":
        for attribute in TASK_EXPRESSIONS:
            value = element.get(f"{CAMUNDA}{attribute}") or ""
            if JUEL.match(value):
                yield _juel(element.get("id"), f"camunda:{attribute}", value), None


def _timer(element: str | None, kind: str, text: str) -> ModelProblem | None:
    if JUEL.match(text):
        return _juel(element, kind, text)
    if kind == "timeCycle" and CRON.match(text) and not text.lstrip().startswith("R"):
        iso = cron_as_iso(text)
        english = f"write '{iso}'" if iso else "write an ISO 8601 cycle such as 'R/PT5M' (every five minutes)"
        german = (
            f"Schreiben Sie '{iso}'"
            if iso
            else "Schreiben Sie einen ISO-8601-Zyklus wie 'R/PT5M' (alle fünf Minuten)"
        )
        return ModelProblem(
            element,
            f"timer: the cycle {text!r} is a cron expression; Lotse reads ISO 8601 repeating intervals, "
            f"in quotes: {english}.",
            german=f"Zeitgeber: Der Zyklus {text!r} ist ein Cron-Ausdruck; Lotse liest wiederholte Intervalle "
            f"nach ISO 8601, in Anführungszeichen: {german}.",
        )
    if ISO_LITERAL.match(text):
        return ModelProblem(
            element,
            f"timer: {text!r} must be in quotes: Lotse reads a timer as a Python expression whose value is "
            f"the ISO 8601 text. Write '{text}' (or a helper such as arbeitstage(2)).",
            german=f"Zeitgeber: {text!r} muss in Anführungszeichen stehen: Lotse liest einen Zeitgeber als "
            f"Python-Ausdruck, dessen Wert der ISO-8601-Text ist. Schreiben Sie '{text}' (oder eine "
            "Hilfsfunktion wie arbeitstage(2)).",
        )
    return None


def _juel(element: str | None, what: str, text: str) -> ModelProblem:
    python = juel_as_python(text)
    if python is not None:
        english, german = f"write {python}", f"Schreiben Sie {python}"
    else:
        english = "write it as a Python expression over the process variables (such as alter >= 18)"
        german = "Schreiben Sie ihn als Python-Ausdruck über die Prozessvariablen (etwa alter >= 18)"
    return ModelProblem(
        element,
        f"{what}: {text.strip()!r} is JUEL, Camunda's expression language; Lotse evaluates Python: {english}.",
        german=f"{what}: {text.strip()!r} ist JUEL, die Ausdruckssprache von Camunda; Lotse wertet Python "
        f"aus: {german}.",
    )


def juel_as_python(text: str) -> str | None:
    """The Python equivalent of a simple JUEL expression (``${a >= 18 && !b}`` -> ``a >= 18 and not b``);
    None when it calls methods or is otherwise beyond a plain comparison."""
    matched = JUEL.match(text)
    if matched is None:
        return None
    parts: list[str] = []
    for token in JUEL_TOKEN.finditer(matched.group("body")):
        if token.group("op"):
            parts.append(JUEL_OPERATORS[token.group("op")])
        elif token.group("word"):
            word = token.group("word")
            parts.append(f" {JUEL_WORDS[word]} " if word in JUEL_WORDS else word)
        elif token.group("string"):
            parts.append(token.group("string"))
        else:
            parts.append(token.group("other"))
    python = " ".join("".join(parts).split())
    try:
        tree = ast.parse(python, mode="eval")
    except SyntaxError:
        return None
    if any(isinstance(node, ast.Call | ast.Attribute | ast.Subscript) for node in ast.walk(tree)):
        return None
    return python


def cron_as_iso(text: str) -> str | None:
    """The ISO 8601 repeating interval of a cron line that fires every N seconds, minutes or hours;
    None for anything else (a time of day, weekdays, lists)."""
    fields = text.split()
    if len(fields) == 5:
        fields = ["0", *fields]  # Unix cron has no seconds field
    for index, unit in enumerate(CRON_UNITS):
        field = fields[index]
        smaller = fields[:index]
        larger = fields[index + 1 : 6]
        if field == "0" or not all(value in CRON_WILDCARDS for value in larger):
            continue
        if not all(value == "0" for value in smaller):
            return None
        step = re.fullmatch(r"(?:\*|0)/(\d+)", field)
        every = int(step.group(1)) if step else 1 if field in CRON_WILDCARDS else None
        if every is None or every == 0:
            return None
        return f"R/PT{every}{unit}"
    return None
