"""Fixtures shared by the integration and browser tests: one real hub per session."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

from tests.hub import Hub, end_processes

ARTIFACTS = Path(__file__).parent / "artifacts"


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """Temporary folders outside pytest's own 0700 folder: workspace accounts must pass
    through their parents, and pytest resets that folder at every session's start."""
    if not config.option.basetemp:
        config.option.basetemp = tempfile.mkdtemp(prefix="dtaas-pytest-", dir="/tmp")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """The tests end every process they started: a survivor fails the session."""
    factory = getattr(session.config, "_tmp_path_factory", None)
    if factory is None or factory._basetemp is None:
        return
    left = end_processes(factory.getbasetemp())
    if left:
        session.config.get_terminal_writer().line(
            f"FAILED: {len(left)} processes started by the tests were still alive: {left}",
            red=True,
        )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    base = factory.getbasetemp()
    if session.exitstatus == 0 and base.name.startswith("dtaas-pytest-"):
        shutil.rmtree(base, ignore_errors=True)  # kept when something failed, to read


@pytest.fixture(scope="session")
def hub(tmp_path_factory) -> Hub:
    data = tmp_path_factory.mktemp("platform") / "data"
    data.mkdir()
    h = Hub(data).start()
    yield h
    h.stop()


@pytest.fixture(scope="session")
def alice(hub: Hub) -> dict:
    """User alice, logged in, with a token and a running server."""
    return _user(hub, "alice")


@pytest.fixture(scope="session")
def bob(hub: Hub) -> dict:
    return _user(hub, "bob")


def _user(hub: Hub, name: str) -> dict:
    session = hub.login(name)
    token = hub.token(session, name)
    server = hub.spawn(name, token)
    return {
        "name": name,
        "session": session,
        "token": token,
        "server": server,
        "api": hub.api(token),
        "home": hub.data_dir / "users" / name,
    }


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
