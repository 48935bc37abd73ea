"""Roles on a shared asset, each including the ones before it (pure)."""

from __future__ import annotations

ROLES = ("view", "run", "fork", "edit")
# owner: the asset's own library (or a group admin, or a curator on common)
RANK = {role: i for i, role in enumerate((*ROLES, "owner"), start=1)}


class RoleError(ValueError):
    """An unknown role; the message lists the known ones."""


def parse_role(value: object) -> str:
    if value not in ROLES:
        raise RoleError(f"role {value!r} is not one of {', '.join(ROLES)}")
    return str(value)


def at_least(role: str | None, needed: str) -> bool:
    """Whether ``role`` includes ``needed`` (None: no access at all)."""
    return role is not None and RANK[role] >= RANK[needed]


def best(roles: list[str | None]) -> str | None:
    """The strongest of several roles, or None."""
    held = [r for r in roles if r is not None]
    return max(held, key=RANK.__getitem__) if held else None


def subject_of(
    user: str | None = None, group: str | None = None, organisation: bool = False
) -> str:
    if organisation:
        return "organisation"
    return f"user:{user}" if user else f"group:{group}"


def subjects_for(user: str, groups: list[str]) -> list[str]:
    """Every subject a grant to this user may have been made to."""
    return [f"user:{user}", *(f"group:{g}" for g in groups), "organisation"]
