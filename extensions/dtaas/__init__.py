"""DTaaS workspace runtime: the jupyter_server extension and the notebook API.

Inside a lifecycle notebook::

    import dtaas
    dtaas.record("x1", 0.42)
    for tick in dtaas.ticks(0.5):     # a live step, until Stop
        dtaas.record("T", read_sensor(), t=tick * 0.5)
"""

from __future__ import annotations

from . import services
from .context import Context, NotInARun, asset, context
from .record import RECORD_MIMETYPE, record

__version__ = "0.1.0"
__all__ = [
    "RECORD_MIMETYPE",
    "Context",
    "NotInARun",
    "asset",
    "context",
    "record",
    "services",
    "ticks",
    "twin",
]


def twin(name: str, scope: str | None = None):
    """A twin to run and sweep from a notebook (see ``dtaas.notebook``)."""
    from .notebook import twin as _twin

    return _twin(name, scope)


def ticks(period_s: float, limit: int | None = None):
    """Yield tick numbers every ``period_s`` seconds until the run is stopped (see kernel)."""
    from .kernel import ticks as _ticks

    return _ticks(period_s, limit)


def _jupyter_server_extension_points() -> list[dict]:
    from .extension import DTaaSExtension

    return [{"module": "dtaas.extension", "app": DTaaSExtension}]


def _jupyter_labextension_paths() -> list[dict]:
    return [{"src": "labextension", "dest": "dtaas-labextension"}]
