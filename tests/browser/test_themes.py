"""Every page of the website in JupyterLab's light and dark themes: it follows the
theme (Lab's variables only), and a screenshot of each goes to tests/artifacts/."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.lab import log_in, open_sidebar, run_command
from tests.dts import write_solver
from tests.hub import Hub

pytestmark = pytest.mark.browser

MSD = {"scope": "common", "type": "digital_twins", "name": "mass-spring-damper"}
SOLVER = {"scope": "private", "type": "functions", "name": "solver"}
TABS = ["overview", "configure", "runs", "whatif", "snapshots", "sharing"]
THEMES = {"light": "JupyterLab Light", "dark": "JupyterLab Dark"}

LUMINANCE = """(selector) => {
  const colour = getComputedStyle(document.querySelector(selector)).backgroundColor;
  const [r, g, b] = colour.match(/[\\d.]+/g).map(Number);
  return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
}"""


def background(page: Page, selector: str) -> float:
    """The relative luminance of an element's background: 0 black, 1 white."""
    return page.evaluate(LUMINANCE, selector)


def follows(page: Page, theme: str, selector: str) -> None:
    luminance = background(page, selector)
    if theme == "dark":
        assert luminance < 0.3, f"{selector} is light ({luminance:.2f}) in the dark theme"
    else:
        assert luminance > 0.7, f"{selector} is dark ({luminance:.2f}) in the light theme"


def test_every_page_in_light_and_dark(hub: Hub, page: Page, errors, artifacts):
    workspace = log_in(page, hub, "theo")
    write_solver(workspace)
    for theme, name in THEMES.items():
        run_command(page, "apputils:change-theme", {"theme": name})
        expect(page.locator("body")).to_have_attribute(
            "data-jp-theme-light", "false" if theme == "dark" else "true"
        )
        panel = open_sidebar(page, "dtaas-sidebar", "Digital Twins", "#dtaas-panel")
        expect(panel.locator(".dtaas-card").first).to_be_visible()
        follows(page, theme, "#dtaas-panel")
        page.screenshot(path=str(artifacts / f"{theme}-sidebar.png"))

        run_command(page, "dtaas:open", MSD)
        twin = page.locator(".dtaas-page[data-ref='common/digital_twins/mass-spring-damper']")
        expect(twin).to_be_visible()
        for tab in TABS:
            twin.locator(f".dtaas-page-tab[data-tab='{tab}']").click()
            expect(twin.locator(f".dtaas-page-body[data-tab='{tab}']")).to_be_visible()
            follows(page, theme, ".dtaas-page-widget:not(.lm-mod-hidden) .dtaas-page")
            page.screenshot(path=str(artifacts / f"{theme}-twin-{tab}.png"))

        run_command(page, "dtaas:open", SOLVER)
        asset = page.locator(".dtaas-page[data-ref='mine/functions/solver']")
        expect(asset.locator(".dtaas-readme")).to_contain_text("A small ODE solver")
        follows(page, theme, ".dtaas-page-widget:not(.lm-mod-hidden) .dtaas-page")
        page.screenshot(path=str(artifacts / f"{theme}-asset.png"))
    assert errors == []
