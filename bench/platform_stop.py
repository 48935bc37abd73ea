"""How long Ctrl-C takes to stop the whole platform, idle and busy.

Starts the real platform twice on loopback. Idle: the hub, its proxy and library,
and one user's server. Busy: the same while the library builds its index of a large
library (``--assets`` files) and a run is executing in the user's server. Each time,
sends SIGINT to the hub's process group, as a terminal's Ctrl-C does, and measures
until no process of the platform is left.

Prints one JSON line: idle_stop_s, busy_stop_s. Diagnostics go to stderr.

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

from tests.dts import write_dt  # noqa: E402
from tests.hub import Hub, processes_of, traversable  # noqa: E402


def stop_time(hub: Hub, limit: float = 120) -> float:
    start = time.monotonic()
    os.killpg(hub.proc.pid, signal.SIGINT)
    while processes_of(hub.data_dir) and time.monotonic() - start < limit:
        time.sleep(0.05)
    elapsed = time.monotonic() - start
    hub.stop()  # whatever is left (nothing, when the platform stops as it should)
    return round(elapsed, 2)


def platform(root: Path, assets: int, busy: bool) -> float:
    data = root / ("busy" if busy else "idle") / "data"
    bulk = data / "common" / "data"
    bulk.mkdir(parents=True)
    for i in range(assets if busy else 0):
        (bulk / f"bulk-{i:05d}.csv").write_text("t,x\n0,1\n")
    hub = Hub(data).start()
    try:
        token = hub.token(hub.login("alice"), "alice")
        server = hub.spawn("alice", token)
        if busy:
            write_dt(data / "users" / "alice", "slow", ["import time", "time.sleep(600)"])
            api = hub.api(token)
            run = api.post(f"{server}dtaas/api/runs", json={"dt": "slow"}).json()
            deadline = time.monotonic() + 60
            while api.get(f"{server}dtaas/api/runs/{run['id']}").json()["status"] != "running":
                if time.monotonic() > deadline:
                    raise RuntimeError("the run did not start")
                time.sleep(0.2)
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
    print(json.dumps({"idle_stop_s": idle, "busy_stop_s": busy}), flush=True)


if __name__ == "__main__":
    main()
