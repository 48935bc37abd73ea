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
        self.finish({"sweeps": [self.sweeps.get(s.id).to_dict() for s in found]})

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


def handlers() -> list[tuple[str, type]]:
    return [
        (r"/dtaas/api/sweeps", SweepsHandler),
        (rf"/dtaas/api/sweeps/{NAME}", SweepHandler),
        (rf"/dtaas/api/sweeps/{NAME}/results", SweepResultsHandler),
        (rf"/dtaas/api/sweeps/{NAME}/cancel", SweepCancelHandler),
        (rf"/dtaas/api/sweeps/{NAME}/resume", SweepResumeHandler),
    ]
