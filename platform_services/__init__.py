"""Platform services for live data, run by the hub: an MQTT broker and a time-series store.

Each service module offers the same four things, which the hub configuration and the
spawner use:

- ``service(settings) -> dict``: its JupyterHub-managed service entry (the hub starts it
  and restarts it if it dies);
- ``prepare_user(settings, user, groups)``: credentials and access for one user, made
  before their server starts (idempotent);
- ``user_env(settings, user) -> dict``: what the user's servers and kernels get in their
  environment (endpoints and credentials: never a file others can read);
- ``health(settings) -> dict``: ``{"name", "ok", "detail"}`` for the admin's view.
"""

from __future__ import annotations

from types import ModuleType


def modules() -> list[ModuleType]:
    """The service modules that exist, in start order."""
    from importlib import import_module

    found = []
    for name in ("mqtt", "timeseries"):
        try:
            found.append(import_module(f"{__name__}.{name}"))
        except ModuleNotFoundError as e:
            if e.name != f"{__name__}.{name}":
                raise
    return found


def prepare_user(settings, user: str, groups: list[str]) -> None:
    """Every service's credentials and access for one user, before their server starts."""
    for module in modules():
        module.prepare_user(settings, user, list(groups))


def user_env(settings, user: str) -> dict[str, str]:
    """The environment every service gives the user's servers and kernels."""
    env: dict[str, str] = {}
    for module in modules():
        env.update(module.user_env(settings, user))
    return env


def health(settings) -> list[dict]:
    """Each service's health, for the admin's view."""
    return [module.health(settings) for module in modules()]
