"""One real round through Prefect (its test harness): the flows run the engine jobs, and the production
deployments register with a process work pool with their schedules and concurrency. The rest of the
suite calls the job logic directly, so it stays fast."""

from __future__ import annotations

import base64
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from engine.store import schema
from engine.store.tables import Task
from tests.conftest import make_context
from tests.integration.test_timer_sweep import _open_timer_cases

pytestmark = pytest.mark.prefect


@pytest.fixture
def lotse_database(tmp_path, clock, monkeypatch):
    url = f"sqlite:///{tmp_path / 'lotse.db'}"
    ctx = make_context(url, clock)
    schema.upgrade(ctx.db)
    keyring = "test:" + base64.urlsafe_b64encode(b"k" * 32).decode()  # the key of TEST_KEY
    monkeypatch.setenv("LOTSE_DATABASE_URL", url)
    monkeypatch.setenv("LOTSE_KEYS", keyring)
    monkeypatch.setenv("LOTSE_RETENTION_MONTHS", "24")
    monkeypatch.setenv("DO_NOT_TRACK", "1")
    monkeypatch.setenv("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    yield ctx
    ctx.db.dispose()


def test_flows_run_the_jobs_and_deployments_register(lotse_database, tmp_path):
    from prefect.testing.utilities import prefect_test_harness

    from integrations import flows

    ctx = lotse_database
    (case_id,) = _open_timer_cases(ctx, 1)  # due an hour after a Monday in June 2026: long past now
    flows._context = None
    with prefect_test_harness(server_startup_timeout=90):
        swept = flows.sweep_flow()
        again = flows.sweep_flow()
        purge = flows.purge_flow(dry_run=True)
        snapshots = flows.statistics_flow()
        # in a thread of its own: an event loop left running by another test must not matter here
        with ThreadPoolExecutor(1) as thread:
            ids = thread.submit(_register_production, flows).result(timeout=300)
    flows._context = None
    assert (
        swept
        == {
            "fired": 1,
            "conflicts": 0,
            "failed": [],
            "appointments_reminded": [],
            "appointments_escalated": [],
        }
        and again["fired"] == 0
    )
    assert purge["dry_run"] is True and purge["due"] == []
    assert set(snapshots) == {"months"}  # every month from the first case up to last month, once
    with ctx.unit_of_work(writes=False) as session:
        assert session.scalar(select(Task.element_id).where(Task.case_id == case_id)) == "danach"
    assert ids["count"] == 6
    assert ids["schedules"] == {
        "sweep": "interval 60.0",
        "outbox": "interval 60.0",
        "digest": "cron 45 8 * * 1-5 Europe/Berlin",
        "purge": "cron 30 2 * * * Europe/Berlin",
        "statistics": "cron 15 1 * * * Europe/Berlin",
        "mail-intake": "interval 60.0",
    }
    assert set(ids["limits"].values()) == {(1, "CANCEL_NEW")}
    assert set(ids["pools"].values()) == {"lotse-test"}


def _register_production(flows) -> dict:
    from prefect import get_client
    from prefect.client.schemas.actions import WorkPoolCreate

    with get_client(sync_client=True) as client:
        client.create_work_pool(WorkPoolCreate(name="lotse-test", type="process"))
    deployment_ids = flows.deploy_to_work_pool("lotse-test")
    schedules, limits, pools = {}, {}, {}
    with get_client(sync_client=True) as client:
        for deployment_id in deployment_ids:
            deployment = client.read_deployment(deployment_id)
            schedule = deployment.schedules[0].schedule
            if getattr(schedule, "cron", None):
                described = f"cron {schedule.cron} {schedule.timezone}"
            else:
                described = f"interval {schedule.interval.total_seconds()}"
            schedules[deployment.name] = described
            options = deployment.concurrency_options
            limits[deployment.name] = (
                deployment.global_concurrency_limit.limit if deployment.global_concurrency_limit else None,
                options.collision_strategy.value if options else None,
            )
            pools[deployment.name] = deployment.work_pool_name
    return {"count": len(deployment_ids), "schedules": schedules, "limits": limits, "pools": pools}
