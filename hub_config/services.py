"""Hub-managed services: the library."""

from __future__ import annotations

import os
import sys

from .roles import LIBRARY_CURATE, LIBRARY_READ, LIBRARY_SERVICE, LIBRARY_WRITE
from .settings import Settings


def library_service(settings: Settings) -> dict:
    """The library runs as a hub-managed process, reached through the proxy and directly."""
    # on Kubernetes the proxy and the pods reach it through the hub's Service
    host = "hub" if settings.profile == "kubernetes" else settings.service_ip
    return {
        "name": LIBRARY_SERVICE,
        "url": f"http://{host}:{settings.library_port}",
        "command": [sys.executable, "-m", "asset_library"],
        "cwd": str(settings.library_dir),
        "environment": {
            "DTAAS_DATA_DIR": str(settings.data_dir),
            # PostgreSQL (or any SQLAlchemy URL) for the index at scale; SQLite otherwise
            "DTAAS_LIBRARY_DB_URL": os.environ.get("DTAAS_LIBRARY_DB_URL", ""),
            "DTAAS_LIBRARY_BIND": "0.0.0.0" if host == "hub" else settings.service_ip,
        },
        "oauth_no_confirm": True,
        "oauth_client_allowed_scopes": [LIBRARY_READ, LIBRARY_WRITE, LIBRARY_CURATE],
        "display": False,
    }
