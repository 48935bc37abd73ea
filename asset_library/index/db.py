"""Engines and schema: SQLite (FTS5) by default, PostgreSQL (tsvector + GIN) by URL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect, select, text
from sqlalchemy.engine import make_url

from .models import SCHEMA_VERSION, Base, Meta

# External-content FTS5 table kept in step with ``asset_docs`` by triggers, so every write
# updates the text index in the same transaction. detail=column: enough for "does it match"
# and for column filters (words never match the ``filters`` tokens, filters only match
# there); relevance is computed from the row itself (see search.py).
FTS_COLUMNS = "name, title, description, readme, tags_text, filters"
_NEW = ", ".join(f"new.{c}" for c in FTS_COLUMNS.split(", "))
_OLD = ", ".join(f"old.{c}" for c in FTS_COLUMNS.split(", "))
SQLITE_FTS = [
    f"""CREATE VIRTUAL TABLE IF NOT EXISTS assets_fts USING fts5({FTS_COLUMNS},
        content='asset_docs', content_rowid='id', detail=column, prefix='2 3',
        tokenize='unicode61 remove_diacritics 2')""",
    f"""CREATE TRIGGER IF NOT EXISTS assets_fts_ai AFTER INSERT ON asset_docs BEGIN
        INSERT INTO assets_fts(rowid, {FTS_COLUMNS}) VALUES (new.id, {_NEW});
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS assets_fts_ad AFTER DELETE ON asset_docs BEGIN
        INSERT INTO assets_fts(assets_fts, rowid, {FTS_COLUMNS})
        VALUES ('delete', old.id, {_OLD});
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS assets_fts_au AFTER UPDATE OF {FTS_COLUMNS}
    ON asset_docs BEGIN
        INSERT INTO assets_fts(assets_fts, rowid, {FTS_COLUMNS})
        VALUES ('delete', old.id, {_OLD});
        INSERT INTO assets_fts(rowid, {FTS_COLUMNS}) VALUES (new.id, {_NEW});
    END""",
]


# A generated tsvector: PostgreSQL keeps it current on every insert and update. Text is
# split at every non-alphanumeric character first, as SQLite's tokenizer does, so that
# "series-07.csv" is three words on both, not one file name.
def _pg_words(expr: str) -> str:
    return f"to_tsvector('simple', regexp_replace({expr}, '[^[:alnum:]]+', ' ', 'g'))"


POSTGRES_FTS = [
    f"""ALTER TABLE asset_docs ADD COLUMN IF NOT EXISTS fts tsvector GENERATED ALWAYS AS (
        setweight({_pg_words("coalesce(name, '') || ' ' || coalesce(title, '')")}, 'A')
        || setweight({_pg_words("coalesce(tags_text, '')")}, 'B')
        || setweight({_pg_words("coalesce(description, '')")}, 'C')
        || setweight({_pg_words("coalesce(readme, '')")}, 'D')) STORED""",
    "CREATE INDEX IF NOT EXISTS ix_docs_fts ON asset_docs USING GIN (fts)",
]

SQLITE_PRAGMAS = [
    "PRAGMA journal_mode=WAL",  # readers never wait for the writer
    "PRAGMA synchronous=NORMAL",  # the index is derived data: durability of the last commit
    "PRAGMA journal_size_limit=67108864",  # a rebuild's WAL does not stay on disk
    "PRAGMA foreign_keys=ON",
    "PRAGMA temp_store=MEMORY",
    "PRAGMA cache_size=-16384",  # 16 MiB per connection: the hot tables, not the READMEs
]


def default_url(data_dir: Path) -> str:
    return f"sqlite:///{data_dir / 'library' / 'index.sqlite'}"


def make_engine(url: str) -> Engine:
    """An engine whose write transactions take the write lock up front on SQLite."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 60})

    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # transactions are begun below, explicitly
        cur = dbapi_conn.cursor()
        for pragma in SQLITE_PRAGMAS:
            cur.execute(pragma)
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        # IMMEDIATE: a writer that first reads cannot fail to upgrade its lock later
        write = conn.get_execution_options().get("index_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


def is_sqlite(engine_or_conn: Engine | Connection) -> bool:
    return engine_or_conn.dialect.name == "sqlite"


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """One write transaction: everything in it becomes visible to searches at once."""
    with engine.connect() as conn:
        conn.execution_options(index_write=True)
        with conn.begin():
            yield conn


@contextmanager
def reading(engine: Engine) -> Iterator[Connection]:
    """One read snapshot, so a page and its facets describe the same index state."""
    with engine.connect() as conn:
        if not is_sqlite(conn):
            conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            yield conn


def fts_pause(conn: Connection) -> None:
    """Stop indexing text as rows are written (SQLite; within the caller's transaction)."""
    for trigger in ("assets_fts_ai", "assets_fts_ad", "assets_fts_au"):
        conn.execute(text(f"DROP TRIGGER IF EXISTS {trigger}"))


def fts_resume(conn: Connection) -> None:
    """Index all text from scratch in one pass, then keep it current again."""
    conn.execute(text("INSERT INTO assets_fts(assets_fts) VALUES ('rebuild')"))
    for ddl in SQLITE_FTS[1:]:
        conn.execute(text(ddl))


def _drop_all(conn: Connection) -> None:
    if is_sqlite(conn):
        conn.exec_driver_sql("DROP TABLE IF EXISTS assets_fts")
    Base.metadata.drop_all(conn)


def init_schema(engine: Engine) -> None:
    """Create the tables; an index of another schema version is dropped (it is derived)."""
    with writing(engine) as conn:
        version = None
        if inspect(conn).has_table(Meta.__tablename__):
            version = conn.scalar(select(Meta.value).where(Meta.key == "schema_version"))
        if version == SCHEMA_VERSION:
            return
        _drop_all(conn)
        Base.metadata.create_all(conn)
        for ddl in SQLITE_FTS if is_sqlite(conn) else POSTGRES_FTS:
            conn.execute(text(ddl))
        conn.execute(
            Meta.__table__.insert(),
            [
                {"key": "schema_version", "value": SCHEMA_VERSION},
                {"key": "next_id", "value": "1"},
                {"key": "generation", "value": "0"},
            ],
        )
