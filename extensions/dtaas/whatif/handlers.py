"""``/dtaas/api/sweeps``: thin handlers over the sweep manager."""

from __future__ import annotations

import asyncio

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..digital_twins import RequestError
from ..handlers import NAME, DTaaSHandler
from .manager import SweepManager


class SweepsBase(DTaaSHandler):
    @property
    def sweeps(self) -> SweepManager:
        return self.settings["dtaas_sweep_manager"]


class SweepsHandler(SweepsBase):
    """``GET /dtaas/api/sweeps?dt=&limit=``; ``POST`` a sweep request."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        dt = self.get_argument("dt", None)
        limit = self.get_argument("limit", None)
        if limit is not None and (not limit.isdigit() or int(limit) < 1):
            raise RequestError(400, f"limit {limit!r} is not a positive integer", field="limit")
        found = await asyncio.to_thread(self.sweeps.store.all, dt, int(limit) if limit else None)
        self.finish({"sweeps": [self.sweeps.current(s).to_dict() for s in found]})

    @web.authenticated
    @authorized
    async def post(self) -> None:
        record = await self.sweeps.submit(self.json_body())
        self.set_status(201)
        self.finish(record.to_dict())


class SweepHandler(SweepsBase):
    """``GET /dtaas/api/sweeps/<id>``: the record, with progress."""

    @web.authenticated
    @authorized
    def get(self, sweep_id: str) -> None:
        self.finish(self.sweeps.get(sweep_id).to_dict())


class SweepResultsHandler(SweepsBase):
    """``GET /dtaas/api/sweeps/<id>/results``: finished scenarios, ranked, and the analysis."""

    @web.authenticated
    @authorized
    async def get(self, sweep_id: str) -> None:
        record = self.sweeps.get(sweep_id)
        rows = await asyncio.to_thread(self.sweeps.ranked, record)
        analysis = await asyncio.to_thread(self.sweeps.store.analysis, record)
        self.finish({"sweep": record.id, "rows": rows, "analysis": analysis})


class SweepCancelHandler(SweepsBase):
    @web.authenticated
    @authorized
    def post(self, sweep_id: str) -> None:
        self.set_status(202)
        self.finish(self.sweeps.cancel(sweep_id).to_dict())


class SweepResumeHandler(SweepsBase):
    @web.authenticated
    @authorized
    async def post(self, sweep_id: str) -> None:
        record = await self.sweeps.resume(sweep_id)
        self.set_status(202)
        self.finish(record.to_dict())


class ScenarioConfigHandler(SweepsBase):
    """``POST /dtaas/api/sweeps/<id>/scenarios/<i>/config {name}``: save it as a configuration."""

    @web.authenticated
    @authorized
    def post(self, sweep_id: str, index: str) -> None:
        record, row = self.sweeps.scenario(sweep_id, index)
        config = self.sweeps.save_config(
            record.dt, record.scope, row["parameters"], self.json_body()
        )
        self.set_status(201)
        self.finish(config.to_dict())


class ScenarioTwinHandler(SweepsBase):
    """``POST /dtaas/api/sweeps/<id>/scenarios/<i>/twin {name, title}``: a new twin from it."""

    @web.authenticated
    @authorized
    async def post(self, sweep_id: str, index: str) -> None:
        record, row = self.sweeps.scenario(sweep_id, index)
        provenance = {
            "source": f"{record.scope}/digital_twins/{record.dt}",
            "sweep": record.id,
            "scenario": row["scenario"],
        }
        created = await asyncio.to_thread(
            self.sweeps.new_twin, record.dt, record.scope, row["parameters"], provenance,
            self.json_body(),
        )  # fmt: skip
        self.set_status(201)
        self.finish(created)


class CalibrationsBase(SweepsBase):
    @property
    def calibrations(self):
        return self.settings["dtaas_calibration_manager"]


class CalibrationsHandler(CalibrationsBase):
    """``GET /dtaas/api/calibrations?dt=``; ``POST`` a calibration request."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        found = await asyncio.to_thread(self.calibrations.all, self.get_argument("dt", None))
        self.finish({"calibrations": [c.to_dict() for c in found]})

    @web.authenticated
    @authorized
    async def post(self) -> None:
        record = await self.calibrations.submit(self.json_body())
        self.set_status(201)
        self.finish(record.to_dict())


class CalibrationHandler(CalibrationsBase):
    """``GET /dtaas/api/calibrations/<id>``: the record, with its report once it ended."""

    @web.authenticated
    @authorized
    def get(self, calibration_id: str) -> None:
        record = self.calibrations.get(calibration_id)
        self.finish({**record.to_dict(), "report": self.calibrations.report(record)})


class CalibrationPlotHandler(CalibrationsBase):
    """``GET /dtaas/api/calibrations/<id>/residuals.png``."""

    @web.authenticated
    @authorized
    def get(self, calibration_id: str) -> None:
        record = self.calibrations.get(calibration_id)
        path = self.calibrations.folder(record) / "residuals.png"
        if not path.is_file() or path.is_symlink():
            raise RequestError(404, f"calibration {calibration_id} has no plot yet")
        self.set_header("X-Content-Type-Options", "nosniff")
        self.write(path.read_bytes())
        self.finish(set_content_type="image/png")


class CalibrationConfigHandler(CalibrationsBase):
    @web.authenticated
    @authorized
    def post(self, calibration_id: str) -> None:
        record = self._fitted(calibration_id)
        config = self.sweeps.save_config(record.dt, record.scope, record.values, self.json_body())
        self.set_status(201)
        self.finish(config.to_dict())

    def _fitted(self, calibration_id: str):
        record = self.calibrations.get(calibration_id)
        if record.values is None:
            raise RequestError(409, f"calibration {calibration_id} has no fitted values")
        return record


class CalibrationTwinHandler(CalibrationConfigHandler):
    @web.authenticated
    @authorized
    async def post(self, calibration_id: str) -> None:
        record = self._fitted(calibration_id)
        provenance = {
            "source": f"{record.scope}/digital_twins/{record.dt}",
            "calibration": record.id,
            "data": record.data,
            "data_sha256": record.data_sha256,
        }
        values = {**record.parameters, **record.values}
        created = await asyncio.to_thread(
            self.sweeps.new_twin, record.dt, record.scope, values, provenance, self.json_body()
        )
        self.set_status(201)
        self.finish(created)


def handlers() -> list[tuple[str, type]]:
    return [
        (rf"/dtaas/api/sweeps/{NAME}/scenarios/([0-9]+)/config", ScenarioConfigHandler),
        (rf"/dtaas/api/sweeps/{NAME}/scenarios/([0-9]+)/twin", ScenarioTwinHandler),
        (r"/dtaas/api/calibrations", CalibrationsHandler),
        (rf"/dtaas/api/calibrations/{NAME}", CalibrationHandler),
        (rf"/dtaas/api/calibrations/{NAME}/residuals\.png", CalibrationPlotHandler),
        (rf"/dtaas/api/calibrations/{NAME}/config", CalibrationConfigHandler),
        (rf"/dtaas/api/calibrations/{NAME}/twin", CalibrationTwinHandler),
        (r"/dtaas/api/sweeps", SweepsHandler),
        (rf"/dtaas/api/sweeps/{NAME}", SweepHandler),
        (rf"/dtaas/api/sweeps/{NAME}/results", SweepResultsHandler),
        (rf"/dtaas/api/sweeps/{NAME}/cancel", SweepCancelHandler),
        (rf"/dtaas/api/sweeps/{NAME}/resume", SweepResumeHandler),
    ]
