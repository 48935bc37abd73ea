"""What-if ranking and results tables: Pareto ranks against a brute-force count, the
weighted best against a hand computation, and the table through CSV and Parquet."""

import math

import numpy as np
import pandas as pd
import pytest

from dtaas.digital_twins import RequestError
from dtaas.whatif.ranking import (
    Objective,
    ResultConstraint,
    check_objectives,
    pareto_ranks,
    parse_constraint,
    parse_objective,
    rank_rows,
    weighted_best,
    weighted_scores,
)
from dtaas.whatif.results import read_results, results_frame, write_results

RECORDS = {"x1": {}, "x2": {}, "energy": {}}


def refused(call, field, record=None):
    with pytest.raises(RequestError) as info:
        call()
    assert info.value.status == 400
    assert info.value.fields["field"] == field
    if record is not None:
        assert info.value.fields["record"] == record
        assert record in info.value.message


# --- parsing and checking --------------------------------------------------------------------


def test_objectives_and_constraints_parse():
    assert parse_objective("min:x1") == Objective("x1", "min")
    assert parse_objective(" max : energy ") == Objective("energy", "max")
    assert parse_objective({"name": "x2", "direction": "max"}) == Objective("x2", "max")
    assert parse_constraint("x2<=0.1") == ResultConstraint("x2", "<=", 0.1)
    assert parse_constraint("x1 > -2e3") == ResultConstraint("x1", ">", -2000.0)
    assert parse_constraint("energy==5") == ResultConstraint("energy", "==", 5.0)
    assert parse_constraint({"name": "x1", "op": "<", "value": 3}) == ResultConstraint(
        "x1", "<", 3.0
    )


@pytest.mark.parametrize(
    "spec", ["x1", "minimise:x1", "min:", "min:x 1", "", 3, {"name": "x1", "direction": "up"}]
)
def test_bad_objectives_are_refused(spec):
    refused(lambda: parse_objective(spec), "objectives")


@pytest.mark.parametrize(
    "spec", ["x1", "x1 = 3", "x1 <= ", "x1 < nan", "x1 < inf", "x1 << 2", "<= 3", 5]
)
def test_bad_result_constraints_are_refused(spec):
    refused(lambda: parse_constraint(spec), "constraints")


def test_objectives_must_name_recorded_values():
    check_objectives([Objective("x1", "min"), Objective("energy", "max")], RECORDS)
    refused(lambda: check_objectives([Objective("x3", "min")], RECORDS), "objectives", "x3")
    twice = [Objective("x1", "min"), Objective("x1", "max")]
    refused(lambda: check_objectives(twice, RECORDS), "objectives", "x1")
    bad = [ResultConstraint("speed", "<", 1.0)]
    refused(lambda: check_objectives([], RECORDS, bad), "constraints", "speed")


# --- Pareto ranks ----------------------------------------------------------------------------


def brute_force_ranks(values, directions, feasible):
    """Peel fronts: a row's domination count is how many remaining rows beat it."""

    def usable(i):
        return feasible[i] and all(v is not None and math.isfinite(v) for v in values[i])

    def better_or_equal(a, b, d):
        return a <= b if d == "min" else a >= b

    def strictly_better(a, b, d):
        return a < b if d == "min" else a > b

    def dominates(p, q):
        pairs = list(zip(p, q, directions, strict=True))
        return all(better_or_equal(a, b, d) for a, b, d in pairs) and any(
            strictly_better(a, b, d) for a, b, d in pairs
        )

    ranks = [None] * len(values)
    remaining = [i for i in range(len(values)) if usable(i)]
    rank = 1
    while remaining:
        counts = {j: sum(dominates(values[i], values[j]) for i in remaining) for j in remaining}
        front = [j for j in remaining if counts[j] == 0]
        for j in front:
            ranks[j] = rank
        remaining = [j for j in remaining if counts[j] > 0]
        rank += 1
    return ranks


@pytest.mark.parametrize("m", [2, 3, 4])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_pareto_ranks_match_a_brute_force_domination_count(m, seed):
    rng = np.random.default_rng(seed)
    n = 120
    data = rng.normal(size=(n, m))
    data[: n // 3] = np.round(data[: n // 3])  # ties and duplicates
    values = data.tolist()
    values[5][0] = float("nan")
    values[17][m - 1] = None
    feasible = [bool(x) for x in rng.random(n) > 0.1]
    directions = [("min", "max")[int(b)] for b in rng.random(m) > 0.5]
    directions[0], directions[-1] = "min", "max"  # both always there
    expected = brute_force_ranks(values, directions, feasible)
    assert pareto_ranks(values, directions, feasible) == expected
    assert max(r for r in expected if r is not None) > 2  # the data has several fronts
    assert expected[5] is None and expected[17] is None


def test_pareto_ranks_of_a_small_front_by_hand():
    # minimise cost, maximise quality
    values = [[1, 1], [2, 3], [3, 3], [2, 2], [4, 5], [5, 4], [1, 1]]
    assert pareto_ranks(values, ["min", "max"]) == [1, 1, 2, 2, 1, 2, 1]


def test_pareto_ranks_of_many_rows_in_chunks():
    rng = np.random.default_rng(9)
    values = rng.random((400, 3)).tolist()
    directions = ["max", "min", "max"]
    expected = brute_force_ranks(values, directions, [True] * 400)
    assert pareto_ranks(values, directions) == expected


def test_no_usable_row_has_no_rank():
    assert pareto_ranks([[None, 1.0], [float("inf"), 2.0]], ["min", "min"]) == [None, None]
    assert weighted_best([[None, 1.0]], ["min", "min"]) is None


# --- weighted best ---------------------------------------------------------------------------


def test_weighted_best_against_a_hand_computation():
    values = [[1, 10], [2, 30], [3, 20]]
    directions = ["min", "max"]
    # normalised goodness: min (3 - v) / 2 -> 1, .5, 0; max (v - 10) / 20 -> 0, 1, .5
    # weights 1, 2: (1*1 + 2*0)/3, (1*.5 + 2*1)/3, (1*0 + 2*.5)/3 = .333, .833, .333
    scores = weighted_scores(values, directions, [1, 2])
    np.testing.assert_allclose(scores, [1 / 3, 2.5 / 3, 1 / 3])
    assert weighted_best(values, directions, [1, 2]) == 1
    # weights 3, 1: (3 + 0)/4, (1.5 + 1)/4, (0 + .5)/4 = .75, .625, .125
    np.testing.assert_allclose(weighted_scores(values, directions, [3, 1]), [0.75, 0.625, 0.125])
    assert weighted_best(values, directions, [3, 1]) == 0
    # equal weights by default: (1 + 0)/2, (.5 + 1)/2, (0 + .5)/2
    assert weighted_best(values, directions) == 1
    # without row 1, normalised over rows 0 and 2: min 1, 0; max 0, 1 -> 1/3, 2/3
    assert weighted_best(values, directions, [1, 2], feasible=[True, False, True]) == 2
    assert weighted_best(values, directions, [3, 1], feasible=[True, False, True]) == 0


@pytest.mark.parametrize("weights", [[1], [1, -1], [1, float("nan")], ["a", 1]])
def test_bad_weights_are_refused(weights):
    refused(lambda: weighted_best([[1, 2], [2, 1]], ["min", "min"], weights), "weights")


def test_bad_directions_are_refused():
    refused(lambda: pareto_ranks([[1, 2]], ["min", "up"]), "objectives")
    refused(lambda: pareto_ranks([[1, 2, 3]], ["min", "max"]), "objectives")


# --- rows ------------------------------------------------------------------------------------


def row(i, status="succeeded", **recorded):
    return {
        "scenario": i,
        "parameters": {"k1": float(i), "mode": "a"},
        "recorded": recorded,
        "status": status,
        "error": None if status == "succeeded" else "it failed",
        "run": f"run-{i}" if status == "succeeded" else None,
    }


ROWS = [
    row(0, x1=1.0, x2=0.05),
    row(1, x1=0.5, x2=0.2),  # breaks x2 <= 0.1
    row(2, x1=0.8, x2=0.09),
    row(3, status="failed"),
    row(4, x1=[1, 2], x2=0.0),  # a series, not a number
    row(5, x1=1.2, x2=0.01),
    row(6, x1=0.9, x2=0.1),
]


def test_rank_rows_marks_feasible_ranks_and_scores():
    objectives = [parse_objective("min:x1"), parse_objective("min:x2")]
    ranked = rank_rows(ROWS, objectives, [parse_constraint("x2<=0.1")])
    assert [r["feasible"] for r in ranked] == [True, False, True, False, True, True, True]
    # among rows 0, 2, 5, 6: (1, .05) (0.8, .09) (1.2, .01) (0.9, .1); 6 is beaten by 2
    assert [r["rank"] for r in ranked] == [1, None, 1, None, None, 1, 2]
    assert ranked[1]["score"] is None and ranked[3]["score"] is None
    # x1 over .8..1.2, x2 over .01..1: row 2 scores ((1.2-.8)/.4 + (.1-.09)/.09) / 2
    assert ranked[2]["score"] == pytest.approx((1 + 0.01 / 0.09) / 2)
    assert ROWS[0].get("rank") is None  # the input rows are left as they were
    by_name = rank_rows(ROWS, objectives, [], weights={"x2": 3})
    assert by_name[5]["score"] == pytest.approx((0 + 3 * 1) / 4)
    refused(lambda: rank_rows(ROWS, objectives, [], weights={"x9": 1}), "weights", "x9")


# --- results table ---------------------------------------------------------------------------


def test_results_frame_has_a_row_per_scenario_and_plain_names():
    rows = [{**r, "parameters": {**r["parameters"], "x1": 7, "status": 1}} for r in ROWS]
    objectives = [Objective("x1", "min")]
    frame = results_frame(rank_rows(list(reversed(rows)), objectives))
    assert list(frame["scenario"]) == list(range(7))
    assert list(frame.columns) == [
        "scenario",
        "k1",
        "mode",
        "x1",  # a parameter
        "parameters.status",  # a parameter that clashes with a fixed column
        "recorded.x1",  # recorded, clashing with the parameter
        "x2",
        "status",
        "error",
        "run",
        "rank",
        "feasible",
        "score",
    ]
    assert frame.attrs["recorded"] == {"x1": "recorded.x1", "x2": "x2"}
    assert frame.loc[4, "recorded.x1"] == "[1,2]"  # a series is kept as JSON text
    assert pd.isna(frame.loc[3, "x2"]) and frame.loc[3, "error"] == "it failed"


def test_results_round_trip_through_csv_and_parquet(tmp_path):
    ranked = rank_rows(ROWS, [Objective("x1", "min"), Objective("x2", "max")])
    frame = results_frame(ranked)
    csv_path, parquet_path = write_results(frame, tmp_path / "sweep")
    assert {p.name for p in (tmp_path / "sweep").iterdir()} == {csv_path.name, parquet_path.name}

    back = read_results(tmp_path / "sweep")
    pd.testing.assert_frame_equal(back, frame)

    from_csv = pd.read_csv(csv_path)
    assert list(from_csv.columns) == list(frame.columns)
    for column in ("k1", "x2", "score"):
        np.testing.assert_allclose(from_csv[column], frame[column].astype(float), equal_nan=True)
    assert list(from_csv["scenario"]) == list(range(7))
    assert [None if pd.isna(v) else int(v) for v in from_csv["rank"]] == [r["rank"] for r in ranked]
    assert list(from_csv["status"]) == [r["status"] for r in ROWS]
    assert [None if pd.isna(v) else v for v in from_csv["run"]] == [r["run"] for r in ROWS]
    assert list(from_csv["feasible"]) == [r["feasible"] for r in ranked]


def test_writing_again_replaces_the_files_whole(tmp_path):
    write_results(results_frame(ROWS), tmp_path)
    csv_path, _ = write_results(results_frame(ROWS[:2]), tmp_path)
    assert len(pd.read_csv(csv_path)) == 2 and len(read_results(tmp_path)) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.csv", "results.parquet"]


def test_an_enum_of_numbers_and_strings_is_stored_as_text(tmp_path):
    rows = [row(0, x1=1.0), row(1, x1=2.0)]
    rows[0]["parameters"]["mode"] = 3
    write_results(results_frame(rows), tmp_path)
    assert list(read_results(tmp_path)["mode"]) == ["3", "a"]
