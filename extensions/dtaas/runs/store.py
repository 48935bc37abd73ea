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

    def log_path(self, record: RunRecord) -> Path:
        return self.folder(record) / LOG_FILE

    def log_size(self, record: RunRecord) -> int:
        try:
            return self.log_path(record).stat().st_size
        except FileNotFoundError:
            return 0

    def read_log(self, record: RunRecord, offset: int = 0, limit: int = 1 << 20) -> tuple[str, int]:
        """The log from byte ``offset`` on (at most ``limit`` bytes) and the next offset."""
        try:
            with open(self.log_path(record), "rb") as f:
                f.seek(max(0, offset))
                data = f.read(limit)
        except FileNotFoundError:
            return "", offset
        # never split a UTF-8 character between two reads
        cut = len(data)
        while cut and cut > len(data) - 4 and (data[cut - 1] & 0xC0) == 0x80:
            cut -= 1
        if cut and data[cut - 1] >= 0xC0:
            cut -= 1
        if cut == 0 and data:
            cut = len(data)
        return data[:cut].decode("utf-8", errors="replace"), offset + cut

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

    def all(
        self, dt: str | None = None, limit: int | None = None, include_children: bool = False
    ) -> list[RunRecord]:
        """Every run, newest first, optionally of one DT; ``limit`` reads only that many.

        Runs made on a provisioned server on behalf of another run are left out.
        """
        pattern = f"{dt}/*/{RUN_FILE}" if dt else f"*/*/{RUN_FILE}"
        paths = sorted(self.root.glob(pattern), key=lambda p: p.parent.name, reverse=True)
        records = []
        for path in paths:
            if limit is not None and len(records) >= limit:
                break
            record = self._load(path)
            if record is not None and (record.parent is None or include_children):
                records.append(record)
        return records

    def mark_interrupted(self, owner: str) -> list[RunRecord]:
        """Runs that ``owner``'s previous process left queued or running become failed.

        A user's servers share the workspace, so only the restarted server's own
        runs are touched; the reason is 'interrupted'.
        """
        changed = []
        for record in self.all(include_children=True):
            if record.status not in TERMINAL and record.owner == owner:
                record.status = RunStatus.failed.value
                record.error = "interrupted"
                for result in record.step_results:
                    if result.status == RunStatus.running.value:
                        result.status, result.error = RunStatus.failed.value, "interrupted"
                    elif result.status == RunStatus.queued.value:
                        result.status = RunStatus.skipped.value
                record.finished = utcnow()
                self.save(record)
                self.log(record, "failed: interrupted (the runtime stopped during the run)")
                changed.append(record)
        return changed
