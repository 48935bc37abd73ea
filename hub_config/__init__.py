"""The gateway: JupyterHub configuration for the DTaaS platform, split by concern."""

from .apply import configure

__all__ = ["configure"]
