"""How fast the library's search index is on a large synthetic library.

Builds N assets over 50 users, 5 groups and the common library, indexes them
(``build_s``), then serves ``LibraryIndex`` behind a real HTTP server on loopback: a
minimal tornado app in a subprocess answering ``GET /search`` and ``GET /list`` by
calling the index directly for one fixed user (their own library, one group, common).
JupyterHub auth and the real REST handlers are left out, so the figures measure the
index plus HTTP. The service runs the index's watcher, as the library service would.

Prints one JSON line: build_s, p50_ms, p99_ms (about 1000 varied searches), refresh_s
(a file changed until a search finds it, worst of three changes), list_p50_ms (pages of
a folder of 10 000 assets), rss_mb (the service's resident memory after the run).
Diagnostics go to stderr.

    python bench/library_search.py --assets 100000
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from asset_library.index import LibraryIndex  # noqa: E402

USERS = [f"user{i:02d}" for i in range(50)]
GROUPS = [f"group{i}" for i in range(5)]
ME = "user07"
VISIBLE = [f"user:{ME}", "group:group2", "common"]
LIST_FOLDER = ("common", "data")
TYPE_WEIGHTS = {"digital_twins": 12, "functions": 20, "models": 18, "tools": 10, "data": 40}
EXTENSIONS = {
    "functions": ".py",
    "models": ".fmu",
    "tools": ".sh",
    "data": ".csv",
    "digital_twins": "",
}
BASE_TEXT = """
thermal battery pack cooling pump valve motor gear bearing rotor stator turbine blade wind
solar inverter grid load flow pressure temperature sensor actuator controller pid kalman
filter observer estimator robot arm joint gripper conveyor crane bridge beam truss fatigue
crack corrosion vibration modal damping spring mass pendulum oscillator heat exchanger
boiler chiller compressor fan duct hvac building room occupancy energy demand forecast
traffic vehicle engine brake tyre suspension chassis drone propeller wing hull ship
propulsion rail track wheel signal network packet latency water tank reservoir dam river
flood soil crop irrigation greenhouse weather climate ocean wave tidal nuclear reactor
coolant fuel combustion emission catalyst chemical reactor mixer distillation column
polymer extrusion casting welding machining milling lathe spindle tool wear quality
inspection camera lidar radar point cloud mesh solver ode pde fem cfd surrogate neural
regression calibration optimisation scheduler maintenance anomaly failure lifetime
"""


def vocabulary(rng: random.Random, size: int = 600) -> list[str]:
    words = list(dict.fromkeys(BASE_TEXT.split()))
    syllables = ["ka", "to", "ri", "mu", "sel", "vor", "an", "tex", "lo", "pra", "qui", "zen"]
    while len(words) < size:
        w = "".join(rng.choice(syllables) for _ in range(rng.randint(2, 4)))
        if w not in words:
            words.append(w)
    return words


class Zipf:
    """Picks items with a 1/rank law: a few common words, many rare ones."""

    def __init__(self, rng: random.Random, items: list[str]):
        self.rng, self.items = rng, items
        self.weights = [1 / (r + 1) for r in range(len(items))]

    def pick(self, k: int = 1) -> list[str]:
        return self.rng.choices(self.items, self.weights, k=k)


def write(path: Path, text: str) -> None:
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def dt_yaml(title: str, words: Zipf, tags: list[str], author: str, refs: list[str]) -> str:
    params = "\n".join(
        f"    {p}: {{type: number, default: 1.0, x-unit: m, description: {p} of the model}}"
        for p in ("a", "b", "c")
    )
    refs_yaml = "".join(f"\n  - {r}" for r in refs) or " []"
    return f"""schema_version: 1
title: {title}
description: {" ".join(words.pick(18))}.
tags: [{", ".join(tags)}]
authors: [{author}]
version: 1.{len(title) % 9}.0
assets:{refs_yaml}
parameters:
  type: object
  properties:
{params}
lifecycle:
  create: {{notebook: lifecycle/create.ipynb, description: prepare}}
  execute: {{notebook: lifecycle/execute.ipynb, description: simulate}}
  analyze: lifecycle/analyze.ipynb
  clean: lifecycle/clean.ipynb
records:
  result: {{description: the main result, x-unit: m}}
outputs: [result.csv]
"""


def readme(title: str, words: Zipf) -> str:
    paras = [" ".join(words.pick(30)) + "." for _ in range(3)]
    return f"# {title}\n\n" + "\n\n".join(paras) + "\n"


def generate(data: Path, n: int, seed: int = 7) -> dict:
    """The synthetic library; returns what the queries draw from."""
    rng = random.Random(seed)
    vocab = vocabulary(rng)
    words = Zipf(rng, vocab)
    tag_list = vocab[:150]
    rng.shuffle(tag_list)
    tags = Zipf(rng, tag_list)
    authors = [f"author{i:02d}" for i in range(80)]
    types = list(TYPE_WEIGHTS)
    n_common, n_groups = n // 5, n // 5
    n_list = min(10_000, n_common // 2)
    scopes: list[tuple[str, Path, int]] = [("common", data / "common", n_common)]
    scopes += [(f"group:{g}", data / "groups" / g, n_groups // len(GROUPS)) for g in GROUPS]
    per_user = (n - n_common - n_groups) // len(USERS)
    scopes += [(f"user:{u}", data / "users" / u, per_user) for u in USERS]
    i = 0
    for scope_key, root, count in scopes:
        for t in types:
            (root / t).mkdir(parents=True, exist_ok=True)
        made: list[str] = []
        for k in range(count):
            i += 1
            if scope_key == "common" and k < n_list:
                t = LIST_FOLDER[1]
            else:
                t = rng.choices(types, [TYPE_WEIGHTS[x] for x in types])[0]
            w1, w2 = words.pick(2)
            name = f"{w1}-{w2}-{i}{EXTENSIONS[t]}"
            title = f"{w1.capitalize()} {w2} {t.rstrip('s').replace('_', ' ')} {i}"
            asset_tags = sorted(set(tags.pick(rng.randint(1, 4))))
            author = rng.choice(authors)
            entry = root / t / name
            if t == "digital_twins":
                refs = [f"mine/{r}" for r in rng.sample(made, min(2, len(made)))]
                refs.append(f"common/functions/{rng.randint(1, n_common)}")
                entry.mkdir()
                text = dt_yaml(title, words, asset_tags, author, refs)
                if rng.random() < 0.005:
                    text = "title: [broken\n"  # a malformed manifest now and then
                write(entry / "dt.yaml", text)
                write(entry / "README.md", readme(title, words))
                (entry / "lifecycle").mkdir()
                write(entry / "lifecycle" / "execute.ipynb", "{}")
            elif rng.random() < 0.3:
                entry.mkdir()
                write(
                    entry / "asset.yaml",
                    f"title: {title}\ndescription: {' '.join(words.pick(12))}.\n"
                    f"tags: [{', '.join(asset_tags)}]\nauthors: [{author}]\nversion: '2'\n",
                )
                if rng.random() < 0.5:
                    write(entry / "README.md", readme(title, words))
                write(entry / f"payload{EXTENSIONS[t] or '.txt'}", "0" * rng.randint(10, 400))
            else:
                write(entry, " ".join(words.pick(rng.randint(3, 40))))
            if t != "digital_twins":
                made.append(f"{t}/{name}")
    return {"vocab": vocab, "tags": tag_list, "authors": authors, "types": types}


# --- the service ---------------------------------------------------------------------------


def serve(data: Path, url: str, port: int, facet_cache: int) -> None:
    """The minimal HTTP front of the index (runs in its own process)."""
    from tornado import web

    index = LibraryIndex(data, url, facet_cache=facet_cache)

    class Search(web.RequestHandler):
        def get(self) -> None:
            arg = self.get_argument
            try:
                result = index.search(
                    VISIBLE,
                    q=arg("q", None),
                    types=self.get_arguments("type"),
                    scope=arg("scope", None),
                    tags=self.get_arguments("tag"),
                    author=arg("author", None),
                    sort=arg("sort", "relevance"),
                    cursor=arg("cursor", None),
                    limit=int(arg("limit", "50")),
                )
            except ValueError as e:
                raise web.HTTPError(400, str(e)) from None
            self.set_header("Content-Type", "application/json")
            self.finish(json.dumps(result))

    class List(web.RequestHandler):
        def get(self) -> None:
            result = index.list_folder(
                self.get_argument("scope"),
                self.get_argument("type"),
                int(self.get_argument("limit", "50")),
                self.get_argument("cursor", None),
            )
            self.set_header("Content-Type", "application/json")
            self.finish(json.dumps(result))

    async def main() -> None:
        app = web.Application([("/search", Search), ("/list", List)])
        app.listen(port, "127.0.0.1")
        watching = asyncio.create_task(index.watch())
        while not index.ready.is_set():
            if watching.done():
                watching.result()
            await asyncio.sleep(0.05)
        print("ready", flush=True)
        await watching

    asyncio.run(main())


class Client:
    def __init__(self, port: int):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def get(self, path: str, params: dict) -> tuple[dict, float]:
        query = urlencode([(k, x) for k, v in params.items() for x in _values(v)])
        start = time.perf_counter()
        self.conn.request("GET", f"{path}?{query}")
        resp = self.conn.getresponse()
        body = resp.read()
        elapsed = (time.perf_counter() - start) * 1000
        if resp.status != 200:
            raise RuntimeError(f"{path} {params}: {resp.status} {body[:200]!r}")
        return json.loads(body), elapsed


def _values(v: object) -> list[str]:
    if v is None:
        return []
    return [str(x) for x in v] if isinstance(v, list) else [str(v)]


def queries(rng: random.Random, pools: dict, n: int) -> list[dict]:
    """A mix of what people type and click: words, prefixes, filters, sorts."""
    words = Zipf(rng, pools["vocab"][:300])
    tags = Zipf(rng, pools["tags"])
    sorts = ["relevance", "relevance", "title", "-modified", "name", "modified"]
    out = []
    for _ in range(n):
        r = rng.random()
        p: dict = {"sort": rng.choice(sorts)}
        if r < 0.3:
            p["q"] = words.pick()[0]
        elif r < 0.45:
            p["q"] = " ".join(words.pick(2))
        elif r < 0.6:
            w = words.pick()[0]
            p["q"] = w[: rng.randint(2, max(2, min(5, len(w))))]
        elif r < 0.7:
            p["type"] = rng.choice(pools["types"])
        elif r < 0.8:
            p["tag"] = tags.pick()[0]
            if rng.random() < 0.5:
                p["q"] = words.pick()[0]
        elif r < 0.85:
            p["author"] = rng.choice(pools["authors"])
        elif r < 0.9:
            p["scope"] = rng.choice(VISIBLE)
            if rng.random() < 0.5:
                p["q"] = words.pick()[0][:4]
        # else: browse everything
        if rng.random() < 0.2:
            p["type"] = rng.choice(pools["types"])
        out.append(p)
    return out


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def measure_searches(client: Client, rng: random.Random, pools: dict, n: int) -> list[float]:
    times: list[float] = []
    for params in queries(rng, pools, n):
        result, ms = client.get("/search", params)
        times.append(ms)
        pages = rng.choice([0, 0, 0, 1, 2])  # some people page on
        while pages and result["next_cursor"] and len(times) < n:
            result, ms = client.get("/search", {**params, "cursor": result["next_cursor"]})
            times.append(ms)
            pages -= 1
        if len(times) >= n:
            break
    return times


def measure_listing(client: Client, pages: int = 200) -> list[float]:
    scope, asset_type = LIST_FOLDER
    times: list[float] = []
    cursor = None
    for k in range(pages):
        params = {"scope": scope, "type": asset_type, "limit": 50}
        if cursor and k % 20:
            params["cursor"] = cursor
        result, ms = client.get("/list", params)
        times.append(ms)
        cursor = result["next_cursor"]
    if result["total"] < 10_000:
        print(f"list folder holds {result['total']} assets", file=sys.stderr)
    return times


def measure_refresh(client: Client, data: Path) -> list[float]:
    """Seconds from a change on disk until a search finds it."""
    mine = data / "users" / ME
    dt = sorted((mine / "digital_twins").iterdir())[0]
    model = next(p for p in sorted((data / "common" / "models").iterdir()) if p.is_dir())
    changes = [
        ("zqxreadme", lambda w: (dt / "README.md").write_text(f"# T\n\nNow with {w}.\n")),
        ("zqxnewfile", lambda w: (mine / "data" / f"{w}.csv").write_text("a,b\n")),
        ("zqxmanifest", lambda w: (model / "asset.yaml").write_text(f"title: {w} model\n")),
    ]
    out = []
    for word, change in changes:
        start = time.monotonic()
        change(word)
        while True:
            result, _ = client.get("/search", {"q": word})
            if result["total"]:
                break
            if time.monotonic() - start > 30:
                raise RuntimeError(f"{word} not found after 30 s")
            time.sleep(0.01)
        out.append(time.monotonic() - start)
    return out


def run(n: int, keep: bool, facet_cache: int) -> dict:
    work = Path(tempfile.mkdtemp(prefix="dtaas-bench-library-"))
    data = work / "data"
    proc = None
    try:
        t0 = time.monotonic()
        pools = generate(data, n)
        print(f"generated {n} assets in {time.monotonic() - t0:.1f}s", file=sys.stderr)
        url = f"sqlite:///{work / 'index.sqlite'}"
        index = LibraryIndex(data, url)
        t0 = time.monotonic()
        count = index.rebuild()
        build_s = time.monotonic() - t0
        index.close()
        print(f"indexed {count} assets in {build_s:.1f}s", file=sys.stderr)
        port = free_port()
        t0 = time.monotonic()
        proc = subprocess.Popen(
            [sys.executable, __file__, "--serve", str(data), "--url", url, "--port", str(port)]
            + ["--facet-cache", str(facet_cache)],
            stdout=subprocess.PIPE,
            text=True,
        )
        if proc.stdout is None or proc.stdout.readline().strip() != "ready":
            raise RuntimeError("the service did not start")
        print(f"service watching after {time.monotonic() - t0:.1f}s", file=sys.stderr)
        client = Client(port)
        rng = random.Random(11)
        measure_searches(client, rng, pools, 50)  # warm the caches
        times = measure_searches(client, rng, pools, 1000)
        lists = measure_listing(client)
        refresh = measure_refresh(client, data)
        print(f"refresh: {[round(r, 3) for r in refresh]}", file=sys.stderr)
        return {
            "build_s": round(build_s, 1),
            "p50_ms": round(statistics.median(times), 2),
            "p99_ms": round(percentile(times, 99), 2),
            "refresh_s": round(max(refresh), 2),
            "list_p50_ms": round(statistics.median(lists), 2),
            "rss_mb": round(rss_mb(proc.pid), 1),
        }
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(30)
        if keep:
            print(f"kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assets", type=int, default=100_000)
    parser.add_argument("--keep", action="store_true", help="keep the generated library")
    parser.add_argument(
        "--facet-cache", type=int, default=256, help="facet cache entries (0: count every time)"
    )
    parser.add_argument("--serve", metavar="DATA_DIR", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(Path(args.serve), args.url, args.port, args.facet_cache)
        return
    print(json.dumps(run(args.assets, args.keep, args.facet_cache)))


if __name__ == "__main__":
    main()
