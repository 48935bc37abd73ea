"""The platform's services as a notebook reaches them: ``dtaas.services.mqtt()`` and
``dtaas.services.timeseries()``.

Endpoints and credentials come from the environment the spawner gave the server; a
service that is down raises ``ServiceUnavailable`` naming it, within a timeout.
"""

from __future__ import annotations

from typing import Any


class ServiceUnavailable(ConnectionError):
    """A platform service cannot be reached; the message names it and who to ask."""

    def __init__(self, service: str, why: str):
        super().__init__(
            f"the platform's {service} service is not reachable ({why}); "
            "ask your DTaaS administrator to check it (the hub's admin page lists each "
            "service's health)"
        )
        self.service = service


def mqtt(*args: Any, **kwargs: Any):
    """A connected paho-mqtt client for this user (see ``dtaas.services.broker``)."""
    from .broker import connect

    return connect(*args, **kwargs)


def timeseries(*args: Any, **kwargs: Any):
    """A writer and reader of this user's (or a group's) time series (see
    ``dtaas.services.series``)."""
    from .series import open_store

    return open_store(*args, **kwargs)


__all__ = ["ServiceUnavailable", "mqtt", "timeseries"]
