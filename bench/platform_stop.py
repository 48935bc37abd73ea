"""How long Ctrl-C takes to stop the whole platform, idle and busy.

Starts the real platform twice on loopback. Idle: the hub, its proxy and library,
and one user's server. Busy: the same while the library builds its index of a large
library (``--assets`` described models), a run executes in the user's server and a
second server is spawning. Each time, sends SIGINT to the hub's process group, as a
terminal's Ctrl-C does, and measures until no process of the platform is left.

Prints one JSON line: idle_stop_s, busy_stop_s, and server_sigterm_s (SIGTERM to one
single-user server with a run in flight, until it exits). Diagnostics go to stderr.

    python bench/platform_stop.py --assets 30000
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.dts import write_bulk_models, write_dt  # noqa: E402
from tests.hub import Hub, processes_of, traversable  # noqa: E402


def stop_time(hub: Hub, limit: float = 120) -> float:
    start = time.monotonic()
    os.killpg(hub.proc.pid, signal.SIGINT)
    while processes_of(hub.data_dir) and time.monotonic() - start < limit:
        time.sleep(0.05)
    elapsed = time.monotonic() - start
    hub.stop()  # whatever is left (nothing, when the platform stops as it should)
    return round(elapsed, 2)


def server_sigterm(root: Path) -> float:
    """Seconds from SIGTERM to a single-user server (with a run in flight) to its exit."""
    hub = Hub(root / "server" / "data").start()
    try:
        token = hub.token(hub.login("alice"), "alice")
        server = hub.spawn("alice", token)
        start_slow_run(hub, token, server)
        pid = next(
            p
            for p in processes_of(hub.data_dir)
            if b"singleuser" in Path(f"/proc/{p}/cmdline").read_bytes()
        )
        start = time.monotonic()
        os.kill(pid, signal.SIGTERM)
        # exited: gone, or a zombie the hub has not reaped yet (it polls every 30 s)
        while pid in processes_of(hub.data_dir) and time.monotonic() - start < 60:
            time.sleep(0.05)
        return round(time.monotonic() - start, 2)
    finally:
        hub.stop()


def start_slow_run(hub: Hub, token: str, server: str) -> None:
    write_dt(hub.data_dir / "users" / "alice", "slow", ["import time", "time.sleep(600)"])
    api = hub.api(token)
    run = api.post(f"{server}dtaas/api/runs", json={"dt": "slow"}).json()
    deadline = time.monotonic() + 60
    while api.get(f"{server}dtaas/api/runs/{run['id']}").json()["status"] != "running":
        if time.monotonic() > deadline:
            raise RuntimeError("the run did not start")
        time.sleep(0.2)


def platform(root: Path, assets: int, busy: bool) -> float:
    data = root / ("busy" if busy else "idle") / "data"
    data.mkdir(parents=True)
    write_bulk_models(data / "common", assets if busy else 0)
    hub = Hub(data).start()
    try:
        token = hub.token(hub.login("alice"), "alice")
        if busy:  # the index is still being built, a spawn and a run are in flight
            server = hub.spawn("alice", token)
            start_slow_run(hub, token, server)
            hub.api(token).post(f"{hub.url}/hub/api/users/alice/servers/second", json={})
        else:
            hub.spawn("alice", token)
        return stop_time(hub)
    finally:
        hub.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--assets", type=int, default=30000)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="dtaas-bench-"))
    traversable(root)
    idle = platform(root, args.assets, busy=False)
    busy = platform(root, args.assets, busy=True)
    sigterm = server_sigterm(root)
    print(
        json.dumps({"idle_stop_s": idle, "busy_stop_s": busy, "server_sigterm_s": sigterm}),
        flush=True,
    )


if __name__ == "__main__":
    main()
