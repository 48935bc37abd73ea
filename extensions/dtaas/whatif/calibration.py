"""Calibration: a least-squares fit of chosen parameters of a twin to measured data.

Pure: the caller runs the twin. ``fit`` is given ``simulate(values)``, which runs the
twin with the fitted parameters set to ``values`` and returns the recorded time series
(``dtaas.record(name, value, t=...)``, read back with ``read_series``) for the names the
data maps. Everything the fit is given is checked before the first simulation: a data
CSV without a named column, a parameter the schema does not have or has no bounds for,
each is a 400 naming it.
"""

from __future__ import annotations

import hashlib
import io
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from asset_library.fsutil import write_bytes_atomic

from ..digital_twins import RequestError

Series = tuple[np.ndarray, np.ndarray]  # (t, y), 1-D arrays of one length
Simulate = Callable[[dict[str, float]], Mapping[str, Series]]

ASSET_MANIFEST = "asset.yaml"
MAX_DATA_BYTES = 256 << 20  # a measurement CSV larger than this is not read whole
# Relative step of the forward-difference Jacobian: 0.1 % of each value. A simulation's
# output carries solver error (about its rtol); the default step (sqrt(eps), 1.5e-8)
# would divide that error by 1e-8 and make the Jacobian noise. At 1e-3 a solver at
# rtol <= 1e-6 leaves the derivative right to about 0.1 %, plenty for Gauss-Newton steps.
DIFF_STEP = 1e-3
SERIES_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")  # as dtaas.record allows


@dataclass(frozen=True)
class DataSpec:
    """A measurement CSV and which of its columns each recorded series is fitted to.

    ``path`` is a CSV file, or a data asset's folder: its ``asset.yaml`` ``entrypoint``
    when that is a CSV, else the one CSV in it. ``mapping`` maps recorded series names
    to data columns.
    """

    path: Path
    time_column: str
    mapping: dict[str, str]


@dataclass
class CalibrationResult:
    """What a fit found: values and standard errors in the parameters' own units."""

    values: dict[str, float]
    std_errors: dict[str, float]
    initial: dict[str, float]
    bounds: dict[str, tuple[float, float]]
    cost: float  # 0.5 * sum of squared scaled residuals (least_squares' cost)
    rmse: dict[str, float]  # per series, in the data's units
    r2: dict[str, float]  # per series; NaN for data that does not vary
    n_evaluations: int  # simulations run, finite-difference ones included
    success: bool
    message: str
    residuals: dict[str, Series]  # per series: (data t, simulated - data)
    at_bound: list[str] = field(default_factory=list)  # fitted values stopped by a bound
    data: dict[str, Series] = field(default_factory=dict)
    simulated: dict[str, Series] = field(default_factory=dict)  # at the fitted values


# --- data -------------------------------------------------------------------------------


def _data_error(message: str, **fields: Any) -> RequestError:
    return RequestError(400, message, **fields)


def data_file(path: Path) -> Path:
    """The CSV a data asset path names: the file itself, or the CSV its folder holds."""
    path = Path(path)
    if path.is_file():
        return path
    if not path.is_dir():
        raise RequestError(404, f"no data file or folder {path.name!r}", field="data")
    entry = _entrypoint(path)
    if entry is not None:
        return entry
    csvs = sorted(
        p for p in path.iterdir() if p.suffix.lower() == ".csv" and not p.name.startswith(".")
    )
    csvs = [p for p in csvs if p.is_file()]
    if len(csvs) != 1:
        names = ", ".join(p.name for p in csvs) or "none"
        raise _data_error(
            f"data folder {path.name!r} must hold exactly one CSV (it holds {names}); "
            "name the file as folder/file.csv",
            field="data",
        )
    return csvs[0]


def _entrypoint(folder: Path) -> Path | None:
    """The CSV a data asset's manifest names as its entrypoint, if it names one."""
    from asset_library.manifest import read_manifest

    manifest = folder / ASSET_MANIFEST
    if not manifest.is_file():
        return None
    entry = read_manifest(manifest).data.get("entrypoint")
    if not isinstance(entry, str) or not entry.lower().endswith(".csv"):
        return None
    candidate = folder / entry
    if "/" in entry or "\\" in entry or candidate.is_symlink() or not candidate.is_file():
        return None
    return candidate


def data_sha256(spec: DataSpec) -> str:
    """The SHA-256 of the data CSV's bytes: what a fit's provenance records."""
    digest = hashlib.sha256()
    with open(data_file(spec.path), "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _check_spec(spec: DataSpec) -> None:
    if not isinstance(spec.time_column, str) or not spec.time_column:
        raise _data_error("time_column must name a column of the data", field="time_column")
    if not isinstance(spec.mapping, Mapping) or not spec.mapping:
        raise _data_error(
            "mapping must map at least one recorded series to a data column", field="mapping"
        )
    for name, column in spec.mapping.items():
        if not isinstance(name, str) or not SERIES_NAME.match(name):
            raise _data_error(
                f"mapping: {name!r} is not a recorded series name", field="mapping", series=name
            )
        if not isinstance(column, str) or not column:
            raise _data_error(
                f"mapping: series {name!r} must name a data column", field="mapping", series=name
            )


def load_data(spec: DataSpec) -> dict[str, Series]:
    """The data series of each mapped recorded name: ``{name: (t, y)}``, sorted by t.

    Every cell of the time column must be a finite number; so must every non-empty
    cell of a mapped column. An empty cell is a missing value of that series only (a
    logger that samples columns at different rates leaves them), and its row is left
    out of that series. Errors name the line (1 is the header) and the column.
    """
    import pandas as pd

    _check_spec(spec)
    path = data_file(spec.path)
    name = path.name
    if path.stat().st_size > MAX_DATA_BYTES:
        raise _data_error(f"data {name!r} is larger than {MAX_DATA_BYTES >> 20} MiB", field="data")
    try:
        # as text, so that a bad cell is reported as it is written; blank lines are
        # kept as rows so that row i is line i + 2 of the file
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, skip_blank_lines=False)
    except pd.errors.EmptyDataError:
        raise _data_error(f"data {name!r} is empty", field="data") from None
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as e:
        raise _data_error(f"data {name!r} is not a readable CSV: {e}", field="data") from None
    columns = [str(c) for c in frame.columns]
    if spec.time_column not in columns:
        raise _data_error(
            f"data {name!r} has no time column {spec.time_column!r} (its columns: "
            f"{', '.join(columns)})",
            field="time_column",
            column=spec.time_column,
        )
    for series, column in spec.mapping.items():
        if column not in columns:
            raise _data_error(
                f"data {name!r} has no column {column!r} (mapped from {series!r}; its "
                f"columns: {', '.join(columns)})",
                field="mapping",
                column=column,
                series=series,
            )
    frame = _drop_trailing_blank_rows(frame)
    if frame.empty:
        raise _data_error(f"data {name!r} has no rows", field="data")
    t = _numbers(frame, spec.time_column, name, allow_empty=False)
    out: dict[str, Series] = {}
    for series, column in spec.mapping.items():
        y = _numbers(frame, column, name, allow_empty=True)
        keep = ~np.isnan(y)
        if not keep.any():
            raise _data_error(
                f"data {name!r}: column {column!r} has no values", field="mapping", column=column
            )
        order = np.argsort(t[keep], kind="stable")
        out[series] = (t[keep][order], y[keep][order])
    return out


def _drop_trailing_blank_rows(frame: Any) -> Any:
    blank = (frame.apply(lambda c: c.str.strip()) == "").all(axis=1).to_numpy()
    end = len(blank)
    while end and blank[end - 1]:
        end -= 1
    return frame.iloc[:end]


def _numbers(frame: Any, column: str, file: str, allow_empty: bool) -> np.ndarray:
    """A column as floats, NaN for an empty cell if ``allow_empty``; else a 400 at the
    first cell that is no finite number."""
    import pandas as pd

    text = frame[column].str.strip()
    values = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float, copy=True)
    bad = ~np.isfinite(values)
    if allow_empty:
        empty = (text == "").to_numpy()
        bad &= ~empty
        values[empty] = np.nan
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        cell = str(text.iloc[row])
        what = "empty" if cell == "" else f"{cell[:40]!r} is not a finite number"
        raise _data_error(
            f"data {file!r} line {row + 2}, column {column!r}: {what}",
            field="data",
            column=column,
            line=row + 2,
        )
    return values


def read_series(records_dir: Path, names: list[str]) -> dict[str, Series]:
    """Recorded time series of a run, ``outputs/records/<name>.csv`` (``t,<name>``).

    A name the run did not record is missing from the result; ``fit`` names it.
    """
    out: dict[str, Series] = {}
    for name in names:
        path = Path(records_dir) / f"{name}.csv"
        if not SERIES_NAME.match(name) or path.is_symlink() or not path.is_file():
            continue
        table = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2, dtype=float)
        if table.size == 0:
            out[name] = (np.empty(0), np.empty(0))
        else:
            out[name] = (table[:, 0], table[:, 1])
    return out


# --- what is fitted -----------------------------------------------------------------------


def _number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def fit_setup(
    schema: dict[str, Any],
    fit_params: list[str],
    ranges: Mapping[str, Any] | None = None,
    start: Mapping[str, float] | None = None,
) -> tuple[dict[str, tuple[float, float]], dict[str, float]]:
    """Bounds and starting values of the fitted parameters, from the twin's schema.

    Each must be a ``number`` parameter of the schema (an integer or a choice has no
    derivative to follow). Its bounds are the schema's (exclusive ones moved just
    inside), or ``ranges`` within them, as ``designs.ranges_from_schema`` gives a
    sweep's; both ends must be finite. It starts at ``start``, else the schema's
    default when that lies within the bounds, else the middle of the bounds.
    """
    from .designs import ranges_from_schema

    ranges = dict(ranges or {})
    start = dict(start or {})
    props = schema.get("properties") if isinstance(schema, dict) else None
    props = props if isinstance(props, dict) else {}
    if not isinstance(fit_params, (list, tuple)) or not fit_params:
        raise RequestError(400, "name at least one parameter to fit", field="fit")
    if len(set(fit_params)) != len(fit_params):
        raise RequestError(400, "a fitted parameter is named twice", field="fit")
    for name in [*ranges, *start]:
        if name not in fit_params:
            raise RequestError(
                400, f"{name!r} has a range or start but is not fitted", field="fit", parameter=name
            )
    for name in fit_params:
        prop = props.get(name) if isinstance(name, str) else None
        if not isinstance(prop, dict):
            raise RequestError(
                400, f"{name!r} is not a parameter of the twin", field="fit", parameter=str(name)
            )
        if prop.get("type") != "number" or "enum" in prop:
            kind = "a choice" if "enum" in prop else prop.get("type", "untyped")
            raise RequestError(
                400,
                f"parameter {name!r} is {kind}; only number parameters can be fitted",
                field="fit",
                parameter=name,
            )
    found = ranges_from_schema(schema, given={name: ranges.get(name) for name in fit_params})
    bounds = {name: (float(found[name].low), float(found[name].high)) for name in fit_params}
    x0: dict[str, float] = {}
    for name in fit_params:
        lo, hi = bounds[name]
        default = props[name].get("default")
        if name in start:
            value = start[name]
            if not _number(value) or not lo <= value <= hi:
                raise RequestError(
                    400,
                    f"start {value!r} of {name!r} is not a number within [{lo}, {hi}]",
                    field="start",
                    parameter=name,
                )
            x0[name] = float(value)
        elif _number(default) and lo <= default <= hi:
            x0[name] = float(default)
        else:
            x0[name] = 0.5 * (lo + hi)
    return bounds, x0


# --- the fit ------------------------------------------------------------------------------


def _scale(y: np.ndarray) -> float:
    """A series' residual scale: the standard deviation of its data.

    Dividing by it makes each series' residuals dimensionless and of comparable size,
    so a temperature in K and a level in mm weigh alike, whatever the units, and a
    series with many points does not drown one with few only because its numbers are
    larger. Data that does not vary falls back to its magnitude (or 1).
    """
    s = float(np.std(y))
    if s > 0 and math.isfinite(s):
        return s
    m = float(np.max(np.abs(y))) if y.size else 0.0
    return m if m > 0 else 1.0


def _simulated_at(
    name: str, simulated: Mapping[str, Series], t_data: np.ndarray
) -> tuple[np.ndarray, Series]:
    """The simulated series ``name`` interpolated at the data's times, and the series."""
    if name not in simulated:
        raise RequestError(
            400,
            f"the twin recorded no series {name!r} that the data mapping names",
            field="mapping",
            series=name,
        )
    t_sim = np.asarray(simulated[name][0], dtype=float).ravel()
    y_sim = np.asarray(simulated[name][1], dtype=float).ravel()
    if t_sim.size == 0 or t_sim.size != y_sim.size or not np.all(np.isfinite(t_sim)):
        raise RequestError(
            400,
            f"simulated series {name!r} is empty, uneven or has times that are no numbers",
            field="mapping",
            series=name,
        )
    if np.any(np.diff(t_sim) < 0):
        order = np.argsort(t_sim, kind="stable")
        t_sim, y_sim = t_sim[order], y_sim[order]
    lo, hi = float(t_data[0]), float(t_data[-1])
    tol = 1e-9 * max(1.0, abs(lo), abs(hi))
    if t_sim[0] > lo + tol or t_sim[-1] < hi - tol:
        raise RequestError(
            400,
            f"simulated series {name!r} covers t in [{t_sim[0]:g}, {t_sim[-1]:g}] but the "
            f"data spans [{lo:g}, {hi:g}]: simulate the whole span",
            field="mapping",
            series=name,
        )
    return np.interp(t_data, t_sim, y_sim), (t_sim, y_sim)


def _check_fit_inputs(
    data: Mapping[str, Series],
    fit_params: list[str],
    bounds: Mapping[str, tuple[float, float]],
    x0: Mapping[str, float],
    max_evaluations: int,
) -> None:
    if not data:
        raise RequestError(400, "there is no data to fit", field="data")
    if not fit_params or len(set(fit_params)) != len(fit_params):
        raise RequestError(400, "name each fitted parameter once", field="fit")
    for name in fit_params:
        if name not in bounds:
            raise RequestError(400, f"{name!r} has no bounds", field="ranges", parameter=name)
        lo, hi = bounds[name]
        if not (_number(lo) and _number(hi) and lo < hi):
            raise RequestError(
                400, f"bounds of {name!r} are not finite, or empty", field="ranges", parameter=name
            )
        if name not in x0 or not _number(x0[name]) or not lo <= x0[name] <= hi:
            raise RequestError(
                400, f"start of {name!r} is not within its bounds", field="start", parameter=name
            )
    m = sum(len(t) for t, _ in data.values())
    if m <= len(fit_params):
        raise RequestError(
            400,
            f"{m} data points cannot fit {len(fit_params)} parameters with standard errors",
            field="data",
        )
    if isinstance(max_evaluations, bool) or not isinstance(max_evaluations, int):
        raise RequestError(400, "max_evaluations must be an integer", field="max_evaluations")
    if max_evaluations < len(fit_params) + 1:
        raise RequestError(
            400,
            f"max_evaluations must be at least {len(fit_params) + 1}: one simulation and "
            "one more per fitted parameter for the Jacobian",
            field="max_evaluations",
        )


def fit(
    simulate: Simulate,
    data: Mapping[str, Series],
    fit_params: list[str],
    bounds: Mapping[str, tuple[float, float]],
    x0: Mapping[str, float],
    max_evaluations: int = 200,
) -> CalibrationResult:
    """Fit ``fit_params`` so that the simulated series match the data.

    The residual vector is, for each mapped series, the simulation interpolated at the
    data's times minus the data, divided by that data's standard deviation (see
    ``_scale``), all concatenated. ``least_squares`` (trust-region reflective) keeps
    every value within ``bounds``; ``x_scale="jac"`` lets parameters of very different
    magnitudes (a heat capacity of 300, a conductance of 0.5) take steps of sensible
    size. The Jacobian is forward differences with a relative step of ``DIFF_STEP``.

    ``max_evaluations`` caps the simulations (Jacobian ones included): least_squares
    is allowed ``max_evaluations // (p + 1)`` steps, each costing at most one
    simulation and ``p`` more for the Jacobian. Standard errors come from the Jacobian
    at the optimum, cov = inv(JᵀJ) · RSS / (m - p), in the parameters' own units; a
    parameter the data cannot tell apart from another gets an infinite one.
    """
    from scipy.optimize import least_squares

    fit_params = list(fit_params)
    _check_fit_inputs(data, fit_params, bounds, x0, max_evaluations)
    names = list(data)
    t_data = {k: np.asarray(data[k][0], dtype=float) for k in names}
    y_data = {k: np.asarray(data[k][1], dtype=float) for k in names}
    scales = {k: _scale(y_data[k]) for k in names}
    lb = np.array([bounds[p][0] for p in fit_params], dtype=float)
    ub = np.array([bounds[p][1] for p in fit_params], dtype=float)
    start = np.array([x0[p] for p in fit_params], dtype=float)

    calls = 0
    # the simulation at the lowest cost so far, so the best one need not run again
    best: dict[str, Any] = {"cost": math.inf, "x": None, "sim": None}

    def residuals(x: np.ndarray) -> np.ndarray:
        nonlocal calls
        calls += 1
        values = {p: float(v) for p, v in zip(fit_params, x, strict=True)}
        simulated = simulate(values)
        parts = []
        kept = {}
        for k in names:
            at, series = _simulated_at(k, simulated, t_data[k])
            parts.append((at - y_data[k]) / scales[k])
            kept[k] = series
        r = np.concatenate(parts)
        cost = 0.5 * float(r @ r)
        if calls == 1 and not math.isfinite(cost):
            finite = [bool(np.all(np.isfinite(part))) for part in parts]
            bad = names[finite.index(False)]
            raise RequestError(
                400,
                f"simulated series {bad!r} is not finite at the starting values",
                field="mapping",
                series=bad,
            )
        if cost < best["cost"]:
            best.update(cost=cost, x=x.copy(), sim=kept)
        return r

    p = len(fit_params)
    res = least_squares(
        residuals,
        start,
        bounds=(lb, ub),
        method="trf",
        x_scale="jac",
        jac="2-point",
        diff_step=DIFF_STEP,
        max_nfev=max(1, max_evaluations // (p + 1)),
    )
    if best["x"] is not None and np.array_equal(best["x"], res.x):
        simulated_best = best["sim"]
    else:  # a Jacobian point that was lower still, by a hair: run the optimum itself
        again = simulate({p_: float(v) for p_, v in zip(fit_params, res.x, strict=True)})
        calls += 1
        simulated_best = {k: _simulated_at(k, again, t_data[k])[1] for k in names}
    std = _std_errors(res.jac, res.fun, p)
    values = {p_: float(v) for p_, v in zip(fit_params, res.x, strict=True)}
    resid: dict[str, Series] = {}
    rmse: dict[str, float] = {}
    r2: dict[str, float] = {}
    for k in names:
        at = np.interp(t_data[k], *simulated_best[k])
        r = at - y_data[k]
        resid[k] = (t_data[k], r)
        rmse[k] = float(np.sqrt(np.mean(r**2)))
        total = float(np.sum((y_data[k] - y_data[k].mean()) ** 2))
        r2[k] = 1.0 - float(r @ r) / total if total > 0 else math.nan
    return CalibrationResult(
        values=values,
        std_errors=dict(zip(fit_params, std, strict=True)),
        initial={p_: float(x0[p_]) for p_ in fit_params},
        bounds={p_: (float(bounds[p_][0]), float(bounds[p_][1])) for p_ in fit_params},
        cost=float(res.cost),
        rmse=rmse,
        r2=r2,
        n_evaluations=calls,
        success=bool(res.success),
        message=str(res.message),
        residuals=resid,
        at_bound=[p_ for p_, a in zip(fit_params, res.active_mask, strict=True) if a != 0],
        data={k: (t_data[k], y_data[k]) for k in names},
        simulated=simulated_best,
    )


def _std_errors(jac: np.ndarray, fun: np.ndarray, p: int) -> list[float]:
    """Standard errors from the Jacobian of the residuals at the optimum.

    cov = inv(JᵀJ) · s², s² = RSS / (m - p): the Gauss-Newton covariance with the noise
    variance estimated from the fit itself (the residuals are scaled, so s² is in
    scaled units and the covariance comes out in the parameters' units). Through the
    SVD of J, as curve_fit does; a rank-deficient J makes every error infinite.
    """
    jac = np.asarray(jac, dtype=float)
    m = fun.size
    if not np.all(np.isfinite(jac)):
        return [math.inf] * p
    _, s, vt = np.linalg.svd(jac, full_matrices=False)
    threshold = np.finfo(float).eps * max(jac.shape) * (s[0] if s.size else 0.0)
    if s.size < p or np.any(s <= threshold):
        return [math.inf] * p
    cov = (vt.T / s**2) @ vt * (float(fun @ fun) / (m - p))
    return [float(math.sqrt(v)) if v >= 0 else math.inf for v in np.diag(cov)]


# --- report, plot, configuration ------------------------------------------------------------


def _json_float(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def report(
    result: CalibrationResult,
    data: Mapping[str, Series] | None = None,
    simulated_best: Mapping[str, Series] | None = None,
) -> dict[str, Any]:
    """The fit as JSON: values, standard errors, the fit quality per series.

    ``data`` and ``simulated_best`` default to the result's own; a caller that has
    re-run the twin at the fitted values (to keep that run) passes its series, and the
    report's quality figures are then those of that run. NaN and infinity become null.
    """
    data = result.data if data is None else data
    simulated_best = result.simulated if simulated_best is None else simulated_best
    series = {}
    for k, (t, y) in data.items():
        t, y = np.asarray(t, dtype=float), np.asarray(y, dtype=float)
        at, (t_sim, _) = _simulated_at(k, simulated_best, t)
        r = at - y
        total = float(np.sum((y - y.mean()) ** 2))
        series[k] = {
            "points": int(t.size),
            "t_range": [float(t[0]), float(t[-1])],
            "simulated_t_range": [float(t_sim[0]), float(t_sim[-1])],
            "data_std": float(np.std(y)),
            "rmse": float(np.sqrt(np.mean(r**2))),
            "max_abs_residual": float(np.max(np.abs(r))),
            "mean_residual": float(np.mean(r)),
            "r2": _json_float(1.0 - float(r @ r) / total) if total > 0 else None,
        }
    parameters = {}
    for name, value in result.values.items():
        se = result.std_errors[name]
        parameters[name] = {
            "value": value,
            "std_error": _json_float(se),
            "relative_std_error": _json_float(se / abs(value)) if value else None,
            "initial": result.initial[name],
            "bounds": list(result.bounds[name]),
            "at_bound": name in result.at_bound,
        }
    return {
        "parameters": parameters,
        "series": series,
        "cost": _json_float(result.cost),
        "n_evaluations": result.n_evaluations,
        "success": result.success,
        "message": result.message,
    }


def residual_plot(result: CalibrationResult, path: Path) -> None:
    """A PNG: per series, the data against the fitted simulation, its residuals below."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    names = list(result.residuals)
    fig = Figure(figsize=(8, 3.6 * len(names)), layout="constrained")
    axes = fig.subplots(
        2 * len(names), 1, squeeze=False, gridspec_kw={"height_ratios": [3, 1.3] * len(names)}
    )[:, 0]
    for i, k in enumerate(names):
        top, bottom = axes[2 * i], axes[2 * i + 1]
        t, y = result.data[k]
        t_r, r = result.residuals[k]
        top.plot(t, y, ".", ms=3, color="0.35", label="data")
        if k in result.simulated:
            t_sim, y_sim = result.simulated[k]
            inside = (t_sim >= t[0]) & (t_sim <= t[-1])
            top.plot(t_sim[inside], y_sim[inside], "-", color="C0", label="fitted simulation")
        top.set_ylabel(k)
        top.set_title(f"{k}: RMSE {result.rmse[k]:.4g}, R² {result.r2[k]:.4f}", fontsize=10)
        top.legend(loc="best", fontsize=8)
        bottom.axhline(0.0, color="0.6", lw=0.8)
        bottom.plot(t_r, r, ".", ms=3, color="C3")
        bottom.set_ylabel("residual")
        bottom.sharex(top)
    axes[-1].set_xlabel("t")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    write_bytes_atomic(Path(path), buffer.getvalue())  # a reader never sees half a PNG


def fit_config(result: CalibrationResult) -> dict[str, float]:
    """The fitted values to store as a named configuration of the twin."""
    return {name: float(value) for name, value in result.values.items()}
