"""Errors that reach API clients as JSON naming the field or path at fault."""

from __future__ import annotations

import json
from typing import Any

from tornado import web


class APIError(web.HTTPError):
    """An HTTP error whose JSON body carries extra fields (the field or path at fault)."""

    def __init__(self, status: int, message: str, **fields: Any):
        super().__init__(status, message.replace("%", "%%"))
        self.message = message
        self.fields = fields

    def body(self) -> dict[str, Any]:
        return {"status": self.status_code, "message": self.message, **self.fields}


def json_object(body: bytes) -> dict[str, Any]:
    """A request body that must be a JSON object; anything else is a 400 naming it."""
    try:
        data = json.loads(body or b"{}")
    except ValueError:
        raise APIError(400, "request body is not valid JSON", field="body") from None
    if not isinstance(data, dict):
        raise APIError(400, "request body must be a JSON object", field="body")
    return data
