"""Ranking a sweep's scenarios: objectives on recorded values, constraints on results,
Pareto ranks by non-dominated sorting, and a weighted best.

Pure, and numpy only: a failed scenario, a missing or non-numeric value, or a scenario that
breaks a constraint gets no rank, so the fronts hold only scenarios one could pick.
"""

from __future__ import annotations

import math
import numbers
import operator
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..digital_twins import RequestError

DIRECTIONS = ("min", "max")
OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "<=": operator.le,
    ">=": operator.ge,
    "==": operator.eq,
    "<": operator.lt,
    ">": operator.gt,
}
_NAME = r"[A-Za-z_][A-Za-z0-9_.-]*"
_OBJECTIVE_RE = re.compile(rf"^\s*(min|max)\s*:\s*({_NAME})\s*$")
_CONSTRAINT_RE = re.compile(rf"^\s*({_NAME})\s*(<=|>=|==|<|>)\s*(\S+)\s*$")
# how many pairwise comparisons one numpy step holds (rows × rows × objectives)
_CHUNK_ELEMENTS = 1 << 22


@dataclass(frozen=True)
class Objective:
    """A recorded value to make small (``min``) or large (``max``)."""

    name: str
    direction: str  # min | max

    def __str__(self) -> str:
        return f"{self.direction}:{self.name}"


@dataclass(frozen=True)
class ResultConstraint:
    """A bound a recorded value must meet for its scenario to be feasible."""

    name: str
    op: str  # < <= > >= ==
    value: float

    def holds(self, value: Any) -> bool:
        v = _number(value)
        return v is not None and OPERATORS[self.op](v, self.value)

    def __str__(self) -> str:
        return f"{self.name}{self.op}{self.value:g}"


def parse_objective(spec: str | Mapping[str, Any] | Objective) -> Objective:
    """``"min:x1"``, ``{"name": "x1", "direction": "min"}`` or an Objective; else a 400."""
    if isinstance(spec, Objective):
        return spec
    if isinstance(spec, Mapping):
        name, direction = spec.get("name"), spec.get("direction", "min")
        if isinstance(name, str) and re.fullmatch(_NAME, name) and direction in DIRECTIONS:
            return Objective(name, direction)
    elif isinstance(spec, str) and (m := _OBJECTIVE_RE.match(spec)):
        return Objective(m[2], m[1])
    raise RequestError(
        400,
        f"the objective {spec!r} is not 'min:NAME' or 'max:NAME'",
        field="objectives",
    )


def parse_constraint(spec: str | Mapping[str, Any] | ResultConstraint) -> ResultConstraint:
    """``"x2<=0.1"``, ``{"name", "op", "value"}`` or a ResultConstraint; else a 400."""
    if isinstance(spec, ResultConstraint):
        return spec
    name = op = value = None
    if isinstance(spec, Mapping):
        name, op, value = spec.get("name"), spec.get("op"), spec.get("value")
    elif isinstance(spec, str) and (m := _CONSTRAINT_RE.match(spec)):
        name, op, value = m[1], m[2], m[3]
        try:
            value = float(value)
        except ValueError:
            value = None
    number = _number(value)
    if (
        isinstance(name, str)
        and re.fullmatch(_NAME, name)
        and op in OPERATORS
        and number is not None
    ):
        return ResultConstraint(name, op, number)
    raise RequestError(
        400,
        f"the constraint {spec!r} is not NAME followed by <, <=, >, >= or == and a finite number",
        field="constraints",
    )


def check_objectives(
    objectives: Iterable[Objective],
    records: Mapping[str, Any] | Iterable[str],
    constraints: Iterable[ResultConstraint] = (),
) -> None:
    """A 400 for an objective or constraint naming a value the twin does not record (its
    ``records`` in dt.yaml), or for the same objective given twice."""
    known = set(records)
    seen: set[str] = set()
    for objective in objectives:
        if objective.name not in known:
            raise RequestError(
                400,
                f"the objective {objective} names {objective.name!r}, which the twin does not "
                f"record (it records {', '.join(sorted(known)) or 'nothing'})",
                field="objectives",
                record=objective.name,
            )
        if objective.name in seen:
            raise RequestError(
                400,
                f"{objective.name!r} is an objective twice",
                field="objectives",
                record=objective.name,
            )
        seen.add(objective.name)
    for constraint in constraints:
        if constraint.name not in known:
            raise RequestError(
                400,
                f"the constraint {constraint} names {constraint.name!r}, which the twin does "
                "not record",
                field="constraints",
                record=constraint.name,
            )


def _number(value: Any) -> float | None:
    """``value`` as a finite float, or None (missing, NaN, a series, a string)."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        v = float(value)
        return v if math.isfinite(v) else None
    if isinstance(value, (bool, np.bool_)):
        return float(value)
    return None


def _check_directions(directions: Sequence[str], width: int) -> None:
    if len(directions) != width or any(d not in DIRECTIONS for d in directions):
        raise RequestError(
            400, "give one direction, min or max, for each objective", field="objectives"
        )


def _as_minimised(
    values: Sequence[Sequence[Any]],
    directions: Sequence[str],
    feasible: Sequence[bool] | None,
) -> tuple[np.ndarray, np.ndarray]:
    """(indices of the rows that can be ranked, their values with max objectives negated)."""
    _check_directions(directions, len(directions))
    rows: list[list[float]] = []
    index: list[int] = []
    for i, row in enumerate(values):
        if feasible is not None and not feasible[i]:
            continue
        if len(row) != len(directions):
            raise RequestError(
                400,
                f"row {i} has {len(row)} values for {len(directions)} objectives",
                field="objectives",
            )
        numbers_ = [_number(v) for v in row]
        if any(v is None for v in numbers_):
            continue
        rows.append([-v if d == "max" else v for v, d in zip(numbers_, directions, strict=True)])
        index.append(i)
    A = np.asarray(rows, dtype=float).reshape(len(rows), len(directions))
    return np.asarray(index, dtype=int), A


def _dominated_counts(P: np.ndarray, A: np.ndarray) -> np.ndarray:
    """For each row of A, how many rows of P dominate it (all <=, one <; minimising)."""
    counts = np.zeros(len(A), dtype=np.int64)
    if not len(P) or not len(A):
        return counts
    step = max(1, _CHUNK_ELEMENTS // max(1, len(A) * A.shape[1]))
    for start in range(0, len(P), step):
        chunk = P[start : start + step, None, :]
        dominates = (chunk <= A[None]).all(axis=2) & (chunk < A[None]).any(axis=2)
        counts += dominates.sum(axis=0)
    return counts


def pareto_ranks(
    values: Sequence[Sequence[Any]],
    directions: Sequence[str],
    feasible: Sequence[bool] | None = None,
) -> list[int | None]:
    """Each row's Pareto rank: 1 for the non-dominated, 2 for those only rank 1 dominates...

    Fast non-dominated sorting (Deb et al. 2002) for any number of objectives, in chunks so
    memory stays small: O(M N²) comparisons in all. A row with a missing or non-finite value,
    or marked not ``feasible``, gets None and takes no part in the fronts.
    """
    index, A = _as_minimised(values, directions, feasible)
    ranks: list[int | None] = [None] * len(values)
    if not len(A):
        return ranks
    counts = _dominated_counts(A, A)
    rank = 1
    front = np.flatnonzero(counts == 0)
    while front.size:
        for i in front:
            ranks[int(index[i])] = rank
        counts -= _dominated_counts(A[front], A)
        counts[front] = -1  # ranked: never picked again
        front = np.flatnonzero(counts == 0)
        rank += 1
    return ranks


def weighted_scores(
    values: Sequence[Sequence[Any]],
    directions: Sequence[str],
    weights: Sequence[float] | None = None,
    feasible: Sequence[bool] | None = None,
) -> list[float | None]:
    """Each rankable row's weighted score in [0, 1], higher being better.

    Each objective is min-max normalised over the rankable rows to 1 for its best value and
    0 for its worst (an objective all rows share counts 1), and the scores are the weighted
    mean of those. Rows that cannot be ranked (see ``pareto_ranks``) get None.
    """
    _check_directions(directions, len(directions))
    w = _weights(weights, len(directions))
    index, A = _as_minimised(values, directions, feasible)
    scores: list[float | None] = [None] * len(values)
    if not len(A):
        return scores
    low, high = A.min(axis=0), A.max(axis=0)
    span = np.where(high > low, high - low, 1.0)
    goodness = np.where(high > low, (high - A) / span, 1.0)  # minimised: small is good
    total = float(w.sum())
    row_scores = goodness @ w / total if total > 0 else np.ones(len(A))
    for i, s in zip(index, row_scores, strict=True):
        scores[int(i)] = float(s)
    return scores


def weighted_best(
    values: Sequence[Sequence[Any]],
    directions: Sequence[str],
    weights: Sequence[float] | None = None,
    feasible: Sequence[bool] | None = None,
) -> int | None:
    """The index of the row with the best weighted score (the first on a tie), or None."""
    scores = weighted_scores(values, directions, weights, feasible)
    best: int | None = None
    for i, s in enumerate(scores):
        if s is not None and (best is None or s > scores[best]):  # type: ignore[operator]
            best = i
    return best


def _weights(weights: Sequence[float] | None, width: int) -> np.ndarray:
    if weights is None:
        return np.ones(width)
    w = [_number(x) for x in weights]
    if len(w) != width or any(x is None or x < 0 for x in w):
        raise RequestError(
            400,
            f"give {width} weights, one finite number of at least 0 for each objective",
            field="weights",
        )
    return np.asarray(w, dtype=float)


def rank_rows(
    rows: Sequence[Mapping[str, Any]],
    objectives: Sequence[Objective],
    constraints: Sequence[ResultConstraint] = (),
    weights: Sequence[float] | Mapping[str, float] | None = None,
) -> list[dict[str, Any]]:
    """Copies of the result rows with ``feasible`` (succeeded and meeting every constraint),
    ``rank`` (Pareto rank, None when it cannot be ranked) and ``score`` (weighted, see
    ``weighted_scores``). Weights are a list in the objectives' order or a mapping by name
    (an objective left out weighs 1)."""
    if isinstance(weights, Mapping):
        unknown = set(weights) - {o.name for o in objectives}
        if unknown:
            name = sorted(unknown)[0]
            raise RequestError(
                400, f"the weight for {name!r} names no objective", field="weights", record=name
            )
        weights = [weights.get(o.name, 1.0) for o in objectives]
    feasible = []
    for row in rows:
        recorded = row.get("recorded") or {}
        ok = row.get("status", "succeeded") == "succeeded" and all(
            c.holds(recorded.get(c.name)) for c in constraints
        )
        feasible.append(ok)
    values = [[(row.get("recorded") or {}).get(o.name) for o in objectives] for row in rows]
    directions = [o.direction for o in objectives]
    if objectives:
        ranks = pareto_ranks(values, directions, feasible)
        scores = weighted_scores(values, directions, weights, feasible)
    else:
        ranks, scores = [None] * len(rows), [None] * len(rows)
    return [
        {**row, "feasible": ok, "rank": rank, "score": score}
        for row, ok, rank, score in zip(rows, feasible, ranks, scores, strict=True)
    ]
