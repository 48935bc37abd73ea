"""The website in Debian's Chromium: log in, open the panel, run the example DT."""

from __future__ import annotations

import re
import shutil

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.hub import PASSWORD, Hub

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="module")
def page():
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        pg = context.new_page()
        pg.set_default_timeout(60_000)
        yield pg
        context.close()
        browser.close()


def test_log_in_open_panel_and_run_example(hub: Hub, page, artifacts):
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{hub.url}/hub/login")
    page.fill("input#username_input", "dora")
    page.fill("input#password_input", PASSWORD)
    page.click("#login_submit")
    # the hub spawns the server and lands the user in JupyterLab
    page.wait_for_url(re.compile(r"/user/dora/lab"), timeout=120_000)
    tab = page.locator(".jp-SideBar.jp-mod-left .lm-TabBar-tab[data-id='dtaas-sidebar']")
    expect(tab).to_have_attribute("title", "Digital Twins")
    if tab.get_attribute("aria-selected") != "true":
        tab.click()
    panel = page.locator("#dtaas-panel")
    expect(panel).to_be_visible()
    twin = panel.locator(".dtaas-asset[data-path='common/digital_twins/mass-spring-damper']")
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
    assert (hub.data_dir / "users" / "dora" / "runs" / "mass-spring-damper").is_dir()
    assert errors == []
