"""Where a sweep's scenarios run: warm kernels on this server (the default), or Dask.

A backend gets a ``SweepJob`` and a list of ``(index, parameters)`` and calls ``done`` with
each scenario's result as it finishes, from any thread; ``cancel`` stops it soon.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from traitlets import Float, Int, default
from traitlets.config import LoggingConfigurable

from .executor import ScenarioResult, StepProgram, Workers


@dataclass
class SweepJob:
    """What every scenario of a sweep shares."""

    notebook: Path
    kernel_name: str
    env: dict[str, str]  # the kernels' environment: the twin's run context
    folder: Path  # the sweep's folder
    context: dict[str, Any]  # the scenarios' dtaas.context(), parameters aside
    keep: str = "failures"
    timeout: float | None = None
    prologue: str = ""  # run before each scenario (a snapshot's variables put back)
    pool_key: tuple = field(default_factory=tuple)


class SweepBackend(LoggingConfigurable):
    """The interface; ``name`` is what a sweep request's ``backend`` says."""

    name = "base"

    def run(
        self,
        job: SweepJob,
        scenarios: list[tuple[int, dict[str, Any]]],
        done: Callable[[ScenarioResult], None],
    ) -> None:
        raise NotImplementedError

    def cancel(self, job: SweepJob) -> None:
        raise NotImplementedError

    def shutdown(self) -> None:
        """The server stops."""


class LocalBackend(SweepBackend):
    """Warm kernels on this server, kept between sweeps of the same step for a while."""

    name = "local"
    workers = Int(config=True, help="Kernels per sweep (default: the number of cores).")
    pool_idle_s = Float(
        300, config=True, help="Seconds a pool of warm kernels is kept once its sweep ended."
    )

    @default("workers")
    def _default_workers(self) -> int:
        return os.cpu_count() or 1

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self._pools: dict[tuple, tuple[Workers, float]] = {}
        self._busy: dict[int, Workers] = {}
        self._lock = threading.Lock()

    @staticmethod
    def key(job: SweepJob) -> tuple:
        """Kernels are reused for the same notebook (same bytes), kernel and environment."""
        digest = hashlib.sha256(job.notebook.read_bytes()).hexdigest()
        env = hashlib.sha256(repr(sorted(job.env.items())).encode()).hexdigest()
        return (str(job.notebook), digest, job.kernel_name, env, job.prologue)

    def _take(self, job: SweepJob, key: tuple) -> Workers:
        with self._lock:
            self._reap()
            pooled = self._pools.pop(key, None)
        if pooled is not None and all(k.km.is_alive() for k in pooled[0].kernels):
            workers = pooled[0]
            workers.reset()
            return workers
        if pooled is not None:
            pooled[0].stop()
        program = StepProgram.read(job.notebook, job.kernel_name)
        workers = Workers(program, job.env, job.folder.parent / ".kernels", self.workers)
        workers.prologue = job.prologue
        workers.start()
        return workers

    def _reap(self) -> None:
        now = time.monotonic()
        for key, (workers, since) in list(self._pools.items()):
            if now - since > self.pool_idle_s:
                del self._pools[key]
                workers.stop()

    def run(self, job, scenarios, done) -> None:
        key = self.key(job)  # reads the notebook: once a sweep
        workers = self._take(job, key)
        with self._lock:
            self._busy[id(job)] = workers
        try:
            workers.run(scenarios, job.folder, job.context, job.keep, done, job.timeout)
        finally:
            with self._lock:
                self._busy.pop(id(job), None)
                if workers.cancelled or not workers.kernels:
                    workers.stop()
                else:
                    self._pools[key] = (workers, time.monotonic())
            timer = threading.Timer(self.pool_idle_s + 1, self._reap_locked)
            timer.daemon = True  # never holds a stopping server
            timer.start()

    def _reap_locked(self) -> None:
        with self._lock:
            self._reap()

    def cancel(self, job: SweepJob) -> None:
        with self._lock:
            workers = self._busy.get(id(job))
        if workers is not None:
            workers.cancel()

    def shutdown(self) -> None:
        with self._lock:
            pools = [w for w, _ in self._pools.values()] + list(self._busy.values())
            self._pools.clear()
        for workers in pools:
            workers.cancel()
            workers.stop()
