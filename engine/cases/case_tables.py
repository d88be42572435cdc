"""Every table that refers to a case, with what the retention purge and the Art. 17 erasure leave of it
(``engine.cases.retention.empty_case``). A test compares this with the schema, so a new table that refers
to a case cannot be forgotten: declare here what happens to it, and do it in ``empty_case``."""

from __future__ import annotations

AFTER_PURGE: dict[str, str] = {
    "cases": "the projected statistical columns, coarsened (engine.cases.coarsening); the state is emptied",
    "tasks": "steps and times (no content), the copied case facts (the Land coarsened with the case)",
    "audit_events": "kept: who did what when, never content",
    "case_purges": "the record of the purge itself",
    "case_notes": "deleted",
    "outbox": "delivery records; sealed subject and body emptied; messages still pending deleted",
    "contact_routes": "deleted",
    "case_persons": "the mode and roles; the sealed particulars emptied",
    "case_contacts": "channel, direction, time; the sealed summary emptied",
    "risk_assessments": "proposal, rule and result; answers and reason emptied",
    "appointments": "kind, channel, times; the sealed note emptied",
    "break_glass_grants": "who and when; the sealed reason emptied",
    "case_discards": "who and when; the sealed reason emptied",
    "evidence_items": "media type, size, who and when; file, preview and details emptied",
    "erasure_requests": "who asked and confirmed when; the sealed reason emptied",
    "legal_hold_changes": "who set or released a hold when; the sealed reason emptied",
    "consent_records": "kept: codes only (subject, recipient kind, text version, channel, times)",
    "referrals": "offer and status; the sealed content emptied; deleted once the case is coarsened",
    "strafantraege": "deadline and status; the sealed offence and dates emptied; the Land coarsened",
    "step_failures": "kept: which step failed, the kind and short detail of the error (engine.cases.step_failures)",
    "case_links": "kept: the link between two case ids",
    "case_merges": "kept: which case was merged into which",
    "inbound_messages": "channel, size, times and the raw message's SHA-256; sealed content and raw message emptied",
    "sent_replies": "who and when; the sealed subject and body emptied",
}
