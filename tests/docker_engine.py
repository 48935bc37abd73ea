"""A hub on the Docker profile, for the tests that need one: the engine and the
workspace image checked, a network of the test's own, and everything the hub made on
the engine removed after it."""

from __future__ import annotations

import contextlib
import json
import random
import subprocess
from pathlib import Path

import pytest

from spawner.docker import volume_name
from tests.hub import Hub

IMAGE = "dtaas-workspace:latest"


def docker(*args: str) -> str:
    done = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def container_of(user: str, server: str = "") -> dict:
    """The container of a user's server (DockerSpawner escapes a '-' in server names)."""
    name = f"dtaas-{user}" + (f"--{server.replace('-', '-2d')}" if server else "")
    return json.loads(docker("inspect", name))[0]


def require_engine() -> None:
    """Fail (never skip): the Docker profile is part of what `make test` covers."""
    if subprocess.run(["docker", "info"], capture_output=True).returncode != 0:
        pytest.fail("no Docker engine answers: `make docker-engine` starts one")
    if subprocess.run(["docker", "image", "inspect", IMAGE], capture_output=True).returncode:
        pytest.fail(f"{IMAGE} is not built: `make images` builds it")


@contextlib.contextmanager
def docker_platform(data: Path, users: tuple[str, ...], env: dict[str, str] | None = None, **kw):
    """A started hub whose servers are containers on a network of its own."""
    require_engine()
    network = f"dtaas-test-{random.randrange(1 << 30):x}"
    subnet = f"172.31.{random.randrange(100, 200)}.0/24"
    hub = Hub(
        data,
        env={
            "DTAAS_PROFILE": "docker",
            "DTAAS_DOCKER_NETWORK": network,
            "DTAAS_DOCKER_SUBNET": subnet,
            **(env or {}),
        },
        **kw,
    )
    try:
        hub.start(timeout=120)
        yield hub
    finally:
        hub.stop()
        remove(network, data, users)


def remove(network: str, data: Path, users: tuple[str, ...]) -> None:
    """The hub's containers, network and volumes, and no other platform's."""
    found = subprocess.run(
        ["docker", "ps", "-aq", "--filter", f"network={network}"], capture_output=True, text=True
    )
    for container in found.stdout.split():
        subprocess.run(["docker", "rm", "-f", container], capture_output=True)
    subprocess.run(["docker", "network", "rm", network], capture_output=True)
    for user in users:
        name = volume_name(user, str(data))
        subprocess.run(["docker", "volume", "rm", "-f", name], capture_output=True)
