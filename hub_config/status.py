"""What an admin checks about the platform, read from what the hub can see: the servers
in its database, the workspaces' run and sweep records, the library on disk and its
curation queue. No web code: the admin page and ``dtaas admin status`` render it."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import psutil

from asset_library.index.db import default_url, make_engine
from asset_library.sharing.store import SharingStore

ASSET_TYPES = ("digital_twins", "models", "functions", "tools", "data")
MAX_FILES = 200_000  # a library walk stops counting here, and says so
MAX_RUNS_READ = 200  # per workspace: the newest, where runs in flight are


@dataclass
class ServerStatus:
    user: str
    name: str  # "" is the default server
    profile: str
    started: str | None
    last_activity: str | None
    pid: int | None = None
    container: str | None = None  # the Docker profile's server
    cpu_percent: float | None = None
    memory_bytes: int | None = None


@dataclass
class WorkStatus:
    """A run or a sweep still queued or running, in some user's workspace."""

    user: str
    kind: str  # run | sweep
    id: str
    dt: str
    status: str
    started: str | None
    progress: str


@dataclass
class LibrarySize:
    assets: dict[str, int] = field(default_factory=dict)  # by library: common, groups, private
    files: int = 0
    bytes: int = 0
    truncated: bool = False


def process_use(pid: int | None) -> tuple[float | None, int | None]:
    """CPU (percent of one core, over a short look) and resident memory of a server and
    every process below it (its kernels); None when it is not a process of this machine."""
    if not pid:
        return None, None
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.Error:
        return None, None
    cpu, memory = 0.0, 0
    for p in procs:
        try:
            with p.oneshot():
                memory += p.memory_info().rss
                cpu += p.cpu_percent(interval=None)
        except psutil.Error:
            continue
    return cpu, memory


def container_use(container: str | None) -> tuple[float | None, int | None]:
    """CPU (percent of one core) and memory of a server's container, from the engine's
    own counters; None when there is no engine or no such container."""
    if not container:
        return None, None
    try:
        import docker

        client = docker.from_env(timeout=10)
        try:
            stats = client.api.stats(container, stream=False)
        finally:
            client.close()
    except Exception:  # noqa: BLE001 (no engine, no container: nothing to show)
        return None, None
    memory = (stats.get("memory_stats") or {}).get("usage")
    cpu, pre = stats.get("cpu_stats") or {}, stats.get("precpu_stats") or {}
    used = (cpu.get("cpu_usage") or {}).get("total_usage", 0) - (pre.get("cpu_usage") or {}).get(
        "total_usage", 0
    )
    elapsed = cpu.get("system_cpu_usage", 0) - pre.get("system_cpu_usage", 0)
    cores = cpu.get("online_cpus") or 1
    percent = 100.0 * used / elapsed * cores if elapsed > 0 and used >= 0 else None
    return percent, memory


def work_in_flight(users_dir: Path) -> list[WorkStatus]:
    """Runs and sweeps not yet ended, across every workspace the hub can read."""
    from dtaas.runs.store import RunStore
    from dtaas.whatif.sweeps import SweepStore

    found: list[WorkStatus] = []
    if not users_dir.is_dir():
        return found
    for home in sorted(p for p in users_dir.iterdir() if p.is_dir() and not p.is_symlink()):
        try:
            runs = RunStore(home).all(limit=MAX_RUNS_READ, include_children=True)
            sweeps = SweepStore(home).all(limit=MAX_RUNS_READ)
        except OSError:
            continue  # a workspace being laid out, or one the hub may not read
        for r in runs:
            if not r.done:
                found.append(
                    WorkStatus(home.name, "run", r.id, r.dt, r.status, r.started, _run_progress(r))
                )
        for s in sweeps:
            if not s.ended:
                found.append(
                    WorkStatus(
                        home.name, "sweep", s.id, s.dt, s.status, s.started, f"{s.done}/{s.total}"
                    )
                )
    return found


def _run_progress(record: Any) -> str:
    live = record.live or {}
    if live:
        return f"live, tick {live.get('tick', 0)}"
    p = record.progress
    return f"{p.step or ''} cell {p.cell}/{p.cells_total}".strip()


def library_size(data_dir: Path) -> LibrarySize:
    """Assets per library and the files and bytes under them, counted on disk."""
    size = LibrarySize()
    roots: list[tuple[str, Path]] = [("common", data_dir / "common")]
    groups = data_dir / "groups"
    if groups.is_dir():
        roots += [("groups", g) for g in sorted(groups.iterdir()) if g.is_dir()]
    users = data_dir / "users"
    if users.is_dir():
        roots += [("private", u) for u in sorted(users.iterdir()) if u.is_dir()]
    for library, root in roots:
        for kind in ASSET_TYPES:
            folder = root / kind
            if not folder.is_dir() or folder.is_symlink():
                continue
            assets = [a for a in folder.iterdir() if a.is_dir() and not a.name.startswith(".")]
            size.assets[library] = size.assets.get(library, 0) + len(assets)
            for asset in assets:
                if not _count(asset, size):
                    size.truncated = True
                    return size
    return size


def _count(folder: Path, size: LibrarySize) -> bool:
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for name in filenames:
            try:
                size.bytes += os.lstat(os.path.join(dirpath, name)).st_size
            except OSError:
                continue
            size.files += 1
            if size.files >= MAX_FILES:
                return False
    return True


def curation_queue(data_dir: Path, db_url: str = "") -> list[dict[str, Any]]:
    """Publish requests waiting for a curator, from the library's own database."""
    engine = make_engine(db_url or default_url(data_dir))
    try:
        return SharingStore(engine).requests(status="pending")
    finally:
        engine.dispose()


def as_json(
    services: list[dict],
    servers: list[ServerStatus],
    work: list[WorkStatus],
    library: LibrarySize,
    queue: list[dict[str, Any]],
) -> dict[str, Any]:
    return {
        "services": services,
        "servers": [asdict(s) for s in servers],
        "work": [asdict(w) for w in work],
        "library": asdict(library),
        "curation": [
            {k: r.get(k) for k in ("id", "asset", "requester", "version", "note", "created")}
            for r in queue
        ],
    }
