"""The library's search index on a real PostgreSQL server, started here for these tests.

Needs Debian's PostgreSQL 15 (``/usr/lib/postgresql/15/bin``) and psycopg 3. As root the
server runs as the ``postgres`` user.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from asset_library.index import LibraryIndex
from tests.postgres import PG_BIN, Postgres
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
