"""Login through the organisation's OpenID Connect provider (``DTAAS_AUTH=oidc``).

oauthenticator's GenericOAuthenticator does the OAuth dance; this module turns the
``DTAAS_OIDC_*`` variables into its configuration, finds the provider's endpoints in
its discovery document, and refuses at start, in one line naming the variable, what
would otherwise only fail when the first user tries to log in.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from .errors import SettingsError

if TYPE_CHECKING:
    from .settings import Settings

DISCOVERY = "/.well-known/openid-configuration"
DISCOVERY_TIMEOUT = 10.0
DEFAULT_SCOPES = ("openid", "profile", "email", "groups")
# what the discovery document must name, and the variable that can name it instead
ENDPOINTS = {
    "authorization_endpoint": "DTAAS_OIDC_AUTHORIZE_URL",
    "token_endpoint": "DTAAS_OIDC_TOKEN_URL",
    "userinfo_endpoint": "DTAAS_OIDC_USERDATA_URL",
}


@dataclass(frozen=True)
class OidcSettings:
    """What the hub needs to know of the provider, read from ``DTAAS_OIDC_*``."""

    issuer: str
    client_id: str
    client_secret: str = field(repr=False)  # never in a log line
    scopes: tuple[str, ...] = DEFAULT_SCOPES
    username_claim: str = "preferred_username"
    groups_claim: str = "groups"
    allowed_groups: frozenset[str] = frozenset()
    admin_groups: frozenset[str] = frozenset()
    authorize_url: str = ""
    token_url: str = ""
    userdata_url: str = ""
    login_service: str = "your organisation"


def _url(env: dict[str, str], name: str, required: bool) -> str:
    raw = (env.get(name) or "").strip().rstrip("/")
    if not raw:
        if required:
            raise SettingsError(f"{name} is not set (DTAAS_AUTH=oidc needs it)")
        return ""
    parsed = urlparse(raw)
    if parsed.scheme not in ("https", "http") or not parsed.hostname:
        raise SettingsError(f"{name}={raw!r} is not an http(s) URL")
    if parsed.scheme == "http" and parsed.hostname not in ("127.0.0.1", "localhost", "::1"):
        # tokens and the client secret would cross the network in clear
        raise SettingsError(f"{name}={raw!r} must use https (http is for loopback only)")
    return raw


def _words(env: dict[str, str], name: str, default: tuple[str, ...] = ()) -> tuple[str, ...]:
    raw = env.get(name)
    if raw is None or not raw.strip():
        return default
    return tuple(w for w in raw.replace(",", " ").split() if w)


def load_oidc(env: dict[str, str]) -> OidcSettings:
    """The provider's settings; a missing or malformed one names its variable."""
    secret = env.get("DTAAS_OIDC_CLIENT_SECRET") or ""
    for name in ("DTAAS_OIDC_CLIENT_ID", "DTAAS_OIDC_CLIENT_SECRET"):
        if not (env.get(name) or "").strip():
            raise SettingsError(f"{name} is not set (DTAAS_AUTH=oidc needs it)")
    scopes = _words(env, "DTAAS_OIDC_SCOPES", DEFAULT_SCOPES)
    if "openid" not in scopes:
        raise SettingsError(f"DTAAS_OIDC_SCOPES={' '.join(scopes)!r} must include openid")
    claims = {}
    for name, default in (
        ("DTAAS_OIDC_USERNAME_CLAIM", "preferred_username"),
        ("DTAAS_OIDC_GROUPS_CLAIM", "groups"),
    ):
        value = (env.get(name) or default).strip()
        if not value.replace("_", "").replace(".", "").replace("-", "").isalnum():
            raise SettingsError(f"{name}={value!r} is not a claim name")
        claims[name] = value
    return OidcSettings(
        issuer=_url(env, "DTAAS_OIDC_ISSUER", required=True),
        client_id=env["DTAAS_OIDC_CLIENT_ID"].strip(),
        client_secret=secret,
        scopes=scopes,
        username_claim=claims["DTAAS_OIDC_USERNAME_CLAIM"],
        groups_claim=claims["DTAAS_OIDC_GROUPS_CLAIM"],
        allowed_groups=frozenset(_words(env, "DTAAS_OIDC_ALLOWED_GROUPS")),
        admin_groups=frozenset(_words(env, "DTAAS_OIDC_ADMIN_GROUPS")),
        authorize_url=_url(env, "DTAAS_OIDC_AUTHORIZE_URL", required=False),
        token_url=_url(env, "DTAAS_OIDC_TOKEN_URL", required=False),
        userdata_url=_url(env, "DTAAS_OIDC_USERDATA_URL", required=False),
        login_service=(env.get("DTAAS_OIDC_LOGIN_SERVICE") or "your organisation").strip(),
    )


def discover(oidc: OidcSettings, timeout: float = DISCOVERY_TIMEOUT) -> OidcSettings:
    """Fill the endpoints the variables left out from the issuer's discovery document."""
    wanted = {
        key: var
        for key, var in ENDPOINTS.items()
        if not getattr(oidc, _field(var))  # set by hand: kept as it is
    }
    if not wanted:
        return oidc
    where = oidc.issuer + DISCOVERY
    try:
        with urllib.request.urlopen(where, timeout=timeout) as answer:  # noqa: S310 (checked URL)
            document = json.loads(answer.read(1_000_000))
    except (urllib.error.URLError, OSError, ValueError) as e:
        reason = getattr(e, "reason", e)
        raise SettingsError(
            f"DTAAS_OIDC_ISSUER={oidc.issuer!r}: no OpenID configuration at {where} ({reason})"
        ) from None
    if not isinstance(document, dict):
        raise SettingsError(f"DTAAS_OIDC_ISSUER={oidc.issuer!r}: {where} is not a JSON object")
    if document.get("issuer", "").rstrip("/") != oidc.issuer:
        raise SettingsError(
            f"DTAAS_OIDC_ISSUER={oidc.issuer!r}: the provider calls itself "
            f"{document.get('issuer')!r}"
        )
    found = {}
    for key, var in wanted.items():
        value = document.get(key)
        if not isinstance(value, str) or not value:
            raise SettingsError(
                f"DTAAS_OIDC_ISSUER={oidc.issuer!r}: its {key} is missing; set {var}"
            )
        found[_field(var)] = _url({var: value}, var, required=True)
    return replace(oidc, **found)


def _field(var: str) -> str:
    return var.removeprefix("DTAAS_OIDC_").lower()


def configure_oidc(c, s: Settings, oidc: OidcSettings) -> None:
    """GenericOAuthenticator from the provider's settings; groups come from its claim."""
    c.JupyterHub.authenticator_class = "generic-oauth"
    a = c.GenericOAuthenticator
    a.client_id = oidc.client_id
    a.client_secret = oidc.client_secret
    a.oauth_callback_url = f"{s.public_url}/hub/oauth_callback"
    a.authorize_url = oidc.authorize_url
    a.token_url = oidc.token_url
    a.userdata_url = oidc.userdata_url
    a.scope = list(oidc.scopes)
    a.username_claim = oidc.username_claim
    a.login_service = oidc.login_service
    # the provider's groups become JupyterHub groups, and so group libraries
    a.manage_groups = True
    a.auth_state_groups_key = f"oauth_user.{oidc.groups_claim}"
    if oidc.allowed_groups:
        a.allowed_groups = set(oidc.allowed_groups)
    else:
        a.allow_all = True  # anyone the provider lets in; the provider decides
    if oidc.admin_groups:
        a.admin_groups = set(oidc.admin_groups)
