"""A user's JupyterHub groups, asked of the hub with the service's own token."""

from __future__ import annotations

import json
import os
import time
from urllib.parse import quote

from tornado.httpclient import AsyncHTTPClient, HTTPClientError

from .errors import HUB_UNREACHABLE, APIError


class HubGroups:
    """Looks up group membership, cached briefly so a search costs no hub round trip."""

    def __init__(self, api_url: str | None = None, token: str | None = None, ttl: float = 5.0):
        self.api_url = (api_url or os.environ.get("JUPYTERHUB_API_URL", "")).rstrip("/")
        self.token = token or os.environ.get("JUPYTERHUB_API_TOKEN", "")
        self.ttl = ttl
        self._cache: dict[str, tuple[float, list[str]]] = {}

    async def of(self, user: str) -> list[str]:
        now = time.monotonic()
        hit = self._cache.get(user)
        if hit and now - hit[0] < self.ttl:
            return hit[1]
        groups: list[str] = []
        if self.api_url and self.token:
            try:
                resp = await AsyncHTTPClient().fetch(
                    f"{self.api_url}/users/{quote(user)}",
                    headers={"Authorization": f"token {self.token}"},
                    request_timeout=10,
                )
                groups = sorted(json.loads(resp.body).get("groups") or [])
            except (HTTPClientError, OSError, ValueError) as e:
                down = isinstance(e, OSError) or getattr(e, "code", 0) in (599, 502, 503, 504)
                if hit:
                    groups = hit[1]  # the last answer, rather than none
                elif down:
                    # no groups would hide the group libraries as if they did not exist
                    raise APIError(503, HUB_UNREACHABLE) from None
        self._cache[user] = (now, groups)
        return groups
