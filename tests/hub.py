"""A real JupyterHub started as a user would start it, with our jupyterhub_config.py."""

from __future__ import annotations

import contextlib
import os
import random
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import requests

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "test-password-123"
ADMIN_PASSWORD = "admin-password-0123456789abcdefghij"
CURATOR = "curator"  # holds the dtaas-curator role on every test hub


def _free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port_block(size: int = 6) -> int:
    """A base port whose ``size`` consecutive ports are all free.

    Below Linux's ephemeral range (32768 and up), where every outgoing connection and
    every single-user server (bound to port 0) takes its port meanwhile.
    """
    for _ in range(200):
        base = random.randrange(20000, 32760)
        if all(_free(base + i) for i in range(size)):
            return base
    raise RuntimeError("no free block of ports")


def processes_of(marker: str | Path) -> list[int]:
    """Pids of the processes whose environment or command line mentions ``marker``.

    Every process of a platform carries its data folder: the hub and the proxy in
    ``DTAAS_DATA_DIR``, the library too, servers and kernels in ``DTAAS_WORKSPACE``.
    """
    # the folder itself or below it, never a sibling that shares the prefix
    needles = [str(marker).encode() + end for end in (b"/", b"\0")]
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as f:
                env = f.read()
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmd = f.read()
            with open(f"/proc/{entry}/stat", "rb") as f:
                zombie = f.read().rsplit(b")", 1)[-1].split()[0] == b"Z"
        except OSError:
            continue
        if not zombie and any(n in env + b"\0" or n in cmd for n in needles):
            found.append(int(entry))
    return found


def end_processes(marker: str | Path, grace: float = 5) -> list[int]:
    """SIGTERM, then SIGKILL, every process of ``marker``; returns those that were alive."""
    alive = processes_of(marker)
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in processes_of(marker):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
        deadline = time.monotonic() + grace
        while processes_of(marker) and time.monotonic() < deadline:
            time.sleep(0.1)
    return alive


def traversable(folder: Path) -> None:
    """Let workspace accounts pass through ``folder`` and its parents (pytest makes them 0700)."""
    for f in [*folder.parents, folder]:
        mode = f.stat().st_mode
        if not mode & 0o001 and f.stat().st_uid == os.geteuid():
            f.chmod(mode | 0o111)


class Hub:
    """One hub process with its data folder; ``url`` is the public proxy URL."""

    def __init__(
        self,
        data_dir: Path,
        port: int | None = None,
        env: dict | None = None,
        user: str | None = None,
    ):
        self.data_dir = data_dir
        self.auto_port = port is None
        self.port = port or free_port_block()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = data_dir.parent / f"hub-{self.port}.log"
        self.extra_env = env or {}
        self.user = user  # a system account to run the hub as, instead of ours
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> Hub:
        """Start the hub; a start that fails leaves no process behind. A port taken
        meanwhile by someone else is replaced by another, when the port was ours to pick."""
        for attempt in range(3):
            try:
                return self._start_once(timeout)
            except RuntimeError:
                taken = "address already in use" in self.log_tail(400).lower()
                self.stop()
                if not (taken and self.auto_port) or attempt == 2:
                    raise
                self.port = free_port_block()
                self.url = f"http://127.0.0.1:{self.port}"
                self.log_path = self.data_dir.parent / f"hub-{self.port}.log"
        raise AssertionError("unreachable")

    def _start_once(self, timeout: float) -> Hub:
        # the hub makes its data folder itself (owned by whoever runs it)
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        traversable(self.data_dir.parent)
        env = {
            **os.environ,
            "DTAAS_DATA_DIR": str(self.data_dir),
            "DTAAS_PORT": str(self.port),
            "DTAAS_PASSWORD": PASSWORD,
            "DTAAS_ADMIN_PASSWORD": ADMIN_PASSWORD,
            "DTAAS_CURATORS": CURATOR,
            **self.extra_env,
        }
        env["PATH"] = f"{Path(sys.executable).parent}:{env.get('PATH', '')}"
        if self.user:
            env["HOME"] = str(self.data_dir.parent)
        self.log_file = open(self.log_path, "wb")  # noqa: SIM115 (lives as long as the hub)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "jupyterhub", "-f", str(ROOT / "jupyterhub_config.py")],
            cwd=self.data_dir.parent,
            env=env,
            stdout=self.log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            **({"user": self.user, "group": self.user, "extra_groups": []} if self.user else {}),
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"hub exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                if requests.get(f"{self.url}/hub/api/", timeout=2).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"hub did not answer within {timeout}s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 60) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        """Stop the hub as its operator would, then anything of it still alive."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        left = end_processes(self.data_dir)
        if self.proc is not None:
            self.log_file.close()
        if left:
            print(f"hub {self.url}: ended {len(left)} leftover processes", file=sys.stderr)

    def kill(self) -> None:
        """SIGKILL the hub alone, as a crash would; its children are left to themselves."""
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait(10)

    # --- acting as a user -------------------------------------------------

    def login(self, name: str, password: str = PASSWORD) -> requests.Session:
        """A browser-like session logged in through the login form."""
        s = requests.Session()
        s.get(f"{self.url}/hub/login")
        r = s.post(
            f"{self.url}/hub/login",
            data={"username": name, "password": password, "_xsrf": s.cookies.get("_xsrf", "")},
            allow_redirects=False,
        )
        if r.status_code != 302:
            raise AssertionError(f"login of {name} answered {r.status_code}")
        return s

    def token(self, session: requests.Session, name: str) -> str:
        """An API token of the user, made with their session as the token page does."""
        r = session.post(
            f"{self.url}/hub/api/users/{name}/tokens",
            json={"note": "tests"},
            headers={"X-XSRFToken": session.cookies.get("_xsrf", "")},
        )
        r.raise_for_status()
        return r.json()["token"]

    def api(self, token: str) -> requests.Session:
        s = requests.Session()
        s.headers["Authorization"] = f"token {token}"
        return s

    def spawn(self, name: str, token: str, server: str = "", timeout: float = 90) -> str:
        """Start the user's server through the hub REST API; returns its URL."""
        api = self.api(token)
        path = f"{self.url}/hub/api/users/{name}/servers/{server}"
        r = api.post(path, json={})
        if r.status_code not in (201, 202, 400):
            raise AssertionError(f"spawn answered {r.status_code}: {r.text}")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            model = api.get(f"{self.url}/hub/api/users/{name}").json()
            srv = model.get("servers", {}).get(server)
            if srv and srv.get("ready"):
                return self.url + urlparse(srv["url"]).path
            time.sleep(0.3)
        raise AssertionError(f"server of {name} not ready:\n{self.log_tail()}")
