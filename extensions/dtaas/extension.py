"""The jupyter_server extension that adds the DT lifecycle to a workspace."""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jupyter_server.extension.application import ExtensionApp
from traitlets import Unicode, default

from asset_library.client import LibraryClient

from .handlers import handlers
from .runs.manager import RunManager
from .shared import SharedTwins
from .shared import handlers as shared_handlers
from .whatif.backends import LocalBackend
from .whatif.calibrate import CalibrationManager
from .whatif.manager import SweepManager


class DTaaSExtension(ExtensionApp):
    """Wires the run manager and the library client into the server."""

    name = "dtaas"
    classes = [RunManager, SweepManager, LocalBackend, CalibrationManager, SharedTwins]

    library_url = Unicode(config=True, help="The library service ($DTAAS_LIBRARY_URL).")
    library_token = Unicode(config=True, help="Token for the library ($DTAAS_LIBRARY_TOKEN).")

    @default("library_url")
    def _default_library_url(self) -> str:
        return os.environ.get("DTAAS_LIBRARY_URL", "")

    @default("library_token")
    def _default_library_token(self) -> str:
        return os.environ.get("DTAAS_LIBRARY_TOKEN") or os.environ.get("JUPYTERHUB_API_TOKEN", "")

    def initialize_settings(self) -> None:
        workspace = Path(self.serverapp.root_dir).resolve()
        manager = RunManager(workspace, parent=self, log=self.log)
        manager.recover()
        sweeps = SweepManager(manager, parent=self, log=self.log)
        sweeps.recover()
        calibrations = CalibrationManager(sweeps, parent=self, log=self.log)
        calibrations.recover()
        library = LibraryClient(self.library_url, self.library_token)
        manager.shared.client = library  # shared twins are fetched through it
        self.settings.update(
            dtaas_run_manager=manager,
            dtaas_sweep_manager=sweeps,
            dtaas_calibration_manager=calibrations,
            dtaas_library_client=library,
        )
        owner = os.environ.get("JUPYTERHUB_USER", "")
        if owner:
            # the application's own request log, whatever log_function is set later
            # (JupyterHub's single-user extension replaces that setting after us)
            web_app = self.serverapp.web_app
            web_app.log_request = log_access_by_others(
                web_app.log_request, owner, self.serverapp.log
            )

    def initialize(self) -> None:
        super().initialize()
        self._stop_cleanly_on_sigint()

    def _stop_cleanly_on_sigint(self) -> None:
        """The hub stops a server with SIGINT; without a terminal, jupyter_server leaves
        SIGINT to Python, which breaks out of the event loop with no cleanup. Route it
        to the server's own stop so runs end as 'interrupted' and kernels are shut down.
        """
        if (
            threading.current_thread() is threading.main_thread()
            and signal.getsignal(signal.SIGINT) is signal.default_int_handler
        ):
            signal.signal(signal.SIGINT, self.serverapp._signal_stop)

    def initialize_handlers(self) -> None:
        self.handlers.extend([*shared_handlers(), *handlers()])

    async def stop_extension(self) -> None:
        """End runs in flight as 'interrupted' so none stays 'running' after the server."""
        self.settings["dtaas_sweep_manager"].shutdown()
        await self.settings["dtaas_run_manager"].shutdown()


def requester(handler: Any) -> str | None:
    """The name of who made the request (jupyter_server's identity), if anyone."""
    try:
        user = handler.current_user
    except Exception:  # noqa: BLE001 (a handler that never authenticated)
        return None
    if not user:
        return None
    name = getattr(user, "username", None) or getattr(user, "name", None)
    if name is None and isinstance(user, dict):
        name = user.get("name")
    return str(name) if name else None


def log_access_by_others(
    log_function: Callable[[Any], None] | None, owner: str, log: logging.Logger
) -> Callable[[Any], None]:
    """Wrap a request log (tornado's ``Application.log_request``): a request by anyone
    but ``owner`` (an admin, or someone the server is shared with) also logs one
    warning line, whatever it asked for.
    """

    def log_request(handler: Any) -> None:
        if log_function is not None:
            log_function(handler)
        who = requester(handler)
        if who is not None and who != owner:
            request = handler.request
            log.warning(
                "admin access: user %r %s %s (status %d)",
                who,
                request.method,
                request.path,  # the path only: a query may carry a token
                handler.get_status(),
            )

    return log_request
