"""What every DTaaS server needs from its spawner, whatever starts it (a process, a
container, a pod): where the library and the other servers are, the compute profiles,
the platform services' credentials, and which profile this server was started with."""

from __future__ import annotations

import asyncio
import json

from traitlets import Callable, Dict, HasTraits, List, Unicode


class PlatformServer(HasTraits):
    """Mixed into each profile's spawner, before the JupyterHub spawner it extends."""

    library_url = Unicode(config=True, help="The library service's URL as reached from here.")
    proxy_url = Unicode(config=True, help="Where a server reaches other servers (the proxy).")
    prepare_services = Callable(
        None,
        allow_none=True,
        config=True,
        help="(user, groups) -> None: the platform services' credentials and access of a user.",
    )
    services_env = Callable(
        None,
        allow_none=True,
        config=True,
        help="(user) -> dict: the platform services' endpoints and credentials, as env.",
    )
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

    def apply_profile(self) -> None:
        """The asked-for profile as the spawner's own CPU and memory limits."""
        profile = self.profile()
        if profile:
            self.cpu_limit = float(profile.get("cpu") or 0) or None
            self.mem_limit = profile.get("memory")  # the trait parses "2G"

    async def listening(self, address: tuple[str, int]) -> tuple[str, int]:
        """Return the server's address once it accepts connections (or its process ended).

        JupyterHub looks for a new server with a growing backoff, and finds one that came
        up between two looks only at the next, seconds later; from here its first look
        finds it.
        """
        host, port = address
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.http_timeout
        while loop.time() < deadline:
            try:
                _, writer = await asyncio.open_connection(host, port)
            except OSError:
                if await self.poll() is not None:
                    break  # it died: JupyterHub reports that
                await asyncio.sleep(0.1)
                continue
            writer.close()
            await writer.wait_closed()
            break
        return address

    def workspace_path(self) -> str:
        """The workspace as the server sees it."""
        raise NotImplementedError

    def get_env(self) -> dict[str, str]:
        env = super().get_env()
        env["DTAAS_LIBRARY_URL"] = self.library_url
        # the server's own token carries access to the library (see hub_config.roles)
        env["DTAAS_LIBRARY_TOKEN"] = self.api_token
        env["DTAAS_WORKSPACE"] = self.workspace_path()
        env["DTAAS_PROXY_URL"] = self.proxy_url
        env["DTAAS_PROFILES"] = json.dumps(self.profiles)
        profile = self.profile()
        env["DTAAS_SERVER_PROFILE"] = profile["name"] if profile else ""
        if self.services_env is not None:
            env.update(self.services_env(self.user.name))
        return env
