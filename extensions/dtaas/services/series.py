"""The platform's time-series store as a notebook uses it: ``dtaas.services.timeseries()``.

```python
import dtaas

with dtaas.services.timeseries() as store:          # or timeseries(group="lab")
    store.write("T_air", 21.5)                       # one value, now
    store.write("T_air", values, t=times)            # arrays, batched through COPY
    store.write("T_air", series)                     # a pandas Series on a DatetimeIndex
    store.write("incubator", frame)                  # each column: series "incubator/<col>"
    df = store.read("T_air", start="2024-01-01")     # columns t, value, tags
    both = store.read(["T_air", "T_box"])            # one frame with a series column
    store.series()                                   # the names stored
```

Each user has a PostgreSQL database of their own (``DTAAS_TS_DATABASE``) and one per group
they are in (``DTAAS_TS_GROUP_DATABASES``), with a table ``points(series, t, value, tags)``;
``store.connection`` is the psycopg connection for any other SQL. Times are stored with
their time zone (naive ones are taken as UTC; numbers as seconds since the epoch) and
read back in UTC. Endpoint and credentials come from the environment the hub gave the
server.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import math
import os
import struct
from collections.abc import Iterable
from typing import Any
from urllib.parse import unquote

import numpy as np
import pandas as pd

from . import ServiceUnavailable

STORE = "time-series store"
_COPY = "COPY points (series, t, value, tags) FROM STDIN (FORMAT BINARY)"
_SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + b"\x00\x00\x00\x00" * 2
_TRAILER = b"\xff\xff"
_PG_EPOCH_US = 946_684_800_000_000  # 2000-01-01 in microseconds since 1970
_REFUSED = ("password authentication failed", "permission denied", "no pg_hba.conf entry")


def group_databases(raw: str | None = None) -> dict[str, str]:
    """``DTAAS_TS_GROUP_DATABASES`` (``g=ts_g_g,...``) as {group: database}."""
    raw = os.environ.get("DTAAS_TS_GROUP_DATABASES", "") if raw is None else raw
    found = {}
    for item in raw.split(","):
        group, sep, database = item.partition("=")
        if sep and database:
            found[unquote(group)] = database
    return found


def open_store(group: str | None = None, timeout: float = 5.0) -> Store:
    """A connected store of this user's series, or of ``group``'s.

    Raises ``PermissionError`` when the store refuses the credentials (or the user is not
    in ``group``) and ``ServiceUnavailable`` when it cannot be reached within ``timeout``.
    """
    env = os.environ
    names = ("DTAAS_TS_HOST", "DTAAS_TS_PORT", "DTAAS_TS_USER", "DTAAS_TS_PASSWORD")
    missing = [n for n in (*names, "DTAAS_TS_DATABASE") if not env.get(n)]
    if missing:
        raise ServiceUnavailable(STORE, f"this server was started without {', '.join(missing)}")
    user = env["DTAAS_TS_USER"]
    database = env["DTAAS_TS_DATABASE"]
    if group is not None:
        groups = group_databases()
        if group not in groups:
            known = ", ".join(sorted(groups)) or "none"
            raise PermissionError(
                f"the {STORE} has no database of group {group!r} for {user} "
                f"(the groups of this server: {known}; a server started before you joined "
                "a group gets its database when it starts again)"
            )
        database = groups[group]
    return Store(
        host=env["DTAAS_TS_HOST"],
        port=int(env["DTAAS_TS_PORT"]),
        user=user,
        password=env["DTAAS_TS_PASSWORD"],
        database=database,
        timeout=timeout,
    )


class Store:
    """Writes and reads points of named series in one database."""

    def __init__(
        self, host: str, port: int, user: str, password: str, database: str, timeout: float = 5.0
    ):
        import psycopg

        self.user = user
        self.database = database
        try:
            self.connection = psycopg.connect(
                host=host,
                port=port,
                user=user,
                password=password,
                dbname=database,
                # libpq counts whole seconds, at least 2
                connect_timeout=max(2, math.ceil(timeout)),
                autocommit=True,
                application_name="dtaas",
                options="-c TimeZone=UTC",
            )
        except psycopg.OperationalError as e:
            why = _why(e)
            if any(marker in str(e) for marker in _REFUSED):
                raise PermissionError(
                    f"the {STORE} refused {user} for database {database}: {why}"
                ) from None
            if "does not exist" in why:
                why += " (the hub makes it when your server starts: restart your server)"
            raise ServiceUnavailable(STORE, f"{host}:{port}: {why}") from None

    # --- writing -------------------------------------------------------------------------

    def write(
        self,
        series: str,
        values: Any,
        t: Any = None,
        tags: dict | Iterable[dict | None] | None = None,
    ) -> int:
        """Store points; returns how many.

        ``values``: a number (at ``t``, default now), an array or list (``t`` an array of
        the same length), a pandas Series (``t`` default: its DatetimeIndex) or a DataFrame
        (a ``value`` column with optional ``t`` and ``tags`` columns, or else one series per
        column, named ``<series>/<column>``). ``tags``: one dict for every point, or one per
        point. None and NaN values are stored as NaN.
        """
        chunks = list(_chunks(series, values, t, tags))
        count = sum(len(c[1]) for c in chunks)
        if not count:
            return 0
        with self._errors(), self.connection.cursor() as cur, cur.copy(_COPY) as copy:
            copy.write(_SIGNATURE)
            for name, us, vals, tag in chunks:
                copy.write(_binary_rows(name, us, vals, tag))
            copy.write(_TRAILER)
        return count

    # --- reading -------------------------------------------------------------------------

    def read(self, series: str | Iterable[str], start: Any = None, end: Any = None) -> pd.DataFrame:
        """The points of one series (columns t, value, tags), or of several (with a
        ``series`` column), ordered by time, with ``start <= t < end``."""
        one = isinstance(series, str)
        names = [series] if one else list(series)
        query = (
            "COPY (SELECT series, round(date_part('epoch', t) * 1000000)::int8,"
            " COALESCE(value, 'NaN'), tags FROM points WHERE series = ANY(%s)"
        )
        params: list[Any] = [names]
        if start is not None:
            query += " AND t >= %s"
            params.append(_timestamp(start))
        if end is not None:
            query += " AND t < %s"
            params.append(_timestamp(end))
        query += " ORDER BY series, t) TO STDOUT (FORMAT CSV)"
        with self._errors(), self.connection.cursor() as cur, cur.copy(query, params) as copy:
            data = b"".join(copy)
        frame = pd.read_csv(
            io.BytesIO(data),
            header=None,
            names=["series", "t", "value", "tags"],
            dtype={"series": object, "t": np.int64, "value": float, "tags": object},
            keep_default_na=False,
            na_values={"value": ["NaN"], "tags": [""]},
            engine="c",
        )
        frame["t"] = pd.to_datetime(frame["t"].to_numpy(), unit="us", utc=True)
        # most points share their tags: each distinct text is parsed once
        parsed: dict[Any, Any] = {}
        frame["tags"] = [
            parsed[raw] if raw in parsed else parsed.setdefault(raw, _tags(raw))
            for raw in frame["tags"]
        ]
        return frame.drop(columns="series") if one else frame

    def series(self) -> list[str]:
        """The names of the series stored (a skip scan of the index)."""
        query = """
            WITH RECURSIVE s AS (
                (SELECT series FROM points ORDER BY series LIMIT 1)
                UNION ALL
                SELECT (SELECT p.series FROM points p WHERE p.series > s.series
                        ORDER BY p.series LIMIT 1)
                FROM s WHERE s.series IS NOT NULL
            )
            SELECT series FROM s WHERE series IS NOT NULL"""
        with self._errors():
            return [r[0] for r in self.connection.execute(query).fetchall()]

    # --- lifetime ------------------------------------------------------------------------

    def close(self) -> None:
        self.connection.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<time-series store {self.database} as {self.user}>"

    def _errors(self):
        return _Errors(self)


class _Errors:
    """psycopg's errors as the store's: refused is PermissionError, gone is ServiceUnavailable."""

    def __init__(self, store: Store):
        self.store = store

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind, error, tb) -> bool:
        import psycopg

        if isinstance(error, psycopg.errors.InsufficientPrivilege):
            raise PermissionError(
                f"the {STORE} refused {self.store.user} in {self.store.database}: {_why(error)}"
            ) from None
        if isinstance(error, psycopg.OperationalError):
            raise ServiceUnavailable(STORE, _why(error)) from None
        return False


def _why(error: Exception) -> str:
    """The server's own words (its FATAL line and DETAIL), else the whole message."""
    lines = [line.strip() for line in str(error).strip().splitlines() if line.strip()]
    said = [
        part.split(":", 1)[1].strip() if ":" in part else part
        for line in lines
        for part in [line[line.find("FATAL:") :] if "FATAL:" in line else line]
        if "FATAL:" in line or line.startswith("DETAIL:")
    ]
    return " ".join(said) or " ".join(lines) or type(error).__name__


# --- points as COPY rows ---------------------------------------------------------------


def _timestamp(value: Any) -> dt.datetime:
    stamp = _times(value, 1)
    return dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(
        microseconds=int(stamp[0])
    )


def _times(t: Any, n: int) -> np.ndarray:
    """Microseconds since 1970 (UTC) of ``n`` points."""
    if t is None:
        if n != 1:
            raise ValueError(f"{n} values need their times: pass t= (or a DatetimeIndex)")
        t = pd.Timestamp.now(tz="UTC")
    scalar = np.ndim(t) == 0 and not isinstance(t, (pd.Index, pd.Series))
    raw = [t] if scalar else t
    if isinstance(raw, pd.Series):
        raw = raw.to_numpy()
    arr = np.asarray(raw)
    if arr.dtype.kind in "iuf":
        index = pd.to_datetime(arr.astype(float) * 1e6, unit="us", utc=True)
    else:
        index = pd.DatetimeIndex(pd.to_datetime(raw, utc=True))
    us = index.as_unit("us").asi8
    if len(us) != n:
        raise ValueError(f"{n} values but {len(us)} times")
    return us


def _floats(values: Any) -> np.ndarray:
    arr = pd.Series(values, dtype=object).to_numpy() if isinstance(values, list) else values
    try:
        return np.asarray(pd.to_numeric(np.asarray(arr).ravel(), errors="raise"), dtype=float)
    except (TypeError, ValueError) as e:
        raise ValueError(f"values must be numbers: {e}") from None


def _chunks(series: str, values: Any, t: Any, tags: Any):
    """(name, microseconds, floats, tags) per series, tags one dict or one per point."""
    if not isinstance(series, str) or not series:
        raise ValueError("a series is named by a non-empty string")
    if isinstance(values, pd.DataFrame):
        frame = values
        if t is None and "t" in frame.columns:
            t = frame["t"]
        elif t is None and isinstance(frame.index, pd.DatetimeIndex):
            t = frame.index
        if "value" in frame.columns:
            if tags is None and "tags" in frame.columns:
                tags = list(frame["tags"])
            yield _chunk(series, frame["value"], t, tags)
            return
        for column in frame.columns:
            if column in ("t", "tags"):
                continue
            yield _chunk(f"{series}/{column}", frame[column], t, tags)
        return
    if isinstance(values, pd.Series) and t is None and isinstance(values.index, pd.DatetimeIndex):
        t = values.index
    yield _chunk(series, values, t, tags)


def _chunk(series: str, values: Any, t: Any, tags: Any):
    vals = _floats(values.to_numpy() if isinstance(values, pd.Series) else values)
    us = _times(t, len(vals))
    if tags is not None and not isinstance(tags, dict):
        tags = list(tags)
        if len(tags) != len(vals):
            raise ValueError(f"{len(vals)} values but {len(tags)} tags")
    return series, us, vals, tags


def _tags(raw: Any) -> Any:
    return json.loads(raw) if isinstance(raw, str) else None


def _jsonb(tags: dict | None) -> bytes | None:
    return None if tags is None else b"\x01" + json.dumps(tags).encode()


def _binary_rows(series: str, us: np.ndarray, values: np.ndarray, tags: Any) -> bytes:
    """Rows of PostgreSQL's binary COPY format: built as one numpy record array when every
    point has the same tags (the usual case), row by row otherwise."""
    name = series.encode()
    n = len(values)
    if isinstance(tags, list):
        parts = []
        for i in range(n):
            tag = _jsonb(tags[i])
            parts.append(
                _binary_rows(series, us[i : i + 1], values[i : i + 1], None)[:-4]
                + (struct.pack(">i", len(tag)) + tag if tag is not None else b"\xff\xff\xff\xff")
            )
        return b"".join(parts)
    tag = _jsonb(tags)
    fields = [
        ("count", ">i2"),
        ("name_len", ">i4"),
        ("name", f"S{len(name)}"),
        ("t_len", ">i4"),
        ("t", ">i8"),
        ("v_len", ">i4"),
        ("v", ">f8"),
        ("tags_len", ">i4"),
    ]
    if tag is not None:
        fields.append(("tags", f"S{len(tag)}"))
    rows = np.empty(n, dtype=np.dtype(fields))
    rows["count"] = 4
    rows["name_len"] = len(name)
    rows["name"] = name
    rows["t_len"] = 8
    rows["t"] = us - _PG_EPOCH_US
    rows["v_len"] = 8
    rows["v"] = values
    if tag is None:
        rows["tags_len"] = -1
    else:
        rows["tags_len"] = len(tag)
        rows["tags"] = tag
    return rows.tobytes()
