"""After the purge no per-case row singles out fewer than 5 cases by Land, office type, month and referral,
and the statistics report of the purged period stays exactly the same (engine.cases.coarsening)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update

from engine.cases.coarsening import LEVELS, K, generalised, settle
from engine.cases.erasure import confirm_erasure, request_erasure
from engine.cases.retention import purge_expired_cases
from engine.kernel.actor import Actor
from engine.statistics.period import BERLIN, quarter
from engine.statistics.report import build_report
from engine.store.referral_tables import Referral
from engine.store.tables import Case, CasePurge, Task
from tests.conftest import TEAM_LEAD
from tests.integration import statistics_data

SECOND_LEAD = Actor("theo", frozenset({"teamleitung", "beratung"}))


def _only_the_month(values) -> bool:
    """A combination that keeps nothing but the month, which the audit trail holds anyway."""
    land, office, _period, referral = values
    return land is None and office is None and referral is None


def _report(ctx, internal: bool) -> list:
    with ctx.unit_of_work(writes=False) as session:
        report = build_report(session, ctx.calendar, quarter(2026, 1), internal=internal)
    return [(block.key, block.rows) for block in report.blocks]


def _combinations(ctx) -> Counter:
    with ctx.unit_of_work(writes=False) as session:
        rows = session.execute(
            select(Case.land, Case.office_type, Case.statistics_period, Case.statistics_referral).join(
                CasePurge, CasePurge.case_id == Case.id
            )
        ).all()
    return Counter((land, office, period, referral or None) for land, office, period, referral in rows)


def test_purged_cases_share_every_combination_with_at_least_four_others(ctx):
    with ctx.unit_of_work() as session:
        statistics_data.build(session)
        session.commit()
    with ctx.unit_of_work() as session:  # every case of the data set ends in March 2026
        session.execute(
            update(Case)
            .where(Case.status == "open")
            .values(status="closed", closed_at=datetime(2026, 3, 20, 12, 0, tzinfo=UTC))
        )
        ended = datetime(2026, 3, 21, 12, 0, tzinfo=UTC)
        session.execute(update(Case).where(Case.closed_at.is_(None)).values(closed_at=ended))  # the discarded
        session.commit()
    public, internal = _report(ctx, False), _report(ctx, True)

    report = purge_expired_cases(ctx, datetime(2029, 1, 1, tzinfo=UTC), months=24)
    assert len(report.purged) == 11 and report.coarsened == 11
    combinations = _combinations(ctx)
    assert sum(combinations.values()) == 11
    assert combinations[("NW", "buergermeister_hauptamt", "2026-03", "ja")] == 6, (
        "a large group keeps its month"
    )
    small = {values: n for values, n in combinations.items() if n < K and not _only_the_month(values)}
    assert small == {}
    assert (_report(ctx, False), _report(ctx, True)) == (public, internal)
    with ctx.unit_of_work(writes=False) as session:
        assert session.scalars(select(Referral.id)).all() == []
        lands = session.execute(select(Task.case_land, Case.land).join(Case, Case.id == Task.case_id)).all()
        assert all(task_land == case_land for task_land, case_land in lands)
        opened = session.scalars(select(Case.opened_at).where(Case.statistics_period == "2026-03")).all()
    assert {moment.astimezone(UTC) for moment in opened} == {datetime(2026, 2, 28, 23, 0, tzinfo=UTC)}

    again = purge_expired_cases(ctx, datetime(2029, 1, 2, tzinfo=UTC), months=24)
    assert again.coarsened == 0 and _combinations(ctx) == combinations


def test_a_case_erased_this_month_waits_until_its_month_is_in_the_snapshots(ctx):
    with ctx.unit_of_work() as session:
        statistics_data.build(session)
        session.commit()
        erased = session.scalar(select(Case.id).where(Case.reference == "T-6"))
    march, april = datetime(2026, 3, 25, 9, 0, tzinfo=UTC), datetime(2026, 4, 2, 9, 0, tzinfo=UTC)
    request_erasure(ctx, TEAM_LEAD, erased, "Die Person bittet um Löschung.", now=march)
    confirm_erasure(ctx, SECOND_LEAD, erased, now=march)
    after_erasure = (_report(ctx, False), _report(ctx, True))

    assert purge_expired_cases(ctx, march, months=24).coarsened == 0
    with ctx.unit_of_work(writes=False) as session:
        case = session.get(Case, erased)
        assert (case.statistics_period, case.land) == (None, "HB"), "March is still counted live"
    assert (_report(ctx, False), _report(ctx, True)) == after_erasure

    assert purge_expired_cases(ctx, april, months=24).coarsened == 1
    with ctx.unit_of_work(writes=False) as session:
        case = session.get(Case, erased)
        # alone in its month among the purged: only the month stays, which its audit trail shows anyway
        assert (case.land, case.office_type, case.statistics_referral) == (None, None, "")
        assert case.statistics_period == f"{case.opened_at.astimezone(BERLIN):%Y-%m}"
    assert (_report(ctx, False), _report(ctx, True)) == after_erasure


VALUES = st.tuples(
    st.sampled_from(["NW", "HB", "SL", "BY", None]),
    st.sampled_from(["rat", "kandidat", "buergermeister_hauptamt", None]),
    st.builds(lambda y, m: f"{y}-{m:02d}", st.sampled_from([2024, 2025]), st.integers(1, 12)),
    st.sampled_from(["ja", "nein"]),
)


@settings(max_examples=300, deadline=None)
@given(first=st.lists(VALUES, max_size=60), later=st.lists(VALUES, max_size=30))
def test_every_kept_combination_has_k_cases_and_only_generalises(first, later):
    done = settle([], dict(enumerate(first)))
    more = settle(list(done.values()), {len(first) + n: values for n, values in enumerate(later)})
    everything = {**done, **more}
    counts = Counter(everything.values())
    assert all(n >= K for values, n in counts.items() if not _only_the_month(values))
    originals = dict(enumerate([*first, *later]))
    assert all(values[2] == originals[case_id][2] for case_id, values in everything.items())  # month kept
    for case_id, values in everything.items():
        assert values in {generalised(originals[case_id], level) for level in LEVELS}
