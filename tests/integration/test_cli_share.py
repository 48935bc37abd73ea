"""``dtaas share|grants|revoke|fork|publish|publications|curation|approve|reject`` and
``dtaas run --scope user:<u>`` against a real hub, through each user's own server."""

from __future__ import annotations

import time

import pytest
import yaml

from tests.conftest import _user
from tests.dts import write_dt
from tests.hub import CURATOR, Hub
from tests.integration.test_cli import dtaas

pytestmark = pytest.mark.integration
API = "/services/library/api"
DT = "cli-share-twin"


@pytest.fixture(scope="module")
def curator(hub: Hub) -> dict:
    return _user(hub, CURATOR)


@pytest.fixture(scope="module")
def twin(hub: Hub, alice) -> str:
    write_dt(
        alice["home"],
        DT,
        ["import dtaas\ndtaas.record('answer', 42)"],
        title="CLI shared twin",
        description="A twin shared from the command line.",
    )
    (alice["home"] / "digital_twins" / DT / "README.md").write_text("# CLI shared twin\n")
    url = f"{hub.url}{API}/assets/private/digital_twins/{DT}"
    deadline = time.monotonic() + 20
    while alice["api"].get(url).status_code != 200:
        assert time.monotonic() < deadline, "the twin was not indexed"
        time.sleep(0.1)
    return DT


def one_line_error(result) -> str:
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_share_run_fork_and_revoke(alice, bob, twin):
    line = one_line_error(dtaas(alice, "share", twin, "--user", "nobody-here", "--role", "run"))
    assert "user" in line and "nobody-here" in line
    line = one_line_error(dtaas(alice, "share", twin, "--user", "bob", "--role", "boss"))
    assert "role" in line and "boss" in line

    shared = dtaas(alice, "share", twin, "--user", "bob", "--role", "run")
    assert shared.returncode == 0, shared.stderr
    assert shared.stdout.startswith("grant ") and "user bob may run" in shared.stdout
    grants = dtaas(alice, "grants", twin)
    assert grants.returncode == 0, grants.stderr
    row = next(line for line in grants.stdout.splitlines() if "user bob" in line)
    assert row.split()[3] == "run" and row.split()[4] == "alice"

    ran = dtaas(bob, "run", twin, "--scope", "user:alice", "--follow")
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "answer=42" in ran.stdout.strip().splitlines()[-1]

    refused = one_line_error(dtaas(bob, "fork", f"user:alice/digital_twins/{twin}"))
    assert "fork" in refused
    assert dtaas(alice, "share", twin, "--user", "bob", "--role", "fork").returncode == 0
    forked = dtaas(bob, "fork", f"user:alice/digital_twins/{twin}", "--name", "bobs-cli-copy")
    assert forked.returncode == 0, forked.stderr
    assert "private/digital_twins/bobs-cli-copy" in forked.stdout
    manifest = yaml.safe_load(
        (bob["home"] / "digital_twins" / "bobs-cli-copy" / "dt.yaml").read_text()
    )
    assert manifest["forked_from"]["asset"] == f"user:alice/digital_twins/{twin}"

    revoked = dtaas(alice, "revoke", twin, "--user", "bob")
    assert revoked.returncode == 0, revoked.stderr
    assert revoked.stdout.startswith("revoked grant ")
    assert "is shared with nobody" in dtaas(alice, "grants", twin).stdout
    line = one_line_error(dtaas(bob, "run", twin, "--scope", "user:alice"))
    assert twin in line
    line = one_line_error(dtaas(alice, "revoke", twin, "--user", "bob"))
    assert "bob" in line and "no grant" in line
    line = one_line_error(dtaas(alice, "revoke", twin, "999999"))
    assert "999999" in line


def test_publish_reject_and_approve(alice, curator, twin):
    bad = one_line_error(dtaas(alice, "publish", twin, "--version", "one"))
    assert "version" in bad
    asked = dtaas(alice, "publish", twin, "--version", "1.0", "--note", "first cut")
    assert asked.returncode == 0, asked.stderr
    first = asked.stdout.split()[2].rstrip(":")
    assert (
        asked.stdout.strip().endswith("pending") and f"common/digital_twins/{twin}" in asked.stdout
    )

    queue = dtaas(curator, "curation")
    assert queue.returncode == 0, queue.stderr
    row = next(line for line in queue.stdout.splitlines() if line.split()[0] == first)
    assert "alice" in row and "1.0" in row and "first cut" in row
    detail = dtaas(curator, "curation", first)
    assert detail.returncode == 0, detail.stderr
    assert "added: dt.yaml" in detail.stdout
    assert dtaas(alice, "curation").returncode == 2
    assert "reason" in one_line_error(dtaas(curator, "reject", first, "--reason", ""))
    rejected = dtaas(curator, "reject", first, "--reason", "add a licence")
    assert rejected.returncode == 0, rejected.stderr
    mine = dtaas(alice, "publications")
    row = next(line for line in mine.stdout.splitlines() if line.split()[0] == first)
    assert "rejected" in row and "add a licence" in row

    asked = dtaas(alice, "publish", twin, "--version", "1.1", "--note", "with a licence")
    assert asked.returncode == 0, asked.stderr
    second = asked.stdout.split()[2].rstrip(":")
    approved = dtaas(curator, "approve", second)
    assert approved.returncode == 0, approved.stderr
    assert f"common/digital_twins/{twin} version 1.1" in approved.stdout
    mine = dtaas(alice, "publications")
    assert "approved" in next(
        line for line in mine.stdout.splitlines() if line.split()[0] == second
    )
    again = one_line_error(dtaas(alice, "publish", twin, "--version", "1.1"))
    assert "1.1" in again
