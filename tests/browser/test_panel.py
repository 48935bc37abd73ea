"""The website in Debian's Chromium: log in, open the panel, run the example DT."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.lab import MSD, log_in, open_sidebar
from tests.hub import Hub

pytestmark = pytest.mark.browser


def test_log_in_open_panel_and_run_example(hub: Hub, page, errors, artifacts):
    workspace = log_in(page, hub, "dora")
    panel = open_sidebar(page, "dtaas-sidebar", "Digital Twins", "#dtaas-panel")
    twin = panel.locator(f".dtaas-asset[data-path='{MSD}']")
    expect(twin).to_be_visible()
    twin.click()
    detail = panel.locator(".dtaas-detail")
    expect(detail).to_contain_text("Two masses coupled in series")
    detail.locator(".dtaas-run-button").click()
    status = detail.locator(".dtaas-run-status")
    expect(status).to_have_text(re.compile("queued|running|succeeded"))
    expect(status).to_have_text("succeeded", timeout=120_000)
    expect(detail.locator(".dtaas-recorded")).to_contain_text("x1")
    detail.locator(".dtaas-open-notebook").click()
    expect(page.locator(".lm-TabBar-tab", has_text="execute.ipynb")).to_be_visible()
    page.screenshot(path=str(artifacts / "panel-run.png"))
    assert (workspace / "runs" / "mass-spring-damper").is_dir()
    assert errors == []
