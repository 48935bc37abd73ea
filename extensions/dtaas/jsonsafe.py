"""JSON that every client can parse: finite numbers only, and short messages.

Python's ``json`` reads and writes ``NaN`` and ``Infinity``, which no browser's
``JSON.parse`` accepts; YAML has ``.nan`` and ``.inf``. The runtime refuses them
on the way in (naming where they are); ``asset_library.errors.dumps`` turns them into
``null`` on the way out.
"""

from __future__ import annotations

import math
from typing import Any

MESSAGE_CHARS = 300  # an error message quotes at most this much of what it was given


def non_finite(value: Any) -> list[str | int] | None:
    """The path to the first NaN or infinity in ``value``, or None if there is none."""
    stack: list[tuple[tuple, Any]] = [((), value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, float) and not math.isfinite(item):
            return list(path)
        if isinstance(item, dict):
            stack.extend(((*path, k), v) for k, v in reversed(list(item.items())))
        elif isinstance(item, (list, tuple)):
            stack.extend(((*path, i), v) for i, v in reversed(list(enumerate(item))))
    return None


def dotted(path: list[str | int] | tuple) -> str:
    """``["parameters", "x", 0]`` as ``parameters.x.0``."""
    return ".".join(str(p) for p in path)


def shorten(text: Any, limit: int = MESSAGE_CHARS) -> Any:
    """A string cut to ``limit`` characters, saying how long it was; anything else as is."""
    if not isinstance(text, str) or len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text)} characters)"


def short_strings(value: Any, limit: int = MESSAGE_CHARS) -> Any:
    """Every string in ``value`` shortened: error bodies never echo a huge input back."""
    if isinstance(value, str):
        return shorten(value, limit)
    if isinstance(value, dict):
        return {k: short_strings(v, limit) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [short_strings(v, limit) for v in value]
    return value
