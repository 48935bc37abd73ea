"""Login through the organisation's OpenID Connect provider, in Debian's Chromium: a real
provider (npm's oidc-provider) on loopback, a hub started as a team would start it,
``DTAAS_PROFILE=docker DTAAS_AUTH=oidc``, on a real Docker engine.

The provider's groups become JupyterHub groups and group libraries, mounted in the
user's container; a member of the admin group is an admin; someone outside the allowed
groups is refused; a wrong setting stops the hub at start with one line naming the
variable."""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest
import requests
from playwright.sync_api import Page, expect

from tests.browser.lab import open_sidebar
from tests.docker_engine import container_of, docker_platform
from tests.hub import ROOT, Hub, free_port_block

pytestmark = [pytest.mark.browser, pytest.mark.docker]

PROVIDER = Path(__file__).resolve().parent.parent / "oidc" / "provider.mjs"
CLIENT_ID, CLIENT_SECRET = "dtaas-hub", "a-client-secret-for-tests-0123456789"
ACCOUNTS = {
    "olga": ["lab", "staff"],  # allowed: in lab
    "adam": ["admins"],  # allowed and admin: in the admin group
    "otto": ["visitors"],  # in no allowed group
}


class Provider:
    """npm's oidc-provider as a process of the test, on a loopback port."""

    def __init__(self, folder: Path, port: int, redirect_uri: str):
        self.port = port
        self.issuer = f"http://127.0.0.1:{port}"
        config = {
            "port": port,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "redirect_uri": redirect_uri,
            "accounts": ACCOUNTS,
        }
        self.config = folder / "provider.json"
        self.config.write_text(json.dumps(config))
        self.log = open(folder / "provider.log", "wb")  # noqa: SIM115 (lives with the process)
        self.proc = subprocess.Popen(
            [shutil.which("node") or "node", str(PROVIDER), str(self.config)],
            cwd=ROOT,  # finds the project's node_modules
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, (folder / "provider.log").read_text()
            try:
                if requests.get(self.issuer + "/.well-known/openid-configuration").ok:
                    return
            except requests.RequestException:
                time.sleep(0.2)
        raise AssertionError("the OpenID Connect provider never answered")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)
        self.log.close()


def oidc_env(issuer: str) -> dict[str, str]:
    return {
        "DTAAS_AUTH": "oidc",
        "DTAAS_OIDC_ISSUER": issuer,
        "DTAAS_OIDC_CLIENT_ID": CLIENT_ID,
        "DTAAS_OIDC_CLIENT_SECRET": CLIENT_SECRET,
        "DTAAS_OIDC_ALLOWED_GROUPS": "lab,admins",
        "DTAAS_OIDC_ADMIN_GROUPS": "admins",
        "DTAAS_OIDC_LOGIN_SERVICE": "Example Org",
    }


@pytest.fixture(scope="module")
def oidc_hub(tmp_path_factory):
    folder = tmp_path_factory.mktemp("oidc")
    data = folder / "data"
    data.mkdir()
    port = free_port_block(7)
    provider = Provider(folder, port + 6, f"http://127.0.0.1:{port}/hub/oauth_callback")
    try:
        with docker_platform(data, tuple(ACCOUNTS), oidc_env(provider.issuer), port=port) as hub:
            yield hub, provider
    finally:
        provider.stop()


def loopback_only(route) -> None:
    """The provider's development pages ask for fonts on the internet: never fetched."""
    host = urlparse(route.request.url).hostname
    if host in ("127.0.0.1", "localhost"):
        route.continue_()
    else:
        route.abort()


def log_in_with_provider(page: Page, hub: Hub, name: str) -> None:
    """The hub's login page sends the user to the provider, who logs in and consents."""
    page.route("**/*", loopback_only)
    page.goto(f"{hub.url}/hub/login")
    page.locator("a", has_text="Sign in with Example Org").click()
    page.wait_for_url(re.compile(r"^http://127\.0\.0\.1:\d+/interaction/"))
    page.fill("input[name='login']", name)
    page.fill("input[name='password']", "any password")
    page.locator("button[type='submit']").click()
    # the provider asks once whether the hub may have the profile and groups
    consent = page.locator("button[type='submit']", has_text=re.compile("Continue"))
    consent.wait_for()
    consent.click()


def test_provider_groups_become_hub_groups_and_libraries(oidc_hub, page: Page, errors):
    hub, provider = oidc_hub
    log_in_with_provider(page, hub, "olga")
    page.wait_for_url(re.compile(r"/user/olga/lab"), timeout=120_000)
    errors.clear()  # what the provider's own pages said; ours must say nothing

    # the provider's groups, as JupyterHub groups of the user
    me = page.request.get(f"{hub.url}/hub/api/user").json()
    assert me["name"] == "olga"
    assert set(me["groups"]) == {"lab", "staff"}
    assert me["admin"] is False
    # ...and as group libraries: her container mounts them, her workspace links them, the
    # file browser reads them and the sidebar offers them
    mounts = {m["Destination"]: m for m in container_of("olga")["Mounts"]}
    lab = hub.data_dir / "groups" / "lab"
    assert mounts[str(lab)]["RW"] is True
    assert str(hub.data_dir / "groups" / "visitors") not in mounts
    workspace = hub.data_dir / "users" / "olga"
    assert (workspace / "groups" / "lab").is_symlink()
    (lab / "NOTES.md").write_text("for the lab\n")
    listed = page.request.get(f"{hub.url}/user/olga/api/contents/groups/lab").json()
    assert "NOTES.md" in {item["name"] for item in listed["content"]}, listed
    panel = open_sidebar(page, "dtaas-sidebar", "Digital Twins", "#dtaas-panel")
    scope = panel.locator("select.dtaas-scope-select")
    expect(scope.locator("option[value='group:lab']")).to_have_text("Group lab")
    expect(scope.locator("option[value='group:staff']")).to_have_text("Group staff")

    # an ordinary member sees no Admin in the hub's navigation
    page.goto(f"{hub.url}/hub/home")
    expect(page.locator("a[href$='/hub/admin']")).to_have_count(0)
    assert not errors, errors


def test_admin_group_member_is_admin(oidc_hub, page: Page):
    hub, _ = oidc_hub
    log_in_with_provider(page, hub, "adam")
    page.wait_for_url(re.compile(r"/user/adam/"), timeout=120_000)
    me = page.request.get(f"{hub.url}/hub/api/user").json()
    assert me["admin"] is True and me["groups"] == ["admins"]
    page.goto(f"{hub.url}/hub/home")
    expect(page.locator("a[href$='/hub/admin']").first).to_be_visible()


def test_user_outside_the_allowed_groups_is_refused(oidc_hub, page: Page):
    hub, _ = oidc_hub
    log_in_with_provider(page, hub, "otto")
    expect(page.locator("body")).to_contain_text("403")
    me = page.request.get(f"{hub.url}/hub/api/user")
    assert me.status == 403  # not logged in: no cookie was set
    # never became a user of the hub, and has no workspace
    with sqlite3.connect(hub.data_dir / "hub" / "jupyterhub.sqlite") as db:
        names = {row[0] for row in db.execute("SELECT name FROM users")}
    assert "otto" not in names and "olga" in names
    assert not (hub.data_dir / "users" / "otto").exists()


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"DTAAS_OIDC_CLIENT_SECRET": ""}, "DTAAS_OIDC_CLIENT_SECRET"),
        ({"DTAAS_OIDC_ISSUER": "http://idp.example.org"}, "DTAAS_OIDC_ISSUER"),
        ({"DTAAS_OIDC_ISSUER": "http://127.0.0.1:9"}, "DTAAS_OIDC_ISSUER"),
        ({"DTAAS_OIDC_SCOPES": "profile groups"}, "DTAAS_OIDC_SCOPES"),
    ],
)
def test_a_wrong_setting_stops_the_hub_in_one_line(tmp_path, change, named):
    env = {
        **os.environ,
        **oidc_env("http://127.0.0.1:9"),
        "DTAAS_DATA_DIR": str(tmp_path / "data"),
        "DTAAS_PORT": str(free_port_block(6)),
        **change,
    }
    done = subprocess.run(
        [sys.executable, "-m", "jupyterhub", "-f", str(ROOT / "jupyterhub_config.py")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(f"dtaas: {named}"), lines[0]
    assert CLIENT_SECRET not in done.stdout + done.stderr


def test_no_secret_reaches_the_hub_log(oidc_hub, page: Page):
    """After a login through the provider: neither the client secret nor the cookie secret."""
    hub, _ = oidc_hub
    log_in_with_provider(page, hub, "otto")
    expect(page.locator("body")).to_contain_text("403")
    log = hub.log_path.read_text(errors="replace")
    assert "oauth_callback" in log  # the log is the one the logins wrote
    assert CLIENT_SECRET not in log
    cookie_secret = (hub.data_dir / "hub" / "jupyterhub_cookie_secret").read_text().strip()
    assert len(cookie_secret) >= 32 and cookie_secret not in log
