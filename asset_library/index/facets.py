"""Totals and facets: over the whole filtered result, cached per index generation."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import TYPE_CHECKING

from sqlalchemy import CTE, Connection, func, literal, select, union_all

from .models import FacetCount, TagRow

if TYPE_CHECKING:
    from .search import Query

F, T = FacetCount, TagRow
FACET_TAGS = 100  # the most frequent tags; counts are over the whole result
Counted = tuple[int, dict[str, dict[str, int]]]


class FacetCache:
    """Totals and facets by query and index generation: paging and re-sorting reuse them."""

    def __init__(self, size: int = 256):  # 0: no cache
        self.size = size
        self._data: OrderedDict[tuple, Counted] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> Counted | None:
        with self._lock:
            found = self._data.get(key)
            if found is not None:
                self._data.move_to_end(key)
            return found

    def put(self, key: tuple, value: Counted) -> None:
        with self._lock:
            self._data[key] = value
            while len(self._data) > self.size:
                self._data.popitem(last=False)


class ResultCache(FacetCache):
    """Whole search answers by (generation, query, cursor, limit).

    Many users ask the same few things (the sidebar's first page, a common word), so
    a repeated search costs a dictionary look-up on the event loop instead of a query
    in a worker thread. The generation in the key retires every entry at the first
    write; the cached answers are never handed out to be changed.
    """


def browse_facets(conn: Connection, query: Query) -> Counted:
    """Browsing: summed from the per-folder counts, without reading a single asset row."""
    where = [F.scope_key.in_(query.keys)]
    if query.types:
        where.append(F.type.in_(query.types))
    n = func.sum(F.n)
    by_type = select(F.type, n).where(*where, F.tag == "").group_by(F.type)
    by_tag = (
        select(F.tag, n)
        .where(*where, F.tag != "")
        .group_by(F.tag)
        .order_by(n.desc(), F.tag)
        .limit(FACET_TAGS)
    )
    types = {t: int(c) for t, c in conn.execute(by_type)}
    tags = {t: int(c) for t, c in conn.execute(by_tag)}
    return sum(types.values()), {"type": types, "tag": tags}


def match_facets(conn: Connection, m: CTE) -> Counted:
    """Type and tag counts of all matches in one statement (the matches are found once)."""
    n = func.count().label("n")
    by_tag = (
        select(T.tag, n)
        .where(T.asset_id.in_(select(m.c.id)))  # drives from the matches, whatever m's size
        .group_by(T.tag)
        .order_by(n.desc(), T.tag)
        .limit(FACET_TAGS)
        .subquery()
    )
    stmt = union_all(
        select(literal("type").label("kind"), m.c.type.label("value"), func.count()).group_by(
            m.c.type
        ),
        select(literal("tag"), by_tag.c.tag, by_tag.c.n),
    )
    found: dict[str, dict[str, int]] = {"type": {}, "tag": {}}
    for kind, value, count in conn.execute(stmt):
        found[kind][value] = int(count)
    return sum(found["type"].values()), found
