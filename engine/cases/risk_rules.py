"""The decision table's rules as people read them: the text (``<description>``) of the rule that gave a
risk proposal, taken from the DMN of the case's own process version, with its English text where the
model gives one (``description_en``, see ``engine.bpmn.decision_texts``)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache

from lxml import etree

from engine.bpmn.decision_texts import english_texts

RULE_OUTPUT = "risikoregel"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


@dataclass(frozen=True)
class RuleText:
    text: str  # the model's (German) text
    text_en: str | None = None  # its English text, if the model gives one

    def in_language(self, language: str) -> str:
        return self.text_en if language == "en" and self.text_en else self.text


def rule_texts(dmn_json: str, rule: str | None) -> tuple[RuleText, ...]:
    """The texts of the rules that output ``rule`` (e.g. "R3": a rule split over rows has one per row)."""
    if not rule:
        return ()
    return _texts(dmn_json).get(rule, ())


@lru_cache(maxsize=16)
def _texts(dmn_json: str) -> dict[str, tuple[RuleText, ...]]:
    found: dict[str, list[RuleText]] = {}
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
                    english = english_texts(row).get("description_en")
                    found.setdefault(value, []).append(RuleText(description, english))
    return {key: tuple(texts) for key, texts in found.items()}
