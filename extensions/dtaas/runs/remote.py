"""Compute on demand: run steps on a named server that the hub starts for the run.

The runtime asks the hub, with the user's own token, for a server with the
requested profile, starts the run there through that server's run API, mirrors its
progress and log, gathers the executed notebooks and outputs through the Jupyter
contents API, and stops the server, whatever happened.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest
from traitlets import Float, List, Unicode, default
from traitlets.config import LoggingConfigurable

from asset_library.fsutil import PathOutsideRoot, confined, write_bytes_atomic

from ..digital_twins import RequestError
from .model import TERMINAL, RunRecord, StepResult
from .store import LOG_FILE, RUN_FILE


class RemoteError(RuntimeError):
    """The hub or the run's server did not do what was asked."""


class RemoteRunner(LoggingConfigurable):
    """Runs a run's steps on a server provisioned for it."""

    hub_api_url = Unicode(config=True, help="The hub's REST API ($JUPYTERHUB_API_URL).")
    proxy_url = Unicode(config=True, help="Where servers are reached ($DTAAS_PROXY_URL).")
    token = Unicode(config=True, help="The user's token ($JUPYTERHUB_API_TOKEN).")
    user = Unicode(config=True, help="The user ($JUPYTERHUB_USER).")
    profiles = List(config=True, help="Profiles the hub offers: [{name, description, cpu, memory}]")
    ready_timeout = Float(180, config=True, help="Seconds to wait for the run's server.")
    poll_interval = Float(0.3, config=True, help="Seconds between polls of the remote run.")

    @default("hub_api_url")
    def _hub_api(self) -> str:
        return os.environ.get("JUPYTERHUB_API_URL", "")

    @default("proxy_url")
    def _proxy(self) -> str:
        return os.environ.get("DTAAS_PROXY_URL", "")

    @default("token")
    def _token(self) -> str:
        return os.environ.get("JUPYTERHUB_API_TOKEN", "")

    @default("user")
    def _user(self) -> str:
        return os.environ.get("JUPYTERHUB_USER", "")

    @default("profiles")
    def _profiles(self) -> list:
        try:
            return json.loads(os.environ.get("DTAAS_PROFILES", "[]"))
        except ValueError:
            return []

    def check_profile(self, name: Any) -> str:
        names = [p["name"] for p in self.profiles]
        if not isinstance(name, str) or name not in names:
            offered = ", ".join(names) or "none (compute on demand needs JupyterHub)"
            raise RequestError(
                400, f"profile {name!r} is not offered; profiles: {offered}", field="profile"
            )
        if not (self.hub_api_url and self.proxy_url and self.token and self.user):
            raise RequestError(400, "this server cannot ask the hub for compute", field="profile")
        return name

    # --- HTTP -----------------------------------------------------------------

    async def _fetch(self, method: str, url: str, body: Any = None, raw: bool = False) -> Any:
        request = HTTPRequest(
            url,
            method=method,
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
            body=None if body is None and method in ("GET", "DELETE") else json.dumps(body or {}),
            allow_nonstandard_methods=True,
            request_timeout=60,
        )
        try:
            resp = await AsyncHTTPClient().fetch(request)
        except HTTPClientError as e:
            text = e.response.body.decode(errors="replace")[:500] if e.response else ""
            raise RemoteError(f"{method} {url} answered {e.code}: {text}") from None
        if raw:
            return resp.body
        return json.loads(resp.body) if resp.body else None

    def _server_api(self, server: str) -> str:
        return f"{self.hub_api_url.rstrip('/')}/users/{quote(self.user)}/servers/{server}"

    async def start_server(self, server: str, profile: str) -> str:
        """Ask the hub for the server and wait until it is ready; returns its URL."""
        await self._fetch("POST", self._server_api(server), {"profile": profile})
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.ready_timeout
        user_url = f"{self.hub_api_url.rstrip('/')}/users/{quote(self.user)}"
        while loop.time() < deadline:
            model = await self._fetch("GET", user_url)
            srv = (model.get("servers") or {}).get(server)
            if srv and srv.get("ready"):
                return self.proxy_url.rstrip("/") + srv["url"]
            if srv is None:
                raise RemoteError(f"the hub could not start server {server!r}")
            await asyncio.sleep(0.5)
        raise RemoteError(f"server {server!r} not ready after {self.ready_timeout:g} s")

    async def stop_server(self, server: str) -> None:
        try:
            await self._fetch("DELETE", self._server_api(server), {"remove": True})
        except RemoteError as e:
            self.log.warning("could not remove server %s: %s", server, e)

    # --- the run ----------------------------------------------------------------

    async def run(
        self,
        record: RunRecord,
        folder: Path,
        append_log: Callable[[str], None],
        changed: Callable[[], None],
        cancelled: Callable[[], bool],
        stopping: Callable[[], bool] = lambda: False,
        started: Callable[[str, str], None] = lambda url, remote_id: None,
    ) -> None:
        """Execute ``record`` remotely, updating it in place; ``folder`` is its local run folder."""
        server = f"run-{secrets.token_hex(4)}"
        record.server = server
        changed()
        append_log(f"starting server {server} with profile {record.profile}\n")
        try:
            url = await self.start_server(server, record.profile or "")
            append_log(f"server {server} ready\n")
            if cancelled():
                raise asyncio.CancelledError
            remote = await self._fetch(
                "POST",
                f"{url}dtaas/api/runs",
                {
                    "dt": record.dt,
                    "scope": record.scope,
                    "steps": record.steps,
                    "parameters": record.parameters,
                    "timeout": record.timeout,
                    "parent": record.id,
                    "save_after": record.save_after,
                    **({"snapshot": record.snapshot} if record.snapshot else {}),
                },
            )
            started(url, remote["id"])
            await self._follow(url, remote["id"], record, append_log, changed, cancelled, stopping)
            remote = await self._fetch("GET", f"{url}dtaas/api/runs/{remote['id']}")
            await self._gather(url, remote["dir"], folder)
            self._adopt(record, remote)
        finally:
            await self.stop_server(server)
            append_log(f"server {server} stopped\n")

    async def save(self, url: str, remote_id: str, label: str) -> dict[str, Any]:
        """Ask the server that runs a run to save it: its snapshot, or its record (202)."""
        return await self._fetch("POST", f"{url}dtaas/api/runs/{remote_id}/save", {"label": label})

    async def _follow(
        self, url, remote_id, record, append_log, changed, cancelled, stopping
    ) -> None:
        offset, cancel_sent, stop_sent = 0, False, False
        while True:
            if stopping() and not stop_sent and not cancel_sent:
                stop_sent = True
                try:
                    await self._fetch("POST", f"{url}dtaas/api/runs/{remote_id}/stop", {})
                except RemoteError as e:
                    self.log.info("remote stop: %s", e)
            if cancelled() and not cancel_sent:
                cancel_sent = True
                try:
                    await self._fetch("POST", f"{url}dtaas/api/runs/{remote_id}/cancel", {})
                except RemoteError as e:  # finished in the meantime
                    self.log.info("remote cancel: %s", e)
            remote = await self._fetch("GET", f"{url}dtaas/api/runs/{remote_id}")
            log = await self._fetch("GET", f"{url}dtaas/api/runs/{remote_id}/log?offset={offset}")
            if log["text"]:
                append_log(log["text"])
            offset = log["offset"]
            self._adopt(record, remote, final=False)
            changed()
            if remote["status"] in TERMINAL:
                return
            await asyncio.sleep(self.poll_interval)

    def _adopt(self, record: RunRecord, remote: dict[str, Any], final: bool = True) -> None:
        """Copy the remote run's state into the local record, with local paths."""
        prefix = remote["dir"].rstrip("/") + "/"
        local = record.dir
        record.progress.__dict__.update(remote.get("progress") or {})
        results = []
        for r in remote.get("step_results") or []:
            r = dict(r)
            notebook = r.get("notebook") or ""
            rel = notebook[len(prefix) :] if notebook.startswith(prefix) else ""
            # only a notebook in the run's own folder, and never one that climbs out of it
            ok = rel and not any(p in ("", ".", "..") for p in rel.split("/"))
            r["notebook"] = f"{local}/{rel}" if ok else ""
            results.append(StepResult(**r))
        record.step_results = results
        record.environment = remote.get("environment") or {}
        record.recorded = remote.get("recorded") or {}
        record.live = remote.get("live")
        for sid in remote.get("snapshots") or []:
            if sid not in record.snapshots:
                record.snapshots.append(sid)
        if final:
            record.status = remote["status"]
            record.error, record.cell = remote.get("error"), remote.get("cell")
            record.traceback = remote.get("traceback")

    async def _gather(self, url: str, remote_dir: str, folder: Path) -> None:
        """Download the remote run folder (notebooks, outputs) into the local one.

        Only entries inside the remote run folder are taken, and each lands inside
        the local one (``folder``) or not at all.
        """
        prefix = remote_dir.rstrip("/") + "/"
        stack = [remote_dir]
        while stack:
            current = stack.pop()
            listing = await self._fetch("GET", f"{url}api/contents/{quote(current)}?content=1")
            for entry in listing.get("content") or []:
                path = entry.get("path")
                rel = (
                    path[len(prefix) :] if isinstance(path, str) and path.startswith(prefix) else ""
                )
                if not rel or any(p in ("", ".", "..") for p in rel.split("/")):
                    self.log.warning("not gathering %r: outside the run folder", path)
                    continue
                try:
                    target = confined(folder, rel)
                except PathOutsideRoot as e:
                    self.log.warning("not gathering %r: %s", path, e)
                    continue
                if entry.get("type") == "directory":
                    stack.append(path)
                    continue
                if rel in (RUN_FILE, LOG_FILE):
                    continue
                model = await self._fetch(
                    "GET",
                    f"{url}api/contents/{quote(path)}?content=1&type=file&format=base64",
                )
                write_bytes_atomic(target, base64.b64decode(model["content"]))
