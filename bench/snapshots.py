"""What Save and respawn cost, measured on the code paths the runtime uses.

- ``save_s``: a twin's state folder of 200 MB of numpy arrays (``.npy``, 4 x 50 MB) and
  1,000 small files, saved by the snapshot store (hash, store the blobs, write the record
  staged and renamed), from cold (no blob there yet).
- ``resave_bytes_ratio``: 10 of the 1,004 files (1%) change, saved again: the bytes the
  second save wrote over the bytes the first wrote.
- ``respawn_speedup``: a twin whose create step warms up for 20 s (a model table that takes
  that long to build) then executes; run create + execute from scratch, against a respawn of
  execute from the snapshot taken after create (its variables restored in a new kernel).
  Both through the run manager with real kernels.
- ``live_pause_ms``: a live twin (``dtaas.ticks(0.05)``) holding a 50 MB array is saved 5
  times while it runs; the longest time a save held its loop, timed in the kernel.
- ``skipped``: a namespace with a generator, an open socket, an SQLite connection and a
  100 MB array saved variable by variable: the names that could not be saved (the array is
  saved); ``dill_dump_module`` says what ``dill.dump_module`` does with the same namespace.

Run with the project's venv: ``.venv/bin/python bench/snapshots.py``. Prints one JSON line;
diagnostics go to stderr.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
import sqlite3
import sys
import tempfile
import time
import types
from pathlib import Path

import dill
import nbformat
import numpy as np
import yaml

from dtaas.runs.manager import RunManager
from dtaas.snapshots.model import STATE_PREFIX, Snapshot
from dtaas.snapshots.store import SnapshotStore
from dtaas.snapshots.variables import dump_namespace

WARM_UP_S = 20


def say(*args: object) -> None:
    print(*args, file=sys.stderr, flush=True)


def write_twin(workspace: Path, name: str, steps: dict[str, list[str]]) -> None:
    folder = workspace / "digital_twins" / name
    for step, cells in steps.items():
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
        nb.metadata["language_info"] = {"name": "python"}
        nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
        (folder / "lifecycle").mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, folder / "lifecycle" / f"{step}.ipynb")
    manifest = {
        "title": name,
        "lifecycle": {s: {"notebook": f"lifecycle/{s}.ipynb"} for s in steps},
    }
    (folder / "dt.yaml").write_text(yaml.safe_dump(manifest))


def save_state(store: SnapshotStore, state: Path, sid: str) -> tuple[float, Snapshot]:
    started = time.perf_counter()
    files = store.capture([(STATE_PREFIX, state)], in_memory=False)
    snapshot = store.finish(Snapshot(id=sid, dt="bench", scope="private", run="r"), files, [])
    return time.perf_counter() - started, snapshot


def bench_save(root: Path) -> tuple[float, float]:
    workspace = root / "save"
    state = workspace / "state"
    state.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for i in range(4):
        np.save(state / f"array-{i}.npy", rng.random(50 * 2**20 // 8))
    small = state / "small"
    small.mkdir()
    for i in range(1000):
        (small / f"file-{i:04d}.json").write_text(json.dumps({"i": i, "v": rng.random(8).tolist()}))
    store = SnapshotStore(workspace)
    save_s, first = save_state(store, state, "20260101T000000000-000001")
    say(f"first save: {save_s:.2f} s, {first.bytes_written / 2**20:.1f} MiB written")
    for i in range(0, 1000, 100):  # 10 files of 1,004
        (small / f"file-{i:04d}.json").write_text(json.dumps({"i": i, "changed": True}))
    store = SnapshotStore(workspace)  # a new process: nothing remembered
    resave_s, second = save_state(store, state, "20260101T000000000-000002")
    ratio = second.bytes_written / first.bytes_written
    say(f"second save: {resave_s:.2f} s, {second.bytes_written} bytes written ({ratio:.2e})")
    return save_s, ratio


async def until(predicate, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError
        await asyncio.sleep(0.02)


async def bench_respawn(workspace: Path) -> float:
    write_twin(
        workspace,
        "slow",
        {
            "create": [
                "import time, dtaas, numpy as np\nstarted = time.monotonic()\n"
                f"while time.monotonic() - started < {WARM_UP_S}:\n"
                "    table = np.cumsum(np.random.default_rng(1).random(200_000))\n"
                "np.save(dtaas.context().state_dir / 'table.npy', table)"
            ],
            "execute": [
                "import dtaas, numpy as np\nif 'table' not in globals():  # not respawned\n"
                "    table = np.load(dtaas.context().state_dir / 'table.npy')\n"
                "dtaas.record('total', float(table[-1]))"
            ],
        },
    )
    manager = RunManager(workspace)
    started = time.monotonic()
    request = {"dt": "slow", "steps": ["create", "execute"], "save_after": ["create"]}
    fresh = manager.submit(request)
    await manager.wait()
    fresh_s = time.monotonic() - started
    fresh = manager.store.get(fresh.id)
    assert fresh.status == "succeeded", fresh.error
    started = time.monotonic()
    again = await manager.respawn(fresh.snapshots[0], {"step": "execute"})
    await manager.wait()
    respawn_s = time.monotonic() - started
    again = manager.store.get(again.id)
    assert again.status == "succeeded", again.error
    assert again.recorded["total"] == fresh.recorded["total"]
    say(f"create + execute: {fresh_s:.1f} s; respawn of execute: {respawn_s:.2f} s")
    return fresh_s / respawn_s


async def bench_live_pause(workspace: Path) -> float:
    write_twin(
        workspace,
        "live",
        {
            "execute": [
                "import dtaas, numpy as np\n"
                "state = np.random.default_rng(2).random(50 * 2**20 // 8)",
                "for tick in dtaas.ticks(0.05):\n    state[tick % state.size] += 1.0",
                "import dtaas.kernel\n"
                "dtaas.record('pause_ms', max(dtaas.kernel._live.pause_s) * 1000)\n"
                "dtaas.record('saves', len(dtaas.kernel._live.pause_s))",
            ]
        },
    )
    manager = RunManager(workspace)
    record = manager.submit({"dt": "live"})
    await until(lambda: record.live and record.live["tick"] >= 5)
    for _ in range(5):
        snapshot = await manager.save(record.id, {})
        say(f"saved at tick {snapshot.tick}: {snapshot.bytes_written / 2**20:.1f} MiB written")
    manager.stop(record.id)
    await manager.wait()
    record = manager.store.get(record.id)
    assert record.status == "succeeded", record.error
    assert record.recorded["saves"] == 5
    return record.recorded["pause_ms"]


def bench_skipped() -> tuple[list[str], list[str], str]:
    module = types.ModuleType("__main__")
    namespace = module.__dict__
    namespace.update(
        generator=(i for i in range(3)),
        sock=socket.socket(),
        db=sqlite3.connect(":memory:"),
        array=np.ones(100 * 2**20 // 8),
    )
    try:
        dumped, skipped = dump_namespace(namespace, hidden={"__name__", "__doc__"})
        saved = sorted(d.name for d in dumped)
        try:
            with tempfile.TemporaryFile() as out:
                dill.dump_module(out, module=module)
            whole = "saved"
        except Exception as e:  # noqa: BLE001 (what it fails with is the figure)
            whole = f"failed: {type(e).__name__}: {e}"
    finally:
        namespace["sock"].close()
        namespace["db"].close()
    return sorted(s.name for s in skipped), saved, whole


def main() -> None:
    root = Path(tempfile.mkdtemp(prefix="dtaas-bench-snapshots-"))
    try:
        save_s, ratio = bench_save(root)
        speedup = asyncio.run(bench_respawn(root / "respawn"))
        pause_ms = asyncio.run(bench_live_pause(root / "live"))
        skipped, saved, whole = bench_skipped()
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print(
        json.dumps(
            {
                "save_s": round(save_s, 3),
                "resave_bytes_ratio": round(ratio, 6),
                "respawn_speedup": round(speedup, 1),
                "live_pause_ms": round(pause_ms, 1),
                "skipped": skipped,
                "saved": saved,
                "dill_dump_module": whole,
            }
        )
    )


if __name__ == "__main__":
    main()
