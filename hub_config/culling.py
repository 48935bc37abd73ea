"""Servers left idle are stopped by jupyterhub-idle-culler, run as a hub-managed service.

A culled server stops as any other does: its live runs are saved first (the runtime's
shutdown), so a twin left running overnight is a snapshot in the morning.
"""

from __future__ import annotations

import sys

from .settings import Settings

CULLER_SERVICE = "idle-culler"
# what the culler needs and no more: find idle servers and stop them
CULLER_SCOPES = ["list:users", "read:users:activity", "read:servers", "delete:servers"]


def cull_every(timeout: int) -> int:
    """Check a few times per timeout, at most every 5 minutes, so a server goes soon after."""
    return max(5, min(300, timeout // 4))


def culler_service(s: Settings) -> dict | None:
    """The service, or None when culling is off (``DTAAS_IDLE_TIMEOUT=0``)."""
    if not s.idle_timeout:
        return None
    return {
        "name": CULLER_SERVICE,
        "command": [
            sys.executable,
            "-m",
            "hub_config.culler_main",
            f"--timeout={s.idle_timeout}",
            f"--cull-every={cull_every(s.idle_timeout)}",
            # named servers (run servers, sweeps) are culled one by one
            "--remove-named-servers=false",
        ],
        # the platform's processes carry its data folder: found and ended with it
        "environment": {"DTAAS_DATA_DIR": str(s.data_dir)},
        "display": False,
    }


def culler_role() -> dict:
    return {
        "name": "idle-culler",
        "description": "Stops servers left idle (DTAAS_IDLE_TIMEOUT)",
        "scopes": CULLER_SCOPES,
        "services": [CULLER_SERVICE],
    }
