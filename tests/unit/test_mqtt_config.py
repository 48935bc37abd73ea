"""The MQTT broker's files: configuration, password file, ACL, made per user."""

from __future__ import annotations

import os
import pwd
import subprocess
from concurrent.futures import ThreadPoolExecutor

import pytest

from hub_config.settings import load_settings
from platform_services import mqtt


@pytest.fixture
def settings(tmp_path):
    (tmp_path / "services").mkdir(mode=0o700)
    return load_settings({"DTAAS_DATA_DIR": str(tmp_path), "DTAAS_PORT": "27100"})


def test_passwords_derive_from_the_secret_and_the_name():
    a, b = b"k" * 32, b"j" * 32
    assert mqtt.password(a, "alice") == mqtt.password(a, "alice")
    assert len({mqtt.password(a, "alice"), mqtt.password(a, "bob"), mqtt.password(b, "alice")}) == 3
    assert len(mqtt.password(a, "alice")) == 64


def test_password_entries_are_in_mosquittos_own_format(tmp_path):
    """An entry made by mosquitto_passwd and one made here agree, given its salt."""
    subprocess.run(["mosquitto_passwd", "-b", "-c", tmp_path / "p", "u", "pw-1"], check=True)
    user, entry = (tmp_path / "p").read_text().strip().split(":", 1)
    _, kind, iterations, salt, _digest = entry.split("$")
    assert (user, kind) == ("u", "7")
    import base64

    assert mqtt.pbkdf2_hash("pw-1", base64.b64decode(salt), int(iterations)) == entry
    line = mqtt.password_entry("alice", b"s" * 32)
    assert line.startswith("alice:$7$101$") and line == mqtt.password_entry("alice", b"s" * 32)


def test_acl_gives_each_user_their_own_prefix_and_their_groups():
    acl = mqtt.acl_file({"bob": [], "alice": ["team", "lab"]})
    blocks = [b.splitlines() for b in acl.split("\n\n")]
    assert blocks[0][-2:] == ["user _dtaas", "topic readwrite _dtaas/#"]
    assert blocks[1] == [
        "user alice",
        "topic readwrite dt/alice/#",
        "topic readwrite dt/groups/lab/#",
        "topic readwrite dt/groups/team/#",
    ]
    assert blocks[2] == ["user bob", "topic readwrite dt/bob/#"]
    assert "pattern" not in acl and "topic readwrite #" not in acl


def test_names_that_would_change_the_acl_are_refused_or_left_out():
    acl = mqtt.acl_file({"alice": ["ok", "x\ntopic readwrite #", "a/b", "+", "#", ""]})
    assert acl.count("topic readwrite") == 3 and "dt/groups/ok/#" in acl
    for bad in ("al#ce", "a/b", "bob\nuser admin", "_dtaas", ""):
        with pytest.raises(ValueError):
            mqtt.acl_file({bad: []})


def test_config_refuses_anonymous_clients_and_names_files_relative_to_its_folder():
    conf = mqtt.broker_config(27104, "127.0.0.1", "mosquitto").splitlines()
    assert "listener 27104 127.0.0.1" in conf and "allow_anonymous false" in conf
    assert {"password_file passwd", "acl_file acl", "user mosquitto"} <= set(conf)
    assert not any(line.startswith("user ") for line in mqtt.broker_config(1, "0.0.0.0", None))


def test_prepare_user_writes_the_files_once_and_again_only_on_a_change(settings):
    lay = mqtt.layout(settings)
    mqtt.prepare_user(settings, "alice", ["team"])
    passwd, acl = lay.broker / "passwd", lay.broker / "acl"
    secret = bytes.fromhex(lay.secret.read_text())
    assert passwd.read_text() == mqtt.password_file(secret, ["alice"])
    assert "dt/groups/team/#" in acl.read_text()
    inodes = (passwd.stat().st_ino, acl.stat().st_ino)

    mqtt.prepare_user(settings, "alice", ["team", "team"])
    assert (passwd.stat().st_ino, acl.stat().st_ino) == inodes

    mqtt.prepare_user(settings, "alice", [])
    assert "dt/groups/team/#" not in acl.read_text() and acl.stat().st_ino != inodes[1]
    assert passwd.stat().st_ino == inodes[0]  # same users: the same bytes, not rewritten
    assert not list(lay.broker.glob(".*")) and not list(lay.root.glob(".secret-*"))


def test_files_are_unreadable_to_other_accounts(settings):
    lay = mqtt.layout(settings)
    mqtt.prepare_user(settings, "alice", [])
    for path in (lay.root, lay.broker, lay.secret, lay.users, lay.broker / "passwd"):
        assert path.stat().st_mode & 0o077 == 0, path
    if os.geteuid() == 0:
        owner = pwd.getpwuid((lay.broker / "acl").stat().st_uid).pw_name
        assert owner == mqtt.DEFAULT_ACCOUNT and lay.secret.stat().st_uid == 0


def test_a_stale_pid_file_signals_nobody(settings):
    lay = mqtt.layout(settings)
    mqtt.prepare_user(settings, "alice", [])
    lay.pid.write_text(f"{os.getpid()}\n")  # this process: not a mosquitto in broker/
    assert mqtt.broker_pid(lay) is None and mqtt.reload_broker(lay) is False
    mqtt.prepare_user(settings, "alice", ["g"])  # would SIGHUP (and end) this process


def test_users_prepared_at_once_all_get_in(settings):
    names = [f"u{i}" for i in range(16)]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda n: mqtt.prepare_user(settings, n, ["g"]), names))
    text = (mqtt.layout(settings).broker / "passwd").read_text()
    assert sorted(line.split(":")[0] for line in text.splitlines()) == sorted([*names, "_dtaas"])


def test_user_env_gives_endpoint_credentials_and_prefix(settings, monkeypatch):
    monkeypatch.delenv(mqtt.BIND_ENV, raising=False)
    monkeypatch.delenv(mqtt.HOST_ENV, raising=False)
    env = mqtt.user_env(settings, "alice")
    secret = mqtt.read_secret(mqtt.layout(settings))
    assert env == {
        "DTAAS_MQTT_HOST": "127.0.0.1",
        "DTAAS_MQTT_PORT": "27104",
        "DTAAS_MQTT_USERNAME": "alice",
        "DTAAS_MQTT_PASSWORD": mqtt.password(secret, "alice"),
        "DTAAS_MQTT_PREFIX": "dt/alice/",
    }
    monkeypatch.setenv(mqtt.BIND_ENV, "0.0.0.0")
    assert mqtt.user_env(settings, "alice")["DTAAS_MQTT_HOST"] == "127.0.0.1"
    monkeypatch.setenv(mqtt.BIND_ENV, "172.17.0.1")
    assert mqtt.user_env(settings, "alice")["DTAAS_MQTT_HOST"] == "172.17.0.1"
    assert mqtt.service(settings)["environment"]["DTAAS_MQTT_BIND"] == "172.17.0.1"


def test_service_runs_the_supervisor_in_its_folder(settings):
    entry = mqtt.service(settings)
    assert entry["name"] == "mqtt" and entry["command"][1:] == ["-m", "platform_services.mqtt"]
    assert entry["cwd"] == str(mqtt.layout(settings).root) and "url" not in entry
    assert entry["environment"]["DTAAS_MQTT_PORT"] == "27104"
