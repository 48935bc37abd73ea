"""The results REST API and its HTML page (routes relative to the service prefix)."""

from __future__ import annotations

# (path relative to the service prefix, handler class); app.py mounts each under it
ROUTES: list[tuple[str, type]] = []
