"""``/dtaas/api/snapshots``: thin handlers over the snapshot manager."""

from __future__ import annotations

import asyncio

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..digital_twins import RequestError
from ..handlers import NAME, DTaaSHandler
from .imports import import_snapshot
from .manager import SnapshotManager


class SnapshotsBase(DTaaSHandler):
    @property
    def snapshots(self) -> SnapshotManager:
        return self.runs.snapshots


class SnapshotsHandler(SnapshotsBase):
    """``GET /dtaas/api/snapshots?dt=&limit=``: newest first."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        dt = self.get_argument("dt", None)
        limit = self.get_argument("limit", None)
        if limit is not None and (not limit.isdigit() or int(limit) < 1):
            raise RequestError(400, f"limit {limit!r} is not a positive integer", field="limit")
        found = await asyncio.to_thread(self.snapshots.list, dt, int(limit) if limit else None)
        self.finish({"snapshots": [s.summary() for s in found]})


class SnapshotHandler(SnapshotsBase):
    """``GET|PATCH|DELETE /dtaas/api/snapshots/<id>``."""

    @web.authenticated
    @authorized
    def get(self, snapshot_id: str) -> None:
        self.finish(self.snapshots.get(snapshot_id).to_dict())

    @web.authenticated
    @authorized
    def patch(self, snapshot_id: str) -> None:
        self.finish(self.snapshots.relabel(snapshot_id, self.json_body()).to_dict())

    @web.authenticated
    @authorized
    async def delete(self, snapshot_id: str) -> None:
        self.snapshots.get(snapshot_id)  # 400 or 404 first
        await asyncio.to_thread(self.snapshots.delete, snapshot_id)
        self.set_status(204)
        self.finish()


class SnapshotDiffHandler(SnapshotsBase):
    """``GET /dtaas/api/snapshots/<id>/diff?other=<id>``."""

    @web.authenticated
    @authorized
    def get(self, snapshot_id: str) -> None:
        self.finish(self.snapshots.diff(snapshot_id, self.get_argument("other", None)))


class SnapshotRespawnHandler(SnapshotsBase):
    """``POST /dtaas/api/snapshots/<id>/respawn``: a new run (step, profile, parameters...)."""

    @web.authenticated
    @authorized
    async def post(self, snapshot_id: str) -> None:
        body = self.json_body() if self.request.body else {}
        request = {k: body[k] for k in ("step", "profile", "timeout", "parameters") if k in body}
        record = await self.runs.respawn(snapshot_id, request)
        self.set_status(201)
        self.finish(record.to_dict())


class SnapshotImportHandler(SnapshotsBase):
    """``POST /dtaas/api/snapshots/import`` ``{owner, dt, id}``: a snapshot shared with this
    user, copied (every blob checked against its sha256) into their own snapshots."""

    @web.authenticated
    @authorized
    async def post(self) -> None:
        snapshot = await import_snapshot(self.snapshots, self.library, self.json_body())
        self.set_status(201)
        self.finish(snapshot.to_dict())


def handlers() -> list[tuple[str, type]]:
    return [
        (r"/dtaas/api/snapshots", SnapshotsHandler),
        (r"/dtaas/api/snapshots/import", SnapshotImportHandler),
        (rf"/dtaas/api/snapshots/{NAME}", SnapshotHandler),
        (rf"/dtaas/api/snapshots/{NAME}/diff", SnapshotDiffHandler),
        (rf"/dtaas/api/snapshots/{NAME}/respawn", SnapshotRespawnHandler),
    ]
