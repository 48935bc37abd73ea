"""The hub's DTaaS page: admins see each platform service's health, the servers running
with their profile and resource use, the runs in flight, the library's size and the
curation queue, linked from the hub's navigation; ``dtaas admin status`` prints the same.
Other users are refused."""

from __future__ import annotations

import re
import subprocess
import sys
import time

import pytest

from tests.dts import write_dt
from tests.hub import ADMIN_PASSWORD, Hub
from tests.integration.test_sharing import API, indexed

pytestmark = pytest.mark.integration

SLOW = ["import time\ntime.sleep(60)"]


@pytest.fixture(scope="module")
def admin(hub: Hub) -> dict:
    session = hub.login("admin", ADMIN_PASSWORD)
    return {"session": session, "token": hub.token(session, "admin")}


@pytest.fixture(scope="module")
def busy(hub: Hub, alice) -> dict:
    """alice has a run in flight and a publish request waiting for a curator."""
    write_dt(alice["home"], "admin-slow", SLOW, title="Slow")
    write_dt(alice["home"], "admin-pub", ["print(1)"], title="Asked to publish")
    assert indexed(hub, alice, "/assets/private/digital_twins/admin-pub")
    r = alice["api"].post(f"{alice['server']}dtaas/api/runs", json={"dt": "admin-slow"})
    assert r.status_code == 201, r.text
    run = r.json()
    ask = {"asset": "mine/digital_twins/admin-pub", "version": "1.0", "note": "for the page"}
    r = alice["api"].post(f"{hub.url}{API}/publish", json=ask)
    assert r.status_code == 201, r.text
    request = r.json()
    deadline = time.monotonic() + 60
    while alice["api"].get(f"{alice['server']}dtaas/api/runs/{run['id']}").json()["status"] not in (
        "running",
    ):
        assert time.monotonic() < deadline, "the run never started"
        time.sleep(0.3)
    yield {"run": run, "request": request}
    alice["api"].post(f"{alice['server']}dtaas/api/runs/{run['id']}/cancel")


def test_admins_see_the_platform_and_others_are_refused(hub: Hub, alice, admin, busy):
    session = admin["session"]
    home = session.get(f"{hub.url}/hub/home")
    assert home.status_code == 200 and 'href="/hub/dtaas-admin"' in home.text
    page = session.get(f"{hub.url}/hub/dtaas-admin")
    assert page.status_code == 200, page.text[:500]
    text = page.text
    rows = dict(re.findall(r'data-name="([^"]+)" data-ok="(yes|no)"', text))
    assert rows == {"library": "yes", "mqtt": "yes", "timeseries": "yes"}, text[-2000:]
    # alice's server, with the memory its processes use
    server = re.search(r'data-user="alice" data-server="" data-profile="">(.*?)</tr>', text, re.S)
    assert server, text
    memory = re.search(r'data-bytes="(\d+)"', server.group(1))
    assert memory and int(memory.group(1)) > 20 * 1024 * 1024
    # her run in flight, the library's size and her request in the queue
    assert f'data-user="alice" data-kind="run" data-id="{busy["run"]["id"]}"' in text
    common = re.search(r'data-library="common">common: (\d+) assets', text)
    assert common and int(common.group(1)) >= 6
    assert f'class="dtaas-curation-request" data-id="{busy["request"]["id"]}"' in text

    assert 'href="/hub/dtaas-admin"' not in alice["session"].get(f"{hub.url}/hub/home").text
    assert alice["session"].get(f"{hub.url}/hub/dtaas-admin").status_code == 403
    assert alice["api"].get(f"{hub.url}/hub/api/dtaas/status").status_code == 403


def test_dtaas_admin_status_prints_the_same(hub: Hub, admin, busy):
    def cli(*args: str, token: str = admin["token"]) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "dtaas.cli", "admin", "status", "--hub", hub.url, *args],
            env={"DTAAS_TOKEN": token, "PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
            timeout=60,
        )

    done = cli()
    assert done.returncode == 0, done.stderr
    out = done.stdout
    for service in ("library", "mqtt", "timeseries"):
        assert re.search(rf"^  {service}\s+ok ", out, re.M), out
    assert re.search(r"^  alice\s+default\s+-\s+cpu \S+\s+mem \d+ MiB", out, re.M), out
    assert re.search(rf"^  alice\s+run\s+admin-slow\s+{busy['run']['id']} running", out, re.M)
    assert re.search(r"^library: common \d+, private \d+", out, re.M), out
    request = (
        rf"^  #{busy['request']['id']} \S*digital_twins/admin-pub 1\.0 by alice: for the page$"
    )
    assert re.search(request, out, re.M), out
    assert cli("--json").stdout.lstrip().startswith("{")

    refused = cli(token="not-a-token")
    assert refused.returncode == 2
    assert refused.stderr.startswith("dtaas: ") and len(refused.stderr.splitlines()) == 1
