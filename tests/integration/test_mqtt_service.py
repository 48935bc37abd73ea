"""The platform's MQTT broker on a real hub: credentials, topics per user and group,
a broker that dies and comes back; and a client that never hangs on a broker down."""

from __future__ import annotations

import hashlib
import os
import pwd
import queue
import signal
import socket
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

import paho.mqtt.client as paho
import pytest

import dtaas.services
from dtaas.services import ServiceUnavailable
from hub_config.settings import load_settings
from platform_services import mqtt
from tests.conftest import _user
from tests.dts import write_dt
from tests.hub import ADMIN_PASSWORD, Hub
from tests.integration.test_platform import wait_run

pytestmark = pytest.mark.integration
GROUP = "mqtt-team"


def _settings(hub: Hub):
    return load_settings({"DTAAS_DATA_DIR": str(hub.data_dir), "DTAAS_PORT": str(hub.port)})


def _env(hub: Hub, user: str, password: str | None = None) -> dict[str, str]:
    """The environment the hub gives ``user``'s servers (the tests run as root)."""
    env = mqtt.user_env(_settings(hub), user)
    if password is not None:
        env["DTAAS_MQTT_PASSWORD"] = password
    return env


@contextmanager
def _client(hub: Hub, user: str):
    """``dtaas.services.mqtt()`` as ``user``, with a queue of what it receives."""
    with mock.patch.dict(os.environ, _env(hub, user)):
        client = dtaas.services.mqtt(client_id=f"test-{user}-{uuid.uuid4().hex[:8]}")
    client.received = queue.Queue()
    client.on_message = lambda c, u, m: c.received.put((m.topic, m.payload.decode()))
    try:
        yield client
    finally:
        client.close()


def _publish(client, topic: str, payload: str) -> None:
    info = client.publish(topic, payload, qos=1)
    info.wait_for_publish(5)
    assert info.is_published()


def _until(client, marker: str) -> list[tuple[str, str]]:
    """What ``client`` received up to ``marker`` (one broker: delivery keeps order)."""
    seen = []
    while True:
        item = client.received.get(timeout=10)
        if item[1] == marker:
            return seen
        seen.append(item)


def _subscribed(client, *topics: str) -> None:
    done = queue.Queue()
    client.on_subscribe = lambda c, u, mid, codes, props: done.put(mid)
    _, mid = client.subscribe([(t, 1) for t in topics])
    assert done.get(timeout=5) == mid


ECHO = [
    "import hashlib, os, queue\n"
    "import dtaas, dtaas.services\n"
    "from dtaas.services.broker import topic",
    "got = queue.Queue()\n"
    "c = dtaas.services.mqtt()\n"
    "c.on_message = lambda cl, u, m: got.put([m.topic, m.payload.decode()])\n"
    "c.subscribe(topic('echo/#'), qos=1)\n"
    "c.publish(topic('echo/1'), 'hello from a kernel', qos=1)\n"
    "dtaas.record('received', got.get(timeout=10))\n"
    "c.close()",
    "def readable(path):\n"
    "    try:\n"
    "        open(path).read()\n"
    "        return True\n"
    "    except OSError:\n"
    "        return False\n"
    "names = ('DTAAS_MQTT_USERNAME', 'DTAAS_MQTT_PREFIX')\n"
    "dtaas.record('env', {k: os.environ[k] for k in names})\n"
    "dtaas.record('password', hashlib.sha256(os.environ['DTAAS_MQTT_PASSWORD'].encode())"
    ".hexdigest())\n"
    "dtaas.record('readable', [readable(p) for p in PATHS])",
]


def test_alice_publishes_and_receives_in_a_kernel_of_her_server(hub: Hub, alice):
    lay = mqtt.layout(_settings(hub))
    paths = [lay.secret, lay.broker / "passwd", lay.broker / "acl", lay.users]
    write_dt(alice["home"], "mqtt-echo", [f"PATHS = {[str(p) for p in paths]!r}", *ECHO])
    api, server = alice["api"], alice["server"]
    r = api.post(f"{server}dtaas/api/runs", json={"dt": "mqtt-echo"})
    assert r.status_code == 201, r.text
    record = wait_run(api, server, r.json()["id"])
    assert record["status"] == "succeeded", record["error"]
    got = record["recorded"]
    assert got["received"] == ["dt/alice/echo/1", "hello from a kernel"]
    assert got["env"] == {"DTAAS_MQTT_USERNAME": "alice", "DTAAS_MQTT_PREFIX": "dt/alice/"}
    expected = hashlib.sha256(_env(hub, "alice")["DTAAS_MQTT_PASSWORD"].encode()).hexdigest()
    assert got["password"] == expected
    assert got["readable"] == [False] * len(paths)


def test_a_wrong_password_and_anonymous_clients_are_refused(hub: Hub, alice):
    started = time.monotonic()
    with (
        mock.patch.dict(os.environ, _env(hub, "alice", password="not-hers")),
        pytest.raises(PermissionError, match=rf"127\.0\.0\.1:{hub.port + 4}.*'alice'"),
    ):
        dtaas.services.mqtt(timeout=5)
    assert time.monotonic() - started < 5
    answers = queue.Queue()
    anonymous = paho.Client(paho.CallbackAPIVersion.VERSION2)

    def refused(client, userdata, flags, reason, props):
        client.disconnect()  # no retry
        answers.put(reason)

    anonymous.on_connect = refused
    anonymous.connect("127.0.0.1", hub.port + 4)
    anonymous.loop_start()
    try:
        assert answers.get(timeout=5).is_failure
    finally:
        anonymous.disconnect()
        anonymous.loop_stop()


def test_a_user_neither_reads_nor_writes_another_users_topics(hub: Hub, alice, bob):
    with _client(hub, "alice") as a, _client(hub, "bob") as b:
        _subscribed(a, "dt/bob/#", "#", "dt/alice/marker")
        _subscribed(b, "dt/bob/#")
        _publish(b, "dt/bob/private", "bob's reading")
        _publish(a, "dt/alice/marker", "a-done")
        assert _until(a, "a-done") == []  # nothing of bob's, whatever alice subscribed
        _publish(a, "dt/bob/planted", "from alice")
        _publish(b, "dt/bob/marker", "b-done")
        assert _until(b, "b-done") == [("dt/bob/private", "bob's reading")]


def test_a_burst_of_small_and_large_messages_arrives_whole_and_in_order(hub: Hub, alice):
    """The client reads the socket in chunks: packets that straddle them arrive intact."""
    sizes = [3, 70_000, *range(1, 2000), 200_000, 5]
    with _client(hub, "alice") as sender, _client(hub, "alice") as receiver:
        _subscribed(receiver, "dt/alice/burst")
        for i, size in enumerate(sizes):
            sender.publish("dt/alice/burst", f"{i}:".ljust(size, "x"), qos=0)
        _publish(sender, "dt/alice/burst", "end")
        got = _until(receiver, "end")
    assert [len(payload) for _, payload in got] == [
        max(n, len(f"{i}:")) for i, n in enumerate(sizes)
    ]
    assert [int(payload.split(":")[0]) for _, payload in got] == list(range(len(sizes)))


@pytest.fixture(scope="module")
def member(hub: Hub) -> dict:
    """A user in group mqtt-team, whose server started after they joined it."""
    admin = hub.api(hub.token(hub.login("admin", ADMIN_PASSWORD), "admin"))
    name = "mqtt-member"
    assert admin.post(f"{hub.url}/hub/api/users/{name}").status_code in (201, 409)
    assert admin.post(f"{hub.url}/hub/api/groups/{GROUP}").status_code in (201, 409)
    r = admin.post(f"{hub.url}/hub/api/groups/{GROUP}/users", json={"users": [name]})
    assert r.status_code == 200, r.text
    user = _user(hub, name)
    yield user
    admin.delete(f"{hub.url}/hub/api/users/{name}/server")


def test_group_topics_are_for_the_groups_members(hub: Hub, member, alice):
    topic = f"dt/groups/{GROUP}/temperature"
    with _client(hub, member["name"]) as m, _client(hub, "alice") as a:
        _subscribed(m, f"dt/groups/{GROUP}/#")
        _subscribed(a, f"dt/groups/{GROUP}/#", "dt/alice/marker")
        _publish(a, topic, "from outside")
        _publish(m, topic, "21.5")
        assert m.received.get(timeout=10) == (topic, "21.5")
        _publish(a, "dt/alice/marker", "a-done")
        assert _until(a, "a-done") == []


def test_a_killed_broker_comes_back_and_clients_reconnect(hub: Hub, alice):
    settings = _settings(hub)
    lay = mqtt.layout(settings)
    with _client(hub, "alice") as a:
        _subscribed(a, "dt/alice/back")
        old = mqtt.broker_pid(lay)
        status = Path(f"/proc/{old}/status").read_text()
        uid = int(status.split("\nUid:")[1].split()[0])
        assert pwd.getpwuid(uid).pw_name == mqtt.DEFAULT_ACCOUNT  # not root
        os.kill(old, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while mqtt.broker_pid(lay) in (None, old) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert mqtt.broker_pid(lay) not in (None, old), "the supervisor did not restart it"
        while not a.is_connected() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert a.is_connected()
        _publish(a, "dt/alice/back", "again")  # its subscription was made again
        assert a.received.get(timeout=10) == ("dt/alice/back", "again")
    health = mqtt.health(settings)
    assert health["ok"] is True, health


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_broker_down_or_silent_raises_service_unavailable_within_the_timeout(monkeypatch):
    env = {
        "DTAAS_MQTT_HOST": "127.0.0.1",
        "DTAAS_MQTT_PORT": str(_closed_port()),
        "DTAAS_MQTT_USERNAME": "alice",
        "DTAAS_MQTT_PASSWORD": "x",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ServiceUnavailable, match="MQTT broker.*refused"):
        dtaas.services.mqtt(timeout=2)
    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        monkeypatch.setenv("DTAAS_MQTT_PORT", str(silent.getsockname()[1]))
        started = time.monotonic()
        with pytest.raises(ServiceUnavailable, match="did not answer within 1s"):
            dtaas.services.mqtt(timeout=1)
        assert time.monotonic() - started < 5
    monkeypatch.delenv("DTAAS_MQTT_HOST")
    with pytest.raises(ServiceUnavailable, match="DTAAS_MQTT_HOST"):
        dtaas.services.mqtt()
