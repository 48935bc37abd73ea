"""A sweep's results as one table: a row per scenario, saved as CSV and Parquet.

Pure but for the write: columns are the parameters under their own names, the recorded
values under theirs (``recorded.<name>`` only where a name clashes), then status, error,
run id and, once ranked, rank, feasible and score. Each file is staged beside its final
path and moved into place, so a reader never sees half a table.
"""

from __future__ import annotations

import json
import numbers
import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

CSV_NAME = "results.csv"
PARQUET_NAME = "results.parquet"
FIXED_COLUMNS = ("scenario", "status", "error", "run")
RANK_COLUMNS = ("rank", "feasible", "score")
RESERVED = frozenset(FIXED_COLUMNS + RANK_COLUMNS)


def _ordered_names(rows: Sequence[Mapping[str, Any]], key: str) -> list[str]:
    names: dict[str, None] = {}
    for row in rows:
        for name in row.get(key) or {}:
            names.setdefault(str(name), None)
    return list(names)


def result_columns(rows: Sequence[Mapping[str, Any]]) -> tuple[dict[str, str], dict[str, str]]:
    """({parameter: column}, {recorded name: column}): plain names, prefixed with
    ``parameters.`` or ``recorded.`` only where one would clash with another column."""
    taken = set(RESERVED)
    parameters: dict[str, str] = {}
    for name in _ordered_names(rows, "parameters"):
        column = name if name not in taken else f"parameters.{name}"
        parameters[name] = column
        taken.add(column)
    recorded: dict[str, str] = {}
    for name in _ordered_names(rows, "recorded"):
        column = name if name not in taken else f"recorded.{name}"
        recorded[name] = column
        taken.add(column)
    return parameters, recorded


def _cell(value: Any) -> Any:
    """A value a table cell holds: scalars as they are, series and objects as JSON text."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, (str, bool, numbers.Number)):
        return value
    if isinstance(value, np.ndarray):
        value = value.tolist()
    try:
        return json.dumps(value, separators=(",", ":"), allow_nan=False, default=str)
    except ValueError:  # NaN inside a series: JSON has no word for it, Python's repr does
        return json.dumps(value, separators=(",", ":"), default=str)


def _one_type(values: list[Any]) -> list[Any]:
    """A column of one kind: mixed strings and numbers (an enum of both) become text, so
    Parquet can store it."""
    kinds = {
        "bool" if isinstance(v, bool) else "number" if isinstance(v, numbers.Number) else "text"
        for v in values
        if v is not None
    }
    if len(kinds) <= 1:
        return values
    return [None if v is None else str(v) for v in values]


def results_frame(rows: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """One row per scenario (in scenario order): ``scenario``, the parameters, the recorded
    values, ``status``, ``error``, ``run``, and ``rank``/``feasible``/``score`` when the rows
    carry them. ``frame.attrs`` maps parameter and recorded names to their columns."""
    rows = sorted(rows, key=lambda r: r.get("scenario", 0))
    parameters, recorded = result_columns(rows)
    ranked = [c for c in RANK_COLUMNS if any(c in r for r in rows)]
    data: dict[str, list[Any]] = {"scenario": [r.get("scenario") for r in rows]}
    for key, columns in (("parameters", parameters), ("recorded", recorded)):
        for name, column in columns.items():
            data[column] = _one_type([_cell((r.get(key) or {}).get(name)) for r in rows])
    for column in ("status", "error", "run"):
        data[column] = [r.get(column) for r in rows]
    for column in ranked:
        data[column] = [r.get(column) for r in rows]
    frame = pd.DataFrame(data)
    frame["scenario"] = frame["scenario"].astype("Int64")
    for column in ("status", "error", "run"):
        frame[column] = frame[column].astype("string")
    if "rank" in frame:
        frame["rank"] = frame["rank"].astype("Int64")
    if "feasible" in frame:
        frame["feasible"] = frame["feasible"].astype("boolean")
    if "score" in frame:
        frame["score"] = frame["score"].astype("float64")
    frame.attrs["parameters"] = parameters
    frame.attrs["recorded"] = recorded
    return frame


def _replace_atomically(folder: Path, name: str, write: Any) -> Path:
    """Write through ``write(path)`` to a temporary file in ``folder``, then move it to
    ``folder/name``: the old file or the whole new one, never a part."""
    target = folder / name
    fd, staged = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(staged)
        with open(staged, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(staged, target)
    except BaseException:
        Path(staged).unlink(missing_ok=True)
        raise
    return target


def write_results(frame: pd.DataFrame, folder: str | os.PathLike[str]) -> tuple[Path, Path]:
    """The table as ``results.csv`` and ``results.parquet`` in ``folder`` (made if missing),
    each written atomically; returns their paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    plain = frame.copy()
    plain.attrs = {}  # Parquet would keep attrs as JSON metadata; the columns say it all
    csv_path = _replace_atomically(folder, CSV_NAME, lambda p: plain.to_csv(p, index=False))
    parquet_path = _replace_atomically(
        folder, PARQUET_NAME, lambda p: plain.to_parquet(p, index=False, engine="pyarrow")
    )
    return csv_path, parquet_path


def read_results(folder: str | os.PathLike[str]) -> pd.DataFrame:
    """The table ``write_results`` saved in ``folder`` (from its Parquet copy, types kept)."""
    return pd.read_parquet(Path(folder) / PARQUET_NAME, engine="pyarrow")
