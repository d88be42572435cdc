"""Task actions on a case outside the person's need to know answer 403 before saying anything about the
task: not who completed or claimed it, not when."""

from __future__ import annotations

import pytest

from engine.cases.lifecycle import claim_task, open_case, release_task
from engine.demo.seed import EINGANG
from engine.kernel.errors import OutsideNeedToKnow
from tests.conftest import COUNSELLOR, OTHER_COUNSELLOR
from tests.steps import complete, open_tasks, task_id_for
from tests.web.conftest import csrf_token, form_data


def _annas_case(ctx) -> tuple[str, str]:
    """A case only anna may see: she completed its Eingang and holds every open task."""
    case_id = open_case(ctx, COUNSELLOR).case_id
    done = task_id_for(ctx, case_id, "eingang")
    claim_task(ctx, COUNSELLOR, done)
    complete(ctx, COUNSELLOR, case_id, "eingang", EINGANG)
    for task in open_tasks(ctx, case_id).values():
        claim_task(ctx, COUNSELLOR, task.id)
    held = next(iter(open_tasks(ctx, case_id).values())).id
    return done, held


def _says_nothing(response) -> None:
    page = response.get_data(as_text=True)
    assert response.status_code == 403, (response.status_code, page[:300])
    assert "Kein Zugriff auf diesen Fall" in page  # the case's glimpse (who works on it), nothing of the task
    assert "bereits" not in page and "erledigt" not in page and "übernommen" not in page
    assert "01.06.2026" not in page  # not when either


def test_claiming_or_releasing_a_task_of_a_case_outside_need_to_know_is_refused_silently(
    deployed, client, auth
):
    done, held = _annas_case(deployed)
    auth.login("ben")
    token = csrf_token(client.get("/").get_data(as_text=True))
    for task_id in (done, held):
        for action in ("uebernehmen", "freigeben", "uebernehmen-und-bearbeiten"):
            _says_nothing(client.post(f"/aufgaben/{task_id}/{action}", data={"csrf_token": token}))
        _says_nothing(client.get(f"/aufgaben/{task_id}"))
        submitted = {**form_data(EINGANG), "csrf_token": token}
        _says_nothing(client.post(f"/aufgaben/{task_id}", data=submitted))
        assert "anna" not in client.get("/").get_data(as_text=True)  # nothing flashed either


@pytest.mark.parametrize("action", [claim_task, release_task])
def test_the_engine_refuses_before_looking_at_the_task(deployed, action):
    done, held = _annas_case(deployed)
    for task_id in (done, held):
        with pytest.raises(OutsideNeedToKnow):
            action(deployed, OTHER_COUNSELLOR, task_id)
