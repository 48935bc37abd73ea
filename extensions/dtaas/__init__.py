"""DTaaS workspace runtime: the jupyter_server extension and the notebook API.

Inside a lifecycle notebook::

    import dtaas
    dtaas.record("x1", 0.42)
"""

from __future__ import annotations

from .record import RECORD_MIMETYPE, record

__version__ = "0.1.0"
__all__ = ["RECORD_MIMETYPE", "record"]


def _jupyter_server_extension_points() -> list[dict]:
    from .extension import DTaaSExtension

    return [{"module": "dtaas.extension", "app": DTaaSExtension}]


def _jupyter_labextension_paths() -> list[dict]:
    return [{"src": "labextension", "dest": "dtaas-labextension"}]
