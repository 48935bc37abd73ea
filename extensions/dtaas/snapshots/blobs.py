"""Content-addressed blobs, ``snapshots/.blobs/<2 hex>/<sha256>``, shared by every snapshot.

A blob is written once, staged then renamed, so a save that dies halfway leaves at most
an unreferenced blob, never a wrong one. A file that did not change since it was last
stored (same inode, size and mtime in nanoseconds) is not read again.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import stat
import tempfile
import threading
import time
from pathlib import Path

CHUNK = 1 << 20
SHA_RE = re.compile(r"^[0-9a-f]{64}$")
# a blob younger than this is never collected: a save may be about to reference it
COLLECT_AFTER_S = 600


class BlobMismatch(ValueError):
    """A blob's bytes do not hash to its name (damaged or replaced)."""


class BlobStore:
    """Writes and reads blobs; safe to share between threads."""

    def __init__(self, root: Path):
        self.root = root
        self._known: dict[tuple[str, int, int, int], str] = {}
        self._lock = threading.Lock()

    def path(self, sha: str) -> Path:
        if not isinstance(sha, str) or not SHA_RE.match(sha):
            raise ValueError(f"{sha!r} is not a sha256")
        return self.root / sha[:2] / sha

    def has(self, sha: str) -> bool:
        try:
            return stat.S_ISREG(os.lstat(self.path(sha)).st_mode)
        except OSError:
            return False

    def _stage(self, sha: str) -> tuple[int, str]:
        folder = self.root / sha[:2]
        folder.mkdir(parents=True, exist_ok=True)
        return tempfile.mkstemp(prefix=".staging-", dir=folder)

    def put_bytes(self, data: bytes | memoryview, sha: str | None = None) -> tuple[str, int]:
        """Store ``data``; returns its sha256 and the bytes written (0 if it was there)."""
        sha = sha or hashlib.sha256(data).hexdigest()
        if self.has(sha):
            self._touch(sha)
            return sha, 0
        fd, tmp = self._stage(sha)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.path(sha))
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return sha, len(data)

    def receive(self, sha: str, size: int) -> IncomingBlob:
        """A blob arriving in chunks (from another workspace), checked as it is written."""
        self.path(sha)  # a sha256, or ValueError
        fd, tmp = self._stage(sha)
        return IncomingBlob(self, sha, size, os.fdopen(fd, "wb"), Path(tmp))

    def file_key(self, st: os.stat_result, path: Path) -> tuple[str, int, int, int]:
        return (str(path), st.st_ino, st.st_size, st.st_mtime_ns)

    def known(self, path: Path, st: os.stat_result) -> str | None:
        """The sha256 of a file stored before and unchanged since, if its blob is still there."""
        with self._lock:
            sha = self._known.get(self.file_key(st, path))
        return sha if sha and self.has(sha) else None

    def remember(self, path: Path, st: os.stat_result, sha: str) -> None:
        with self._lock:
            self._known[self.file_key(st, path)] = sha

    def put_file(self, path: Path) -> tuple[str, int, int]:
        """Store a regular file (never through a link): its sha256, size and bytes written."""
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
        with os.fdopen(fd, "rb") as f:
            st = os.fstat(f.fileno())
            if not stat.S_ISREG(st.st_mode):
                raise OSError(f"{path} is not a regular file")
            sha = self.known(path, st)
            if sha:
                self._touch(sha)
                return sha, st.st_size, 0
            digest = hashlib.sha256()
            while chunk := f.read(CHUNK):
                digest.update(chunk)
            sha = digest.hexdigest()
            written = 0
            if not self.has(sha):
                f.seek(0)
                out_fd, tmp = self._stage(sha)
                copied = hashlib.sha256()
                try:
                    with os.fdopen(out_fd, "wb") as out:
                        while chunk := f.read(CHUNK):
                            copied.update(chunk)
                            out.write(chunk)
                            written += len(chunk)
                    if copied.hexdigest() != sha:
                        raise OSError(f"{path} changed while it was saved")
                    os.chmod(tmp, 0o600)
                    os.replace(tmp, self.path(sha))
                except BaseException:
                    Path(tmp).unlink(missing_ok=True)
                    raise
            else:
                self._touch(sha)
        self.remember(path, st, sha)
        return sha, st.st_size, written

    def read(self, sha: str) -> bytes:
        """The blob's bytes, checked against its name."""
        data = self.path(sha).read_bytes()
        if hashlib.sha256(data).hexdigest() != sha:
            raise BlobMismatch(sha)
        return data

    def verify(self, sha: str) -> bool:
        digest = hashlib.sha256()
        try:
            fd = os.open(self.path(sha), os.O_RDONLY | os.O_NOFOLLOW)
        except OSError:
            return False
        with os.fdopen(fd, "rb") as f:
            while chunk := f.read(CHUNK):
                digest.update(chunk)
        return digest.hexdigest() == sha

    def copy_to(self, sha: str, dest: Path) -> None:
        """Write the blob to ``dest`` (a new file), checking its hash as it goes."""
        digest = hashlib.sha256()
        fd = os.open(self.path(sha), os.O_RDONLY | os.O_NOFOLLOW)
        with os.fdopen(fd, "rb") as f, open(dest, "xb") as out:
            while chunk := f.read(CHUNK):
                digest.update(chunk)
                out.write(chunk)
        if digest.hexdigest() != sha:
            dest.unlink(missing_ok=True)
            raise BlobMismatch(sha)

    def _touch(self, sha: str) -> None:
        with contextlib.suppress(OSError):
            os.utime(self.path(sha))

    def collect(self, keep: set[str]) -> int:
        """Remove blobs no snapshot holds (and older than a save could take); bytes freed."""
        freed = 0
        now = time.time()
        try:
            folders = list(os.scandir(self.root))
        except OSError:
            return 0
        for folder in folders:
            if not folder.is_dir(follow_symlinks=False):
                continue
            for entry in os.scandir(folder.path):
                if entry.name in keep:
                    continue
                try:
                    st = entry.stat(follow_symlinks=False)
                    if now - st.st_mtime < COLLECT_AFTER_S:
                        continue
                    os.unlink(entry.path)
                    freed += st.st_size
                except OSError:
                    continue
        return freed


class IncomingBlob:
    """Bytes written to a staged file as they come; ``commit`` renames it into place only
    when they are exactly ``size`` bytes that hash to ``sha``, else nothing is kept."""

    def __init__(self, store: BlobStore, sha: str, size: int, f, tmp: Path):
        self.store, self.sha, self.size = store, sha, size
        self.f, self.tmp = f, tmp
        self.digest = hashlib.sha256()
        self.received = 0

    def write(self, chunk: bytes) -> None:
        self.received += len(chunk)
        if self.received > self.size:
            return  # too much already: refused at commit, nothing more written
        self.digest.update(chunk)
        self.f.write(chunk)

    def commit(self) -> None:
        try:
            self.f.close()
            if self.received != self.size or self.digest.hexdigest() != self.sha:
                raise BlobMismatch(self.sha)
            os.chmod(self.tmp, 0o600)
            os.replace(self.tmp, self.store.path(self.sha))
        except BaseException:
            self.tmp.unlink(missing_ok=True)
            raise

    def abort(self) -> None:
        with contextlib.suppress(OSError):
            self.f.close()
        self.tmp.unlink(missing_ok=True)
