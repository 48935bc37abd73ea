"""A snapshot shared with this user, copied into their own store through the library.

The library answers the snapshot's record and its blobs to the people it is shared
with. Each blob this workspace does not hold yet is fetched, checked against its
sha256 and size as it arrives and renamed into place only if it matches; the record
is written last, staged then renamed, with ``imported_from`` naming where it came
from. A copy that fails halfway leaves no snapshot, only blobs that nothing
references (collected later). The normal respawn then works on the copy.
"""

from __future__ import annotations

import asyncio
import copy
import re
from typing import Any

from asset_library.client import LibraryClient

from ..digital_twins import NAME_RE, RequestError
from ..runs.model import utcnow
from ..runs.store import RUN_ID_RE
from .blobs import SHA_RE, BlobMismatch
from .manager import SnapshotManager
from .model import OUTPUTS_PREFIX, STATE_PREFIX, Snapshot
from .store import _safe_rel

OWNER_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
BLOB_TIMEOUT_S = 600.0


def _field(body: dict[str, Any], name: str, pattern: re.Pattern) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not pattern.match(value):
        shown = str(value)[:80]
        raise RequestError(400, f"{name} {shown!r} is not a valid {name}", field=name)
    return value


def _checked(data: Any, owner: str, dt: str, snapshot_id: str) -> Snapshot:
    """The record the library answered, as a Snapshot whose every name is safe."""
    bad = RequestError(502, f"the library answered no usable snapshot {owner}/{dt}/{snapshot_id}")
    if not isinstance(data, dict) or data.get("id") != snapshot_id or data.get("dt") != dt:
        raise bad
    try:
        source = Snapshot.from_dict(data)
    except (TypeError, ValueError):
        raise bad from None
    for entry in source.files:
        if (
            not isinstance(entry.path, str)
            or not entry.path.startswith((STATE_PREFIX, OUTPUTS_PREFIX))
            or not _safe_rel(entry.path)
        ):
            raise RequestError(
                502, f"the snapshot names a file outside its folders: {str(entry.path)[:200]!r}"
            )
    for entry in (*source.files, *source.variables):
        if not isinstance(entry.sha256, str) or not SHA_RE.match(entry.sha256):
            raise bad
        if isinstance(entry.size, bool) or not isinstance(entry.size, int) or entry.size < 0:
            raise bad
    return source


def _scope_for_receiver(scope: str, owner: str) -> str:
    """The owner's own library is ``user:<owner>`` to anyone else; common and group
    libraries are the same for everyone."""
    return f"user:{owner}" if scope == "private" else scope


async def import_snapshot(
    manager: SnapshotManager, library: LibraryClient, body: dict[str, Any]
) -> Snapshot:
    owner = _field(body, "owner", OWNER_RE)
    dt = _field(body, "dt", NAME_RE)
    snapshot_id = _field(body, "id", RUN_ID_RE)
    where = f"results/snapshots/{owner}/{dt}/{snapshot_id}"
    _, data = await library.request("GET", where)
    source = _checked(data, owner, dt, snapshot_id)
    store = manager.store
    await asyncio.to_thread(store._root)  # snapshots/ made, and no link
    sizes = {e.sha256: e.size for e in (*source.files, *source.variables)}
    missing = {sha: size for sha, size in sizes.items() if not store.blobs.has(sha)}
    total = sum(missing.values())
    if total > manager.import_max_bytes:
        raise RequestError(
            413,
            f"the snapshot needs {total} bytes more, above the {manager.import_max_bytes} "
            "an import may bring",
        )
    fetcher = copy.copy(library)
    fetcher.timeout = max(library.timeout, BLOB_TIMEOUT_S)  # a blob may be large
    written = 0
    for sha, size in sorted(missing.items()):
        incoming = await asyncio.to_thread(store.blobs.receive, sha, size)
        try:
            answer = await fetcher.stream(
                f"{where}/blobs/{sha}", "", lambda status, headers: None, incoming.write
            )
            if answer is not None:  # JSON where bytes were expected
                raise BlobMismatch(sha)
            await asyncio.to_thread(incoming.commit)
        except BlobMismatch:
            incoming.abort()
            raise RequestError(
                502,
                f"blob {sha} of snapshot {owner}/{dt}/{snapshot_id} did not match its sha256 "
                "as it arrived; nothing was imported",
                sha256=sha,
            ) from None
        except ConnectionError as e:
            incoming.abort()
            raise RequestError(502, f"the copy of blob {sha} broke off: {e}", sha256=sha) from None
        except BaseException:
            incoming.abort()
            raise
        written += size
    copied = Snapshot.from_dict(source.to_dict())
    copied.id = manager.new_id()
    copied.scope = _scope_for_receiver(source.scope, owner)
    copied.created = utcnow()
    copied.bytes_written = written
    copied.imported_from = {
        "owner": owner,
        "dt": dt,
        "id": snapshot_id,
        "scope": source.scope,
        "created": source.created,
        "at": copied.created,
    }
    await asyncio.to_thread(store.write, copied)
    manager.log.info("imported snapshot %s of %s as %s", snapshot_id, owner, copied.id)
    return copied
