"""Calling the library service as a user, with that user's token."""

from __future__ import annotations

import contextlib
import json
from typing import Any
from urllib.parse import quote

from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest

from .errors import APIError


class LibraryClient:
    """Async client for the library REST API (``/services/library/api/``)."""

    def __init__(self, base_url: str, token: str, timeout: float = 20.0):
        self.base_url = base_url.rstrip("/") + "/"
        self.token = token
        self.timeout = timeout

    async def request(
        self, method: str, endpoint: str, query: str = "", body: Any = None
    ) -> tuple[int, Any]:
        """Call ``api/<endpoint>``; errors come back as APIError with the service's body."""
        if not self.base_url or not self.token:
            raise APIError(503, "the library service is not configured for this server")
        url = f"{self.base_url}api/{quote(endpoint, safe='/:')}" + (f"?{query}" if query else "")
        request = HTTPRequest(
            url,
            method=method,
            headers={
                "Authorization": f"token {self.token}",
                "Accept": "application/json",
                "Content-Type": "application/json",
            },
            body=None if method == "GET" else json.dumps(body if body is not None else {}),
            request_timeout=self.timeout,
        )
        try:
            resp = await AsyncHTTPClient().fetch(request)
        except HTTPClientError as e:
            fields: dict[str, Any] = {"message": f"library service answered {e.code}"}
            if e.response is not None and e.response.body:
                with contextlib.suppress(ValueError, AttributeError):
                    fields.update(json.loads(e.response.body))
            fields.pop("status", None)
            message = fields.pop("message")
            raise APIError(502 if e.code >= 500 else e.code, message, **fields) from None
        except OSError as e:
            raise APIError(502, f"library service unreachable: {e}") from None
        return resp.code, json.loads(resp.body) if resp.body else None

    async def get(self, endpoint: str, query: str = "") -> Any:
        return (await self.request("GET", endpoint, query))[1]

    async def assets(self) -> list[dict[str, Any]]:
        return (await self.get("assets"))["assets"]
