"""Scanning libraries and writing what changed, inside the caller's write transaction."""

from __future__ import annotations

import itertools
import multiprocessing
import threading
from collections import Counter, deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, String, delete, func, insert, literal, select, text, update

from .db import fts_pause, fts_resume, is_sqlite
from .models import AssetRow, AuthorRow, DocRow, FacetCount, Meta, TagRow, UseRow
from .records import describe_chunk
from .scan import Folder, Target, entries, folder, folders, is_asset, signature

A, D, T, W, U, F = AssetRow, DocRow, TagRow, AuthorRow, UseRow, FacetCount
ASSET_COLUMNS = [c.name for c in AssetRow.__table__.columns]
DOC_COLUMNS = [c.name for c in DocRow.__table__.columns]
CHUNK = 64
PARALLEL_MIN = 2000  # below this, starting worker processes costs more than it saves
OPTIMIZE_MIN = 5000  # after this many writes, merge the FTS segments and refresh statistics

Job = tuple[Folder, list[str]]
Current = dict[str, tuple[int, str, str]]  # name -> (id, digest, sig)


class IndexStopped(Exception):
    """The service is stopping: the write in progress is rolled back, nothing half done."""


def described(jobs: list[Job], workers: int) -> Iterator[tuple[Folder, list[Any]]]:
    """Describe assets in order, in worker processes when there are many.

    ``describe`` is CPU-bound Python (YAML, JSON Schema), so processes, not threads; a
    bounded window of chunks in flight keeps memory flat however large the library.
    """
    chunks = [(f, names[i : i + CHUNK]) for f, names in jobs for i in range(0, len(names), CHUNK)]
    if workers <= 1 or sum(len(n) for _, n in jobs) < PARALLEL_MIN:
        for f, names in chunks:
            yield f, describe_chunk(f, names)
        return
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    pool = ProcessPoolExecutor(workers, mp_context=ctx)
    try:
        pending = iter(chunks)
        window: deque[tuple[Folder, Future]] = deque(
            (f, pool.submit(describe_chunk, f, n))
            for f, n in itertools.islice(pending, workers * 4)
        )
        while window:
            f, future = window.popleft()
            nxt = next(pending, None)
            if nxt is not None:
                window.append((nxt[0], pool.submit(describe_chunk, *nxt)))
            yield f, future.result()
    finally:
        # a stop must not wait for the chunks still queued in the workers
        pool.shutdown(wait=True, cancel_futures=True)


class Writer:
    """Applies described assets in one transaction and keeps the facet counts in step."""

    def __init__(self, conn: Connection, bulk: bool = False, stop: threading.Event | None = None):
        self.conn = conn
        self.stop = stop or threading.Event()
        self.bulk = bulk  # every library at once: recount the facets instead of adjusting
        # filling an empty index: index the text once at the end, not row by row
        self.fts_deferred = bulk and is_sqlite(conn) and conn.scalar(select(A.id).limit(1)) is None
        if self.fts_deferred:
            fts_pause(conn)
        # the row lock makes writers in other processes wait (SQLite: BEGIN IMMEDIATE does)
        next_id = select(Meta.value).where(Meta.key == "next_id").with_for_update()
        self.next_id = int(conn.scalar(next_id) or 1)
        self.writes = 0
        self.deltas: Counter[tuple[str, str, str]] = Counter()

    def current(
        self, scope_key: str, asset_type: str, names: Iterable[str] | None = None
    ) -> Current:
        stmt = (
            select(A.name, A.id, D.digest, D.sig)
            .join(D, D.id == A.id)
            .where(A.scope_key == scope_key, A.type == asset_type)
        )
        if names is not None:
            stmt = stmt.where(A.name.in_(list(names)))
        return {r.name: (r.id, r.digest, r.sig) for r in self.conn.execute(stmt)}

    def check_stop(self) -> None:
        if self.stop.is_set():
            raise IndexStopped()

    def apply(self, results: list[Any], current: Current) -> None:
        self.check_stop()
        new = []
        for name, rec in results:
            cur = current.get(name)
            if rec is None:
                if cur is not None:
                    self.delete([cur[0]])
            elif cur is None:
                new.append(rec)
            elif cur[1] != rec["digest"]:
                self._update(cur[0], rec)
            elif cur[2] != rec["sig"]:
                self.conn.execute(update(D).where(D.id == cur[0]).values(sig=rec["sig"]))
        if new:
            self._insert(new)

    def _children(self, recs: list[dict[str, Any]]) -> None:
        tags = [
            {"asset_id": r["id"], "tag": t, "scope_key": r["scope_key"], "type": r["type"]}
            for r in recs
            for t in r["_tags"]
        ]
        authors = [
            {"asset_id": r["id"], "author_key": a, "scope_key": r["scope_key"]}
            for r in recs
            for a in r["_authors"]
        ]
        uses = [
            {"asset_id": r["id"], "ref_scope_key": s, "ref_type": t, "ref_name": n}
            for r in recs
            for s, t, n in r["_uses"]
        ]
        for table, rows in ((T, tags), (W, authors), (U, uses)):
            if rows:
                self.conn.execute(insert(table), rows)
        for r in recs:
            for t in r["_tags"]:
                self.deltas[(r["scope_key"], r["type"], t)] += 1

    def _insert(self, recs: list[dict[str, Any]]) -> None:
        for r in recs:
            r["id"] = self.next_id
            self.next_id += 1
            self.deltas[(r["scope_key"], r["type"], "")] += 1
        self.conn.execute(insert(A), [{c: r[c] for c in ASSET_COLUMNS} for r in recs])
        self.conn.execute(insert(D), [{c: r[c] for c in DOC_COLUMNS} for r in recs])
        self._children(recs)
        self.writes += len(recs)

    def _forget_tags(self, ids: list[int]) -> None:
        rows = self.conn.execute(
            select(T.scope_key, T.type, T.tag).where(T.asset_id.in_(ids))
        ).all()
        for row in rows:
            self.deltas[tuple(row)] -= 1

    def _update(self, asset_id: int, rec: dict[str, Any]) -> None:
        self._forget_tags([asset_id])
        for table in (T, W, U):
            self.conn.execute(delete(table).where(table.asset_id == asset_id))
        rec["id"] = asset_id
        for table, columns in ((A, ASSET_COLUMNS), (D, DOC_COLUMNS)):
            values = {c: rec[c] for c in columns if c != "id"}
            self.conn.execute(update(table).where(table.id == asset_id).values(**values))
        self._children([rec])
        self.writes += 1

    def delete(self, ids: list[int]) -> None:
        for start in range(0, len(ids), 500):
            part = ids[start : start + 500]
            self._forget_tags(part)
            folders_of = select(A.scope_key, A.type, func.count()).where(A.id.in_(part))
            for s, t, n in self.conn.execute(folders_of.group_by(A.scope_key, A.type)):
                self.deltas[(s, t, "")] -= n
            self.conn.execute(delete(A).where(A.id.in_(part)))  # children cascade
            self.writes += len(part)

    def delete_folder(self, scope_key: str, asset_type: str) -> None:
        self.delete([v[0] for v in self.current(scope_key, asset_type).values()])

    def finish(self) -> None:
        self._set("next_id", self.next_id)
        if self.writes:  # searches cache facets per generation
            generation = self.conn.scalar(select(Meta.value).where(Meta.key == "generation"))
            self._set("generation", int(generation or 0) + 1)
        if not self.bulk:
            self._apply_deltas()
        elif self.writes:
            self._recount()
        if self.fts_deferred:
            fts_resume(self.conn)  # one pass over all text: faster than row by row
        elif self.writes >= OPTIMIZE_MIN and is_sqlite(self.conn):
            self.conn.execute(text("INSERT INTO assets_fts(assets_fts) VALUES ('optimize')"))
        if self.writes >= OPTIMIZE_MIN:
            if is_sqlite(self.conn):
                self.conn.execute(text("PRAGMA analysis_limit=1000"))
            self.conn.execute(text("ANALYZE"))

    def _set(self, key: str, value: int) -> None:
        self.conn.execute(update(Meta).where(Meta.key == key).values(value=str(value)))

    def _apply_deltas(self) -> None:
        for (s, t, tag), d in self.deltas.items():
            if not d:
                continue
            key = (F.scope_key == s, F.type == t, F.tag == tag)
            if not self.conn.execute(update(F).where(*key).values(n=F.n + d)).rowcount:
                self.conn.execute(insert(F).values(scope_key=s, type=t, tag=tag, n=d))
        self.conn.execute(delete(F).where(F.n <= 0))
        self.deltas.clear()

    def _recount(self) -> None:
        cols = ["scope_key", "type", "tag", "n"]
        self.conn.execute(delete(F))
        per_folder = select(A.scope_key, A.type, literal("", String), func.count())
        self.conn.execute(insert(F).from_select(cols, per_folder.group_by(A.scope_key, A.type)))
        per_tag = select(T.scope_key, T.type, T.tag, func.count())
        self.conn.execute(insert(F).from_select(cols, per_tag.group_by(T.scope_key, T.type, T.tag)))
        self.deltas.clear()


def _known_folders(conn: Connection, scope_key: str | None) -> set[tuple[str, str]]:
    """The library folders the index holds assets of."""
    stmt = select(A.scope_key, A.type).distinct()
    if scope_key is not None:
        stmt = stmt.where(A.scope_key == scope_key)
    return {(s, t) for s, t in conn.execute(stmt)}


def sync_folders(
    w: Writer, data_dir: Path, targets: Iterable[Target], force: bool, workers: int
) -> None:
    """Make whole libraries (or type folders) of the index match the disk.

    ``force`` re-describes every asset; otherwise only those whose stat stamps changed.
    """
    jobs: list[Job] = []
    for target in targets:
        on_disk = [
            f
            for f in folders(data_dir, target.scope_key)
            if target.type is None or f.type == target.type
        ]
        present = {(f.scope_key, f.type) for f in on_disk}
        for s, t in _known_folders(w.conn, target.scope_key):
            if (s, t) not in present and (target.type is None or t == target.type):
                w.delete_folder(s, t)
        for f in on_disk:
            w.check_stop()
            names = entries(f)
            current = w.current(f.scope_key, f.type)
            keep = set(names)
            w.delete([v[0] for n, v in current.items() if n not in keep])
            if not force:
                names = [n for n in names if n not in current or current[n][2] != signature(f, n)]
            if names:
                jobs.append((f, names))
    _describe_and_apply(w, jobs, workers)


def sync_assets(w: Writer, data_dir: Path, targets: Iterable[Target], workers: int) -> None:
    """Re-describe single assets; those no longer on disk leave the index."""
    by_folder: dict[tuple[str, str], list[str]] = {}
    for t in targets:
        if t.scope_key and t.type and t.name:
            by_folder.setdefault((t.scope_key, t.type), []).append(t.name)
    jobs: list[Job] = []
    for (s, t), names in by_folder.items():
        f = folder(data_dir, s, t)
        if f is None:
            continue
        names = sorted(set(names))
        gone = [n for n in names if not is_asset(f, n)]
        if gone:
            w.delete([v[0] for v in w.current(s, t, gone).values()])
        present = [n for n in names if n not in gone]
        if present:
            jobs.append((f, present))
    _describe_and_apply(w, jobs, workers)


def _describe_and_apply(w: Writer, jobs: list[Job], workers: int) -> None:
    cache_key: tuple[str, str] | None = None
    current: Current = {}
    wanted = {(f.scope_key, f.type): names for f, names in jobs}
    for f, results in described(jobs, workers):
        key = (f.scope_key, f.type)
        if key != cache_key:  # one folder's rows at a time: memory stays flat
            names = wanted[key]
            current = w.current(*key, None if len(names) > 500 else names)
            cache_key = key
        w.apply(results, current)
