"""Users are isolated by the operating system: a notebook of one user cannot reach
another user's workspace, the hub's state or the library's database, nor change the
common library."""

from __future__ import annotations

import json
import os
import pwd

import nbformat
import pytest

from tests.hub import Hub
from tests.integration.test_platform import put_file, wait_run

pytestmark = pytest.mark.integration

PROBE = """
import os, pathlib
import dtaas

home = pathlib.Path(os.environ["DTAAS_WORKSPACE"])
data = home.parent.parent
bob = data / "users" / "bob"
msd = data / "common" / "digital_twins" / "mass-spring-damper" / "dt.yaml"


def can(action):
    try:
        action()
        return True
    except OSError:
        return False


os.symlink(bob, home / "bob-link")
dtaas.record("access", {
    "own_write": can(lambda: (home / "own.txt").write_text("mine")),
    "bob_list": can(lambda: os.listdir(bob)),
    "bob_read": can(lambda: (bob / "secret.txt").read_text()),
    "bob_write": can(lambda: (bob / "planted.txt").write_text("x")),
    "users_list": can(lambda: os.listdir(data / "users")),
    "hub_list": can(lambda: os.listdir(data / "hub")),
    "passwords": can(lambda: (data / "hub" / "passwords.json").read_text()),
    "hub_db": can(lambda: (data / "hub" / "jupyterhub.sqlite").read_bytes()),
    "library_list": can(lambda: os.listdir(data / "library")),
    "library_db": can(lambda: (data / "library" / "index.sqlite").read_bytes()),
    "services_list": can(lambda: os.listdir(data / "services")),
    "common_read": can(lambda: msd.read_text()),
    "common_new": can(lambda: (data / "common" / "digital_twins" / "planted.txt").write_text("x")),
    "common_change": can(lambda: open(msd, "a").write("x")),
})
dtaas.record("uid", os.getuid())
"""


def _probe_dt(user: dict) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nb.cells = [nbformat.v4.new_code_cell(PROBE)]
    put_file(user, "digital_twins/probe/lifecycle/execute.ipynb", nbformat.writes(nb))
    manifest = "name: probe\nlifecycle:\n  execute: {notebook: lifecycle/execute.ipynb}\n"
    put_file(user, "digital_twins/probe/dt.yaml", manifest)


def test_a_notebook_of_alice_reaches_only_her_own_files(hub: Hub, alice, bob):
    put_file(bob, "secret.txt", "bob's secret")
    _probe_dt(alice)
    api, server = alice["api"], alice["server"]
    r = api.post(f"{server}dtaas/api/runs", json={"dt": "probe"})
    assert r.status_code == 201, r.text
    record = wait_run(api, server, r.json()["id"])
    assert record["status"] == "succeeded", record["error"]
    access = record["recorded"]["access"]
    assert access == {
        "own_write": True,
        "bob_list": False,
        "bob_read": False,
        "bob_write": False,
        "users_list": False,
        "hub_list": False,
        "passwords": False,
        "hub_db": False,
        "library_list": False,
        "library_db": False,
        "services_list": False,
        "common_read": True,
        "common_new": False,
        "common_change": False,
    }
    # the kernel runs under alice's own account, not root and not bob's
    account = pwd.getpwuid(record["recorded"]["uid"]).pw_name
    assert account == "dtaas-alice"
    assert (alice["home"] / "own.txt").stat().st_uid == record["recorded"]["uid"]
    assert not (bob["home"] / "planted.txt").exists()

    # the server follows alice's link into bob's workspace no further than the kernel
    r = api.get(f"{server}api/contents/bob-link")
    assert r.status_code in (403, 404, 500) and "secret.txt" not in r.text
    r = api.get(f"{server}api/contents/bob-link/secret.txt")
    assert r.status_code in (403, 404, 500) and "bob's secret" not in r.text


def test_workspaces_and_hub_state_have_their_modes(hub: Hub, alice, bob):
    data = hub.data_dir
    for name in ("hub", "library", "services"):
        st = (data / name).stat()
        assert st.st_uid == os.geteuid() and st.st_mode & 0o077 == 0, name
    assert (data / "hub" / "passwords.json").stat().st_mode & 0o077 == 0
    for user in (alice, bob):
        st = user["home"].stat()
        assert pwd.getpwuid(st.st_uid).pw_name == f"dtaas-{user['name']}"
        assert st.st_mode & 0o077 == 0
    assert (data / "common").stat().st_uid == os.geteuid()
    assert json.loads((data / "hub" / "passwords.json").read_text())["admin"]


def test_a_twin_the_library_makes_for_alice_is_hers_to_edit(hub: Hub, alice):
    r = alice["api"].post(
        f"{hub.url}/services/library/api/digital_twins",
        json={"name": "made-for-alice", "template": "blank"},
    )
    assert r.status_code == 201, r.text
    folder = alice["home"] / "digital_twins" / "made-for-alice"
    owner = alice["home"].stat().st_uid
    assert {p.stat().st_uid for p in [folder, *folder.rglob("*")]} == {owner}
    # alice's own server (her account) may change and remove what the library wrote
    put_file(alice, "digital_twins/made-for-alice/README.md", "# Mine\n")
    r = alice["api"].delete(f"{alice['server']}api/contents/digital_twins/made-for-alice/README.md")
    assert r.status_code == 204, r.text
