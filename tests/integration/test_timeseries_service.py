"""The time-series store on the session hub: a twin writes and reads its series, users and
groups are kept apart by PostgreSQL's own roles, and the service brings postgres back."""

from __future__ import annotations

import os
import pwd
import signal
import time

import psycopg
import pytest

from dtaas.services import ServiceUnavailable
from dtaas.services.series import group_databases, open_store
from hub_config.settings import load_settings
from platform_services import timeseries
from tests.dts import write_dt
from tests.hub import ADMIN_PASSWORD, Hub
from tests.integration.test_platform import wait_run

pytestmark = pytest.mark.integration
GROUP = "tsteam"

TWIN = [
    "import dtaas\nimport numpy as np\nimport pandas as pd",
    "t = pd.date_range('2024-03-01', periods=50, freq='s', tz='UTC')\n"
    "with dtaas.services.timeseries() as store:\n"
    "    store.write('tank/level', np.linspace(0.0, 1.0, 50), t=t, tags={'unit': 'm'})\n"
    "    df = store.read('tank/level')\n"
    "    names = store.series()\n"
    "dtaas.record('frame', type(df).__name__)\n"
    "dtaas.record('columns', list(df.columns))\n"
    "dtaas.record('values', [round(v, 9) for v in df['value']])\n"
    "dtaas.record('first', df['t'].iloc[0].isoformat())\n"
    "dtaas.record('tags', df['tags'].iloc[0])\n"
    "dtaas.record('series', names)",
]


@pytest.fixture(scope="module")
def settings(hub: Hub):
    return load_settings({"DTAAS_DATA_DIR": str(hub.data_dir), "DTAAS_PORT": str(hub.port)})


def env_of(settings, user: str, **changes: str) -> dict[str, str]:
    return {**timeseries.user_env(settings, user), **changes}


def store_as(monkeypatch, env: dict[str, str], **kwargs):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return open_store(**kwargs)


def connect(env: dict[str, str], database: str | None = None):
    return psycopg.connect(
        host=env["DTAAS_TS_HOST"],
        port=int(env["DTAAS_TS_PORT"]),
        user=env["DTAAS_TS_USER"],
        password=env["DTAAS_TS_PASSWORD"],
        dbname=database or env["DTAAS_TS_DATABASE"],
        connect_timeout=5,
    )


def test_a_twin_writes_and_reads_back_its_series(alice, settings):
    write_dt(alice["home"], "ts-tank", TWIN)
    api, server = alice["api"], alice["server"]
    r = api.post(f"{server}dtaas/api/runs", json={"dt": "ts-tank"})
    assert r.status_code == 201, r.text
    record = wait_run(api, server, r.json()["id"])
    assert record["status"] == "succeeded", record["error"]
    got = record["recorded"]
    assert got["frame"] == "DataFrame" and got["columns"] == ["t", "value", "tags"]
    assert got["values"] == [round(i / 49, 9) for i in range(50)]
    assert got["first"] == "2024-03-01T00:00:00+00:00"
    assert got["tags"] == {"unit": "m"} and "tank/level" in got["series"]
    # stored in alice's own database, under her own role
    env = env_of(settings, "alice")
    assert env["DTAAS_TS_DATABASE"] == "ts_alice" and env["DTAAS_TS_USER"] == "u_alice"
    with connect(env) as conn:
        (count,) = conn.execute(
            "SELECT count(*) FROM points WHERE series = 'tank/level'"
        ).fetchone()
    assert count >= 50


def test_bob_cannot_reach_alices_database(alice, bob, settings, monkeypatch):
    bob_env = env_of(settings, "bob")
    with pytest.raises(PermissionError) as refused:
        store_as(monkeypatch, {**bob_env, "DTAAS_TS_DATABASE": "ts_alice"})
    assert "u_bob" in str(refused.value) and "permission denied" in str(refused.value)
    with pytest.raises(psycopg.OperationalError, match="permission denied"):
        connect(bob_env, "ts_alice")
    # his own database works, and holds none of her rows
    with store_as(monkeypatch, bob_env) as store:
        assert store.database == "ts_bob"
        assert store.read("tank/level").empty and "tank/level" not in store.series()


def test_a_wrong_password_is_refused(alice, settings, monkeypatch):
    env = env_of(settings, "alice", DTAAS_TS_PASSWORD="not-" + "a" * 60)
    with pytest.raises(PermissionError) as refused:
        store_as(monkeypatch, env)
    message = str(refused.value)
    assert "time-series store" in message and "u_alice" in message
    assert "password authentication failed" in message


def test_a_store_that_does_not_answer_is_said_so(settings, monkeypatch):
    env = env_of(settings, "alice", DTAAS_TS_PORT="1")
    started = time.monotonic()
    with pytest.raises(ServiceUnavailable, match="time-series store"):
        store_as(monkeypatch, env, timeout=2)
    assert time.monotonic() - started < 10


def test_a_group_database_is_for_its_members(hub: Hub, alice, bob, settings, monkeypatch):
    admin = hub.api(hub.token(hub.login("admin", ADMIN_PASSWORD), "admin"))
    assert admin.post(f"{hub.url}/hub/api/groups/{GROUP}").status_code in (201, 409)
    r = admin.post(f"{hub.url}/hub/api/groups/{GROUP}/users", json={"users": ["alice"]})
    assert r.status_code == 200, r.text
    # as the spawner does before her next server starts
    groups = admin.get(f"{hub.url}/hub/api/users/alice").json()["groups"]
    assert GROUP in groups
    timeseries.prepare_user(settings, "alice", groups)
    env = env_of(settings, "alice")
    assert f"{GROUP}=ts_g_{GROUP}" in env["DTAAS_TS_GROUP_DATABASES"].split(",")
    with store_as(monkeypatch, env, group=GROUP) as store:
        assert store.database == f"ts_g_{GROUP}"
        store.write("shared", [1.0, 2.0], t=[0, 1])
        assert store.read("shared")["value"].tolist()[-2:] == [1.0, 2.0]
    # bob is not a member: no database of the group for him, and the store refuses him
    with pytest.raises(PermissionError):
        store_as(monkeypatch, env_of(settings, "bob"), group=GROUP)
    bob_env = env_of(settings, "bob", DTAAS_TS_GROUP_DATABASES=f"{GROUP}=ts_g_{GROUP}")
    with pytest.raises(PermissionError, match="permission denied"):
        store_as(monkeypatch, bob_env, group=GROUP)

    # leaving the group takes the access away
    r = admin.delete(f"{hub.url}/hub/api/groups/{GROUP}/users", json={"users": ["alice"]})
    assert r.status_code == 200, r.text
    groups = admin.get(f"{hub.url}/hub/api/users/alice").json()["groups"]
    timeseries.prepare_user(settings, "alice", groups)
    assert GROUP not in group_databases(env_of(settings, "alice")["DTAAS_TS_GROUP_DATABASES"])
    with pytest.raises(psycopg.OperationalError, match="permission denied"):
        connect(env, f"ts_g_{GROUP}")


def test_the_cluster_is_the_services_account_s_and_its_secrets_roots(settings):
    home = timeseries.folder(settings)
    data = (home / "data").stat()
    assert pwd.getpwuid(data.st_uid).pw_name == "dtaas-services" and data.st_mode & 0o777 == 0o700
    for name in ("secret", "superuser", "users.json"):
        st = (home / name).stat()
        assert st.st_uid == 0 and st.st_mode & 0o777 == 0o600, name
    for folder in (home, settings.services_dir):
        assert folder.stat().st_mode & 0o077 == 0, folder


def test_the_service_starts_postgres_again_after_it_is_killed(alice, settings):
    pid_file = timeseries.folder(settings) / "data" / "postmaster.pid"
    before = int(pid_file.read_text().split()[0])
    os.kill(before, signal.SIGKILL)
    env = env_of(settings, "alice")
    deadline = time.monotonic() + 45
    while True:
        try:
            with connect(env) as conn:
                (count,) = conn.execute(
                    "SELECT count(*) FROM points WHERE series = 'tank/level'"
                ).fetchone()
            break
        except psycopg.OperationalError:
            assert time.monotonic() < deadline, "postgres did not come back"
            time.sleep(0.3)
    assert int(pid_file.read_text().split()[0]) != before
    assert count >= 50  # nothing written before the crash is lost
    assert timeseries.health(settings)["ok"]
