"""Shared login passwords: taken from the environment or generated once and kept 0600."""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from asset_library.fsutil import write_json_atomic

USER_MIN = 8
ADMIN_MIN = 32


@dataclass(frozen=True)
class Passwords:
    user: str
    admin: str
    generated: bool


def load_passwords(path: Path, env: dict[str, str] | None = None) -> Passwords:
    """Return the user and admin passwords, creating ``path`` on first start.

    ``DTAAS_PASSWORD`` and ``DTAAS_ADMIN_PASSWORD`` win over the stored ones.
    """
    env = os.environ if env is None else env
    stored: dict[str, str] = {}
    if path.exists():
        stored = json.loads(path.read_text())
    generated = False
    if not stored.get("user") or not stored.get("admin"):
        stored = {
            "user": secrets.token_urlsafe(12),
            "admin": secrets.token_urlsafe(32),
        }
        write_json_atomic(path, stored, mode=0o600)
        generated = True
    os.chmod(path, 0o600)
    user = env.get("DTAAS_PASSWORD") or stored["user"]
    admin = env.get("DTAAS_ADMIN_PASSWORD") or stored["admin"]
    if len(user) < USER_MIN:
        raise ValueError(f"DTAAS_PASSWORD must be at least {USER_MIN} characters")
    if len(admin) < ADMIN_MIN:
        raise ValueError(f"DTAAS_ADMIN_PASSWORD must be at least {ADMIN_MIN} characters")
    if user == admin:
        raise ValueError("DTAAS_PASSWORD and DTAAS_ADMIN_PASSWORD must differ")
    return Passwords(user=user, admin=admin, generated=generated)
