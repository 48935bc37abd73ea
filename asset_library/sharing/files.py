"""Copies, digests and diffs of asset folders, for forks and publishing (no web code).

Every copy is built in a hidden staging folder beside its target and renamed into place,
so nobody sees half an asset. Symlinks, hidden names and the ``state/`` a twin's runs
keep are never copied: they are not part of what is shared.
"""

from __future__ import annotations

import difflib
import hashlib
import os
import re
import secrets
import shutil
from pathlib import Path
from typing import Any

from ..catalog import part_of_asset
from ..fsutil import own_like, read_bytes_bounded, write_bytes_atomic

MAX_COPY_BYTES = 512 << 20
MAX_COPY_FILES = 10_000
MAX_DIFF_FILE = 256 << 10  # larger files are compared by hash only
MAX_DIFF_TEXT = 20_000  # characters of unified diff kept per file
SKIPPED = {"state"}  # top-level folders of a twin that belong to its runs


class CopyError(ValueError):
    """A copy that cannot be made; the message says why."""


def plain_files(root: Path) -> list[str]:
    """Relative paths of the regular files to copy, sorted; raises past the limits."""
    if root.is_file() and not root.is_symlink():
        return [""]
    out: list[str] = []
    total = 0
    for folder, dirs, files in os.walk(root):
        rel = Path(folder).relative_to(root)
        dirs[:] = sorted(
            d
            for d in dirs
            if part_of_asset(d)
            and not (Path(folder) / d).is_symlink()
            and not (rel == Path(".") and d in SKIPPED)
        )
        for name in sorted(files):
            path = Path(folder) / name
            if not part_of_asset(name) or path.is_symlink() or not path.is_file():
                continue
            total += path.stat().st_size
            out.append(str(rel / name) if rel != Path(".") else name)
            if len(out) > MAX_COPY_FILES or total > MAX_COPY_BYTES:
                raise CopyError(
                    f"{root.name} holds more than {MAX_COPY_FILES} files or "
                    f"{MAX_COPY_BYTES >> 20} MiB"
                )
    return out


def digest(root: Path) -> str:
    """sha256 over an asset's copied files (paths and bytes): which version was taken."""
    h = hashlib.sha256()
    for rel in plain_files(root):
        h.update(rel.encode() + b"\0")
        with open(root / rel if rel else root, "rb") as f:
            while chunk := f.read(1 << 20):
                h.update(chunk)
        h.update(b"\0")
    return f"sha256:{h.hexdigest()}"


def copy_asset(source: Path, target: Path, owner_of: Path, mode: int | None = None) -> None:
    """Copy ``source`` (a folder or a file asset) to ``target``, which must not exist.

    Files end up owned like ``owner_of`` (the library they land in); ``mode`` makes
    them readable by everyone (common).
    """
    if target.exists() or target.is_symlink():
        raise FileExistsError(str(target))
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.parent / f".copy-{target.name}-{secrets.token_hex(4)}"
    try:
        files = plain_files(source)
        if files == [""]:
            shutil.copyfile(source, staging)
        else:
            staging.mkdir()
            for rel in files:
                dest = staging / rel
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source / rel, dest)
        if mode is not None:
            _readable(staging)
        own_like(staging, owner_of)
        os.rename(staging, target)
    finally:
        if staging.is_dir():
            shutil.rmtree(staging, ignore_errors=True)
        elif staging.exists():
            staging.unlink()


def replace_with(source: Path, target: Path, owner_of: Path) -> None:
    """Make ``target`` a copy of ``source``: the new copy is renamed over the old one,
    which is removed after; readers see the old asset or the new, never a mix."""
    fresh = target.parent / f".new-{target.name}-{secrets.token_hex(4)}"
    copy_asset(source, fresh, owner_of, mode=0o644)
    old = target.parent / f".old-{target.name}-{secrets.token_hex(4)}"
    try:
        if target.exists():
            os.rename(target, old)
        os.rename(fresh, target)
    finally:
        for leftover in (old, fresh):
            if leftover.is_dir():
                shutil.rmtree(leftover, ignore_errors=True)
            elif leftover.exists():
                leftover.unlink()


def _readable(path: Path) -> None:
    """Folders 0755, files 0644: common is read by every workspace account."""
    if path.is_file():
        path.chmod(0o644)
        return
    path.chmod(0o755)
    for folder, dirs, files in os.walk(path):
        for d in dirs:
            os.chmod(os.path.join(folder, d), 0o755)
        for f in files:
            os.chmod(os.path.join(folder, f), 0o644)


TOP_KEY = r"^{key}:.*(\n[ \t]+.*)*\n?"


def set_top_level(manifest: Path, key: str, block: str) -> None:
    """Set ``key`` of a YAML manifest to the YAML ``block`` (``key: ...`` lines), keeping
    the rest of the file, comments included, as it was."""
    data = read_bytes_bounded(manifest, 1 << 20) if manifest.exists() else b""
    text = (data or b"").decode("utf-8")
    pattern = re.compile(TOP_KEY.format(key=re.escape(key)), re.MULTILINE)
    if pattern.search(text):
        text = pattern.sub(lambda _m: block.rstrip("\n") + "\n", text, count=1)
    else:
        text = (text if not text or text.endswith("\n") else text + "\n") + block
    write_bytes_atomic(manifest, text.encode("utf-8"))


def diff_trees(new: Path | None, old: Path | None) -> list[dict[str, Any]]:
    """What changes from ``old`` to ``new``, per file: added, removed or changed, with a
    unified diff of text files (cut)."""
    new_files = _by_path(new)
    old_files = _by_path(old)
    out = []
    for rel in sorted(set(new_files) | set(old_files)):
        a, b = old_files.get(rel), new_files.get(rel)
        if a and b and _same(a, b):
            continue
        status = "added" if a is None else "removed" if b is None else "changed"
        out.append(
            {"path": rel or (new or old).name, "status": status, "diff": _text_diff(a, b, rel)}
        )
    return out


def _by_path(root: Path | None) -> dict[str, Path]:
    if root is None or not root.exists():
        return {}
    return {rel: (root / rel if rel else root) for rel in plain_files(root)}


def _same(a: Path, b: Path) -> bool:
    if a.stat().st_size != b.stat().st_size:
        return False
    return _sha(a) == _sha(b)


def _sha(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def _text(path: Path | None) -> list[str] | None:
    if path is None:
        return []
    data = read_bytes_bounded(path, MAX_DIFF_FILE)
    if data is None or b"\0" in data:
        return None
    try:
        return data.decode("utf-8").splitlines(keepends=True)
    except UnicodeDecodeError:
        return None


def _text_diff(old: Path | None, new: Path | None, rel: str) -> str:
    a, b = _text(old), _text(new)
    if a is None or b is None:
        return "(binary or large file)"
    text = "".join(difflib.unified_diff(a, b, f"common/{rel}", f"requested/{rel}"))
    return text if len(text) <= MAX_DIFF_TEXT else text[:MAX_DIFF_TEXT] + "\n… (cut)\n"
