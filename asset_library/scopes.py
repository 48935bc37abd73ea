"""Who owns what: scope keys, the tokens users write, and where each library lies.

A scope key names an owner: ``user:<name>``, ``group:<name>`` or ``common``. Users
write ``mine``, ``group:<name>`` or ``common`` (in API filters and in DT asset
references), where ``mine`` is the asking (or owning) user's own library.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .catalog import ASSET_TYPES

NAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
REF_RE = re.compile(
    r"^(?P<scope>mine|common|group:[a-z0-9][a-z0-9._-]{0,63})/"
    rf"(?P<type>{'|'.join(ASSET_TYPES)})/(?P<name>[^/\x00]{{1,255}})$"
)


class ScopeError(ValueError):
    """A scope token or reference that does not parse; the message names it."""


def user_key(name: str) -> str:
    return f"user:{name}"


def visible_keys(user: str, groups: list[str]) -> list[str]:
    """The scope keys a user may read: their own, their groups', common."""
    return [user_key(user), *(f"group:{g}" for g in sorted(groups)), "common"]


def key_for_token(token: str, user: str) -> str:
    """``mine`` → ``user:<user>``; ``group:<g>`` and ``common`` stay as they are."""
    if token == "mine":
        return user_key(user)
    if token == "common":
        return token
    if token.startswith("group:") and NAME_RE.match(token[6:]):
        return token
    raise ScopeError(f"scope {token!r} is not mine, common or group:<name>")


def key_for_asset_token(token: str, user: str) -> str:
    """Like ``key_for_token``, plus ``user:<name>``: another user's library, for an
    asset shared with the asking user (whether it is, the caller checks)."""
    if token in ("private", "mine"):
        return user_key(user)
    if token.startswith("user:") and NAME_RE.match(token[5:]):
        return token
    return key_for_token(token, user)


def token_for_key(key: str, user: str) -> str:
    return "mine" if key == user_key(user) else key


@dataclass(frozen=True)
class Ref:
    """A reference to an asset, as written in a DT's ``assets`` list."""

    scope: str  # token: mine, common or group:<name>
    type: str
    name: str

    def __str__(self) -> str:
        return f"{self.scope}/{self.type}/{self.name}"


def parse_ref(text: str) -> Ref:
    m = REF_RE.match(text) if isinstance(text, str) else None
    if not m:
        raise ScopeError(f"reference {text!r} is not <mine|common|group:NAME>/<type>/<name>")
    return Ref(m["scope"], m["type"], m["name"])


def library_root(data_dir: Path, key: str) -> Path:
    """The folder of a scope's library under the data folder."""
    if key == "common":
        return data_dir / "common"
    kind, _, name = key.partition(":")
    if kind not in ("user", "group") or not NAME_RE.match(name):
        raise ScopeError(f"scope {key!r} is not a library")
    return data_dir / ("users" if kind == "user" else "groups") / name


def path_prefix(key: str) -> str:
    """How a workspace that sees this library reaches it: '' for the owner's own,
    'common/' or 'groups/<g>/' (a user's library is only seen by its owner)."""
    library_root(Path("."), key)  # refuses what is not a library
    if key == "common":
        return "common/"
    return f"groups/{key[6:]}/" if key.startswith("group:") else ""
