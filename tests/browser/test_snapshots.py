"""Save and respawn in Debian's Chromium: a live run's ticks and values, Save while it
runs, Stop, the Snapshots tab (detail, label, diff of two, delete) and a respawned run
that goes on from the saved tick."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.lab import log_in, run_command, wait_until_indexed
from tests.dts import write_dt
from tests.hub import Hub

pytestmark = pytest.mark.browser

LIVE_CELLS = [
    "import dtaas",
    "for tick in dtaas.ticks(0.2):\n    dtaas.record('x', tick * 1.0, t=tick)",
]
RECORDS = {"x": {"description": "Position", "x-unit": "m"}}
SERIES = "outputs/records/x.csv"
RUN_TIMEOUT = 120_000


def twin_key(name: str) -> dict:
    return {"scope": "private", "type": "digital_twins", "name": name}


def twin_page(page: Page, name: str) -> Locator:
    twin = page.locator(f".dtaas-page[data-ref='mine/digital_twins/{name}']")
    expect(twin).to_be_visible()
    return twin


def show_tab(twin: Locator, tab: str) -> Locator:
    twin.locator(f".dtaas-page-tab[data-tab='{tab}']").click()
    body = twin.locator(f".dtaas-page-body[data-tab='{tab}']")
    expect(body).to_be_visible()
    return body


def tick_of(live: Locator) -> int:
    """The tick the run's live loop is at, as the Runs tab shows it."""
    text = live.locator(".dtaas-live-tick").get_attribute("data-tick") or ""
    return int(text) if text.isdigit() else -1


def wait_for_tick(live: Locator, beyond: int) -> int:
    """Wait until the shown tick passes ``beyond``; the tick shown then."""
    deadline = time.monotonic() + RUN_TIMEOUT / 1000
    while (tick := tick_of(live)) <= beyond:
        assert time.monotonic() < deadline, f"the tick never passed {beyond} (at {tick})"
        live.page.wait_for_timeout(100)
    return tick


def save(detail: Locator, label: str) -> str:
    """Save the run shown with a label; the id of the snapshot the page says it took."""
    live = detail.locator(".dtaas-live")
    live.locator("input.dtaas-live-label").fill(label)
    live.locator(".dtaas-live-save").click()
    saved = live.locator(".dtaas-live-saved")
    expect(saved.locator(".dtaas-live-saved-label")).to_have_text(label)
    snapshot = saved.get_attribute("data-snapshot-id")
    assert snapshot
    expect(saved.locator(".dtaas-live-saved-id")).to_have_text(f"({snapshot})")
    return snapshot


def corrupt_blob(workspace: Path, sha256: str) -> None:
    """Change a stored file of a snapshot behind the server's back."""
    blob = workspace / "snapshots" / ".blobs" / sha256[:2] / sha256
    assert blob.is_file(), f"no blob {blob}"
    blob.chmod(0o644)
    blob.write_bytes(b"t,x\n0,tampered\n")


def test_save_stop_diff_respawn_delete(hub: Hub, page: Page, errors, artifacts):
    user, name = "selma", "ticker"
    workspace = log_in(page, hub, user)
    write_dt(workspace, name, LIVE_CELLS, title="Ticker", records=RECORDS)
    wait_until_indexed(page, hub, user, "digital_twins", name)

    # a live run: its tick grows and its latest value shows with its unit
    run_command(page, "dtaas:run", twin_key(name))
    twin = twin_page(page, name)
    runs = twin.locator(".dtaas-runs")
    rows = runs.locator("tr.dtaas-run-row")
    expect(rows).to_have_count(1)
    first = rows.first.get_attribute("data-run-id")
    detail = runs.locator(f".dtaas-run-detail[data-run-id='{first}']")
    live = detail.locator(".dtaas-live")
    expect(live).to_have_attribute("data-live", "running", timeout=RUN_TIMEOUT)
    tick = wait_for_tick(live, 0)
    later = wait_for_tick(live, tick)
    assert later > tick
    x = live.locator(".dtaas-live-value[data-name='x']")
    expect(x.locator(".dtaas-live-value-unit")).to_have_text("m")
    expect(x.locator(".dtaas-live-value-value")).to_have_text(re.compile(r"^\d+(\.\d+)?$"))
    expect(live.locator(".dtaas-live-stop")).to_be_visible()
    page.screenshot(path=str(artifacts / "snapshots-live.png"))

    # two saves while it runs; it goes on between them
    early = save(detail, "early")
    saved_tick = tick_of(live)
    wait_for_tick(live, saved_tick + 3)
    late = save(detail, "late")
    assert late != early
    expect(
        detail.locator(".dtaas-run-info-line[data-info='snapshots'] .dtaas-run-taken-snapshot")
    ).to_have_count(2)

    # Stop: the loop ends after its tick, the run ends, Save is still offered
    live.locator(".dtaas-live-stop").click()
    status = detail.locator(".dtaas-run-detail-status")
    expect(status).to_have_text("succeeded", timeout=RUN_TIMEOUT)
    expect(live).to_have_attribute("data-live", "ended")
    expect(live.locator(".dtaas-live-stop")).to_have_count(0)
    expect(live.locator(".dtaas-live-save")).to_be_enabled()

    # the snapshot just saved, on the Snapshots tab
    live.locator(".dtaas-live-show-snapshot").click()
    snapshots = twin.locator(".dtaas-page-body[data-tab='snapshots'] .dtaas-snapshots")
    expect(snapshots).to_be_visible()
    srows = snapshots.locator("tr.dtaas-snapshot-row")
    expect(srows).to_have_count(2)
    expect(srows.first).to_have_attribute("data-snapshot-id", late)
    expect(srows.first).to_have_class(re.compile("jp-mod-selected"))
    early_row = snapshots.locator(f"tr.dtaas-snapshot-row[data-snapshot-id='{early}']")
    expect(early_row.locator(".dtaas-snapshot-row-label")).to_have_text("early")
    expect(early_row.locator(".dtaas-snapshot-row-run")).to_have_text(first[-6:])
    early_point = early_row.locator(".dtaas-snapshot-row-point")
    expect(early_point).to_have_text(re.compile(r"^execute, tick \d+$"))
    early_tick = int(early_point.get_attribute("data-tick"))
    assert early_tick >= 1
    sdetail = snapshots.locator(f".dtaas-snapshot-detail[data-snapshot-id='{late}']")
    series = sdetail.locator(f".dtaas-snapshot-files tr[data-path='{SERIES}']")
    expect(series).to_be_visible()
    expect(series.locator(".dtaas-hash")).to_have_text(re.compile(r"^[0-9a-f]{12}$"))
    late_hash = series.locator(".dtaas-hash").get_attribute("title")
    expect(sdetail.locator(".dtaas-run-info-line[data-info='counts']")).to_contain_text("file")
    page.screenshot(path=str(artifacts / "snapshots-list.png"))

    # a new label
    early_row.click()
    edetail = snapshots.locator(f".dtaas-snapshot-detail[data-snapshot-id='{early}']")
    edetail.locator("input.dtaas-snapshot-label-input").fill("before")
    edetail.locator(".dtaas-snapshot-label-save").click()
    expect(early_row.locator(".dtaas-snapshot-row-label")).to_have_text("before")
    expect(edetail.locator(".dtaas-snapshot-detail-title")).to_have_text("before")

    # what changed between the two: the series went on
    srows.nth(0).locator("input.dtaas-snapshot-compare").check()
    expect(snapshots.locator(".dtaas-snapshot-diff-hint")).to_be_visible()
    srows.nth(1).locator("input.dtaas-snapshot-compare").check()
    diff = snapshots.locator(".dtaas-snapshot-diff")
    expect(diff).to_have_attribute("data-a", early)
    expect(diff).to_have_attribute("data-b", late)
    changed = diff.locator(f".dtaas-snapshot-diff-files li[data-name='{SERIES}']")
    expect(changed).to_have_attribute("data-change", "changed")
    expect(diff.locator(".dtaas-section-title")).to_have_text("From before to late")
    diff.scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "snapshots-diff.png"))
    diff.locator(".dtaas-snapshot-diff-clear").click()
    expect(diff).to_have_count(0)

    # respawn the earlier one: a new run, selected, that goes on from the saved tick
    respawn = edetail.locator(".dtaas-respawn")
    expect(respawn.locator("select.dtaas-respawn-step")).to_have_value("execute")
    respawn.locator(".dtaas-respawn-start").click()
    expect(twin.locator(".dtaas-page-body[data-tab='runs']")).to_be_visible()
    expect(rows).to_have_count(2)
    second = rows.first.get_attribute("data-run-id")
    assert second != first
    expect(rows.first).to_have_class(re.compile("jp-mod-selected"))
    detail2 = runs.locator(f".dtaas-run-detail[data-run-id='{second}']")
    origin = detail2.locator(".dtaas-run-info-line[data-info='snapshot']")
    expect(origin).to_contain_text("Respawned from")
    expect(origin.locator(".dtaas-run-snapshot")).to_have_text("before")
    live2 = detail2.locator(".dtaas-live")
    expect(live2).to_have_attribute("data-live", "running", timeout=RUN_TIMEOUT)
    resumed = wait_for_tick(live2, -1)
    assert resumed >= early_tick, f"the respawned loop started at {resumed}, saved at {early_tick}"
    resumed = wait_for_tick(live2, resumed)
    value = live2.locator(".dtaas-live-value[data-name='x'] .dtaas-live-value-value")
    assert float(value.text_content()) >= early_tick
    origin.scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "snapshots-respawned.png"))
    live2.locator(".dtaas-live-stop").click()
    expect(detail2.locator(".dtaas-run-detail-status")).to_have_text(
        "succeeded", timeout=RUN_TIMEOUT
    )

    # its series holds the saved ticks and goes on from there: no tick twice, none missed
    run = page.request.get(f"{hub.url}/user/{user}/dtaas/api/runs/{second}").json()
    assert run["snapshot"] == early
    lines = (workspace / run["dir"] / "outputs" / "records" / "x.csv").read_text().split()
    ticks = [int(float(line.split(",")[0])) for line in lines[1:]]
    assert ticks == list(range(len(ticks))), ticks
    assert len(ticks) > early_tick, ticks

    # Save from the palette: the run selected on the page in front
    run_command(page, "dtaas:save")
    snapshots = show_tab(twin, "snapshots").locator(".dtaas-snapshots")
    expect(srows).to_have_count(3)
    expect(snapshots.locator(f"tr.dtaas-snapshot-row[data-run-id='{second}']")).to_have_count(1)

    # a stored file changed on disk: the respawn is refused, naming it; then delete it
    corrupt_blob(workspace, late_hash)
    late_row = snapshots.locator(f"tr.dtaas-snapshot-row[data-snapshot-id='{late}']")
    late_row.click()
    ldetail = snapshots.locator(f".dtaas-snapshot-detail[data-snapshot-id='{late}']")
    ldetail.locator(".dtaas-respawn-start").click()
    refusal = ldetail.locator(".dtaas-respawn-error")
    expect(refusal).to_contain_text("Cannot respawn")
    expect(refusal).to_contain_text("x.csv")
    # the browser notes the refused request in the console; it is the one expected
    refused = [e for e in errors if "status of 409" in e]
    assert len(refused) == 1, errors
    errors.remove(refused[0])
    ldetail.locator(".dtaas-snapshot-delete").click()
    page.locator(".jp-Dialog .jp-Dialog-button.jp-mod-warn").click()
    expect(late_row).to_have_count(0)
    expect(srows).to_have_count(2)
    page.screenshot(path=str(artifacts / "snapshots-deleted.png"))

    # Respawn from the palette: the snapshot selected on the page in front
    kept = srows.first.get_attribute("data-snapshot-id")
    srows.first.click()
    run_command(page, "dtaas:respawn")
    expect(twin.locator(".dtaas-page-body[data-tab='runs']")).to_be_visible()
    expect(rows).to_have_count(3)
    third = rows.first.get_attribute("data-run-id")
    detail3 = runs.locator(f".dtaas-run-detail[data-run-id='{third}']")
    expect(detail3.locator(".dtaas-run-snapshot")).to_have_attribute("data-snapshot-id", kept)
    stop = detail3.locator(".dtaas-live-stop")
    expect(stop).to_be_visible(timeout=RUN_TIMEOUT)
    stop.click()
    expect(detail3.locator(".dtaas-run-detail-status")).to_have_text(
        "succeeded", timeout=RUN_TIMEOUT
    )
    snapshots = show_tab(twin, "snapshots").locator(".dtaas-snapshots")
    expect(srows).to_have_count(2)

    run_command(page, "apputils:change-theme", {"theme": "JupyterLab Dark"})
    expect(page.locator("body")).to_have_attribute("data-jp-theme-light", "false")
    expect(page.locator("#jupyterlab-splash")).to_have_count(0)
    srows.first.click()
    page.screenshot(path=str(artifacts / "snapshots-dark.png"))
    assert errors == []
