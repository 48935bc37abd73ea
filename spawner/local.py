"""The local profile's spawner: one process per server, the workspace as its home."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from jupyterhub.spawner import SimpleLocalProcessSpawner
from traitlets import Unicode, default

from .workspace import lay_out_workspace


class WorkspaceSpawner(SimpleLocalProcessSpawner):
    """Starts ``jupyterhub-singleuser`` in ``$DTAAS_DATA_DIR/users/<name>``.

    Every server of a user (default and named) shares that workspace.
    """

    data_dir = Unicode(config=True, help="The platform's data folder ($DTAAS_DATA_DIR).")
    library_url = Unicode(config=True, help="The library service's URL as reached from here.")

    @default("home_dir_template")
    def _default_home_template(self) -> str:
        return str(Path(self.data_dir) / "users" / "{username}")

    @default("notebook_dir")
    def _default_notebook_dir(self) -> str:
        return self.home_dir

    @default("cmd")
    def _default_cmd(self) -> list[str]:
        return [sys.executable, "-m", "jupyterhub.singleuser"]

    @default("default_url")
    def _default_url(self) -> str:
        return "/lab"

    def get_args(self) -> list[str]:
        args = super().get_args()
        if os.geteuid() == 0:
            # the server refuses to start as root without it, and the hub
            # would only see a timeout
            args.append("--allow-root")
        return args

    def get_env(self) -> dict[str, str]:
        env = super().get_env()
        env["DTAAS_LIBRARY_URL"] = self.library_url
        # the server's own token carries access to the library (see hub_config.roles)
        env["DTAAS_LIBRARY_TOKEN"] = self.api_token
        env["DTAAS_WORKSPACE"] = self.home_dir
        return env

    async def start(self):
        data = Path(self.data_dir)
        lay_out_workspace(data / "users", self.user.name, data / "common")
        return await super().start()
