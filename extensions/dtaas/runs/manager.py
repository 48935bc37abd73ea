"""The run manager: accepts run requests, queues them and keeps their records."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

from traitlets import Int, Unicode, default
from traitlets.config import LoggingConfigurable

from ..digital_twins import DigitalTwin, find_dt, resolve_parameters
from .engine import execute_step
from .model import RunRecord, RunStatus, new_run_id, utcnow
from .store import RunStore


class RunManager(LoggingConfigurable):
    """Runs lifecycle steps of the workspace's digital twins, a bounded number at a time."""

    max_concurrent_runs = Int(config=True, help="How many runs execute at once.")
    kernel_name = Unicode("python3", config=True, help="Kernel that executes lifecycle notebooks.")

    @default("max_concurrent_runs")
    def _default_concurrency(self) -> int:
        return os.cpu_count() or 1

    def __init__(self, workspace: Path, **kwargs: Any):
        super().__init__(**kwargs)
        self.workspace = workspace
        self.store = RunStore(workspace)
        self._slots = asyncio.Semaphore(max(1, self.max_concurrent_runs))
        self._tasks: set[asyncio.Task] = set()

    def recover(self) -> None:
        """Fail the runs a previous process left behind."""
        for record in self.store.mark_interrupted():
            self.log.warning("run %s of %s was interrupted", record.id, record.dt)

    def submit(self, dt_name: Any, step: Any, parameters: Any, scope: Any = None) -> RunRecord:
        """Validate, write the queued record, start the run; raises RequestError first."""
        dt = find_dt(self.workspace, dt_name, scope)
        if not isinstance(step, str):
            step = str(step)
        notebook = dt.notebook(step)
        params = resolve_parameters(dt, parameters)
        record = RunRecord(
            id=new_run_id(), dt=dt.name, scope=dt.scope, step=step, parameters=params
        )
        folder = self.store.create(record)
        record.notebook = str((folder / f"{step}.ipynb").relative_to(self.workspace))
        self.store.save(record)
        self.store.log(record, f"queued {dt.scope}/{dt.name} step {step}")
        task = asyncio.ensure_future(self._run(record, dt, notebook))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return record

    async def _run(self, record: RunRecord, dt: DigitalTwin, notebook: Path) -> None:
        folder = self.store.folder(record)
        try:
            async with self._slots:
                record.status = RunStatus.running.value
                record.started = utcnow()
                self.store.save(record)
                self.store.log(record, f"running {notebook.relative_to(dt.folder)}")
                outcome = await asyncio.to_thread(
                    execute_step,
                    notebook,
                    self.workspace / record.notebook,
                    record.parameters,
                    folder / "outputs",
                    self.kernel_name,
                )
            for line in outcome.log:
                self.store.log(record, f"| {line}")
            record.recorded = outcome.recorded
            record.error, record.traceback = outcome.error, outcome.traceback
            record.status = (RunStatus.failed if outcome.error else RunStatus.succeeded).value
        except Exception as e:  # never leave a run "running"
            self.log.exception("run %s failed in the engine", record.id)
            record.status, record.error = RunStatus.failed.value, f"{type(e).__name__}: {e}"
        record.finished = utcnow()
        self.store.save(record)
        self.store.log(record, f"{record.status}" + (f": {record.error}" if record.error else ""))

    async def wait(self) -> None:
        """Wait for every run in flight (used at shutdown and in tests)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
