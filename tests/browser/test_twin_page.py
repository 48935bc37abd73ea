"""A twin's page in Debian's Chromium: the Overview tab, the page restored at its tab on
reload, the Configure tab (form, configurations, run), manifest problems on save, and
the page of an asset that is not a twin."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml
from playwright.sync_api import Locator, Page, expect

from tests.browser.lab import MSD, log_in, run_command, wait_until_indexed
from tests.dts import write_dt, write_solver
from tests.hub import Hub

pytestmark = pytest.mark.browser

MSD_KEY = {"scope": "common", "type": "digital_twins", "name": "mass-spring-damper"}
MY_TWIN = {"scope": "private", "type": "digital_twins", "name": "my-twin"}
RUN_TIMEOUT = 180


def twin_page(page: Page, path: str) -> Locator:
    found = page.locator(f".dtaas-page[data-path='{path}']")
    expect(found).to_be_visible()
    return found


def saved_tab(request, tab: str) -> bool:
    """A workspace save that holds a page open at ``tab`` (the layout restorer's data)."""
    if request.method != "PUT" or "/api/workspaces" not in request.url:
        return False
    data = json.loads(request.post_data or "{}").get("data", {})
    return any(
        key.startswith("dtaas-page:") and value.get("data", {}).get("tab") == tab
        for key, value in data.items()
        if isinstance(value, dict)
    )


def run_records(workspace: Path, dt: str) -> list[dict]:
    return [
        json.loads(path.read_text())
        for path in sorted((workspace / "runs" / dt).glob("*/run.json"))
        if path.stat().st_size
    ]


def test_overview_and_restore_at_tab(hub: Hub, page: Page, errors, artifacts):
    log_in(page, hub, "olaf")
    run_command(page, "dtaas:open", MSD_KEY)
    twin = twin_page(page, MSD)
    expect(twin.locator(".dtaas-page-title")).to_have_text("Two-mass spring-damper")
    expect(twin.locator(".dtaas-page-body[data-tab='overview']")).to_be_visible()

    overview = twin.locator(".dtaas-overview")
    summary = overview.locator(".dtaas-manifest-summary")
    expect(summary).to_contain_text("Two masses coupled in series")
    expect(summary.locator("[data-meta='version']")).to_contain_text("1.0.0")
    expect(summary.locator("[data-meta='authors']")).to_contain_text("DTaaS examples")
    expect(summary.locator(".dtaas-tag[data-tag='mechanics']")).to_be_visible()
    expect(summary.locator(".dtaas-step")).to_have_text(["create", "execute", "analyze", "clean"])
    expect(summary.locator(".dtaas-parameter-count")).to_have_text("12 parameters")
    expect(summary.locator(".dtaas-record[data-record='x1']")).to_contain_text("m")
    expect(overview.locator(".dtaas-readme h2", has_text="Lifecycle")).to_be_visible()
    expect(overview.locator(".dtaas-files li[data-path='dt.yaml']")).to_be_visible()
    expect(
        overview.locator(".dtaas-files li[data-path='lifecycle/execute.ipynb']")
    ).to_contain_text("kB")
    expect(overview.locator(".dtaas-uses-section")).to_contain_text("No assets")
    expect(overview.locator(".dtaas-used-by-section")).to_contain_text("No digital twin uses it")
    expect(overview.locator(".dtaas-problems-section")).to_have_count(0)
    expect(overview.locator(f".dtaas-open-file[data-path='{MSD}/dt.yaml']")).to_be_visible()
    expect(overview.locator(".dtaas-open-in-browser")).to_be_visible()

    add = overview.locator(".dtaas-add-to-dt")
    expect(add).to_have_text("Add to new DT")
    add.click()
    expect(add).to_have_text("Added to new DT")
    expect(add).to_be_disabled()
    page.screenshot(path=str(artifacts / "twin-overview.png"))

    # Configure opens the page's own tab; the layout is saved with it, and a reload
    # brings the page back at that tab
    with page.expect_request(lambda r: saved_tab(r, "configure")):
        overview.locator(".dtaas-open-configure").click()
        expect(twin.locator(".dtaas-page-body[data-tab='configure']")).to_be_visible()
    expect(twin.locator(".dtaas-page-tab[data-tab='configure']")).to_have_attribute(
        "aria-selected", "true"
    )
    page.reload()
    twin = twin_page(page, MSD)
    expect(twin.locator(".dtaas-page-body[data-tab='configure']")).to_be_visible()
    expect(twin.locator(".dtaas-configure #root_m1")).to_have_value("1")

    with page.expect_request(lambda r: saved_tab(r, "overview")):
        twin.locator(".dtaas-page-tab[data-tab='overview']").click()
    page.reload()
    twin = twin_page(page, MSD)
    expect(
        twin.locator(".dtaas-page-body[data-tab='overview'] .dtaas-readme h2").first
    ).to_be_visible()

    # the file list opens files in Lab
    twin.locator(".dtaas-files li[data-path='README.md'] a").click()
    expect(page.locator(".lm-TabBar-tab.jp-mod-current", has_text="README.md")).to_be_visible()
    assert errors == []


def test_configure_save_as_and_run(hub: Hub, page: Page, errors, artifacts):
    name = "oona"
    workspace = log_in(page, hub, name)
    run_command(page, "dtaas:configure", MSD_KEY)
    twin = twin_page(page, MSD)
    view = twin.locator(".dtaas-page-body[data-tab='configure'] .dtaas-configure")
    m1 = view.locator("#root_m1")
    expect(m1).to_have_value("1")
    expect(view.locator(".dtaas-field[data-parameter='m1']")).to_contain_text("kg")
    expect(view.locator(".dtaas-field[data-parameter='m1']")).to_contain_text("default 1 kg")

    # an invalid value is reported on its field and in the summary, by name; the summary
    # takes the cursor back to the field
    m1.fill("-1")
    error = view.locator(".dtaas-field-error[data-parameter='m1']")
    expect(error).to_be_visible()
    summary = view.locator(".dtaas-form-errors")
    expect(summary).to_contain_text("m1")
    expect(view.locator(".dtaas-config-modified")).to_be_visible()
    view.locator("#root_k1").focus()
    summary.locator("li[data-parameter='m1']").click()
    expect(m1).to_be_focused()
    page.screenshot(path=str(artifacts / "configure-invalid.png"))
    # the run is refused while a value is wrong
    view.locator(".dtaas-run-config").click()
    expect(view.locator(".dtaas-configure-status")).to_contain_text("Fix the values")
    # a valid change is checked by the server too, once typing pauses
    with page.expect_request(
        lambda r: r.method == "POST" and urlparse(r.url).path.endswith("/validate")
    ):
        m1.fill("5")
    expect(error).to_have_count(0)
    expect(summary).to_be_hidden()
    expect(view.locator(".dtaas-field[data-parameter='m1']")).to_have_class(
        re.compile("dtaas-mod-modified")
    )

    view.locator(".dtaas-config-save-as").click()
    dialog = page.locator(".jp-Dialog")
    dialog.locator("input").fill("heavy")
    dialog.locator(".jp-Dialog-button.jp-mod-accept").click()
    picker = view.locator("select.dtaas-config-select")
    expect(picker).to_have_value("heavy")
    expect(picker.locator("option[value='default']")).to_have_count(1)
    expect(picker.locator("option[value='default']")).to_have_text("default (read-only)")
    expect(view.locator(".dtaas-config-modified")).to_be_hidden()
    expect(view.locator(".dtaas-config-delete")).to_be_enabled()
    expect(view.locator(".dtaas-configure-status")).to_have_text("Saved heavy.")
    expect(view.locator("input.dtaas-step[value='execute']")).to_be_checked()
    expect(view.locator("input.dtaas-step[value='create']")).not_to_be_checked()
    expect(view.locator("select.dtaas-profile")).to_have_value("")
    page.screenshot(path=str(artifacts / "configure-saved.png"))

    saved = list((hub.data_dir / "users" / name).rglob("heavy.yaml"))
    assert len(saved) == 1, saved
    assert yaml.safe_load(saved[0].read_text())["m1"] == 5

    view.locator(".dtaas-run-config").click()
    expect(twin.locator(".dtaas-page-body[data-tab='runs']")).to_be_visible()
    page.screenshot(path=str(artifacts / "configure-run-started.png"))
    deadline = time.monotonic() + RUN_TIMEOUT
    while True:
        records = [r for r in run_records(workspace, "mass-spring-damper") if r.get("config")]
        if records and records[-1].get("status") == "succeeded":
            break
        assert time.monotonic() < deadline, f"the run never succeeded: {records}"
        page.wait_for_timeout(500)
    record = records[-1]
    assert record["config"] == "heavy"
    assert record["parameters"]["m1"] == 5
    assert record["steps"] == ["execute"]

    # the edits and the configuration stay while the tab is away; Delete asks first
    twin.locator(".dtaas-page-tab[data-tab='configure']").click()
    expect(picker).to_have_value("heavy")
    expect(m1).to_have_value("5")
    view.locator(".dtaas-config-delete").click()
    page.locator(".jp-Dialog .jp-Dialog-button.jp-mod-warn").click()
    expect(picker).to_have_value("")
    expect(picker.locator("option[value='heavy']")).to_have_count(0)
    expect(m1).to_have_value("1")
    expect(view.locator(".dtaas-configure-status")).to_have_text("Deleted heavy.")
    assert not list((hub.data_dir / "users" / name).rglob("heavy.yaml"))
    assert errors == []


def test_manifest_problems_on_save(hub: Hub, page: Page, errors, artifacts):
    user = "otto"
    workspace = log_in(page, hub, user)
    write_dt(workspace, "my-twin", ["x = 1"], title="My twin")
    wait_until_indexed(page, hub, user, "digital_twins", "my-twin")
    run_command(page, "dtaas:open", MY_TWIN)
    twin = twin_page(page, "digital_twins/my-twin")
    expect(twin.locator(".dtaas-problems-section")).to_have_count(0)
    path = "digital_twins/my-twin/dt.yaml"
    twin.locator(f".dtaas-open-file[data-path='{path}']").click()
    expect(page.locator(".lm-TabBar-tab.jp-mod-current", has_text="dt.yaml")).to_be_visible()
    editor = page.locator(".jp-FileEditor:visible .cm-content")
    expect(editor).to_contain_text("lifecycle")

    # a title that is a list and a lifecycle step with a name the schema does not know
    text = (workspace / path).read_text()
    lines = text.splitlines()
    lines[lines.index(next(x for x in lines if x.startswith("title:")))] = "title: [not, text]"
    at = lines.index("lifecycle:") + 1
    lines.insert(at, "  run: lifecycle/execute.ipynb")
    title_line = lines.index("title: [not, text]") + 1
    run_line = at + 1
    editor.click()
    page.keyboard.press("Control+a")
    page.keyboard.insert_text("\n".join(lines) + "\n")
    page.keyboard.press("Control+s")

    toast = page.locator(".Toastify__toast", has_text="problems in the manifest")
    expect(toast).to_be_visible(timeout=30_000)
    expect(toast).to_contain_text("dt.yaml: 2 problems")
    toast.get_by_role("button", name="Show").click()
    problems = page.locator(".dtaas-manifest-problems li")
    expect(problems).to_have_count(2)
    expect(problems.filter(has_text=f"dt.yaml:{title_line} title:")).to_have_count(1)
    expect(problems.filter(has_text=f"dt.yaml:{run_line} lifecycle.run:")).to_have_count(1)
    page.screenshot(path=str(artifacts / "manifest-problems.png"))
    assert "run:" in (workspace / path).read_text()
    page.locator(".jp-Dialog .jp-Dialog-button.jp-mod-accept").click()

    # the twin's page, loaded again after the save, lists them with their lines
    listed = twin.locator(".dtaas-problems-section li.dtaas-problem")
    expect(listed).to_have_count(2)
    expect(twin.locator(f".dtaas-problem[data-line='{title_line}']")).to_contain_text("title")
    expect(twin.locator(f".dtaas-problem[data-line='{run_line}']")).to_contain_text("lifecycle.run")

    # fixed again, it says so
    editor.click()
    page.keyboard.press("Control+a")
    page.keyboard.insert_text(text)
    page.keyboard.press("Control+s")
    expect(page.locator(".Toastify__toast", has_text="Manifest is valid")).to_be_visible()
    expect(twin.locator(".dtaas-problems-section")).to_have_count(0)
    run_command(page, "dtaas:open", MY_TWIN)
    expect(twin).to_be_visible()
    page.screenshot(path=str(artifacts / "manifest-fixed.png"))
    assert errors == []


def test_asset_page_and_relations(hub: Hub, page: Page, errors, artifacts):
    user = "ines"
    workspace = log_in(page, hub, user)
    write_solver(workspace)
    write_dt(
        workspace,
        "with-solver",
        ["x = 1"],
        title="With solver",
        assets=["mine/functions/solver", "mine/functions/nothing"],
    )
    wait_until_indexed(page, hub, user, "functions", "solver")
    wait_until_indexed(page, hub, user, "digital_twins", "with-solver")

    # the twin lists what it uses; a reference the library does not have is marked
    run_command(
        page, "dtaas:open", {"scope": "private", "type": "digital_twins", "name": "with-solver"}
    )
    twin = twin_page(page, "digital_twins/with-solver")
    uses = twin.locator(".dtaas-uses li[data-ref='mine/functions/solver']")
    expect(uses).to_be_visible()
    expect(uses).not_to_have_class(re.compile("dtaas-missing"))
    expect(twin.locator(".dtaas-uses li[data-ref='mine/functions/nothing']")).to_have_class(
        re.compile("dtaas-missing")
    )
    page.screenshot(path=str(artifacts / "twin-uses.png"))

    # its link opens the asset's own page: Overview and Sharing only, README, files, what uses it
    uses.locator("a").click()
    asset = twin_page(page, "functions/solver")
    expect(asset).to_have_attribute("data-type", "functions")
    body = asset.locator(".dtaas-asset-page")
    expect(asset.locator(".dtaas-page-tab")).to_have_count(2)
    expect(asset.locator(".dtaas-page-tab[data-tab='sharing']")).to_be_visible()
    expect(asset.locator(".dtaas-page-title")).to_have_text("Damped solver")
    expect(body.locator(".dtaas-manifest-summary")).to_contain_text("Integrates damped oscillators")
    expect(body.locator(".dtaas-readme h1", has_text="Damped solver")).to_be_visible()
    expect(body.locator(".dtaas-files li[data-path='asset.yaml']")).to_be_visible()
    expect(body.locator(".dtaas-files li[data-path='README.md']")).to_be_visible()
    expect(body.locator(".dtaas-open-configure")).to_have_count(0)
    expect(body.locator(".dtaas-uses-section")).to_have_count(0)
    used_by = body.locator(".dtaas-used-by li")
    expect(used_by).to_have_attribute("data-ref", "mine/digital_twins/with-solver")
    expect(
        body.locator(".dtaas-open-file[data-path='functions/solver/asset.yaml']")
    ).to_be_visible()
    add = body.locator(".dtaas-add-to-dt")
    add.click()
    expect(add).to_have_text("Added to new DT")
    page.screenshot(path=str(artifacts / "asset-page.png"))

    # and back to the twin through Used by
    used_by.locator("a").click()
    expect(twin).to_be_visible()
    assert errors == []
