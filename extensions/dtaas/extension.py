"""The jupyter_server extension that adds the DT lifecycle to a workspace."""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path

from jupyter_server.extension.application import ExtensionApp
from traitlets import Unicode, default

from asset_library.client import LibraryClient

from .handlers import handlers
from .runs.manager import RunManager


class DTaaSExtension(ExtensionApp):
    """Wires the run manager and the library client into the server."""

    name = "dtaas"
    classes = [RunManager]

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
        self.settings.update(
            dtaas_run_manager=manager,
            dtaas_library_client=LibraryClient(self.library_url, self.library_token),
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
        self.handlers.extend(handlers())

    async def stop_extension(self) -> None:
        """End runs in flight as 'interrupted' so none stays 'running' after the server."""
        await self.settings["dtaas_run_manager"].shutdown()
