"""Live sharing on the hub: servers shared with a group reachable by its members, and
the page that accepts a share code, which answers 403 for an expired code and records
each use in the library's audit log as the user who accepted it.
"""

from __future__ import annotations

import functools
import json
import logging

from jupyterhub import handlers as hub_handlers
from jupyterhub import orm
from jupyterhub import scopes as hub_scopes
from jupyterhub.handlers.pages import AcceptShareHandler
from sqlalchemy import and_, inspect
from tornado import web
from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest
from tornado.ioloop import IOLoop

from .roles import ACCESS_LIBRARY, LIBRARY_WRITE
from .settings import Settings

log = logging.getLogger("JupyterHub")

# What the short-lived token that records a share code's use in the audit log may do
AUDIT_TOKEN_SCOPES = [ACCESS_LIBRARY, LIBRARY_WRITE]
AUDIT_TOKEN_SECONDS = 60
# A server keeps the hub's answer about who may use it for this long (JupyterHub's default
# is five minutes): a revoked share ends within it, even for a browser already in.
SERVER_AUTH_CACHE_SECONDS = 20


def expired_code(db, code: str) -> orm.ShareCode | None:
    """The share code ``code`` if it exists and has expired (the hub's own lookup skips it)."""
    now = orm.ShareCode.now()
    query = db.query(orm.ShareCode).filter(
        and_(
            orm.ShareCode.prefix == code[: orm.ShareCode.prefix_length],
            orm.ShareCode.expires_at != None,  # noqa: E711 (SQL)
            orm.ShareCode.expires_at < now,
        )
    )
    for share_code in query:
        if share_code.match(code):
            return share_code
    return None


def with_group_shares(get_scopes_for):
    """JupyterHub 6.1 counts a token owner's own shares in the token's scopes, but not
    the shares of the owner's groups: a server shared with a group was not reachable by
    its members (their browser's OAuth token is a token too). This adds them, as far as
    the token itself reaches: all of them for a token that inherits its owner's
    permissions, else their intersection with the token's own scopes."""

    @functools.wraps(get_scopes_for)
    def scopes_for(orm_object):
        found = get_scopes_for(orm_object)
        user = orm_object.user if isinstance(orm_object, orm.APIToken) else None
        if user is None or not user.groups:
            return found
        shared = set()
        for group in user.groups:
            for share in group.shared_with_me:
                shared |= hub_scopes.expand_share_scopes(share)
        shared -= set(found)
        if not shared:
            return found
        if "inherit" not in orm_object.scopes:
            reach = set(
                hub_scopes.expand_scopes(
                    orm_object.scopes, owner=user, oauth_client=orm_object.oauth_client
                )
            )
            if orm_object.client_id != "jupyterhub":
                reach |= hub_scopes.access_scopes(orm_object.oauth_client)
            shared = set(
                hub_scopes._intersect_expanded_scopes(shared, reach, db=inspect(orm_object).session)
            )
        return set(found) | shared

    scopes_for.counts_group_shares = True
    return scopes_for


class AuditedAcceptShareHandler(AcceptShareHandler):
    """``/hub/accept-share?code=``: JupyterHub's page, with a 403 for a code past its
    expiry and an audit event (``share-code-use``) for each accepted code."""

    library_url = ""

    def _refuse_expired(self) -> None:
        code = self.get_argument("code", "")
        missing = code and orm.ShareCode.find(self.db, code=code) is None
        if missing and expired_code(self.db, code) is not None:
            raise web.HTTPError(403, "This share link has expired")

    @web.authenticated
    async def get(self) -> None:
        self._refuse_expired()
        await super().get()

    @web.authenticated
    def post(self) -> None:
        self._refuse_expired()
        code = self.get_argument("code", "")
        share_code = orm.ShareCode.find(self.db, code=code) if code else None
        used = None
        if share_code is not None:
            spawner = share_code.spawner
            used = {
                "code": f"sc_{share_code.id}",
                "owner": share_code.owner.name,
                "server": spawner.name,
            }
        try:
            super().post()
        except ValueError:  # it expired between the lookup and the exchange
            raise web.HTTPError(403, "This share link has expired") from None
        if used is not None and self.get_status() < 400:
            target = f"servers/{used['owner']}/{used['server'] or 'default'}"
            IOLoop.current().add_callback(self._audit, self.current_user.orm_user, target, used)

    async def _audit(self, user: orm.User, target: str, detail: dict) -> None:
        """Record the use as ``user``, with a token made for that one call."""
        if not self.library_url:
            return
        token = user.new_api_token(
            scopes=AUDIT_TOKEN_SCOPES,
            expires_in=AUDIT_TOKEN_SECONDS,
            note="records a share code's use in the audit log",
        )
        body = {"action": "share-code-use", "target": target, "detail": detail}
        try:
            await AsyncHTTPClient().fetch(
                HTTPRequest(
                    self.library_url.rstrip("/") + "/api/audit",
                    method="POST",
                    headers={"Authorization": f"token {token}", "Content-Type": "application/json"},
                    body=json.dumps(body),
                    request_timeout=20,
                )
            )
        except (HTTPClientError, OSError) as e:
            log.warning("audit of share-code-use %s by %s not recorded: %s", target, user.name, e)
        finally:
            found = orm.APIToken.find(self.db, token)
            if found is not None:
                self.db.delete(found)
                self.db.commit()


def configure_sharing(c, s: Settings) -> None:
    """Servers that notice a revoked share soon, group shares counted, and the accept
    page above (the sharing scopes of workspace tokens are in ``roles``)."""
    args = list(c.Spawner.args) if "args" in c.Spawner else []
    c.Spawner.args = [*args, f"--HubOAuth.cache_max_age={SERVER_AUTH_CACHE_SECONDS}"]
    if not getattr(hub_scopes.get_scopes_for, "counts_group_shares", False):
        hub_scopes.get_scopes_for = with_group_shares(hub_scopes.get_scopes_for)
    AuditedAcceptShareHandler.library_url = s.library_url
    # the hub reads its page handlers from this list when it starts, after the config
    for i, route in enumerate(hub_handlers.default_handlers):
        if route[0] == r"/accept-share" and route[1] is AcceptShareHandler:
            hub_handlers.default_handlers[i] = (route[0], AuditedAcceptShareHandler, *route[2:])
