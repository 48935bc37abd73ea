"""Library search under load through the public proxy, as the hub serves it.

Starts the real platform (``jupyterhub -f jupyterhub_config.py``, the real proxy and
library service) on loopback with a library of a few hundred assets, logs in a handful
of users, then runs ``--clients`` concurrent clients, each sending ``--requests``
searches (varied text, type and scope filters) through the public proxy with its user's
API token, over keep-alive connections. Bounded: clients x requests requests in all,
each with a 10 s timeout, and the run stops by itself.

Prints one JSON line: rps, p50_ms, p99_ms, errors (non-200 answers and failures).
Diagnostics go to stderr.

    python bench/library_load.py --clients 50 --requests 20
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.hub import Hub, traversable  # noqa: E402

WORDS = [
    "pump",
    "valve",
    "motor",
    "sensor",
    "thermal",
    "battery",
    "robot",
    "bridge",
    "wind",
    "solar",
    "grid",
    "tank",
]
TYPES = ["digital_twins", "functions", "models", "tools", "data"]


def seed(common: Path, assets: int) -> None:
    """``assets`` small assets in the common library, with manifests that have words."""
    rng = random.Random(7)
    for i in range(assets):
        kind = TYPES[i % len(TYPES)]
        if kind == "digital_twins":
            folder = common / kind / f"twin-{i:04d}"
            folder.mkdir(parents=True, exist_ok=True)
            words = " ".join(rng.sample(WORDS, 3))
            (folder / "dt.yaml").write_text(
                f"schema_version: 1\nname: twin-{i:04d}\ndescription: {words}\nlifecycle: {{}}\n"
            )
        else:
            folder = common / kind / f"{kind}-{i:04d}"
            folder.mkdir(parents=True, exist_ok=True)
            words = " ".join(rng.sample(WORDS, 3))
            (folder / "asset.yaml").write_text(f"title: {kind} {i}\ndescription: {words}\n")


async def client(
    url: str, token: str, requests: int, rng: random.Random, latencies: list[float]
) -> int:
    errors = 0
    headers = {"Authorization": f"token {token}"}
    async with httpx.AsyncClient(headers=headers, timeout=10) as http:
        for _ in range(requests):
            params: dict[str, str] = {"limit": "20"}
            if rng.random() < 0.7:
                params["q"] = rng.choice(WORDS)
            if rng.random() < 0.3:
                params["type"] = rng.choice(TYPES)
            if rng.random() < 0.2:
                params["scope"] = "common"
            start = time.perf_counter()
            try:
                r = await http.get(f"{url}/services/library/api/search", params=params)
                ok = r.status_code == 200
            except httpx.HTTPError:
                ok = False
            latencies.append(time.perf_counter() - start)
            errors += not ok
    return errors


async def load(url: str, tokens: list[str], clients: int, requests: int) -> dict:
    latencies: list[float] = []
    rngs = [random.Random(i) for i in range(clients)]
    start = time.perf_counter()
    errors = await asyncio.gather(
        *(
            client(url, tokens[i % len(tokens)], requests, rngs[i], latencies)
            for i in range(clients)
        )
    )
    elapsed = time.perf_counter() - start
    ms = sorted(x * 1000 for x in latencies)
    return {
        "rps": round(len(ms) / elapsed, 1),
        "p50_ms": round(statistics.median(ms), 2),
        "p99_ms": round(ms[min(len(ms) - 1, int(len(ms) * 0.99))], 2),
        "errors": sum(errors),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--assets", type=int, default=500)
    parser.add_argument("--users", type=int, default=5)
    parser.add_argument(
        "--direct", action="store_true", help="to the library's own port, not the proxy"
    )
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="dtaas-bench-"))
    traversable(root)
    seed(root / "data" / "common", args.assets)
    hub = Hub(root / "data").start()
    try:
        tokens = []
        for i in range(args.users):
            name = f"load{i}"
            tokens.append(hub.token(hub.login(name), name))
        # wait for the index to hold the library, then warm every user's auth cache
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            r = httpx.get(
                f"{hub.url}/services/library/api/search",
                params={"limit": 1},
                headers={"Authorization": f"token {tokens[0]}"},
            )
            if r.status_code == 200 and r.json().get("items"):
                break
            time.sleep(0.5)
        asyncio.run(load(hub.url, tokens, len(tokens), 2))
        url = f"http://127.0.0.1:{hub.port + 3}" if args.direct else hub.url
        result = asyncio.run(load(url, tokens, args.clients, args.requests))
        print(json.dumps(result), flush=True)
    finally:
        hub.stop()


if __name__ == "__main__":
    main()
