"""Tables of the search index: derived from the files, so they can be dropped and rebuilt."""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

SCHEMA_VERSION = "3"

# INTEGER PRIMARY KEY on SQLite is the rowid itself: the FTS table joins on it for free
Id = BigInteger().with_variant(Integer, "sqlite")
NO_ROWID = {"sqlite_with_rowid": False}  # small link tables: the primary key is the table


class Base(DeclarativeBase):
    pass


class AssetRow(Base):
    """What searches filter and sort on, kept narrow so scanning many matches stays cheap."""

    __tablename__ = "assets"
    # ids are handed out by the writer (meta next_id), never reused: the cursor tiebreaker
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=False)
    scope_key: Mapped[str] = mapped_column(String)
    type: Mapped[str] = mapped_column(String)
    name: Mapped[str] = mapped_column(String)
    title_key: Mapped[str] = mapped_column(Text)  # casefolded title: sort and relevance
    tags_text: Mapped[str] = mapped_column(Text)  # casefolded tags: relevance
    modified: Mapped[float] = mapped_column(Float)

    __table_args__ = (
        Index("ix_assets_folder", "scope_key", "type", "name", unique=True),
        Index("ix_assets_title", "scope_key", "title_key", "id"),
        Index("ix_assets_modified", "scope_key", "modified", "id"),
        Index("ix_assets_name", "scope_key", "name", "id"),
    )


class DocRow(Base):
    """The rest of the catalog entry, its README, and the text the full-text index reads."""

    __tablename__ = "asset_docs"
    id: Mapped[int] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"), primary_key=True)
    scope: Mapped[str] = mapped_column(String)
    path: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(String)
    title: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text)
    readme: Mapped[str] = mapped_column(Text)
    tags_text: Mapped[str] = mapped_column(Text)
    filters: Mapped[str] = mapped_column(Text)  # tokens of scope, type, tags, authors
    tags: Mapped[list] = mapped_column(JSON)
    authors: Mapped[list] = mapped_column(JSON)
    version: Mapped[str] = mapped_column(Text)
    steps: Mapped[list] = mapped_column(JSON)
    uses: Mapped[list] = mapped_column(JSON)
    problems: Mapped[list] = mapped_column(JSON)
    size: Mapped[int] = mapped_column(BigInteger)
    digest: Mapped[str] = mapped_column(String)  # of the described asset: skip no-op writes
    sig: Mapped[str] = mapped_column(Text)  # stat stamps: cheap change check on reconcile


class TagRow(Base):
    """Tags (casefolded), with scope and type copied in so a filter reads one index."""

    __tablename__ = "asset_tags"
    asset_id: Mapped[int] = mapped_column(
        ForeignKey("assets.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(String, primary_key=True)
    scope_key: Mapped[str] = mapped_column(String)
    type: Mapped[str] = mapped_column(String)

    __table_args__ = (Index("ix_tags_tag", "tag", "scope_key", "type", "asset_id"), NO_ROWID)


class AuthorRow(Base):
    __tablename__ = "asset_authors"
    asset_id: Mapped[int] = mapped_column(
        ForeignKey("assets.id", ondelete="CASCADE"), primary_key=True
    )
    author_key: Mapped[str] = mapped_column(String, primary_key=True)  # casefolded
    scope_key: Mapped[str] = mapped_column(String)

    __table_args__ = (Index("ix_authors_author", "author_key", "scope_key", "asset_id"), NO_ROWID)


class UseRow(Base):
    """A DT's reference to another asset, resolved to the referenced asset's scope key."""

    __tablename__ = "asset_uses"
    asset_id: Mapped[int] = mapped_column(
        ForeignKey("assets.id", ondelete="CASCADE"), primary_key=True
    )
    ref_scope_key: Mapped[str] = mapped_column(String, primary_key=True)
    ref_type: Mapped[str] = mapped_column(String, primary_key=True)
    ref_name: Mapped[str] = mapped_column(String, primary_key=True)

    __table_args__ = (Index("ix_uses_ref", "ref_scope_key", "ref_type", "ref_name"), NO_ROWID)


class FacetCount(Base):
    """Counts per library folder and tag (tag "" counts the folder's assets).

    Browsing (no text, tag or author filter) reads its total and facets here instead of
    counting tens of thousands of rows per request.
    """

    __tablename__ = "facet_counts"
    scope_key: Mapped[str] = mapped_column(String, primary_key=True)
    type: Mapped[str] = mapped_column(String, primary_key=True)
    tag: Mapped[str] = mapped_column(String, primary_key=True)
    n: Mapped[int] = mapped_column(Integer)


class Meta(Base):
    """schema_version, next_id, and generation (bumped by every write: cache key)."""

    __tablename__ = "index_meta"
    key: Mapped[str] = mapped_column(String, primary_key=True)
    value: Mapped[str] = mapped_column(Text)
