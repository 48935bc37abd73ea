"""The kernel's side of a live twin: ticks, live values, saves between ticks, respawn.

The runtime and the kernel talk through two small files in the run folder, each
replaced atomically: ``control.json`` (runtime -> kernel: stop, saves asked for) and
``live.json`` (kernel -> runtime: ticks done, latest values). A save between two ticks
captures the variables and the changed files in memory, then lets the loop go on while
a thread hashes and stores them.
"""

from __future__ import annotations

import json
import math
import os
import queue
import re
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from asset_library.fsutil import write_bytes_atomic

from .context import context
from .snapshots.model import OUTPUTS_PREFIX, STATE_PREFIX, Snapshot
from .snapshots.store import SnapshotStore
from .snapshots.variables import dump_namespace, load

CONTROL_FILE = "control.json"
LIVE_FILE = "live.json"
SAVES_FOLDER = "saves"  # <id>.error: why a save asked for did not happen
SERIES_FOLDER = "records"
SERIES_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
LIVE_WRITE_INTERVAL_S = 0.2
POLL_SLICE_S = 0.05  # a sleeping loop looks at control.json this often


class _Live:
    """This kernel's live state (one step runs in a kernel at a time)."""

    def __init__(self) -> None:
        self.tick = 0
        self.t: float | None = None
        self.period_s: float | None = None
        self.running = False
        self.values: dict[str, Any] = {}
        self.series: set[str] = set()
        self.written = 0.0
        self.control_mtime = -1
        self.control: dict[str, Any] = {}
        self.handled: set[str] = set()
        self.saves: queue.Queue = queue.Queue()
        self.saver: threading.Thread | None = None
        self.store: SnapshotStore | None = None
        self.pause_s: list[float] = []  # how long each save held the loop


_live = _Live()


def _reset() -> None:
    """A new scenario in a warm kernel: no tick, series or recorded value of the last one."""
    global _live
    _live.saves.join()
    _live = _Live()
    _recorded.clear()


def _run_dir() -> Path:
    return context().run_dir


def _write_live(force: bool = False) -> None:
    now = time.monotonic()
    if not force and now - _live.written < LIVE_WRITE_INTERVAL_S:
        return
    _live.written = now
    data = {
        "tick": _live.tick,
        "t": _live.t,
        "period_s": _live.period_s,
        "values": _live.values,
        "series": sorted(_live.series),
        "running": _live.running,
        "updated": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + "Z",
    }
    text = json.dumps(data, default=str, allow_nan=False)
    write_bytes_atomic(_run_dir() / LIVE_FILE, text.encode())


def _read_control() -> dict[str, Any]:
    path = _run_dir() / CONTROL_FILE
    try:
        mtime = os.stat(path).st_mtime_ns
    except OSError:
        return _live.control
    if mtime != _live.control_mtime:
        try:
            _live.control = json.loads(path.read_text())
            _live.control_mtime = mtime
        except (OSError, ValueError):
            pass  # being replaced: read it next time
    return _live.control


def _namespace() -> tuple[dict[str, Any], set[str]]:
    """The user's variables and the names IPython itself put there."""
    try:
        from IPython import get_ipython

        shell = get_ipython()
    except ImportError:
        shell = None
    if shell is None:
        import __main__

        return vars(__main__), set()
    return shell.user_ns, set(shell.user_ns_hidden)


def _store() -> SnapshotStore:
    if _live.store is None:
        _live.store = SnapshotStore(context().workspace)
    return _live.store


def _saver() -> None:
    while True:
        job = _live.saves.get()
        if job is None:
            return
        snapshot, files, variables = job
        try:
            _store().finish(snapshot, files, variables)
        except Exception as e:  # noqa: BLE001 (said to the runtime, never sinks the loop)
            _save_failed(snapshot.id, e)
        finally:
            _live.saves.task_done()


def _save_failed(snapshot_id: str, error: BaseException) -> None:
    folder = _run_dir() / SAVES_FOLDER
    folder.mkdir(exist_ok=True)
    write_bytes_atomic(folder / f"{snapshot_id}.error", f"{type(error).__name__}: {error}".encode())


def _take(request: dict[str, Any], live: bool) -> None:
    """Capture a snapshot now; its blobs are stored by the saver thread (live) or here."""
    ctx = context()
    namespace, hidden = _namespace()
    variables, skipped = dump_namespace(namespace, hidden)
    store = _store()
    files = store.capture(
        [(STATE_PREFIX, ctx.state_dir), (OUTPUTS_PREFIX, ctx.output_dir)], in_memory=live
    )
    snapshot = Snapshot(
        id=request["id"],
        dt=ctx.dt,
        scope=ctx.scope,
        run=ctx.run_id,
        step=ctx.step,
        label=str(request.get("label") or ""),
        live=live,
        tick=_live.tick if (live or _live.period_s is not None) else None,
        parameters=ctx.parameters,
        config=ctx.config,
        dt_hash=ctx.dt_hash,
        environment=ctx.environment,
        recorded=dict(_recorded),
        state_dir=str(os.path.relpath(ctx.state_dir, ctx.workspace)),
        skipped=skipped,
    )
    if not live:
        store.finish(snapshot, files, variables)
        return
    if _live.saver is None or not _live.saver.is_alive():
        _live.saver = threading.Thread(target=_saver, daemon=True, name="dtaas-save")
        _live.saver.start()
    _live.saves.put((snapshot, files, variables))


def _take_saves(control: dict[str, Any], live: bool) -> None:
    for request in control.get("save") or []:
        sid = request.get("id") if isinstance(request, dict) else None
        if not isinstance(sid, str) or sid in _live.handled:
            continue
        _live.handled.add(sid)
        started = time.perf_counter()
        try:
            _take(request, live)
        except Exception as e:  # noqa: BLE001
            _save_failed(sid, e)
        _live.pause_s.append(time.perf_counter() - started)


def ticks(period_s: float, limit: int | None = None) -> Iterator[int]:
    """Yield 0, 1, 2, ... every ``period_s`` seconds until the run is asked to stop.

    A respawned run goes on from the tick it was saved at. Between two ticks the loop
    takes the snapshots asked for (and goes on), and ends once Stop is asked.
    """
    if isinstance(period_s, bool) or not isinstance(period_s, (int, float)):
        raise TypeError("period_s must be a number of seconds")
    if not math.isfinite(period_s) or period_s < 0:
        raise ValueError("period_s must be a finite number of seconds, 0 or more")
    if limit is not None and (not isinstance(limit, int) or limit < 0):
        raise ValueError("limit must be a whole number of ticks, 0 or more")
    _live.tick = context().tick
    _live.period_s = float(period_s)
    _live.running = True
    _write_live(force=True)
    done = 0
    deadline = time.monotonic()
    try:
        while True:
            control = _read_control()
            _take_saves(control, live=True)
            if control.get("stop") or (limit and done >= limit):
                return
            yield _live.tick
            _live.tick += 1
            done += 1
            _write_live()
            deadline += period_s
            while (wait := deadline - time.monotonic()) > 0:
                time.sleep(min(wait, POLL_SLICE_S))
                control = _read_control()
                if control.get("stop") or control.get("save"):
                    _take_saves(control, live=True)
                    if control.get("stop"):
                        return
            deadline = max(deadline, time.monotonic() - period_s)  # never race to catch up
    finally:
        _live.running = False
        _write_live(force=True)
        _live.saves.join()


_recorded: dict[str, Any] = {}


def record_series(name: str, value: Any, t: Any) -> None:
    """Append ``t,value`` to ``outputs/records/<name>.csv`` and show it as the latest value."""
    if not SERIES_NAME.match(name):
        raise ValueError(f"a time series name must be a plain file name, not {name!r}")
    if isinstance(t, bool) or not isinstance(t, (int, float)) or not math.isfinite(t):
        raise ValueError(f"t of {name!r} must be a finite number")
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, bool):
        value = int(value)
    if not isinstance(value, (int, float)):
        raise ValueError(f"a time series value of {name!r} must be a number")
    folder = context().output_dir / SERIES_FOLDER
    path = folder / f"{name}.csv"
    if name not in _live.series and not path.exists():
        folder.mkdir(exist_ok=True)
        path.write_text(f"t,{name}\n")
    with open(path, "a") as f:
        f.write(f"{t!r},{value!r}\n")
    _live.series.add(name)
    _live.values[name] = value if math.isfinite(value) else None
    _live.t = float(t)
    _recorded[name] = _live.values[name]
    if not _live.running:
        _write_live()


def remember(name: str, value: Any) -> None:
    """A value recorded without a time: kept for the snapshot's record."""
    _recorded[name] = value


# --- called by the runtime in hidden cells -------------------------------------------


def _step_end(saves: list[dict[str, Any]]) -> None:
    """After the step's last cell: flush live values, finish saves, take those asked for."""
    if _live.series or _live.period_s is not None:
        _write_live(force=True)
    _live.saves.join()
    _take_saves({"save": saves + list(_read_control().get("save") or [])}, live=False)


def _restore(snapshot_id: str) -> None:
    """Before the step's first cell: put the snapshot's variables back."""
    snapshot = _store().get(snapshot_id)
    if snapshot is None:
        raise LookupError(f"no snapshot {snapshot_id!r}")
    namespace, _ = _namespace()
    restored, failed = 0, []
    for var in snapshot.variables:
        try:
            namespace[var.name] = load(var.kind, _store().blobs.read(var.sha256))
            restored += 1
        except Exception as e:  # noqa: BLE001 (one variable never sinks the rest)
            failed.append(f"{var.name} ({type(e).__name__}: {e})")
    _recorded.update(snapshot.recorded)
    for name, value in snapshot.recorded.items():
        _live.values[name] = value
    print(
        f"[dtaas] respawned from snapshot {snapshot_id}: {restored} variables restored"
        + (f"; not restored: {', '.join(failed)}" if failed else ""),
        file=sys.stderr,
    )
