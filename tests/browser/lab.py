"""Acting in JupyterLab as a user: log in, open a sidebar panel."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Locator, Page, expect

from tests.hub import PASSWORD, Hub

MSD = "common/digital_twins/mass-spring-damper"


def log_in(page: Page, hub: Hub, name: str) -> Path:
    """Log in through the form; the hub spawns the server and lands in JupyterLab.

    Returns the user's workspace, which the spawn created.
    """
    page.goto(f"{hub.url}/hub/login")
    page.fill("input#username_input", name)
    page.fill("input#password_input", PASSWORD)
    page.click("#login_submit")
    page.wait_for_url(re.compile(rf"/user/{name}/lab"), timeout=120_000)
    workspace = hub.data_dir / "users" / name
    assert workspace.is_dir()
    return workspace


def open_sidebar(page: Page, tab_id: str, title: str, root: str) -> Locator:
    """Open a left sidebar panel by its tab (clicking an open tab would close it)."""
    tab = page.locator(f".jp-SideBar.jp-mod-left .lm-TabBar-tab[data-id='{tab_id}']")
    expect(tab).to_have_attribute("title", title)
    if tab.get_attribute("aria-selected") != "true":
        tab.click()
    panel = page.locator(root)
    expect(panel).to_be_visible()
    return panel
