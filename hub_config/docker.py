"""``DTAAS_PROFILE=docker``: DockerSpawner, one container per server from the workspace
image, on a Docker network of the platform's own.

The hub, the library, the broker and the store listen on that network's gateway (an
address of this machine), which the containers reach and nothing outside does; the
public port stays where ``DTAAS_IP`` puts it. Run servers are containers too: a run that
asks for a compute profile gets a named server with that profile's limits.
"""

from __future__ import annotations

import ipaddress
import os

from .errors import SettingsError
from .profiles import DEFAULT_PROFILES
from .roles import SERVER_TOKEN_SCOPES
from .settings import Settings

DEFAULT_NETWORK = "dtaas"
DEFAULT_SUBNET = "172.31.240.0/24"
DEFAULT_IMAGE = "dtaas-workspace:latest"
ENGINE_HINT = "start it with `sudo dockerd &` (Debian's docker.io) or `sudo systemctl start docker`"


def engine():
    """A client of the Docker engine, or a one-line error saying how to start one."""
    import docker

    try:
        client = docker.from_env(timeout=10)
        client.ping()
    except Exception as e:  # noqa: BLE001 (any failure to reach the engine reads the same)
        where = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
        raise SettingsError(
            f"DTAAS_PROFILE=docker: no Docker engine answers at {where} ({type(e).__name__}); "
            + ENGINE_HINT
        ) from None
    return client


def network_gateway(client, name: str, subnet: str, egress: bool = False) -> str:
    """The platform's network, made if missing; the address of this machine on it.

    Internal unless egress is asked for: the containers reach this machine (the hub, the
    library, the services) and each other, nothing beyond."""
    import docker

    try:
        net = ipaddress.ip_network(subnet)
    except ValueError:
        raise SettingsError(f"DTAAS_DOCKER_SUBNET={subnet!r} is not a network") from None
    gateway = str(next(net.hosts()))
    try:
        found = client.networks.get(name)
    except docker.errors.NotFound:
        ipam = docker.types.IPAMConfig(
            pool_configs=[docker.types.IPAMPool(subnet=str(net), gateway=gateway)]
        )
        found = client.networks.create(
            name, driver="bridge", ipam=ipam, internal=not egress, labels={"dtaas": "1"}
        )
        found.reload()
    configs = (found.attrs.get("IPAM") or {}).get("Config") or []
    if not configs or not configs[0].get("Gateway"):
        raise SettingsError(f"DTAAS_DOCKER_NETWORK={name!r} has no gateway address")
    return configs[0]["Gateway"]


def check_image(client, image: str) -> None:
    import docker

    try:
        client.images.get(image)
    except docker.errors.ImageNotFound:
        raise SettingsError(
            f"DTAAS_WORKSPACE_IMAGE={image!r} is not built: run `make images`"
        ) from None


def prepare_docker(s: Settings, env: dict[str, str] | None = None) -> str:
    """Before the services are made: the engine, the image and the network; every
    service then listens on the network's gateway. Returns the gateway address."""
    env = os.environ if env is None else env
    if os.geteuid() != 0:
        raise SettingsError(
            "DTAAS_PROFILE=docker needs the hub to run as root (it gives each user's "
            "containers the user's own system account)"
        )
    client = engine()
    try:
        check_image(client, env.get("DTAAS_WORKSPACE_IMAGE") or DEFAULT_IMAGE)
        gateway = network_gateway(
            client,
            env.get("DTAAS_DOCKER_NETWORK") or DEFAULT_NETWORK,
            env.get("DTAAS_DOCKER_SUBNET") or DEFAULT_SUBNET,
            egress=(env.get("DTAAS_DOCKER_EGRESS") or "").lower() in ("1", "yes", "true"),
        )
    finally:
        client.close()
    subnet = env.get("DTAAS_DOCKER_SUBNET") or DEFAULT_SUBNET
    # the broker and the store, reached by the containers on the gateway
    os.environ.setdefault("DTAAS_MQTT_BIND", gateway)
    os.environ.setdefault("DTAAS_TIMESERIES_LISTEN", gateway)
    os.environ.setdefault("DTAAS_TIMESERIES_CLIENTS", subnet)
    os.environ.setdefault("DTAAS_TIMESERIES_HOST", gateway)
    return gateway


def configure_docker(c, s: Settings, gateway: str, env: dict[str, str] | None = None) -> None:
    env = os.environ if env is None else env
    c.JupyterHub.spawner_class = "spawner.docker.DockerWorkspaceSpawner"
    d = c.DockerWorkspaceSpawner
    d.image = env.get("DTAAS_WORKSPACE_IMAGE") or DEFAULT_IMAGE
    d.pull_policy = "never"  # images are built here, never pulled
    d.network_name = env.get("DTAAS_DOCKER_NETWORK") or DEFAULT_NETWORK
    d.use_internal_ip = True
    d.remove = True
    d.prefix = "dtaas"
    d.data_dir = str(s.data_dir)
    d.library_url = f"http://{gateway}:{s.library_port}/services/library/"
    d.proxy_url = f"http://{gateway}:{s.port}"
    d.profiles = DEFAULT_PROFILES
    d.cmd = ["jupyterhub-singleuser"]
    d.default_url = "/lab"
    d.server_token_scopes = SERVER_TOKEN_SCOPES
    d.start_timeout = 180
    d.http_timeout = 120
