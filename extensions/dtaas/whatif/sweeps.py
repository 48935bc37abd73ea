"""Sweep records on disk: ``sweeps/<dt>/<id>/``; pure data and files.

- ``sweep.json``: the request as checked, status and progress (replaced atomically);
- ``design.json``: every scenario's parameters and its point in the unit cube;
- ``scenarios.jsonl``: one line per finished scenario, appended and flushed, so a sweep
  that dies keeps what it finished and resumes with the rest (a torn last line is
  ignored);
- ``results.csv``, ``results.parquet``, ``analysis.json``: once it ends;
- ``notebooks/<i>.ipynb``: the executed notebooks kept.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import IO, Any

from asset_library.errors import dumps
from asset_library.fsutil import PathOutsideRoot, write_bytes_atomic

from ..digital_twins import NAME_RE, RequestError
from ..runs.model import new_run_id, utcnow
from ..runs.store import RUN_ID_RE, exact_path, read_json_file, real_folders

SWEEP_FILE = "sweep.json"
DESIGN_FILE = "design.json"
SCENARIOS_FILE = "scenarios.jsonl"
ANALYSIS_FILE = "analysis.json"
MAX_RECORD_BYTES = 64 << 20
TERMINAL = {"succeeded", "failed", "cancelled"}


@dataclass
class SweepRecord:
    id: str
    dt: str
    scope: str
    step: str
    design: dict[str, Any]
    ranges: dict[str, Any]
    parameters: dict[str, Any]  # what every scenario starts from
    objectives: list[dict[str, str]] = field(default_factory=list)
    constraints: list[str] = field(default_factory=list)  # "x2<=0.1"
    weights: dict[str, float] = field(default_factory=dict)
    config: str | None = None
    keep: str = "failures"
    backend: str = "local"
    snapshot: str | None = None
    timeout: float | None = None
    status: str = "queued"  # queued | running | succeeded | failed | cancelled | interrupted
    created: str = field(default_factory=utcnow)
    started: str | None = None
    finished: str | None = None
    total: int = 0
    done: int = 0
    failed: int = 0
    eta_s: float | None = None
    elapsed_s: float | None = None
    dt_hash: str = ""
    note: str | None = None
    error: str | None = None
    dir: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SweepRecord:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    @property
    def ended(self) -> bool:
        return self.status in TERMINAL


class SweepStore:
    """One workspace's sweeps; every path checked as the run store checks its own."""

    def __init__(self, workspace: Path):
        self.workspace = workspace
        self.root = workspace / "sweeps"

    def _root(self) -> Path:
        self.root.mkdir(exist_ok=True)
        return exact_path(self.workspace.resolve(), "sweeps")

    def folder(self, record: SweepRecord) -> Path:
        try:
            return exact_path(self._root(), record.dt, record.id)
        except PathOutsideRoot:
            rel = f"sweeps/{record.dt}/{record.id}"
            raise RequestError(403, f"{rel} is a link out of the workspace", path=rel) from None

    def create(self, record: SweepRecord, design: dict[str, Any]) -> Path:
        record.id = record.id or new_run_id()
        (self._root() / record.dt).mkdir(exist_ok=True)
        folder = exact_path(self._root(), record.dt) / record.id
        folder.mkdir()
        record.dir = f"sweeps/{record.dt}/{record.id}"
        write_bytes_atomic(folder / DESIGN_FILE, dumps(design).encode())
        self.save(record)
        return folder

    def save(self, record: SweepRecord) -> None:
        write_bytes_atomic(
            self.folder(record) / SWEEP_FILE, (dumps(record.to_dict(), indent=2) + "\n").encode()
        )

    def design(self, record: SweepRecord) -> dict[str, Any]:
        return read_json_file(self.folder(record) / DESIGN_FILE, MAX_RECORD_BYTES)

    def open_rows(self, record: SweepRecord) -> IO[str]:
        """The scenarios file, for appending a line per finished scenario. Each line goes to
        the operating system as it is written (a crashed server keeps it); the caller
        syncs to disk once at the end (an fsync per scenario cost more than a scenario)."""
        path = self.folder(record) / SCENARIOS_FILE
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW, 0o644)
        return os.fdopen(fd, "a", encoding="utf-8")

    @staticmethod
    def append(rows: IO[str], row: dict[str, Any]) -> None:
        rows.write(dumps(row) + "\n")
        rows.flush()

    def repair(self, record: SweepRecord) -> None:
        """End a line torn by a crash, so the next one appended starts a line of its own."""
        path = self.folder(record) / SCENARIOS_FILE
        try:
            fd = os.open(path, os.O_RDWR | os.O_NOFOLLOW | os.O_NONBLOCK)
        except FileNotFoundError:
            return
        with os.fdopen(fd, "r+b") as f:
            if f.seek(0, os.SEEK_END) and f.seek(-1, os.SEEK_END) >= 0 and f.read(1) != b"\n":
                f.write(b"\n")

    def rows(self, record: SweepRecord) -> dict[int, dict[str, Any]]:
        """The finished scenarios by index (the last line of each wins; a torn one is skipped)."""
        path = self.folder(record) / SCENARIOS_FILE
        found: dict[int, dict[str, Any]] = {}
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except FileNotFoundError:
            return found
        with os.fdopen(fd, encoding="utf-8", errors="replace") as f:
            for line in f:
                try:
                    row = json.loads(line)
                except ValueError:
                    continue
                if isinstance(row, dict) and isinstance(row.get("scenario"), int):
                    found[row["scenario"]] = row
        return found

    def write_analysis(self, record: SweepRecord, analysis: dict[str, Any]) -> None:
        write_bytes_atomic(self.folder(record) / ANALYSIS_FILE, dumps(analysis).encode())

    def analysis(self, record: SweepRecord) -> dict[str, Any] | None:
        try:
            return read_json_file(self.folder(record) / ANALYSIS_FILE, MAX_RECORD_BYTES)
        except (OSError, ValueError):
            return None

    def _load(self, dt: str, sweep_id: str) -> SweepRecord | None:
        try:
            data = read_json_file(exact_path(self._root(), dt, sweep_id, SWEEP_FILE), 1 << 24)
            record = SweepRecord.from_dict(data)
        except (OSError, ValueError, TypeError, RecursionError, PathOutsideRoot):
            return None
        if record.id != sweep_id or record.dt != dt:
            return None
        record.dir = f"sweeps/{dt}/{sweep_id}"
        return record

    def get(self, sweep_id: str) -> SweepRecord | None:
        if not isinstance(sweep_id, str) or not RUN_ID_RE.match(sweep_id):
            return None
        for dt in sorted(real_folders(self._root, NAME_RE)):
            found = self._load(dt, sweep_id)
            if found is not None:
                return found
        return None

    def all(self, dt: str | None = None, limit: int | None = None) -> list[SweepRecord]:
        ids = [
            (sid, name)
            for name in real_folders(self._root, NAME_RE, dt)
            for sid in real_folders(lambda n=name: exact_path(self._root(), n), RUN_ID_RE)
        ]
        found = []
        for sid, name in sorted(ids, reverse=True):
            if limit is not None and len(found) >= limit:
                break
            record = self._load(name, sid)
            if record is not None:
                found.append(record)
        return found
