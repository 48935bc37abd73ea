"""Errors that reach API clients as JSON naming the field or path at fault."""

from __future__ import annotations

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
