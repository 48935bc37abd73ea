"""Who is asking: JupyterHub OAuth (browser session or token) and the library's scopes.

JupyterHub issues the custom scopes but does not enforce them; this module does.
"""

from __future__ import annotations

from jupyterhub.services.auth import HubOAuthenticated
from tornado import web

from .errors import APIError

LIBRARY_READ = "custom:library:read"
LIBRARY_WRITE = "custom:library:write"


def has_scope(scopes: list[str] | set[str], wanted: str) -> bool:
    """True if ``wanted`` is held unfiltered, or filtered to the asking user."""
    return any(s == wanted or s.startswith(f"{wanted}!") for s in scopes)


class LibraryAuthenticated(HubOAuthenticated):
    """Mixin for API handlers: a user with a scope, or a JSON 403.

    Only a browser opening a page without any credentials is sent to log in.
    """

    def is_browser_navigation(self) -> bool:
        headers = self.request.headers
        return (
            self.request.method == "GET"
            and "Authorization" not in headers
            and "text/html" in headers.get("Accept", "")
        )

    def require(self, scope: str) -> dict:
        user = self.get_current_user()
        if not user and self.is_browser_navigation():
            # a person opening the URL: log in through the hub, then come back
            self.redirect(self.get_login_url())
            raise web.Finish()
        if not user or user.get("kind", "user") != "user":
            raise APIError(403, "valid JupyterHub credentials are required")
        if not has_scope(user.get("scopes", []), scope):
            raise APIError(403, f"the scope {scope} is required", scope=scope)
        return user
