"""The run manager: accepts run requests, queues them, executes them, keeps their records."""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import platform
import shutil
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import IO, Any

from traitlets import Float, Instance, Int, Unicode, default
from traitlets.config import LoggingConfigurable

from asset_library.fsutil import write_bytes_atomic, write_json_atomic

from ..configs import ConfigStore
from ..digital_twins import DigitalTwin, RequestError, find_dt, resolve_parameters
from ..kernel import CONTROL_FILE, LIVE_FILE, SAVES_FOLDER
from ..snapshots.manager import SnapshotManager
from ..snapshots.model import Snapshot
from ..snapshots.store import install_restored
from .context import CONTEXT_FILE, StepContext, declared_assets, state_dir
from .engine import StepObserver, execute_step
from .model import RunRecord, RunStatus, StepResult, new_run_id, utcnow
from .outputs import ArchiveTooLarge, write_zip
from .remote import RemoteError, RemoteRunner
from .store import RunStore, open_log

LIVE_POLL_S = 0.25
TERMINATE = "terminate"

KEY_PACKAGES = (
    "dtaas",
    "papermill",
    "nbclient",
    "ipykernel",
    "jupyter_server",
    "numpy",
    "scipy",
    "pandas",
)


def environment() -> dict[str, Any]:
    """Python and key package versions, so a run can be reproduced."""
    packages = {}
    for name in KEY_PACKAGES:
        try:
            packages[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(terse=True),
        "packages": packages,
    }


async def in_daemon_thread(fn: Callable[..., Any], *args: Any) -> Any:
    """Run ``fn`` in a daemon thread: a stopping server never waits on a notebook."""
    loop = asyncio.get_running_loop()
    future = loop.create_future()

    def settle(result: Any, error: BaseException | None) -> None:
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)

    def work() -> None:
        try:
            result, error = fn(*args), None
        except BaseException as e:
            result, error = None, e
        with contextlib.suppress(RuntimeError):  # the loop closed first
            loop.call_soon_threadsafe(settle, result, error)

    threading.Thread(target=work, daemon=True, name="dtaas-run").start()
    return await future


@dataclass
class RunControl:
    """What the event loop holds about a run in flight."""

    record: RunRecord
    dt: DigitalTwin
    assets: dict[str, Path] = field(default_factory=dict)
    state_dir: Path | None = None
    cancel_requested: bool = False
    interrupted: bool = False
    observer: StepObserver | None = None
    task: asyncio.Task | None = field(default=None, repr=False)
    # what control.json tells the kernel: stop the live loop, the saves asked for
    saves: list[dict[str, str]] = field(default_factory=list)
    pending: list[dict[str, str]] = field(default_factory=list)  # at the end of this step
    live_running: bool = False
    remote: tuple[str, str] | None = None  # (server URL, run id there) of a profile run


class LogStream:
    """A run's log opened for appending, for output as the kernel produces it."""

    def __init__(self, path: Path):
        # never through a link: OSError if the log was replaced by one
        self._file = os.fdopen(open_log(path), "a", encoding="utf-8")

    def write(self, text: str) -> int:
        self._file.write(text)
        self._file.flush()
        return len(text)

    def flush(self) -> None:
        self._file.flush()

    def close(self) -> None:
        self._file.close()


class RunManager(LoggingConfigurable):
    """Runs lifecycle steps of the workspace's digital twins, a bounded number at a time."""

    max_concurrent_runs = Int(config=True, help="How many runs execute at once (default: cores).")
    kernel_name = Unicode("python3", config=True, help="Kernel that executes lifecycle notebooks.")
    default_timeout = Float(
        0, config=True, help="Seconds a step may take when a run names no timeout; 0: no limit."
    )
    server_name = Unicode(
        config=True, help="This server's name among the user's servers ($JUPYTERHUB_SERVER_NAME)."
    )
    max_outputs_zip_bytes = Int(
        512 << 20,
        config=True,
        help="Largest run download (outputs, executed notebooks and log together), in bytes; "
        "a larger one is refused with 413.",
    )
    remote = Instance(RemoteRunner)
    snapshots = Instance(SnapshotManager)
    shared = Instance("dtaas.shared.SharedTwins")  # by name: its handlers import this module

    @default("server_name")
    def _default_server_name(self) -> str:
        return os.environ.get("JUPYTERHUB_SERVER_NAME", "")

    @default("max_concurrent_runs")
    def _default_concurrency(self) -> int:
        return os.cpu_count() or 1

    @default("remote")
    def _default_remote(self) -> RemoteRunner:
        return RemoteRunner(parent=self, log=self.log)

    @default("snapshots")
    def _default_snapshots(self) -> SnapshotManager:
        return SnapshotManager(self.workspace, parent=self, log=self.log)

    @default("shared")
    def _default_shared(self) -> Any:
        from ..shared import SharedTwins

        return SharedTwins(self.workspace, parent=self, log=self.log)

    def __init__(self, workspace: Path, **kwargs: Any):
        self.workspace = workspace
        super().__init__(**kwargs)
        self.store = RunStore(workspace)
        self.configs = ConfigStore(workspace)
        self._slots = asyncio.Semaphore(max(1, self.max_concurrent_runs))
        self._active: dict[str, RunControl] = {}
        self._environment: dict[str, Any] | None = None

    def recover(self) -> None:
        """Fail the runs a previous process left behind; clear its half-made snapshots."""
        for record in self.store.mark_interrupted(self.server_name, self.log):
            self.log.warning("run %s of %s was interrupted", record.id, record.dt)
        for name in self.snapshots.store.clean_leftovers():
            self.log.warning("removed %s, left by a save or a respawn that died", name)

    # --- requests -----------------------------------------------------------

    def _steps(self, dt: DigitalTwin, request: dict[str, Any]) -> list[str]:
        steps = request.get("steps")
        if steps is None:
            steps = [request.get("step", "execute")]
        if not isinstance(steps, list) or not steps or not all(isinstance(s, str) for s in steps):
            raise RequestError(400, "steps must be a non-empty list of step names", field="steps")
        if len(set(steps)) != len(steps):
            raise RequestError(400, "steps must not repeat a step", field="steps", steps=steps)
        for step in steps:
            dt.notebook(step)  # 400 naming the step the DT lacks
        return steps

    def _timeout(self, request: dict[str, Any]) -> float | None:
        timeout = request.get("timeout")
        if timeout is None:
            return self.default_timeout or None
        if (
            isinstance(timeout, bool)
            or not isinstance(timeout, (int, float))
            or not math.isfinite(timeout)
            or timeout <= 0
        ):
            raise RequestError(
                400, "timeout must be a positive, finite number of seconds", field="timeout"
            )
        return float(timeout)

    def _save_after(self, request: dict[str, Any], steps: list[str]) -> list[str]:
        save_after = request.get("save_after")
        if save_after is None:
            return []
        if not isinstance(save_after, list) or not all(isinstance(s, str) for s in save_after):
            raise RequestError(400, "save_after must be a list of step names", field="save_after")
        for step in save_after:
            if step not in steps:
                raise RequestError(
                    400,
                    f"save_after names {step!r}, which is not a step of this run",
                    field="save_after",
                    step=step,
                )
        return list(dict.fromkeys(save_after))

    async def start(self, request: dict[str, Any]) -> RunRecord:
        """A run request from the API: a respawn when it names a snapshot."""
        if request.get("snapshot") is not None:
            return await self.respawn(request["snapshot"], request)
        # a twin shared from a library this workspace does not see: fetched as it is now
        await self.shared.prepare(request.get("scope"), request.get("dt"), need="run")
        return self.submit(request)

    async def respawn(self, snapshot_id: Any, request: dict[str, Any]) -> RunRecord:
        """A new run from a snapshot: its files checked and restored, its variables put
        back before the step runs, a live loop going on from the saved tick.

        Everything is checked before anything is written (400 for a step the twin lacks,
        409 for a file whose hash does not match).
        """
        snapshot = self.snapshots.get(snapshot_id)
        await self.shared.prepare(snapshot.scope, snapshot.dt, need="run")
        dt = find_dt(self.workspace, snapshot.dt, snapshot.scope)
        step = request.get("step")
        steps = request.get("steps")
        if step is None and isinstance(steps, list) and len(steps) == 1:
            step = steps[0]  # as a server that provisioned this one asks
        if step is None:
            step = snapshot.step if snapshot.step in dt.steps else "execute"
        if not isinstance(step, str):
            raise RequestError(400, "step must be a step name", field="step")
        dt.notebook(step)  # 400 naming a step the twin lacks
        body = {
            "dt": dt.name,
            "scope": dt.scope,
            "steps": [step],
            "parameters": {**snapshot.parameters, **self._overrides(request)},
            **{k: request[k] for k in ("profile", "timeout", "parent") if k in request},
        }
        self._check(dt, body)  # every other refusal, before the files are touched
        staging = await asyncio.to_thread(self.snapshots.store.stage_restore, snapshot)
        try:
            return self.submit(body, snapshot=snapshot, staging=staging)
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    @staticmethod
    def _overrides(request: dict[str, Any]) -> dict[str, Any]:
        given = request.get("parameters")
        if given is None:
            return {}
        if not isinstance(given, dict):
            raise RequestError(400, "parameters must be an object", field="parameters")
        return given

    def _check(self, dt: DigitalTwin, request: dict[str, Any]) -> None:
        self._steps(dt, request)
        resolve_parameters(dt, request.get("parameters"))
        if request.get("profile") is not None:
            self.remote.check_profile(request["profile"])
        self._timeout(request)
        declared_assets(self.workspace, dt)

    def submit(
        self,
        request: dict[str, Any],
        snapshot: Snapshot | None = None,
        staging: Path | None = None,
    ) -> RunRecord:
        """Validate everything, write the queued record, start the run.

        Raises RequestError before anything is written.
        """
        dt = find_dt(self.workspace, request.get("dt"), request.get("scope"))
        steps = self._steps(dt, request)
        save_after = self._save_after(request, steps)
        config_name = request.get("config")
        values: dict[str, Any] = {}
        if config_name is not None:
            values = dict(self.configs.get(dt, config_name).values)
        given = request.get("parameters")
        if given is not None and not isinstance(given, dict):
            raise RequestError(400, "parameters must be an object", field="parameters")
        params = resolve_parameters(dt, {**values, **(given or {})})
        profile = request.get("profile")
        if profile is not None:
            profile = self.remote.check_profile(profile)
        timeout = self._timeout(request)
        assets = declared_assets(self.workspace, dt)  # 400 naming a missing one
        state, state_rel = state_dir(self.workspace, dt)
        record = RunRecord(
            id=new_run_id(),
            dt=dt.name,
            scope=dt.scope,
            steps=steps,
            parameters=params,
            config=config_name,
            profile=profile,
            timeout=timeout,
            parent=request.get("parent") if isinstance(request.get("parent"), str) else None,
            owner=self.server_name,
            state_dir=state_rel,
            snapshot=snapshot.id if snapshot else None,
            save_after=save_after,
        )
        record.progress.steps_total = len(steps)
        self.store.create(record)
        if staging is not None and not profile:  # a profile server restores it itself
            install_restored(staging, state, self.store.file(record, "outputs"))
        record.step_results = [
            StepResult(step=s, notebook=f"{record.dir}/{s}.ipynb") for s in steps
        ]
        self.store.save(record)
        where = f" on a new {profile} server" if profile else ""
        self._note(record, f"queued {dt.scope}/{dt.name} steps {', '.join(steps)}{where}")
        if snapshot is not None:
            self._note(record, f"respawned from snapshot {snapshot.id} (tick {snapshot.tick})")
        control = RunControl(record=record, dt=dt, assets=assets, state_dir=state)
        self._active[record.id] = control
        control.task = asyncio.ensure_future(self._run(control))
        return record

    def cancel(self, run_id: str) -> RunRecord:
        """Stop a queued or running run; its status becomes cancelled."""
        control = self._active.get(run_id)
        if control is None:
            record = self.store.get(run_id)
            if record is None:
                raise RequestError(404, f"no run with id {run_id!r}", run=run_id)
            raise RequestError(409, f"run {run_id!r} has already {record.status}", run=run_id)
        control.cancel_requested = True
        if control.observer is not None:
            control.observer.stop("cancelled")
        self._note(control.record, "cancel requested")
        return control.record

    def _write_control(self, control: RunControl, stop: bool = False) -> None:
        path = self.store.file(control.record, CONTROL_FILE)
        stop = stop or control.record.stop_requested
        write_json_atomic(path, {"stop": stop, "save": control.saves})

    def stop(self, run_id: str) -> RunRecord:
        """End a live loop after its tick (then terminate); a run that is not live is cancelled."""
        control = self._active.get(run_id)
        if control is not None and control.record.profile and control.record.live:
            control.record.stop_requested = True  # the run's own server is told
            self._note(control.record, "stop requested: the live loop ends after its tick")
            return control.record
        if control is None or not control.live_running:
            return self.cancel(run_id)
        control.record.stop_requested = True
        self._write_control(control, stop=True)
        self.store.save(control.record)
        self._note(control.record, "stop requested: the live loop ends after its tick")
        return control.record

    async def save(self, run_id: str, body: dict[str, Any]) -> Snapshot | RunRecord:
        """A snapshot of a run: between two ticks of a live one (it goes on), at the end
        of the running step of one that is not live (returns the run), or of what an
        ended run left."""
        label = self.snapshots.check_label(body)
        control = self._active.get(run_id)
        if control is None:
            record = self.store.get(run_id)
            if record is None:
                raise RequestError(404, f"no run with id {run_id!r}", run=run_id)
            if not record.done:
                raise RequestError(
                    409,
                    f"run {run_id} runs in another server ({record.owner or 'the default'}); "
                    "save it there",
                    run=run_id,
                )
            dt = find_dt(self.workspace, record.dt, record.scope)
            state, _ = state_dir(self.workspace, dt)
            snapshot = await asyncio.to_thread(
                self.snapshots.save_ended, record, self.store.folder(record), state, label
            )
            record.snapshots.append(snapshot.id)
            self.store.save(record)
            self._note(record, f"saved snapshot {snapshot.id} of what the run left")
            return snapshot
        record = control.record
        if record.profile:
            return await self._save_remote(control, label)
        request = {"id": self.snapshots.new_id(), "label": label}
        if not control.live_running:
            control.pending.append(request)
            self._note(record, f"snapshot {request['id']} will be taken when the step ends")
            return record
        control.saves.append(request)
        self._write_control(control)
        self._note(record, f"saving snapshot {request['id']} between two ticks")
        snapshot = await self.snapshots.wait_for(
            request["id"],
            record.dt,
            self.store.file(record, f"{SAVES_FOLDER}/{request['id']}.error"),
            self.snapshots.save_timeout,
        )
        if snapshot.id not in record.snapshots:
            record.snapshots.append(snapshot.id)
            self.store.save(record)
        self._note(record, f"saved snapshot {snapshot.id} at tick {snapshot.tick}")
        return snapshot

    # --- downloads --------------------------------------------------------------

    def outputs_zip(self, record: RunRecord) -> IO[bytes]:
        """The run's files as a zip in an unnamed temporary file, read from its start.

        Blocking (run it off the event loop). The zip is written to disk, not kept in
        memory, and the file vanishes when closed, even if the process dies. 413 when
        the files are, or grow while packed to, more than ``max_outputs_zip_bytes``.
        """
        limit = self.max_outputs_zip_bytes
        members = self.store.archive_members(record)
        total = sum(m.size for m in members)
        if total > limit:
            raise self._too_large(record, limit, total)
        archive = tempfile.TemporaryFile(prefix="dtaas-outputs-")  # noqa: SIM115 (returned)
        try:
            write_zip(archive, members, limit)
            archive.seek(0)
        except ArchiveTooLarge:
            archive.close()
            raise self._too_large(record, limit) from None
        except BaseException:
            archive.close()
            raise
        return archive

    def _too_large(self, record: RunRecord, limit: int, size: int | None = None) -> RequestError:
        what = f"{size} bytes" if size is not None else "growing"
        return RequestError(
            413,
            f"the files of run {record.id} are {what}, more than the download limit of "
            f"{limit} bytes ({limit / (1 << 20):g} MiB, RunManager.max_outputs_zip_bytes)",
            run=record.id,
            limit=limit,
            **({"size": size} if size is not None else {}),
        )

    def _note(self, record: RunRecord, line: str) -> None:
        """A line in the run's log; a log that cannot be written never stops the run."""
        try:
            self.store.log(record, line)
        except (OSError, RequestError) as e:
            self.log.warning("run %s: could not write its log: %s", record.id, e)

    # --- execution ------------------------------------------------------------

    async def _run(self, control: RunControl) -> None:
        record = control.record
        try:
            async with self._slots:
                if control.cancel_requested:
                    record.status = RunStatus.cancelled.value
                else:
                    record.status = RunStatus.running.value
                    record.started = utcnow()
                    if self._environment is None:
                        self._environment = environment()
                    record.environment = self._environment
                    # which version of the DT ran: read off the event loop
                    record.dt_hash = await asyncio.to_thread(control.dt.content_hash)
                    self.store.save(record)
                    if record.profile:
                        await self._run_remote(control)
                    else:
                        await self._run_steps(control)
        except Exception as e:  # never leave a run "running"
            self.log.exception("run %s failed in the engine", record.id)
            record.status, record.error = RunStatus.failed.value, f"{type(e).__name__}: {e}"
        finally:
            self._active.pop(record.id, None)
            if control.interrupted and record.status != RunStatus.succeeded.value:
                record.status, record.error = RunStatus.failed.value, "interrupted"
            elif control.cancel_requested and record.status != RunStatus.succeeded.value:
                record.status, record.error = RunStatus.cancelled.value, "cancelled"
            for result in record.step_results:
                if result.status in (RunStatus.queued.value, RunStatus.running.value):
                    result.status = RunStatus.skipped.value
            record.finished = utcnow()
            # the log's last line first: a client that sees the record done reads it all
            self._note(record, record.status + (f": {record.error}" if record.error else ""))
            try:
                self.store.save(record)
            except (OSError, RequestError) as e:
                self.log.error("run %s: could not save its record: %s", record.id, e)

    async def _run_steps(self, control: RunControl) -> None:
        record, dt = control.record, control.dt
        loop = asyncio.get_running_loop()
        stream = LogStream(self.store.log_path(record))
        try:
            index = 0
            while index < len(record.step_results):
                result = record.step_results[index]
                if control.cancel_requested:
                    return
                context = self._context(control, result.step, first=index == 0)
                observer = StepObserver(
                    on_cell=lambda current, done, total, r=result: loop.call_soon_threadsafe(
                        self._cell_progress, record, r, current, done, total
                    ),
                    prologue=(
                        f"import dtaas.kernel as _dtaas_kernel\n"
                        f"_dtaas_kernel._restore({record.snapshot!r})\n"
                        "del _dtaas_kernel"
                        if record.snapshot and index == 0
                        else None
                    ),
                    epilogue=lambda step=result.step: self._epilogue(control, step),
                )
                control.observer = observer
                record.progress.step, record.progress.step_index = result.step, index + 1
                record.progress.cell, record.progress.cells_total = 0, 0
                result.status, result.started = RunStatus.running.value, utcnow()
                self.store.save(record)
                self._note(record, f"step {result.step} ({index + 1}/{len(record.steps)})")
                work = asyncio.ensure_future(
                    in_daemon_thread(
                        execute_step,
                        dt.notebook(result.step),
                        self.store.file(record, f"{result.step}.ipynb"),
                        record.parameters,
                        self.store.file(record, "outputs"),
                        self.kernel_name,
                        observer,
                        stream,
                        context.environment(),
                    )
                )
                watcher = asyncio.ensure_future(self._watch_live(control, work))
                try:
                    outcome = await asyncio.wait_for(asyncio.shield(work), record.timeout)
                except asyncio.TimeoutError:
                    observer.stop(f"step {result.step} timed out after {record.timeout:g} s")
                    outcome = await work
                finally:
                    await watcher
                self._read_live(control)
                self._gather_saves(control)
                result.finished = utcnow()
                result.cells_total, result.cells_done = observer.cells_total, observer.cells_done
                record.recorded.update(outcome.recorded)
                if outcome.error:
                    # the cell that failed or was stopped did not get done
                    result.cells_done = max(0, observer.cells_done - 1)
                    result.status = (
                        RunStatus.cancelled if outcome.stopped == "cancelled" else RunStatus.failed
                    ).value
                    result.error, result.cell = outcome.error, outcome.cell
                    result.traceback = outcome.traceback
                    record.status = result.status
                    record.error, record.cell = f"step {result.step}: {outcome.error}", outcome.cell
                    record.traceback = outcome.traceback
                    return
                result.status = RunStatus.succeeded.value
                if record.stop_requested:
                    self._after_stop(control, index)
                self.store.save(record)
                index += 1
            record.status = RunStatus.succeeded.value
        finally:
            control.observer = None
            stream.close()

    async def _save_remote(self, control: RunControl, label: str) -> Snapshot | RunRecord:
        """Save a run that runs on a server of its own: that server takes the snapshot
        (the workspace is the same, so it is listed here too)."""
        record = control.record
        if control.remote is None:
            raise RequestError(
                409,
                f"run {record.id} is still waiting for its server; save it later",
                run=record.id,
            )
        url, remote_id = control.remote
        try:
            saved = await self.remote.save(url, remote_id, label)
        except RemoteError as e:
            raise RequestError(
                502, f"the run's server could not save it: {e}", run=record.id
            ) from None
        if "run" not in saved:  # its step is not live: taken when the step ends
            return record
        snapshot = self.snapshots.get(saved["id"])
        if snapshot.id not in record.snapshots:
            record.snapshots.append(snapshot.id)
            self.store.save(record)
        self._note(record, f"saved snapshot {snapshot.id} on server {record.server}")
        return snapshot

    def _after_stop(self, control: RunControl, index: int) -> None:
        """A stopped live step ended: the steps left are skipped, except terminate, which
        runs (added if the run did not name it and the twin has one)."""
        record, dt = control.record, control.dt
        later = record.step_results[index + 1 :]
        keep = [r for r in later if r.step == TERMINATE]
        for r in later:
            if r.step != TERMINATE:
                r.status = RunStatus.skipped.value
        if not keep and TERMINATE in dt.steps and TERMINATE not in record.steps[: index + 1]:
            keep = [StepResult(step=TERMINATE, notebook=f"{record.dir}/{TERMINATE}.ipynb")]
            record.steps.append(TERMINATE)
            record.progress.steps_total = len(record.steps)
            self._note(record, "stopped: the terminate step runs next")
        skipped = [r for r in later if r.step != TERMINATE]
        record.step_results = record.step_results[: index + 1] + keep + skipped
        record.stop_requested = False  # terminate itself runs to its end
        control.live_running = False

    def _context(self, control: RunControl, step: str, first: bool) -> StepContext:
        """The step's context: written to context.json, linked imports, the kernel's env."""
        record = control.record
        snapshot = self.snapshots.store.get(record.snapshot) if record.snapshot else None
        context = StepContext(
            dt=control.dt,
            workspace=self.workspace,
            run_id=record.id,
            run_dir=self.store.folder(record),
            state_dir=control.state_dir or state_dir(self.workspace, control.dt)[0],
            step=step,
            parameters=record.parameters,
            config=record.config,
            assets=control.assets,
            snapshot=record.snapshot,
            tick=(snapshot.tick or 0) if snapshot and first else (record.live or {}).get("tick", 0),
            extra={"dt_hash": record.dt_hash, "environment": record.environment},
        )
        context.link_file_assets()
        write_bytes_atomic(
            self.store.file(record, CONTEXT_FILE), json.dumps(context.to_dict()).encode()
        )
        write_json_atomic(self.store.file(record, CONTROL_FILE), {"stop": False, "save": []})
        return context

    def _epilogue(self, control: RunControl, step: str) -> str | None:
        """The code the kernel runs after the step's last cell: finish its saves and take
        those asked for while it ran (and ``save_after``); nothing when there are none and
        the step never used the live API."""
        requests = control.pending
        control.pending = []
        if step in control.record.save_after:
            label = f"after {step}"
            requests.append({"id": self.snapshots.new_id(), "label": label})
        control.saves.extend(requests)
        return (
            "import sys as _dtaas_sys\n"
            f"if {bool(requests)!r} or 'dtaas.kernel' in _dtaas_sys.modules:\n"
            "    import dtaas.kernel as _dtaas_kernel\n"
            f"    _dtaas_kernel._step_end({json.dumps(requests)})\n"
            "    del _dtaas_kernel\n"
            "del _dtaas_sys"
        )

    async def _watch_live(self, control: RunControl, work: asyncio.Future) -> None:
        """While a step runs: its live loop's ticks and values into the record."""
        while not work.done():
            await asyncio.wait([work], timeout=LIVE_POLL_S)
            if self._read_live(control):
                self.store.save(control.record)

    def _read_live(self, control: RunControl) -> bool:
        """``live.json`` into the record; whether it changed."""
        record = control.record
        try:
            data = json.loads(self.store.file(record, LIVE_FILE).read_text())
        except (OSError, ValueError, RequestError):
            return False
        if not isinstance(data, dict) or data == record.live:
            return False
        values = data.get("values")
        if isinstance(values, dict):
            record.recorded.update(values)
        control.live_running = bool(data.get("running"))
        if data.get("period_s") is not None:  # a dtaas.ticks() loop, not just series
            record.live = data
        return True

    def _gather_saves(self, control: RunControl) -> None:
        """The snapshots the step wrote: into the record; the ones that failed: the log."""
        record = control.record
        for request in list(control.saves):
            sid = request["id"]
            if self.snapshots.store.get(sid) is not None:
                if sid not in record.snapshots:
                    record.snapshots.append(sid)
                    self._note(record, f"saved snapshot {sid}")
                control.saves.remove(request)
                continue
            error = self.store.file(record, f"{SAVES_FOLDER}/{sid}.error")
            if error.is_file():
                self._note(record, f"snapshot {sid} failed: {error.read_text(errors='replace')}")
                control.saves.remove(request)
        for request in control.pending:  # asked for as the step failed: what it left
            self._note(record, f"snapshot {request['id']} not taken: the step did not finish")
        control.pending = []

    def _cell_progress(
        self, record: RunRecord, result: StepResult, current: int, done: int, total: int
    ) -> None:
        result.cells_done, result.cells_total = done, total
        record.progress.cell, record.progress.cells_total = current, total
        if not record.done:
            self.store.save(record)

    async def _run_remote(self, control: RunControl) -> None:
        record = control.record
        stream = LogStream(self.store.log_path(record))
        try:
            await self.remote.run(
                record,
                self.store.folder(record),
                append_log=stream.write,
                changed=lambda: self.store.save(record),
                cancelled=lambda: control.cancel_requested,
                stopping=lambda: record.stop_requested,
                started=lambda url, remote_id: setattr(control, "remote", (url, remote_id)),
            )
        finally:
            stream.close()

    async def shutdown(self, timeout: float = 10) -> None:
        """The server is stopping: save every live run, then end every run now, as failed
        'interrupted'."""
        live = [c for c in self._active.values() if c.live_running and not c.record.profile]
        if live:
            await asyncio.gather(*(self._save_before_stop(c) for c in live), return_exceptions=True)
        for control in list(self._active.values()):
            control.interrupted = control.cancel_requested = True
            if control.observer is not None:
                control.observer.stop("interrupted")
            self._note(control.record, "the server is stopping")
        tasks = [c.task for c in self._active.values() if c.task]
        if tasks:
            await asyncio.wait(tasks, timeout=timeout)

    async def _save_before_stop(self, control: RunControl) -> None:
        record = control.record
        request = {"id": self.snapshots.new_id(), "label": "saved as its server stopped"}
        control.saves.append(request)
        self._write_control(control)
        try:
            await self.snapshots.wait_for(
                request["id"],
                record.dt,
                self.store.file(record, f"{SAVES_FOLDER}/{request['id']}.error"),
                self.snapshots.shutdown_save_timeout,
            )
        except RequestError as e:
            self._note(record, f"could not save the live run as the server stopped: {e}")
            return
        record.snapshots.append(request["id"])
        self._note(record, f"saved snapshot {request['id']} as the server stopped")

    async def wait(self) -> None:
        """Wait for every run in flight (used at shutdown and in tests)."""
        while self._active:
            tasks = [c.task for c in self._active.values() if c.task]
            await asyncio.gather(*tasks, return_exceptions=True)
