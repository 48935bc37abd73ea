"""Opaque page cursors: the sort key of the last row seen, plus its unique id."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

# per sort: the JSON types of the key values after the sort name
KEY_TYPES: dict[str, tuple[tuple[type, ...], ...]] = {
    "relevance": ((int,), (str,), (int,)),
    "title": ((str,), (int,)),
    "name": ((str,), (int,)),
    "modified": ((int, float), (int,)),
    "-modified": ((int, float), (int,)),
    "list": ((str,),),
}


def encode(sort: str, keys: list[Any]) -> str:
    raw = json.dumps([sort, *keys], separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(cursor: str, sort: str) -> list[Any]:
    """The key values in ``cursor``; ValueError("cursor") for anything not made by encode."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise ValueError("cursor") from None
    types = KEY_TYPES[sort]
    if not isinstance(data, list) or len(data) != len(types) + 1 or data[0] != sort:
        raise ValueError("cursor")
    keys = data[1:]
    for value, allowed in zip(keys, types, strict=True):
        if isinstance(value, bool) or not isinstance(value, allowed):
            raise ValueError("cursor")
    return keys
