"""Calibrations: fit chosen parameters of a twin to a data asset, running its step to simulate.

Each evaluation of the fit is one scenario of the step on a warm kernel (the sweep's fast
executor); the series it records with ``dtaas.record(name, value, t=...)`` are compared
with the data's columns. The record, the report and the residual plot are kept under
``calibrations/<dt>/<id>/``; the fitted values can be saved as a named configuration.
"""

from __future__ import annotations

import asyncio
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from traitlets import Int
from traitlets.config import LoggingConfigurable

from asset_library.errors import dumps
from asset_library.fsutil import PathOutsideRoot, write_bytes_atomic

from ..digital_twins import NAME_RE, RequestError, find_dt, resolve_parameters
from ..runs.context import resolve_asset
from ..runs.manager import in_daemon_thread
from ..runs.model import new_run_id, utcnow
from ..runs.store import RUN_ID_RE, exact_path, read_json_file, real_folders
from .calibration import (
    DataSpec,
    data_file,
    data_sha256,
    fit,
    fit_config,
    fit_setup,
    load_data,
    read_series,
    report,
    residual_plot,
)
from .executor import StepProgram, Workers

RECORD_FILE = "calibration.json"
REPORT_FILE = "report.json"
PLOT_FILE = "residuals.png"
FIELDS = {
    "dt", "scope", "step", "data", "time_column", "mapping", "fit", "ranges", "start",
    "parameters", "config", "max_evaluations", "save_as",
}  # fmt: skip


def data_columns(path: Path) -> list[str]:
    """The header of a data asset's CSV."""
    import pandas as pd

    return [str(c) for c in pd.read_csv(data_file(path), nrows=0).columns]


@dataclass
class CalibrationRecord:
    id: str
    dt: str
    scope: str
    step: str
    data: str  # the data asset's reference
    data_sha256: str
    time_column: str
    mapping: dict[str, str]
    fit: list[str]
    bounds: dict[str, list[float]]
    start: dict[str, float]
    parameters: dict[str, Any]
    max_evaluations: int = 200
    save_as: str | None = None
    status: str = "queued"
    created: str = field(default_factory=utcnow)
    finished: str | None = None
    evaluations: int = 0
    values: dict[str, float] | None = None
    std_errors: dict[str, float] | None = None
    error: str | None = None
    dir: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CalibrationRecord:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


class CalibrationManager(LoggingConfigurable):
    """Calibrations of one workspace's twins."""

    max_evaluations = Int(500, config=True, help="The most simulations one calibration may run.")

    def __init__(self, sweeps: Any, **kwargs: Any):
        super().__init__(**kwargs)
        self.sweeps = sweeps
        self.runs = sweeps.runs
        self.workspace: Path = self.runs.workspace
        self.root = self.workspace / "calibrations"
        self._running: dict[str, CalibrationRecord] = {}
        self._tasks: dict[str, asyncio.Task] = {}

    # --- files -------------------------------------------------------------------

    def _root(self) -> Path:
        self.root.mkdir(exist_ok=True)
        return exact_path(self.workspace.resolve(), "calibrations")

    def folder(self, record: CalibrationRecord) -> Path:
        try:
            return exact_path(self._root(), record.dt, record.id)
        except PathOutsideRoot:
            raise RequestError(403, f"{record.dir} is a link", path=record.dir) from None

    def save(self, record: CalibrationRecord) -> None:
        data = (dumps(record.to_dict(), indent=2) + "\n").encode()
        write_bytes_atomic(self.folder(record) / RECORD_FILE, data)

    def get(self, calibration_id: str) -> CalibrationRecord:
        if calibration_id in self._running:
            return self._running[calibration_id]
        if isinstance(calibration_id, str) and RUN_ID_RE.match(calibration_id):
            for dt in real_folders(self._root, NAME_RE):
                try:
                    path = exact_path(self._root(), dt, calibration_id, RECORD_FILE)
                    record = CalibrationRecord.from_dict(read_json_file(path, 1 << 24))
                except (OSError, ValueError, TypeError, PathOutsideRoot):
                    continue
                if record.id == calibration_id and record.dt == dt:
                    return record
        raise RequestError(404, f"no calibration with id {calibration_id!r}", field="calibration")

    def all(self, dt: str | None = None) -> list[CalibrationRecord]:
        found = []
        for name in real_folders(self._root, NAME_RE, dt):
            for cid in real_folders(lambda n=name: exact_path(self._root(), n), RUN_ID_RE):
                try:
                    found.append(self.get(cid))
                except RequestError:
                    continue
        return sorted(found, key=lambda r: r.id, reverse=True)

    def report(self, record: CalibrationRecord) -> dict[str, Any] | None:
        try:
            return read_json_file(self.folder(record) / REPORT_FILE, 1 << 24)
        except (OSError, ValueError):
            return None

    # --- requests ------------------------------------------------------------------

    async def submit(self, body: dict[str, Any]) -> CalibrationRecord:
        if isinstance(body, dict):  # a twin shared with the user: fetched as it is now
            await self.runs.shared.prepare(body.get("scope"), body.get("dt"), need="run")
        record = await asyncio.to_thread(self._prepare, body)
        self._running[record.id] = record
        self._tasks[record.id] = asyncio.ensure_future(self._run(record))
        return record

    def _prepare(self, body: dict[str, Any]) -> CalibrationRecord:
        unknown = sorted(set(body) - FIELDS)
        if unknown:
            raise RequestError(400, f"a calibration has no field {unknown[0]!r}", field=unknown[0])
        dt = find_dt(self.workspace, body.get("dt"), body.get("scope"))
        step = body.get("step", "execute")
        if not isinstance(step, str):
            raise RequestError(400, "step must be a step name", field="step")
        dt.notebook(step)
        fit_params = body.get("fit")
        if not isinstance(fit_params, list) or not fit_params:
            raise RequestError(400, "fit must name the parameters to fit", field="fit")
        ref = body.get("data")
        path = resolve_asset(self.workspace, dt, ref, "data")
        mapping = body.get("mapping")
        if mapping is None:  # the data's columns named as the twin's records
            mapping = {c: c for c in data_columns(path) if c in (dt.manifest.get("records") or {})}
            if not mapping:
                raise RequestError(
                    400,
                    f"no column of {ref!r} is named as a value {dt.name!r} records: give a mapping",
                    field="mapping",
                )
        if not isinstance(mapping, dict) or not mapping:
            raise RequestError(400, "mapping must map recorded series to columns", field="mapping")
        unknown_series = sorted(set(mapping) - set(dt.manifest.get("records") or {}))
        if unknown_series:
            raise RequestError(
                400,
                f"mapping names {unknown_series[0]!r}, which {dt.name!r} does not record",
                field="mapping",
                series=unknown_series[0],
            )
        time_column = body.get("time_column", "t")
        if not isinstance(time_column, str):
            raise RequestError(400, "time_column must be a column name", field="time_column")
        spec = DataSpec(path, time_column, {str(k): str(v) for k, v in mapping.items()})
        load_data(spec)  # every column and value checked now
        bounds, start = fit_setup(
            dt.parameter_schema, fit_params, body.get("ranges"), body.get("start")
        )
        values = {}
        if body.get("config") is not None:
            values = dict(self.runs.configs.get(dt, body["config"]).values)
        base = resolve_parameters(dt, {**values, **(body.get("parameters") or {}), **start})
        limit = body.get("max_evaluations", 200)
        if (
            not isinstance(limit, int)
            or isinstance(limit, bool)
            or not 2 <= limit <= self.max_evaluations
        ):
            raise RequestError(
                400,
                f"max_evaluations must be a whole number from 2 to {self.max_evaluations}",
                field="max_evaluations",
            )
        save_as = body.get("save_as")
        if save_as is not None and (not isinstance(save_as, str) or not NAME_RE.match(save_as)):
            raise RequestError(400, "save_as must be a configuration name", field="save_as")
        record = CalibrationRecord(
            id=new_run_id(),
            dt=dt.name,
            scope=dt.scope,
            step=step,
            data=ref,
            data_sha256=data_sha256(spec),
            time_column=time_column,
            mapping=spec.mapping,
            fit=list(fit_params),
            bounds={k: list(v) for k, v in bounds.items()},
            start=start,
            parameters=base,
            max_evaluations=limit,
            save_as=save_as,
        )
        (self._root() / dt.name).mkdir(exist_ok=True)
        folder = exact_path(self._root(), dt.name) / record.id
        folder.mkdir()
        record.dir = f"calibrations/{dt.name}/{record.id}"
        self.save(record)
        return record

    async def _run(self, record: CalibrationRecord) -> None:
        try:
            record.status = "running"
            self.save(record)
            await in_daemon_thread(self._fit, record)
            record.status = "succeeded"
            if record.save_as:
                dt = find_dt(self.workspace, record.dt, record.scope)
                self.runs.configs.put(dt, record.save_as, {**record.values})
        except RequestError as e:
            record.status, record.error = "failed", str(e)
        except Exception as e:  # never left "running"
            self.log.exception("calibration %s failed", record.id)
            record.status, record.error = "failed", f"{type(e).__name__}: {e}"
        finally:
            record.finished = utcnow()
            self.save(record)
            self._running.pop(record.id, None)
            self._tasks.pop(record.id, None)

    def _fit(self, record: CalibrationRecord) -> None:
        """The fit itself (in a thread): one warm kernel, one scenario per evaluation."""
        dt = find_dt(self.workspace, record.dt, record.scope)
        path = resolve_asset(self.workspace, dt, record.data, "data")
        data = load_data(DataSpec(path, record.time_column, record.mapping))
        folder = self.folder(record)
        job = self.sweeps.job(dt, record.step, folder, record.id, dt_hash=dt.content_hash())
        workers = Workers(
            StepProgram.read(job.notebook, job.kernel_name), job.env, folder / ".kernel", 1
        )
        workers.start()
        names = list(record.mapping)
        count = [0]

        def simulate(values: dict[str, float]) -> dict[str, Any]:
            count[0] += 1
            record.evaluations = count[0]
            found: dict[str, Any] = {}
            result = workers.run_one(
                workers.kernels[0],
                count[0],
                {**record.parameters, **values},
                folder,
                job.context,
                "none",
                None,
                collect=lambda d: found.update(read_series(d / "records", names)),
            )
            if result.status != "succeeded":
                raise RequestError(400, f"the step failed at {values}: {result.error}")
            return found

        try:
            result = fit(
                simulate, data, record.fit, {k: tuple(v) for k, v in record.bounds.items()},
                record.start, record.max_evaluations,
            )  # fmt: skip
        finally:
            workers.stop()
        record.values = fit_config(result)
        record.std_errors = {k: float(v) for k, v in result.std_errors.items()}
        write_bytes_atomic(folder / REPORT_FILE, dumps(report(result)).encode())
        residual_plot(result, folder / PLOT_FILE)

    def recover(self) -> None:
        """Calibrations a previous process left going end as failed, 'interrupted'."""
        for record in self.all():
            if record.status in ("queued", "running") and record.id not in self._running:
                record.status, record.error = "failed", "interrupted"
                record.finished = utcnow()
                self.save(record)
                self.log.warning("calibration %s of %s was interrupted", record.id, record.dt)

    async def wait(self) -> None:
        while self._tasks:
            await asyncio.gather(*list(self._tasks.values()), return_exceptions=True)
