"""How long `make run` takes to serve the login page: from a fresh clone, then again.

Prints one JSON line: {"first_start_s": ..., "second_start_s": ...}. The first
figure includes every install that `make run` does on this machine (package
caches warm as they are here); the second is a restart of the same clone.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.hub import free_port_block  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def time_to_login_page(clone: Path, port: int, timeout: float = 600) -> float:
    env = {**os.environ, "DTAAS_PORT": str(port)}
    start = time.monotonic()
    log = open(clone / f"run-{port}.log", "ab")  # noqa: SIM115
    proc = subprocess.Popen(
        ["make", "run"],
        cwd=clone,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        while time.monotonic() - start < timeout:
            if proc.poll() is not None:
                raise SystemExit(f"make run exited with {proc.returncode}; see {log.name}")
            try:
                if requests.get(f"http://127.0.0.1:{port}/hub/login", timeout=2).ok:
                    return time.monotonic() - start
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise SystemExit(f"no login page after {timeout}s")
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(60)
        log.close()


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="dtaas-bench-"))
    clone = work / "clone"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    try:
        port = free_port_block()
        first = time_to_login_page(clone, port)
        second = time_to_login_page(clone, port)
        print(json.dumps({"first_start_s": round(first, 1), "second_start_s": round(second, 1)}))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
