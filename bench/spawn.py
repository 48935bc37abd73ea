"""Spawn-to-ready of a user's server: DTaaS against a vanilla JupyterHub on this machine.

For each profile the same single-user program is started:

- ``docker``: DockerSpawner with the image ``make images`` built (``dtaas-workspace``),
  once under a vanilla JupyterHub (DummyAuthenticator, DockerSpawner's defaults plus the
  network and image), once under DTaaS's docker profile (the user's own account, the
  named volume, the platform services prepared);
- ``local``: a vanilla JupyterHub's LocalProcessSpawner running the venv's
  ``jupyterhub-singleuser``, against DTaaS's local profile (the workspace laid out, the
  user's system account, the platform services prepared).

Each figure is the median over ``SPAWNS`` users, from the REST call that asks for the
server to the hub's model saying it is ready, of each user's second start (the first
makes what a new user needs once); the first user of each hub is left out (it warms
caches). Prints one JSON line:
``{"docker": {"vanilla_s", "dtaas_s", "ratio"}, "local": {...}}``. Target: ratio <= 1.1.

Run as root with a Docker engine and the images: ``.venv/bin/python bench/spawn.py
[docker] [local]``.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.hub import ADMIN_PASSWORD, Hub, free_port_block, traversable  # noqa: E402

SPAWNS = 5
SINGLEUSER = "jupyterhub-singleuser"
IMAGE = "dtaas-workspace:latest"
SUBNET = "172.31.250.0/24"


def say(*args: object) -> None:
    print(*args, file=sys.stderr, flush=True)


def spawn_times(url: str, token: str, users: list[str]) -> list[float]:
    """Each user's server started twice, timed to ready the second time (the first makes
    what a new user needs once: an account, a workspace, service credentials)."""
    api = requests.Session()
    api.headers["Authorization"] = f"token {token}"

    def spawn(user: str) -> float:
        start = time.monotonic()
        r = api.post(f"{url}/hub/api/users/{user}/server", json={})
        assert r.status_code in (201, 202), r.text
        while not (api.get(f"{url}/hub/api/users/{user}").json()["servers"].get("") or {}).get(
            "ready"
        ):
            assert time.monotonic() - start < 180, f"{user} never became ready"
            time.sleep(0.05)
        took = time.monotonic() - start
        api.delete(f"{url}/hub/api/users/{user}/server")
        while api.get(f"{url}/hub/api/users/{user}").json()["servers"]:
            time.sleep(0.1)
        return took

    times = []
    for user in users:
        api.post(f"{url}/hub/api/users/{user}")  # made if missing
        spawn(user)
        times.append(spawn(user))
    return times


VANILLA = """
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = {port}
c.JupyterHub.hub_ip = {hub_ip!r}
c.JupyterHub.hub_port = {port} + 1
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{port_api}"
c.ConfigurableHTTPProxy.command = [{proxy!r}]
c.JupyterHub.db_url = "sqlite:///{folder}/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = "{folder}/cookie_secret"
c.JupyterHub.authenticator_class = "dummy"
c.Authenticator.allow_all = True
c.JupyterHub.services = [{{"name": "bench", "api_token": {token!r}}}]
c.JupyterHub.load_roles = [
    {{"name": "bench", "scopes": ["admin:users", "admin:servers"], "services": ["bench"]}}
]
{spawner}
"""

VANILLA_DOCKER = """
c.JupyterHub.spawner_class = "docker"
c.DockerSpawner.image = {image!r}
c.DockerSpawner.pull_policy = "never"
c.DockerSpawner.network_name = {network!r}
c.DockerSpawner.use_internal_ip = True
c.DockerSpawner.remove = True
c.DockerSpawner.cmd = ["jupyterhub-singleuser"]
"""

VANILLA_LOCAL = """
from jupyterhub.spawner import LocalProcessSpawner


class AsTheHub(LocalProcessSpawner):
    # every server as the hub's own account: the bench users have no system accounts
    def make_preexec_fn(self, name):
        return None

    def user_env(self, env):
        env["HOME"] = "{folder}/work"
        return env


c.JupyterHub.spawner_class = AsTheHub
c.Spawner.cmd = [{singleuser!r}]
c.Spawner.args = ["--allow-root"]
c.Spawner.notebook_dir = "{folder}/work"
"""


def vanilla(profile: str, work: Path, network: str, gateway: str) -> list[float]:
    folder = work / f"vanilla-{profile}"
    (folder / "work").mkdir(parents=True)
    port = free_port_block()
    token = secrets.token_hex(16)
    proxy = str(ROOT / "node_modules" / ".bin" / "configurable-http-proxy")
    spawner = (
        VANILLA_DOCKER.format(image=IMAGE, network=network)
        if profile == "docker"
        else VANILLA_LOCAL.format(
            singleuser=str(Path(sys.executable).parent / "jupyterhub-singleuser"), folder=folder
        )
    )
    config = folder / "jupyterhub_config.py"
    config.write_text(
        VANILLA.format(
            port=port,
            port_api=port + 2,
            hub_ip=gateway if profile == "docker" else "127.0.0.1",
            proxy=proxy,
            folder=folder,
            token=token,
            spawner=spawner,
        )
    )
    log = open(folder / "hub.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyterhub", "-f", str(config)],
        cwd=folder,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{url}/hub/api/", timeout=2).ok:
                    break
            except requests.RequestException:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, folder / "hub.log"
            time.sleep(0.2)
        return spawn_times(url, token, [f"v{i}" for i in range(SPAWNS + 1)])[1:]
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(60)
        log.close()


def dtaas(profile: str, work: Path, network: str) -> list[float]:
    data = work / f"dtaas-{profile}" / "data"
    data.mkdir(parents=True)
    env = {"DTAAS_PROFILE": profile, "DTAAS_IDLE_TIMEOUT": "0"}
    if profile == "docker":
        env |= {"DTAAS_DOCKER_NETWORK": network, "DTAAS_DOCKER_SUBNET": SUBNET}
    hub = Hub(data, env=env).start(timeout=120)
    try:
        admin = hub.login("admin", ADMIN_PASSWORD)
        token = hub.token(admin, "admin")
        return spawn_times(hub.url, token, [f"d{i}" for i in range(SPAWNS + 1)])[1:]
    finally:
        hub.stop()


def docker_network(name: str) -> str:
    subprocess.run(["docker", "network", "rm", name], capture_output=True)
    subprocess.run(
        ["docker", "network", "create", "--subnet", SUBNET, name], check=True, capture_output=True
    )
    return SUBNET.rsplit(".", 1)[0] + ".1"


def main(profiles: list[str]) -> None:
    work = Path(tempfile.mkdtemp(prefix="dtaas-bench-spawn-", dir="/tmp"))
    traversable(work)
    network = f"dtaas-bench-{secrets.token_hex(3)}"
    out = {}
    try:
        for profile in profiles:
            gateway = docker_network(network) if profile == "docker" else "127.0.0.1"
            v = vanilla(profile, work, network, gateway)
            if profile == "docker":  # the DTaaS hub makes its own network of that name
                subprocess.run(["docker", "network", "rm", network], capture_output=True)
            d = dtaas(profile, work, network)
            say(profile, "vanilla", [round(t, 2) for t in v], "dtaas", [round(t, 2) for t in d])
            vs, ds = statistics.median(v), statistics.median(d)
            out[profile] = {
                "vanilla_s": round(vs, 2),
                "dtaas_s": round(ds, 2),
                "ratio": round(ds / vs, 2),
            }
    except BaseException:
        say(f"kept {work} to read")
        raise
    else:
        shutil.rmtree(work, ignore_errors=True)
    finally:
        subprocess.run(["docker", "network", "rm", network], capture_output=True)
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1:] or ["docker", "local"])
