"""The model corpus (tests/integration/model_corpus): model files written for these tests, one folder per case.

Each folder holds one BPMN file and the DMN files beside it, as ``lotse workflows deploy FOLDER`` takes
them. ``EXPECTED`` says what Lotse must do with each: deploy it, or refuse it naming an element id or
a file (in English and German).
"""

from __future__ import annotations

from pathlib import Path

from engine.bpmn.files import ModelProblem

CORPUS = Path(__file__).resolve().parent / "integration" / "model_corpus"

# case -> (outcome, what a refusal names: an element id, a file name, or an (English, German) phrase)
EXPECTED: dict[str, tuple[str, str | tuple[str, str] | None]] = {
    "service_task_class": ("refused", "bescheid_erzeugen"),
    "service_task_expression": ("refused", "akte_anlegen"),
    "service_task_delegate": ("refused", "sms_senden"),
    "service_task_external": ("refused", "termin_buchen"),
    "service_task_connector": ("refused", "webhook_rufen"),
    "message_start_event": ("refused", "anfrage_eingegangen"),
    "message_intermediate_catch": ("refused", "rueckmeldung_abwarten"),
    "message_intermediate_throw": ("refused", "stelle_benachrichtigen"),
    "message_end_event": ("refused", "abschluss_melden"),
    "message_boundary_event": ("refused", "abbruch_gemeldet"),
    "message_catch_delivered": ("deployed", None),
    "message_new_message": ("deployed", None),  # waits for the person's reply (test_message_events)
    "send_task": ("refused", "brief_senden"),
    "receive_task": ("refused", "antwort_empfangen"),
    "decision_missing": ("refused", "einstufen"),
    "business_rule_task_class": ("refused", "regeln_anwenden"),
    "call_activity_unknown": ("refused", "nachsorge_starten"),
    "sequence_flow_without_source": ("refused", "zum_beraten"),
    "sequence_flow_to_nowhere": ("refused", "ins_leere"),
    "duplicate_ids": ("refused", "beraten"),
    "process_without_id": ("refused", ("process has no id", "Prozess hat keine ID")),
    "script_format_javascript": ("refused", "summe_bilden"),
    "dmn_1_1_prefixed": ("refused", "einstufen"),  # read now; its FEEL range is no Python
    "dmn_1_2_prefixed": ("deployed", None),
    "dmn_1_4": ("refused", "einstufung.dmn"),
    "dmn_1_5": ("refused", "einstufung.dmn"),
    "dmn_literal_expression": ("refused", "einstufung.dmn"),
    "dmn_without_decision": ("refused", "einstufung.dmn"),
    # Camunda Modeler habits: refused naming the element, saying what to write instead (FIXES)
    "juel_condition": ("refused", "volljaehrig_weiter"),
    "cron_cycle": ("refused", "regelmaessig_erinnern"),
    "iso_timer_unquoted": ("refused", "fuenf_minuten_warten"),
    "assignee_only": ("refused", "antrag_pruefen"),
    "lane_unknown_group": ("deployed", None),  # with a warning listing the staff groups
    "dmn_hit_policy_first": ("refused", "einstufen"),
    "dmn_feel_range": ("refused", "einstufen"),
}
# case -> (file, text in it, what the refusal says to write instead, the file with that written)
FIXES: dict[str, tuple[str, str, str, str]] = {
    "juel_condition": ("volljaehrig.bpmn", "${alter &gt;= 18}", "alter >= 18", "alter &gt;= 18"),
    "cron_cycle": ("erinnerung.bpmn", "0/5 0/1 * 1/1 * ?", "'R/PT5S'", "'R/PT5S'"),
    "iso_timer_unquoted": ("wartezeit.bpmn", ">PT5M<", "'PT5M'", ">'PT5M'<"),
    "assignee_only": (
        "antrag.bpmn",
        'camunda:assignee="demo"',
        "camunda:candidateGroups",
        'camunda:candidateGroups="beratung"',
    ),
    "dmn_hit_policy_first": ("einstufung_tabelle.dmn", 'hitPolicy="FIRST"', "UNIQUE", 'hitPolicy="UNIQUE"'),
    "dmn_feel_range": ("einstufung_tabelle.dmn", "[3..10]", "3 <= ? <= 10", "3 &lt;= ? &lt;= 10"),
    # message events: the one message from the person Lotse delivers, or a plain event
    "message_intermediate_catch": (
        "message_intermediate_catch.bpmn",
        'name="rueckmeldung_stelle"',
        "'neue_nachricht'",
        'name="neue_nachricht"',
    ),
    "message_boundary_event": (
        "message_boundary_event.bpmn",
        'name="rueckmeldung_stelle"',
        "'neue_nachricht'",
        'name="neue_nachricht"',
    ),
    "message_start_event": (
        "message_start_event.bpmn",
        '<bpmn:messageEventDefinition id="anfrage_nachricht" messageRef="nachricht_rueckmeldung"/>',
        "messageEventDefinition",
        "",
    ),
    "message_end_event": (
        "message_end_event.bpmn",
        '<bpmn:messageEventDefinition id="abschluss_nachricht" messageRef="nachricht_rueckmeldung"/>',
        "messageEventDefinition",
        "",
    ),
    "message_intermediate_throw": (
        "message_intermediate_throw.bpmn",
        '<bpmn:messageEventDefinition id="benachrichtigung" messageRef="nachricht_rueckmeldung" '
        'camunda:class="org.example.lotse.Benachrichtigen"/>',
        "messageEventDefinition",
        "",
    ),
}
REFUSED = sorted(case for case, (outcome, _) in EXPECTED.items() if outcome == "refused")


def corpus_files(case: str) -> tuple[str, bytes, dict[str, bytes]]:
    """The BPMN file's name and content, and the DMN files beside it."""
    folder = CORPUS / case
    (bpmn,) = folder.glob("*.bpmn")
    return bpmn.name, bpmn.read_bytes(), {dmn.name: dmn.read_bytes() for dmn in sorted(folder.glob("*.dmn"))}


def names(problem: ModelProblem, needle: str | tuple[str, str] | None) -> bool:
    """Whether a problem names what the corpus expects (in both languages where it is a phrase)."""
    if needle is None:
        return True
    if isinstance(needle, tuple):
        english, german = needle
        return english in problem.message and german in (problem.german or "")
    return needle in (problem.element_id or "") or needle in problem.message


def shown(page: str, needle: str | tuple[str, str] | None) -> bool:
    """Whether a German page shows what the corpus expects."""
    if needle is None:
        return True
    return (needle[1] if isinstance(needle, tuple) else needle) in page
