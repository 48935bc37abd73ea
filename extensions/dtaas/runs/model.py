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
    cancelled = "cancelled"
    skipped = "skipped"  # a step after a failed one


TERMINAL = {RunStatus.succeeded.value, RunStatus.failed.value, RunStatus.cancelled.value}


def utcnow() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def seconds_between(start: str | None, end: str | None) -> float | None:
    if not start or not end:
        return None
    return round((datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds(), 3)


def new_run_id() -> str:
    """Sortable by creation time, unique without coordination."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%f")[:-3]
    return f"{stamp}-{secrets.token_hex(3)}"


@dataclass
class StepResult:
    step: str
    status: str = RunStatus.queued.value
    notebook: str = ""
    started: str | None = None
    finished: str | None = None
    cells_total: int = 0
    cells_done: int = 0
    error: str | None = None
    cell: int | None = None
    traceback: str | None = None


@dataclass
class Progress:
    step: str | None = None
    step_index: int = 0
    steps_total: int = 0
    cell: int = 0
    cells_total: int = 0


@dataclass
class RunRecord:
    id: str
    dt: str
    scope: str
    steps: list[str]
    parameters: dict[str, Any]
    config: str | None = None
    profile: str | None = None
    server: str | None = None
    timeout: float | None = None
    parent: str | None = None  # the run that asked for this one on a server of its own
    owner: str = ""  # the server (by name; "" is the default one) whose process runs it
    status: str = RunStatus.queued.value
    created: str = field(default_factory=utcnow)
    started: str | None = None
    finished: str | None = None
    progress: Progress = field(default_factory=Progress)
    step_results: list[StepResult] = field(default_factory=list)
    error: str | None = None
    cell: int | None = None
    traceback: str | None = None
    environment: dict[str, Any] = field(default_factory=dict)
    dt_hash: str = ""
    recorded: dict[str, Any] = field(default_factory=dict)
    dir: str = ""
    state_dir: str = ""  # the twin's state folder, relative to the workspace
    live: dict[str, Any] | None = None  # a dtaas.ticks() loop: ticks done, latest values
    snapshot: str | None = None  # respawned from this snapshot
    snapshots: list[str] = field(default_factory=list)  # taken of this run
    save_after: list[str] = field(default_factory=list)  # steps after which one is taken
    stop_requested: bool = False

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["step"] = self.progress.step or (self.steps[-1] if self.steps else None)
        data["duration_s"] = seconds_between(self.started, self.finished)
        data["notebooks"] = [r.notebook for r in self.step_results if r.started]
        data["notebook"] = data["notebooks"][-1] if data["notebooks"] else ""
        data["log"] = f"{self.dir}/run.log" if self.dir else ""
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunRecord:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values["progress"] = Progress(**values.get("progress") or {})
        values["step_results"] = [StepResult(**r) for r in values.get("step_results") or []]
        return cls(**values)

    @property
    def done(self) -> bool:
        return self.status in TERMINAL
