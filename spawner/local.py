"""The local profile's spawner: one process per server, the workspace as its home."""

from __future__ import annotations

import json
import os
import resource
import sys
from pathlib import Path

from jupyterhub.spawner import SimpleLocalProcessSpawner
from traitlets import Dict, List, Unicode, default

from .workspace import lay_out_workspace


class WorkspaceSpawner(SimpleLocalProcessSpawner):
    """Starts ``jupyterhub-singleuser`` in ``$DTAAS_DATA_DIR/users/<name>``.

    Every server of a user (default and named) shares that workspace.
    """

    data_dir = Unicode(config=True, help="The platform's data folder ($DTAAS_DATA_DIR).")
    library_url = Unicode(config=True, help="The library service's URL as reached from here.")
    proxy_url = Unicode(config=True, help="Where a server reaches other servers (the proxy).")
    profiles = List(
        Dict(),
        config=True,
        help="Compute profiles [{name, description, cpu, memory}]; user_options.profile picks one.",
    )

    def profile(self) -> dict | None:
        """The profile this server was asked for, if any; an unknown one is an error."""
        name = (self.user_options or {}).get("profile")
        if not name:
            return None
        for profile in self.profiles:
            if profile["name"] == name:
                return profile
        raise ValueError(f"profile {name!r} is not one of {[p['name'] for p in self.profiles]}")

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
        env["DTAAS_PROXY_URL"] = self.proxy_url
        env["DTAAS_PROFILES"] = json.dumps(self.profiles)
        profile = self.profile()
        env["DTAAS_SERVER_PROFILE"] = profile["name"] if profile else ""
        return env

    def make_preexec_fn(self, name):
        """Apply the profile's limits to the server and every kernel it starts.

        The local profile has no containers: CPUs are pinned with the affinity mask
        and memory is capped per process with RLIMIT_DATA.
        """
        preexec = super().make_preexec_fn(name)
        if not self.cpu_limit and not self.mem_limit:
            return preexec
        cpus = sorted(os.sched_getaffinity(0))
        if self.cpu_limit:
            cpus = cpus[: max(1, int(self.cpu_limit))]
        memory = self.mem_limit

        def limited():
            preexec()
            os.sched_setaffinity(0, cpus)
            if memory:
                resource.setrlimit(resource.RLIMIT_DATA, (memory, memory))

        return limited

    async def start(self):
        profile = self.profile()
        if profile:
            self.cpu_limit = float(profile.get("cpu") or 0) or None
            self.mem_limit = profile.get("memory")  # the trait parses "2G"
        data = Path(self.data_dir)
        groups = [g.name for g in self.user.groups]
        lay_out_workspace(data / "users", self.user.name, data / "common", data / "groups", groups)
        return await super().start()
