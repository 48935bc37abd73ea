"""A run's outputs over HTTP, through the real hub: the listing and the zip follow the
runtime's OpenAPI document, stay inside the run folder and are the owner's alone; and
Jupyter's own nbconvert exports the executed notebook as HTML for the website to link."""

from __future__ import annotations

import io
import os
import shutil
import zipfile

import pytest

from tests.dts import write_dt
from tests.integration.test_platform import wait_run
from tests.openapi import runtime_api

pytestmark = pytest.mark.integration

CELLS = [
    "import csv, struct, zlib\nfrom pathlib import Path",
    # a 2x2 PNG made by hand: no plotting library needed
    "def chunk(kind, data):\n"
    "    body = kind + data\n"
    "    return struct.pack('>I', len(data)) + body + struct.pack('>I', zlib.crc32(body))\n"
    "rows = b''.join(b'\\x00' + bytes([255, 0, 0] * 2) for _ in range(2))\n"
    "header = struct.pack('>IIBBBBB', 2, 2, 8, 2, 0, 0, 0)\n"
    "png = (b'\\x89PNG\\r\\n\\x1a\\n' + chunk(b'IHDR', header)\n"
    "       + chunk(b'IDAT', zlib.compress(rows)) + chunk(b'IEND', b''))\n"
    "Path('plot.png').write_bytes(png)",
    "with open('table.csv', 'w', newline='') as f:\n"
    "    csv.writer(f).writerows([['t', 'x'], [0, 1.0], [1, 0.5]])",
    "Path('sub/deeper').mkdir(parents=True)\n"
    "Path('sub/deeper/notes.txt').write_text('hello from a subfolder\\n')\n"
    "print('outputs written')",
]
LISTED = ["plot.png", "sub/deeper/notes.txt", "sub/log-link", "table.csv"]


@pytest.fixture(scope="module")
def api(alice):
    return runtime_api(alice)


@pytest.fixture(scope="module")
def run(alice) -> dict:
    """A finished run of a twin that wrote a PNG, a CSV and a file in a subfolder; then
    links put beside them: out of the run folder (left out), inside it (followed), a loop."""
    write_dt(alice["home"], "spec-outputs", CELLS)
    r = alice["api"].post(f"{alice['server']}dtaas/api/runs", json={"dt": "spec-outputs"})
    assert r.status_code == 201, r.text
    record = wait_run(alice["api"], alice["server"], r.json()["id"])
    assert record["status"] == "succeeded", record["error"]
    outputs = alice["home"] / record["dir"] / "outputs"
    os.symlink(alice["home"] / "digital_twins" / "spec-outputs" / "dt.yaml", outputs / "out-file")
    os.symlink(alice["home"], outputs / "out-dir")
    os.symlink("../../../../digital_twins", outputs / "out-relative")
    os.symlink("/etc", outputs / "etc")
    os.symlink("../../run.log", outputs / "sub" / "log-link")
    os.symlink("..", outputs / "sub" / "loop")
    os.mkfifo(outputs / "fifo")
    return record


def test_the_listing_names_kinds_and_leaves_out_links_that_lead_out(api, alice, run):
    r = api("GET", f"runs/{run['id']}/outputs")
    assert r.status_code == 200
    body = r.json()
    assert body["run"] == run["id"] and body["truncated"] is False
    assert [f["path"] for f in body["files"]] == LISTED
    kinds = {f["path"]: (f["kind"], f["mime"]) for f in body["files"]}
    assert kinds == {
        "plot.png": ("image", "image/png"),
        "table.csv": ("csv", "text/csv"),
        "sub/deeper/notes.txt": ("text", "text/plain"),
        "sub/log-link": ("other", "application/octet-stream"),
    }
    outputs = alice["home"] / run["dir"] / "outputs"
    for f in body["files"]:
        assert f["size"] == (outputs / f["path"]).stat().st_size > 0


def test_the_zip_holds_outputs_notebook_and_log_by_run_folder_names(api, alice, run):
    r = api("GET", f"runs/{run['id']}/outputs.zip")
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "application/zip"
    assert r.headers["Content-Disposition"] == (
        f'attachment; filename="spec-outputs-{run["id"]}.zip"'
    )
    folder = alice["home"] / run["dir"]
    with zipfile.ZipFile(io.BytesIO(r.content)) as zf:
        assert zf.testzip() is None
        names = sorted(zf.namelist())
        assert names == sorted([*(f"outputs/{p}" for p in LISTED), "execute.ipynb", "run.log"])
        for name in names:
            assert zf.read(name) == (folder / name).read_bytes(), name
        assert zf.read("outputs/plot.png").startswith(b"\x89PNG\r\n")
        assert b"outputs written" in zf.read("execute.ipynb")


def test_a_zip_of_several_chunks_arrives_whole(api, alice, run):
    big = alice["home"] / run["dir"] / "outputs" / "big.bin"
    data = os.urandom(5 << 20)  # more than a few of the 1 MiB chunks it is sent in
    big.write_bytes(data)
    try:
        r = api("GET", f"runs/{run['id']}/outputs.zip")
        assert r.status_code == 200 and int(r.headers["Content-Length"]) == len(r.content)
        with zipfile.ZipFile(io.BytesIO(r.content)) as zf:
            assert zf.read("outputs/big.bin") == data
    finally:
        big.unlink()


def test_a_long_listing_is_cut_at_1000_sorted_and_says_so(api, alice, run):
    many = alice["home"] / run["dir"] / "outputs" / "many"
    many.mkdir()
    try:
        for i in range(1001):
            (many / f"{i:04d}.txt").write_text("x")
        body = api("GET", f"runs/{run['id']}/outputs").json()
        paths = [f["path"] for f in body["files"]]
        assert body["truncated"] is True and len(paths) == 1000
        assert paths == sorted(paths) and paths[-1] == "many/0999.txt"
    finally:
        shutil.rmtree(many)


def test_a_download_larger_than_the_limit_is_refused_naming_the_run(api, alice, run):
    huge = alice["home"] / run["dir"] / "outputs" / "huge.bin"
    with open(huge, "wb") as f:
        f.truncate(513 << 20)  # sparse: large, but no disk used
    try:
        r = api("GET", f"runs/{run['id']}/outputs.zip")
        assert r.status_code == 413
        body = r.json()
        assert body["run"] == run["id"] and body["limit"] == 512 << 20
        assert "512 MiB" in body["message"] and "max_outputs_zip_bytes" in body["message"]
        listed = api("GET", f"runs/{run['id']}/outputs").json()["files"]
        assert {"path": "huge.bin", "size": 513 << 20}.items() <= listed[0].items()
    finally:
        huge.unlink()


def test_unknown_runs_and_other_users_are_refused(api, alice, bob, run):
    for path in ("outputs", "outputs.zip"):
        r = api("GET", f"runs/no-such-run/{path}")
        assert r.status_code == 404 and r.json()["run"] == "no-such-run"
        theirs = bob["api"].get(f"{alice['server']}dtaas/api/runs/{run['id']}/{path}")
        assert theirs.status_code == 403 and b"PNG" not in theirs.content
        # nor is the run on bob's own server
        r = bob["api"].get(f"{bob['server']}dtaas/api/runs/{run['id']}/{path}")
        assert r.status_code == 404


def test_jupyter_exports_the_executed_notebook_as_html_for_its_owner(alice, bob, run):
    url = f"{alice['server']}nbconvert/html/{run['notebook']}?download=true"
    r = alice["api"].get(url)
    assert r.status_code == 200, r.text[:500]
    assert r.headers["Content-Type"].startswith("text/html")
    # Jupyter names the file the RFC 5987 way
    assert r.headers["Content-Disposition"] == "attachment; filename*=utf-8''execute.html"
    assert "<html" in r.text and "outputs written" in r.text
    theirs = bob["api"].get(url, allow_redirects=False)
    assert theirs.status_code in (302, 403) and "outputs written" not in theirs.text
