"""Sensitivity of a recorded value to the parameters: Sobol' S1/ST and Morris mu*/sigma.

Pure, on SALib's analyses of a Saltelli or Morris design (see ``designs``). Both estimators
need the output of every row of the sampled matrix, so one failed scenario makes the
analysis impossible: that is a 409, not a silently biased index.
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..digital_twins import RequestError
from .designs import MORRIS_LEVELS

CONF_LEVEL = 0.95
RESAMPLES = 100


def _finite(value: Any) -> float | None:
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        v = float(value)
        return v if math.isfinite(v) else None
    return None


def _outputs(Y: Sequence[Any], rows: int, output: str | None) -> np.ndarray:
    """Y as floats, or a 409 naming the scenarios that have no number for the output."""
    what = f"the value {output!r}" if output else "a value"
    if len(Y) != rows:
        raise RequestError(
            409,
            f"the analysis needs every scenario: it has {len(Y)} outputs for {rows} scenarios",
            field="output",
            **({"record": output} if output else {}),
        )
    values = [_finite(y) for y in Y]
    missing = [i for i, v in enumerate(values) if v is None]
    if missing:
        shown = ", ".join(str(i) for i in missing[:10]) + (" ..." if len(missing) > 10 else "")
        raise RequestError(
            409,
            f"the analysis needs every scenario: {len(missing)} of {rows} have no number for "
            f"{what} (scenarios {shown})",
            field="output",
            scenarios=missing[:100],
            **({"record": output} if output else {}),
        )
    return np.asarray(values, dtype=float)


def _clean(value: Any) -> float | None:
    """A finite float, or None (SALib gives NaN when the output does not vary)."""
    return _finite(float(value))


def _check_problem(problem: Mapping[str, Any]) -> tuple[list[str], int]:
    names = list(problem.get("names") or [])
    if not names or problem.get("num_vars") != len(names):
        raise RequestError(400, "the design describes no parameters to analyse", field="design")
    return names, len(names)


def sobol_indices(
    problem: Mapping[str, Any],
    Y: Sequence[Any],
    output: str | None = None,
    seed: int | None = 0,
) -> list[dict[str, Any]]:
    """First-order and total Sobol' indices with their confidence intervals (95 %), per
    parameter, from the outputs of a Saltelli design (``calc_second_order=False``)."""
    from SALib.analyze import sobol

    names, d = _check_problem(problem)
    if len(Y) < d + 2 or len(Y) % (d + 2):
        raise RequestError(
            409,
            f"the analysis needs every scenario: {len(Y)} outputs are not a whole Saltelli "
            f"design of {d} parameters (a multiple of {d + 2})",
            field="output",
        )
    y = _outputs(Y, len(Y), output)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")  # a constant output divides by a zero variance
        result = sobol.analyze(
            dict(problem),
            y,
            calc_second_order=False,
            num_resamples=RESAMPLES,
            conf_level=CONF_LEVEL,
            print_to_console=False,
            seed=seed,
        )
    return [
        {
            "parameter": name,
            "S1": _clean(result["S1"][i]),
            "S1_conf": _clean(result["S1_conf"][i]),
            "ST": _clean(result["ST"][i]),
            "ST_conf": _clean(result["ST_conf"][i]),
        }
        for i, name in enumerate(names)
    ]


def morris_indices(
    problem: Mapping[str, Any],
    X: np.ndarray | Sequence[Sequence[float]],
    Y: Sequence[Any],
    output: str | None = None,
    seed: int | None = 0,
) -> list[dict[str, Any]]:
    """Morris screening per parameter: mu* (mean absolute elementary effect, in units of the
    output per step of ``2/3`` of the range at 4 levels) with its 95 % confidence interval,
    and sigma (their spread: non-linearity or interaction)."""
    from SALib.analyze import morris

    names, d = _check_problem(problem)
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or X.shape[1] != d or len(X) < d + 1 or len(X) % (d + 1):
        raise RequestError(
            409,
            "the analysis needs every scenario: the matrix is not a whole Morris design "
            f"of {d} parameters",
            field="output",
        )
    y = _outputs(Y, len(X), output)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        result = morris.analyze(
            dict(problem),
            X,
            y,
            num_resamples=RESAMPLES,
            conf_level=CONF_LEVEL,
            print_to_console=False,
            num_levels=MORRIS_LEVELS,
            seed=seed,
        )
    return [
        {
            "parameter": name,
            "mu_star": _clean(result["mu_star"][i]),
            "mu_star_conf": _clean(result["mu_star_conf"][i]),
            "sigma": _clean(result["sigma"][i]),
        }
        for i, name in enumerate(names)
    ]


def outputs_from_rows(rows: Sequence[Mapping[str, Any]], output: str) -> list[Any]:
    """The recorded ``output`` of each result row in scenario order (None where the scenario
    failed), aligned with the design's matrix."""
    ordered = sorted(rows, key=lambda r: r.get("scenario", 0))
    return [
        (r.get("recorded") or {}).get(output) if r.get("status") == "succeeded" else None
        for r in ordered
    ]
