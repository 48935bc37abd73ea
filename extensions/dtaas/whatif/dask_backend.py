"""The dask backend: a sweep's scenarios on dask.distributed, each worker kept warm the same way.

Scenarios go to the workers in batches; a worker process keeps one warm kernel per step
(the same ``Workers`` the local backend uses, of one kernel), so a second batch or a second
sweep of the step starts at once. The scheduler is ``$DTAAS_DASK_SCHEDULER`` when set, a
dask-gateway cluster when ``$DTAAS_DASK_GATEWAY`` names one, else a LocalCluster of this
machine's cores, started on first use and kept.
"""

from __future__ import annotations

import atexit
import math
import os
import threading
from concurrent.futures import CancelledError
from dataclasses import asdict
from pathlib import Path
from typing import Any

from traitlets import Int, Unicode, default

from ..digital_twins import RequestError
from .backends import SweepBackend, SweepJob
from .executor import ScenarioResult, StepProgram, Workers

BATCHES_PER_WORKER = 4
_pools: dict[tuple, Workers] = {}  # in a dask worker process: its warm kernels
_pool_lock = threading.Lock()


def _stop_pools() -> None:
    for workers in list(_pools.values()):
        workers.stop()
    _pools.clear()


atexit.register(_stop_pools)


class _StopKernels:
    """A worker plugin: a dask worker that closes stops its kernels (its process may end
    without running atexit handlers)."""

    name = "dtaas-kernels"

    def setup(self, worker: Any) -> None:
        pass

    def teardown(self, worker: Any) -> None:
        _stop_pools()


def run_batch(job: dict[str, Any], batch: list[tuple[int, dict[str, Any]]]) -> list[dict]:
    """On a dask worker: the batch's scenarios on this process's warm kernel for the step."""
    key = tuple(job["pool_key"])
    with _pool_lock:
        workers = _pools.get(key)
        if workers is None or not all(k.km.is_alive() for k in workers.kernels):
            program = StepProgram.read(Path(job["notebook"]), job["kernel_name"])
            folder = Path(job["folder"])
            workers = Workers(program, job["env"], folder.parent / ".kernels", 1)
            workers.prologue = job["prologue"]
            workers.start()
            _pools[key] = workers
    kernel = workers.kernels[0]
    results = []
    for index, parameters in batch:
        result = workers.run_one(
            kernel,
            index,
            parameters,
            Path(job["folder"]),
            job["context"],
            job["keep"],
            job["timeout"],
        )
        results.append(asdict(result))
    return results


class DaskBackend(SweepBackend):
    """Scenarios on a dask.distributed cluster."""

    name = "dask"
    scheduler = Unicode(config=True, help="A dask scheduler's address ($DTAAS_DASK_SCHEDULER).")
    gateway = Unicode(config=True, help="A dask-gateway address ($DTAAS_DASK_GATEWAY).")
    workers = Int(config=True, help="Workers of the LocalCluster started when none is given.")

    @default("scheduler")
    def _default_scheduler(self) -> str:
        return os.environ.get("DTAAS_DASK_SCHEDULER", "")

    @default("gateway")
    def _default_gateway(self) -> str:
        return os.environ.get("DTAAS_DASK_GATEWAY", "")

    @default("workers")
    def _default_workers(self) -> int:
        return os.cpu_count() or 1

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        try:
            import distributed  # noqa: F401
        except ImportError:
            raise RequestError(
                400, "the dask backend needs dask.distributed installed", field="backend"
            ) from None
        self._client: Any = None
        self._cluster: Any = None
        self._lock = threading.Lock()
        self._futures: dict[int, list[Any]] = {}

    def client(self) -> Any:
        with self._lock:
            if self._client is None:
                from distributed import Client, LocalCluster

                if self.scheduler:
                    self._client = Client(self.scheduler)
                elif self.gateway:
                    from dask_gateway import Gateway

                    self._cluster = Gateway(self.gateway).new_cluster()
                    self._cluster.scale(self.workers)
                    self._client = self._cluster.get_client()
                else:
                    self._cluster = LocalCluster(
                        n_workers=self.workers,
                        threads_per_worker=1,
                        processes=True,
                        dashboard_address=None,
                        host="127.0.0.1",
                    )
                    self._client = Client(self._cluster)
                from distributed import WorkerPlugin

                plugin = type("StopKernels", (_StopKernels, WorkerPlugin), {})()
                self._client.register_plugin(plugin, name=_StopKernels.name)
            return self._client

    def run(self, job: SweepJob, scenarios, done) -> None:
        from distributed import as_completed

        from .backends import LocalBackend

        client = self.client()
        spec = {
            "notebook": str(job.notebook),
            "kernel_name": job.kernel_name,
            "env": job.env,
            "folder": str(job.folder),
            "context": job.context,
            "keep": job.keep,
            "timeout": job.timeout,
            "prologue": job.prologue,
            "pool_key": list(LocalBackend.key(job)),
        }
        workers = max(1, len(client.scheduler_info().get("workers", {})) or self.workers)
        size = max(1, math.ceil(len(scenarios) / (workers * BATCHES_PER_WORKER)))
        batches = [scenarios[i : i + size] for i in range(0, len(scenarios), size)]
        futures = [client.submit(run_batch, spec, b, pure=False) for b in batches]
        self._futures[id(job)] = futures
        try:
            for future in as_completed(futures):
                if future.cancelled():
                    continue
                try:
                    results = future.result()
                except CancelledError:
                    continue
                for result in results:
                    done(ScenarioResult(**result))
        finally:
            self._futures.pop(id(job), None)

    def cancel(self, job: SweepJob) -> None:
        futures = self._futures.get(id(job))
        if futures and self._client is not None:
            self._client.cancel(futures)

    def shutdown(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
            if self._cluster is not None:
                self._cluster.close()
            self._client = self._cluster = None
