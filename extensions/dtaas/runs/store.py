"""Run records on disk: one folder per run under the workspace's ``runs/``.

The user can change anything in their workspace, links included, so every path
is checked: ``runs/``, ``runs/<dt>`` and ``runs/<dt>/<id>`` must be real folders
inside the workspace and ``run.json`` and ``run.log`` real files in them. A link
anywhere on the way makes a run invisible (listing, lookup) or refused (writing,
reading its log); nothing is read or written through it.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

from asset_library.errors import dumps
from asset_library.fsutil import PathOutsideRoot, confined, write_bytes_atomic

from ..digital_twins import NAME_RE, RequestError
from .model import TERMINAL, RunRecord, RunStatus, utcnow
from .outputs import RunFile, resolve_inside, walk

RUN_FILE = "run.json"
LOG_FILE = "run.log"
RUN_ID_RE = re.compile(r"^[0-9A-Za-z-]{1,64}$")
MAX_RECORD_BYTES = 16 << 20


class RunStore:
    """Reads and writes ``runs/<dt>/<id>/run.json`` atomically."""

    def __init__(self, workspace: Path):
        self.workspace = workspace
        self.root = workspace / "runs"

    # --- paths ----------------------------------------------------------------

    def _root(self) -> Path:
        """``runs/``, resolved; a link out of the workspace raises PathOutsideRoot."""
        return exact_path(self.workspace.resolve(), "runs")

    def _path(self, dt: str, run_id: str, *name: str) -> Path:
        """``runs/<dt>/<id>[/<name>]`` with no link on the way, or PathOutsideRoot."""
        if not isinstance(dt, str) or not NAME_RE.match(dt):
            raise PathOutsideRoot(f"run folder {dt!r} is not a digital twin name")
        if not isinstance(run_id, str) or not RUN_ID_RE.match(run_id):
            raise PathOutsideRoot(f"run folder {run_id!r} is not a run id")
        return exact_path(self._root(), dt, run_id, *name)

    def _refused(self, record: RunRecord, name: str = "") -> RequestError:
        rel = f"runs/{record.dt}/{record.id}" + (f"/{name}" if name else "")
        return RequestError(
            403, f"{rel} is a link out of the workspace's runs", run=record.id, path=rel
        )

    def folder(self, record: RunRecord) -> Path:
        """The run's folder; 403 if it, or ``runs/<dt>``, or ``runs/`` is a link."""
        try:
            return self._path(record.dt, record.id)
        except PathOutsideRoot:
            raise self._refused(record) from None

    def file(self, record: RunRecord, name: str) -> Path:
        """A file in the run's folder (``execute.ipynb``, ``outputs/x``), checked the same way."""
        try:
            return self._path(record.dt, record.id, *name.split("/"))
        except PathOutsideRoot:
            raise self._refused(record, name) from None

    def log_path(self, record: RunRecord) -> Path:
        return self.file(record, LOG_FILE)

    # --- writing ----------------------------------------------------------------

    def create(self, record: RunRecord) -> Path:
        folder = self.folder(record)
        folder.parent.mkdir(parents=True, exist_ok=True)
        folder = self.folder(record)  # made by someone else meanwhile: checked again
        folder.mkdir(exist_ok=False)
        (folder / "outputs").mkdir()
        record.dir = f"runs/{record.dt}/{record.id}"
        self.save(record)
        return folder

    def save(self, record: RunRecord) -> None:
        """``run.json`` replaced atomically, with non-finite numbers written as null."""
        path = self.file(record, RUN_FILE)
        write_bytes_atomic(path, (dumps(record.to_dict(), indent=2) + "\n").encode())

    def log(self, record: RunRecord, line: str) -> None:
        """Append a line; a log that is a link is never followed (OSError)."""
        fd = open_log(self.log_path(record))
        with os.fdopen(fd, "a", encoding="utf-8") as f:
            f.write(f"{utcnow()} {line}\n")

    # --- reading ----------------------------------------------------------------

    def log_size(self, record: RunRecord) -> int:
        try:
            return os.lstat(self.log_path(record)).st_size
        except FileNotFoundError:
            return 0

    def read_log(self, record: RunRecord, offset: int = 0, limit: int = 1 << 20) -> tuple[str, int]:
        """The log from byte ``offset`` on (at most ``limit`` bytes) and the next offset."""
        path = self.log_path(record)
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        except FileNotFoundError:
            return "", offset
        except OSError:  # a link put there since the check
            raise self._refused(record, LOG_FILE) from None
        with os.fdopen(fd, "rb") as f:
            f.seek(max(0, offset))
            data = f.read(limit)
        # never split a UTF-8 character between two reads
        cut = len(data)
        while cut and cut > len(data) - 4 and (data[cut - 1] & 0xC0) == 0x80:
            cut -= 1
        if cut and data[cut - 1] >= 0xC0:
            cut -= 1
        if cut == 0 and data:
            cut = len(data)
        return data[:cut].decode("utf-8", errors="replace"), offset + cut

    def outputs(self, record: RunRecord, limit: int | None = None) -> tuple[list[RunFile], bool]:
        """The files below ``outputs/`` (paths relative to it), sorted, at most ``limit``,
        and whether there were more; links are followed inside the run's folder only.

        403 if ``outputs/`` or the run's folder is a link; none if it does not exist.
        """
        folder = self.folder(record)
        start = self.file(record, "outputs")
        if not start.is_dir():
            return [], False
        return walk(folder, start, limit)

    def archive_members(self, record: RunRecord) -> list[RunFile]:
        """What a run's download holds, named relative to its folder: ``outputs/**``, the
        executed notebooks its record lists, and ``run.log``; each only if it is a regular
        file that resolves inside the run's folder."""
        folder = self.folder(record)
        files, _ = self.outputs(record)
        members = [RunFile(f"outputs/{f.path}", f.size, f.real) for f in files]
        names = {m.path for m in members}
        prefix = f"{record.dir}/"
        for notebook in [*record.to_dict()["notebooks"], f"{prefix}{LOG_FILE}"]:
            rel = notebook[len(prefix) :] if notebook.startswith(prefix) else ""
            if not rel or rel in names or any(p in ("", ".", "..") for p in rel.split("/")):
                continue
            found = resolve_inside(folder, rel)
            if found is not None and stat.S_ISREG(found[1].st_mode):
                members.append(RunFile(rel, found[1].st_size, found[0]))
                names.add(rel)
        return members

    def _load(self, dt: str, run_id: str) -> RunRecord | None:
        """The record in ``runs/<dt>/<id>``, if it is a real file that names that folder."""
        try:
            data = read_json_file(self._path(dt, run_id, RUN_FILE), MAX_RECORD_BYTES)
            record = RunRecord.from_dict(data)
        except (OSError, ValueError, TypeError, RecursionError, PathOutsideRoot):
            return None
        if record.id != run_id or record.dt != dt:
            return None  # a record copied or written elsewhere: not this folder's run
        record.dir = f"runs/{dt}/{run_id}"
        return record

    def _dt_folders(self, dt: str | None = None) -> list[str]:
        """The names of real folders under ``runs/`` (only ``dt`` if given)."""
        return real_folders(self._root, NAME_RE, dt)

    def _run_folders(self, dt: str) -> list[str]:
        return real_folders(lambda: exact_path(self._root(), dt), RUN_ID_RE)

    def get(self, run_id: str) -> RunRecord | None:
        """Find a run by id in whichever DT's folder holds it."""
        if not isinstance(run_id, str) or not RUN_ID_RE.match(run_id):
            return None
        for dt in sorted(self._dt_folders()):
            record = self._load(dt, run_id)
            if record is not None:
                return record
        return None

    def all(
        self, dt: str | None = None, limit: int | None = None, include_children: bool = False
    ) -> list[RunRecord]:
        """Every run, newest first, optionally of one DT; ``limit`` reads only that many.

        Runs made on a provisioned server on behalf of another run are left out.
        """
        found = [(i, name) for name in self._dt_folders(dt) for i in self._run_folders(name)]
        records = []
        for run_id, name in sorted(found, reverse=True):
            if limit is not None and len(records) >= limit:
                break
            record = self._load(name, run_id)
            if record is not None and (record.parent is None or include_children):
                records.append(record)
        return records

    def mark_interrupted(self, owner: str, log: logging.Logger | None = None) -> list[RunRecord]:
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
                try:
                    self.save(record)
                except (OSError, RequestError) as e:  # replaced by a link meanwhile
                    (log or logging.getLogger(__name__)).warning("run %s: %s", record.id, e)
                    continue
                # the record says it; a log that is a link is not written
                with contextlib.suppress(OSError, RequestError):
                    self.log(record, "failed: interrupted (the runtime stopped during the run)")
                changed.append(record)
        return changed


def open_log(path: Path) -> int:
    """A file descriptor appending to ``path``, which must not be a link."""
    return os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW, 0o644)


def exact_path(root: Path, *parts: str) -> Path:
    """``root/parts`` inside ``root`` and with no link on the way (confined, then compared)."""
    path = confined(root, *parts)
    if path != root.joinpath(*parts):
        raise PathOutsideRoot(f"path {'/'.join(parts)!r} goes through a link")
    return path


def read_json_file(path: Path, limit: int) -> Any:
    """The JSON in a regular file (at most ``limit`` bytes read), never through a link and
    never blocked by a FIFO put in its place; OSError or ValueError when it is neither."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
            raise OSError(f"{path} is not a regular file")
        return json.loads(f.read(limit))


def real_folders(
    root: Callable[[], Path], pattern: re.Pattern, only: str | None = None
) -> list[str]:
    """The names matching ``pattern`` of the real folders (not links) in ``root()``."""
    try:
        entries = list(os.scandir(root()))
    except (OSError, PathOutsideRoot):
        return []
    return [
        e.name
        for e in entries
        if (only is None or e.name == only) and pattern.match(e.name) and is_real_dir(e)
    ]


def is_real_dir(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir(follow_symlinks=False)
    except OSError:
        return False
