"""The hub's DTaaS page for admins (``/hub/dtaas-admin``): the platform's services and
their health, linked from the hub's navigation beside Admin."""

from __future__ import annotations

import asyncio
from pathlib import Path

from jupyterhub.handlers import BaseHandler
from jupyterhub.scopes import needs_scope
from tornado import web
from tornado.httpclient import AsyncHTTPClient, HTTPClientError

import platform_services

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


class DTaaSAdminHandler(BaseHandler):
    """What an admin checks first: are the platform's services up."""

    settings_of_platform: Settings | None = None

    @web.authenticated
    @needs_scope("admin-ui")
    async def get(self) -> None:
        health = await services_health(self.settings_of_platform)
        self.finish(await self.render_template("dtaas-admin.html", health=health))


def configure_admin_page(c, s: Settings) -> None:
    DTaaSAdminHandler.settings_of_platform = s
    c.JupyterHub.template_paths = [str(TEMPLATES)]
    c.JupyterHub.extra_handlers = [(r"/dtaas-admin", DTaaSAdminHandler)]
