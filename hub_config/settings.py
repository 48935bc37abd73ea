"""Ports, paths and profile read from the environment, in one place.

Every port derives from ``DTAAS_PORT`` so two instances started with different
public ports never collide; each can still be set on its own.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROFILES = ("local",)


class SettingsError(ValueError):
    """A setting in the environment is invalid; the message names the variable."""


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
        return f"http://{self.ip}:{self.port}"

    @property
    def library_url(self) -> str:
        """The library service as reached directly, bypassing the proxy."""
        return f"http://127.0.0.1:{self.library_port}/services/library/"


def load_settings(env: dict[str, str] | None = None, cwd: Path | None = None) -> Settings:
    """Read the settings from ``env`` (default: the process environment)."""
    env = dict(os.environ if env is None else env)
    profile = env.get("DTAAS_PROFILE", "local") or "local"
    if profile not in PROFILES:
        raise SettingsError(f"DTAAS_PROFILE={profile!r} is not one of {', '.join(PROFILES)}")
    port = _port(env, "DTAAS_PORT", 8000)
    data_dir = Path(env.get("DTAAS_DATA_DIR") or (cwd or Path.cwd()) / ".dtaas")
    return Settings(
        profile=profile,
        ip=env.get("DTAAS_IP", "127.0.0.1") or "127.0.0.1",
        port=port,
        hub_port=_port(env, "DTAAS_HUB_PORT", port + 1),
        proxy_api_port=_port(env, "DTAAS_PROXY_API_PORT", port + 2),
        library_port=_port(env, "DTAAS_LIBRARY_PORT", port + 3),
        mqtt_port=_port(env, "DTAAS_MQTT_PORT", port + 4),
        timeseries_port=_port(env, "DTAAS_TIMESERIES_PORT", port + 5),
        data_dir=data_dir.resolve(),
        allow_unisolated_users=_flag(env, "DTAAS_ALLOW_UNISOLATED_USERS"),
    )


def _flag(env: dict[str, str], name: str) -> bool:
    raw = (env.get(name) or "").strip().lower()
    if raw in ("", "0", "no", "false"):
        return False
    if raw in ("1", "yes", "true"):
        return True
    raise SettingsError(f"{name}={raw!r} is not one of 1, yes, true, 0, no, false")
