"""Acting in JupyterLab as a user: log in, open a sidebar panel."""

from __future__ import annotations

import json
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


LAB_PAGE = re.compile(r"/user/[^/]+/lab(/(tree|workspaces)/[^?]*)?/?(\?.*)?$")
CONFIG = re.compile(
    r'(<script id="jupyter-config-data" type="application/json">)(.*?)(</script>)', re.S
)


def rewrite_page_config(page: Page, change) -> None:
    """Let ``change(config)`` edit JupyterLab's page config as each Lab page loads."""

    def handle(route):
        if route.request.resource_type != "document":
            route.continue_()
            return
        response = route.fetch()
        body = response.text()

        def edit(match: re.Match) -> str:
            config = json.loads(match.group(2))
            change(config)
            return match.group(1) + json.dumps(config) + match.group(3)

        route.fulfill(response=response, body=CONFIG.sub(edit, body, count=1))

    page.route(LAB_PAGE, handle)


def expose_app(config: dict) -> None:
    """``window.jupyterapp``, as Lab's own galata tests have it: commands can be run."""
    config["exposeAppInBrowser"] = "true"


def run_command(page: Page, command: str, args: dict | None = None):
    """Run a Lab command as the palette would (needs the app exposed; the page fixture does)."""
    page.wait_for_function("window.jupyterapp !== undefined")
    return page.evaluate(
        "([command, args]) => window.jupyterapp.commands.execute(command, args)",
        [command, args or {}],
    )
