"""Library search under load through the public proxy, as the hub serves it.

Starts the real platform (``jupyterhub -f jupyterhub_config.py``, the real proxy and
library service) on loopback with a library of a few hundred assets, logs in a handful
of users, then runs ``--clients`` concurrent clients, each sending ``--requests``
searches (varied text, type and scope filters) through the public proxy with its user's
API token, over one keep-alive connection per client, opened before its first
request is timed. Bounded: clients x requests requests in all,
each with a 10 s timeout, and the run stops by itself.

Prints one JSON line: rps, p50_ms, p99_ms, errors (non-200 answers and failures).
Diagnostics go to stderr.

    python bench/library_load.py --clients 50 --requests 20
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.hub import Hub, processes_of, traversable  # noqa: E402

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
TIMEOUT_S = 10
PATH_OVERRIDE = os.environ.get("BENCH_PATH", "")


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


class Connection:
    """One keep-alive HTTP/1.1 connection on asyncio streams.

    A load generator must cost far less than what it measures: on this 2-core machine
    httpx tops out near 350 requests/s against a trivial server, so the clients speak
    the little HTTP they need themselves (GET, Content-Length or chunked bodies).
    """

    def __init__(self, host: str, port: int, token: str):
        self.host, self.port, self.token = host, port, token
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def connect(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def get(self, path: str) -> int:
        if self.writer is None:
            await self.connect()
        self.writer.write(
            f"GET {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            f"Authorization: token {self.token}\r\nAccept: application/json\r\n\r\n".encode()
        )
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {k.lower(): v.strip() for k, _, v in (h.partition(":") for h in lines[1:] if h)}
        if "content-length" in headers:
            await self.reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding") == "chunked":
            while size := int((await self.reader.readuntil(b"\r\n")).strip(), 16):
                await self.reader.readexactly(size + 2)
            await self.reader.readuntil(b"\r\n")
        if headers.get("connection", "").lower() == "close":
            self.close()
        return status

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


def search_path(rng: random.Random) -> str:
    params: dict[str, str] = {"limit": "20"}
    if rng.random() < 0.7:
        params["q"] = rng.choice(WORDS)
    if rng.random() < 0.3:
        params["type"] = rng.choice(TYPES)
    if rng.random() < 0.2:
        params["scope"] = "common"
    if PATH_OVERRIDE:
        return PATH_OVERRIDE
    return f"/services/library/api/search?{urlencode(params)}"


async def client(
    url: str, token: str, requests: int, rng: random.Random, latencies: list[float]
) -> int:
    parts = urlsplit(url)
    conn = Connection(parts.hostname or "127.0.0.1", parts.port or 80, token)
    errors = 0
    try:
        await conn.connect()  # as a browser's open connection: its setup is not timed
        for _ in range(requests):
            path = search_path(rng)
            start = time.perf_counter()
            try:
                ok = await asyncio.wait_for(conn.get(path), TIMEOUT_S) == 200
            except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, ValueError):
                ok = False
                conn.close()
            latencies.append(time.perf_counter() - start)
            errors += not ok
    finally:
        conn.close()
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


def cpu_seconds(hub: Hub) -> dict[str, float]:
    """User+system CPU seconds so far of each platform process, and of this client."""
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    for pid in [*processes_of(hub.data_dir), os.getpid()]:
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        name = (
            "client" if pid == os.getpid() else os.path.basename(cmd[min(1, len(cmd) - 1)]).decode()
        )
        if b"-m" in cmd:
            name = cmd[cmd.index(b"-m") + 1].decode()
        out[name] = out.get(name, 0) + (int(fields[11]) + int(fields[12])) / tick
    return out


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
        before = cpu_seconds(hub)
        result = asyncio.run(load(url, tokens, args.clients, args.requests))
        after = cpu_seconds(hub)
        used = {k: round(after[k] - before.get(k, 0), 2) for k in after}
        print(f"cpu seconds during the load: {used}", file=sys.stderr)
        print(json.dumps(result), flush=True)
    finally:
        hub.stop()


if __name__ == "__main__":
    main()
