"""Acting in JupyterLab as a user: log in, open a sidebar panel."""

from __future__ import annotations

import json
import re
import time
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


# Runs before the page's own scripts: when the parser adds Lab's page config, the config
# is edited before Lab reads it (Lab is reached through redirects, which routes miss).
EDIT_CONFIG = """([options, drop]) => {
  new MutationObserver((_, observer) => {
    const node = document.getElementById('jupyter-config-data');
    if (!node) return;
    observer.disconnect();
    const config = JSON.parse(node.textContent);
    Object.assign(config, options);
    config.federated_extensions = (config.federated_extensions || []).filter(
      e => !drop.includes(e.name));
    node.textContent = JSON.stringify(config);
  }).observe(document, {childList: true, subtree: true});
}"""


def edit_page_config(page: Page, options: dict, drop_extensions: list[str] = ()) -> None:
    """Set JupyterLab page-config ``options`` and leave out federated extensions, as each
    Lab page of this browser page loads."""
    arguments = json.dumps([options, list(drop_extensions)])
    page.add_init_script(f"({EDIT_CONFIG})({arguments});")


def expose_app(page: Page) -> None:
    """``window.jupyterapp``, as Lab's own galata tests have it: commands can be run."""
    edit_page_config(page, {"exposeAppInBrowser": "true"})


def run_command(page: Page, command: str, args: dict | None = None) -> None:
    """Run a Lab command as the palette would (needs the app exposed; the page fixture does),
    once Lab has started: its layout restored, its splash screen gone (a theme change while
    it fades out makes Lab remove it twice) and the plugin that adds the command active."""
    page.wait_for_function("window.jupyterapp !== undefined")
    page.evaluate("() => window.jupyterapp.restored.then(() => null)")
    expect(page.locator("#jupyterlab-splash")).to_have_count(0)
    page.wait_for_function("command => window.jupyterapp.commands.hasCommand(command)", arg=command)
    page.evaluate(
        "([command, args]) => window.jupyterapp.commands.execute(command, args).then(() => null)",
        [command, args or {}],
    )


def wait_until_indexed(page: Page, hub: Hub, user: str, asset_type: str, name: str) -> None:
    """The library describes an asset written on disk once its watcher has seen the files."""
    url = f"{hub.url}/user/{user}/dtaas/api/library/assets/mine/{asset_type}/{name}"
    deadline = time.monotonic() + 60
    while page.request.get(url).status != 200:
        assert time.monotonic() < deadline, f"the library never listed {asset_type}/{name}"
        page.wait_for_timeout(250)
