"""The hub's DTaaS page for admins (``/hub/dtaas-admin``), linked from the hub's navigation
beside Admin, and the same as JSON (``/hub/api/dtaas/status``, for ``dtaas admin status``):
the services and their health, the servers running with their profile and resource use,
the runs and sweeps in flight, the library's size and the curation queue."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from jupyterhub import orm
from jupyterhub.apihandlers.base import APIHandler
from jupyterhub.handlers import BaseHandler
from jupyterhub.scopes import needs_scope
from tornado import web
from tornado.httpclient import AsyncHTTPClient, HTTPClientError

import platform_services

from . import status
from .settings import Settings

TEMPLATES = Path(__file__).with_name("templates")
HEALTH_TIMEOUT = 5.0


async def library_health(settings: Settings) -> dict:
    """The library answers its index page (no login needed) within the timeout."""
    try:
        await AsyncHTTPClient().fetch(settings.library_url, request_timeout=HEALTH_TIMEOUT)
    except (HTTPClientError, OSError) as e:
        return {"name": "library", "ok": False, "detail": f"{settings.library_url}: {e}"}
    return {"name": "library", "ok": True, "detail": f"answers at {settings.library_url}"}


async def services_health(settings: Settings) -> list[dict]:
    """Every service's health; the checks that block run in threads, all at once."""
    loop = asyncio.get_running_loop()
    checks = [loop.run_in_executor(None, m.health, settings) for m in platform_services.modules()]
    found = await asyncio.gather(library_health(settings), *checks, return_exceptions=True)
    out = []
    for item in found:
        if isinstance(item, BaseException):
            out.append({"name": "?", "ok": False, "detail": f"health check failed: {item}"})
        else:
            out.append(item)
    return out


def running_servers(handler: BaseHandler) -> list[status.ServerStatus]:
    """Every server the hub has running, from its own database and spawners."""
    found = []
    query = handler.db.query(orm.Spawner).filter(orm.Spawner.server_id.isnot(None))
    for orm_spawner in query.order_by(orm.Spawner.id):
        user = handler.users[orm_spawner.user]
        spawner = user.spawners[orm_spawner.name]
        found.append(
            status.ServerStatus(
                user=user.name,
                name=orm_spawner.name,
                profile=(spawner.user_options or {}).get("profile") or "",
                started=_iso(orm_spawner.started),
                last_activity=_iso(orm_spawner.last_activity),
                pid=getattr(spawner, "pid", None) or None,
                container=getattr(spawner, "container_id", None) or None,
            )
        )
    return found


def _iso(when) -> str | None:
    return when.isoformat(timespec="seconds") + "Z" if when else None


async def platform_status(handler: BaseHandler, s: Settings) -> dict:
    """All of it; what reads files or processes runs in threads, all at once."""
    servers = running_servers(handler)

    async def measure(server: status.ServerStatus) -> None:
        """One server's use; each in its own thread (a container's takes a second)."""
        use = status.process_use if server.pid else status.container_use
        found = await asyncio.to_thread(use, server.pid or server.container)
        server.cpu_percent, server.memory_bytes = found

    db_url = os.environ.get("DTAAS_LIBRARY_DB_URL", "")
    health, _, work, library, queue = await asyncio.gather(
        services_health(s),
        asyncio.gather(*(measure(server) for server in servers)),
        asyncio.to_thread(status.work_in_flight, s.users_dir),
        asyncio.to_thread(status.library_size, s.data_dir),
        asyncio.to_thread(status.curation_queue, s.data_dir, db_url),
    )
    return status.as_json(health, servers, work, library, queue)


class DTaaSAdminHandler(BaseHandler):
    """The page: what an admin checks first."""

    settings_of_platform: Settings | None = None

    @web.authenticated
    @needs_scope("admin-ui")
    async def get(self) -> None:
        found = await platform_status(self, self.settings_of_platform)
        self.finish(await self.render_template("dtaas-admin.html", **found))


class DTaaSStatusHandler(APIHandler):
    """The same as JSON, for scripts and ``dtaas admin status`` (an admin's token)."""

    @needs_scope("admin-ui")
    async def get(self) -> None:
        self.write(await platform_status(self, DTaaSAdminHandler.settings_of_platform))


def configure_admin_page(c, s: Settings) -> None:
    DTaaSAdminHandler.settings_of_platform = s
    c.JupyterHub.template_paths = [str(TEMPLATES)]
    c.JupyterHub.extra_handlers = [
        (r"/dtaas-admin", DTaaSAdminHandler),
        (r"/api/dtaas/status", DTaaSStatusHandler),
    ]
