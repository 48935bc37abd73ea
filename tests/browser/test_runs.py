"""A twin's Runs tab in Debian's Chromium: progress, outputs explored (images, CSV table
and plot), trend over runs, compare, HTML export and zip download, cancel, rows that
follow runs the detail does not show."""

from __future__ import annotations

import io
import re
import time
import zipfile

import pytest
import yaml
from playwright.sync_api import Locator, Page, expect

from tests.browser.lab import log_in, run_command, wait_until_indexed
from tests.dts import write_dt
from tests.hub import Hub

pytestmark = pytest.mark.browser

RUN_TIMEOUT = 180_000

SCHEMA = {
    "type": "object",
    "properties": {
        "gain": {"type": "number", "default": 1.0, "x-unit": "m", "description": "Amplitude"},
        "samples": {"type": "integer", "default": 61, "minimum": 2},
    },
}

# papermill injects the parameters (gain, samples) before the first cell; the kernel
# runs in the run's outputs/ folder, so relative files are outputs
EXPLORE_CELLS = [
    "import time\ntime.sleep(3)",
    "import math\n"
    "rows = ['t,x1,x2'] + [\n"
    "    f'{i / 10:g},{gain * math.cos(i / 10):.6g},{gain * math.sin(i / 10):.6g}'\n"
    "    for i in range(samples)\n"
    "]\n"
    "open('trajectory.csv', 'w').write('\\n'.join(rows) + '\\n')",
    "import matplotlib\n"
    "matplotlib.use('Agg')\n"
    "import matplotlib.pyplot as plt\n"
    "fig, ax = plt.subplots(figsize=(3, 2))\n"
    "ax.plot([0, 1, 2], [0, gain, 0])\n"
    "fig.savefig('trajectory.png', dpi=50)",
    "open('shape.svg', 'w').write(\n"
    '    \'<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20">\'\n'
    '    \'<rect width="40" height="20" fill="teal"/></svg>\'\n'
    ")\n"
    "open('notes.txt', 'w').write('gain %s\\n' % gain)",
    "import dtaas\ndtaas.record('peak', float(gain))",
]

PROGRESS = re.compile(r"\((\d+) of (\d+)\)")


def twin_key(name: str) -> dict:
    return {"scope": "private", "type": "digital_twins", "name": name}


def runs_tab(page: Page, name: str) -> Locator:
    tab = page.locator(f".dtaas-page[data-ref='mine/digital_twins/{name}'] .dtaas-runs")
    expect(tab).to_be_visible()
    return tab


def run_and_watch_progress(page: Page, runs: Locator, name: str) -> tuple[str, list[str]]:
    """Start a run by command and read its progress until it ends; its id and the texts."""
    rows = runs.locator("tr.dtaas-run-row")
    before = rows.count()
    run_command(page, "dtaas:run", twin_key(name))
    expect(rows).to_have_count(before + 1)
    run_id = rows.first.get_attribute("data-run-id")
    status = runs.locator(f".dtaas-run-detail[data-run-id='{run_id}'] .dtaas-run-detail-status")
    progress = runs.locator(f".dtaas-run-detail[data-run-id='{run_id}'] .dtaas-run-progress")
    seen: list[str] = []
    deadline = time.monotonic() + RUN_TIMEOUT / 1000
    while status.text_content() not in ("succeeded", "failed", "cancelled"):
        assert time.monotonic() < deadline, f"run {run_id} never ended: {seen[-3:]}"
        seen.extend(t for t in progress.all_text_contents() if t and t not in seen)
        page.wait_for_timeout(100)
    expect(status).to_have_text("succeeded")
    return run_id, seen


def loaded(image: Locator) -> bool:
    """The image came: the browser decoded it and knows its size."""
    image.scroll_into_view_if_needed()
    handle = image.element_handle()
    image.page.wait_for_function("i => i.complete && i.naturalWidth > 0", arg=handle)
    return True


def test_explore_compare_and_download(hub: Hub, page: Page, errors, artifacts):
    user, name = "rita", "explore"
    workspace = log_in(page, hub, user)
    folder = write_dt(
        workspace,
        name,
        EXPLORE_CELLS,
        schema=SCHEMA,
        title="Explore",
        records={"peak": {"description": "Largest value", "x-unit": "m"}},
    )
    wait_until_indexed(page, hub, user, "digital_twins", name)
    run_command(page, "dtaas:open", {**twin_key(name), "tab": "runs"})
    runs = runs_tab(page, name)
    expect(runs.locator(".dtaas-runs-empty")).to_have_text("No runs yet")

    first, seen = run_and_watch_progress(page, runs, name)
    assert seen, "no progress was shown while the run went"
    assert any("step execute (1 of 1)" in t for t in seen), seen
    for text in seen:
        for done, total in PROGRESS.findall(text):
            assert int(done) <= int(total), f"progress beyond its total: {text!r}"
    assert not any("(2 of 1)" in t for t in seen), seen

    detail = runs.locator(f".dtaas-run-detail[data-run-id='{first}']")
    expect(detail.locator(".dtaas-run-cancel")).to_have_count(0)
    peak = detail.locator(".dtaas-recorded .dtaas-recorded-item[data-name='peak']")
    expect(peak.locator(".dtaas-recorded-value")).to_have_text("1")
    expect(peak.locator(".dtaas-recorded-unit")).to_have_text("m")
    expect(detail.locator(".dtaas-run-info")).to_contain_text("gain=1")

    # images inline, loaded
    outputs = detail.locator(".dtaas-outputs")
    png = outputs.locator("img.dtaas-output-image[data-path='trajectory.png']")
    svg = outputs.locator("img.dtaas-output-image[data-path='shape.svg']")
    assert loaded(png) and loaded(svg)
    notes = outputs.locator(".dtaas-output-file[data-path='notes.txt'] .dtaas-output-open")
    expect(notes).to_be_visible()

    # the CSV as a table and a plot of its columns against t
    csv = outputs.locator(".dtaas-csv[data-path='trajectory.csv']")
    expect(csv.locator("table.dtaas-csv-table thead th")).to_have_text(["t", "x1", "x2"])
    expect(csv.locator("table.dtaas-csv-table tbody tr")).to_have_count(50)
    expect(csv.locator(".dtaas-csv-rows")).to_have_text("First 50 of 61 rows")
    legend = csv.locator(".dtaas-plot .vega-embed svg .role-legend")
    expect(legend).to_contain_text("x1")
    expect(legend).to_contain_text("x2")
    csv.scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "runs-explore.png"))
    csv.locator("input.dtaas-csv-column[value='x2']").uncheck()
    expect(legend).not_to_contain_text("x2")
    expect(legend).to_contain_text("x1")
    expect(csv.locator(".dtaas-csv-plot-box")).to_have_attribute("data-columns", "x1")

    # the HTML export and the zip answer as downloads
    export = detail.locator("a.dtaas-run-export-html")
    expect(export).to_have_count(1)
    answer = page.request.get(export.evaluate("a => a.href"))
    assert answer.status == 200, answer.status
    assert answer.headers["content-type"].startswith("text/html"), answer.headers
    assert "peak = 1.0" in answer.text()  # the executed cell's output
    archive = page.request.get(detail.locator("a.dtaas-run-download-zip").evaluate("a => a.href"))
    assert archive.status == 200, archive.status
    assert archive.headers["content-type"].startswith("application/zip"), archive.headers
    members = set(zipfile.ZipFile(io.BytesIO(archive.body())).namelist())
    expected = {
        "outputs/trajectory.csv",
        "outputs/trajectory.png",
        "outputs/shape.svg",
        "outputs/notes.txt",
        "execute.ipynb",
        "run.log",
    }
    assert expected <= members, members

    # a second run with another default value
    manifest = yaml.safe_load((folder / "dt.yaml").read_text())
    manifest["parameters"]["properties"]["gain"]["default"] = 2.5
    (folder / "dt.yaml").write_text(yaml.safe_dump(manifest))
    second, seen = run_and_watch_progress(page, runs, name)
    assert not any("(2 of 1)" in t for t in seen), seen
    rows = runs.locator("tr.dtaas-run-row")
    expect(rows).to_have_count(2)
    expect(rows.first).to_have_attribute("data-run-id", second)
    expect(rows.first.locator(".dtaas-run-row-record[data-record='peak']")).to_have_text("2.5")
    expect(runs.locator(".dtaas-run-record-head[data-record='peak']")).to_have_text("peak (m)")

    # the trend of the recorded value over the two runs
    trend = runs.locator(".dtaas-trend")
    expect(trend).to_have_attribute("data-record", "peak")
    expect(trend.locator(".dtaas-trend-record select")).to_have_value("peak")
    expect(trend.locator(".dtaas-plot .vega-embed svg .role-axis")).not_to_have_count(0)
    expect(trend.locator(".dtaas-plot .vega-embed svg .mark-symbol path")).to_have_count(2)

    # compare the two: what differs is marked, their CSV series overlaid
    rows.nth(0).locator("input.dtaas-run-compare").check()
    expect(runs.locator(".dtaas-compare-hint")).to_be_visible()
    rows.nth(1).locator("input.dtaas-run-compare").check()
    compare = runs.locator(".dtaas-compare")
    parameters = compare.locator(".dtaas-compare-parameters")
    expect(parameters.locator("tr[data-name='gain']")).to_have_class(
        re.compile("dtaas-mod-differs")
    )
    expect(parameters.locator("tr[data-name='samples']")).not_to_have_class(
        re.compile("dtaas-mod-differs")
    )
    recorded = compare.locator(".dtaas-compare-recorded")
    expect(recorded.locator("tr[data-name='peak']")).to_have_class(re.compile("dtaas-mod-differs"))
    expect(compare.locator(".dtaas-compare-file select")).to_have_value("trajectory.csv")
    expect(compare.locator(".dtaas-compare-column select")).to_have_value("x1")
    overlay = compare.locator(".dtaas-compare-plot .vega-embed svg")
    expect(overlay.locator(".role-legend-label text")).to_have_count(2)
    expect(overlay.locator(".role-legend")).to_contain_text(second[-6:])
    expect(overlay.locator(".role-legend")).to_contain_text(first[-6:])
    compare.locator(".dtaas-compare-column select").select_option("x2")
    expect(compare.locator(".dtaas-compare-overlay")).to_have_attribute("data-column", "x2")
    expect(overlay.locator(".role-axis-title")).to_contain_text(["x2"])
    compare.scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "runs-compare.png"))
    run_command(page, "apputils:change-theme", {"theme": "JupyterLab Dark"})
    expect(page.locator("body")).to_have_attribute("data-jp-theme-light", "false")
    expect(page.locator("#jupyterlab-splash")).to_have_count(0)
    runs.locator(".dtaas-trend").scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "runs-dark.png"))
    compare.locator(".dtaas-compare-clear").click()
    expect(compare).to_have_count(0)
    expect(runs.locator("input.dtaas-run-compare:checked")).to_have_count(0)
    assert errors == []


def test_cancel_a_slow_run(hub: Hub, page: Page, errors, artifacts):
    user, name = "hank", "slow"
    workspace = log_in(page, hub, user)
    write_dt(workspace, name, ["import time; time.sleep(60)"])
    wait_until_indexed(page, hub, user, "digital_twins", name)

    run_command(page, "dtaas:run", twin_key(name))
    runs = runs_tab(page, name)
    row = runs.locator("tr.dtaas-run-row").first
    expect(row.locator(".dtaas-run-row-status")).to_have_text("running", timeout=120_000)
    row.click()
    expect(row).to_have_class(re.compile("jp-mod-selected"))
    expect(runs.locator(".dtaas-run-progress")).to_contain_text("execute")
    expect(runs.locator(".dtaas-run-progress")).not_to_contain_text("(2 of 1)")
    page.screenshot(path=str(artifacts / "runs-running.png"))

    runs.locator(".dtaas-run-cancel").click()
    expect(row.locator(".dtaas-run-row-status")).to_have_text("cancelled", timeout=60_000)
    expect(runs.locator(".dtaas-run-detail-status")).to_have_text("cancelled")
    expect(runs.locator(".dtaas-run-cancel")).to_have_count(0)
    page.screenshot(path=str(artifacts / "runs-cancelled.png"))
    assert errors == []


def test_rows_follow_a_run_the_detail_does_not_show(hub: Hub, page: Page, errors, artifacts):
    """A run's row ends as finished while the detail shows an older run."""
    user, name = "hugo", "nap"
    workspace = log_in(page, hub, user)
    write_dt(workspace, name, ["import time; time.sleep(6)"], title="Nap")
    wait_until_indexed(page, hub, user, "digital_twins", name)

    run_command(page, "dtaas:run", twin_key(name))
    runs = runs_tab(page, name)
    rows = runs.locator("tr.dtaas-run-row")
    status = rows.locator(".dtaas-run-row-status")
    expect(status.first).to_have_text("succeeded", timeout=RUN_TIMEOUT)
    older = rows.first.get_attribute("data-run-id")

    run_command(page, "dtaas:run", twin_key(name))
    expect(rows).to_have_count(2)
    expect(status.first).to_have_text(re.compile("queued|running"))
    # the detail now shows the older run; the new one finishes in its row all the same
    rows.nth(1).click()
    expect(rows.nth(1)).to_have_class(re.compile("jp-mod-selected"))
    expect(runs.locator(".dtaas-run-detail")).to_have_attribute("data-run-id", older)
    expect(status.first).to_have_text("succeeded", timeout=RUN_TIMEOUT)
    expect(rows.nth(1)).to_have_class(re.compile("jp-mod-selected"))
    expect(runs.locator(".dtaas-run-detail")).to_have_attribute("data-run-id", older)
    page.screenshot(path=str(artifacts / "runs-rows-follow.png"))
    assert errors == []


def test_a_plot_drawn_in_a_hidden_tab_fills_its_width_when_shown(hub: Hub, page: Page, errors):
    user, name = "rolf", "hidden"
    workspace = log_in(page, hub, user)
    write_dt(workspace, name, EXPLORE_CELLS, schema=SCHEMA, title="Hidden")
    wait_until_indexed(page, hub, user, "digital_twins", name)
    run_command(page, "dtaas:open", {**twin_key(name), "tab": "runs"})
    runs = runs_tab(page, name)
    run_and_watch_progress(page, runs, name)
    expect(runs.locator(".dtaas-csv .dtaas-plot svg").first).to_be_visible()

    # a second run ends, and its outputs are drawn, while another tab is in front
    rows = runs.locator("tr.dtaas-run-row")
    run_command(page, "dtaas:run", twin_key(name))
    run_command(page, "launcher:create")
    expect(page.locator(".jp-Launcher")).to_be_visible()
    expect(rows).to_have_count(2)
    newest = rows.first.get_attribute("data-run-id")
    detail = runs.locator(f".dtaas-run-detail[data-run-id='{newest}']")
    expect(detail.locator(".dtaas-csv .dtaas-plot svg")).to_have_count(1, timeout=RUN_TIMEOUT)
    assert not runs.is_visible()
    page.locator(".lm-TabBar-tab", has_text="Hidden").click()
    plot = detail.locator(".dtaas-csv .dtaas-plot svg")
    expect(plot).to_be_visible()
    page.wait_for_function(
        "svg => svg.getBoundingClientRect().width > 300", arg=plot.element_handle()
    )
    assert errors == []
