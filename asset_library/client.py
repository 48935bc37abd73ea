"""Calling the library service as a user, with that user's token."""

from __future__ import annotations

import contextlib
import json
from typing import Any

from tornado.httpclient import AsyncHTTPClient, HTTPClientError

from .errors import APIError


class LibraryClient:
    """Async client for the library REST API (``/services/library/api/``)."""

    def __init__(self, base_url: str, token: str, timeout: float = 20.0):
        self.base_url = base_url.rstrip("/") + "/"
        self.token = token
        self.timeout = timeout

    async def get(self, endpoint: str) -> Any:
        """GET ``api/<endpoint>``; library errors come back as APIError with their status."""
        if not self.base_url or not self.token:
            raise APIError(503, "the library service is not configured for this server")
        url = f"{self.base_url}api/{endpoint}"
        try:
            resp = await AsyncHTTPClient().fetch(
                url,
                headers={"Authorization": f"token {self.token}", "Accept": "application/json"},
                request_timeout=self.timeout,
            )
        except HTTPClientError as e:
            message = f"library service answered {e.code}"
            if e.response is not None and e.response.body:
                with contextlib.suppress(ValueError, AttributeError):
                    message = json.loads(e.response.body).get("message", message)
            raise APIError(502 if e.code >= 500 else e.code, message) from None
        except OSError as e:
            raise APIError(502, f"library service unreachable: {e}") from None
        return json.loads(resp.body)

    async def assets(self) -> list[dict[str, Any]]:
        return (await self.get("assets"))["assets"]
