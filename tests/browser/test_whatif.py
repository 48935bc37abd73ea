"""The What-if tab in Debian's Chromium: a sweep of the common mass-spring-damper's damping,
its live progress and ranked results, the table sorted, the scatter plot drawn, the best
scenario saved as a configuration that Configure then offers; and a bad range refused
inline, next to the parameter it names."""

from __future__ import annotations

import re

import pytest
import yaml
from playwright.sync_api import Locator, Page, expect

from tests.browser.lab import log_in, run_command, wait_until_indexed
from tests.hub import Hub

pytestmark = pytest.mark.browser

MSD = {"scope": "common", "type": "digital_twins", "name": "mass-spring-damper"}
PAGE = ".dtaas-page[data-ref='common/digital_twins/mass-spring-damper']"
SWEEP_TIMEOUT = 180_000


def whatif_tab(page: Page) -> tuple[Locator, Locator]:
    """Open the twin's What-if tab from the palette: the page and the tab's body."""
    run_command(page, "dtaas:sweep", MSD)
    twin = page.locator(PAGE)
    expect(twin.locator(".dtaas-page-body[data-tab='whatif']")).to_be_visible()
    whatif = twin.locator(".dtaas-whatif")
    expect(whatif.locator(".dtaas-whatif-form")).to_be_visible()
    return twin, whatif


def vary(whatif: Locator, name: str, low: str, high: str) -> Locator:
    row = whatif.locator(f"tr.dtaas-whatif-param[data-parameter='{name}']")
    row.locator("input.dtaas-whatif-vary").check()
    row.locator("input.dtaas-whatif-low").fill(low)
    row.locator("input.dtaas-whatif-high").fill(high)
    return row


def design(whatif: Locator, kind: str, n: str, seed: str, objective: str) -> None:
    whatif.locator(".dtaas-whatif-kind select").select_option(kind)
    whatif.locator("input.dtaas-whatif-n").fill(n)
    whatif.locator("input.dtaas-whatif-seed").fill(seed)
    direction, name = objective.split(":")
    whatif.locator(
        f".dtaas-whatif-objective-field[data-record='{name}'] .dtaas-whatif-objective select"
    ).select_option(direction)


def numbers(cells: Locator) -> list[float]:
    """The numbers in table cells, in full (a cell shows four digits, its title all)."""
    return [float(t) for t in cells.evaluate_all("cells => cells.map(c => c.title)")]


def test_sweep_rank_plot_and_save_the_best(hub: Hub, page: Page, errors, artifacts):
    workspace = log_in(page, hub, "wanda")
    twin, whatif = whatif_tab(page)

    # the form comes from the schema: c1 has minimum 0 and no maximum, default 0.5
    c1 = whatif.locator("tr.dtaas-whatif-param[data-parameter='c1']")
    expect(c1.locator(".dtaas-whatif-param-name")).to_have_text("c1 (N s/m)")
    expect(c1.locator("input.dtaas-whatif-low")).to_have_value("0")
    expect(c1.locator("input.dtaas-whatif-high")).to_have_value("0.75")
    expect(c1.locator("input.dtaas-whatif-value")).to_have_value("0.5")
    expect(c1.locator("input.dtaas-whatif-low")).to_be_disabled()

    vary(whatif, "c1", "0.1", "2")
    design(whatif, "lhs", "8", "7", "min:x1")
    expect(c1.locator("input.dtaas-whatif-value")).to_be_disabled()
    page.screenshot(path=str(artifacts / "whatif-form.png"))
    whatif.locator(".dtaas-whatif-start").click()

    # live progress, then every scenario in
    progress = whatif.locator(".dtaas-whatif-progress")
    expect(progress).to_have_attribute("data-total", "8")
    expect(progress.locator(".dtaas-whatif-progress-text")).to_contain_text(re.compile(r"of 8"))
    expect(progress.locator(".dtaas-whatif-progress-bar")).to_be_visible()
    sweep_id = progress.get_attribute("data-sweep-id")
    assert sweep_id
    row = whatif.locator(f"tr.dtaas-whatif-sweep[data-sweep-id='{sweep_id}']")
    expect(row).to_have_count(1)
    expect(progress).to_have_attribute("data-status", "succeeded", timeout=SWEEP_TIMEOUT)
    expect(progress.locator(".dtaas-whatif-progress-text")).to_have_text("8 of 8 done")
    expect(row).to_have_attribute("data-status", "succeeded")

    results = whatif.locator(f".dtaas-whatif-results[data-sweep-id='{sweep_id}']")
    rows = results.locator("tr.dtaas-whatif-row")
    expect(rows).to_have_count(8)
    head = results.locator("th[data-column='r:x1']")
    expect(head).to_contain_text("x1 (m)")
    expect(results.locator("th[data-column='p:c1']")).to_contain_text("c1 (N s/m)")
    c1s = numbers(results.locator("td[data-column='p:c1']"))
    assert all(0.1 <= c <= 2 for c in c1s), c1s
    assert len(set(c1s)) == 8, "a Latin hypercube gives each scenario its own c1"
    expect(results.locator("tr.dtaas-whatif-row[data-status='succeeded']")).to_have_count(8)

    # sorted by x1, smallest first, then largest first
    head.locator(".dtaas-whatif-sort").click()
    expect(head).to_have_attribute("aria-sort", "ascending")
    x1s = numbers(results.locator("td[data-column='r:x1']"))
    assert x1s == sorted(x1s), x1s
    head.locator(".dtaas-whatif-sort").click()
    expect(head).to_have_attribute("aria-sort", "descending")
    assert numbers(results.locator("td[data-column='r:x1']")) == sorted(x1s, reverse=True)
    head.locator(".dtaas-whatif-sort").click()
    expect(head).to_have_attribute("aria-sort", "ascending")
    best = rows.first
    expect(best).to_have_attribute("data-rank", "1")  # one objective: the front is its minimum
    scenario = best.get_attribute("data-scenario")

    # a filter keeps the rows it names
    smallest = x1s[0]
    results.locator("input.dtaas-whatif-filter").fill(f"x1 <= {smallest}")
    expect(rows).to_have_count(1)
    results.locator("input.dtaas-whatif-filter").fill("")
    expect(rows).to_have_count(8)

    # the scatter plot: c1 against x1, drawn by Lab's Vega renderer
    scatter = results.locator(".dtaas-whatif-scatter")
    expect(scatter).to_have_attribute("data-x", "p:c1")
    expect(scatter).to_have_attribute("data-y", "r:x1")
    plot = scatter.locator(".dtaas-whatif-scatter-plot")
    expect(plot.locator("svg, canvas").first).to_be_visible()
    page.screenshot(path=str(artifacts / "whatif-results.png"))

    # the best scenario as a configuration, which Configure offers
    best.click()
    picked = whatif.locator(f".dtaas-whatif-scenario[data-scenario='{scenario}']")
    expect(picked).to_be_visible()
    expect(picked.locator(".dtaas-whatif-open-notebook")).to_be_disabled()  # kept: failures
    picked.locator("input.dtaas-whatif-config-name").fill("low-x1")
    picked.locator(".dtaas-whatif-save-config").click()
    expect(picked.locator(".dtaas-whatif-saved")).to_have_attribute("data-config", "low-x1")
    page.screenshot(path=str(artifacts / "whatif-saved.png"))

    # and as a new twin of the user's, with the scenario's values as its defaults
    picked.locator("input.dtaas-whatif-twin-name").fill("msd-low-x1")
    picked.locator(".dtaas-whatif-make-twin").click()
    made = picked.locator(".dtaas-whatif-created")
    expect(made).to_have_attribute("data-name", "msd-low-x1")
    manifest = yaml.safe_load((workspace / "digital_twins" / "msd-low-x1" / "dt.yaml").read_text())
    c1_default = manifest["parameters"]["properties"]["c1"]["default"]
    wait_until_indexed(page, hub, "wanda", "digital_twins", "msd-low-x1")
    made.locator(".dtaas-whatif-open-twin").click()
    expect(page.locator(".dtaas-page[data-ref='mine/digital_twins/msd-low-x1']")).to_be_visible()
    run_command(page, "dtaas:sweep", MSD)

    twin.locator(".dtaas-page-tab[data-tab='configure']").click()
    picker = twin.locator("select.dtaas-config-select")
    expect(picker.locator("option[value='low-x1']")).to_have_count(1)
    picker.select_option("low-x1")
    # the configuration holds the scenario's values, as the server has them
    api = f"{hub.url}/user/wanda/dtaas/api"
    twin_info = page.request.get(f"{api}/dts/common/mass-spring-damper").json()
    saved = next(c for c in twin_info["configs"] if c["name"] == "low-x1")
    swept = page.request.get(f"{api}/sweeps/{sweep_id}/results").json()["rows"]
    chosen = next(r for r in swept if str(r["scenario"]) == scenario)
    assert saved["values"]["c1"] == chosen["parameters"]["c1"] == c1_default
    assert chosen["recorded"]["x1"] == pytest.approx(smallest, rel=1e-3)

    # the tab keeps its sweep when shown again
    twin.locator(".dtaas-page-tab[data-tab='whatif']").click()
    expect(whatif.locator(f"tr.dtaas-whatif-sweep[data-sweep-id='{sweep_id}']")).to_have_count(1)
    assert errors == []


def test_a_bad_range_is_refused_next_to_its_parameter(hub: Hub, page: Page, errors, artifacts):
    log_in(page, hub, "walt")
    run_command(page, "apputils:change-theme", {"theme": "JupyterLab Dark"})
    expect(page.locator("body")).to_have_attribute("data-jp-theme-light", "false")
    _, whatif = whatif_tab(page)

    vary(whatif, "c1", "-1", "2")  # below the schema's minimum of 0
    design(whatif, "lhs", "8", "", "min:x1")
    whatif.locator(".dtaas-whatif-start").click()
    problem = whatif.locator(
        ".dtaas-whatif-param-problem[data-parameter='c1'] .dtaas-whatif-problem"
    )
    expect(problem).to_contain_text("c1")
    expect(problem).to_contain_text("-1")
    expect(
        whatif.locator("tr.dtaas-whatif-param[data-parameter='c1'] input.dtaas-whatif-low")
    ).to_have_attribute("aria-invalid", "true")
    expect(whatif.locator(".dtaas-whatif-empty")).to_be_visible()  # nothing was started
    expect(whatif.locator(".dtaas-whatif-problem")).to_have_count(1)
    page.screenshot(path=str(artifacts / "whatif-bad-range-dark.png"))
    # the browser notes the refused request in the console; it is the one expected
    refused = [e for e in errors if "status of 400" in e]
    assert len(refused) == 1, errors
    errors.remove(refused[0])

    # put right, the problem goes with the next Start
    whatif.locator("tr.dtaas-whatif-param[data-parameter='c1'] input.dtaas-whatif-low").fill("0.1")
    whatif.locator("input.dtaas-whatif-n").fill("2")
    whatif.locator(".dtaas-whatif-start").click()
    expect(whatif.locator(".dtaas-whatif-problem")).to_have_count(0)
    expect(whatif.locator(".dtaas-whatif-progress")).to_have_attribute("data-total", "2")
    run_command(page, "apputils:change-theme", {"theme": "JupyterLab Light"})
    assert errors == []


def test_three_objectives_show_a_3d_front(hub: Hub, page: Page, errors, artifacts):
    log_in(page, hub, "wendy")
    _, whatif = whatif_tab(page)
    vary(whatif, "c1", "0.1", "2")
    vary(whatif, "k1", "5", "20")
    design(whatif, "lhs", "6", "3", "min:x1")
    for objective in ("max:x2", "min:settling_time"):
        direction, name = objective.split(":")
        whatif.locator(
            f".dtaas-whatif-objective-field[data-record='{name}'] .dtaas-whatif-objective select"
        ).select_option(direction)
    whatif.locator(".dtaas-whatif-start").click()
    progress = whatif.locator(".dtaas-whatif-progress")
    expect(progress).to_have_attribute("data-total", "6")
    sweep_id = progress.get_attribute("data-sweep-id")
    expect(progress).to_have_attribute("data-status", "succeeded", timeout=SWEEP_TIMEOUT)

    results = whatif.locator(f".dtaas-whatif-results[data-sweep-id='{sweep_id}']")
    expect(results.locator("tr.dtaas-whatif-row")).to_have_count(6)
    front = results.locator(".dtaas-whatif-front3d")
    expect(front).to_have_attribute("data-objectives", "r:x1 r:x2 r:settling_time")
    svg = front.locator(".dtaas-whatif-front3d-plot svg").first
    expect(svg).to_be_visible()
    # three plot groups, one per pair of objectives, each with a point per scenario
    panels = svg.locator("g.mark-group.role-scope[class*='front_']")
    expect(panels).to_have_count(3)
    for i in range(3):
        expect(panels.nth(i).locator("path.mark-symbol, g.mark-symbol path")).to_have_count(6)
    titles = svg.locator(".role-axis-title").all_text_contents()
    for title in ("min x1 (m)", "max x2 (m)", "min settling_time (s)"):
        assert titles.count(title) == 2, titles  # each objective on two of the projections
    # hovering a scenario in one projection outlines it in all three
    panels.nth(0).locator("g.mark-symbol path").first.hover()
    expect(svg.locator("g.mark-symbol path[stroke='black']")).to_have_count(3)
    # with three objectives the parallel coordinates stay, as a second view
    expect(results.locator(".dtaas-whatif-parallel-plot svg").first).to_be_visible()
    front.scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "whatif-front3d.png"))
    assert errors == []
