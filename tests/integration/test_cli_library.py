"""``dtaas library search|show|validate|reindex`` against the real hub."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from tests.conftest import _user
from tests.hub import ADMIN_PASSWORD, Hub

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def kim(hub: Hub) -> dict:
    return _user(hub, "kim")


def library(user: dict, *argv: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DTAAS_", "JUPYTERHUB_"))}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "dtaas.cli",
            "library",
            argv[0],
            "--url",
            user["server"],
            "--token",
            user["token"],
            *argv[1:],
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


def test_search_and_show(kim):
    r = library(kim, "search", "spring", "--type", "digital_twins")
    assert r.returncode == 0, r.stderr
    assert "mass-spring-damper" in r.stdout and "common" in r.stdout
    assert "type: digital_twins 1" in r.stdout
    r = library(kim, "show", "common/digital_twins/mass-spring-damper")
    assert r.returncode == 0, r.stderr
    assert "Two-mass spring-damper" in r.stdout and "path: common/digital_twins" in r.stdout
    r = library(kim, "show", "common/digital_twins/no-such-twin")
    assert r.returncode == 2 and "no-such-twin" in r.stderr


def test_validate_reports_lines_and_exit_status(kim, tmp_path):
    good = tmp_path / "dt.yaml"
    good.write_text("title: Good\nlifecycle: {execute: {notebook: lifecycle/execute.ipynb}}\n")
    bad = tmp_path / "models" / "beam" / "asset.yaml"
    bad.parent.mkdir(parents=True)
    bad.write_text("title: Beam\ntags: not-a-list\n")
    r = library(kim, "validate", str(good))
    assert r.returncode == 0 and "valid" in r.stdout
    r = library(kim, "validate", str(good), str(bad))
    assert r.returncode == 1
    assert f"{bad}:2: tags:" in r.stdout


def test_reindex_is_refused_to_users_and_done_for_admins(hub: Hub, kim):
    r = library(kim, "reindex")
    assert r.returncode == 2 and "admins" in r.stderr
    session = hub.login("admin", ADMIN_PASSWORD)
    admin = {"token": hub.token(session, "admin")}
    admin["server"] = hub.spawn("admin", admin["token"])
    deadline = time.monotonic() + 5
    r = library(admin, "reindex")
    while r.returncode != 0 and time.monotonic() < deadline:
        r = library(admin, "reindex")
    assert r.returncode == 0, r.stderr
    assert "assets" in r.stdout
