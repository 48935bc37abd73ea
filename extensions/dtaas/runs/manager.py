"""The run manager: accepts run requests, queues them, executes them, keeps their records."""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import platform
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import IO, Any

from traitlets import Float, Instance, Int, Unicode, default
from traitlets.config import LoggingConfigurable

from ..configs import ConfigStore
from ..digital_twins import DigitalTwin, RequestError, find_dt, resolve_parameters
from .engine import StepObserver, execute_step
from .model import RunRecord, RunStatus, StepResult, new_run_id, utcnow
from .outputs import ArchiveTooLarge, write_zip
from .remote import RemoteRunner
from .store import RunStore, open_log

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
    cancel_requested: bool = False
    interrupted: bool = False
    observer: StepObserver | None = None
    task: asyncio.Task | None = field(default=None, repr=False)


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

    @default("server_name")
    def _default_server_name(self) -> str:
        return os.environ.get("JUPYTERHUB_SERVER_NAME", "")

    @default("max_concurrent_runs")
    def _default_concurrency(self) -> int:
        return os.cpu_count() or 1

    @default("remote")
    def _default_remote(self) -> RemoteRunner:
        return RemoteRunner(parent=self, log=self.log)

    def __init__(self, workspace: Path, **kwargs: Any):
        super().__init__(**kwargs)
        self.workspace = workspace
        self.store = RunStore(workspace)
        self.configs = ConfigStore(workspace)
        self._slots = asyncio.Semaphore(max(1, self.max_concurrent_runs))
        self._active: dict[str, RunControl] = {}
        self._environment: dict[str, Any] | None = None

    def recover(self) -> None:
        """Fail the runs a previous process left behind."""
        for record in self.store.mark_interrupted(self.server_name, self.log):
            self.log.warning("run %s of %s was interrupted", record.id, record.dt)

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

    def submit(self, request: dict[str, Any]) -> RunRecord:
        """Validate everything, write the queued record, start the run.

        Raises RequestError before anything is written.
        """
        dt = find_dt(self.workspace, request.get("dt"), request.get("scope"))
        steps = self._steps(dt, request)
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
        )
        record.progress.steps_total = len(steps)
        self.store.create(record)
        record.step_results = [
            StepResult(step=s, notebook=f"{record.dir}/{s}.ipynb") for s in steps
        ]
        self.store.save(record)
        where = f" on a new {profile} server" if profile else ""
        self._note(record, f"queued {dt.scope}/{dt.name} steps {', '.join(steps)}{where}")
        control = RunControl(record=record, dt=dt)
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
            for index, result in enumerate(record.step_results):
                if control.cancel_requested:
                    return
                observer = StepObserver(
                    on_cell=lambda current, done, total, r=result: loop.call_soon_threadsafe(
                        self._cell_progress, record, r, current, done, total
                    )
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
                    )
                )
                try:
                    outcome = await asyncio.wait_for(asyncio.shield(work), record.timeout)
                except asyncio.TimeoutError:
                    observer.stop(f"step {result.step} timed out after {record.timeout:g} s")
                    outcome = await work
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
                self.store.save(record)
            record.status = RunStatus.succeeded.value
        finally:
            control.observer = None
            stream.close()

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
            )
        finally:
            stream.close()

    async def shutdown(self, timeout: float = 10) -> None:
        """The server is stopping: end every run now, as failed 'interrupted'."""
        for control in list(self._active.values()):
            control.interrupted = control.cancel_requested = True
            if control.observer is not None:
                control.observer.stop("interrupted")
            self._note(control.record, "the server is stopping")
        tasks = [c.task for c in self._active.values() if c.task]
        if tasks:
            await asyncio.wait(tasks, timeout=timeout)

    async def wait(self) -> None:
        """Wait for every run in flight (used at shutdown and in tests)."""
        while self._active:
            tasks = [c.task for c in self._active.values() if c.task]
            await asyncio.gather(*tasks, return_exceptions=True)
