"""The time-series store's names, credentials and rows, without a server."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from dtaas.services.series import _binary_rows, _chunks, group_databases
from hub_config.settings import load_settings
from platform_services import timeseries

NAMES = ["alice", "bob-smith", "bob_smith", "bob.smith", "g-lab", "a--b", "a-", "x" * 64, "x" * 63]


def test_names_are_safe_and_one_to_one():
    users = {timeseries.user_database(n) for n in NAMES}
    groups = {timeseries.group_database(n) for n in [*NAMES, "lab", "Lab Team", "é"]}
    assert len(users) == len(NAMES) and not users & groups
    assert len({timeseries.role_name(n) for n in NAMES}) == len(NAMES)
    for name in [*users, *groups]:
        assert len(name) <= 63 and all(c.isalnum() or c == "_" for c in name), name
    assert timeseries.role_name("bob-smith") == "u_bob_smith"
    assert timeseries.group_database("lab") == "ts_g_lab"
    # a user named like a group's database gets the hashed form
    assert timeseries.user_database("g-lab") != timeseries.group_database("lab")


def test_credentials_and_environment(tmp_path):
    settings = load_settings({"DTAAS_DATA_DIR": str(tmp_path), "DTAAS_PORT": "9000"})
    first = timeseries.password(settings, "alice")
    assert first == timeseries.password(settings, "alice") != timeseries.password(settings, "bob")
    assert (timeseries.folder(settings) / "secret").stat().st_mode & 0o777 == 0o600
    verifier = timeseries.scram_verifier(first)
    assert verifier.startswith("SCRAM-SHA-256$4096:") and first not in verifier
    env = timeseries.user_env(settings, "alice")
    assert env["DTAAS_TS_PORT"] == "9005" and env["DTAAS_TS_DATABASE"] == "ts_alice"
    assert group_databases("lab=ts_g_lab,a%2Cb=ts_g_x") == {"lab": "ts_g_lab", "a,b": "ts_g_x"}


def test_a_store_that_is_down_delays_a_spawn_a_bounded_time(tmp_path, monkeypatch):
    settings = load_settings({"DTAAS_DATA_DIR": str(tmp_path), "DTAAS_TIMESERIES_PORT": "1"})
    (timeseries.folder(settings)).mkdir(parents=True)
    (timeseries.folder(settings) / "cluster-id").write_text("c\n")
    monkeypatch.setattr(timeseries, "PREPARE_WAIT_S", 0.5)
    monkeypatch.setitem(timeseries._timed_out, "at", -1e9)
    started = time.monotonic()
    timeseries.prepare_user(settings, "alice", ["lab"])
    assert time.monotonic() - started < 5
    # remembered, so the service prepares it once it is up
    assert timeseries._Users(settings).read()["alice"] == {"groups": ["lab"]}


def test_binary_rows_are_postgres_copy_rows():
    chunks = list(_chunks("s", pd.DataFrame({"a": [1.5], "b": [2.0]}), [0.000001], {"k": 1}))
    assert [c[0] for c in chunks] == ["s/a", "s/b"]
    row = _binary_rows(*chunks[0])
    tags = b'\x01{"k": 1}'
    assert row == (
        b"\x00\x04"
        + b"\x00\x00\x00\x03s/a"
        + b"\x00\x00\x00\x08"
        + np.array([1 - 946_684_800_000_000], ">i8").tobytes()
        + b"\x00\x00\x00\x08"
        + np.array([1.5], ">f8").tobytes()
        + len(tags).to_bytes(4, "big")
        + tags
    )
    with pytest.raises(ValueError, match="need their times"):
        list(_chunks("s", [1.0, 2.0], None, None))
