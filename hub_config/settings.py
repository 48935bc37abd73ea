"""Ports, paths and profile read from the environment, in one place.

Every port derives from ``DTAAS_PORT`` so two instances started with different
public ports never collide; each can still be set on its own.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from .errors import SettingsError
from .oidc import OidcSettings, load_oidc

__all__ = ["Settings", "SettingsError", "load_settings"]

PROFILES = ("local", "docker", "kubernetes")
AUTHS = ("password", "oidc")
DEFAULT_IDLE_TIMEOUT = 3600


def _port(env: dict[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not a port number") from None
    if not 1 <= value <= 65535:
        raise SettingsError(f"{name}={value} is outside 1..65535")
    return value


@dataclass(frozen=True)
class Settings:
    """Where the platform listens and keeps its state."""

    profile: str
    ip: str
    port: int
    hub_port: int
    proxy_api_port: int
    library_port: int
    data_dir: Path
    mqtt_port: int = 0
    timeseries_port: int = 0
    allow_unisolated_users: bool = False
    auth: str = "password"
    oidc: OidcSettings | None = None
    # the hub's own database: SQLite in hub/ unless a URL (PostgreSQL) is given
    hub_db_url: str = field(default="", repr=False)  # may hold a password
    # seconds a server may sit idle before the culler stops it (0: never)
    idle_timeout: int = DEFAULT_IDLE_TIMEOUT
    # where the hub's own services listen (the library): loopback, or the address of
    # this machine on the containers' network (docker profile)
    service_ip: str = "127.0.0.1"

    @property
    def hub_dir(self) -> Path:
        return self.data_dir / "hub"

    @property
    def library_dir(self) -> Path:
        return self.data_dir / "library"

    @property
    def common_dir(self) -> Path:
        return self.data_dir / "common"

    @property
    def users_dir(self) -> Path:
        return self.data_dir / "users"

    @property
    def groups_dir(self) -> Path:
        return self.data_dir / "groups"

    @property
    def services_dir(self) -> Path:
        """The platform services' data and generated credentials (not readable by users)."""
        return self.data_dir / "services"

    @property
    def public_url(self) -> str:
        host = "127.0.0.1" if self.ip in ("0.0.0.0", "") else self.ip
        return f"http://{host}:{self.port}"

    @property
    def library_url(self) -> str:
        """The library service as reached directly, bypassing the proxy."""
        return f"http://{self.service_ip}:{self.library_port}/services/library/"


def load_settings(env: dict[str, str] | None = None, cwd: Path | None = None) -> Settings:
    """Read the settings from ``env`` (default: the process environment)."""
    env = dict(os.environ if env is None else env)
    profile = env.get("DTAAS_PROFILE", "local") or "local"
    if profile not in PROFILES:
        raise SettingsError(f"DTAAS_PROFILE={profile!r} is not one of {', '.join(PROFILES)}")
    auth = env.get("DTAAS_AUTH", "password") or "password"
    if auth not in AUTHS:
        raise SettingsError(f"DTAAS_AUTH={auth!r} is not one of {', '.join(AUTHS)}")
    port = _port(env, "DTAAS_PORT", 8000)
    data_dir = Path(env.get("DTAAS_DATA_DIR") or (cwd or Path.cwd()) / ".dtaas")
    return Settings(
        profile=profile,
        # containers reach the proxy too on the docker profile: every address by default
        ip=env.get("DTAAS_IP") or ("0.0.0.0" if profile == "docker" else "127.0.0.1"),
        port=port,
        hub_port=_port(env, "DTAAS_HUB_PORT", port + 1),
        proxy_api_port=_port(env, "DTAAS_PROXY_API_PORT", port + 2),
        library_port=_port(env, "DTAAS_LIBRARY_PORT", port + 3),
        mqtt_port=_port(env, "DTAAS_MQTT_PORT", port + 4),
        timeseries_port=_port(env, "DTAAS_TIMESERIES_PORT", port + 5),
        data_dir=data_dir.resolve(),
        allow_unisolated_users=_flag(env, "DTAAS_ALLOW_UNISOLATED_USERS"),
        auth=auth,
        oidc=load_oidc(env) if auth == "oidc" else None,
        hub_db_url=_db_url(env, "DTAAS_HUB_DB_URL"),
        idle_timeout=_seconds(env, "DTAAS_IDLE_TIMEOUT", DEFAULT_IDLE_TIMEOUT),
    )


def _db_url(env: dict[str, str], name: str) -> str:
    """A SQLAlchemy URL the hub can use; the driver is checked at start, not at first login."""
    raw = (env.get(name) or "").strip()
    if not raw:
        return ""
    scheme = raw.split("://", 1)[0] if "://" in raw else ""
    if scheme not in ("sqlite", "postgresql", "postgresql+psycopg", "postgresql+psycopg2"):
        raise SettingsError(f"{name} must be a sqlite:// or postgresql:// URL")
    return raw


def _seconds(env: dict[str, str], name: str, default: int) -> int:
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    if not raw.isdigit():
        raise SettingsError(f"{name}={raw!r} is not a number of seconds")
    value = int(raw)
    if 0 < value < 10:
        raise SettingsError(f"{name}={value} is shorter than 10 seconds (0 turns culling off)")
    return value


def _flag(env: dict[str, str], name: str) -> bool:
    raw = (env.get(name) or "").strip().lower()
    if raw in ("", "0", "no", "false"):
        return False
    if raw in ("1", "yes", "true"):
        return True
    raise SettingsError(f"{name}={raw!r} is not one of 1, yes, true, 0, no, false")
