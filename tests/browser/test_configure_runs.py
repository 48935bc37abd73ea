"""Configure and Runs views in Debian's Chromium: form, configurations, run, log, cancel."""

from __future__ import annotations

import re

import pytest
import yaml
from playwright.sync_api import Locator, Page, expect

from tests.browser.lab import MSD, log_in, open_sidebar
from tests.dts import write_dt
from tests.hub import Hub

pytestmark = pytest.mark.browser


def open_panel(page: Page) -> Locator:
    return open_sidebar(page, "dtaas-sidebar", "Digital Twins", "#dtaas-panel")


def test_configure_save_as_and_run(hub: Hub, page: Page, errors, artifacts):
    name = "gwen"
    log_in(page, hub, name)
    panel = open_panel(page)
    panel.locator(f".dtaas-asset[data-path='{MSD}']").click()
    panel.locator(".dtaas-detail .dtaas-open-configure").click()

    view = page.locator(".dtaas-configure")
    m1 = view.locator("#root_m1")
    expect(m1).to_have_value("1")
    expect(view.locator(".dtaas-field[data-parameter='m1']")).to_contain_text("kg")

    # an invalid value is reported on its field and in the summary, by name
    m1.fill("-1")
    error = view.locator(".dtaas-field-error[data-parameter='m1']")
    expect(error).to_be_visible()
    expect(view.locator(".dtaas-form-errors")).to_contain_text("m1")
    page.screenshot(path=str(artifacts / "configure-invalid.png"))
    m1.fill("5")
    expect(error).to_have_count(0)
    expect(view.locator(".dtaas-form-errors")).to_be_hidden()

    view.locator(".dtaas-config-save-as").click()
    dialog = page.locator(".jp-Dialog")
    dialog.locator("input").fill("heavy")
    dialog.locator(".jp-Dialog-button.jp-mod-accept").click()
    picker = view.locator("select.dtaas-config-select")
    expect(picker).to_have_value("heavy")
    expect(picker.locator("option[value='default']")).to_have_count(1)
    expect(view.locator(".dtaas-config-modified")).to_be_hidden()
    expect(view.locator(".dtaas-config-delete")).to_be_enabled()
    expect(view.locator("input.dtaas-step[value='execute']")).to_be_checked()
    page.screenshot(path=str(artifacts / "configure-saved.png"))

    view.locator(".dtaas-run-config").click()
    runs = page.locator(".dtaas-runs-view")
    expect(runs).to_be_visible()
    row = runs.locator("tr.dtaas-run-row").first
    expect(row.locator(".dtaas-run-row-status")).to_have_text("succeeded", timeout=180_000)
    expect(row).to_contain_text("heavy")
    expect(row).to_contain_text("m1=5")
    expect(runs.locator(".dtaas-run-log")).to_contain_text("integrated", timeout=30_000)
    expect(runs.locator(".dtaas-recorded")).to_contain_text("x1")
    page.screenshot(path=str(artifacts / "runs-succeeded.png"))

    saved = list((hub.data_dir / "users" / name).rglob("heavy.yaml"))
    assert len(saved) == 1, saved
    assert yaml.safe_load(saved[0].read_text())["m1"] == 5
    assert errors == []


def test_cancel_a_slow_run(hub: Hub, page: Page, errors, artifacts):
    name = "hank"
    log_in(page, hub, name)
    # the workspace exists once the login has spawned the server
    workspace = hub.data_dir / "users" / name
    assert workspace.is_dir()
    write_dt(workspace, "slow", ["import time; time.sleep(60)"])

    panel = open_panel(page)
    panel.locator(".dtaas-refresh").click()
    panel.locator(".dtaas-asset[data-scope='private'][data-path$='digital_twins/slow']").click()
    detail = panel.locator(".dtaas-detail")
    detail.locator(".dtaas-run-button").click()
    expect(detail.locator(".dtaas-run-status")).to_have_text("running", timeout=120_000)

    detail.locator(".dtaas-open-runs").click()
    runs = page.locator(".dtaas-runs-view")
    row = runs.locator("tr.dtaas-run-row").first
    expect(row.locator(".dtaas-run-row-status")).to_have_text("running")
    row.click()
    expect(row).to_have_class(re.compile("jp-mod-selected"))
    expect(runs.locator(".dtaas-run-progress")).to_contain_text("execute")
    page.screenshot(path=str(artifacts / "runs-running.png"))

    runs.locator(".dtaas-run-cancel").click()
    expect(row.locator(".dtaas-run-row-status")).to_have_text("cancelled", timeout=60_000)
    expect(runs.locator(".dtaas-run-cancel")).to_be_hidden()
    expect(detail.locator(".dtaas-run-status")).to_have_text("cancelled", timeout=30_000)
    page.screenshot(path=str(artifacts / "runs-cancelled.png"))
    assert errors == []
