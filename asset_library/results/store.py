"""Runs and snapshots read from their owner's workspace, for the people they are shared with.

The service runs as the hub's account and can read every workspace, while each
workspace's user can change anything in it, links included. So every file is opened
one folder at a time from ``users/`` down (``<owner>/runs/<dt>/<id>/...``), none of
them through a link, only regular files are read, and every read is bounded. Nothing
here writes.
"""

from __future__ import annotations

import errno
import json
import mimetypes
import os
import re
import stat
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from ..scopes import NAME_RE as OWNER_RE

KINDS = ("runs", "snapshots")
RECORD_FILE = {"runs": "run.json", "snapshots": "snapshot.json"}
DT_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
ID_RE = re.compile(r"^[0-9A-Za-z-]{1,64}$")
SHA_RE = re.compile(r"^[0-9a-f]{64}$")
BLOBS = ".blobs"
RUN_LOG = "run.log"
MAX_RECORD_BYTES = 64 << 20
MAX_FILE_BYTES = 8 << 30
MAX_LISTED = 1000
MAX_PATH = 4096
MAX_NAME = 255
_TYPES = mimetypes.MimeTypes(filenames=())
for _ext, _mime in {
    ".ipynb": "application/x-ipynb+json",
    ".md": "text/markdown",
    ".yaml": "application/yaml",
    ".yml": "application/yaml",
    ".log": "text/plain",
    ".webp": "image/webp",
    ".parquet": "application/vnd.apache.parquet",
}.items():
    _TYPES.add_type(_mime, _ext)

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC


class ResultError(Exception):
    """A refusal with an HTTP status; ``fields`` name what is at fault."""

    def __init__(self, status: int, message: str, **fields: Any):
        super().__init__(message)
        self.status = status
        self.message = message
        self.fields = fields


class LinkRefused(OSError):
    """A folder or file on the way is a link (or not what it should be)."""


def resource(kind: str, owner: str, dt: str, result_id: str) -> str:
    """The name grants are stored under: ``runs/<owner>/<dt>/<id>``."""
    return f"{kind}/{owner}/{dt}/{result_id}"


def check_names(owner: str, dt: str, result_id: str) -> None:
    """400 naming the first part that cannot name a result."""
    for value, pattern, name in (
        (owner, OWNER_RE, "owner"),
        (dt, DT_RE, "dt"),
        (result_id, ID_RE, "id"),
    ):
        if not isinstance(value, str) or not pattern.match(value):
            shown = str(value)[:80]
            raise ResultError(400, f"{name} {shown!r} is not a valid {name}", field=name)


def mime_of(name: str) -> str:
    return _TYPES.guess_type(name, strict=False)[0] or "application/octet-stream"


def kind_of(name: str, mime: str) -> str:
    """How the page shows a file: notebook, image, csv, text or other."""
    if name.lower().endswith(".ipynb"):
        return "notebook"
    if mime == "text/csv":
        return "csv"
    if mime.startswith("image/"):
        return "image"
    if mime.startswith("text/") or mime in ("application/json", "application/yaml"):
        return "text"
    return "other"


def describe(path: str, size: int) -> dict[str, Any]:
    mime = mime_of(path)
    return {"path": path, "size": size, "kind": kind_of(path, mime), "mime": mime}


def _is_link(name: str, dir_fd: int) -> bool:
    try:
        return stat.S_ISLNK(os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode)
    except OSError:
        return False


def _open_steps(root: Path, parts: Sequence[str], last_is_dir: bool) -> int:
    """A file descriptor of ``root/parts``, each part opened from the one before without
    following a link; raises LinkRefused for a link, FileNotFoundError when missing."""
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        for i, part in enumerate(parts):
            if part in ("", ".", "..") or "/" in part or "\x00" in part:
                raise FileNotFoundError(part)
            is_dir = last_is_dir or i < len(parts) - 1
            try:
                nxt = os.open(part, _DIR_FLAGS if is_dir else _FILE_FLAGS, dir_fd=fd)
            except OSError as e:
                shown = "/".join(parts[: i + 1])
                if e.errno in (errno.ELOOP, errno.EMLINK) or (
                    e.errno == errno.ENOTDIR and _is_link(part, fd)
                ):
                    raise LinkRefused(f"{shown} is a link") from None
                if e.errno == errno.ENOTDIR:
                    raise FileNotFoundError(shown) from None
                raise
            os.close(fd)
            fd = nxt
        return fd
    except BaseException:
        os.close(fd)
        raise


def open_regular(root: Path, parts: Sequence[str]) -> IO[bytes]:
    """``root/parts`` opened for reading: a regular file reached through no link."""
    fd = _open_steps(root, parts, last_is_dir=False)
    f = os.fdopen(fd, "rb")
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        f.close()
        raise FileNotFoundError("/".join(parts))
    return f


def read_bounded(root: Path, parts: Sequence[str], limit: int) -> bytes:
    """All of a regular file of at most ``limit`` bytes; ValueError when larger."""
    with open_regular(root, parts) as f:
        data = f.read(limit + 1)
    if len(data) > limit:
        raise ValueError(f"{'/'.join(parts)} is larger than {limit} bytes")
    return data


@contextmanager
def opened_dir(root: Path, parts: Sequence[str]) -> Iterator[int]:
    fd = _open_steps(root, parts, last_is_dir=True)
    try:
        yield fd
    finally:
        os.close(fd)


def split_path(path: str) -> list[str]:
    """A file's path inside a result as parts; 400 for one that climbs, hides or is
    absolute (the page links only to plain names)."""
    if len(path) > MAX_PATH or any(len(p) > MAX_NAME for p in path.split("/")):
        raise ResultError(400, f"path {path[:80]!r} is too long", path=path[:200])
    if "\x00" in path or "\\" in path or path.startswith("/"):
        raise ResultError(400, f"path {path[:80]!r} is not a relative path", path=path[:200])
    parts = path.split("/")
    if any(p in ("", ".", "..") or p.startswith(".") for p in parts):
        raise ResultError(400, f"path {path[:80]!r} leaves its result or is hidden", path=path)
    return parts


@dataclass
class Result:
    """One run or snapshot as read from its owner's workspace."""

    kind: str
    owner: str
    dt: str
    id: str
    record: dict[str, Any]
    users_dir: Path
    files: list[dict[str, Any]] = field(default_factory=list)
    more_files: bool = False

    @property
    def resource(self) -> str:
        return resource(self.kind, self.owner, self.dt, self.id)

    @property
    def folder_parts(self) -> list[str]:
        return [self.owner, self.kind, self.dt, self.id]

    @property
    def notebooks(self) -> list[str]:
        """The names (without ``.ipynb``) of the notebooks that can be rendered."""
        if self.kind == "runs":
            found = [f["path"] for f in self.files if "/" not in f["path"]]
        else:
            found = [
                f["path"][len("outputs/") :]
                for f in self.files
                if f["path"].startswith("outputs/") and "/" not in f["path"][len("outputs/") :]
            ]
        return [p[: -len(".ipynb")] for p in found if p.endswith(".ipynb")]

    def title(self, dt_title: str | None = None) -> str:
        name = dt_title or self.dt
        if self.kind == "runs":
            steps = self.record.get("steps") or []
            return f"{name}: run of {', '.join(map(str, steps)) or 'its steps'}"
        label = self.record.get("label") or ""
        return f"{name}: snapshot {label!r}" if label else f"{name}: snapshot"

    def scope_key(self) -> str | None:
        """The library key of the twin the result is of (for its title)."""
        scope = self.record.get("scope")
        if scope == "private":
            return f"user:{self.owner}"
        if scope == "common" or (isinstance(scope, str) and scope.startswith("group:")):
            return scope
        return None

    # --- files ------------------------------------------------------------------

    def _run_file_parts(self, path: str) -> list[str]:
        parts = split_path(path)
        allowed = (parts[0] == "outputs" and len(parts) > 1) or (
            len(parts) == 1 and (parts[0].endswith(".ipynb") or parts[0] == RUN_LOG)
        )
        if not allowed:
            raise ResultError(404, f"no file {path!r} in this run", path=path)
        return parts

    def entry(self, path: str) -> dict[str, Any]:
        """A snapshot's manifest entry for ``path`` (``state/...`` or ``outputs/...``)."""
        split_path(path)
        for f in self.record.get("files") or []:
            if isinstance(f, dict) and f.get("path") == path:
                return f
        raise ResultError(404, f"no file {path!r} in this snapshot", path=path)

    def open_file(self, path: str) -> IO[bytes]:
        """A file of the result, opened: a run's file from its folder, a snapshot's from
        the blob its manifest names."""
        if self.kind == "snapshots":
            return self.open_blob(str(self.entry(path).get("sha256")))
        parts = self._run_file_parts(path)
        try:
            return open_regular(self.users_dir, [*self.folder_parts, *parts])
        except LinkRefused:
            raise ResultError(403, f"path {path!r} is a link", path=path) from None
        except OSError:
            raise ResultError(404, f"no file {path!r} in this run", path=path) from None

    def blob_names(self) -> set[str]:
        names = set()
        for key in ("files", "variables"):
            for entry in self.record.get(key) or []:
                sha = entry.get("sha256") if isinstance(entry, dict) else None
                if isinstance(sha, str) and SHA_RE.match(sha):
                    names.add(sha)
        return names

    def open_blob(self, sha: str) -> IO[bytes]:
        """One of the snapshot's blobs (only those its manifest holds)."""
        if not isinstance(sha, str) or not SHA_RE.match(sha):
            raise ResultError(400, f"{sha[:80]!r} is not a sha256", field="sha256")
        if self.kind != "snapshots" or sha not in self.blob_names():
            raise ResultError(404, f"no blob {sha} in this snapshot", sha256=sha)
        try:
            return open_regular(self.users_dir, [self.owner, "snapshots", BLOBS, sha[:2], sha])
        except OSError:
            raise ResultError(404, f"blob {sha} is missing", sha256=sha) from None

    def notebook_bytes(self, name: str, limit: int) -> bytes:
        """The executed notebook ``<name>.ipynb``, at most ``limit`` bytes (413 if larger)."""
        if name not in self.notebooks:
            raise ResultError(404, f"no notebook {name!r} in this result", path=name)
        path = f"{name}.ipynb" if self.kind == "runs" else f"outputs/{name}.ipynb"
        with self.open_file(path) as f:
            if os.fstat(f.fileno()).st_size > limit:
                raise ResultError(413, f"notebook {name!r} is larger than {limit} bytes")
            data = f.read(limit + 1)
        if len(data) > limit:
            raise ResultError(413, f"notebook {name!r} is larger than {limit} bytes")
        return data


def _list_run_files(users_dir: Path, parts: list[str], limit: int) -> tuple[list[dict], bool]:
    """A run's outputs (below ``outputs/``), executed notebooks and log: regular files
    only, no link followed, sorted, at most ``limit``."""
    found: list[dict[str, Any]] = []
    more = False
    try:
        with opened_dir(users_dir, parts) as run_fd:
            for entry in sorted(os.listdir(run_fd)):
                if not (entry.endswith(".ipynb") or entry == RUN_LOG) or entry.startswith("."):
                    continue
                try:
                    st = os.stat(entry, dir_fd=run_fd, follow_symlinks=False)
                    entry.encode("utf-8")
                except (OSError, UnicodeEncodeError):
                    continue
                if stat.S_ISREG(st.st_mode):
                    found.append(describe(entry, st.st_size))
            outputs: list[dict[str, Any]] = []
            try:
                walker = os.fwalk("outputs", dir_fd=run_fd, follow_symlinks=False)
                for top, dirs, files, top_fd in walker:
                    dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                    for name in sorted(files):
                        if name.startswith("."):
                            continue
                        try:
                            st = os.stat(name, dir_fd=top_fd, follow_symlinks=False)
                            (top + "/" + name).encode("utf-8")
                        except (OSError, UnicodeEncodeError):
                            continue
                        if stat.S_ISREG(st.st_mode):
                            outputs.append(describe(f"{top}/{name}", st.st_size))
                    if len(outputs) > limit:
                        break
            except OSError:
                pass
    except OSError:
        return [], False
    outputs.sort(key=lambda f: f["path"])
    found = outputs + found
    if len(found) > limit:
        found, more = found[:limit], True
    return found, more


def load(users_dir: Path, kind: str, owner: str, dt: str, result_id: str) -> Result | None:
    """The run or snapshot ``<owner>/<dt>/<id>``, or None if there is none (or it is not a
    real folder with a record that names it)."""
    if kind not in KINDS:
        return None
    try:
        check_names(owner, dt, result_id)
    except ResultError:
        return None
    parts = [owner, kind, dt, result_id]
    try:
        data = json.loads(read_bounded(users_dir, [*parts, RECORD_FILE[kind]], MAX_RECORD_BYTES))
    except (OSError, ValueError, RecursionError):
        return None
    if not isinstance(data, dict) or data.get("id") != result_id or data.get("dt") != dt:
        return None  # a record copied from elsewhere: not this folder's
    found = Result(kind, owner, dt, result_id, data, users_dir)
    if kind == "runs":
        found.files, found.more_files = _list_run_files(users_dir, parts, MAX_LISTED)
    else:
        entries = [f for f in data.get("files") or [] if isinstance(f, dict)]
        found.files = [
            describe(f["path"], f["size"] if isinstance(f.get("size"), int) else 0)
            for f in entries[:MAX_LISTED]
            if isinstance(f.get("path"), str)
        ]
        found.more_files = len(entries) > MAX_LISTED
    return found
