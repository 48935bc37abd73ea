"""The library's search index on a real PostgreSQL server, started here for these tests.

Needs Debian's PostgreSQL 15 (``/usr/lib/postgresql/15/bin``) and psycopg 3. As root the
server runs as the ``postgres`` user.
"""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from asset_library.index import LibraryIndex
from tests.unit.test_index import (
    ALICE,
    check_facets,
    check_filters,
    check_get_and_used_by,
    check_list_folder,
    check_pages,
    check_rebuild_and_refresh,
    check_sort,
    check_text,
    check_visibility,
    check_watch,
    make_tree,
)

pytestmark = pytest.mark.integration

PG_BIN = Path("/usr/lib/postgresql/15/bin")
_databases = itertools.count()


class Postgres:
    """A throwaway server: its own data folder, a free port, its socket in that folder."""

    def __init__(self) -> None:
        self.base = Path(tempfile.mkdtemp(prefix="dtaas-pg-"))
        self.as_owner: list[str] = []
        if os.geteuid() == 0:  # postgres refuses to run as root
            shutil.chown(self.base, "postgres", "postgres")
            self.as_owner = ["runuser", "-u", "postgres", "--"]
        self.data = self.base / "data"
        self.port = free_port()

    def run(self, *cmd: str | Path) -> None:
        subprocess.run(
            [*self.as_owner, *map(str, cmd)], check=True, capture_output=True, timeout=120
        )

    def start(self) -> Postgres:
        self.run(
            PG_BIN / "initdb",
            "-D",
            self.data,
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C",
        )
        options = f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1 -c fsync=off"
        self.run(
            PG_BIN / "pg_ctl",
            "-D",
            self.data,
            "-l",
            self.base / "log",
            "-w",
            "-o",
            options,
            "start",
        )
        return self

    def stop(self) -> None:
        try:
            self.run(PG_BIN / "pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop")
        finally:
            shutil.rmtree(self.base, ignore_errors=True)

    def new_database(self) -> str:
        import psycopg

        name = f"library{next(_databases)}"
        with psycopg.connect(
            host=str(self.base), port=self.port, user="postgres", dbname="postgres", autocommit=True
        ) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return f"postgresql+psycopg://postgres@/{name}?host={self.base}&port={self.port}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def postgres() -> Iterator[Postgres]:
    if not (PG_BIN / "postgres").exists():
        pytest.fail(
            f"PostgreSQL 15 is not installed ({PG_BIN / 'postgres'} is missing): "
            "apt-get install postgresql-15"
        )
    server = Postgres().start()
    yield server
    server.stop()


@pytest.fixture
def data(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    make_tree(data)
    return data


@pytest.fixture
def index(postgres: Postgres, data: Path) -> Iterator[LibraryIndex]:
    ix = LibraryIndex(data, postgres.new_database())
    assert ix.engine.dialect.name == "postgresql"
    ix.rebuild()
    yield ix
    ix.close()


def test_visibility(index):
    check_visibility(index)


def test_text_search(index):
    check_text(index)


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


def test_nul_characters_are_stored(index, data):
    (data / "common" / "models" / "m" / "README.md").write_text("# M\n\nnul\x00byte here\n")
    index.refresh([data / "common" / "models" / "m" / "README.md"])
    assert [i["name"] for i in index.search(ALICE, q="nulbyte")["items"]] == ["m"]
