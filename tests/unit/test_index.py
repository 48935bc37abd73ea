"""The library's search index on real SQLite: visibility, text, filters, pages, facets, watch.

The ``check_*`` functions take any ``LibraryIndex``; the PostgreSQL integration test runs
them against a real server too.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from asset_library.index import LibraryIndex, indexer, records, watcher

ALICE = ["user:alice", "group:lab", "common"]
BOB = ["user:bob", "common"]
SORTS = ["relevance", "title", "name", "modified", "-modified"]


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def dt(root: Path, name: str, manifest: str, readme: str | None = None) -> Path:
    folder = root / "digital_twins" / name
    write(folder / "dt.yaml", manifest + "lifecycle: {execute: lifecycle/execute.ipynb}\n")
    if readme is not None:
        write(folder / "README.md", readme)
    return folder


def make_tree(data: Path) -> None:
    """Three users, two groups and common, with the awkward cases a library meets."""
    common, alice, bob = data / "common", data / "users" / "alice", data / "users" / "bob"
    lab, other = data / "groups" / "lab", data / "groups" / "other"
    dt(
        common,
        "msd",
        "title: Mass spring damper\ndescription: Two masses.\ntags: [mechanics, ode]\n",
        "# MSD\n\nA classic oscillator with a café nearby.\n",
    )
    write(
        common / "models" / "m" / "asset.yaml",
        "title: Common model\ndescription: Heat flow.\ntags: [thermal]\n",
    )
    dt(
        alice,
        "alice-twin",
        "title: Alice twin\ndescription: Spins a wheel.\ntags: [Mechanics, fast]\n"
        "authors: [Alice Smith]\n"
        "assets: [mine/functions/solver, common/models/m, group:lab/data/d]\n",
        "# Alice\n\nA heavy flywheel stores energy in the lab.\n",
    )
    dt(alice, "broken", "title: [unclosed\n")
    write(alice / "functions" / "solver.py", "print('solve')\n")
    for i in range(25):
        write(alice / "data" / f"series-{i:02d}.csv", "t,x\n")
    write(alice / "runs" / "alice-twin" / "r1" / "run.json", "{}")  # not library content
    (alice / "models").mkdir(parents=True)
    write(data / "outside" / "x" / "asset.yaml", "title: Outside\n")
    (alice / "models" / "escape").symlink_to(data / "outside" / "x")
    write(alice / "models" / ".hidden" / "asset.yaml", "title: Hidden\n")
    (alice / "common").symlink_to("../../common")
    write(bob / "models" / "secret" / "asset.yaml", "title: Bob secret\ntags: [fast]\n")
    dt(bob, "bob-twin", "title: Bob twin\nassets: [common/models/m]\n")
    write(
        lab / "data" / "d" / "asset.yaml",
        "title: Lab data\ndescription: Measured flywheel speeds.\ntags: [fast, thermal]\n"
        "authors: [alice smith, Carol]\n",
    )
    dt(lab, "lab-twin", "title: Lab twin\nassets: [mine/data/d]\n")
    write(other / "tools" / "t" / "asset.yaml", "title: Other tool\ntags: [fast]\n")
    # deterministic modification times: one per asset, all different
    for i, path in enumerate(sorted(data.rglob("*"))):
        if not path.is_symlink():
            os.utime(path, (1_700_000_000 + i, 1_700_000_000 + i))


@pytest.fixture
def data(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    make_tree(data)
    return data


@pytest.fixture
def index(data: Path) -> Iterator[LibraryIndex]:
    ix = LibraryIndex(data)
    ix.rebuild()
    yield ix
    ix.close()


def names(result: dict) -> list[str]:
    return [i["name"] for i in result["items"]]


def all_pages(ix: LibraryIndex, visible: list[str], limit: int = 4, **kw) -> list[dict]:
    found, cursor = [], None
    while True:
        page = ix.search(visible, cursor=cursor, limit=limit, **kw)
        found += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return found


# --- checks shared with the PostgreSQL test ----------------------------------------------


def check_visibility(ix: LibraryIndex) -> None:
    everything = all_pages(ix, ALICE, limit=500)
    assert {i["scope_key"] for i in everything} == set(ALICE)
    assert "secret" not in {i["name"] for i in everything}
    assert "t" not in {i["name"] for i in everything}  # group other
    assert not {"escape", ".hidden", "run.json", "r1"} & {i["name"] for i in everything}
    assert names(ix.search(ALICE, q="secret")) == []
    assert names(ix.search(BOB, q="secret")) == ["secret"]
    assert ix.search(ALICE, scope="user:bob")["total"] == 0  # not a scope alice may read
    assert ix.search(["user:alice", "common"], scope="group:lab")["items"] == []
    assert ix.search(["user:alice", "common"], q="lab data")["total"] == 0
    assert names(ix.search(["group:lab"], q="lab data")) == ["d"]
    assert ix.search([], q="fast")["total"] == 0
    fast = ix.search(ALICE, q="fast")
    assert sorted(names(fast)) == ["alice-twin", "d"]
    assert fast["facets"]["tag"]["fast"] == 2  # bob's and group other's do not count


def check_text(ix: LibraryIndex) -> None:
    assert names(ix.search(ALICE, q="alice twin")) == ["alice-twin"]  # title
    assert names(ix.search(ALICE, q="spins")) == ["alice-twin"]  # description
    assert sorted(names(ix.search(ALICE, q="flywheel"))) == ["alice-twin", "d"]  # README
    assert names(ix.search(ALICE, q="ode")) == ["msd"]  # tag
    assert names(ix.search(ALICE, q="MECHANICS oscillator")) == ["msd"]  # all words
    assert sorted(names(ix.search(ALICE, q="flyw"))) == ["alice-twin", "d"]  # typing
    assert names(ix.search(ALICE, q="flyw ")) == []  # a finished word is not a prefix
    assert names(ix.search(ALICE, q="series-07")) == ["series-07.csv"]
    assert ix.search(ALICE, q="!!!")["total"] == ix.search(ALICE)["total"]  # no words
    assert ix.search(ALICE, q='"a" OR * NEAR(')["total"] >= 0  # never a syntax error


def check_filters(ix: LibraryIndex) -> None:
    assert names(ix.search(ALICE, types=["models"])) == ["m"]
    assert set(names(ix.search(ALICE, types=["models", "digital_twins"]))) == {
        "m",
        "msd",
        "alice-twin",
        "broken",
        "lab-twin",
    }
    assert sorted(names(ix.search(ALICE, tags=["FAST"]))) == ["alice-twin", "d"]
    assert names(ix.search(ALICE, tags=["fast", "thermal"])) == ["d"]
    assert names(ix.search(ALICE, tags=["fast"], q="data")) == ["d"]
    assert sorted(names(ix.search(ALICE, author="alice smith"))) == ["alice-twin", "d"]
    assert names(ix.search(ALICE, author="carol", types=["data"])) == ["d"]
    assert names(ix.search(ALICE, author="carol", types=["tools"])) == []
    assert names(ix.search(ALICE, scope="group:lab", types=["data"])) == ["d"]
    assert ix.search(ALICE, scope="user:alice")["total"] == 28
    assert names(ix.search(ALICE, q="twin", scope="common")) == []


def check_sort(ix: LibraryIndex) -> None:
    everything = all_pages(ix, ALICE, limit=500, sort="title")
    titles = [i["title"].casefold() for i in everything]
    assert titles == sorted(titles)
    by_name = [i["name"] for i in all_pages(ix, ALICE, limit=500, sort="name")]
    assert by_name == sorted(by_name)
    modified = [i["modified"] for i in all_pages(ix, ALICE, limit=500, sort="modified")]
    assert modified == sorted(modified)
    newest = [i["modified"] for i in all_pages(ix, ALICE, limit=500, sort="-modified")]
    assert newest == sorted(newest, reverse=True)
    # title and name outrank a README; ties go by title
    assert names(ix.search(ALICE, q="lab", sort="relevance")) == ["lab-twin", "d", "alice-twin"]
    assert names(ix.search(ALICE, q="lab", sort="title")) == ["alice-twin", "d", "lab-twin"]
    with pytest.raises(ValueError, match="sort"):
        ix.search(ALICE, sort="size")


def check_pages(ix: LibraryIndex, data: Path) -> None:
    for sort in SORTS:
        q = "series" if sort == "relevance" else None
        whole = [i["path"] for i in ix.search(ALICE, q=q, sort=sort, limit=500)["items"]]
        paged = [i["path"] for i in all_pages(ix, ALICE, limit=4, q=q, sort=sort)]
        assert paged == whole, sort
        assert len(set(paged)) == len(paged)
    # an asset added between two pages: nothing seen twice, nothing skipped
    for n, sort in enumerate(SORTS):
        q = "series" if sort == "relevance" else None
        before = {i["path"] for i in ix.search(ALICE, q=q, sort=sort, limit=500)["items"]}
        first = ix.search(ALICE, q=q, sort=sort, limit=5)
        added = write(data / "users" / "alice" / "data" / f"series-{n}a.csv", "t\n")
        ix.refresh([added])
        seen = [i["path"] for i in first["items"]]
        cursor = first["next_cursor"]
        while cursor:
            page = ix.search(ALICE, q=q, sort=sort, limit=5, cursor=cursor)
            seen += [i["path"] for i in page["items"]]
            cursor = page["next_cursor"]
        assert len(seen) == len(set(seen)), sort
        assert before <= set(seen), sort
    for bad in ("nonsense", "", "W10", "WyJuYW1lIl0"):
        with pytest.raises(ValueError, match="cursor"):
            ix.search(ALICE, sort="name", cursor=bad)
    title_cursor = ix.search(ALICE, sort="title", limit=1)["next_cursor"]
    with pytest.raises(ValueError, match="cursor"):
        ix.search(ALICE, sort="name", cursor=title_cursor)


def check_facets(ix: LibraryIndex) -> None:
    for kw in ({}, {"q": "flywheel"}, {"tags": ["fast"]}, {"types": ["data"]}, {"q": "s"}):
        everything = all_pages(ix, ALICE, limit=500, **kw)
        small = ix.search(ALICE, limit=1, **kw)
        assert small["total"] == len(everything)
        assert small["facets"]["type"] == dict(Counter(i["type"] for i in everything))
        tags = Counter(t.casefold() for i in everything for t in i["tags"])
        assert small["facets"]["tag"] == dict(tags)


def check_get_and_used_by(ix: LibraryIndex) -> None:
    twin = ix.get("user:alice", "digital_twins", "alice-twin")
    assert twin is not None and "flywheel" in twin["readme"]
    assert twin["scope_key"] == twin["scope"] == "user:alice"
    assert twin["path"] == "digital_twins/alice-twin"
    assert twin["steps"] == ["execute"] and twin["authors"] == ["Alice Smith"]
    assert ix.get("common", "models", "m")["path"] == "common/models/m"
    assert ix.get("group:lab", "data", "d")["path"] == "groups/lab/data/d"
    assert ix.get("user:alice", "models", "escape") is None
    broken = ix.get("user:alice", "digital_twins", "broken")
    assert broken is not None and "invalid YAML" in broken["problems"][0]
    used = ix.used_by("common", "models", "m", ALICE)
    assert names({"items": used}) == ["alice-twin"]  # bob's DT is not alice's to see
    assert names({"items": ix.used_by("common", "models", "m", BOB)}) == ["bob-twin"]
    lab_users = ix.used_by("group:lab", "data", "d", ALICE)
    assert sorted(names({"items": lab_users})) == ["alice-twin", "lab-twin"]  # lab's "mine"
    assert names({"items": ix.used_by("user:alice", "functions", "solver", ALICE)}) == [
        "alice-twin"
    ]
    assert ix.used_by("user:alice", "functions", "solver", BOB) == []


def check_list_folder(ix: LibraryIndex) -> None:
    seen, cursor = [], None
    while True:
        page = ix.list_folder("user:alice", "data", 10, cursor)
        assert page["total"] == 25
        seen += names(page)
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"series-{i:02d}.csv" for i in range(25)]
    assert ix.list_folder("user:alice", "tools", 10, None) == {
        "items": [],
        "total": 0,
        "next_cursor": None,
    }


def check_rebuild_and_refresh(ix: LibraryIndex, data: Path) -> None:
    before = all_pages(ix, ALICE, limit=500, sort="name")
    assert ix.rebuild() == ix.rebuild() == ix.count()
    assert all_pages(ix, ALICE, limit=500, sort="name") == before
    alice = data / "users" / "alice"
    # added
    new = write(alice / "tools" / "lathe" / "asset.yaml", "title: Lathe\ntags: [workshop]\n")
    ix.refresh([new])
    assert names(ix.search(ALICE, q="lathe")) == ["lathe"]
    # changed
    write(alice / "digital_twins" / "alice-twin" / "README.md", "# A\n\nNow a gyroscope.\n")
    ix.refresh([alice / "digital_twins" / "alice-twin" / "README.md"])
    assert names(ix.search(ALICE, q="gyroscope")) == ["alice-twin"]
    assert names(ix.search(ALICE, q="flywheel")) == ["d"]
    # through the workspace's link to common, relative to the data folder
    write(data / "common" / "models" / "m" / "asset.yaml", "title: Renamed model\n")
    ix.refresh([Path("users/alice/common/models/m/asset.yaml")])
    assert ix.get("common", "models", "m")["title"] == "Renamed model"
    # removed
    (alice / "functions" / "solver.py").unlink()
    ix.refresh([alice / "functions" / "solver.py"])
    assert ix.get("user:alice", "functions", "solver") is None
    assert ix.search(ALICE, q="solver")["total"] == 0
    # a whole folder removed, and paths that are no library content
    for p in sorted((alice / "data").iterdir()):
        p.unlink()
    (alice / "data").rmdir()
    ix.refresh([alice / "data", alice / "runs" / "x", data / "hub" / "y", Path("/etc/passwd")])
    assert ix.list_folder("user:alice", "data", 10, None)["total"] == 0
    assert ix.search(ALICE, types=["data"])["facets"]["type"] == {"data": 1}
    assert ix.search(ALICE, tags=["workshop"])["facets"]["tag"] == {"workshop": 1}
    # a new user's library appears as a whole
    write(data / "users" / "dora" / "models" / "k" / "asset.yaml", "title: Dora model\n")
    ix.refresh([data / "users" / "dora"])
    assert names(ix.search(["user:dora"])) == ["k"]


class Watching:
    """Runs ``watch()`` on its own event loop, as the library service does."""

    def __init__(self, ix: LibraryIndex):
        self.ix = ix
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.error: BaseException | None = None

    def _run(self) -> None:
        try:
            self.loop.run_until_complete(self.ix.watch())
        except BaseException as e:  # surfaced by the test
            self.error = e

    def __enter__(self) -> Watching:
        self.thread.start()
        while not self.ix.ready.wait(0.05):
            assert self.error is None and self.thread.is_alive(), self.error
        return self

    def __exit__(self, *exc: object) -> None:
        self.ix.stop()
        self.thread.join(30)
        self.loop.close()
        assert not self.thread.is_alive()
        assert self.error is None, self.error


def eventually(probe, timeout: float = 30.0) -> bool:
    """Poll until ``probe()`` is true; the deadline only stops a broken watcher hanging."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if probe():
            return True
        time.sleep(0.02)
    return probe()


def check_watch(ix: LibraryIndex, data: Path) -> None:
    alice = data / "users" / "alice"
    with Watching(ix):
        write(alice / "digital_twins" / "alice-twin" / "README.md", "# A\n\nA quokka.\n")
        assert eventually(lambda: names(ix.search(ALICE, q="quokka")) == ["alice-twin"])
        write(alice / "models" / "fresh" / "asset.yaml", "title: Fresh wombat\n")
        assert eventually(lambda: names(ix.search(ALICE, q="wombat")) == ["fresh"])
        write(alice / "models" / "fresh" / "asset.yaml", "title: Fresh numbat\n")
        assert eventually(lambda: names(ix.search(ALICE, q="numbat")) == ["fresh"])
        (alice / "models" / "fresh").rename(alice / "models" / "renamed")
        assert eventually(lambda: names(ix.search(ALICE, q="numbat")) == ["renamed"])
        (alice / "functions" / "solver.py").unlink()
        assert eventually(lambda: ix.get("user:alice", "functions", "solver.py") is None)
        # files deeper in an asset change its size and modification time
        deep = alice / "digital_twins" / "alice-twin" / "lifecycle" / "execute.ipynb"
        for content in ("{}", "{" + " " * 1000 + "}"):
            size = ix.get("user:alice", "digital_twins", "alice-twin")["size"]
            write(deep, content)
            assert eventually(
                lambda s=size: ix.get("user:alice", "digital_twins", "alice-twin")["size"] > s
            )
        write(data / "groups" / "new" / "tools" / "saw" / "asset.yaml", "title: Band saw\n")
        assert eventually(lambda: names(ix.search(["group:new"], q="saw")) == ["saw"])


# --- SQLite ------------------------------------------------------------------------------


def test_visibility(index):
    check_visibility(index)


def test_text_search(index):
    check_text(index)
    assert names(index.search(ALICE, q="cafe")) == ["msd"]  # accents do not matter


def test_filters(index):
    check_filters(index)


def test_sort(index):
    check_sort(index)


def test_pages_are_stable(index, data):
    check_pages(index, data)


def test_facets_cover_the_whole_result(index):
    check_facets(index)


def test_get_and_used_by(index):
    check_get_and_used_by(index)


def test_list_folder(index):
    check_list_folder(index)


def test_rebuild_and_refresh(index, data):
    check_rebuild_and_refresh(index, data)


def test_watch(index, data):
    check_watch(index, data)


def test_default_database_lives_in_the_data_folder(index, data):
    assert (data / "library" / "index.sqlite").is_file()
    assert index.count() == LibraryIndex(data).count() > 0


def test_watch_polls_when_inotify_is_unavailable(data, monkeypatch):
    def no_inotify():
        raise OSError(38, "inotify not here")

    monkeypatch.setattr(watcher, "Inotify", no_inotify)
    ix = LibraryIndex(data, poll_interval=0.2)
    ix.rebuild()
    with Watching(ix):
        write(data / "common" / "data" / "tide.csv", "t\n")
        assert eventually(lambda: names(ix.search(ALICE, q="tide")) == ["tide.csv"])
        write(data / "common" / "models" / "m" / "README.md", "# M\n\nKelvin waves.\n")
        assert eventually(lambda: names(ix.search(ALICE, q="kelvin")) == ["m"])
    ix.close()


def test_watch_catches_up_with_changes_made_while_stopped(index, data):
    write(data / "common" / "tools" / "offline" / "asset.yaml", "title: Offline tool\n")
    (data / "users" / "alice" / "functions" / "solver.py").unlink()
    with Watching(index):
        assert names(index.search(ALICE, q="offline")) == ["offline"]
        assert index.search(ALICE, q="solver")["total"] == 0


def test_one_failing_asset_never_stops_a_rebuild(data, monkeypatch):
    real = records.describe

    def flaky(entry, *args):
        if entry.name == "m":
            raise RuntimeError("disk on fire")
        return real(entry, *args)

    monkeypatch.setattr(records, "describe", flaky)
    ix = LibraryIndex(data)
    assert ix.rebuild() == 35
    broken = ix.get("common", "models", "m")
    assert broken["title"] == "m" and "disk on fire" in broken["problems"][0]
    assert names(ix.search(ALICE, q="msd")) == ["msd"]
    ix.close()


def test_parallel_rebuild_matches_a_serial_one(data, tmp_path, monkeypatch):
    serial = LibraryIndex(data, f"sqlite:///{tmp_path / 'serial.sqlite'}", workers=1)
    serial.rebuild()
    monkeypatch.setattr(indexer, "PARALLEL_MIN", 1)
    parallel = LibraryIndex(data, f"sqlite:///{tmp_path / 'parallel.sqlite'}", workers=2)
    parallel.rebuild()
    for ix in (serial, parallel):
        assert ix.search(ALICE, q="flywheel")["total"] == 2
    assert all_pages(serial, ALICE, sort="name") == all_pages(parallel, ALICE, sort="name")
    serial.close()
    parallel.close()


def test_limits(index):
    with pytest.raises(ValueError, match="limit"):
        index.search(ALICE, limit=0)
    assert len(index.search(ALICE, limit=10_000)["items"]) == index.search(ALICE)["total"]
    assert index.search("common", types="models")["items"][0]["name"] == "m"


def test_watches_stay_bounded_per_asset(data):
    big = data / "common" / "data" / "survey"
    for i in range(200):
        (big / f"site-{i:03d}" / "raw").mkdir(parents=True)
    w = watcher.Watcher(data, notify=lambda: None)
    w.start()
    try:
        assert not w.polling
        assert w.watches < 200  # the survey's 400 folders are not all watched
        assert str(big) in set(w._paths.values())
    finally:
        w.close()


def test_odd_manifests_become_problems_and_describe_failures_too(index, data, monkeypatch):
    odd = dt(data / "common", "odd", "title: Odd\nassets: [1]\n")
    index.refresh([odd])
    entry = index.get("common", "digital_twins", "odd")
    assert entry is not None and any("assets.0" in p for p in entry["problems"])
    from asset_library.index import records

    def boom(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(records, "describe", boom)
    worse = dt(data / "common", "worse", "title: Worse\n")
    index.refresh([worse])
    entry = index.get("common", "digital_twins", "worse")
    assert entry is not None and "disk on fire" in " ".join(entry["problems"])


def test_searches_never_see_a_half_built_index(index, data, monkeypatch):
    before = index.search(ALICE)["total"]
    for i in range(5):
        write(data / "common" / "tools" / f"new-{i}.sh", "echo\n")
    real = records.describe

    def slow(*args):
        time.sleep(0.02)
        return real(*args)

    monkeypatch.setattr(records, "describe", slow)
    builder = threading.Thread(target=index.rebuild)
    builder.start()
    seen = set()
    while builder.is_alive():
        seen.add(index.search(ALICE)["total"])
    builder.join()
    seen.add(index.search(ALICE)["total"])
    assert seen <= {before, before + 5} and before + 5 in seen


def test_repeated_searches_come_from_the_cache_until_the_index_changes(index, data):
    visible = ["user:carol", "common"]  # carol's own library is empty
    assert index.search(visible, q="heat", cached_only=True) is None  # nothing known yet
    first = index.search(visible, q="heat")
    assert names(first) == ["m"]
    assert index.search(visible, q="heat", cached_only=True) == first
    # a user with another (empty) library shares the answer; an empty scope is empty
    assert index.search(["user:dave", "common"], q="heat", cached_only=True) == first
    assert index.search(visible, q="heat", scope="user:carol")["total"] == 0
    write(data / "common" / "models" / "h" / "asset.yaml", "title: Heat pump\n")
    index.refresh([data / "common" / "models" / "h"])
    assert index.search(visible, q="heat", cached_only=True) is None  # the write retired it
    assert set(names(index.search(visible, q="heat"))) == {"h", "m"}
