"""The sweep manager: checks a sweep request, runs its scenarios on a backend, keeps the record.

Every scenario is a real run of the twin's step: its parameters are validated against the
twin's schema before anything is written, its recorded values are gathered, a failure is
recorded with its error and the sweep goes on. A sweep survives restarts: finished
scenarios are on disk line by line, and a sweep that a dead server left running goes on
with the rest when the server starts again.
"""

from __future__ import annotations

import asyncio
import math
import os
import shutil
import threading
import time
from pathlib import Path
from typing import Any

from traitlets import Bool, Dict, Int, Type, Unicode
from traitlets.config import LoggingConfigurable

from ..digital_twins import NAME_RE, DigitalTwin, RequestError, find_dt, resolve_parameters
from ..runs.context import StepContext, declared_assets, state_dir
from ..runs.manager import in_daemon_thread
from ..runs.model import new_run_id, utcnow
from .backends import LocalBackend, SweepBackend, SweepJob
from .designs import Design, DesignResult, generate_design, ranges_from_schema
from .executor import KEEP, ScenarioResult
from .ranking import check_objectives, parse_constraint, parse_objective, rank_rows
from .sweeps import SweepRecord, SweepStore

PROGRESS_WRITE_S = 0.25
FIELDS = {
    "dt", "scope", "step", "design", "ranges", "parameters", "config", "objectives",
    "constraints", "weights", "keep", "backend", "snapshot", "timeout", "scenarios",
}  # fmt: skip


class SweepManager(LoggingConfigurable):
    """Sweeps of one workspace's twins."""

    max_scenarios = Int(10_000, config=True, help="The most scenarios one sweep may have.")
    keep_notebooks = Unicode(
        "failures", config=True, help="Executed notebooks kept by default: all, failures, none."
    )
    backend_class = Type(
        LocalBackend, klass=SweepBackend, config=True, help="The default backend (local)."
    )
    extra_backends = Dict(
        {"dask": "dtaas.whatif.dask_backend.DaskBackend"},
        config=True,
        help="Other backends by name, as import strings, started on first use.",
    )
    resume_on_start = Bool(
        True, config=True, help="Go on with the sweeps a previous process left running."
    )

    def __init__(self, runs: Any, **kwargs: Any):
        super().__init__(**kwargs)
        self.runs = runs
        self.workspace: Path = runs.workspace
        self.store = SweepStore(self.workspace)
        default = self.backend_class(parent=self, log=self.log)
        self.backends: dict[str, SweepBackend] = {default.name: default}
        self._jobs: dict[str, SweepJob] = {}
        self._tasks: dict[str, asyncio.Task] = {}
        self._running: dict[str, SweepRecord] = {}  # the records of the sweeps in flight

    def backend(self, name: str) -> SweepBackend:
        if name not in self.backends and name in self.extra_backends:
            from importlib import import_module

            module, _, attr = self.extra_backends[name].rpartition(".")
            self.backends[name] = getattr(import_module(module), attr)(parent=self, log=self.log)
        if name not in self.backends:
            offered = ", ".join(sorted({*self.backends, *self.extra_backends}))
            raise RequestError(
                400, f"backend {name!r} is not one of {offered}", field="backend", backend=name
            )
        return self.backends[name]

    # --- requests ----------------------------------------------------------------

    async def submit(self, body: dict[str, Any]) -> SweepRecord:
        """Check everything (off the event loop: a design can be large), write, start."""
        if isinstance(body, dict):  # a twin shared with the user: fetched as it is now
            await self.runs.shared.prepare(body.get("scope"), body.get("dt"), need="run")
        record, design = await asyncio.to_thread(self._prepare, body)
        self._start(record, design)
        return record

    def _prepare(self, body: dict[str, Any]) -> tuple[SweepRecord, dict[str, Any]]:
        unknown = sorted(set(body) - FIELDS)
        if unknown:
            raise RequestError(400, f"a sweep has no field {unknown[0]!r}", field=unknown[0])
        dt = find_dt(self.workspace, body.get("dt"), body.get("scope"))
        step = body.get("step", "execute")
        if not isinstance(step, str):
            raise RequestError(400, "step must be a step name", field="step")
        dt.notebook(step)
        keep = body.get("keep", self.keep_notebooks)
        if keep not in KEEP:
            raise RequestError(400, f"keep must be one of {', '.join(KEEP)}", field="keep")
        backend = body.get("backend", self.backend_class.name)
        self.backend(backend)
        objectives = [parse_objective(o) for o in _list(body, "objectives")]
        constraints = [parse_constraint(c) for c in _list(body, "constraints")]
        check_objectives(objectives, dt.manifest.get("records") or {}, constraints)
        weights = body.get("weights") or {}
        if not isinstance(weights, dict) or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
            for v in weights.values()
        ):
            raise RequestError(400, "weights must map objectives to numbers", field="weights")
        values: dict[str, Any] = {}
        config = body.get("config")
        if config is not None:
            values = dict(self.runs.configs.get(dt, config).values)
        given = body.get("parameters")
        if given is not None and not isinstance(given, dict):
            raise RequestError(400, "parameters must be an object", field="parameters")
        base = resolve_parameters(dt, {**values, **(given or {})})
        if body.get("scenarios") is not None:  # scenarios the user brings
            made, design, ranges = self._given(body["scenarios"], base), None, {}
        else:
            ranges = ranges_from_schema(dt.parameter_schema, body.get("ranges"))
            fixed = set(ranges) & set(given or {})
            if fixed:
                name = sorted(fixed)[0]
                raise RequestError(
                    400, f"{name!r} is both fixed and varied", field="parameters", parameter=name
                )
            design = Design.from_dict(body.get("design") or {"kind": "lhs", "n": 20})
            made = generate_design(design, ranges, base, self.max_scenarios)
        field = "scenarios" if design is None else "ranges"
        for i, scenario in enumerate(made.scenarios):  # each one a valid run of the step
            try:
                made.scenarios[i] = resolve_parameters(dt, scenario)
            except RequestError as e:
                raise RequestError(
                    400,
                    f"scenario {i} is not valid for {dt.name!r}: {e}",
                    field=field,
                    errors=e.fields.get("errors"),
                ) from None
        snapshot = body.get("snapshot")
        if snapshot is not None:
            found = self.runs.snapshots.get(snapshot)
            if found.dt != dt.name:
                raise RequestError(
                    400,
                    f"snapshot {snapshot} is of {found.dt!r}, not {dt.name!r}",
                    field="snapshot",
                )
        timeout = self.runs._timeout(body)
        declared_assets(self.workspace, dt)
        record = SweepRecord(
            id=new_run_id(),
            dt=dt.name,
            scope=dt.scope,
            step=step,
            design={
                "kind": made.kind,
                "n": made.n,
                "seed": made.seed,
                "levels": design.levels if design else None,
                "constraint": design.constraint if design else None,
            },
            ranges={name: r.to_dict() for name, r in ranges.items()},
            parameters=base,
            objectives=[{"name": o.name, "direction": o.direction} for o in objectives],
            constraints=[str(c) for c in constraints],
            weights=dict(weights),
            config=config,
            keep=keep,
            backend=backend,
            snapshot=snapshot,
            timeout=timeout,
            total=len(made.scenarios),
            note="; ".join(
                n
                for n in (
                    made.note,
                    made.left_out and f"{made.left_out} left out by the constraint",
                )
                if n
            )
            or None,
            dt_hash=dt.content_hash(),
        )
        design_data = {
            "scenarios": made.scenarios,
            "problem": made.problem,
            "X": made.X.tolist(),
            "names": made.names,
        }
        self.store.create(record, design_data)
        return record, design_data

    # --- running -------------------------------------------------------------------

    def _given(self, scenarios: Any, base: dict[str, Any]) -> DesignResult:
        """A design of the scenarios a request lists, each over the base values."""
        if not isinstance(scenarios, list) or not scenarios:
            raise RequestError(400, "scenarios must be a list of objects", field="scenarios")
        if len(scenarios) > self.max_scenarios:
            raise RequestError(400, f"more than {self.max_scenarios} scenarios", field="scenarios")
        if not all(isinstance(s, dict) for s in scenarios):
            raise RequestError(400, "each scenario must be an object", field="scenarios")
        import numpy as np

        return DesignResult(
            scenarios=[{**base, **s} for s in scenarios],
            problem={"names": [], "num_vars": 0, "bounds": []},
            X=np.zeros((len(scenarios), 0)),
            kind="given",
            n=len(scenarios),
            seed=None,
        )

    def job(
        self,
        dt: DigitalTwin,
        step: str,
        folder: Path,
        run_id: str,
        *,
        config: str | None = None,
        snapshot: str | None = None,
        keep: str = "none",
        timeout: float | None = None,
        dt_hash: str = "",
    ) -> SweepJob:
        """What the scenarios of one step share: the twin's run context for its kernels
        (the same for every sweep of the step, so warm kernels are reused) and for each
        scenario's ``dtaas.context()``."""
        state, _ = state_dir(self.workspace, dt)
        kernels = folder.parent / ".kernels"
        kernels.mkdir(exist_ok=True)
        context = StepContext(
            dt=dt,
            workspace=self.workspace,
            run_id=run_id,
            run_dir=kernels,
            state_dir=state,
            step=step,
            parameters={},
            config=config,
            assets=declared_assets(self.workspace, dt),
            snapshot=snapshot,
            extra={"dt_hash": dt_hash},
        )
        context.link_file_assets()
        scenario_context = context.to_dict()
        scenario_context.update(run_id=run_id, run_dir=str(folder), state_source=str(state))
        found = self.runs.snapshots.get(snapshot) if snapshot else None
        if found is not None:
            scenario_context["tick"] = found.tick or 0
            # every scenario starts from the snapshot's state folder, restored once here
            staging = self.runs.snapshots.store.stage_restore(found)
            source = folder / ".snapshot-state"
            if not source.exists():
                os.rename(staging / "state", source)
            shutil.rmtree(staging, ignore_errors=True)
            scenario_context["state_source"] = str(source)
        prologue = (
            f"import dtaas.kernel as _k\n_k._restore({snapshot!r})\ndel _k" if snapshot else ""
        )
        return SweepJob(
            notebook=dt.notebook(step),
            kernel_name=self.runs.kernel_name,
            env=context.environment(),
            folder=folder,
            context=scenario_context,
            keep=keep,
            timeout=timeout,
            prologue=prologue,
        )

    def _start(self, record: SweepRecord, design: dict[str, Any]) -> None:
        self._running[record.id] = record
        self._tasks[record.id] = asyncio.ensure_future(self._run(record, design))

    async def _run(self, record: SweepRecord, design: dict[str, Any]) -> None:
        loop = asyncio.get_running_loop()
        try:
            dt = find_dt(self.workspace, record.dt, record.scope)
            job = self.job(
                dt,
                record.step,
                self.store.folder(record),
                record.id,
                config=record.config,
                snapshot=record.snapshot,
                keep=record.keep,
                timeout=record.timeout,
                dt_hash=record.dt_hash,
            )
            self._jobs[record.id] = job
            await asyncio.to_thread(self.store.repair, record)
            finished = await asyncio.to_thread(self.store.rows, record)
            todo = [
                (i, s) for i, s in enumerate(design["scenarios"]) if i not in finished
            ]  # a resumed sweep runs only the rest
            record.done = len(finished)
            record.failed = sum(1 for r in finished.values() if r.get("status") != "succeeded")
            record.status, record.started = "running", record.started or utcnow()
            record.error = None
            self.store.save(record)
            started, last = time.monotonic(), [0.0]
            ran = [0]

            rows = self.store.open_rows(record)
            lock = threading.Lock()

            def done(result: ScenarioResult) -> None:  # in a worker thread
                row = self._row(record, design, result)
                with lock:
                    self.store.append(rows, row)
                loop.call_soon_threadsafe(progress, result)

            def progress(result: ScenarioResult) -> None:
                record.done += 1
                ran[0] += 1
                record.failed += result.status != "succeeded"
                elapsed = time.monotonic() - started
                record.elapsed_s = round(elapsed, 3)
                record.eta_s = round(elapsed / ran[0] * (record.total - record.done), 1)
                if time.monotonic() - last[0] > PROGRESS_WRITE_S:
                    last[0] = time.monotonic()
                    self.store.save(record)

            backend = self.backend(record.backend)
            try:
                await in_daemon_thread(backend.run, job, todo, done)
            finally:
                with lock:
                    os.fsync(rows.fileno())
                    rows.close()
            await asyncio.sleep(0)  # the last progress callbacks
            cancelled = record.status == "cancelling"
            await asyncio.to_thread(self._finish, record, design)
            record.status = "cancelled" if cancelled else "succeeded"
        except RequestError as e:
            record.status, record.error = "failed", str(e)
        except Exception as e:  # never leave a sweep "running"
            self.log.exception("sweep %s failed", record.id)
            record.status, record.error = "failed", f"{type(e).__name__}: {e}"
        finally:
            self._jobs.pop(record.id, None)
            self._tasks.pop(record.id, None)
            self._running.pop(record.id, None)
            record.finished = utcnow()
            record.eta_s = 0 if record.status == "succeeded" else None
            self.store.save(record)

    def _row(self, record: SweepRecord, design: dict[str, Any], result: ScenarioResult) -> dict:
        return {
            "scenario": result.index,
            "parameters": design["scenarios"][result.index],
            "recorded": result.recorded,
            "status": result.status,
            "error": result.error,
            "traceback": result.traceback,
            "duration_s": result.duration_s,
            "run": f"{record.id}/{result.index}",
            "notebook": f"{record.dir}/{result.notebook}" if result.notebook else None,
        }

    def ranked(self, record: SweepRecord) -> list[dict[str, Any]]:
        """The finished scenarios in order, with their Pareto rank, feasibility and score."""
        rows = [row for _, row in sorted(self.store.rows(record).items())]
        objectives = [parse_objective(o) for o in record.objectives]
        constraints = [parse_constraint(c) for c in record.constraints]
        return rank_rows(rows, objectives, constraints, record.weights or None)

    def _finish(self, record: SweepRecord, design: dict[str, Any]) -> None:
        """The results table (CSV, Parquet) and the analysis, once every scenario is in."""
        from .results import results_frame, write_results

        rows = self.ranked(record)
        write_results(results_frame(rows), self.store.folder(record))
        self.store.write_analysis(record, self._analysis(record, design, rows))

    def _analysis(self, record: SweepRecord, design: dict[str, Any], rows: list[dict]) -> dict:
        import numpy as np

        analysis: dict[str, Any] = {"front": [r["scenario"] for r in rows if r.get("rank") == 1]}
        scored = [r for r in rows if r.get("score") is not None]
        analysis["best"] = max(scored, key=lambda r: r["score"])["scenario"] if scored else None
        kind = record.design.get("kind")
        if kind not in ("saltelli", "morris"):
            return analysis
        from .sensitivity import morris_indices, sobol_indices

        names = [o["name"] for o in record.objectives] or sorted(
            {k for r in rows for k, v in (r.get("recorded") or {}).items() if _number(v)}
        )
        by_index = {r["scenario"]: r for r in rows}
        analysis["sensitivity"] = {}
        for name in names:
            Y = [
                (by_index.get(i) or {}).get("recorded", {}).get(name)
                for i in range(len(design["scenarios"]))
            ]
            try:
                if kind == "saltelli":
                    found = sobol_indices(design["problem"], Y)
                else:
                    found = morris_indices(design["problem"], np.array(design["X"]), Y)
            except RequestError as e:
                analysis["sensitivity"][name] = {"error": str(e)}
                continue
            analysis["sensitivity"][name] = found
        return analysis

    # --- results into configurations and twins ------------------------------------------

    def scenario(self, sweep_id: str, index: str) -> tuple[SweepRecord, dict[str, Any]]:
        record = self.get(sweep_id)
        rows = self.store.rows(record)
        if not index.isdigit() or int(index) not in rows:
            raise RequestError(
                404, f"sweep {sweep_id} has no finished scenario {index!r}", field="scenario"
            )
        return record, rows[int(index)]

    def save_config(self, dt_name: str, scope: str, values: dict[str, Any], body: dict) -> Any:
        """The values as a named configuration of the twin (checked like any other)."""
        dt = find_dt(self.workspace, dt_name, scope)
        return self.runs.configs.put(dt, body.get("name"), values)

    def new_twin(
        self, dt_name: str, scope: str, values: dict[str, Any], provenance: dict, body: dict
    ) -> dict[str, Any]:
        """A copy of the twin in the user's library with ``values`` as its defaults."""
        from .derive import derive_twin

        name = body.get("name")
        if not isinstance(name, str) or not NAME_RE.match(name):
            raise RequestError(400, "name must be a digital twin name", field="name")
        dt = find_dt(self.workspace, dt_name, scope)
        target = self.workspace / "digital_twins" / name
        derive_twin(dt.folder, target, values, provenance, title=body.get("title"))
        created = find_dt(self.workspace, name, "private")
        return {"name": created.name, "scope": created.scope, "path": created.path}

    def cancel(self, sweep_id: str) -> SweepRecord:
        record = self.get(sweep_id)
        job = self._jobs.get(sweep_id)
        if job is None or record.ended:
            raise RequestError(409, f"sweep {sweep_id} is not running", sweep=sweep_id)
        record.status = "cancelling"
        self.backend(record.backend).cancel(job)
        return record

    async def resume(self, sweep_id: str) -> SweepRecord:
        record = self.get(sweep_id)
        if sweep_id in self._tasks:
            raise RequestError(409, f"sweep {sweep_id} is running", sweep=sweep_id)
        if record.status == "succeeded" and record.done >= record.total:
            raise RequestError(409, f"sweep {sweep_id} has every scenario", sweep=sweep_id)
        design = await asyncio.to_thread(self.store.design, record)
        record.status = "queued"
        self.store.save(record)
        self._start(record, design)
        return record

    def current(self, record: SweepRecord) -> SweepRecord:
        """The record in memory while its sweep runs (its progress), else the one read."""
        return self._running.get(record.id, record)

    def get(self, sweep_id: str) -> SweepRecord:
        if sweep_id in self._running:
            return self._running[sweep_id]
        record = self.store.get(sweep_id)
        if record is None:
            raise RequestError(404, f"no sweep with id {sweep_id!r}", sweep=sweep_id)
        return record

    def recover(self) -> None:
        """Sweeps a previous process left going: interrupted, then resumed if configured."""
        for record in self.store.all():
            if record.status in ("queued", "running", "cancelling"):
                record.status = "interrupted"
                self.store.save(record)
                self.log.warning("sweep %s of %s was interrupted", record.id, record.dt)
                if self.resume_on_start:
                    asyncio.get_event_loop().call_soon(
                        lambda sid=record.id: asyncio.ensure_future(self._resume_quietly(sid))
                    )

    async def _resume_quietly(self, sweep_id: str) -> None:
        try:
            await self.resume(sweep_id)
        except RequestError as e:
            self.log.warning("sweep %s not resumed: %s", sweep_id, e)

    async def wait(self) -> None:
        while self._tasks:
            await asyncio.gather(*list(self._tasks.values()), return_exceptions=True)

    def shutdown(self) -> None:
        for name, backend in self.backends.items():
            try:
                backend.shutdown()
            except Exception:  # noqa: BLE001
                self.log.exception("backend %s did not stop cleanly", name)


def _note(made: Any) -> str | None:
    notes = [made.note] if made.note else []
    if made.left_out:
        notes.append(f"{made.left_out} scenarios left out by the constraint")
    return "; ".join(notes) or None


def _list(body: dict[str, Any], key: str) -> list[Any]:
    value = body.get(key) or []
    if not isinstance(value, list):
        raise RequestError(400, f"{key} must be a list", field=key)
    return value


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
