"""A hand-built data set for March 2026 with known answers for every statistics figure (rows written directly)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from engine.store.person_tables import CaseContact, CasePerson
from engine.store.referral_tables import Referral, SupportOffer
from engine.store.tables import AuditEvent, Case, ProcessVersion, RiskAssessmentRow, StrafantragRow, Task

BERLIN = ZoneInfo("Europe/Berlin")
MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=BERLIN)  # Monday 2 March 2026, 10:00
# working hours from opening to the first referral of the six HOCH cases; 7.0 = 6 h on Monday + 1 h on Tuesday
FIRST_REFERRAL_HOURS = (1, 2, 3, 4, 5)


def _case(session: Session, version: int, n: int, opened: datetime, **facts: object) -> Case:
    row = Case(
        reference=f"T-{n}",
        process_version_id=version,
        state=b"-",
        serializer_version="1",
        status=facts.pop("status", "open"),
        opened_at=opened,
        updated_at=opened,
        opened_by="anna",
        **facts,
    )
    session.add(row)
    session.flush()
    return row


def _offer(session: Session, key: str, category: str) -> SupportOffer:
    offer = SupportOffer(
        key=key, name=key, organisation=key, lands="", category=category, incident_types="", needs="",
        phone="", email="", web="", form_url="", opening_hours="", languages="", source_url="",
        confidence="H", notes="", updated_at=MONDAY, updated_by="tara",
    )  # fmt: skip
    session.add(offer)
    session.flush()
    return offer


def _referral(
    session: Session, case: Case, offer: SupportOffer, at: datetime, status: str, warm: bool
) -> None:
    session.add(
        Referral(
            case_id=case.id, offer_id=offer.id, task_id=f"t{case.id}-{offer.id}", status=status,
            consent=warm, consent_facts="", handover_at=at if warm else None, created_at=at, created_by="anna",
            updated_at=at, updated_by="anna",
        )
    )  # fmt: skip


def build(session: Session) -> None:
    """Nine cases opened in March 2026 (plus one in February, one discarded), with everything around them."""
    version = ProcessVersion(
        key="t", version=1, name="t", sha256="0" * 64, bpmn_xml="", dmn_xml="{}", spec_json="{}",
        deployed_at=MONDAY, deployed_by="paul",
    )  # fmt: skip
    session.add(version)
    session.flush()
    police, victims = (
        _offer(session, "stat_polizei", "polizei"),
        _offer(session, "stat_opferberatung", "opferberatung"),
    )
    hoch = []
    for n in range(6):
        closed = {"status": "closed", "closed_at": MONDAY + timedelta(days=10)} if n == 0 else {}
        case = _case(
            session, version.id, n, MONDAY, land="NW", office_type="buergermeister_hauptamt", risk_level="HOCH",
            contact_channel="telefon", incident_types="beleidigung bedrohung", incident_channel="social_media",
            request_kind="beratung", request_topics="recht sicherheit" if n < 4 else "psychosozial", **closed,
        )  # fmt: skip
        session.add(
            CasePerson(
                case_id=case.id, mode="anonym", affected_role="selbst", updated_at=MONDAY, updated_by="a"
            )
        )
        hoch.append(case)
    for case, hours in zip(hoch, FIRST_REFERRAL_HOURS, strict=False):
        _referral(
            session,
            case,
            police,
            MONDAY + timedelta(hours=hours),
            "helped" if hours <= 4 else "reached",
            hours <= 3,
        )
    _referral(session, hoch[5], police, datetime(2026, 3, 3, 10, 0, tzinfo=BERLIN), "reached", False)
    _referral(session, hoch[0], victims, MONDAY + timedelta(days=2), "not_helped", False)
    for n in (6, 7):
        case = _case(
            session, version.id, n, MONDAY, land="HB", office_type="kandidat", risk_level="NIEDRIG",
            contact_channel="email", incident_types="beleidigung", incident_channel="email",
            first_contact_at=MONDAY + timedelta(minutes=30), request_topics="sicherheit",
        )  # fmt: skip
        session.add(
            CasePerson(
                case_id=case.id, mode="anonym", affected_role="familie", updated_at=MONDAY, updated_by="a"
            )
        )
    info = _case(
        session, version.id, 8, MONDAY, land="NW", office_type="rat", risk_level="INFO", contact_channel="telefon",
        request_kind="information", incident_types="kein_vorfall", request_topics="information",
    )  # fmt: skip
    session.add(
        CasePerson(
            case_id=info.id, mode="anonym", affected_role="nicht_betroffen", updated_at=MONDAY, updated_by="a"
        )
    )
    _case(session, version.id, 9, MONDAY, land="SL", office_type="rat", status="discarded")
    february = datetime(2026, 2, 20, 10, 0, tzinfo=BERLIN)
    _case(session, version.id, 10, february, land="NW", status="closed", closed_at=MONDAY + timedelta(days=1))
    for n, channel in enumerate(["anruf"] * 5 + ["email"] * 2 + ["anruf"]):
        at = february if n == 7 else MONDAY + timedelta(hours=n)
        session.add(
            CaseContact(
                case_id=hoch[0].id,
                at=at,
                channel=channel,
                direction="eingehend",
                recorded_at=at,
                recorded_by="a",
            )
        )
    for n, case in enumerate(hoch):
        overridden = n < 2
        session.add(
            RiskAssessmentRow(
                case_id=case.id, task_id=f"ra{n}", assessed_at=MONDAY, assessed_by="anna", incident=False,
                proposal="MITTEL" if overridden else "HOCH", rule="R2", result="HOCH", overridden=overridden, sealed=b"-",
            )
        )  # fmt: skip
    for n, status in enumerate(["gestellt", "gestellt", "offen"]):
        session.add(
            StrafantragRow(
                case_id=hoch[n].id, sealed=b"-", land="NW", deadline=date(2026, 3 + n, 6),
                status=status, reminders_started=True, recorded_by="anna", recorded_at=MONDAY, updated_at=MONDAY,
            )
        )  # fmt: skip
    for n, case in enumerate(hoch):
        due = MONDAY + timedelta(days=1)
        completed = due - timedelta(hours=1) if n < 5 else due + timedelta(hours=1)
        session.add(
            Task(
                id=f"v{n}", case_id=case.id, element_id="vermittlung", title="Vermittlung", status="completed",
                due_at=due, created_at=MONDAY, completed_at=completed,
            )
        )  # fmt: skip
    session.add(
        Task(
            id="vc",
            case_id=hoch[0].id,
            element_id="vermittlung",
            title="V",
            status="cancelled",
            due_at=MONDAY,
            created_at=MONDAY,
        )
    )
    session.add(
        AuditEvent(
            at=MONDAY + timedelta(days=2),
            actor="system",
            action="escalated",
            case_id=hoch[5].id,
            detail="eskalation_vermittlung",
        )
    )
    session.flush()
