"""What-if designs: each design checked against an independent computation of its points."""

import itertools
import math

import numpy as np
import pytest
from scipy.stats import qmc

from dtaas.digital_twins import RequestError
from dtaas.whatif.designs import (
    MAX_DESIGN_POINTS,
    ConstraintFailed,
    Design,
    ParameterRange,
    compile_constraint,
    generate,
    generate_design,
    ranges_from_schema,
    schema_defaults,
)

SCHEMA = {
    "type": "object",
    "properties": {
        "a": {"type": "number", "minimum": 0, "maximum": 10, "default": 5.0},
        "b": {"type": "number", "exclusiveMinimum": 0, "maximum": 1, "default": 0.5},
        "c": {"type": "number", "minimum": 0, "maximum": 1, "default": 0.2},
        "n": {"type": "integer", "minimum": 1, "maximum": 20, "default": 3},
        "flag": {"type": "boolean", "default": False},
        "mode": {"type": "string", "enum": ["x", "y", "z"], "default": "x"},
        "label": {"type": "string", "default": "run"},
        "free": {"type": "number", "default": 1.0},
        "half": {"type": "number", "minimum": 0, "default": 1.0},
    },
}
DEFAULTS = schema_defaults(SCHEMA)


def floats(**bounds):
    return {k: ParameterRange(k, "float", low=lo, high=hi) for k, (lo, hi) in bounds.items()}


def by_hand(u, low, high):
    return low + u * (high - low)


def refused(call, field, parameter=None, status=400):
    with pytest.raises(RequestError) as info:
        call()
    err = info.value
    assert err.status == status
    assert err.fields["field"] == field
    if parameter is not None:
        assert err.fields["parameter"] == parameter
        assert parameter in err.message
    return err


# --- ranges ----------------------------------------------------------------------------------


def test_default_ranges_are_the_numbers_with_both_bounds():
    ranges = ranges_from_schema(SCHEMA)
    assert list(ranges) == ["a", "b", "c", "n"]
    assert (ranges["a"].low, ranges["a"].high) == (0.0, 10.0)
    assert ranges["n"].kind == "int" and (ranges["n"].low, ranges["n"].high) == (1, 20)
    # the exclusive minimum 0 moved inward, by a tiny amount
    assert 0 < ranges["b"].low <= 1e-8 and ranges["b"].high == 1.0


def test_given_ranges_in_each_form():
    ranges = ranges_from_schema(
        SCHEMA,
        {
            "a": [2, 4],
            "c": {"low": 0.5},
            "n": {"low": 5, "high": 8},
            "flag": None,
            "mode": ["z", "x", "z"],
            "half": [0, 3],
        },
        vary=["b"],
    )
    assert (ranges["a"].low, ranges["a"].high) == (2.0, 4.0)
    assert (ranges["c"].low, ranges["c"].high) == (0.5, 1.0)
    assert (ranges["n"].low, ranges["n"].high) == (5, 8)
    assert ranges["flag"].choices == [False, True]
    assert ranges["mode"].choices == ["z", "x"]
    assert (ranges["half"].low, ranges["half"].high) == (0.0, 3.0)
    assert 0 < ranges["b"].low < 1e-8


def test_a_given_low_on_an_exclusive_bound_steps_inside_it():
    ranges = ranges_from_schema(SCHEMA, {"b": [0, 0.5]})
    assert 0 < ranges["b"].low < 1e-8
    exclusive_int = {"properties": {"k": {"type": "integer", "exclusiveMinimum": 0, "maximum": 9}}}
    assert ranges_from_schema(exclusive_int)["k"].low == 1


@pytest.mark.parametrize(
    "given, vary, parameter",
    [
        ({"nope": [0, 1]}, None, "nope"),
        (None, ["nope"], "nope"),
        ({"a": [-1, 5]}, None, "a"),  # below the minimum
        ({"a": [1, 11]}, None, "a"),  # above the maximum
        ({"b": [-0.1, 0.5]}, None, "b"),  # below an exclusive minimum
        ({"free": None}, None, "free"),  # no bounds and none given
        (None, ["free"], "free"),
        (None, ["half"], "half"),  # no maximum
        ({"a": [5, 5]}, None, "a"),  # low >= high
        ({"a": [6, 5]}, None, "a"),
        ({"a": [1, 2, 3]}, None, "a"),  # not a range
        ({"a": {"lo": 1}}, None, "a"),
        ({"a": ["1", 2]}, None, "a"),
        ({"a": [True, 2]}, None, "a"),
        ({"a": [float("nan"), 2]}, None, "a"),
        ({"n": [1.5, 4]}, None, "n"),  # not whole
        ({"mode": ["x", "w"]}, None, "mode"),  # not in the enum
        ({"mode": []}, None, "mode"),
        ({"flag": [1]}, None, "flag"),  # 1 is not a boolean
        ({"label": None}, None, "label"),  # a free string cannot be varied
    ],
)
def test_bad_ranges_are_refused_naming_the_parameter(given, vary, parameter):
    refused(lambda: ranges_from_schema(SCHEMA, given, vary), "ranges", parameter)


def test_ranges_that_are_not_a_mapping_are_refused():
    refused(lambda: ranges_from_schema(SCHEMA, [["a", 0, 1]]), "ranges")
    refused(lambda: ranges_from_schema(SCHEMA, None, "a"), "ranges")


# --- grid ------------------------------------------------------------------------------------


def test_grid_is_the_product_of_linspace_levels():
    ranges = ranges_from_schema(SCHEMA, {"a": [0, 10], "c": [0.25, 0.75]})
    scenarios = generate(Design("grid", 1, levels=4), ranges, DEFAULTS, 1000)
    expected = list(itertools.product(np.linspace(0, 10, 4), np.linspace(0.25, 0.75, 4)))
    assert [(s["a"], s["c"]) for s in scenarios] == [tuple(map(float, p)) for p in expected]
    for s in scenarios:  # the rest are the defaults
        assert {k: v for k, v in s.items() if k not in ("a", "c")} == {
            k: v for k, v in DEFAULTS.items() if k not in ("a", "c")
        }


def test_grid_levels_default_to_about_n_points():
    ranges = floats(a=(0, 1), c=(0, 2))
    result = generate_design(Design("grid", 100), ranges, {}, 1000)
    assert len(result.scenarios) == 100
    expected = list(itertools.product(np.linspace(0, 1, 10), np.linspace(0, 2, 10)))
    assert [(s["a"], s["c"]) for s in result.scenarios] == expected
    three = generate(Design("grid", 1000), floats(a=(0, 1), b=(0, 1), c=(0, 1)), {}, 1000)
    assert len(three) == 1000


def test_grid_takes_every_choice_and_distinct_integers():
    ranges = ranges_from_schema(SCHEMA, {"mode": None, "flag": None, "n": [1, 3]})
    scenarios = generate(Design("grid", 1, levels=5), ranges, DEFAULTS, 1000)
    expected = list(itertools.product(["x", "y", "z"], [False, True], [1, 2, 3]))
    assert [(s["mode"], s["flag"], s["n"]) for s in scenarios] == expected
    ranges = ranges_from_schema(SCHEMA, {"n": [1, 20]})
    scenarios = generate(Design("grid", 1, levels=4), ranges, DEFAULTS, 1000)
    assert [s["n"] for s in scenarios] == [round(v) for v in np.linspace(1, 20, 4)]


# --- sampled designs -------------------------------------------------------------------------


def test_lhs_has_one_point_in_each_stratum_of_every_parameter():
    bounds = {"a": (0.0, 10.0), "b": (-3.0, 7.0), "c": (100.0, 100.5)}
    n = 57
    scenarios = generate(Design("lhs", n, seed=3), floats(**bounds), {}, 1000)
    assert len(scenarios) == n
    for name, (low, high) in bounds.items():
        strata = sorted(math.floor((s[name] - low) / (high - low) * n) for s in scenarios)
        assert strata == list(range(n)), name


def test_sobol_points_are_scipys_for_the_seed_mapped_by_hand():
    bounds = {"a": (0.0, 10.0), "c": (-1.0, 1.0), "b": (2.0, 3.0)}
    result = generate_design(Design("sobol", 100, seed=11), floats(**bounds), {}, 1000)
    assert result.n == 128 and len(result.scenarios) == 128
    assert "128" in result.note and "power of two" in result.note
    U = qmc.Sobol(d=3, scramble=True, rng=11).random_base2(7)
    for j, (name, (low, high)) in enumerate(bounds.items()):
        got = [s[name] for s in result.scenarios]
        np.testing.assert_allclose(got, by_hand(U[:, j], low, high), rtol=0, atol=1e-12)


def test_random_is_within_bounds_and_reproducible_by_seed():
    bounds = {"a": (0.0, 10.0), "c": (0.5, 0.75)}
    ranges = floats(**bounds)
    first = generate(Design("random", 200, seed=5), ranges, {}, 1000)
    again = generate(Design("random", 200, seed=5), ranges, {}, 1000)
    other = generate(Design("random", 200, seed=6), ranges, {}, 1000)
    assert first == again and first != other
    U = np.random.default_rng(5).random((200, 2))
    for j, (name, (low, high)) in enumerate(bounds.items()):
        values = np.array([s[name] for s in first])
        assert ((values >= low) & (values <= high)).all()
        np.testing.assert_allclose(values, by_hand(U[:, j], low, high), rtol=0, atol=1e-12)


def test_a_seed_left_out_is_drawn_and_reported_so_the_design_repeats():
    ranges = floats(a=(0, 1))
    result = generate_design(Design("lhs", 20, seed=None), ranges, {}, 1000)
    assert isinstance(result.seed, int)
    assert generate(Design("lhs", 20, seed=result.seed), ranges, {}, 1000) == result.scenarios


@pytest.mark.parametrize("kind", ["random", "lhs", "sobol", "saltelli", "morris"])
def test_integers_are_whole_and_within_bounds_and_choices_come_from_bins(kind):
    ranges = ranges_from_schema(SCHEMA, {"n": [2, 9], "mode": None, "a": [0, 1]})
    result = generate_design(Design(kind, 16, seed=2), ranges, DEFAULTS, 10_000)
    names = result.names
    assert names == ["n", "mode", "a"]
    for s, u in zip(result.scenarios, result.X, strict=True):
        assert type(s["n"]) is int and 2 <= s["n"] <= 9
        assert s["n"] == round(2 + u[0] * 7)
        assert s["mode"] == ["x", "y", "z"][min(int(u[1] * 3), 2)]
        assert 0 <= s["a"] <= 1
    assert len({s["n"] for s in result.scenarios}) >= 4  # not stuck at one value


def test_saltelli_is_salibs_matrix_mapped_by_hand():
    from SALib.sample import sobol

    bounds = {"a": (0.0, 10.0), "c": (0.0, 1.0)}
    result = generate_design(Design("saltelli", 32, seed=4), floats(**bounds), {}, 10_000)
    problem = {"num_vars": 2, "names": ["a", "c"], "bounds": [[0, 1], [0, 1]]}
    X = sobol.sample(problem, 32, calc_second_order=False, seed=4)
    assert len(result.scenarios) == 32 * (2 + 2) == len(X)
    np.testing.assert_allclose(result.X, X)
    np.testing.assert_allclose([s["a"] for s in result.scenarios], X[:, 0] * 10, atol=1e-12)
    assert result.problem == {"num_vars": 2, "names": ["a", "c"], "bounds": [[0.0, 1.0]] * 2}


def test_morris_takes_four_levels_per_parameter():
    result = generate_design(Design("morris", 10, seed=1), floats(a=(0, 9), c=(1, 2)), {}, 1000)
    assert len(result.scenarios) == 10 * 3
    levels = np.array([0.0, 3.0, 6.0, 9.0])
    assert all(np.isclose(levels, s["a"]).any() for s in result.scenarios)
    # each trajectory moves one parameter at a time
    for t in range(10):
        rows = result.X[3 * t : 3 * t + 3]
        assert all((np.abs(np.diff(rows, axis=0)) > 1e-12).sum(axis=1) == 1)


# --- constraints -----------------------------------------------------------------------------

ENV = {"k1": 7.0, "k2": 3, "c1": 0.25, "c2": 0.5, "mode": "y", "on": True}
EXPRESSIONS = [
    "k1 > 2 * k2 and c1 + c2 < 1",
    "k1 > 3 * k2 or c1 > c2",
    "0 < c1 < c2 <= 0.5 < k1",
    "1 < k2 < 2",
    "not (k1 >= 7)",
    "k1 % 4 == 3 and k2 ** 2 == 9",
    "-k1 + +k2 != -4",
    "abs(c1 - c2) <= 0.25",
    "min(k1, k2, 5) == 3 and max(c1, c2) > 0.4",
    "k1 / k2 > 2.3",
    "mode == 'y' and on",
    "c1 and k2",  # Python returns an operand here, not a bool
    "0 or c1",
    "k1 - 7 or k2",
    "2 ** 0.5 * k2 > 4",
    "(k1 + k2) * (c1 - c2) < -2",
]


@pytest.mark.parametrize("text", EXPRESSIONS)
def test_the_constraint_evaluates_as_python_does(text):
    functions = {"abs": abs, "min": min, "max": max}
    expected = eval(text, {"__builtins__": {}, **functions}, dict(ENV))  # noqa: S307
    got = compile_constraint(text, ENV).evaluate(ENV)
    assert got == expected and bool(got) == bool(expected)


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os')",
        "__import__('os').system('true')",
        "k1.real > 1",
        "().__class__",
        "open('x')",
        "len(k1) > 1",
        "k1(2)",
        "min(k1)",
        "abs(k1, k2)",
        "max(*[k1, k2])",
        "abs(x=k1)",
        "k1 if k2 else c1",
        "lambda: 1",
        "[k1][0] > 1",
        "{k1: 1}",
        "k1 // 2 > 1",
        "k1 << 1",
        "k1 in (1, 2)",
        "k1 is None",
        "(k3 := 1)",
        "f'{k1}'",
        "None",
        "k1 =",
        "k1 = 1",
        "",
        "   ",
        "-" * 80 + "k1",
        "k1 + " * 600 + "1",
    ],
)
def test_the_constraint_refuses_anything_else(text):
    refused(lambda: compile_constraint(text, ENV), "constraint")


@pytest.mark.parametrize("text", ["'a' * 10 ** 10 == mode", "'%s' % k1 == mode", "mode + 1 > 0"])
def test_the_constraint_does_no_arithmetic_on_text(text):
    with pytest.raises(ConstraintFailed):
        compile_constraint(text, ENV).evaluate(ENV)


def test_an_unknown_name_in_the_constraint_is_named():
    err = refused(lambda: compile_constraint("k1 > k3", ENV), "constraint", "k3")
    assert "k3" in err.message


def test_the_constraint_filters_scenarios_as_python_would():
    ranges = floats(a=(0, 10), c=(0, 1))
    design = Design("grid", 1, levels=11, constraint="a > 5 * c + 2 and not c == 0.5")
    result = generate_design(design, ranges, {"m": 1}, 1000)
    product = itertools.product(np.linspace(0, 10, 11), np.linspace(0, 1, 11))
    expected = [(a, c) for a, c in product if a > 5 * c + 2 and c != 0.5]
    assert [(s["a"], s["c"]) for s in result.scenarios] == expected
    assert result.left_out == 121 - len(expected)
    assert f"{len(expected)} of 121 kept" in result.note
    assert len(result.X) == len(expected)
    # constraint on a fixed parameter (a default) too
    assert generate(Design("grid", 1, levels=3, constraint="m > 1"), ranges, {"m": 2}, 1000)


def test_a_scenario_whose_constraint_cannot_be_computed_is_left_out():
    ranges = floats(a=(0, 1), c=(0, 1))
    result = generate_design(Design("grid", 1, levels=3, constraint="a / c >= 0"), ranges, {}, 99)
    assert all(s["c"] != 0 for s in result.scenarios)
    assert len(result.scenarios) == 6 and "could not be evaluated" in result.note


def test_a_bad_constraint_is_refused_before_the_size_is_considered():
    ranges = floats(a=(0, 1))
    refused(
        lambda: generate(Design("random", 10**9, constraint="a >"), ranges, {}, 10), "constraint"
    )


@pytest.mark.parametrize("kind", ["saltelli", "morris"])
def test_sensitivity_designs_refuse_a_constraint(kind):
    design = Design(kind, 8, constraint="a > 0.5")
    refused(lambda: generate(design, floats(a=(0, 1)), {}, 1000), "constraint")


def test_a_constraint_no_scenario_meets_is_refused():
    design = Design("lhs", 10, constraint="a > 2")
    refused(lambda: generate(design, floats(a=(0, 1)), {}, 1000), "constraint")


# --- sizes and design fields -----------------------------------------------------------------


def test_more_scenarios_than_allowed_are_refused():
    ranges = floats(a=(0, 1), c=(0, 1))
    refused(lambda: generate(Design("random", 101), ranges, {}, 100), "n")
    refused(lambda: generate(Design("sobol", 65), ranges, {}, 100), "n")  # 128 points
    refused(lambda: generate(Design("saltelli", 16), ranges, {}, 63), "n")  # 64 rows
    refused(lambda: generate(Design("morris", 34), ranges, {}, 100), "n")  # 102 rows
    refused(lambda: generate(Design("grid", 1, levels=11), ranges, {}, 100), "n")
    assert len(generate(Design("grid", 1, levels=10), ranges, {}, 100)) == 100
    huge = Design("random", MAX_DESIGN_POINTS + 1, constraint="a > 0.99")
    refused(lambda: generate(huge, ranges, {}, 100), "n")
    # a grid's size is known before its levels are made
    refused(lambda: generate(Design("grid", 1, levels=10**8), floats(a=(0, 1)), {}, 100), "n")
    wide_int = {"k": ParameterRange("k", "int", low=0, high=3)}
    assert len(generate(Design("grid", 1, levels=10**8), wide_int, {}, 4)) == 4


def test_the_cap_counts_scenarios_after_the_constraint():
    ranges = floats(a=(0, 9), c=(0, 9))
    # 10 x 10 grid, a >= c keeps 55 of 100
    design = Design("grid", 1, levels=10, constraint="a >= c")
    assert len(generate(design, ranges, {}, 60)) == 55
    refused(lambda: generate(design, ranges, {}, 50), "n")


def test_nothing_to_vary_is_refused():
    refused(lambda: generate(Design("lhs", 5), {}, DEFAULTS, 100), "ranges")


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"kind": "genetic", "n": 5}, "design"),
        ({"kind": "lhs", "n": 0}, "n"),
        ({"kind": "lhs", "n": True}, "n"),
        ({"kind": "lhs", "n": 2.5}, "n"),
        ({"kind": "lhs", "n": 10**400}, "n"),
        ({"kind": "grid", "n": 5, "levels": 10**10}, "levels"),
        ({"kind": "grid", "n": 5, "levels": 1}, "levels"),
        ({"kind": "lhs", "n": 5, "seed": -1}, "seed"),
        ({"kind": "lhs", "n": 5, "seed": "x"}, "seed"),
        ({"kind": "lhs", "n": 5, "constraint": 3}, "constraint"),
        ({"kind": "lhs", "n": 5, "colour": "red"}, "design"),
        ({"n": 5}, "design"),
        ({"kind": "lhs"}, "n"),
    ],
)
def test_bad_design_fields_are_refused(fields, field):
    refused(lambda: Design.from_dict(fields), field)


def test_a_design_from_a_request_body():
    design = Design.from_dict({"kind": "grid", "n": 9, "levels": 3, "constraint": "a > 1"})
    assert design == Design("grid", 9, seed=0, levels=3, constraint="a > 1")
