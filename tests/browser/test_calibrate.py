"""Calibration on the What-if tab in Debian's Chromium: a tank twin of the user's, whose step
records its level as a series, fitted to a CSV made with gain = 2 and tau = 3; the fit
finds both within 1 %, shows their standard errors, the fit quality and the residual
plot, is saved as a configuration that Configure offers and becomes a new twin. In the
dark theme, a data column or a time column that is not in the CSV is refused inline,
next to the series or the field it is about."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from playwright.sync_api import Locator, Page, expect

from asset_library.fsutil import own_like
from tests.browser.lab import log_in, run_command, wait_until_indexed
from tests.hub import Hub
from tests.unit.test_sweeps import write_tank_twin

pytestmark = pytest.mark.browser

TANK = {"scope": "private", "type": "digital_twins", "name": "tank"}
PAGE = ".dtaas-page[data-ref='mine/digital_twins/tank']"
FIT_TIMEOUT = 180_000


def tank_in(page: Page, hub: Hub, user: str, workspace: Path) -> None:
    """The tank twin and its data in the user's workspace, owned by the workspace's account
    and listed by the library."""
    if not (workspace / "digital_twins" / "tank").exists():
        (workspace / "data").mkdir(exist_ok=True)
        write_tank_twin(workspace)
        own_like(workspace / "digital_twins", workspace)
        own_like(workspace / "data", workspace)
    wait_until_indexed(page, hub, user, "digital_twins", "tank")


def calibrate_section(page: Page) -> tuple[Locator, Locator]:
    """The tank's What-if tab, on its Calibrate section: the page and the section."""
    run_command(page, "dtaas:sweep", TANK)
    twin = page.locator(PAGE)
    whatif = twin.locator(".dtaas-page-body[data-tab='whatif'] .dtaas-whatif")
    expect(whatif.locator(".dtaas-whatif-form")).to_be_visible()  # the sweeps first
    whatif.locator(".dtaas-whatif-section[data-section='calibrate']").click()
    expect(whatif.locator(".dtaas-whatif-section[data-section='calibrate']")).to_have_attribute(
        "aria-selected", "true"
    )
    calibrate = whatif.locator(".dtaas-calibrate")
    expect(calibrate.locator(".dtaas-calibrate-form")).to_be_visible()
    return twin, calibrate


def fill(calibrate: Locator, column: str) -> None:
    """Data mine/data/tank-run.csv, time column `time`, level -> column, fit gain and tau."""
    calibrate.locator("input.dtaas-calibrate-data-ref").fill("mine/data/tank-run.csv")
    calibrate.locator("input.dtaas-calibrate-time-column").fill("time")
    level = calibrate.locator("tr.dtaas-calibrate-series[data-series='level']")
    level.locator("input.dtaas-calibrate-column").fill(column)
    for name in ("gain", "tau"):
        calibrate.locator(
            f"tr.dtaas-calibrate-param[data-parameter='{name}'] input.dtaas-calibrate-fit"
        ).check()


def test_a_calibration_finds_the_parameters_that_made_the_data(
    hub: Hub, page: Page, errors, artifacts
):
    workspace = log_in(page, hub, "carla")
    tank_in(page, hub, "carla", workspace)
    twin, calibrate = calibrate_section(page)

    # the form comes from the twin: its recorded series, its number parameters
    level = calibrate.locator("tr.dtaas-calibrate-series[data-series='level']")
    expect(level.locator(".dtaas-calibrate-series-name")).to_have_text("level (m)")
    gain = calibrate.locator("tr.dtaas-calibrate-param[data-parameter='gain']")
    expect(gain.locator("input.dtaas-calibrate-low")).to_have_attribute("placeholder", "0.1")
    expect(gain.locator("input.dtaas-calibrate-high")).to_have_attribute("placeholder", "10")
    expect(gain.locator("input.dtaas-calibrate-low")).to_be_disabled()
    expect(calibrate.locator(".dtaas-calibrate-empty")).to_be_visible()

    # the pick list offers the library's data assets and fills the reference in
    pick = calibrate.locator(".dtaas-calibrate-data-pick select")
    expect(pick.locator("option[value='common/data/msd-measurement']")).to_have_count(1)
    pick.select_option("common/data/msd-measurement")
    expect(calibrate.locator("input.dtaas-calibrate-data-ref")).to_have_value(
        "common/data/msd-measurement"
    )

    fill(calibrate, "measured")
    expect(gain.locator("input.dtaas-calibrate-low")).to_be_enabled()
    page.screenshot(path=str(artifacts / "calibrate-form.png"))
    calibrate.locator(".dtaas-calibrate-start").click()

    # listed at once, followed until it ends
    result = calibrate.locator(".dtaas-calibrate-result")
    expect(result).to_have_count(1)
    calibration_id = result.get_attribute("data-calibration-id")
    assert calibration_id
    row = calibrate.locator(f"tr.dtaas-calibrate-row[data-calibration-id='{calibration_id}']")
    expect(row).to_have_count(1)
    expect(result).to_have_attribute("data-status", "succeeded", timeout=FIT_TIMEOUT)
    expect(row).to_have_attribute("data-status", "succeeded")
    assert int(result.get_attribute("data-evaluations") or 0) >= 3  # at least a Jacobian's worth
    expect(result.locator(".dtaas-calibrate-evaluations")).to_contain_text("simulations")

    # the fitted values, within 1 % of those that made the data, with standard errors
    values = result.locator("tr.dtaas-calibrate-value")
    expect(values).to_have_count(2)
    for name, made_with in (("gain", 2.0), ("tau", 3.0)):
        value = result.locator(f"tr.dtaas-calibrate-value[data-parameter='{name}']")
        fitted = float(value.get_attribute("data-value") or "nan")
        assert fitted == pytest.approx(made_with, rel=0.01), (name, fitted)
        expect(value.locator(".dtaas-calibrate-std-error")).to_contain_text("±")
        assert float(value.get_attribute("data-std-error") or "nan") >= 0
    expect(values.first.locator(".dtaas-calibrate-fitted")).to_have_text("2")
    expect(row.locator(".dtaas-calibrate-row-values")).to_contain_text("gain = 2")

    # the fit quality of the level series: the data was made by the model itself
    quality = result.locator("tr.dtaas-calibrate-series-quality[data-series='level']")
    expect(quality).to_have_count(1)
    assert float(quality.get_attribute("data-r2") or "nan") == pytest.approx(1.0, abs=1e-3)
    assert float(quality.get_attribute("data-rmse") or "nan") < 0.02

    # the residual plot, loaded through the runtime's API
    image = result.locator("img.dtaas-calibrate-plot-image")
    expect(image).to_be_visible()
    loaded = "img => img.complete && img.naturalWidth > 0"
    page.wait_for_function(loaded, arg=image.element_handle())
    assert image.evaluate("img => img.naturalWidth") > 100
    result.scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "calibrate-result.png"), full_page=True)

    # saved as a configuration, which Configure then offers with the fitted values
    result.locator("input.dtaas-calibrate-config-name").fill("tank-fitted")
    result.locator(".dtaas-calibrate-config-button").click()
    expect(result.locator(".dtaas-calibrate-saved")).to_have_attribute("data-config", "tank-fitted")
    twin.locator(".dtaas-page-tab[data-tab='configure']").click()
    picker = twin.locator("select.dtaas-config-select")
    expect(picker.locator("option[value='tank-fitted']")).to_have_count(1)
    picker.select_option("tank-fitted")
    info = page.request.get(f"{hub.url}/user/carla/dtaas/api/dts/private/tank").json()
    saved = next(c for c in info["configs"] if c["name"] == "tank-fitted")
    assert saved["values"]["gain"] == pytest.approx(2.0, rel=0.01)
    assert saved["values"]["tau"] == pytest.approx(3.0, rel=0.01)
    page.screenshot(path=str(artifacts / "calibrate-configure.png"))

    # and as a new twin of the user's, with the fitted values as its defaults
    twin.locator(".dtaas-page-tab[data-tab='whatif']").click()
    result.locator("input.dtaas-calibrate-twin-name").fill("tank-fitted")
    result.locator(".dtaas-calibrate-twin-button").click()
    made = result.locator(".dtaas-calibrate-created")
    expect(made).to_have_attribute("data-name", "tank-fitted")
    manifest = yaml.safe_load((workspace / "digital_twins" / "tank-fitted" / "dt.yaml").read_text())
    defaults = {k: v["default"] for k, v in manifest["parameters"]["properties"].items()}
    assert defaults["gain"] == pytest.approx(2.0, rel=0.01)
    assert defaults["tau"] == pytest.approx(3.0, rel=0.01)

    # the tab keeps its section and its calibration when shown again
    twin.locator(".dtaas-page-tab[data-tab='overview']").click()
    twin.locator(".dtaas-page-tab[data-tab='whatif']").click()
    shown = calibrate.locator(f".dtaas-calibrate-result[data-calibration-id='{calibration_id}']")
    expect(shown).to_have_count(1)
    expect(row).to_have_attribute("data-status", "succeeded")
    assert errors == []


def test_a_column_the_data_lacks_is_refused_next_to_its_series(
    hub: Hub, page: Page, errors, artifacts
):
    workspace = log_in(page, hub, "cody")
    tank_in(page, hub, "cody", workspace)
    run_command(page, "apputils:change-theme", {"theme": "JupyterLab Dark"})
    expect(page.locator("body")).to_have_attribute("data-jp-theme-light", "false")
    _, calibrate = calibrate_section(page)

    fill(calibrate, "nope")
    calibrate.locator(".dtaas-calibrate-start").click()
    problem = calibrate.locator(
        ".dtaas-calibrate-series-problem[data-series='level'] .dtaas-calibrate-problem"
    )
    expect(problem).to_contain_text("nope")
    expect(problem).to_contain_text("measured")  # the columns the data has
    expect(
        calibrate.locator("tr.dtaas-calibrate-series[data-series='level'] input")
    ).to_have_attribute("aria-invalid", "true")
    expect(calibrate.locator(".dtaas-calibrate-problem")).to_have_count(1)
    expect(calibrate.locator(".dtaas-calibrate-empty")).to_be_visible()  # nothing was started
    page.screenshot(path=str(artifacts / "calibrate-bad-column-dark.png"))
    # the browser notes the refused request in the console; it is the one expected
    refused = [e for e in errors if "status of 400" in e]
    assert len(refused) == 1, errors
    errors.remove(refused[0])

    # a time column the data lacks goes next to the time column
    level = calibrate.locator("tr.dtaas-calibrate-series[data-series='level']")
    level.locator("input.dtaas-calibrate-column").fill("measured")
    calibrate.locator("input.dtaas-calibrate-time-column").fill("when")
    calibrate.locator(".dtaas-calibrate-start").click()
    problem = calibrate.locator(".dtaas-calibrate-problem[data-place='time_column']")
    expect(problem).to_contain_text("when")
    expect(calibrate.locator(".dtaas-calibrate-problem")).to_have_count(1)
    refused = [e for e in errors if "status of 400" in e]
    assert len(refused) == 1, errors
    errors.remove(refused[0])
    run_command(page, "apputils:change-theme", {"theme": "JupyterLab Light"})
    assert errors == []
