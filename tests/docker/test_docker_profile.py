"""The Docker profile on a real Docker engine: each server a container from the workspace
image that ``make images`` built here, as the user's own account, with their workspace
as a named volume, the common library read-only, no Docker socket, and a run's compute
profile as the container's limits.

The hub is started here with its own network; the containers talk to the hub and to
each other, nothing else."""

from __future__ import annotations

import contextlib
import json
import time

import pytest

from tests.conftest import _user
from tests.docker_engine import IMAGE, container_of, docker, docker_platform
from tests.dts import write_dt
from tests.hub import ADMIN_PASSWORD, Hub

pytestmark = pytest.mark.docker

USERS = ("dora", "evan")


@pytest.fixture(scope="module")
def docker_hub(tmp_path_factory):
    data = tmp_path_factory.mktemp("docker") / "data"
    data.mkdir()
    with docker_platform(data, USERS) as hub:
        yield hub


def test_a_server_is_a_container_of_the_users_own_with_their_volumes(docker_hub: Hub):
    user = _user(docker_hub, "dora")
    c = container_of("dora")
    assert c["Config"]["Image"] == IMAGE
    uid = c["Config"]["User"].split(":")[0]
    assert uid.isdigit() and int(uid) != 0
    assert int(uid) == (user["home"]).stat().st_uid  # her own account, as on the host
    host = c["HostConfig"]
    assert host["CapDrop"] == ["ALL"] and "no-new-privileges" in host["SecurityOpt"]
    assert not host.get("Privileged")
    mounts = {m["Destination"]: m for m in c["Mounts"]}
    assert not any("docker.sock" in (m.get("Source") or "") for m in c["Mounts"])
    workspace = mounts[str(user["home"])]
    assert workspace["Type"] == "volume" and workspace["Name"].startswith("dtaas-workspace-dora-")
    common = mounts[str(docker_hub.data_dir / "common")]
    assert common["RW"] is False
    assert str(docker_hub.data_dir / "users") not in mounts  # nobody else's workspace
    # its network reaches this machine and the other containers, nothing beyond
    (network,) = c["NetworkSettings"]["Networks"]
    assert json.loads(docker("network", "inspect", network))[0]["Internal"] is True

    # the server works: the library answers through it, a twin runs in the container
    r = user["api"].get(f"{user['server']}dtaas/api/library/search", params={"q": "spring"})
    assert r.status_code == 200 and r.json()["items"], r.text
    r = user["api"].post(f"{user['server']}dtaas/api/runs", json={"dt": "mass-spring-damper"})
    assert r.status_code == 201, r.text
    run = r.json()
    deadline = time.monotonic() + 180
    while (record := user["api"].get(f"{user['server']}dtaas/api/runs/{run['id']}").json())[
        "status"
    ] not in ("succeeded", "failed", "cancelled"):
        assert time.monotonic() < deadline, record
        time.sleep(0.5)
    assert record["status"] == "succeeded", record
    assert (user["home"] / record["dir"] / "outputs").is_dir()  # in her workspace on the host

    # the admin page shows her container with what it uses
    admin = docker_hub.api(docker_hub.token(docker_hub.login("admin", ADMIN_PASSWORD), "admin"))
    found = admin.get(f"{docker_hub.url}/hub/api/dtaas/status").json()
    (server,) = [s for s in found["servers"] if s["user"] == "dora" and s["name"] == ""]
    assert server["container"] and server["memory_bytes"] > 20 * 1024 * 1024


def test_a_user_cannot_reach_another_workspace_from_inside(docker_hub: Hub):
    _user(docker_hub, "dora")
    # evan is in the group lab: its library is mounted for him
    admin = docker_hub.api(docker_hub.token(docker_hub.login("admin", ADMIN_PASSWORD), "admin"))
    docker_hub.login("evan")
    assert admin.post(f"{docker_hub.url}/hub/api/groups/lab").status_code in (201, 409)
    r = admin.post(f"{docker_hub.url}/hub/api/groups/lab/users", json={"users": ["evan"]})
    assert r.status_code == 200, r.text
    eve = _user(docker_hub, "evan")
    mounts = {m["Destination"]: m for m in container_of("evan")["Mounts"]}
    assert mounts[str(docker_hub.data_dir / "groups" / "lab")]["RW"] is True
    probe = docker(
        "exec",
        "dtaas-evan",
        "python3",
        "-c",
        "import os, sys; p = sys.argv[1]; print(os.path.exists(p), os.access(p, os.R_OK))",
        str(docker_hub.data_dir / "users" / "dora"),
    )
    assert probe.split() == ["False", "False"]
    # and the Docker socket is nowhere in the container
    assert docker("exec", "dtaas-evan", "ls", "/var/run").split().count("docker.sock") == 0
    assert eve["home"].is_dir()


def test_a_run_with_a_profile_gets_a_container_with_its_limits(docker_hub: Hub):
    user = _user(docker_hub, "dora")
    write_dt(
        user["home"],
        "where",
        [
            "import os, time\nimport dtaas",
            "dtaas.record('profile', os.environ.get('DTAAS_SERVER_PROFILE'))\n"
            "limit = open('/sys/fs/cgroup/memory/memory.limit_in_bytes').read()\n"
            "dtaas.record('memory', int(limit))\n"
            "time.sleep(8)",
        ],
    )
    api, server = user["api"], user["server"]
    r = api.post(f"{server}dtaas/api/runs", json={"dt": "where", "profile": "large"})
    assert r.status_code == 201, r.text
    run_id, seen = r.json()["id"], None
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        record = api.get(f"{server}dtaas/api/runs/{run_id}").json()
        if record["server"] and seen is None:
            with contextlib.suppress(AssertionError):  # not made yet
                seen = container_of("dora", record["server"])
        if record["status"] in ("succeeded", "failed", "cancelled"):
            break
        time.sleep(0.5)
    assert record["status"] == "succeeded", record
    assert seen is not None, "the run's own server was never seen as a container"
    assert seen["HostConfig"]["Memory"] == 8 * 1024**3
    host = seen["HostConfig"]
    # two CPUs' worth of time in each period (Docker's default period is 100 ms)
    assert host["CpuQuota"] > 0 and host["CpuQuota"] == 2 * (host["CpuPeriod"] or 100_000)
    assert record["recorded"]["profile"] == "large"
    assert record["recorded"]["memory"] == 8 * 1024**3


PROBE = """
import queue, dtaas.services
from dtaas.services.broker import topic
got = queue.Queue()
c = dtaas.services.mqtt()
c.on_message = lambda cl, u, m: got.put(m.payload.decode())
c.subscribe(topic('probe/#'), qos=1)
c.publish(topic('probe/1'), 'from a container', qos=1)
print(got.get(timeout=10))
c.close()
with dtaas.services.timeseries() as store:
    store.write('probe', 21.5)
    print(store.read('probe')['value'].tolist())
"""


def test_the_platform_services_answer_inside_a_container(docker_hub: Hub):
    """The broker and the time-series store listen where the containers reach them, and
    know the user by the credentials the hub gave her container."""
    _user(docker_hub, "dora")
    lines = docker("exec", "dtaas-dora", "python3", "-c", PROBE).splitlines()
    assert lines == ["from a container", "[21.5]"]
