"""``dtaas.record``: a notebook stores a value in its run record.

The value travels as a display output of its own MIME type, so it lives in the
executed notebook too and the run engine reads it back without side channels.
"""

from __future__ import annotations

import json
import math
import sys
from typing import Any

RECORD_MIMETYPE = "application/vnd.dtaas.record+json"
MAX_RECORD_BYTES = 1 << 20


def _plain(value: Any) -> Any:
    """Turn numpy scalars, arrays and small tables into plain JSON values."""
    if hasattr(value, "to_dict") and hasattr(value, "columns"):  # a pandas DataFrame
        return {str(k): _plain(v) for k, v in value.to_dict(orient="list").items()}
    if hasattr(value, "tolist"):  # numpy arrays and scalars: their NaNs too
        return _plain(value.tolist())
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def record(name: str, value: Any, t: float | None = None) -> None:
    """Record ``value`` under ``name`` in this run's record (JSON-able, at most 1 MiB).

    With ``t``, the value is one point of a time series: appended to
    ``outputs/records/<name>.csv`` and shown as the run's latest live value.
    """
    if not isinstance(name, str) or not name:
        raise ValueError("record name must be a non-empty string")
    if t is not None:
        from .kernel import record_series

        record_series(name, value, t)
        return
    plain = _plain(value)
    text = json.dumps(plain, allow_nan=False)
    if len(text) > MAX_RECORD_BYTES:
        raise ValueError(f"recorded value {name!r} is larger than {MAX_RECORD_BYTES} bytes")
    from IPython.display import display

    if "dtaas.kernel" in sys.modules:  # a live twin: its snapshots keep the value too
        sys.modules["dtaas.kernel"].remember(name, plain)

    display(
        {RECORD_MIMETYPE: {"name": name, "value": plain}, "text/plain": f"{name} = {text[:200]}"},
        raw=True,
    )
