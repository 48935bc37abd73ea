"""What-if sensitivity: Sobol' indices of the Ishigami function against their analytic values,
Morris screening of a linear function against its coefficients."""

import math

import numpy as np
import pytest

from dtaas.digital_twins import RequestError
from dtaas.whatif.designs import Design, generate_design, ranges_from_schema
from dtaas.whatif.sensitivity import morris_indices, outputs_from_rows, sobol_indices


def schema(names, low, high):
    props = {n: {"type": "number", "minimum": low, "maximum": high, "default": 0.0} for n in names}
    return {"type": "object", "properties": props}


def ishigami(x1, x2, x3, a=7.0, b=0.1):
    return math.sin(x1) + a * math.sin(x2) ** 2 + b * x3**4 * math.sin(x1)


def ishigami_indices(a=7.0, b=0.1):
    """The analytic first-order and total indices (Ishigami and Homma, 1990)."""
    v1 = 0.5 * (1 + b * math.pi**4 / 5) ** 2
    v2 = a**2 / 8
    v13 = b**2 * math.pi**8 * (1 / 18 - 1 / 50)
    total = v1 + v2 + v13
    return [v1 / total, v2 / total, 0.0], [(v1 + v13) / total, v2 / total, v13 / total]


def test_the_analytic_values_are_the_known_ones():
    s1, st = ishigami_indices()
    np.testing.assert_allclose(s1, [0.314, 0.442, 0.0], atol=1e-3)
    np.testing.assert_allclose(st, [0.558, 0.442, 0.244], atol=1e-3)


def test_sobol_indices_of_ishigami_are_close_to_the_analytic_ones():
    ranges = ranges_from_schema(schema(["x1", "x2", "x3"], -math.pi, math.pi))
    design = generate_design(Design("saltelli", 4096, seed=1), ranges, {}, 100_000)
    Y = [ishigami(s["x1"], s["x2"], s["x3"]) for s in design.scenarios]
    table = sobol_indices(design.problem, Y, output="y")
    assert [row["parameter"] for row in table] == ["x1", "x2", "x3"]
    s1, st = ishigami_indices()
    for row, s1_true, st_true in zip(table, s1, st, strict=True):
        assert row["S1"] == pytest.approx(s1_true, abs=0.05), row
        assert row["ST"] == pytest.approx(st_true, abs=0.05), row
        assert 0 < row["S1_conf"] < 0.1 and 0 < row["ST_conf"] < 0.1


def test_morris_ranks_a_linear_functions_coefficients():
    ranges = ranges_from_schema(schema(["a", "b", "c"], 0.0, 1.0))
    design = generate_design(Design("morris", 30, seed=2), ranges, {}, 10_000)
    Y = [3 * s["a"] + 1 * s["b"] + 0 * s["c"] for s in design.scenarios]
    table = {row["parameter"]: row for row in morris_indices(design.problem, design.X, Y)}
    mu = {name: row["mu_star"] for name, row in table.items()}
    assert mu["a"] > mu["b"] > mu["c"]
    # on [0, 1] an elementary effect of a linear term is its coefficient
    assert mu["a"] == pytest.approx(3.0) and mu["b"] == pytest.approx(1.0)
    assert mu["c"] == pytest.approx(0.0, abs=1e-12) and table["c"]["sigma"] == pytest.approx(0.0)


def test_morris_effects_scale_with_the_range():
    ranges = ranges_from_schema(schema(["a", "b"], 0.0, 10.0))
    design = generate_design(Design("morris", 10, seed=3), ranges, {}, 10_000)
    Y = [2 * s["a"] - s["b"] for s in design.scenarios]
    table = morris_indices(design.problem, design.X, Y)
    assert [row["mu_star"] for row in table] == pytest.approx([20.0, 10.0])


def test_a_failed_scenario_makes_the_analysis_impossible():
    ranges = ranges_from_schema(schema(["a", "b"], 0.0, 1.0))
    saltelli = generate_design(Design("saltelli", 8), ranges, {}, 1000)
    Y = [s["a"] + s["b"] for s in saltelli.scenarios]
    Y[3] = None
    Y[7] = float("nan")
    with pytest.raises(RequestError) as info:
        sobol_indices(saltelli.problem, Y, output="x1")
    assert info.value.status == 409
    assert "every scenario" in info.value.message and info.value.fields["scenarios"] == [3, 7]
    assert info.value.fields["record"] == "x1"
    with pytest.raises(RequestError) as info:
        sobol_indices(saltelli.problem, Y[:-1])
    assert info.value.status == 409

    morris = generate_design(Design("morris", 5), ranges, {}, 1000)
    Y = [s["a"] for s in morris.scenarios]
    Y[0] = "text"
    with pytest.raises(RequestError) as info:
        morris_indices(morris.problem, morris.X, Y)
    assert info.value.status == 409 and info.value.fields["scenarios"] == [0]
    with pytest.raises(RequestError) as info:
        morris_indices(morris.problem, morris.X[:-1], Y[:-1])
    assert info.value.status == 409


def test_a_constant_output_gives_zero_or_no_index_never_nan():
    ranges = ranges_from_schema(schema(["a", "b"], 0.0, 1.0))
    design = generate_design(Design("saltelli", 16), ranges, {}, 1000)
    table = sobol_indices(design.problem, [1.0] * len(design.scenarios))
    for row in table:
        for key in ("S1", "S1_conf", "ST", "ST_conf"):
            assert row[key] is None or math.isfinite(row[key])


def test_outputs_come_from_rows_in_scenario_order():
    rows = [
        {"scenario": 1, "status": "succeeded", "recorded": {"y": 2.0}},
        {"scenario": 0, "status": "succeeded", "recorded": {"y": 1.0}},
        {"scenario": 2, "status": "failed", "recorded": {"y": 9.0}},
    ]
    assert outputs_from_rows(rows, "y") == [1.0, 2.0, None]
