"""Compute profiles a run may ask for: CPU and memory of a server started for it."""

from __future__ import annotations

DEFAULT_PROFILES: list[dict] = [
    {"name": "small", "description": "1 CPU, 2 GiB", "cpu": 1, "memory": "2G"},
    {"name": "large", "description": "2 CPUs, 8 GiB", "cpu": 2, "memory": "8G"},
]
