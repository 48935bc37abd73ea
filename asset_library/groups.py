"""Users and groups as JupyterHub knows them, asked of the hub with the service's own token."""

from __future__ import annotations

import json
import os
import time
from urllib.parse import quote

from tornado.httpclient import AsyncHTTPClient, HTTPClientError

from .errors import HUB_UNREACHABLE, APIError

GROUP_ADMINS = "dtaas_admins"  # a group property: who manages the group library's grants


class HubGroups:
    """Looks up users, groups and membership, cached briefly so a search costs no hub
    round trip."""

    def __init__(self, api_url: str | None = None, token: str | None = None, ttl: float = 5.0):
        self.api_url = (api_url or os.environ.get("JUPYTERHUB_API_URL", "")).rstrip("/")
        self.token = token or os.environ.get("JUPYTERHUB_API_TOKEN", "")
        self.ttl = ttl
        self._cache: dict[str, tuple[float, list[str]]] = {}
        self._groups: dict[str, tuple[float, dict | None]] = {}

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

    async def _hub(self, path: str) -> dict | None:
        """The hub's model at ``path``, or None when it has no such thing (404)."""
        if not (self.api_url and self.token):
            return None
        try:
            resp = await AsyncHTTPClient().fetch(
                f"{self.api_url}/{path}",
                headers={"Authorization": f"token {self.token}"},
                request_timeout=10,
            )
        except HTTPClientError as e:
            if e.code == 404:
                return None
            raise APIError(503, HUB_UNREACHABLE) from None
        except OSError:
            raise APIError(503, HUB_UNREACHABLE) from None
        try:
            return json.loads(resp.body)
        except ValueError:
            raise APIError(503, HUB_UNREACHABLE) from None

    async def user_exists(self, name: str) -> bool:
        if not isinstance(name, str) or not name or "/" in name:
            return False
        return await self._hub(f"users/{quote(name)}") is not None

    async def group(self, name: str) -> dict | None:
        """``{"name", "users", "admins"}`` of a JupyterHub group, or None; cached briefly."""
        if not isinstance(name, str) or not name or "/" in name:
            return None
        now = time.monotonic()
        hit = self._groups.get(name)
        if hit and now - hit[0] < self.ttl:
            return hit[1]
        model = await self._hub(f"groups/{quote(name)}")
        info = None
        if model is not None:
            admins = (model.get("properties") or {}).get(GROUP_ADMINS) or []
            if isinstance(admins, str):
                admins = [a.strip() for a in admins.split(",")]
            info = {
                "name": model.get("name", name),
                "users": sorted(model.get("users") or []),
                "admins": sorted(a for a in admins if isinstance(a, str) and a),
            }
        self._groups[name] = (now, info)
        return info
