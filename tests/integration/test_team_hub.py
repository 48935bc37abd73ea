"""A hub set up as a team would run it: its database and the library's index on a real
PostgreSQL server started here, and idle servers culled by jupyterhub-idle-culler.

A culled server stops like any other: its live run is saved first."""

from __future__ import annotations

import time

import psycopg
import pytest

from tests.conftest import _user
from tests.hub import Hub
from tests.integration.test_live_platform import start_live, ticks_at_least, wait, write_live_twin
from tests.postgres import PG_BIN, Postgres

pytestmark = pytest.mark.integration

IDLE_TIMEOUT = 15  # seconds; the culler looks every 5


@pytest.fixture(scope="module")
def postgres():
    if not (PG_BIN / "postgres").exists():
        pytest.fail(f"PostgreSQL 15 is not installed ({PG_BIN / 'postgres'} is missing)")
    server = Postgres().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def team_hub(tmp_path_factory, postgres: Postgres):
    data = tmp_path_factory.mktemp("team") / "data"
    data.mkdir()
    urls = {"hub": postgres.new_database("hub"), "library": postgres.new_database("library")}
    hub = Hub(
        data,
        env={
            "DTAAS_HUB_DB_URL": urls["hub"],
            "DTAAS_LIBRARY_DB_URL": urls["library"],
            "DTAAS_IDLE_TIMEOUT": str(IDLE_TIMEOUT),
        },
    )
    hub.start()
    yield hub, urls
    hub.stop()


def rows(url: str, sql: str) -> list[tuple]:
    """Ask PostgreSQL itself what the hub or the library wrote there."""
    conninfo = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(conninfo) as conn:
        return conn.execute(sql).fetchall()


def test_the_hub_and_the_library_keep_their_state_in_postgresql(team_hub):
    hub, urls = team_hub
    user = _user(hub, "petra")
    assert ("petra",) in rows(urls["hub"], "SELECT name FROM users")
    # the library answers from its index there
    r = user["api"].get(f"{user['server']}dtaas/api/library/search", params={"q": "spring"})
    assert r.status_code == 200, r.text
    assert "mass-spring-damper" in [i["name"] for i in r.json()["items"]]
    assert rows(urls["library"], "SELECT count(*) FROM assets")[0][0] > 0

    # a restarted hub finds its users, servers and tokens where it left them
    hub.stop()
    hub.start()
    r = user["api"].get(f"{hub.url}/hub/api/users/petra")
    assert r.status_code == 200 and r.json()["name"] == "petra"
    assert not (hub.data_dir / "hub" / "jupyterhub.sqlite").exists()


def test_an_idle_server_is_culled_and_its_live_run_saved_first(team_hub):
    hub, _ = team_hub
    user = _user(hub, "ivan")
    write_live_twin(user["home"])
    run = start_live(user, period=0.2)
    runs = f"{user['server']}dtaas/api/runs/{run['id']}"
    wait(user["api"], runs, ticks_at_least(2))

    # nobody touches the server now; the hub's API is not the server
    deadline = time.monotonic() + IDLE_TIMEOUT + 120
    while True:
        model = user["api"].get(f"{hub.url}/hub/api/users/ivan").json()
        if "" not in model["servers"]:
            break
        assert time.monotonic() < deadline, f"never culled:\n{hub.log_tail()}"
        time.sleep(2)
    assert "idle-culler" in hub.log_path.read_text()

    # the run ended as interrupted, with the snapshot taken as the server stopped
    server = hub.spawn("ivan", user["token"])
    record = user["api"].get(f"{server}dtaas/api/runs/{run['id']}").json()
    assert record["status"] == "failed" and record["error"] == "interrupted"
    assert len(record["snapshots"]) == 1, record
    snapshot = user["api"].get(f"{server}dtaas/api/snapshots/{record['snapshots'][0]}").json()
    assert snapshot["label"] == "saved as its server stopped" and snapshot["tick"] >= 2
