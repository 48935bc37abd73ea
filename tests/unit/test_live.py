"""Run context, state, live steps, save and respawn, through the run manager and real kernels."""

import asyncio
import hashlib
import json

import pytest

from dtaas.digital_twins import RequestError
from dtaas.runs.manager import RunManager
from dtaas.snapshots.model import Snapshot
from tests.dts import write_steps

LIVE = [
    "import dtaas, numpy as np\nbig = np.arange(1000.0)\nseen = globals().get('seen', [])",
    "for tick in dtaas.ticks(0.05):\n"
    "    seen.append(tick)\n"
    "    (dtaas.context().state_dir / 'last.txt').write_text(str(tick))\n"
    "    dtaas.record('x', tick * 2.0, t=tick * 0.05)",
    "dtaas.record('ticks_seen', len(seen))",
]
TERMINATE = [
    "import dtaas\n(dtaas.context().state_dir / 'terminated.txt').write_text('yes')",
]


async def until(predicate, timeout=60.0):
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        value = predicate()
        if value:
            return value
        await asyncio.sleep(0.05)
    raise AssertionError("timed out")


def go(coro):
    return asyncio.run(coro)


@pytest.fixture
def live_twin(workspace):
    write_steps(workspace, "shadow", {"execute": LIVE, "terminate": TERMINATE}, title="Shadow")
    return workspace


def test_a_step_knows_its_twin_and_imports_its_own_and_declared_models(workspace):
    folder = write_steps(
        workspace,
        "elsewhere",
        {
            "execute": [
                "from plant import gain\nfrom models.plant import gain as g2\nimport tank\n"
                "import solver\nimport os, dtaas\nctx = dtaas.context()",
                "dtaas.record('gain', gain() + g2())\ndtaas.record('tank', tank.volume())\n"
                "dtaas.record('solver', solver.solve())",
                "dtaas.record('env', {k: os.environ[k] for k in ('DTAAS_DT_DIR', 'DTAAS_RUN_DIR',"
                " 'DTAAS_OUTPUT_DIR', 'DTAAS_STATE_DIR', 'DTAAS_RUN_ID')})\n"
                "dtaas.record('cwd', os.getcwd())\n"
                "dtaas.record('asset', str(dtaas.asset('common/models/tank')))\n"
                "dtaas.record('params', ctx.parameters)",
                "try:\n    dtaas.asset('common/models/other')\nexcept LookupError as e:\n"
                "    dtaas.record('undeclared', str(e))",
            ]
        },
        title="From elsewhere",
        assets=["common/models/tank", {"ref": "mine/functions/solver.py", "role": "solver"}],
        parameters={"type": "object", "properties": {"k": {"type": "number", "default": 2}}},
    )
    (folder / "models").mkdir()
    (folder / "models" / "plant.py").write_text("def gain():\n    return 3\n")
    tank = workspace / "common" / "models" / "tank"
    tank.mkdir(parents=True)
    (tank / "tank.py").write_text("def volume():\n    return 7\n")
    (workspace / "functions" / "solver.py").write_text("def solve():\n    return 11\n")

    async def scenario():
        manager = RunManager(workspace)
        record = manager.submit({"dt": "elsewhere"})
        await manager.wait()
        return manager.store.get(record.id)

    record = go(scenario())
    assert record.status == "succeeded", record.error
    rec = record.recorded
    assert rec["gain"] == 6 and rec["tank"] == 7 and rec["solver"] == 11
    run_dir = workspace / record.dir
    assert rec["env"] == {
        "DTAAS_DT_DIR": str(folder.resolve()),
        "DTAAS_RUN_DIR": str(run_dir.resolve()),
        "DTAAS_OUTPUT_DIR": str((run_dir / "outputs").resolve()),
        "DTAAS_STATE_DIR": str((folder / "state").resolve()),
        "DTAAS_RUN_ID": record.id,
    }
    assert rec["cwd"] == str((run_dir / "outputs").resolve())
    assert rec["asset"] == str(tank.resolve())
    assert rec["params"] == {"k": 2}
    assert "common/models/other" in rec["undeclared"]
    assert record.state_dir == "digital_twins/elsewhere/state"


def test_a_declared_asset_that_does_not_exist_refuses_the_run_and_writes_nothing(workspace):
    write_steps(
        workspace, "needs", {"execute": ["1"]}, title="Needs", assets=["common/models/nope"]
    )
    manager = RunManager(workspace)
    with pytest.raises(RequestError) as e:
        manager.submit({"dt": "needs"})
    assert e.value.status == 400 and e.value.fields["ref"] == "common/models/nope"
    assert "common/models/nope" in str(e.value)
    assert not list((workspace / "runs").iterdir())


def test_state_persists_between_steps_and_a_common_twins_state_lives_in_the_workspace(workspace):
    steps = {
        "create": ["import dtaas\n(dtaas.context().state_dir / 'n.txt').write_text('41')"],
        "execute": [
            "import dtaas\nn = int((dtaas.context().state_dir / 'n.txt').read_text()) + 1\n"
            "dtaas.record('n', n)"
        ],
    }
    write_steps(workspace / "common", "shared", steps, title="Shared")

    async def scenario():
        manager = RunManager(workspace)
        record = manager.submit({"dt": "shared", "steps": ["create", "execute"]})
        await manager.wait()
        return manager.store.get(record.id)

    record = go(scenario())
    assert record.status == "succeeded", record.error
    assert record.recorded["n"] == 42 and record.scope == "common"
    assert record.state_dir == "state/common/shared"
    assert (workspace / "state" / "common" / "shared" / "n.txt").read_text() == "41"
    assert not (workspace / "common" / "digital_twins" / "shared" / "state").exists()


def test_a_live_run_shows_ticks_saves_between_them_goes_on_and_stops_into_terminate(live_twin):
    workspace = live_twin

    async def scenario():
        manager = RunManager(workspace)
        record = manager.submit({"dt": "shadow"})
        await until(lambda: record.live and record.live["tick"] >= 5)
        assert record.status == "running" and record.live["running"]
        assert record.live["values"]["x"] >= 8.0 and record.live["series"] == ["x"]
        snapshot = await manager.save(record.id, {"label": "mid-flight"})
        assert isinstance(snapshot, Snapshot) and snapshot.live and snapshot.label == "mid-flight"
        at_save = snapshot.tick
        await until(lambda: record.live["tick"] >= at_save + 3)  # it went on
        manager.stop(record.id)
        await manager.wait()
        return manager.store.get(record.id), snapshot

    record, snapshot = go(scenario())
    assert record.status == "succeeded", record.error
    assert [r.step for r in record.step_results] == ["execute", "terminate"]
    assert all(r.status == "succeeded" for r in record.step_results)
    assert (workspace / "digital_twins/shadow/state/terminated.txt").read_text() == "yes"
    assert record.recorded["ticks_seen"] == record.live["tick"] > snapshot.tick
    assert not record.live["running"] and snapshot.id in record.snapshots
    names = {v.name for v in snapshot.variables}
    assert {"big", "seen", "np", "dtaas", "tick"} <= names
    series = (workspace / record.dir / "outputs" / "records" / "x.csv").read_text().splitlines()
    assert series[0] == "t,x" and len(series) == record.live["tick"] + 1


def test_a_respawn_restores_files_byte_for_byte_and_variables_and_goes_on_from_its_tick(
    live_twin,
):
    workspace = live_twin

    async def scenario():
        manager = RunManager(workspace)
        record = manager.submit({"dt": "shadow"})
        await until(lambda: record.live and record.live["tick"] >= 4)
        snapshot = await manager.save(record.id, {})
        manager.stop(record.id)
        await manager.wait()
        # the state changes after the save: the respawn puts it back as saved
        (workspace / "digital_twins/shadow/state/last.txt").write_text("changed")
        (workspace / "digital_twins/shadow/state/extra.txt").write_text("not in the snapshot")
        respawned = await manager.respawn(snapshot.id, {"step": "execute"})
        state = workspace / "digital_twins/shadow/state"
        restored = {
            f"state/{p.relative_to(state)}": hashlib.sha256(p.read_bytes()).hexdigest()
            for p in state.rglob("*")
            if p.is_file()
        }
        outputs = workspace / respawned.dir / "outputs"
        restored |= {
            f"outputs/{p.relative_to(outputs)}": hashlib.sha256(p.read_bytes()).hexdigest()
            for p in outputs.rglob("*")
            if p.is_file()
        }
        await until(lambda: respawned.live and respawned.live["tick"] >= snapshot.tick + 3)
        manager.stop(respawned.id)
        await manager.wait()
        return snapshot, restored, manager.store.get(respawned.id)

    snapshot, restored, record = go(scenario())
    assert restored == {f.path: f.sha256 for f in snapshot.files}  # byte-identical
    assert record.status == "succeeded", record.error
    assert record.snapshot == snapshot.id
    # `seen` came back from the kernel: the ticks before the save, then the new ones
    assert record.recorded["ticks_seen"] == record.live["tick"]
    assert record.live["tick"] >= snapshot.tick + 3
    series = (workspace / record.dir / "outputs/records/x.csv").read_text().splitlines()
    assert len(series) == record.live["tick"] + 1  # the series goes on where it was saved


def test_variables_that_cannot_be_saved_are_listed_and_the_rest_are_kept(workspace):
    cells = [
        "import socket, sqlite3, numpy as np\n"
        "gen = (i for i in range(3))\nsock = socket.socket()\ndb = sqlite3.connect(':memory:')\n"
        "arr = np.ones(10)\ndef f(x):\n    return x + 1\nsquare = lambda x: x * x"
    ]
    write_steps(workspace, "messy", {"execute": cells}, title="Messy")

    async def scenario():
        manager = RunManager(workspace)
        record = manager.submit({"dt": "messy", "save_after": ["execute"]})
        await manager.wait()
        record = manager.store.get(record.id)
        return manager.snapshots.get(record.snapshots[0])

    snapshot = go(scenario())
    skipped = {s.name: s.reason for s in snapshot.skipped}
    assert set(skipped) == {"gen", "sock", "db"}
    assert "generator" in skipped["gen"] and "socket" in skipped["sock"]
    kept = {v.name: v.kind for v in snapshot.variables}
    assert {"arr", "f", "square", "np", "socket", "sqlite3"} <= set(kept)
    assert kept["f"] == "dill" and kept["arr"] == "pickle" and kept["np"] == "module"


def test_a_damaged_blob_refuses_the_respawn_naming_the_file_and_writes_nothing(live_twin):
    workspace = live_twin

    async def scenario():
        manager = RunManager(workspace)
        record = manager.submit({"dt": "shadow", "save_after": ["execute"]})
        await until(lambda: record.live and record.live["tick"] >= 2)
        manager.stop(record.id)
        await manager.wait()
        snapshot = manager.snapshots.get(manager.store.get(record.id).snapshots[0])
        entry = next(f for f in snapshot.files if f.path == "state/last.txt")
        manager.snapshots.store.blobs.path(entry.sha256).write_text("tampered")
        runs_before = len(manager.store.all())
        state_before = (workspace / "digital_twins/shadow/state/last.txt").read_text()
        with pytest.raises(RequestError) as e:
            await manager.respawn(snapshot.id, {})
        assert len(manager.store.all()) == runs_before
        assert (workspace / "digital_twins/shadow/state/last.txt").read_text() == state_before
        return e.value

    error = go(scenario())
    assert error.status == 409 and error.fields["path"] == "state/last.txt"
    assert not [p for p in (workspace / "snapshots").iterdir() if p.name.startswith(".restore")]


def test_a_respawn_of_a_step_the_twin_lacks_is_refused_naming_it(live_twin):
    workspace = live_twin

    async def scenario():
        manager = RunManager(workspace)
        record = manager.submit({"dt": "shadow", "steps": ["terminate"]})
        await manager.wait()
        snapshot = await manager.save(record.id, {"label": "ended"})
        assert snapshot.variables == [] and "ended" in snapshot.note
        assert [f.path for f in snapshot.files] == ["state/terminated.txt"]
        with pytest.raises(RequestError) as e:
            await manager.respawn(snapshot.id, {"step": "analyze"})
        return e.value, len(manager.store.all())

    error, runs = go(scenario())
    assert error.status == 400 and error.fields["step"] == "analyze" and runs == 1


@pytest.mark.parametrize("bad", ["..", "../runs", "a/b", "x" * 65, "%2e%2e"])
def test_snapshot_ids_with_path_tricks_are_refused_and_unknown_ones_are_not_found(workspace, bad):
    manager = RunManager(workspace)
    with pytest.raises(RequestError) as e:
        manager.snapshots.get(bad)
    assert e.value.status == 400
    with pytest.raises(RequestError) as e:
        manager.snapshots.get("20990101T000000000-abcdef")
    assert e.value.status == 404


def test_snapshots_dedupe_their_blobs_diff_and_delete(live_twin):
    workspace = live_twin

    async def scenario():
        manager = RunManager(workspace)
        record = manager.submit({"dt": "shadow"})
        await until(lambda: record.live and record.live["tick"] >= 3)
        a = await manager.save(record.id, {"label": "a"})
        await until(lambda: record.live["tick"] >= a.tick + 2)
        b = await manager.save(record.id, {"label": "b"})
        manager.stop(record.id)
        await manager.wait()
        return manager, a, b

    manager, a, b = go(scenario())
    big_a = next(v for v in a.variables if v.name == "big")
    big_b = next(v for v in b.variables if v.name == "big")
    assert big_a.sha256 == big_b.sha256  # unchanged: stored once
    assert b.bytes_written < b.bytes_total
    changes = manager.snapshots.diff(a.id, b.id)
    assert "state/last.txt" in changes["files"]["changed"]
    changed = changes["variables"]["changed"]
    assert "seen" in changed and "big" not in changed
    assert manager.snapshots.relabel(a.id, {"label": "first"}).label == "first"
    assert [s.id for s in manager.snapshots.list("shadow")] == [b.id, a.id]
    manager.snapshots.delete(a.id)
    assert [s.id for s in manager.snapshots.list()] == [b.id]
    assert manager.snapshots.store.blobs.has(big_b.sha256)  # still held by b
    on_disk = json.loads((workspace / b.dir / "snapshot.json").read_text())
    assert on_disk["id"] == b.id and on_disk["files"]


def test_a_group_twin_runs_with_its_groups_assets_and_state_in_the_workspace(workspace):
    from spawner.workspace import link_groups

    groups = workspace.parent.parent / "groups"
    link_groups(workspace, groups, ["lab"])
    model = groups / "lab" / "models" / "pump"
    model.mkdir(parents=True)
    (model / "pump.py").write_text("RATE = 5\n")
    write_steps(
        groups / "lab",
        "station",
        {
            "execute": [
                "import dtaas, pump\n"
                "(dtaas.context().state_dir / 'rate').write_text(str(pump.RATE))\n"
                "dtaas.record('rate', pump.RATE)\ndtaas.record('scope', dtaas.context().scope)"
            ]
        },
        title="Station",
        assets=["mine/models/pump"],
    )

    async def scenario():
        manager = RunManager(workspace)
        record = manager.submit({"dt": "station", "scope": "group:lab"})
        await manager.wait()
        return manager.store.get(record.id)

    record = go(scenario())
    assert record.status == "succeeded", record.error
    assert record.recorded == {"rate": 5, "scope": "group:lab"}
    assert record.state_dir == "state/group-lab/station"
    assert (workspace / "state/group-lab/station/rate").read_text() == "5"
    assert not (groups / "lab" / "digital_twins" / "station" / "state").exists()


def test_a_save_that_died_halfway_leaves_nothing_listed_and_is_cleared_at_restart(workspace):
    import os
    import time

    manager = RunManager(workspace)
    store = manager.snapshots.store
    half = workspace / "snapshots" / "shadow" / ".staging-20260101T000000000-aaaaaa-123456"
    half.mkdir(parents=True)
    (half / "snapshot.json").write_text("{}")
    blob = store.blobs.root / "ab" / ".staging-x"
    blob.parent.mkdir(parents=True)
    blob.write_bytes(b"half a blob")
    fresh = workspace / "snapshots" / ".restore-20260101T000000000-bbbbbb-654321"
    fresh.mkdir()
    assert manager.snapshots.list() == []
    old = time.time() - 7200
    for path in (half, blob):
        os.utime(path, (old, old))
    manager.recover()
    assert not half.exists() and not blob.exists()
    assert fresh.exists()  # a restore may be in flight: too young to clear
