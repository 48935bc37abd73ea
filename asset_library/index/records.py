"""One asset as the index stores it: ``catalog.describe`` plus keys, digest and stat stamps."""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import fields
from typing import Any

from .. import validation
from ..catalog import ASSET_TYPES, Asset, describe
from .scan import Folder, signature

log = logging.getLogger("dtaas.library.index")

# describe() imports validation (and jsonschema) on first use and compiles the schemas
# then; doing both now keeps that second out of the first change a watcher indexes.
for _type in ASSET_TYPES:
    validation.schema_for(_type)

# Asset.to_dict() keys without the README: what a search result item carries
ITEM_FIELDS = tuple(f.name for f in fields(Asset) if f.name != "readme")
MAX_KEY = 255


def token(kind: str, value: str) -> str:
    """A filter value as one full-text token: letters and digits only, never a real word.

    kind: s scope key, t type, g tag, a author.
    """
    return f"k{kind}{hashlib.blake2b(value.encode(), digest_size=8).hexdigest()}"


def filter_tokens(scope_key: str, asset_type: str, tags: list[str], authors: list[str]) -> str:
    words = [token("s", scope_key), token("t", asset_type)]
    words += [token("g", t) for t in tags] + [token("a", a) for a in authors]
    return " ".join(words)


def resolve_ref(ref: str, own_scope: str) -> tuple[str, str, str] | None:
    """``mine/functions/solver`` -> (own scope, "functions", "solver"); None if malformed.

    "mine" is the library the DT itself lives in (``user:<owner>`` for a private DT).
    """
    parts = ref.strip().split("/")
    if len(parts) != 3 or parts[1] not in ASSET_TYPES or not parts[2]:
        return None
    scope = parts[0]
    if scope == "mine":
        scope = own_scope
    elif scope != "common" and not scope.startswith(("group:", "user:")):
        return None
    return scope, parts[1], parts[2]


def _keys(values: list[str]) -> list[str]:
    """Distinct casefolded keys, in order: tags and authors match regardless of case."""
    seen: dict[str, None] = {}
    for v in values:
        k = v.strip().casefold()[:MAX_KEY]
        if k:
            seen.setdefault(k)
    return list(seen)


def _clean(value: Any) -> Any:
    """Text every database stores: no NUL characters, no undecodable file-name bytes."""
    if isinstance(value, str):
        value = value.replace("\x00", "")
        try:
            value.encode()
        except UnicodeEncodeError:
            value = value.encode("utf-8", "replace").decode()
        return value
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def build_record(f: Folder, name: str) -> dict[str, Any] | None:
    """Describe one asset; any failure becomes a problem on a minimal entry, never a raise.

    None: the entry is gone (removed while the scan ran).
    """
    sig = signature(f, name)  # before reading: a change during describe shows up next time
    if sig == "-":
        return None
    rel = f.rel(name)
    try:
        asset = describe(f.dir / name, f.type, f.scope_key, rel)
    except Exception as e:  # one unreadable asset must not stop an index build
        log.warning("index: cannot describe %s: %s", f.dir / name, e)
        asset = Asset(f.type, name, f.scope_key, rel, title=name, description="")
        asset.problems.append(f"index: cannot read this asset: {type(e).__name__}: {e}")
    data = {k: _clean(v) for k, v in asset.to_dict(readme=True).items()}
    asset = Asset(**data)
    digest = hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()
    tags, authors = _keys(asset.tags), _keys(asset.authors)
    uses = {r for u in asset.uses if (r := resolve_ref(u, f.scope_key))}
    return {
        **data,
        "scope_key": f.scope_key,
        "title_key": asset.title.casefold(),
        "tags_text": " ".join(tags),
        "filters": filter_tokens(f.scope_key, f.type, tags, authors),
        "digest": digest[:32],
        "sig": sig,
        "_tags": tags,
        "_authors": authors,
        "_uses": sorted(uses),
    }


def describe_chunk(f: Folder, names: list[str]) -> list[tuple[str, dict[str, Any] | None]]:
    """Worker entry point: a chunk of one folder's assets."""
    return [(n, build_record(f, n)) for n in names]
