"""Run records on disk: one folder per run under the workspace's ``runs/``."""

from __future__ import annotations

import json
from pathlib import Path

from asset_library.fsutil import write_json_atomic

from .model import TERMINAL, RunRecord, RunStatus, utcnow

RUN_FILE = "run.json"
LOG_FILE = "run.log"


class RunStore:
    """Reads and writes ``runs/<dt>/<id>/run.json`` atomically."""

    def __init__(self, workspace: Path):
        self.workspace = workspace
        self.root = workspace / "runs"

    def folder(self, record: RunRecord) -> Path:
        return self.root / record.dt / record.id

    def create(self, record: RunRecord) -> Path:
        folder = self.folder(record)
        folder.mkdir(parents=True, exist_ok=False)
        (folder / "outputs").mkdir()
        record.dir = str(folder.relative_to(self.workspace))
        self.save(record)
        return folder

    def save(self, record: RunRecord) -> None:
        write_json_atomic(self.folder(record) / RUN_FILE, record.to_dict())

    def log(self, record: RunRecord, line: str) -> None:
        with open(self.folder(record) / LOG_FILE, "a", encoding="utf-8") as f:
            f.write(f"{utcnow()} {line}\n")

    def _load(self, path: Path) -> RunRecord | None:
        try:
            return RunRecord.from_dict(json.loads(path.read_text()))
        except (OSError, ValueError, TypeError):
            return None

    def get(self, run_id: str) -> RunRecord | None:
        """Find a run by id; ids are checked by the caller to be plain names."""
        for path in self.root.glob(f"*/{run_id}/{RUN_FILE}"):
            return self._load(path)
        return None

    def all(self, dt: str | None = None) -> list[RunRecord]:
        """Every run, newest first, optionally of one DT."""
        pattern = f"{dt}/*/{RUN_FILE}" if dt else f"*/*/{RUN_FILE}"
        records = [r for p in self.root.glob(pattern) if (r := self._load(p))]
        return sorted(records, key=lambda r: r.id, reverse=True)

    def mark_interrupted(self) -> list[RunRecord]:
        """Runs left queued or running by a process that died are failed, reason 'interrupted'."""
        changed = []
        for record in self.all():
            if record.status not in TERMINAL:
                record.status = RunStatus.failed.value
                record.error = "interrupted"
                record.finished = utcnow()
                self.save(record)
                self.log(record, "failed: interrupted (the runtime stopped during the run)")
                changed.append(record)
        return changed
