"""The run record kept as ``runs/<dt>/<id>/run.json``; pure data."""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timezone
from enum import Enum
from typing import Any


class RunStatus(str, Enum):
    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"


TERMINAL = {RunStatus.succeeded.value, RunStatus.failed.value}


def utcnow() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def new_run_id() -> str:
    """Sortable by creation time, unique without coordination."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%f")[:-3]
    return f"{stamp}-{secrets.token_hex(3)}"


@dataclass
class RunRecord:
    id: str
    dt: str
    scope: str
    step: str
    parameters: dict[str, Any]
    status: str = RunStatus.queued.value
    created: str = field(default_factory=utcnow)
    started: str | None = None
    finished: str | None = None
    error: str | None = None
    traceback: str | None = None
    recorded: dict[str, Any] = field(default_factory=dict)
    notebook: str = ""
    dir: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunRecord:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    @property
    def done(self) -> bool:
        return self.status in TERMINAL
