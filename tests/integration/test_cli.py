"""The ``dtaas`` command line against a real hub and a user's real workspace server."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import _user
from tests.dts import write_dt
from tests.hub import Hub
from tests.msd import final_positions

pytestmark = pytest.mark.integration

DTAAS = Path(sys.executable).parent / "dtaas"
MSD = "mass-spring-damper"


@pytest.fixture(scope="module")
def user(hub: Hub) -> dict:
    return _user(hub, "cli-user")


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DTAAS_", "JUPYTERHUB_"))}
    return {**env, **extra}


def dtaas(user: dict, *argv: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """``python -m dtaas.cli ...`` with the user's server and token."""
    conn = ["--url", user["server"], "--token", user["token"]]
    return subprocess.run(
        [sys.executable, "-m", "dtaas.cli", *argv, *conn],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=clean_env(),
    )


def show(user: dict, run_id: str) -> dict:
    result = dtaas(user, "show", run_id)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_follow_runs_the_example_and_streams_its_log(user: dict):
    result = dtaas(user, "run", MSD, "--follow", "-p", "m1=2")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "integrated 1001 samples" in result.stdout
    summary = result.stdout.strip().splitlines()[-1]
    assert " succeeded in " in summary and "x1=" in summary, summary
    assert "step execute (1/1) cell" in result.stderr  # progress as plain lines: not a TTY
    run_id = summary.split()[1]
    record = show(user, run_id)
    assert record["status"] == "succeeded" and record["steps"] == ["execute"]
    assert record["parameters"]["m1"] == 2
    x1, _ = final_positions(record["parameters"])
    assert record["recorded"]["x1"] == pytest.approx(x1, abs=1e-6)
    assert f"x1={record['recorded']['x1']:.6g}" in summary
    listed = dtaas(user, "runs", "--dt", MSD, "--limit", "5")
    assert listed.returncode == 0, listed.stderr
    row = next(line for line in listed.stdout.splitlines() if line.startswith(run_id))
    assert row.split()[1:4] == [MSD, "execute", "succeeded"]


def test_steps_run_in_the_given_order(user: dict):
    result = dtaas(user, "run", MSD, "--step", "create", "--step", "execute", "--follow")
    assert result.returncode == 0, result.stdout + result.stderr
    record = show(user, result.stdout.strip().splitlines()[-1].split()[1])
    assert record["steps"] == ["create", "execute"]
    assert [r["step"] for r in record["step_results"]] == ["create", "execute"]
    assert "step create (1/2)" in result.stderr and "step execute (2/2)" in result.stderr


def test_named_config_with_overrides(user: dict):
    result = dtaas(user, "run", MSD, "--config", "default", "-p", "k2=15", "--follow")
    assert result.returncode == 0, result.stdout + result.stderr
    record = show(user, result.stdout.strip().splitlines()[-1].split()[1])
    assert record["config"] == "default"
    assert record["parameters"]["k2"] == 15 and record["parameters"]["m1"] == 1.0
    missing = dtaas(user, "run", MSD, "--config", "no-such-config")
    assert missing.returncode == 2 and "no-such-config" in missing.stderr


def test_without_follow_prints_the_run_id(user: dict):
    result = dtaas(user, "run", MSD, "-p", "t_end=1")
    assert result.returncode == 0, result.stderr
    run_id = result.stdout.strip()
    assert show(user, run_id)["id"] == run_id


def test_bad_parameter_is_refused_naming_it(user: dict):
    result = dtaas(user, "run", MSD, "--follow", "-p", "m1=heavy")
    assert result.returncode == 2
    assert result.stdout == ""
    assert "m1" in result.stderr
    assert any(line.strip().startswith("m1: ") for line in result.stderr.splitlines())


def test_unknown_dt_is_refused_naming_it(user: dict):
    result = dtaas(user, "run", "no-such-twin", "--follow")
    assert result.returncode == 2
    assert "no-such-twin" in result.stderr


def test_failing_run_exits_1_with_the_error(user: dict):
    write_dt(user["home"], "cli-broken", ["x = 1", "raise ValueError('broken on purpose')"])
    result = dtaas(user, "run", "cli-broken", "--scope", "private", "--follow")
    assert result.returncode == 1, result.stdout + result.stderr
    summary = result.stdout.strip().splitlines()[-1]
    assert " failed in " in summary and "broken on purpose" in summary, summary
    assert show(user, summary.split()[1])["cell"] == 1


def wait_status(user: dict, run_id: str, statuses: set[str], timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        record = show(user, run_id)
        if record["status"] in statuses:
            return record
        time.sleep(0.3)
    raise AssertionError(f"run {run_id} is still {record['status']}")


def test_cancel_stops_a_running_run(user: dict):
    write_dt(user["home"], "cli-slow", ["import time", "time.sleep(120)"])
    started = dtaas(user, "run", "cli-slow")
    assert started.returncode == 0, started.stderr
    run_id = started.stdout.strip()
    wait_status(user, run_id, {"running"})
    result = dtaas(user, "cancel", run_id)
    assert result.returncode == 0, result.stderr
    assert wait_status(user, run_id, {"cancelled", "failed", "succeeded"})["status"] == "cancelled"
    again = dtaas(user, "cancel", run_id)
    assert again.returncode == 2 and run_id in again.stderr  # 409: already finished


def test_ctrl_c_while_following_cancels_the_run(user: dict):
    write_dt(user["home"], "cli-slow", ["import time", "time.sleep(120)"])
    env = clean_env(DTAAS_URL=user["server"], DTAAS_TOKEN=user["token"])
    proc = subprocess.Popen(
        [str(DTAAS), "run", "cli-slow", "--follow"],  # the console script, env for URL and token
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        first = proc.stderr.readline()  # "run <id> of cli-slow: execute"
        run_id = first.split()[1]
        wait_status(user, run_id, {"running"})
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, first + err
    assert f"cancelling run {run_id}" in err
    assert wait_status(user, run_id, {"cancelled", "failed", "succeeded"})["status"] == "cancelled"


def test_url_and_token_from_the_workspace_environment(user: dict):
    env = clean_env(JUPYTERHUB_SERVICE_URL=user["server"], JUPYTERHUB_API_TOKEN=user["token"])
    result = subprocess.run(
        [str(DTAAS), "runs", "--limit", "1"], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0].split() == ["ID", "DT", "STEPS", "STATUS", "DURATION"]
    assert len(result.stdout.splitlines()) == 2


def test_bad_token_is_refused(user: dict):
    result = dtaas({**user, "token": "not-a-token"}, "runs")
    assert result.returncode == 2, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_stopped_server_is_unreachable(hub: Hub):
    other = _user(hub, "cli-stopped")
    other["api"].delete(f"{hub.url}/hub/api/users/cli-stopped/server").raise_for_status()
    deadline = time.monotonic() + 60
    while other["api"].get(f"{hub.url}/hub/api/users/cli-stopped").json()["servers"]:
        assert time.monotonic() < deadline, "server did not stop"
        time.sleep(0.3)
    result = dtaas(other, "runs")
    assert result.returncode == 3, result.stderr
    assert "no longer running" in result.stderr
