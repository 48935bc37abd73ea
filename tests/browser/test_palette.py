"""The commands in the palette and the settings in the Settings Editor."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.browser.lab import log_in, run_command
from tests.hub import Hub

pytestmark = pytest.mark.browser

COMMANDS = [
    "Open Digital Twin Page",
    "Search Digital Twins and Assets",
    "New Digital Twin…",
    "Configure Digital Twin",
    "Run Digital Twin",
    "Compare Runs",
    "Refresh Digital Twins",
]


def test_open_a_twin_from_the_palette(hub: Hub, page: Page, errors, artifacts):
    log_in(page, hub, "pablo")
    palette = page.locator("#command-palette")
    items = palette.locator(".lm-CommandPalette-item")
    # the modal palette closes when it loses focus, and a page still settling can take it
    # (between opening it and the click, too): then it is opened again, as a user would
    for _ in range(5):
        run_command(page, "apputils:activate-command-palette")
        try:
            expect(palette.locator("input")).to_be_visible(timeout=5000)
            palette.locator("input").fill("Digital Twin", timeout=5000)
            for label in COMMANDS:
                expect(items.filter(has_text=label).first).to_be_visible(timeout=5000)
            page.screenshot(path=str(artifacts / "palette.png"))
            items.filter(has_text="Open Digital Twin Page").first.click(timeout=5000)
            break
        except (AssertionError, PlaywrightTimeout):
            continue
    else:
        raise AssertionError("the command palette did not stay open")
    dialog = page.locator(".jp-Dialog")
    choice = dialog.locator("select")
    option = "Two-mass spring-damper (common/digital_twins/mass-spring-damper)"
    expect(choice.locator("option", has_text=option)).to_have_count(1)
    choice.select_option(label=option)
    dialog.locator(".jp-Dialog-button.jp-mod-accept").click()
    twin = page.locator(".dtaas-page[data-ref='common/digital_twins/mass-spring-damper']")
    expect(twin.locator(".dtaas-page-title")).to_have_text("Two-mass spring-damper")

    # with the page in front, Configure needs no choice
    run_command(page, "dtaas:configure")
    expect(twin.locator(".dtaas-page-body[data-tab='configure']")).to_be_visible()
    assert errors == []


def test_settings_are_in_the_settings_editor(hub: Hub, page: Page, errors, artifacts):
    log_in(page, hub, "paula")
    run_command(page, "settingeditor:open", {"query": "Digital Twins"})
    editor = page.locator(".jp-SettingsPanel, .jp-SettingsEditor").first
    expect(editor.get_by_text("Poll interval (ms)")).to_be_visible()
    expect(editor.get_by_text("Default compute profile")).to_be_visible()
    page.screenshot(path=str(artifacts / "settings.png"))
    assert errors == []
