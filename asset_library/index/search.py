"""Search queries: visibility first, then text, filters, keyset pages and facets.

Two plans. Browsing (only visibility and type filters) reads each visible library's
sort index from the cursor on and merges them, and takes its facets from the
precomputed counts. Everything else first collects the matching ids (text matches come
from the full-text index, which also holds the scope, type, tag and author as tokens, so
it hands back visible matches only) and pages and counts over that set.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    CTE,
    ColumnElement,
    Connection,
    Select,
    case,
    exists,
    func,
    literal_column,
    select,
    text,
    tuple_,
    union_all,
)

from . import cursor as cursors
from .db import is_sqlite
from .facets import FacetCache, browse_facets, match_facets
from .models import AssetRow, AuthorRow, DocRow, Meta, TagRow
from .records import ITEM_FIELDS, token

A, D, T, W = AssetRow, DocRow, TagRow, AuthorRow
SORTS = ("relevance", "title", "-modified", "modified", "name")
MAX_LIMIT = 500
MAX_WORDS = 8
_FROM_ASSETS = {"type", "name", "modified"}
ITEM_COLUMNS = [getattr(A if f in _FROM_ASSETS else D, f) for f in ITEM_FIELDS] + [A.scope_key]


@dataclass(frozen=True)
class Query:
    keys: tuple[str, ...]  # scope keys searched: visible ones, narrowed by the scope filter
    words: tuple[str, ...]
    prefix: bool  # the last word is still being typed
    types: tuple[str, ...]
    tags: tuple[str, ...]
    author: str | None
    sort: str

    @property
    def browsing(self) -> bool:
        return not (self.words or self.tags or self.author)

    def facet_key(self) -> tuple:
        return (self.keys, self.words, self.prefix, self.types, self.tags, self.author)


def words_of(q: str | None) -> tuple[tuple[str, ...], bool]:
    """Words as the full-text tokenizers split them (letters and digits), casefolded."""
    if not q:
        return (), False
    words = tuple(re.findall(r"[^\W_]+", q.casefold()))[:MAX_WORDS]
    return words, bool(words) and not q[-1].isspace()


def make_query(
    visible: Sequence[str],
    q: str | None,
    types: Sequence[str],
    scope: str | None,
    tags: Sequence[str],
    author: str | None,
    sort: str,
) -> Query | None:
    """None when nothing can match (a scope the user may not read)."""
    if sort not in SORTS:
        raise ValueError("sort")
    keys = tuple(sorted(set(visible)))
    if scope is not None:
        if scope not in keys:
            return None
        keys = (scope,)
    if not keys:
        return None
    words, prefix = words_of(q)
    if sort == "relevance" and not words:
        sort = "title"  # nothing to rank by
    tag_keys = tuple(sorted({t.strip().casefold() for t in tags if t.strip()}))
    author_key = author.strip().casefold() if author and author.strip() else None
    return Query(keys, words, prefix, tuple(sorted(set(types))), tag_keys, author_key, sort)


def item(row: Any) -> dict[str, Any]:
    """A result as ``Asset.to_dict()`` gives it, plus the owner's scope key."""
    return {f: row[i] for i, f in enumerate(ITEM_FIELDS)} | {"scope_key": row.scope_key}


def items(conn: Connection, ids: list[int]) -> list[dict[str, Any]]:
    if not ids:
        return []
    stmt = select(*ITEM_COLUMNS, A.id).join(D, D.id == A.id).where(A.id.in_(ids))
    found = {r.id: item(r) for r in conn.execute(stmt)}
    return [found[i] for i in ids if i in found]


# --- which rows match ------------------------------------------------------------------


def _fts_match(query: Query) -> str:
    """An FTS5 query: the words in the text columns, the filters in the token column."""
    words = [f'"{w}"' for w in query.words]
    if query.prefix:
        words[-1] += "*"
    parts = [f"(- filters : ({' '.join(words)}))"]
    groups = [[token("s", k) for k in query.keys]]
    if query.types:
        groups.append([token("t", t) for t in query.types])
    groups += [[token("g", t)] for t in query.tags]
    if query.author:
        groups.append([token("a", query.author)])
    parts += ["(filters : (" + " OR ".join(f'"{t}"' for t in g) + "))" for g in groups]
    return " AND ".join(parts)


def _ts_query(query: Query) -> str:
    terms = list(query.words)
    if query.prefix:
        terms[-1] += ":*"
    return " & ".join(terms)


def _score(query: Query) -> ColumnElement[int]:
    """Relevance from the row alone (title, tags, name), so cursors stay valid as the
    index grows; descriptions and READMEs make a row match but do not rank it."""
    weights = ((A.title_key, 4), (A.tags_text, 2), (func.lower(A.name), 1))
    terms = [
        case((col.contains(w, autoescape=True), weight), else_=0)
        for w in query.words
        for col, weight in weights
    ]
    total = terms[0]
    for term in terms[1:]:
        total = total + term
    return total


def _exact_filters(query: Query, driven: bool) -> list[ColumnElement[bool]]:
    """The filters every result must pass, checked on the row itself.

    ``driven``: rows come from the full-text index, so tag and author are checked per
    row; otherwise the tag and author lists pick the rows.
    """
    where: list[ColumnElement[bool]] = [A.scope_key.in_(query.keys)]
    if query.types:
        where.append(A.type.in_(query.types))
    for tag in query.tags:
        if driven:
            where.append(exists().where(T.asset_id == A.id, T.tag == tag))
        else:
            tagged = select(T.asset_id).where(T.tag == tag, T.scope_key.in_(query.keys))
            where.append(A.id.in_(tagged))
    if query.author:
        if driven:
            where.append(exists().where(W.asset_id == A.id, W.author_key == query.author))
        else:
            by = select(W.asset_id).where(W.author_key == query.author, W.scope_key.in_(query.keys))
            where.append(A.id.in_(by))
    return where


def matches(conn: Connection, query: Query, sorting: bool = True) -> CTE:
    """The matching rows (with their sort keys if ``sorting``) as a CTE to page or count.

    SQLite: the full-text index yields only visible rows (scope tokens), so the rows to
    look up are the matches the user may see, however large the whole index.
    """
    columns = [A.id, A.type]
    if sorting:
        columns += [A.title_key, A.name, A.modified]
        if query.sort == "relevance":
            columns.append(_score(query).label("score"))
    stmt = select(*columns)
    if not query.words:
        return stmt.where(*_exact_filters(query, driven=False)).cte("m")
    if is_sqlite(conn):
        fts = (
            select(literal_column("rowid").label("rid"))
            .select_from(text("assets_fts"))
            .where(text("assets_fts MATCH :fts").bindparams(fts=_fts_match(query)))
            .cte("f")
            .prefix_with("MATERIALIZED")  # drive from the matches, not from a sort index
        )
        stmt = stmt.select_from(fts).join(A, A.id == fts.c.rid)
    else:
        text_match = text("asset_docs.fts @@ to_tsquery('simple', :tsq)")
        stmt = stmt.join(D, D.id == A.id).where(text_match.bindparams(tsq=_ts_query(query)))
    return stmt.where(*_exact_filters(query, driven=True)).cte("m")


# --- pages -----------------------------------------------------------------------------


def _keys(source: Any, sort: str) -> tuple[list[Any], bool]:
    """Sort key columns of ``source`` (ending in the unique id), and whether descending."""
    c = source.c if hasattr(source, "c") else source
    if sort == "relevance":
        return [(-c.score).label("neg_score"), c.title_key, c.id], False
    if sort == "title":
        return [c.title_key, c.id], False
    if sort == "name":
        return [c.name, c.id], False
    return [c.modified, c.id], sort == "-modified"


def _after(stmt: Select, keys: list[Any], desc: bool, after: list[Any] | None) -> Select:
    if after is not None:
        position, last = tuple_(*keys), tuple_(*after)
        stmt = stmt.where(position < last if desc else position > last)
    return stmt.order_by(*[k.desc() for k in keys] if desc else keys)


def _page(conn: Connection, stmt: Select, limit: int) -> tuple[list[int], list[Any] | None]:
    """Ids of one page (the id is the last sort key) and the keys of its last row if more."""
    rows = conn.execute(stmt.limit(limit + 1)).all()
    last = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = list(rows[-1])
    return [r[-1] for r in rows], last


def page_of_matches(
    conn: Connection, m: CTE, query: Query, after: list[Any] | None, limit: int
) -> tuple[list[int], list[Any] | None]:
    keys, desc = _keys(m, query.sort)
    return _page(conn, _after(select(*keys), keys, desc, after), limit)


def browse_page(
    conn: Connection, query: Query, after: list[Any] | None, limit: int
) -> tuple[list[int], list[Any] | None]:
    """Each visible library read in sort order from its own index, then merged."""
    keys, desc = _keys(A, query.sort)
    parts = []
    for key in query.keys:
        part = select(*keys).where(A.scope_key == key)
        if query.types:
            part = part.where(A.type.in_(query.types))
        parts.append(_after(part, keys, desc, after).limit(limit + 1))
    if len(parts) == 1:
        return _page(conn, parts[0], limit)
    merged = union_all(*[select(p.subquery()) for p in parts]).subquery("u")
    ukeys, _ = _keys(merged, query.sort)
    return _page(
        conn, select(*ukeys).order_by(*[k.desc() for k in ukeys] if desc else ukeys), limit
    )


# --- the whole search --------------------------------------------------------------------


def empty() -> dict[str, Any]:
    return {"items": [], "total": 0, "next_cursor": None, "facets": {"type": {}, "tag": {}}}


def generation_of(conn: Connection) -> str | None:
    """The index's generation: every write bumps it, so it keys what searches cache."""
    return conn.scalar(select(Meta.value).where(Meta.key == "generation"))


def search(
    conn: Connection,
    query: Query,
    cursor: str | None,
    limit: int,
    cache: FacetCache,
    generation: str | None = None,
) -> dict[str, Any]:
    after = cursors.decode(cursor, query.sort) if cursor is not None else None
    if generation is None:
        generation = generation_of(conn)
    cache_key = (generation, *query.facet_key())
    counted = cache.get(cache_key)
    if query.browsing:
        ids, last = browse_page(conn, query, after, limit)
        if counted is None:
            counted = browse_facets(conn, query)
    else:
        ids, last = page_of_matches(conn, matches(conn, query), query, after, limit)
        if counted is None:
            counted = match_facets(conn, matches(conn, query, sorting=False))
    cache.put(cache_key, counted)
    total, facets = counted
    return {
        "items": items(conn, ids),
        "total": total,
        "next_cursor": cursors.encode(query.sort, last) if last is not None else None,
        "facets": facets,
    }
