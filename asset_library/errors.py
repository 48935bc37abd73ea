"""Errors that reach API clients as JSON naming the field or path at fault.

Shared by the library service and the workspace runtime: request bodies are parsed by
``json_object`` (bounded in size and depth, finite numbers only) and every error body
is short, whatever the request carried.
"""

from __future__ import annotations

import json
import math
from typing import Any

from tornado import web

MAX_BODY_BYTES = 1 << 20
MAX_JSON_DEPTH = 64
MAX_MESSAGE = 300
MAX_FIELD_VALUE = 200
HUB_UNREACHABLE = "the hub is not reachable; try again in a moment"


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


class APIError(web.HTTPError):
    """An HTTP error whose JSON body carries extra fields (the field or path at fault).

    The message is cut to MAX_MESSAGE characters and each text field to
    MAX_FIELD_VALUE, so an error never echoes a huge input back.
    """

    def __init__(self, status: int, message: str, **fields: Any):
        message = _shorten(str(message), MAX_MESSAGE)
        super().__init__(status, message.replace("%", "%%"))
        self.message = message
        self.fields = {
            k: _shorten(v, MAX_FIELD_VALUE) if isinstance(v, str) else v for k, v in fields.items()
        }

    def body(self) -> dict[str, Any]:
        return {"status": self.status_code, "message": self.message, **self.fields}


def _path(parts: tuple) -> str:
    return _shorten(".".join(str(p) for p in parts), MAX_FIELD_VALUE)


def check_json_value(data: Any, max_depth: int = MAX_JSON_DEPTH) -> None:
    """Refuse (400) parsed JSON nested deeper than ``max_depth`` or holding NaN or
    ±Infinity; the error names the field path (``parameters.k1``, ``values.2``).

    Iterative: no value is too deep for the check itself.
    """
    stack: list[tuple[Any, tuple, int]] = [(data, (), 0)]
    while stack:
        value, path, depth = stack.pop()
        if isinstance(value, float):
            if not math.isfinite(value):
                raise APIError(
                    400,
                    f"{_path(path) or 'the body'} is {value}: only finite numbers are allowed",
                    field=_path(path) or "body",
                )
        elif isinstance(value, (dict, list)):
            if depth >= max_depth:
                raise APIError(
                    400,
                    f"request body is nested too deeply (more than {max_depth} levels)",
                    field=_path(path) or "body",
                )
            items = value.items() if isinstance(value, dict) else enumerate(value)
            # reversed: the first non-finite number in document order is the one named
            stack.extend((v, (*path, k), depth + 1) for k, v in reversed(list(items)))


def json_object(
    body: bytes, max_bytes: int = MAX_BODY_BYTES, max_depth: int = MAX_JSON_DEPTH
) -> dict[str, Any]:
    """A request body that must be a JSON object; anything else is a 4xx naming it.

    413 over ``max_bytes``; 400 for invalid JSON, a body that is not an object, nesting
    deeper than ``max_depth`` ("nested too deeply"), and NaN/Infinity/-Infinity or
    numbers too large for a float anywhere (naming the field path).
    """
    if len(body or b"") > max_bytes:
        raise APIError(413, f"request body larger than {max_bytes} bytes", field="body")
    try:
        data = json.loads(body or b"{}")
    except RecursionError:
        raise APIError(
            400,
            f"request body is nested too deeply (more than {max_depth} levels)",
            field="body",
        ) from None
    except ValueError:
        raise APIError(400, "request body is not valid JSON", field="body") from None
    if not isinstance(data, dict):
        raise APIError(400, "request body must be a JSON object", field="body")
    check_json_value(data, max_depth)
    return data


def _finite(data: Any) -> Any:
    """A copy of JSON-like data with NaN and ±Infinity as None (iteratively)."""
    root: list[Any] = [data]
    stack: list[tuple[Any, Any, Any]] = [(root, 0, data)]
    while stack:
        parent, key, value = stack.pop()
        if isinstance(value, float) and not math.isfinite(value):
            parent[key] = None
        elif isinstance(value, dict):
            copy = dict(value)
            parent[key] = copy
            stack.extend((copy, k, v) for k, v in copy.items())
        elif isinstance(value, (list, tuple)):
            copy = list(value)
            parent[key] = copy
            stack.extend((copy, i, v) for i, v in enumerate(copy))
    return root[0]


def dumps(data: Any, **kwargs: Any) -> str:
    """Strict JSON for a response or a record: never NaN or Infinity (they become null).

    The data is walked only when it holds one, so the common case costs one encoding.
    """
    kwargs.setdefault("default", str)
    try:
        return json.dumps(data, allow_nan=False, **kwargs)
    except ValueError as e:
        if "ircular" in str(e):
            raise
        return json.dumps(_finite(data), allow_nan=False, **kwargs)
