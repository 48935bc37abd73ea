"""Snapshots on disk: ``snapshots/<dt>/<id>/snapshot.json`` over shared blobs.

A save happens in two parts so a live twin pauses only for the first: ``capture``
reads what changed (files into memory, or just their names when nothing runs) and
``finish`` hashes and stores the blobs, then writes the record in a staging folder
and renames it into place. A save that dies at any point leaves no snapshot, only
blobs that nothing references (collected later).

Paths are checked as the run store checks them: ``snapshots/`` and its folders must
be real folders in the workspace, a record's own paths must stay in their roots, and
a link is followed only inside the folder it is in.
"""

from __future__ import annotations

import os
import secrets
import shutil
import stat
import time
from dataclasses import dataclass
from pathlib import Path

from asset_library.errors import dumps
from asset_library.fsutil import PathOutsideRoot

from ..digital_twins import NAME_RE, RequestError
from ..runs.outputs import walk
from ..runs.store import RUN_ID_RE, exact_path, read_json_file, real_folders
from .blobs import BlobMismatch, BlobStore
from .model import OUTPUTS_PREFIX, SNAPSHOT_FILE, STATE_PREFIX, FileEntry, Snapshot, VariableEntry
from .variables import Dumped

BLOBS = ".blobs"
MAX_RECORD_BYTES = 64 << 20
MAX_LABEL = 200
LEFTOVERS = (".staging-", ".restore-", ".deleted-")


@dataclass
class Captured:
    """A file as it was at the capture: its bytes, or its path to be read by ``finish``."""

    path: str
    real: Path
    data: bytes | None = None
    sha: str | None = None
    size: int = 0
    stat: os.stat_result | None = None  # as captured: the next save skips it if unchanged


def _read(path: Path) -> bytes:
    """A regular file's bytes, never through a link."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(f"{path} is not a regular file")
        return f.read()


def _safe_rel(path: str) -> bool:
    parts = path.split("/")
    return bool(path) and "\x00" not in path and not any(p in ("", ".", "..") for p in parts)


class SnapshotStore:
    """Reads and writes one workspace's snapshots."""

    def __init__(self, workspace: Path):
        self.workspace = workspace
        self.root = workspace / "snapshots"
        self.blobs = BlobStore(self.root / BLOBS)

    # --- paths ------------------------------------------------------------------

    def _root(self) -> Path:
        self.root.mkdir(exist_ok=True)
        return exact_path(self.workspace.resolve(), "snapshots")

    def _path(self, dt: str, snapshot_id: str, *name: str) -> Path:
        if not isinstance(dt, str) or not NAME_RE.match(dt):
            raise PathOutsideRoot(f"snapshot folder {dt!r} is not a digital twin name")
        if not isinstance(snapshot_id, str) or not RUN_ID_RE.match(snapshot_id):
            raise PathOutsideRoot(f"snapshot folder {snapshot_id!r} is not a snapshot id")
        return exact_path(self._root(), dt, snapshot_id, *name)

    # --- saving -------------------------------------------------------------------

    def capture(self, roots: list[tuple[str, Path]], in_memory: bool) -> list[Captured]:
        """The regular files under each root, named ``<prefix><relative path>``.

        ``in_memory``: read now what changed since its last save (a live twin goes on
        changing its files once this returns); else only list them.
        """
        found: list[Captured] = []
        for prefix, folder in roots:
            if not folder.is_dir():
                continue
            real = folder.resolve()
            files, _ = walk(real, real)
            for f in files:
                item = Captured(f"{prefix}{f.path}", f.real, size=f.size)
                if in_memory:
                    try:
                        st = item.stat = os.stat(f.real)
                        item.sha = self.blobs.known(f.real, st)
                        if item.sha is None:
                            item.data = _read(f.real)
                            item.size = len(item.data)
                    except OSError:
                        continue  # gone since it was listed
                found.append(item)
        return found

    def finish(
        self, snapshot: Snapshot, files: list[Captured], variables: list[Dumped]
    ) -> Snapshot:
        """Store the blobs, then the record, staged and renamed; returns the snapshot."""
        written = 0
        for item in files:
            try:
                if item.sha is not None:
                    sha, size, n = item.sha, item.size, 0
                elif item.data is not None:
                    sha, n = self.blobs.put_bytes(item.data)
                    size = len(item.data)
                    if item.stat is not None:
                        self.blobs.remember(item.real, item.stat, sha)
                else:
                    sha, size, n = self.blobs.put_file(item.real)
            except OSError:
                continue  # removed or replaced by a link meanwhile: not in this snapshot
            written += n
            snapshot.files.append(FileEntry(item.path, size, sha))
        for var in variables:
            sha, n = self.blobs.put_bytes(var.data)
            written += n
            snapshot.variables.append(
                VariableEntry(var.name, var.type, len(var.data), sha, var.kind, var.module)
            )
        snapshot.bytes_written = written
        self.write(snapshot)
        return snapshot

    def write(self, snapshot: Snapshot) -> None:
        """The record into ``snapshots/<dt>/<id>/``: written in a staging folder, renamed."""
        (self._root() / snapshot.dt).mkdir(exist_ok=True)
        self._path(snapshot.dt, snapshot.id)  # names checked, and no link on the way
        parent = exact_path(self._root(), snapshot.dt)
        snapshot.dir = f"snapshots/{snapshot.dt}/{snapshot.id}"
        staging = parent / f".staging-{snapshot.id}-{secrets.token_hex(3)}"
        staging.mkdir()
        try:
            (staging / SNAPSHOT_FILE).write_bytes(
                (dumps(snapshot.to_dict(), indent=2) + "\n").encode()
            )
            os.rename(staging, self._path(snapshot.dt, snapshot.id))
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise

    def relabel(self, snapshot: Snapshot, label: str) -> Snapshot:
        snapshot.label = label
        path = self._path(snapshot.dt, snapshot.id, SNAPSHOT_FILE)
        tmp = path.with_name(f".{SNAPSHOT_FILE}.{secrets.token_hex(3)}")
        tmp.write_bytes((dumps(snapshot.to_dict(), indent=2) + "\n").encode())
        os.replace(tmp, path)
        return snapshot

    def delete(self, snapshot: Snapshot) -> int:
        """Remove the snapshot and the blobs only it held; the bytes freed."""
        folder = self._path(snapshot.dt, snapshot.id)
        trash = folder.with_name(f".deleted-{snapshot.id}")
        os.rename(folder, trash)  # gone from listings at once
        shutil.rmtree(trash, ignore_errors=True)
        keep = {e.sha256 for s in self.all() for e in (*s.files, *s.variables)}
        return self.blobs.collect(keep)

    def clean_leftovers(self, older_than_s: float = 3600) -> list[str]:
        """Remove what saves, restores and deletes that died halfway left (staging folders,
        half-written blobs), once older than any save in flight could be; their names."""
        now = time.time()
        removed = []
        try:
            root = self._root()
        except (OSError, PathOutsideRoot):
            return removed
        folders = [root, *(root / d for d in self._dt_folders())]
        folders += (
            [Path(e.path) for e in os.scandir(self.blobs.root) if e.is_dir()]
            if (self.blobs.root.is_dir())
            else []
        )
        for folder in folders:
            for entry in os.scandir(folder):
                if not entry.name.startswith(LEFTOVERS):
                    continue
                try:
                    if now - entry.stat(follow_symlinks=False).st_mtime < older_than_s:
                        continue
                    if entry.is_dir(follow_symlinks=False):
                        shutil.rmtree(entry.path)
                    else:
                        os.unlink(entry.path)
                except OSError:
                    continue
                removed.append(os.path.relpath(entry.path, self.workspace))
        return removed

    # --- reading ------------------------------------------------------------------

    def _load(self, dt: str, snapshot_id: str) -> Snapshot | None:
        try:
            data = read_json_file(self._path(dt, snapshot_id, SNAPSHOT_FILE), MAX_RECORD_BYTES)
            snapshot = Snapshot.from_dict(data)
        except (OSError, ValueError, TypeError, RecursionError, PathOutsideRoot):
            return None
        if snapshot.id != snapshot_id or snapshot.dt != dt:
            return None
        snapshot.dir = f"snapshots/{dt}/{snapshot_id}"
        return snapshot

    def _dt_folders(self, dt: str | None = None) -> list[str]:
        return real_folders(self._root, NAME_RE, dt)

    def get(self, snapshot_id: str, dt: str | None = None) -> Snapshot | None:
        """The snapshot, looked for in its twin's folder when ``dt`` is known, else in all."""
        if not isinstance(snapshot_id, str) or not RUN_ID_RE.match(snapshot_id):
            return None
        for name in sorted(self._dt_folders(dt)):
            found = self._load(name, snapshot_id)
            if found is not None:
                return found
        return None

    def all(self, dt: str | None = None, limit: int | None = None) -> list[Snapshot]:
        """Every snapshot, newest first, optionally of one twin."""
        ids = [
            (snapshot_id, name)
            for name in self._dt_folders(dt)
            for snapshot_id in real_folders(lambda n=name: exact_path(self._root(), n), RUN_ID_RE)
        ]
        found = []
        for snapshot_id, name in sorted(ids, reverse=True):
            if limit is not None and len(found) >= limit:
                break
            snapshot = self._load(name, snapshot_id)
            if snapshot is not None:
                found.append(snapshot)
        return found

    # --- restoring ------------------------------------------------------------------

    def stage_restore(self, snapshot: Snapshot) -> Path:
        """Copy the snapshot's files into a new staging folder (``state/``, ``outputs/``),
        each checked against its hash, and check every variable's blob too.

        Raises RequestError 409 naming the first file (or variable) that does not match,
        400 for a path that leaves its folder; nothing is left behind either way.
        """
        staging = self._root() / f".restore-{snapshot.id}-{secrets.token_hex(3)}"
        (staging / "state").mkdir(parents=True)
        (staging / "outputs").mkdir()
        try:
            for entry in snapshot.files:
                if not entry.path.startswith((STATE_PREFIX, OUTPUTS_PREFIX)) or not _safe_rel(
                    entry.path
                ):
                    raise RequestError(
                        400,
                        f"snapshot {snapshot.id} names a file outside its folders: {entry.path!r}",
                        snapshot=snapshot.id,
                        path=entry.path[:200],
                    )
                dest = staging / entry.path
                dest.parent.mkdir(parents=True, exist_ok=True)
                try:
                    self.blobs.copy_to(entry.sha256, dest)
                except (BlobMismatch, OSError, ValueError):
                    raise _mismatch(snapshot, entry.path, "file") from None
            for var in snapshot.variables:
                if not self.blobs.verify(var.sha256):
                    raise _mismatch(snapshot, var.name, "variable")
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return staging


def _mismatch(snapshot: Snapshot, name: str, what: str) -> RequestError:
    return RequestError(
        409,
        f"snapshot {snapshot.id}: {what} {name!r} does not match its sha256 in the snapshot's "
        "manifest (damaged or changed); nothing was restored",
        snapshot=snapshot.id,
        path=name,
    )


def install_restored(staging: Path, state_dir: Path, outputs_dir: Path) -> None:
    """Move a staged restore into place: the state folder swapped whole, outputs moved in."""
    outputs = staging / "outputs"
    for entry in os.listdir(outputs):
        os.rename(outputs / entry, outputs_dir / entry)
    old = state_dir.with_name(f".{state_dir.name}-replaced-{secrets.token_hex(3)}")
    state_dir.mkdir(parents=True, exist_ok=True)
    os.rename(state_dir, old)
    os.rename(staging / "state", state_dir)
    shutil.rmtree(old, ignore_errors=True)
    shutil.rmtree(staging, ignore_errors=True)
