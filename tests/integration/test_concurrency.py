"""Twenty people complete the same task at the same instant: one wins, the others learn who did."""

from __future__ import annotations

import threading

from sqlalchemy import select

from engine.cases.lifecycle import complete_task, open_case
from engine.kernel.actor import Actor
from engine.kernel.errors import ConcurrentUpdate, TaskAlreadyCompleted
from engine.store.tables import Task
from tests.integration.test_case_lifecycle import EINGANG
from tests.steps import case_row, open_tasks, stored_variables, task_id_for

THREADS = 20


def test_twenty_threads_complete_the_same_task(deployed):
    opened = open_case(deployed, Actor("anna", frozenset({"beratung"})))
    task_id = task_id_for(deployed, opened.case_id, "eingang")
    barrier = threading.Barrier(THREADS)
    outcomes: dict[int, object] = {}

    def attempt(number: int) -> None:
        actor = Actor(f"berater{number}", frozenset({"beratung"}))
        barrier.wait()
        try:
            complete_task(
                deployed, actor, task_id, {**EINGANG, "land": "BY", "kurzbeschreibung": f"von {number}"}
            )
            outcomes[number] = "ok"
        except (TaskAlreadyCompleted, ConcurrentUpdate) as error:
            outcomes[number] = error
        except Exception as error:  # anything else is a defect and must show in the assertion
            outcomes[number] = repr(error)

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    winners = [n for n, outcome in outcomes.items() if outcome == "ok"]
    losers = {n: o for n, o in outcomes.items() if o != "ok"}
    assert len(outcomes) == THREADS and len(winners) == 1, outcomes
    assert all(isinstance(o, TaskAlreadyCompleted) for o in losers.values()), losers
    winner = f"berater{winners[0]}"
    assert {o.facts["by"] for o in losers.values()} == {winner}

    # the case state is intact: one step further, the winner's values, one completed row, one next task
    assert case_row(deployed, opened.case_id).lock_version == opened.lock_version + 1
    assert stored_variables(deployed, opened.case_id)["kurzbeschreibung"] == f"von {winners[0]}"
    assert list(open_tasks(deployed, opened.case_id)) == ["risikoeinschaetzung"]
    with deployed.unit_of_work() as session:
        row = session.scalar(select(Task).where(Task.id == task_id))
    assert (row.status, row.completed_by) == ("completed", winner)
