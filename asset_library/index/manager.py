"""The library's search index: what the REST handlers call."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from . import cursor as cursors
from . import search as searching
from .db import default_url, init_schema, make_engine, reading, writing
from .facets import FacetCache, ResultCache
from .indexer import IndexStopped, Writer, sync_assets, sync_folders
from .models import AssetRow, DocRow, FacetCount, UseRow
from .scan import Target, locate, normalize
from .search import ITEM_COLUMNS, MAX_LIMIT, item
from .watcher import Watcher

log = logging.getLogger("dtaas.library.index")
GENERATION_TTL = 0.5  # seconds a search answer may lag a write made by another process
A, D, F, U = AssetRow, DocRow, FacetCount, UseRow


def _tuple(values: Sequence[str] | str | None) -> tuple[str, ...]:
    """A lone string means one value, not its characters."""
    if values is None:
        return ()
    return (values,) if isinstance(values, str) else tuple(values)


class LibraryIndex:
    """Every library's assets, searchable; files stay the source of truth.

    Writes are serialized here (one writer at a time); searches read a consistent
    snapshot and never wait for a writer.
    """

    def __init__(
        self,
        data_dir: Path,
        url: str | None = None,
        *,
        workers: int | None = None,
        settle: float = 0.05,
        poll_interval: float = 1.0,
        facet_cache: int = 256,
        result_cache: int = 1024,
    ):
        self.data_dir = Path(data_dir).resolve()
        self.url = url or default_url(self.data_dir)
        self.workers = workers if workers is not None else (os.cpu_count() or 1)
        self.settle = settle  # an editor's save is several events: let them land together
        self.poll_interval = poll_interval  # for folders inotify cannot watch
        self.engine = make_engine(self.url)
        init_schema(self.engine)
        self.ready = threading.Event()  # set while watch() is watching and caught up
        self._write_lock = threading.Lock()
        self._facets = FacetCache(facet_cache)
        self._results = ResultCache(result_cache)
        # (generation, when it was read): another process (a second service on the same
        # PostgreSQL) may write, so a generation is trusted for GENERATION_TTL at most
        self._generation: tuple[str | None, float] = (None, 0.0)
        self._populated_at: tuple[str | None, frozenset[str]] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._stopping = False
        self._halt = threading.Event()  # set by halt(): writes in progress give up

    # --- writing ---------------------------------------------------------------------

    def rebuild(self) -> int:
        """Re-describe every asset; searches see the old index until the new one commits."""
        with self._write_lock, writing(self.engine) as conn:
            w = Writer(conn, bulk=True, stop=self._halt)
            sync_folders(w, self.data_dir, [Target()], force=True, workers=self.workers)
            w.finish()
        self._generation = (None, 0.0)
        return self.count()

    def reconcile(self) -> None:
        """Catch up with changes made while nothing watched: re-reads assets whose stat
        stamps (entry, manifest, README) changed, adds new ones and drops removed ones."""
        self._sync([Target()])

    def refresh(self, paths: Iterable[Path | str]) -> None:
        """Re-describe the assets containing these paths (absolute or data-dir relative)."""
        targets = [t for p in paths if (t := locate(self.data_dir, Path(p))) is not None]
        self._sync(normalize(targets))

    def _sync(self, targets: list[Target]) -> None:
        if not targets:
            return
        with self._write_lock, writing(self.engine) as conn:
            w = Writer(conn, bulk=targets == [Target()], stop=self._halt)
            wide = [t for t in targets if t.name is None]
            sync_folders(w, self.data_dir, wide, force=False, workers=self.workers)
            sync_assets(w, self.data_dir, [t for t in targets if t.name], self.workers)
            w.finish()
        self._generation = (None, 0.0)

    # --- watching --------------------------------------------------------------------

    async def watch(self) -> None:
        """Keep the index current until ``stop()``: changes are searchable well within 2 s."""
        loop = asyncio.get_running_loop()
        wake = asyncio.Event()
        self._loop, self._wake, self._stopping = loop, wake, False
        watcher = Watcher(self.data_dir, notify=lambda: loop.call_soon_threadsafe(wake.set))
        await loop.run_in_executor(None, watcher.start)
        fd = watcher.fd
        if fd is not None:
            loop.add_reader(fd, watcher.read_events)
        try:
            # after the watches are in place, so nothing changed in between is missed
            try:
                await loop.run_in_executor(None, self.reconcile)
            except IndexStopped:
                return
            self.ready.set()
            await self._watch_loop(loop, wake, watcher)
        finally:
            if fd is not None:
                loop.remove_reader(fd)
            watcher.close()
            self.ready.clear()

    async def _watch_loop(
        self, loop: asyncio.AbstractEventLoop, wake: asyncio.Event, watcher: Watcher
    ) -> None:
        next_poll = loop.time() + self.poll_interval
        while not self._stopping:
            timeout = max(0.0, next_poll - loop.time()) if watcher.polling else None
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(wake.wait(), timeout)
            if self._stopping:
                return
            if wake.is_set():
                await asyncio.sleep(self.settle)
                wake.clear()
            if watcher.polling and loop.time() >= next_poll:
                await loop.run_in_executor(None, watcher.poll)
                next_poll = loop.time() + self.poll_interval
            paths, overflow = watcher.take()
            if not (paths or overflow):
                continue
            try:
                if overflow:
                    await loop.run_in_executor(None, self.reconcile)
                else:
                    await loop.run_in_executor(None, self.refresh, paths)
            except IndexStopped:
                return
            except Exception:
                log.exception("index: refresh failed; retrying")
                watcher.requeue(paths, overflow)
                await asyncio.sleep(1)
                wake.set()

    def stop(self) -> None:
        """End ``watch()`` (from any thread)."""
        self._stopping = True
        if self._loop is not None and self._wake is not None:
            with contextlib.suppress(RuntimeError):  # the loop is already closed
                self._loop.call_soon_threadsafe(self._wake.set)

    def halt(self) -> None:
        """Stop watching and make a rebuild or refresh in progress roll back now (the
        service is going down); the files stay the truth, the next start catches up."""
        self._halt.set()
        self.stop()

    def close(self) -> None:
        self.stop()
        self.engine.dispose()

    # --- reading ---------------------------------------------------------------------

    def count(self) -> int:
        with reading(self.engine) as conn:
            return int(conn.scalar(select(func.count()).select_from(A)) or 0)

    def _populated(self, conn: Any, generation: str | None) -> frozenset[str]:
        """The libraries that hold at least one asset, per generation."""
        known = self._populated_at
        if known is not None and known[0] == generation:
            return known[1]
        keys = frozenset(conn.scalars(select(F.scope_key).where(F.tag == "", F.n > 0).distinct()))
        self._populated_at = (generation, keys)
        return keys

    def _fresh_generation(self) -> str | None:
        generation, read_at = self._generation
        if generation is None or time.monotonic() - read_at > GENERATION_TTL:
            return None
        return generation

    def search(
        self,
        visible: Sequence[str],
        *,
        q: str | None = None,
        types: Sequence[str] = (),
        scope: str | None = None,
        tags: Sequence[str] = (),
        author: str | None = None,
        sort: str = "relevance",
        cursor: str | None = None,
        limit: int = 50,
        cached_only: bool = False,
    ) -> dict[str, Any] | None:
        """Assets of the ``visible`` scope keys only, with total and facets of the result.

        With ``cached_only``, the answer only if it is known and current, without touching
        the database (cheap enough for the event loop), else None.
        """
        if sort not in searching.SORTS:
            raise ValueError("sort")
        if limit < 1:
            raise ValueError("limit")
        asked = (visible, q, types, scope, tags, author, sort, cursor, min(limit, MAX_LIMIT))
        generation = self._fresh_generation()
        if cached_only:
            known = self._populated_at
            if generation is None or known is None or known[0] != generation:
                return None
            return self._answer(None, generation, *asked)
        with reading(self.engine) as conn:
            if generation is None:
                generation = searching.generation_of(conn)
                self._generation = (generation, time.monotonic())
            self._populated(conn, generation)
            return self._answer(conn, generation, *asked)

    def _answer(
        self, conn, generation, visible, q, types, scope, tags, author, sort, cursor, limit
    ) -> dict[str, Any] | None:
        """From the cache, else (with ``conn``) from the index. Empty libraries are left
        out of the key, so everyone whose own library is empty shares the answers."""
        populated = self._populated_at[1] if self._populated_at else frozenset()
        kept = [k for k in _tuple(visible) if k in populated]
        query = (
            None
            if scope is not None and scope not in kept
            else searching.make_query(kept, q, _tuple(types), scope, _tuple(tags), author, sort)
        )
        if query is None:
            return searching.empty()
        key = (generation, query, cursor, limit)
        hit = self._results.get(key)
        if hit is not None or conn is None:
            return None if hit is None else dict(hit)
        result = searching.search(conn, query, cursor, limit, self._facets, generation)
        self._results.put(key, result)
        return dict(result)

    def get(self, scope_key: str, asset_type: str, name: str) -> dict[str, Any] | None:
        """One asset with its README."""
        stmt = (
            select(*ITEM_COLUMNS, D.readme)
            .join(D, D.id == A.id)
            .where(A.scope_key == scope_key, A.type == asset_type, A.name == name)
        )
        with reading(self.engine) as conn:
            row = conn.execute(stmt).first()
        return None if row is None else item(row) | {"readme": row.readme}

    def used_by(
        self, ref_scope_key: str, asset_type: str, name: str, visible: Sequence[str]
    ) -> list[dict[str, Any]]:
        """The DTs the user may see whose ``assets`` reference this asset."""
        users = select(U.asset_id).where(
            U.ref_scope_key == ref_scope_key, U.ref_type == asset_type, U.ref_name == name
        )
        stmt = (
            select(*ITEM_COLUMNS)
            .join(D, D.id == A.id)
            .where(A.id.in_(users), A.scope_key.in_(_tuple(visible)))
            .order_by(A.title_key, A.id)
        )
        with reading(self.engine) as conn:
            return [item(r) for r in conn.execute(stmt)]

    def list_folder(
        self, scope_key: str, asset_type: str, limit: int = 50, cursor: str | None = None
    ) -> dict[str, Any]:
        """One type folder of one library, by name, a page at a time."""
        if limit < 1:
            raise ValueError("limit")
        limit = min(limit, MAX_LIMIT)
        stmt = (
            select(*ITEM_COLUMNS)
            .join(D, D.id == A.id)
            .where(A.scope_key == scope_key, A.type == asset_type)
        )
        if cursor is not None:
            stmt = stmt.where(A.name > cursors.decode(cursor, "list")[0])
        count = select(F.n).where(F.scope_key == scope_key, F.type == asset_type, F.tag == "")
        with reading(self.engine) as conn:
            rows = conn.execute(stmt.order_by(A.name).limit(limit + 1)).all()
            total = int(conn.scalar(count) or 0)
        next_cursor = None
        if len(rows) > limit:
            rows = rows[:limit]
            next_cursor = cursors.encode("list", [rows[-1].name])
        return {"items": [item(r) for r in rows], "total": total, "next_cursor": next_cursor}
