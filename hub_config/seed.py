"""Seed the common library from ``examples/`` at every hub start."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from asset_library.catalog import ASSET_TYPES

# in a checkout the examples sit beside the packages; a wheel puts them in share/
_CHECKOUT_EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
EXAMPLES = (
    _CHECKOUT_EXAMPLES
    if _CHECKOUT_EXAMPLES.is_dir()
    else Path(sys.prefix) / "share" / "dtaas" / "examples"
)


def seed_common(common_dir: Path, examples: Path = EXAMPLES) -> list[str]:
    """Copy every example asset into the common library, refreshing older copies.

    Files the examples do not have are left alone, so assets published to the
    common library by other means survive.
    """
    seeded = []
    for asset_type in ASSET_TYPES:
        src = examples / asset_type
        if not src.is_dir():
            continue
        for entry in sorted(src.iterdir()):
            if entry.name.startswith("."):
                continue
            dest = common_dir / asset_type / entry.name
            if entry.is_dir():
                shutil.copytree(
                    entry,
                    dest,
                    dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"),
                )
            else:
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(entry, dest)
            seeded.append(f"{asset_type}/{entry.name}")
    templates = examples / "templates"
    if templates.is_dir():
        shutil.copytree(
            templates,
            common_dir / "templates",
            dirs_exist_ok=True,
            ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"),
        )
        seeded += [f"templates/{t.name}" for t in sorted(templates.iterdir())]
    return seeded
