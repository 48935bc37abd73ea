"""Library panel in Debian's Chromium: search, detail, pick list, new DT, manifest checks."""

from __future__ import annotations

import re
import time

import pytest
import yaml
from playwright.sync_api import Locator, Page, expect

from tests.browser.lab import MSD, log_in, open_sidebar
from tests.dts import write_dt
from tests.hub import Hub

pytestmark = pytest.mark.browser


def open_library(page: Page) -> Locator:
    return open_sidebar(page, "dtaas-library", "Library", "#dtaas-library-panel")


def search_until(panel: Locator, text: str, found: Locator, timeout: float = 30) -> None:
    """Search until ``found`` shows: the index notices new files on its own schedule."""
    box = panel.locator("input.dtaas-library-search")
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


def create_dt(page: Page, opener: Locator, name: str, template: str) -> None:
    """Fill and submit the new-DT dialog that ``opener`` brings up."""
    opener.click()
    dialog = page.locator(".jp-Dialog")
    expect(dialog.locator("input.dtaas-new-name")).to_be_focused()
    # the name rule is checked while typing
    dialog.locator("input.dtaas-new-name").fill("My Twin")
    expect(dialog.locator(".dtaas-new-error[data-field='name']")).to_be_visible()
    dialog.locator("input.dtaas-new-name").fill(name)
    expect(dialog.locator(".dtaas-new-error[data-field='name']")).to_be_hidden()
    templates = dialog.locator("select.dtaas-new-template")
    expect(templates.locator(f"option[value='{template}']")).to_have_count(1)
    templates.select_option(template)
    dialog.locator(".jp-Dialog-button.jp-mod-accept", has_text="Create").click()
    expect(dialog).to_have_count(0, timeout=30_000)


def test_search_filter_and_detail(hub: Hub, page: Page, errors, artifacts):
    log_in(page, hub, "lara")
    panel = open_library(page)
    card = panel.locator(f".dtaas-card[data-path='{MSD}']")

    panel.locator("input.dtaas-library-search").type("spring", delay=40)
    expect(panel.locator(".dtaas-results[data-query='spring']")).to_be_visible()
    expect(panel.locator("select.dtaas-sort-select")).to_have_value("relevance")
    expect(card).to_be_visible()
    expect(card.locator(".dtaas-card-title")).to_have_text("Two-mass spring-damper")
    expect(card).to_have_attribute("data-type", "digital_twins")
    expect(card).to_have_attribute("data-scope", "common")
    twins = panel.locator(".dtaas-type-tab[data-type='digital_twins'] .dtaas-type-count")
    expect(twins).to_have_text(re.compile(r"[1-9]\d*"))
    page.screenshot(path=str(artifacts / "library-search.png"))

    panel.locator(".dtaas-type-tab[data-type='models']").click()
    expect(card).to_have_count(0)
    # the counts do not change with the tab
    expect(twins).to_have_text(re.compile(r"[1-9]\d*"))

    panel.locator(".dtaas-type-tab[data-type='all']").click()
    panel.locator("input.dtaas-library-search").fill("")
    expect(panel.locator(".dtaas-results[data-query='']")).to_be_visible()
    expect(panel.locator("select.dtaas-sort-select")).to_have_value("title")
    expect(card).to_be_visible()
    card.click()
    detail = panel.locator(f".dtaas-asset-detail[data-path='{MSD}']")
    expect(detail).to_be_visible()
    expect(detail.locator(".dtaas-readme h2", has_text="Lifecycle")).to_be_visible()
    expect(detail.locator(".dtaas-files li[data-path='dt.yaml']")).to_be_visible()
    expect(detail.locator(".dtaas-open-in-browser")).to_be_visible()
    page.screenshot(path=str(artifacts / "library-detail.png"))
    assert errors == []


def test_pick_assets_and_create_dt(hub: Hub, page: Page, errors, artifacts):
    name = "mats"
    workspace = log_in(page, hub, name)
    solver = workspace / "functions" / "solver"
    solver.mkdir(parents=True)
    (solver / "asset.yaml").write_text(
        "title: Damped solver\ndescription: Integrates damped oscillators.\ntags: [ode]\n"
    )
    (solver / "README.md").write_text("# Damped solver\n\nA small ODE solver.\n")

    panel = open_library(page)
    card = panel.locator(".dtaas-card[data-path='functions/solver']")
    search_until(panel, "Damped", card)
    expect(card).to_have_attribute("data-scope", "private")
    expect(card.locator(".dtaas-tag[data-tag='ode']")).to_be_visible()
    card.click()
    panel.locator(".dtaas-asset-detail .dtaas-add-to-dt").click()
    cart = panel.locator(".dtaas-cart")
    expect(cart.locator(".dtaas-cart-item[data-ref='mine/functions/solver']")).to_be_visible()
    page.screenshot(path=str(artifacts / "library-cart.png"))

    create_dt(page, cart.locator(".dtaas-create-dt"), "my-twin", "ode-model")
    expect(page.locator(".lm-TabBar-tab", has_text="README.md")).to_be_visible()
    expect(cart).to_be_hidden()
    manifest = yaml.safe_load((workspace / "digital_twins" / "my-twin" / "dt.yaml").read_text())
    assert "mine/functions/solver" in manifest["assets"]

    # the panel shows the new DT, with the solver among what it uses
    twin = panel.locator(".dtaas-asset-detail[data-path='digital_twins/my-twin']")
    expect(twin).to_be_visible()
    uses = twin.locator(".dtaas-uses li[data-ref='mine/functions/solver']")
    expect(uses).to_be_visible()
    expect(uses).not_to_have_class(re.compile("dtaas-missing"))
    page.screenshot(path=str(artifacts / "library-new-dt.png"))
    uses.locator("a").click()
    used_by = panel.locator(".dtaas-asset-detail[data-path='functions/solver'] .dtaas-used-by li")
    expect(used_by).to_have_attribute("data-ref", "mine/digital_twins/my-twin")

    # and it is listed under Mine
    panel.locator(".dtaas-back").click()
    panel.locator(".dtaas-back").click()
    panel.locator("input.dtaas-library-search").fill("")
    panel.locator("select.dtaas-scope-select").select_option("mine")
    mine = panel.locator(".dtaas-card[data-path='digital_twins/my-twin']")
    expect(mine).to_be_visible()
    expect(panel.locator(f".dtaas-card[data-path='{MSD}']")).to_have_count(0)
    page.screenshot(path=str(artifacts / "library-mine.png"))
    assert errors == []


def test_manifest_problems_on_save(hub: Hub, page: Page, errors, artifacts):
    name = "nils"
    workspace = log_in(page, hub, name)
    panel = open_library(page)
    create_dt(page, panel.locator(".dtaas-new-dt"), "my-twin", "ode-model")
    path = "digital_twins/my-twin/dt.yaml"
    twin = panel.locator(".dtaas-asset-detail[data-path='digital_twins/my-twin']")
    twin.locator(f".dtaas-open-file[data-path='{path}']").click()
    expect(page.locator(".lm-TabBar-tab.jp-mod-current", has_text="dt.yaml")).to_be_visible()
    editor = page.locator(".jp-FileEditor:visible .cm-content")
    expect(editor).to_contain_text("lifecycle")

    # a title that is a list and a lifecycle step with a name the schema does not know
    text = (workspace / path).read_text()
    lines = text.splitlines()
    lines[lines.index(next(x for x in lines if x.startswith("title:")))] = "title: [not, text]"
    at = lines.index("lifecycle:") + 1
    lines.insert(at, "  run: lifecycle/execute.ipynb")
    title_line = lines.index("title: [not, text]") + 1
    run_line = at + 1
    editor.click()
    page.keyboard.press("Control+a")
    page.keyboard.insert_text("\n".join(lines) + "\n")
    page.keyboard.press("Control+s")

    toast = page.locator(".Toastify__toast", has_text="problems in the manifest")
    expect(toast).to_be_visible(timeout=30_000)
    expect(toast).to_contain_text("dt.yaml: 2 problems")
    toast.get_by_role("button", name="Show").click()
    problems = page.locator(".dtaas-manifest-problems li")
    expect(problems).to_have_count(2)
    expect(problems.nth(0)).to_contain_text(f"dt.yaml:{title_line} title:")
    expect(problems.nth(1)).to_contain_text(f"dt.yaml:{run_line} lifecycle.run:")
    page.screenshot(path=str(artifacts / "manifest-problems.png"))
    assert "run:" in (workspace / path).read_text()

    # fixed again, it says so
    page.locator(".jp-Dialog .jp-Dialog-button.jp-mod-accept").click()
    editor.click()
    page.keyboard.press("Control+a")
    page.keyboard.insert_text(text)
    page.keyboard.press("Control+s")
    expect(page.locator(".Toastify__toast", has_text="Manifest is valid")).to_be_visible()
    assert errors == []


def test_recent_runs_follow_a_run_the_runs_view_does_not(hub: Hub, page: Page, errors, artifacts):
    """The Digital Twins sidebar's recent runs end as finished while the Runs view shows another."""
    workspace = log_in(page, hub, "olga")
    write_dt(workspace, "nap", ["import time; time.sleep(6)"], title="Nap")
    page.locator(".jp-SideBar.jp-mod-left .lm-TabBar-tab[data-id='dtaas-sidebar']").click()
    sidebar = page.locator("#dtaas-panel")
    sidebar.locator(".dtaas-refresh").click()
    sidebar.locator(".dtaas-asset[data-scope='private'][data-path$='digital_twins/nap']").click()
    sidebar.locator(".dtaas-detail .dtaas-open-configure").click()
    run = page.locator(".dtaas-configure .dtaas-run-config")
    rows = page.locator(".dtaas-runs-view tr.dtaas-run-row")
    status = rows.locator(".dtaas-run-row-status")

    run.click()
    expect(status.first).to_have_text("succeeded", timeout=120_000)
    page.locator(".lm-TabBar-tab", has_text="Configure").click()
    run.click()
    expect(rows).to_have_count(2)
    expect(status.first).to_have_text(re.compile("queued|running"))
    # the Runs view now follows the older run; the new one finishes unwatched by it
    rows.nth(1).click()
    expect(rows.nth(1)).to_have_class(re.compile("jp-mod-selected"))
    expect(status.first).to_have_text("succeeded", timeout=120_000)
    recent = sidebar.locator(".dtaas-run-item .dtaas-run-item-status")
    expect(recent).to_have_count(2)
    expect(recent.first).to_have_text("succeeded", timeout=10_000)
    page.screenshot(path=str(artifacts / "recent-runs-finished.png"))
    assert errors == []
