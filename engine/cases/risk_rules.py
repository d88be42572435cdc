"""The decision table's rules as people read them: the text (``<description>``) of the rule that gave a
risk proposal, taken from the DMN of the case's own process version."""

from __future__ import annotations

import json
from functools import lru_cache

from lxml import etree

RULE_OUTPUT = "risikoregel"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def rule_texts(dmn_json: str, rule: str | None) -> tuple[str, ...]:
    """The texts of the rules that output ``rule`` (e.g. "R3": a rule split over rows has one per row)."""
    if not rule:
        return ()
    return _texts(dmn_json).get(rule, ())


@lru_cache(maxsize=16)
def _texts(dmn_json: str) -> dict[str, tuple[str, ...]]:
    found: dict[str, list[str]] = {}
    for xml in json.loads(dmn_json or "{}").values():
        root = etree.fromstring(xml.encode() if isinstance(xml, str) else xml, _PARSER)
        for table in root.iter("{*}decisionTable"):
            outputs = [element.get("name") for element in table.findall("{*}output")]
            if RULE_OUTPUT not in outputs:
                continue
            position = outputs.index(RULE_OUTPUT)
            for row in table.findall("{*}rule"):
                entries = row.findall("{*}outputEntry")
                if position >= len(entries):
                    continue
                value = (entries[position].findtext("{*}text") or "").strip().strip("\"'")
                description = (row.findtext("{*}description") or "").strip()
                if value and description:
                    found.setdefault(value, []).append(description)
    return {key: tuple(texts) for key, texts in found.items()}
