"""The Docker profile's spawner: each server a container from the workspace image.

The container runs as the user's own system account (the same one the local profile
uses), with the workspace at the same path as on the host, so the library, the run
records and every link in the workspace mean the same inside and out. It sees only its
own workspace (a named volume bound to it), the common library read-only and the group
libraries of the user. It has no Docker socket, no capabilities, and cannot gain any.
"""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path

from dockerspawner import DockerSpawner
from traitlets import Unicode

from .local import _ACCOUNTS, prepare_workspace
from .platform import PlatformServer


def volume_name(user: str, data_dir: str) -> str:
    """The user's volume on this platform: two platforms on one engine keep their own."""
    platform = hashlib.sha256(str(Path(data_dir).resolve()).encode()).hexdigest()[:8]
    return f"dtaas-workspace-{user}-{platform}"


class DockerWorkspaceSpawner(PlatformServer, DockerSpawner):
    """One container per server; every server of a user mounts the same workspace."""

    data_dir = Unicode(config=True, help="The platform's data folder ($DTAAS_DATA_DIR).")

    def workspace_path(self) -> str:
        return str(Path(self.data_dir) / "users" / self.user.name)

    async def start(self):
        self.apply_profile()
        groups = sorted(g.name for g in self.user.groups)
        data = Path(self.data_dir)
        async with _ACCOUNTS:
            home, account, gids = await asyncio.get_running_loop().run_in_executor(
                None, prepare_workspace, data, self.user.name, groups, True, self.prepare_services
            )
        await asyncio.get_running_loop().run_in_executor(None, self._ensure_volume, home)
        volumes = {
            volume_name(self.user.name, self.data_dir): {"bind": str(home), "mode": "rw"},
            str(data / "common"): {"bind": str(data / "common"), "mode": "ro"},
        }
        for group in groups:
            folder = data / "groups" / group
            volumes[str(folder)] = {"bind": str(folder), "mode": "rw"}
        self.volumes = volumes
        self.notebook_dir = str(home)
        self.extra_create_kwargs = {
            "user": f"{account.uid}:{account.gid}",
            "working_dir": str(home),
        }
        self.extra_host_config = {
            "group_add": [str(g) for g in gids],
            "cap_drop": ["ALL"],
            "security_opt": ["no-new-privileges"],
            "pids_limit": 1024,
        }
        return await self.listening(await super().start())

    def _ensure_volume(self, home: Path) -> None:
        """The named volume of the user: their workspace folder on the host, bound."""
        import docker

        client = docker.from_env(timeout=30)
        name = volume_name(self.user.name, self.data_dir)
        try:
            try:
                found = client.volumes.get(name)
                if (found.attrs.get("Options") or {}).get("device") == str(home):
                    return
                found.remove()  # bound to a folder that is not the workspace (any more)
            except docker.errors.NotFound:
                pass
            client.volumes.create(
                name,
                driver="local",
                driver_opts={"type": "none", "o": "bind", "device": str(home)},
                labels={"dtaas.user": self.user.name},
            )
        finally:
            client.close()

    def get_env(self) -> dict[str, str]:
        env = super().get_env()
        env["HOME"] = self.workspace_path()
        env["USER"] = self.user.name
        env["SHELL"] = "/bin/bash"
        return env
