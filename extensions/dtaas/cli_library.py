"""``dtaas library search|show|validate|reindex``: the library from a terminal.

Calls go through the workspace server (``dtaas/api/library/...``), which asks the
library service as the same user.
"""

from __future__ import annotations

import argparse
import json
import urllib.parse
from pathlib import Path
from typing import Any

ASSET_TYPES = ("digital_twins", "functions", "models", "tools", "data")
OK, PROBLEMS, USAGE = 0, 1, 2


def format_table(items: list[dict[str, Any]]) -> str:
    rows = [("SCOPE", "TYPE", "NAME", "TITLE")]
    rows += [(i["scope"], i["type"], i["name"], i["title"][:60]) for i in items]
    widths = [max(len(r[c]) for r in rows) for c in range(3)]
    return "\n".join("  ".join(r[c].ljust(widths[c]) for c in range(3)) + "  " + r[3] for r in rows)


def format_facets(facets: dict[str, dict[str, int]]) -> str:
    parts = []
    for name in ("type", "tag"):
        counts = facets.get(name) or {}
        top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:8]
        if top:
            parts.append(f"{name}: " + ", ".join(f"{k} {v}" for k, v in top))
    return "; ".join(parts)


def infer_type(path: Path) -> str:
    """dt.yaml is a DT's; an asset.yaml belongs to the type folder it sits under."""
    if path.name == "dt.yaml":
        return "digital_twins"
    for parent in path.resolve().parents:
        if parent.name in ASSET_TYPES:
            return parent.name
    return "models"


def cmd_search(client, args: argparse.Namespace) -> int:
    query: list[tuple[str, str]] = []
    if args.text:
        query.append(("q", " ".join(args.text)))
    query += [("type", t) for t in args.types or []]
    query += [("tag", t) for t in args.tags or []]
    for key in ("scope", "author", "sort"):
        if getattr(args, key):
            query.append((key, getattr(args, key)))
    query.append(("limit", str(args.limit)))
    endpoint = "library/search?" + urllib.parse.urlencode(query)
    result = client.call("GET", endpoint)
    items = result["items"]
    while args.all and result.get("next_cursor"):
        result = client.call(
            "GET", endpoint + "&cursor=" + urllib.parse.quote(result["next_cursor"])
        )
        items += result["items"]
    if args.json:
        print(json.dumps(items, indent=2))
        return OK
    print(format_table(items))
    shown = f"{len(items)} of {result['total']}"
    facets = format_facets(result.get("facets") or {})
    print(f"\n{shown}" + (f"  ({facets})" if facets else ""))
    return OK


def cmd_show(client, args: argparse.Namespace) -> int:
    ref = args.ref.strip("/")
    if ref.count("/") != 2:
        print("dtaas: asset must be SCOPE/TYPE/NAME, e.g. common/digital_twins/mass-spring-damper")
        return USAGE
    scope, asset_type, name = ref.split("/")
    parts = "/".join(urllib.parse.quote(p, safe=":") for p in (scope, asset_type, name))
    detail = client.call("GET", f"library/assets/{parts}")
    if args.json:
        print(json.dumps(detail, indent=2))
        return OK
    print(f"{detail['title']}  ({detail['scope']} {detail['type']})")
    print(f"path: {detail['path']}")
    if detail.get("description"):
        print(f"\n{detail['description']}\n")
    if detail.get("tags"):
        print("tags: " + ", ".join(detail["tags"]))
    print(f"files: {len(detail.get('files') or [])}, {detail.get('size', 0)} bytes")
    for use in (detail.get("relations") or {}).get("uses") or []:
        print(f"uses: {use['ref']}" + ("  (missing)" if use["missing"] else ""))
    for user in (detail.get("relations") or {}).get("used_by") or []:
        print(f"used by: {user['path']}")
    for p in detail.get("problems") or []:
        line = f":{p['line']}" if p.get("line") else ""
        print(
            f"problem: {p['file']}{line}: {p['field'] + ': ' if p['field'] else ''}{p['message']}"
        )
    return OK


def cmd_validate(client, args: argparse.Namespace) -> int:
    worst = OK
    for name in args.files:
        path = Path(name)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            print(f"{name}: cannot read: {e}")
            worst = PROBLEMS
            continue
        body = {"type": args.type or infer_type(path), "text": text, "file": name}
        result = client.call("POST", "library/validate", body)
        for p in result["problems"]:
            line = f":{p['line']}" if p.get("line") else ""
            field = f" {p['field']}:" if p["field"] else ""
            print(f"{name}{line}:{field} {p['message']}")
        if result["problems"]:
            worst = PROBLEMS
        else:
            print(f"{name}: valid")
    return worst


def cmd_reindex(client, args: argparse.Namespace) -> int:
    result = client.call("POST", "library/reindex", {})
    print(f"the library index holds {result['assets']} assets")
    return OK


def add_library_commands(sub, conn: argparse.ArgumentParser) -> None:
    """``dtaas library ...`` under the main parser's subcommands."""
    library = sub.add_parser("library", help="search and check the digital twin library")
    lsub = library.add_subparsers(dest="library_command", required=True, metavar="COMMAND")

    search = lsub.add_parser("search", parents=[conn], help="search the library")
    search.add_argument("text", nargs="*", help="words to find in titles, descriptions, READMEs")
    search.add_argument("--type", dest="types", action="append", choices=ASSET_TYPES)
    search.add_argument("--scope", help="mine, common or group:NAME")
    search.add_argument("--tag", dest="tags", action="append")
    search.add_argument("--author")
    search.add_argument("--sort", choices=["relevance", "title", "name", "modified", "-modified"])
    search.add_argument("--limit", type=int, default=50)
    search.add_argument("--all", action="store_true", help="follow every page")
    search.add_argument("--json", action="store_true")
    search.set_defaults(func=cmd_search)

    show = lsub.add_parser("show", parents=[conn], help="one asset: SCOPE/TYPE/NAME")
    show.add_argument("ref", metavar="SCOPE/TYPE/NAME")
    show.add_argument("--json", action="store_true")
    show.set_defaults(func=cmd_show)

    validate = lsub.add_parser("validate", parents=[conn], help="check dt.yaml / asset.yaml files")
    validate.add_argument("files", nargs="+", metavar="FILE")
    validate.add_argument("--type", choices=ASSET_TYPES, help="asset type (default: inferred)")
    validate.set_defaults(func=cmd_validate)

    reindex = lsub.add_parser("reindex", parents=[conn], help="rebuild the index (admins)")
    reindex.set_defaults(func=cmd_reindex)
