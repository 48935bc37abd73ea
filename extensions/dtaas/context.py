"""``dtaas.context()`` and ``dtaas.asset()``: what a running step knows of its twin.

The runtime writes the step's context to ``context.json`` in the run folder and names
it in ``$DTAAS_CONTEXT``; this module reads it in the kernel.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class NotInARun(RuntimeError):
    """The code runs outside a lifecycle step started by the platform."""


@dataclass(frozen=True)
class Context:
    dt: str
    scope: str
    step: str
    run_id: str
    workspace: Path
    dt_dir: Path
    run_dir: Path
    output_dir: Path
    state_dir: Path
    parameters: dict[str, Any] = field(default_factory=dict)
    config: str | None = None
    snapshot: str | None = None  # the snapshot this run was respawned from
    tick: int = 0  # where a respawned live loop goes on
    assets: dict[str, Path] = field(default_factory=dict)
    dt_hash: str = ""
    environment: dict[str, Any] = field(default_factory=dict)

    @property
    def respawned(self) -> bool:
        return self.snapshot is not None


_cache: dict[str, tuple[int, Context]] = {}


def context() -> Context:
    """This step's context; NotInARun outside a step the platform runs."""
    path = os.environ.get("DTAAS_CONTEXT")
    if not path:
        raise NotInARun("dtaas.context() is known only in a lifecycle step run by the platform")
    mtime = os.stat(path).st_mtime_ns
    cached = _cache.get(path)
    if cached and cached[0] == mtime:
        return cached[1]
    data = json.loads(Path(path).read_text())
    paths = ("workspace", "dt_dir", "run_dir", "output_dir", "state_dir")
    ctx = Context(
        **{k: Path(data[k]) for k in paths},
        **{k: data.get(k) for k in ("dt", "scope", "step", "run_id", "config", "snapshot")},
        parameters=data.get("parameters") or {},
        tick=int(data.get("tick") or 0),
        assets={ref: Path(p) for ref, p in (data.get("assets") or {}).items()},
        dt_hash=data.get("dt_hash") or "",
        environment=data.get("environment") or {},
    )
    _cache[path] = (mtime, ctx)
    return ctx


def asset(ref: str) -> Path:
    """The path of an asset the twin's manifest declares, e.g. ``common/models/tank``.

    The reference is written as in ``assets:`` of dt.yaml (``mine``, ``common`` or
    ``group:<name>``, then the type and the name); one it does not declare is an error.
    """
    assets = context().assets
    if ref not in assets:
        declared = ", ".join(sorted(assets)) or "none"
        raise LookupError(f"asset {ref!r} is not declared in dt.yaml's assets ({declared})")
    return assets[ref]
