"""Executed notebooks rendered as HTML pages, with their untrusted output made harmless.

nbconvert's HTML exporter sanitises the HTML of Markdown cells and outputs (scripts,
event handlers and the like removed); the pages are also served with a Content
Security Policy that runs no script and loads nothing but inline styles and images.
Blocking: run it off the event loop.
"""

from __future__ import annotations

import threading
from typing import Any

MAX_NOTEBOOK_BYTES = 32 << 20
MAX_HTML_CHARS = 96 << 20
# what a rendered page may do: show itself (inline styles, embedded images), nothing else
PAGE_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

_lock = threading.Lock()
_made: list[Any] = []


class NotANotebook(ValueError):
    """The file does not parse as a notebook."""


class TooLarge(ValueError):
    """The page would be larger than MAX_HTML_CHARS."""


def _exporter() -> Any:
    """The one exporter, made on first use (its first page loads the templates: seconds)."""
    if not _made:
        from nbconvert import HTMLExporter

        _made.append(HTMLExporter(template_name="lab", sanitize_html=True))
    return _made[0]


def notebook_html(data: bytes) -> str:
    """The HTML page of a notebook's bytes."""
    import nbformat

    # a notebook written by anyone: nbformat's and nbconvert's errors have no common base
    try:
        node = nbformat.reads(data.decode("utf-8"), as_version=4)
        with _lock:  # one page at a time: an exporter is not known to be thread-safe
            body, _ = _exporter().from_notebook_node(node)
    except Exception as e:
        raise NotANotebook(str(e)[:200]) from None
    if len(body) > MAX_HTML_CHARS:
        raise TooLarge(f"the rendered notebook is larger than {MAX_HTML_CHARS} characters")
    return body
