"""Who is asking: JupyterHub OAuth (browser session or token) and the library's scopes.

JupyterHub issues the custom scopes but does not enforce them; this module does,
filters included: a scope counts for the asking user only unfiltered or filtered to
that very user.
"""

from __future__ import annotations

from collections.abc import Iterable

from jupyterhub.services.auth import HubOAuth, HubOAuthenticated, UserNotAllowed
from tornado import web

from .errors import HUB_UNREACHABLE, APIError

LIBRARY_READ = "custom:library:read"
LIBRARY_WRITE = "custom:library:write"
LIBRARY_CURATE = "custom:library:curate"


def has_scope(scopes: Iterable[str], wanted: str, user: str | None = None) -> bool:
    """True if ``wanted`` is held unfiltered, or filtered to ``user`` (``!user=<user>``,
    or a bare ``!user``). Any other filter (another user, a group, a server, a service)
    does not grant it to the asking user."""
    for scope in scopes:
        base, sep, filt = scope.partition("!")
        if base != wanted:
            continue
        if not sep:
            return True
        if user is not None and filt in ("user", f"user={user}"):
            return True
    return False


def hub_unreachable(e: web.HTTPError) -> bool:
    """Whether HubAuth failed because it could not get an answer from the hub."""
    message = e.log_message or ""
    return (e.status_code == 500 and message.startswith("Failed to connect to Hub API")) or (
        e.status_code == 502
    )


class LibraryAuthenticated(HubOAuthenticated):
    """Mixin for API handlers: a user with a scope, or a JSON 403 (503 if the hub is down).

    The hub is asked without blocking the event loop. Only a browser opening a page
    without any credentials is sent to log in.
    """

    @property
    def hub_auth(self) -> HubOAuth:
        # the application may carry its own (a test's hub); else the one from the env
        return self.settings.get("library_hub_auth") or super().hub_auth

    @hub_auth.setter
    def hub_auth(self, auth: HubOAuth) -> None:
        self._hub_auth = auth

    def is_browser_navigation(self) -> bool:
        headers = self.request.headers
        return (
            self.request.method == "GET"
            and "Authorization" not in headers
            and "text/html" in headers.get("Accept", "")
        )

    async def hub_user(self) -> dict | None:
        """The hub's model of who is asking (checked against the service's access
        scopes), or None; the answer is kept for the rest of the request."""
        if hasattr(self, "_hub_auth_user_cache"):
            return self._hub_auth_user_cache
        try:
            model = await self.hub_auth.get_user(self, sync=False)
        except web.HTTPError as e:
            if hub_unreachable(e):
                raise APIError(503, HUB_UNREACHABLE) from None
            raise
        user = None
        if model:
            try:
                user = self.check_hub_user(model)
            except UserNotAllowed:
                user = None
        self._hub_auth_user_cache = user
        if user:
            self.hub_auth._persist_url_token_if_set(self)
        return user

    async def require(self, scope: str) -> dict:
        user = await self.hub_user()
        if not user and self.is_browser_navigation():
            # a person opening the URL: log in through the hub, then come back
            self.redirect(self.get_login_url())
            raise web.Finish()
        if not user or user.get("kind", "user") != "user":
            raise APIError(403, "valid JupyterHub credentials are required")
        if not has_scope(user.get("scopes", []), scope, user["name"]):
            raise APIError(403, f"the scope {scope} is required", scope=scope)
        return user
