"""The library's search index: every library's assets in a database, kept current."""

from .manager import LibraryIndex

__all__ = ["LibraryIndex"]
