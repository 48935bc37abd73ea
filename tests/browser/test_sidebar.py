"""The Digital Twins sidebar in Debian's Chromium: search, filters, the virtual list,
quick runs, the pick list and New DT."""

from __future__ import annotations

import re
import time

import pytest
import yaml
from playwright.sync_api import Locator, Page, expect

from asset_library.fsutil import own_like
from tests.browser.lab import MSD, log_in, open_sidebar, run_command
from tests.dts import write_bulk_models, write_dt, write_solver
from tests.hub import Hub

pytestmark = pytest.mark.browser

MSD_TITLE = "Two-mass spring-damper"


def open_panel(page: Page) -> Locator:
    return open_sidebar(page, "dtaas-sidebar", "Digital Twins", "#dtaas-panel")


def search_until(panel: Locator, text: str, found: Locator, timeout: float = 30) -> None:
    """Search until ``found`` shows: the index notices new files on its own schedule."""
    box = panel.locator("input.dtaas-search")
    deadline = time.monotonic() + timeout
    while True:
        box.fill("")
        box.fill(text)
        try:
            expect(found).to_be_visible(timeout=3_000)
            return
        except AssertionError:
            if time.monotonic() > deadline:
                raise


def create_dt(page: Page, opener: Locator, name: str, template: str) -> Locator:
    """Fill the new-DT dialog that ``opener`` brings up; returns it, not yet submitted."""
    opener.click()
    dialog = page.locator(".jp-Dialog")
    name_input = dialog.locator("input.dtaas-new-name")
    expect(name_input).to_be_focused()
    # the name rule is checked while typing
    name_input.fill("My Twin")
    expect(dialog.locator(".dtaas-new-error[data-field='name']")).to_be_visible()
    name_input.fill(name)
    expect(dialog.locator(".dtaas-new-error[data-field='name']")).to_be_hidden()
    dialog.locator("input.dtaas-new-title").fill("My twin")
    dialog.locator("textarea.dtaas-new-description").fill("Made in a browser test.")
    templates = dialog.locator("select.dtaas-new-template")
    expect(templates).to_have_value("blank")  # the blank template comes first
    expect(templates.locator(f"option[value='{template}']")).to_have_count(1)
    templates.select_option(template)
    return dialog


def test_search_as_you_type_tabs_counts_and_sort(hub: Hub, page: Page, errors, artifacts):
    workspace = log_in(page, hub, "sara")
    panel = open_panel(page)
    expect(panel.locator(".dtaas-header-title")).to_have_text("Digital Twins")
    card = panel.locator(f".dtaas-card[data-path='{MSD}']")
    tabs = panel.locator(".dtaas-type-tab")
    expect(tabs).to_have_count(6)
    expect(panel.locator(".dtaas-type-tab[data-type='all']")).to_have_class(
        re.compile("jp-mod-selected")
    )

    # the palette's search command puts the cursor in the box
    run_command(page, "dtaas:search")
    expect(panel.locator("input.dtaas-search")).to_be_focused()

    # results follow the typing, without pressing Enter
    panel.locator("input.dtaas-search").fill("spring")
    expect(panel.locator(".dtaas-results[data-query='spring']")).to_be_visible()
    sort = panel.locator("select.dtaas-sort-select")
    expect(sort).to_have_value("relevance")
    expect(card).to_be_visible()
    expect(card.locator(".dtaas-card-title")).to_have_text(MSD_TITLE)
    expect(card).to_have_attribute("data-type", "digital_twins")
    expect(card).to_have_attribute("data-scope", "common")
    expect(card.locator(".dtaas-scope-badge")).to_have_text("common")
    expect(card.locator(".dtaas-card-type")).to_have_text("Digital twin")
    expect(card.locator(".dtaas-card-description")).to_contain_text("Two masses")
    summary = panel.locator(".dtaas-results-summary")
    expect(summary).to_have_text(re.compile(r"^\d+ assets?$"))
    twins = panel.locator(".dtaas-type-tab[data-type='digital_twins'] .dtaas-type-count")
    expect(twins).to_have_text(re.compile(r"[1-9]\d*"))
    twin_count = twins.inner_text()
    page.screenshot(path=str(artifacts / "sidebar-search.png"))

    # a type tab filters; the counts stay those of every type
    panel.locator(".dtaas-type-tab[data-type='models']").click()
    expect(panel.locator(".dtaas-type-tab[data-type='models']")).to_have_class(
        re.compile("jp-mod-selected")
    )
    expect(card).to_have_count(0)
    expect(twins).to_have_text(twin_count)
    panel.locator(".dtaas-type-tab[data-type='digital_twins']").click()
    expect(card).to_be_visible()
    expect(card.locator(".dtaas-card-type")).to_have_count(0)  # the tab says the type
    panel.locator(".dtaas-type-tab[data-type='all']").click()

    # text that matches nothing says so
    box = panel.locator("input.dtaas-search")
    box.fill("zzqx-nothing")
    expect(panel.locator(".dtaas-results[data-query='zzqx-nothing']")).to_be_visible()
    expect(summary).to_have_text("Nothing matches the search")
    expect(panel.locator(".dtaas-card")).to_have_count(0)

    # without text: sorted by title, relevance cannot be chosen; another sort sticks
    box.fill("")
    expect(panel.locator(".dtaas-results[data-query='']")).to_be_visible()
    expect(sort).to_have_value("title")
    expect(sort.locator("option[value='relevance']")).to_be_disabled()
    expect(card).to_be_visible()
    # newest first: a twin she writes now comes before every example
    write_dt(workspace, "fresh", ["x = 1"], title="Fresh twin")
    fresh = panel.locator(".dtaas-card[data-path='digital_twins/fresh']")
    search_until(panel, "fresh", fresh)
    box.fill("")
    sort.select_option("-modified")
    expect(sort).to_have_value("-modified")
    expect(panel.locator(".dtaas-card").first).to_have_attribute("data-path", "digital_twins/fresh")
    box.fill("spring")
    expect(sort).to_have_value("-modified")
    expect(card).to_be_visible()

    # a tag on a card filters by it; the active tag removes the filter
    card.locator(".dtaas-tag[data-tag='mechanics']").click()
    active = panel.locator(".dtaas-active-tag[data-tag='mechanics']")
    expect(active).to_be_visible()
    expect(card).to_be_visible()
    expect(page.locator(".dtaas-page")).to_have_count(0)  # a tag is not a click on the card
    active.click()
    expect(active).to_have_count(0)

    # a card opens the asset's page in the main area
    card.click()
    twin_page = page.locator(f".dtaas-page[data-path='{MSD}']")
    expect(twin_page).to_be_visible()
    expect(twin_page.locator(".dtaas-page-title")).to_have_text(MSD_TITLE)
    expect(twin_page.locator(".dtaas-page-tab[data-tab='overview']")).to_have_class(
        re.compile("jp-mod-selected")
    )
    expect(twin_page.locator(".dtaas-readme h2", has_text="Lifecycle")).to_be_visible()
    page.screenshot(path=str(artifacts / "sidebar-open-page.png"))

    # the keyboard opens one too: here the same page, once
    card.focus()
    page.keyboard.press("Enter")
    expect(page.locator(f".dtaas-page[data-path='{MSD}']")).to_have_count(1)
    assert errors == []


def test_pick_assets_and_create_dt(hub: Hub, page: Page, errors, artifacts):
    workspace = log_in(page, hub, "sven")
    write_solver(workspace)

    panel = open_panel(page)
    cart = panel.locator(".dtaas-cart")
    expect(cart).to_have_count(0)  # hidden while nothing is picked
    card = panel.locator(".dtaas-card[data-path='functions/solver']")
    search_until(panel, "Damped", card)
    expect(card).to_have_attribute("data-scope", "private")
    expect(card.locator(".dtaas-scope-badge")).to_have_text("mine")
    expect(card.locator(".dtaas-tag[data-tag='ode']")).to_be_visible()
    expect(card.locator(".dtaas-card-run")).to_have_count(0)  # only twins run

    pick = card.locator(".dtaas-card-pick")
    pick.click()
    expect(pick).to_have_attribute("aria-pressed", "true")
    solver_item = cart.locator(".dtaas-cart-item[data-ref='mine/functions/solver']")
    expect(solver_item).to_be_visible()
    expect(page.locator(".dtaas-page")).to_have_count(0)  # picking is not opening

    panel.locator("input.dtaas-search").fill("spring")
    msd = panel.locator(f".dtaas-card[data-path='{MSD}']")
    msd.locator(".dtaas-card-pick").click()
    msd_item = cart.locator(".dtaas-cart-item[data-ref='common/digital_twins/mass-spring-damper']")
    expect(msd_item).to_be_visible()
    expect(cart.locator(".dtaas-cart-count")).to_have_text("2")
    page.screenshot(path=str(artifacts / "sidebar-cart.png"))

    # the dialog lists the picks; leaving one out there leaves it out of the pick list
    dialog = create_dt(page, cart.locator(".dtaas-create-dt"), "my-twin", "ode-model")
    listed = dialog.locator("li[data-ref='common/digital_twins/mass-spring-damper']")
    expect(dialog.locator("li[data-ref='mine/functions/solver']")).to_be_visible()
    listed.locator("button").click()
    expect(listed).to_have_count(0)
    expect(msd_item).to_have_count(0)
    page.screenshot(path=str(artifacts / "sidebar-new-dt.png"))
    dialog.locator(".jp-Dialog-button.jp-mod-accept", has_text="Create").click()
    expect(dialog).to_have_count(0, timeout=30_000)

    # the new twin's page and README open; the pick list is emptied
    expect(page.locator(".lm-TabBar-tab", has_text="README.md")).to_be_visible()
    expect(page.locator(".dtaas-page[data-path='digital_twins/my-twin']")).to_have_count(1)
    expect(cart).to_have_count(0)
    manifest = yaml.safe_load((workspace / "digital_twins" / "my-twin" / "dt.yaml").read_text())
    assert manifest["assets"] == ["mine/functions/solver"]
    assert manifest["title"] == "My twin"

    # Mine lists it, and nothing of the common library
    panel.locator("input.dtaas-search").fill("")
    panel.locator("select.dtaas-scope-select").select_option("mine")
    mine = panel.locator(".dtaas-card[data-path='digital_twins/my-twin']")
    expect(mine).to_be_visible()
    expect(mine).to_have_attribute("data-scope", "private")
    expect(panel.locator(".dtaas-card[data-scope='common']")).to_have_count(0)
    expect(panel.locator(".dtaas-card[data-path='functions/solver']")).to_be_visible()
    page.screenshot(path=str(artifacts / "sidebar-mine.png"))
    panel.locator("select.dtaas-scope-select").select_option("common")
    expect(panel.locator(f".dtaas-card[data-path='{MSD}']")).to_be_visible()
    expect(panel.locator(".dtaas-card[data-scope='private']")).to_have_count(0)
    assert errors == []


def test_quick_run_from_a_card(hub: Hub, page: Page, errors, artifacts):
    workspace = log_in(page, hub, "sid")
    panel = open_panel(page)
    card = panel.locator(f".dtaas-card[data-path='{MSD}']")
    panel.locator("input.dtaas-search").fill("spring")
    expect(card.locator(".dtaas-card-status")).to_have_count(0)  # no run from this page yet

    card.locator(".dtaas-card-run").click()
    # the twin's page opens at its Runs tab; the card follows the run
    twin_page = page.locator(f".dtaas-page[data-path='{MSD}']")
    expect(twin_page.locator(".dtaas-page-body[data-tab='runs']")).to_be_visible()
    status = card.locator(".dtaas-card-status")
    expect(status).to_have_text(re.compile("queued|running|succeeded"))
    # with the page closed nothing else follows the run: the card still does
    tab = page.locator("#jp-main-dock-panel .lm-TabBar-tab", has_text=MSD_TITLE)
    tab.locator(".lm-TabBar-tabCloseIcon").click()
    expect(twin_page).to_have_count(0)
    expect(status).to_have_text("succeeded", timeout=180_000)
    expect(status).to_have_attribute("data-status", "succeeded")
    page.screenshot(path=str(artifacts / "sidebar-quick-run.png"))
    assert (workspace / "runs" / "mass-spring-damper").is_dir()
    assert errors == []


def test_scrolling_loads_the_next_page(hub: Hub, page: Page, errors, artifacts):
    count = 120
    workspace = log_in(page, hub, "sue")
    write_bulk_models(workspace, count)
    own_like(workspace / "models", workspace)

    panel = open_panel(page)
    panel.locator("select.dtaas-scope-select").select_option("mine")
    panel.locator(".dtaas-type-tab[data-type='models']").click()
    summary = panel.locator(".dtaas-results-summary")
    # the index notices the new files on its own schedule; Refresh asks again
    deadline = time.monotonic() + 60
    while True:
        try:
            expect(summary).to_have_text(f"50 of {count} assets", timeout=3_000)
            break
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            panel.locator(".dtaas-refresh").click()

    cards = panel.locator(".dtaas-card")
    scroller = panel.locator(".dtaas-cards-scroll")
    box = scroller.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    seen: set[str] = set()
    most = 0
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        paths = cards.evaluate_all("cards => cards.map(c => c.dataset.path)")
        most = max(most, len(paths))
        seen.update(paths)
        at_end = scroller.evaluate("e => e.scrollTop + e.clientHeight >= e.scrollHeight - 1")
        if at_end and summary.inner_text() == f"{count} assets" and len(seen) == count:
            break
        page.mouse.wheel(0, 300)
        page.wait_for_timeout(50)  # lets the list draw the rows scrolled into view

    expect(summary).to_have_text(f"{count} assets")
    expected = {f"models/bulk-{i:05d}" for i in range(count)}
    assert seen == expected, sorted(expected - seen)[:5]
    # only the rows in view (and a few more) were ever in the page
    assert 0 < most <= 60, most
    last = cards.last
    expect(last).to_be_in_viewport()
    last_box, list_box = last.bounding_box(), scroller.bounding_box()
    assert last_box and list_box
    assert last_box["y"] + last_box["height"] <= list_box["y"] + list_box["height"] + 1
    page.screenshot(path=str(artifacts / "sidebar-scrolled.png"))
    assert errors == []
