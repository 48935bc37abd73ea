"""Runs in Debian's Chromium: cancel a slow run (the Configure flow is in test_twin_page.py)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.lab import log_in, open_sidebar
from tests.dts import write_dt
from tests.hub import Hub

pytestmark = pytest.mark.browser


def open_panel(page: Page) -> Locator:
    return open_sidebar(page, "dtaas-sidebar", "Digital Twins", "#dtaas-panel")


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
