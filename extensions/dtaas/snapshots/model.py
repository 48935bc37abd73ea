"""A snapshot's record, ``snapshots/<dt>/<id>/snapshot.json``, and the diff of two; pure data."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

from ..runs.model import utcnow

SNAPSHOT_FILE = "snapshot.json"
STATE_PREFIX = "state/"
OUTPUTS_PREFIX = "outputs/"


@dataclass
class FileEntry:
    path: str  # state/<...> or outputs/<...>
    size: int
    sha256: str


@dataclass
class VariableEntry:
    name: str
    type: str
    size: int
    sha256: str
    kind: str = "pickle"  # pickle | dill | module
    module: str | None = None  # a module variable: what to import back


@dataclass
class Skipped:
    name: str
    type: str
    reason: str


@dataclass
class Snapshot:
    id: str
    dt: str
    scope: str
    run: str
    step: str | None = None
    label: str = ""
    created: str = field(default_factory=utcnow)
    live: bool = False
    tick: int | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    config: str | None = None
    dt_hash: str = ""
    environment: dict[str, Any] = field(default_factory=dict)
    recorded: dict[str, Any] = field(default_factory=dict)
    state_dir: str = ""  # where the state folder was, relative to the workspace
    note: str = ""
    files: list[FileEntry] = field(default_factory=list)
    variables: list[VariableEntry] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    bytes_written: int = 0
    dir: str = ""
    # a copy of someone else's snapshot shared with this user: {owner, dt, id, scope, at}
    imported_from: dict[str, Any] | None = None

    @property
    def bytes_total(self) -> int:
        return sum(f.size for f in self.files) + sum(v.size for v in self.variables)

    def summary(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "dt": self.dt,
            "scope": self.scope,
            "run": self.run,
            "step": self.step,
            "label": self.label,
            "created": self.created,
            "live": self.live,
            "tick": self.tick,
            "files_count": len(self.files),
            "variables_count": len(self.variables),
            "skipped_count": len(self.skipped),
            "bytes_total": self.bytes_total,
            "bytes_written": self.bytes_written,
            "dir": self.dir,
            "imported_from": self.imported_from,
        }

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), **self.summary()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Snapshot:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values["files"] = [FileEntry(**f) for f in values.get("files") or []]
        values["variables"] = [VariableEntry(**v) for v in values.get("variables") or []]
        values["skipped"] = [Skipped(**s) for s in values.get("skipped") or []]
        return cls(**values)


def _changes(a: dict[str, str], b: dict[str, str]) -> dict[str, list[str]]:
    return {
        "added": sorted(set(b) - set(a)),
        "removed": sorted(set(a) - set(b)),
        "changed": sorted(k for k in set(a) & set(b) if a[k] != b[k]),
    }


def diff(a: Snapshot, b: Snapshot) -> dict[str, Any]:
    """What changed from ``a`` to ``b``: files and variables by hash, parameters by value."""
    params = {
        k: [a.parameters.get(k), b.parameters.get(k)]
        for k in sorted(set(a.parameters) | set(b.parameters))
        if a.parameters.get(k) != b.parameters.get(k)
    }
    return {
        "a": a.id,
        "b": b.id,
        "files": _changes({f.path: f.sha256 for f in a.files}, {f.path: f.sha256 for f in b.files}),
        "variables": _changes(
            {v.name: v.sha256 for v in a.variables}, {v.name: v.sha256 for v in b.variables}
        ),
        "parameters": params,
    }
