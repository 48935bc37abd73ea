"""Change detection: inotify on the library folders, polling only what inotify cannot watch.

Why inotify: at 100 000 assets a poll must stat every asset's folder, manifest and README
(~250 000 stats) each second, which costs a core; inotify costs nothing while nothing
changes. One inotify descriptor holds every watch (``watchdog`` would start a thread and
an inotify instance per watched folder, and its recursive mode would also watch runs/).
Only library folders are watched: the type folders, and each folder asset down to
``ASSET_DEPTH`` levels. If the kernel's watch limit is reached, the rest is polled.
"""

from __future__ import annotations

import errno
import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path

from ..catalog import ASSET_TYPES, visible
from ..manifest import ASSET_MANIFEST, DT_MANIFEST, README
from .inotify import (
    IN_CREATE,
    IN_IGNORED,
    IN_ISDIR,
    IN_MOVE_SELF,
    IN_MOVED_TO,
    IN_Q_OVERFLOW,
    Inotify,
)
from .scan import locate

log = logging.getLogger("dtaas.library.index")
ASSET_DEPTH = 2  # an asset folder and its subfolders: lifecycle/, configs/, ...
ASSET_SUBFOLDERS = 64  # watched subfolders per asset: a data set's thousand folders are not
LIBRARY_SETS = ("users", "groups")


def _level(parts: tuple[str, ...]) -> tuple[str, int] | None:
    """What a directory is in the data layout: (role, depth inside the asset)."""
    if not parts:
        return "top", 0
    head, n = parts[0], len(parts)
    base = 1 if head == "common" else 2 if head in LIBRARY_SETS else None
    if base is None:
        return None
    if n < base:
        return "set", 0
    if n == base:
        return "library", 0
    if parts[base] not in ASSET_TYPES:
        return None
    if n == base + 1:
        return "folder", 0
    depth = n - base - 2
    return ("asset", depth) if depth <= ASSET_DEPTH else None


def _descend(role: str, name: str) -> bool:
    if role == "top":
        return name in ("common", *LIBRARY_SETS)
    if role == "library":
        return name in ASSET_TYPES
    return visible(name)


def _stamp(d: str) -> str:
    """A polled folder's state: its own entries and the files an asset is read from."""
    stamps = []
    for path in (d, *(os.path.join(d, f) for f in (DT_MANIFEST, ASSET_MANIFEST, README))):
        try:
            st = os.lstat(path)
            stamps.append(f"{st.st_mtime_ns}.{st.st_size}")
        except OSError:
            stamps.append("-")
    return "|".join(stamps)


class Watcher:
    """Collects the paths that changed under the libraries; the index re-reads them."""

    def __init__(self, data_dir: Path, notify: Callable[[], None]):
        self.data_dir = str(data_dir)
        self.notify = notify  # called (from any thread) when something is pending
        self._lock = threading.Lock()
        self._inotify: Inotify | None = None
        self._limit_reached = False
        self._paths: dict[int, str] = {}  # watch descriptor -> folder
        self._known: dict[str, int] = {}  # folder -> watch descriptor, -1 when polled
        self._polled: dict[str, str] = {}  # folder -> stamp
        self._subfolders: dict[str, int] = {}  # asset folder -> its watched subfolders
        self._pending: set[str] = set()
        self._overflow = False

    @property
    def fd(self) -> int | None:
        return self._inotify.fd if self._inotify else None

    @property
    def polling(self) -> bool:
        return bool(self._polled)

    @property
    def watches(self) -> int:
        return len(self._paths)

    def start(self) -> None:
        """Watch every library folder present now (blocking: walks the libraries)."""
        try:
            self._inotify = Inotify()
        except (OSError, AttributeError) as e:
            log.warning("index: inotify unavailable (%s); polling the libraries", e)
        with self._lock:
            self._add_tree(self.data_dir)
            if self.data_dir not in self._known:  # not there yet: notice when it is
                self._polled[self.data_dir] = _stamp(self.data_dir)
                self._known[self.data_dir] = -1
        log.info("index: %d folders watched, %d polled", len(self._paths), len(self._polled))

    def _parts(self, d: str) -> tuple[str, ...]:
        rel = os.path.relpath(d, self.data_dir)
        return () if rel == "." else tuple(rel.split(os.sep))

    def _watch(self, d: str) -> bool:
        if self._inotify is not None and not self._limit_reached:
            try:
                wd = self._inotify.add(d)
            except OSError as e:
                if e.errno not in (errno.ENOSPC, errno.ENOMEM):
                    return False  # gone or unreadable: its parent's events cover it
                self._limit_reached = True
                log.warning("index: inotify watch limit reached; polling further folders")
            else:
                old = self._paths.get(wd)
                if old is not None and old != d:
                    self._known.pop(old, None)  # the same folder, moved
                self._paths[wd] = d
                self._known[d] = wd
                self._polled.pop(d, None)
                return True
        self._polled[d] = _stamp(d)
        self._known[d] = -1
        return True

    @staticmethod
    def _asset_of(d: str, depth: int) -> str:
        for _ in range(depth):
            d = os.path.dirname(d)
        return d

    def _add_tree(self, top: str) -> None:
        """Watch ``top`` and the library folders below it not watched yet."""
        stack = [top]
        while stack:
            d = stack.pop()
            level = _level(self._parts(d))
            if level is None or (d in self._known and d != top):
                continue
            role, depth = level
            if role == "asset" and depth and d not in self._known:
                asset = self._asset_of(d, depth)
                if self._subfolders.get(asset, 0) >= ASSET_SUBFOLDERS:
                    continue
                self._subfolders[asset] = self._subfolders.get(asset, 0) + 1
            if not self._watch(d) or (role == "asset" and depth >= ASSET_DEPTH):
                continue
            try:
                with os.scandir(d) as it:
                    children = [
                        e.name
                        for e in it
                        if e.is_dir(follow_symlinks=False) and _descend(role, e.name)
                    ]
            except OSError:
                continue
            stack.extend(os.path.join(d, c) for c in children)

    def read_events(self) -> None:
        """Drain the inotify queue (called by the event loop when the descriptor is readable)."""
        if self._inotify is None:
            return
        events = self._inotify.read()
        with self._lock:
            before = len(self._pending)
            for wd, mask, name in events:
                self._event(wd, mask, name)
            changed = len(self._pending) > before or self._overflow
        if changed:
            self.notify()

    def _event(self, wd: int, mask: int, name: str) -> None:
        if mask & IN_Q_OVERFLOW:
            self._overflow = True  # events were lost: the index re-checks everything
            return
        d = self._paths.get(wd)
        if d is None:
            return
        if mask & IN_IGNORED:
            del self._paths[wd]
            if self._known.get(d) == wd:
                del self._known[d]
            level = _level(self._parts(d))
            if level is not None and level[0] == "asset" and level[1]:
                asset = self._asset_of(d, level[1])
                left = self._subfolders.pop(asset, 1) - 1
                if left > 0:
                    self._subfolders[asset] = left
            return
        if mask & IN_MOVE_SELF:
            if not os.path.isdir(d) and self._inotify is not None:
                self._inotify.remove(wd)  # moved out of the libraries
            return
        path = os.path.join(d, name) if name else d
        if locate(Path(self.data_dir), Path(path)) is None:
            return
        self._pending.add(path)
        if mask & IN_ISDIR and mask & (IN_CREATE | IN_MOVED_TO):
            self._add_tree(path)

    def poll(self) -> None:
        """Check the folders inotify could not watch (blocking: stats each of them)."""
        with self._lock:
            polled = list(self._polled.items())
        changed = [(d, s) for d, old in polled if (s := _stamp(d)) != old]
        if not changed:
            return
        with self._lock:
            for d, s in changed:
                self._pending.add(d)
                if s.startswith("-|"):
                    self._polled.pop(d, None)
                    self._known.pop(d, None)
                else:
                    self._polled[d] = s
                    self._add_tree(d)  # new subfolders
        self.notify()

    def take(self) -> tuple[set[str], bool]:
        """The paths changed since the last call, and whether events were lost."""
        with self._lock:
            pending, self._pending = self._pending, set()
            overflow, self._overflow = self._overflow, False
        return pending, overflow

    def requeue(self, paths: set[str], overflow: bool = False) -> None:
        """Put back what could not be indexed, to try again."""
        with self._lock:
            self._pending |= paths
            self._overflow = self._overflow or overflow

    def close(self) -> None:
        if self._inotify is not None:
            self._inotify.close()
            self._inotify = None
