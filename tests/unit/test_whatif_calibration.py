"""Calibration recovers known parameters from data generated with them, and new twins
come from the fitted values with their provenance.

The models are closed forms computed with numpy here; each fit is checked against the
true parameters and against scipy's curve_fit (Levenberg-Marquardt, its own Jacobian and
covariance), an independent implementation of the same least-squares estimate.
"""

import hashlib
import json
import math
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml
from scipy.optimize import curve_fit

from asset_library.manifest import read_manifest
from asset_library.validation import validate_manifest
from dtaas.digital_twins import RequestError, find_dt, resolve_parameters
from dtaas.runs.manager import RunManager
from dtaas.whatif.calibration import (
    DataSpec,
    data_sha256,
    fit,
    fit_config,
    fit_setup,
    load_data,
    read_series,
    report,
    residual_plot,
)
from dtaas.whatif.derive import derive_twin
from tests.msd import final_positions
from tests.unit.test_runs import run_request

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

TRUE = {"A": 2.0, "c": 0.3, "w": 2.5}  # oscillator: amplitude, decay rate, angular frequency
TANK = {"K": 4.0, "tau": 7.5}  # tank: gain (mm per unit inflow), time constant (s)
U = 3.0  # the tank's step inflow


def oscillator(t, A, c, w):
    return A * np.exp(-c * t) * np.cos(w * t)


def tank(t, K, tau):
    return K * U * (1.0 - np.exp(-t / tau))


def simulator(t_end=10.0, n=2001, fixed=None):
    """A stand-in for a twin run: the series it would record, on its own time grid."""
    t = np.linspace(0.0, t_end, n)

    def simulate(values):
        v = {**TRUE, **TANK, **(fixed or {}), **values}
        return {
            "x": (t, oscillator(t, v["A"], v["c"], v["w"])),
            "level": (t, tank(t, v["K"], v["tau"])),
        }

    return simulate


# data times on the simulation's grid (every 10th point), so interpolation is exact
T_DATA = np.linspace(0.0, 10.0, 201)
BOUNDS = {"A": (0.1, 10.0), "c": (0.01, 2.0), "w": (0.5, 5.0), "K": (0.1, 20.0), "tau": (1, 50)}
START = {"A": 1.7, "c": 0.36, "w": 2.3, "K": 3.2, "tau": 9.5}  # 8-20 % off the truth


def noisy_oscillator(sigma=0.02, seed=7):
    rng = np.random.default_rng(seed)
    return oscillator(T_DATA, **TRUE) + rng.normal(0.0, sigma, T_DATA.size)


def test_fit_recovers_oscillator_parameters_from_noisy_data():
    y = noisy_oscillator()
    names = ["A", "c", "w"]
    result = fit(simulator(), {"x": (T_DATA, y)}, names, BOUNDS, START)
    assert result.success, result.message
    for name in names:
        value, se = result.values[name], result.std_errors[name]
        assert value == pytest.approx(TRUE[name], rel=0.01)
        assert math.isfinite(se) and se > 0
        assert abs(value - TRUE[name]) < 4 * se
    # the same estimate by an independent implementation, from the same start
    p, cov = curve_fit(oscillator, T_DATA, y, p0=[START[n] for n in names])
    # (both stop at their own tolerance: agreeing to 1 % of a standard error is agreeing)
    for i, name in enumerate(names):
        se = math.sqrt(cov[i, i])
        assert result.values[name] == pytest.approx(p[i], abs=0.01 * se)
        assert result.std_errors[name] == pytest.approx(se, rel=0.02)
    assert result.initial == {n: START[n] for n in names}
    assert result.n_evaluations <= 200


def test_standard_errors_match_the_spread_over_noise_draws():
    """The standard error is what it claims: the spread of fits over new noise."""
    sigma, names = 0.05, ["A", "c", "w"]
    fits, errors = [], []
    for seed in range(40):
        y = noisy_oscillator(sigma, seed)
        r = fit(simulator(), {"x": (T_DATA, y)}, names, BOUNDS, START)
        fits.append([r.values[n] for n in names])
        errors.append([r.std_errors[n] for n in names])
    spread = np.std(fits, axis=0, ddof=1)
    claimed = np.mean(errors, axis=0)
    # 40 draws pin a standard deviation to about +-11 % (1 sigma); allow 35 %
    np.testing.assert_allclose(claimed, spread, rtol=0.35)


def test_noise_free_fit_recovers_parameters_to_1e4():
    data = {"x": (T_DATA, oscillator(T_DATA, **TRUE)), "level": (T_DATA, tank(T_DATA, **TANK))}
    names = ["A", "c", "w", "K", "tau"]
    result = fit(simulator(), data, names, BOUNDS, START)
    assert result.success, result.message
    truth = {**TRUE, **TANK}
    for name in names:
        assert result.values[name] == pytest.approx(truth[name], rel=1e-4)
    for name in ("x", "level"):
        assert result.rmse[name] < 1e-6
        assert result.r2[name] == pytest.approx(1.0, abs=1e-9)


def test_series_in_different_units_are_weighted_by_their_spread():
    """Two series fitted together: each residual divided by its data's standard
    deviation, i.e. curve_fit on the stacked data with that as each point's sigma."""
    rng = np.random.default_rng(3)
    x = oscillator(T_DATA, **TRUE) + rng.normal(0, 0.02, T_DATA.size)
    t_level = np.linspace(0.0, 10.0, 51)  # another sampling rate
    level = 1000.0 * tank(t_level, **TANK) + rng.normal(0, 20.0, t_level.size)  # in um
    names = ["A", "c", "w", "K", "tau"]

    def simulate(values):
        out = simulator()(values)
        t, h = out["level"]
        return {"x": out["x"], "level": (t, 1000.0 * h)}

    result = fit(simulate, {"x": (T_DATA, x), "level": (t_level, level)}, names, BOUNDS, START)
    for name, value in {**TRUE, **TANK}.items():
        assert result.values[name] == pytest.approx(value, rel=0.01)

    n = T_DATA.size

    def stacked(tt, A, c, w, K, tau):
        return np.concatenate([oscillator(tt[:n], A, c, w), 1000.0 * tank(tt[n:], K, tau)])

    sigma = np.concatenate([np.full(n, np.std(x)), np.full(t_level.size, np.std(level))])
    p, cov = curve_fit(
        stacked,
        np.concatenate([T_DATA, t_level]),
        np.concatenate([x, level]),
        p0=[START[k] for k in names],
        sigma=sigma,
    )
    for i, name in enumerate(names):
        se = math.sqrt(cov[i, i])
        assert result.values[name] == pytest.approx(p[i], abs=0.01 * se)
        assert result.std_errors[name] == pytest.approx(se, rel=0.02)
    # residuals are simulated minus data, at the data's times, in the data's units
    t_r, r = result.residuals["level"]
    fitted = 1000.0 * tank(t_level, result.values["K"], result.values["tau"])
    np.testing.assert_allclose(t_r, t_level)
    np.testing.assert_allclose(r, fitted - level, rtol=1e-9, atol=1e-9)
    assert result.rmse["level"] == pytest.approx(math.sqrt(np.mean((fitted - level) ** 2)))
    ss_tot = np.sum((level - level.mean()) ** 2)
    assert result.r2["level"] == pytest.approx(1 - np.sum((fitted - level) ** 2) / ss_tot)


def test_a_parameter_at_its_bound_stays_there():
    y = noisy_oscillator()
    bounds = {**BOUNDS, "c": (0.35, 2.0)}  # the truth, 0.3, is outside
    result = fit(simulator(), {"x": (T_DATA, y)}, ["A", "c"], bounds, {"A": 1.7, "c": 0.5})
    assert result.values["c"] == pytest.approx(0.35, abs=1e-6)
    assert result.at_bound == ["c"]


def test_the_evaluation_budget_is_kept():
    y = noisy_oscillator()
    calls = []

    def simulate(values):
        calls.append(values)
        return simulator()(values)

    result = fit(simulate, {"x": (T_DATA, y)}, ["A", "c", "w"], BOUNDS, START, max_evaluations=9)
    assert len(calls) == result.n_evaluations <= 9 + 1  # and one for the optimum at most
    assert not result.success


def test_a_simulation_shorter_than_the_data_names_its_series():
    y = noisy_oscillator()
    with pytest.raises(RequestError) as e:
        fit(simulator(t_end=8.0, n=801), {"x": (T_DATA, y)}, ["A"], BOUNDS, START)
    assert e.value.status == 400
    assert e.value.fields["series"] == "x"
    assert "'x'" in e.value.message and "[0, 8]" in e.value.message


def test_a_series_the_twin_does_not_record_is_named():
    with pytest.raises(RequestError) as e:
        fit(simulator(), {"T_air": (T_DATA, T_DATA)}, ["A"], BOUNDS, START)
    assert e.value.status == 400
    assert e.value.fields == {"field": "mapping", "series": "T_air"}


def test_bad_fit_inputs_are_refused_before_any_simulation():
    calls = []

    def simulate(values):
        calls.append(values)
        return simulator()(values)

    data = {"x": (T_DATA, noisy_oscillator())}
    cases = [
        (["A", "q"], BOUNDS, START, "q"),  # no bounds
        (["A"], {"A": (5.0, 10.0)}, START, "A"),  # start outside its bounds
        (["A"], {"A": (1.0, 1.0)}, START, "A"),  # empty
    ]
    for names, bounds, x0, culprit in cases:
        with pytest.raises(RequestError) as e:
            fit(simulate, data, names, bounds, x0)
        assert e.value.status == 400
        assert e.value.fields["parameter"] == culprit
    with pytest.raises(RequestError) as e:
        fit(simulate, {"x": (T_DATA[:2], T_DATA[:2])}, ["A", "c", "w"], BOUNDS, START)
    assert e.value.fields["field"] == "data"
    assert calls == []


# --- parameters from the schema --------------------------------------------------------

SCHEMA = {
    "type": "object",
    "properties": {
        "A": {"type": "number", "minimum": 0.1, "maximum": 10, "default": 1.7},
        "c": {"type": "number", "exclusiveMinimum": 0, "maximum": 2, "default": 0.36},
        "w": {"type": "number", "minimum": 0},  # no upper bound, no default
        "n": {"type": "integer", "minimum": 1, "maximum": 10, "default": 3},
        "mode": {"type": "string", "enum": ["a", "b"], "default": "a"},
    },
}


def test_fit_setup_takes_bounds_and_start_from_the_schema():
    bounds, x0 = fit_setup(SCHEMA, ["A", "c", "w"], ranges={"w": (0.5, 5.0)})
    assert bounds["A"] == (0.1, 10.0)
    assert 0 < bounds["c"][0] < 1e-6 and bounds["c"][1] == 2.0  # just above 0
    assert bounds["w"] == (0.5, 5.0)
    assert x0 == {"A": 1.7, "c": 0.36, "w": 2.75}  # no default: the middle
    _, x0 = fit_setup(SCHEMA, ["A"], ranges={"A": (2.0, 4.0)})
    assert x0 == {"A": 3.0}  # the default lies outside the narrowed range
    _, x0 = fit_setup(SCHEMA, ["A"], start={"A": 2.5})
    assert x0 == {"A": 2.5}


@pytest.mark.parametrize(
    ("fit_params", "ranges", "field", "parameter", "words"),
    [
        (["A", "k9"], None, "fit", "k9", "not a parameter"),
        (["w"], None, "ranges", "w", "no maximum"),
        (["n"], None, "fit", "n", "integer"),
        (["mode"], None, "fit", "mode", "a choice"),
        (["A"], {"A": (0.0, 5.0)}, "ranges", "A", "below the schema's minimum"),
        (["A"], {"c": (0.1, 0.5)}, "fit", "c", "not fitted"),
    ],
)
def test_fit_setup_refuses_what_cannot_be_fitted(fit_params, ranges, field, parameter, words):
    with pytest.raises(RequestError) as e:
        fit_setup(SCHEMA, fit_params, ranges=ranges)
    assert e.value.status == 400
    assert e.value.fields == {"field": field, "parameter": parameter}
    assert parameter in e.value.message and words in e.value.message


def test_fit_from_schema_defaults_on_the_example_schema():
    """A fit set up from a dt.yaml schema, its start the twin's defaults."""
    schema = yaml.safe_load((EXAMPLES / "digital_twins/incubator/dt.yaml").read_text())[
        "parameters"
    ]
    bounds, x0 = fit_setup(schema, ["C_air", "G_box_out"], ranges={"C_air": (50.0, 2000.0)})
    assert x0 == {"C_air": 267.55, "G_box_out": 0.5763}
    assert bounds["C_air"] == (50.0, 2000.0) and bounds["G_box_out"][1] == 1000.0

    # air cooling from 40 degC to 21 degC, T = Ta + (T0 - Ta) exp(-G t / C), with C known:
    # the walls' conductance is fitted from its default
    bounds, x0 = fit_setup(schema, ["G_box_out"])
    t = np.linspace(0.0, 3600.0, 121)

    def simulate(values):
        tt = np.linspace(0.0, 3600.0, 1201)
        return {"T": (tt, 21.0 + 19.0 * np.exp(-values["G_box_out"] * tt / 310.0))}

    y = 21.0 + 19.0 * np.exp(-0.62 * t / 310.0)
    result = fit(simulate, {"T": (t, y)}, ["G_box_out"], bounds, x0)
    assert result.initial == {"G_box_out": 0.5763}
    assert result.values["G_box_out"] == pytest.approx(0.62, rel=1e-4)


# --- data --------------------------------------------------------------------------------

CSV = "t_s,T_air_C,level_mm\n0,21.0,0\n6,21.5,1.5\n12,22.25,2.0\n18,22.5,\n"


def spec(path, mapping=None, time_column="t_s"):
    return DataSpec(Path(path), time_column, mapping or {"T_air": "T_air_C", "h": "level_mm"})


def test_load_data_reads_the_mapped_columns(tmp_path):
    (tmp_path / "run7.csv").write_text(CSV)
    data = load_data(spec(tmp_path / "run7.csv"))
    np.testing.assert_array_equal(data["T_air"][0], [0, 6, 12, 18])
    np.testing.assert_array_equal(data["T_air"][1], [21.0, 21.5, 22.25, 22.5])
    # an empty cell is a missing value of that series only
    np.testing.assert_array_equal(data["h"][0], [0, 6, 12])
    np.testing.assert_array_equal(data["h"][1], [0, 1.5, 2.0])


def test_load_data_finds_the_csv_of_a_data_asset(tmp_path):
    folder = tmp_path / "experiment"
    folder.mkdir()
    (folder / "only.csv").write_text(CSV)
    assert load_data(spec(folder))["T_air"][1][-1] == 22.5
    (folder / "second.csv").write_text(CSV)
    with pytest.raises(RequestError) as e:
        load_data(spec(folder))
    assert "only.csv, second.csv" in e.value.message
    (folder / "asset.yaml").write_text("title: x\nentrypoint: second.csv\n")
    assert load_data(spec(folder))["T_air"][1][0] == 21.0
    # the shipped example: its entrypoint
    example = load_data(
        DataSpec(EXAMPLES / "data/incubator-calibration", "t_s", {"T_air": "T_air_C"})
    )
    raw = np.loadtxt(
        EXAMPLES / "data/incubator-calibration/calibration.csv", delimiter=",", skiprows=1
    )
    np.testing.assert_array_equal(example["T_air"][1], raw[:, 2])


@pytest.mark.parametrize(
    ("text", "mapping", "time_column", "fields", "words"),
    [
        (
            CSV,
            {"T_air": "T_inside"},
            "t_s",
            {"field": "mapping", "column": "T_inside"},
            "no column",
        ),
        (CSV, None, "time", {"field": "time_column", "column": "time"}, "no time column"),
        (
            CSV.replace("21.5", "abc"),
            None,
            "t_s",
            {"field": "data", "column": "T_air_C", "line": 3},
            "'abc' is not a finite number",
        ),
        (
            CSV.replace("12,", "inf,"),
            None,
            "t_s",
            {"field": "data", "column": "t_s", "line": 4},
            "'inf'",
        ),
        (
            CSV.replace("\n6,", "\n,"),
            None,
            "t_s",
            {"field": "data", "column": "t_s", "line": 3},
            "empty",
        ),
        ("", None, "t_s", {"field": "data"}, "empty"),
        ("t_s,T_air_C,level_mm\n", None, "t_s", {"field": "data"}, "no rows"),
    ],
)
def test_bad_data_is_refused_naming_the_culprit(
    tmp_path, text, mapping, time_column, fields, words
):
    (tmp_path / "d.csv").write_text(text)
    with pytest.raises(RequestError) as e:
        load_data(spec(tmp_path / "d.csv", mapping, time_column))
    assert e.value.status == 400
    assert {k: e.value.fields.get(k) for k in fields} == fields
    assert words in e.value.message
    if "line" in fields:
        assert f"line {fields['line']}" in e.value.message


def test_a_line_number_counts_blank_lines(tmp_path):
    (tmp_path / "d.csv").write_text("t,y\n0,1\n\n1,x\n")
    with pytest.raises(RequestError) as e:
        load_data(DataSpec(tmp_path / "d.csv", "t", {"y": "y"}))
    assert "line 3" in e.value.message  # the blank line itself: no time


def test_data_hash_and_recorded_series(tmp_path):
    (tmp_path / "d.csv").write_text(CSV)
    assert data_sha256(spec(tmp_path / "d.csv")) == hashlib.sha256(CSV.encode()).hexdigest()
    records = tmp_path / "records"
    records.mkdir()
    (records / "x.csv").write_text("t,x\n0.0,1.5\n0.5,1.25\n")
    series = read_series(records, ["x", "missing"])
    assert list(series) == ["x"]
    np.testing.assert_array_equal(series["x"][0], [0.0, 0.5])
    np.testing.assert_array_equal(series["x"][1], [1.5, 1.25])


# --- report, plot, configuration -----------------------------------------------------------


def test_report_plot_and_configuration(tmp_path):
    y = noisy_oscillator()
    data = {"x": (T_DATA, y)}
    result = fit(simulator(), data, ["A", "c", "w"], BOUNDS, START)
    out = report(result, data, result.simulated)
    json.dumps(out, allow_nan=False)
    fitted = oscillator(T_DATA, *(result.values[n] for n in ("A", "c", "w")))
    rmse = math.sqrt(np.mean((fitted - y) ** 2))
    assert out["series"]["x"]["rmse"] == pytest.approx(rmse, rel=1e-6)
    assert out["series"]["x"]["points"] == 201
    assert out["parameters"]["w"]["value"] == result.values["w"]
    assert out["parameters"]["w"]["std_error"] == result.std_errors["w"]
    assert out["parameters"]["A"]["bounds"] == [0.1, 10.0]

    png = tmp_path / "residuals.png"
    residual_plot(result, png)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    import matplotlib.image

    height, width, _ = matplotlib.image.imread(png).shape
    assert width == 800 and height == 360  # 8 x 3.6 inches at 100 dpi, one series

    assert fit_config(result) == result.values
    assert all(type(v) is float for v in fit_config(result).values())


# --- new twins ----------------------------------------------------------------------------


@pytest.fixture
def library(tmp_path):
    """A private library with the mass-spring-damper twin, some state, a hidden file
    and links that must not be copied."""
    root = tmp_path / "lib"
    source = root / "digital_twins" / "msd"
    shutil.copytree(EXAMPLES / "digital_twins/mass-spring-damper", source)
    (source / "state").mkdir()
    (source / "state" / "big.bin").write_bytes(b"x" * 100)
    (source / ".secret").write_text("no")
    outside = tmp_path / "outside.txt"
    outside.write_text("outside")
    os.symlink(outside, source / "link.txt")
    os.symlink(tmp_path, source / "lifecycle" / "dirlink")
    (source / "configs" / "stiff.yaml").write_text("k1: 40.0\nc1: 0.5\n")
    return root


def test_derive_twin_copies_with_new_defaults_and_provenance(library):
    source = library / "digital_twins" / "msd"
    target = library / "digital_twins" / "msd-calibrated"
    provenance = {
        "source": "mine/digital_twins/msd",
        "calibration": "c-20240101-1",
        "data": "mine/data/run7",
        "data_sha256": "ab" * 32,
    }
    derive_twin(source, target, {"c1": 0.8, "k1": 12.5, "n_points": 501.0}, provenance)

    manifest = read_manifest(target / "dt.yaml")
    assert validate_manifest(manifest, "digital_twins") == []
    data = manifest.data
    props = data["parameters"]["properties"]
    assert props["c1"]["default"] == 0.8 and props["k1"]["default"] == 12.5
    assert props["n_points"]["default"] == 501 and type(props["n_points"]["default"]) is int
    assert props["c2"]["default"] == 0.2  # untouched
    assert data["name"] == "msd-calibrated"
    assert data["title"] == "Two-mass spring-damper (msd-calibrated)"
    assert {k: data["provenance"][k] for k in provenance} == provenance
    assert "created" in data["provenance"]
    # a configuration that restated the old default follows; a chosen value stays
    assert yaml.safe_load((target / "configs/default.yaml").read_text())["c1"] == 0.8
    assert yaml.safe_load((target / "configs/default.yaml").read_text())["k1"] == 12.5
    assert yaml.safe_load((target / "configs/stiff.yaml").read_text()) == {"k1": 40.0, "c1": 0.8}
    # no state, no hidden file, no link, nothing left beside it
    assert not (target / "state").exists() and not (target / ".secret").exists()
    assert not (target / "link.txt").exists() and not (target / "lifecycle/dirlink").exists()
    copied = sorted(str(p.relative_to(target)) for p in target.rglob("*"))
    expected = sorted(
        str(p.relative_to(EXAMPLES / "digital_twins/mass-spring-damper"))
        for p in (EXAMPLES / "digital_twins/mass-spring-damper").rglob("*")
    )
    assert copied == sorted([*expected, "configs/stiff.yaml"])
    nb = "lifecycle/execute.ipynb"
    assert (target / nb).read_bytes() == (source / nb).read_bytes()
    assert sorted(p.name for p in target.parent.iterdir()) == ["msd", "msd-calibrated"]
    # the source is unchanged
    assert (
        read_manifest(source / "dt.yaml").data["parameters"]["properties"]["c1"]["default"] == 0.5
    )


def test_a_derived_twin_is_found_and_its_defaults_are_the_values(workspace):
    source = workspace / "common" / "digital_twins" / "mass-spring-damper"
    target = workspace / "digital_twins" / "msd-2"
    derive_twin(source, target, {"k2": 25.0}, {"source": "common/digital_twins/x"}, title="T")
    dt = find_dt(workspace, "msd-2")
    assert dt.scope == "private" and dt.problems == ()
    assert resolve_parameters(dt, {})["k2"] == 25.0
    assert dt.manifest["title"] == "T"
    # derived again: the first provenance is kept inside the second
    derive_twin(target, workspace / "digital_twins" / "msd-3", {"k2": 30.0}, {"source": "a"})
    again = read_manifest(workspace / "digital_twins/msd-3/dt.yaml").data["provenance"]
    assert again["source"] == "a" and again["derived_from"]["source"] == "common/digital_twins/x"


def test_a_derived_twin_runs_with_its_new_defaults(workspace):
    """It runs at once, and its result is the model's at the new values (odeint)."""
    source = workspace / "common" / "digital_twins" / "mass-spring-damper"
    values = {"k1": 14.0, "c1": 0.9, "t_end": 3.0}
    derive_twin(source, workspace / "digital_twins" / "msd-fit", values, {"source": "common/x"})
    record = run_request(RunManager(workspace), {"dt": "msd-fit", "steps": ["execute"]})
    assert record.status == "succeeded", record.error
    defaults = resolve_parameters(find_dt(workspace, "msd-fit"), {})
    x1, x2 = final_positions(defaults)
    assert record.recorded["x1"] == pytest.approx(x1, abs=1e-7)
    assert record.recorded["x2"] == pytest.approx(x2, abs=1e-7)


def test_derive_twin_refuses_an_existing_target_and_bad_values(library):
    source = library / "digital_twins" / "msd"
    taken = library / "digital_twins" / "taken"
    taken.mkdir()
    (taken / "keep.txt").write_text("mine")
    with pytest.raises(RequestError) as e:
        derive_twin(source, taken, {"c1": 1.0}, {"source": "s"})
    assert e.value.status == 409 and "'taken'" in e.value.message
    assert [p.name for p in taken.iterdir()] == ["keep.txt"]
    cases = [
        ({"nope": 1.0}, {"field": "values", "parameter": "nope"}),
        ({"c1": -1.0}, {"field": "values", "parameter": "c1"}),  # below its minimum
        ({"c1": float("nan")}, {"field": "values", "parameter": "c1"}),
    ]
    for values, fields in cases:
        with pytest.raises(RequestError) as e:
            derive_twin(source, library / "digital_twins" / "new", values, {"source": "s"})
        assert e.value.status == 400 and e.value.fields == fields
    with pytest.raises(RequestError) as e:
        derive_twin(source, library / "digital_twins" / "New Twin", {"c1": 1.0}, {"source": "s"})
    assert e.value.fields == {"field": "name"}
    with pytest.raises(RequestError) as e:
        derive_twin(source, library / "digital_twins" / "new", {"c1": 1.0}, {"sweep": "s1"})
    assert e.value.fields == {"field": "provenance"}
    assert sorted(p.name for p in (library / "digital_twins").iterdir()) == ["msd", "taken"]
