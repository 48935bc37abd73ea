"""A run's files for the Explore page: its outputs listed by kind, and a zip to download.

Every file is confined to the run's folder. A link is followed only when it resolves
inside that folder; one that leads out of it is left out, as are special files
(FIFOs, sockets, devices), names that are not UTF-8 and folders already walked (a
link back up never loops). Files are opened without following a link, so a file
replaced by one between the listing and the zip is left out too.
"""

from __future__ import annotations

import mimetypes
import os
import stat
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from asset_library.fsutil import PathOutsideRoot, confined

CHUNK = 1 << 20
MAX_LISTED = 1000  # files in one listing; the zip holds them all
# a table of our own, not the system's /etc/mime.types: the same answer on every machine
_TYPES = mimetypes.MimeTypes(filenames=())
for _ext, _mime in {
    ".ipynb": "application/x-ipynb+json",
    ".md": "text/markdown",
    ".yaml": "application/yaml",
    ".yml": "application/yaml",
    ".log": "text/plain",
    ".toml": "application/toml",
    ".webp": "image/webp",
    ".parquet": "application/vnd.apache.parquet",
}.items():
    _TYPES.add_type(_mime, _ext)
TEXT_MIMES = {
    "application/json",
    "application/yaml",
    "application/toml",
    "application/xml",
    "application/javascript",
    "application/x-sh",
}
# already compressed: stored in the zip as they are
STORED_EXTENSIONS = {".png", ".jpg", ".jpeg", ".gif", ".webp", ".zip", ".gz", ".xz", ".bz2"}


# never through a link, never blocked by a FIFO
OPEN_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC


class ArchiveTooLarge(Exception):
    """The files to pack grew past the limit while they were being packed."""


def classify(name: str) -> tuple[str, str]:
    """``(kind, mime)`` of a file by its name: kinds tell the website how to show it."""
    mime = _TYPES.guess_type(name, strict=False)[0] or "application/octet-stream"
    if name.lower().endswith(".ipynb"):
        return "notebook", mime
    if mime == "text/csv":
        return "csv", mime
    if mime.startswith("image/"):
        return "image", mime
    if mime.startswith("text/") or mime in TEXT_MIMES:
        return "text", mime
    return "other", mime


@dataclass(frozen=True)
class RunFile:
    """One file of a run: its name as shown, its size, and the real path it resolves to."""

    path: str
    size: int
    real: Path

    def to_dict(self) -> dict[str, Any]:
        kind, mime = classify(self.path)
        return {"path": self.path, "size": self.size, "kind": kind, "mime": mime}


def resolve_inside(root: Path, rel: str) -> tuple[Path, os.stat_result] | None:
    """``root/rel`` resolved, with its stat, if it stays inside ``root`` (a resolved,
    real folder); None when it leads out or cannot be read."""
    try:
        real = confined(root, rel)
        return real, os.stat(real)
    except (OSError, PathOutsideRoot):
        return None


def walk(root: Path, start: Path, limit: int | None = None) -> tuple[list[RunFile], bool]:
    """The regular files below ``start`` (inside ``root``), sorted by path relative to it.

    At most ``limit`` files, and whether there were more. The walk goes depth first
    with each folder's entries sorted as ``name/`` and files as ``name``, which is the
    order of the full paths: it can stop after ``limit`` files and still give the first.
    """
    files: list[RunFile] = []
    seen: set[tuple[int, int]] = set()
    # (sort key, shown path, real path, size; None for a folder), popped smallest first
    stack: list[tuple[str, str, Path, int | None]] = [("", "", start, None)]
    while stack:
        _, shown, real, size = stack.pop()
        if size is not None:
            if limit is not None and len(files) >= limit:
                return files, True
            files.append(RunFile(shown, size, real))
            continue
        try:
            st = os.stat(real)
            if (st.st_dev, st.st_ino) in seen:
                continue
            seen.add((st.st_dev, st.st_ino))
            with os.scandir(real) as it:
                entries = list(it)
        except OSError:
            continue
        children: list[tuple[str, str, Path, int | None]] = []
        for entry in entries:
            try:
                entry.name.encode("utf-8")
            except UnicodeEncodeError:
                continue
            found = resolve_inside(root, os.path.relpath(entry.path, root))
            if found is None:
                continue
            target, st = found
            if stat.S_ISDIR(st.st_mode):
                children.append((entry.name + "/", f"{shown}{entry.name}/", target, None))
            elif stat.S_ISREG(st.st_mode):
                children.append((entry.name, f"{shown}{entry.name}", target, st.st_size))
        stack.extend(sorted(children, key=lambda c: c[0], reverse=True))
    return files, False


def _zip_time(mtime: float) -> tuple[int, int, int, int, int, int]:
    """A zip entry's date (zip dates start in 1980)."""
    stamp = time.localtime(mtime)[:6]
    return stamp if stamp[0] >= 1980 else (1980, 1, 1, 0, 0, 0)


def write_zip(out: IO[bytes], members: list[RunFile], limit: int) -> int:
    """Pack ``members`` (named by their ``path``) into ``out``, reading each in chunks.

    Each file is opened without following a link and must be a regular file, else
    it is left out. Raises ArchiveTooLarge once more than ``limit`` bytes were read.
    Returns how many files went in.
    """
    read = packed = 0
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as zf:
        for member in members:
            try:
                fd = os.open(member.real, OPEN_FLAGS)
            except OSError:
                continue
            with os.fdopen(fd, "rb") as f:
                st = os.fstat(fd)
                if not stat.S_ISREG(st.st_mode):
                    continue
                info = zipfile.ZipInfo(member.path, _zip_time(st.st_mtime))
                info.external_attr = 0o644 << 16
                stored = Path(member.path).suffix.lower() in STORED_EXTENSIONS
                info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
                with zf.open(info, "w", force_zip64=st.st_size >= zipfile.ZIP64_LIMIT) as dest:
                    while chunk := f.read(CHUNK):
                        read += len(chunk)
                        if read > limit:
                            raise ArchiveTooLarge(f"more than {limit} bytes")
                        dest.write(chunk)
            packed += 1
    return packed
