"""``dtaas admin status``: what the hub's DTaaS page shows, in a terminal.

It asks the hub (``/hub/api/dtaas/status``) with an admin's token: the services and
their health, the servers running, the runs and sweeps in flight, the library's size
and the curation queue.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

OK, DOWN = 0, 1


def hub_url(given: str | None, env: dict[str, str]) -> str:
    """``--hub``, else ``$DTAAS_HUB_URL``, else the hub of this workspace; ends in ``/hub/``."""
    url = given or env.get("DTAAS_HUB_URL")
    if not url and env.get("JUPYTERHUB_API_URL"):
        url = env["JUPYTERHUB_API_URL"].rstrip("/").removesuffix("/api")
    if not url:
        raise ValueError("no hub URL: pass --hub or set $DTAAS_HUB_URL")
    url = url.rstrip("/")
    return url + "/" if url.endswith("/hub") else url + "/hub/"


def target(args: argparse.Namespace, env: dict[str, str]) -> tuple[str, str]:
    """Where the command's client calls: the hub's DTaaS API."""
    return hub_url(args.hub, env), "api/dtaas/"


def _mib(n: int | None) -> str:
    return "-" if n is None else f"{n / 1048576:.0f} MiB"


def format_status(found: dict[str, Any]) -> str:
    lines = ["services:"]
    for s in found.get("services", []):
        lines.append(f"  {s['name']:<12} {'ok' if s['ok'] else 'DOWN':<5} {s['detail']}")
    servers = found.get("servers", [])
    lines.append(f"servers running: {len(servers)}")
    for s in servers:
        cpu = "-" if s.get("cpu_percent") is None else f"{s['cpu_percent']:.0f}%"
        lines.append(
            f"  {s['user']:<16} {s['name'] or 'default':<20} {s['profile'] or '-':<8} "
            f"cpu {cpu:<5} mem {_mib(s.get('memory_bytes')):<9} since {s.get('started') or '-'}"
        )
    work = found.get("work", [])
    lines.append(f"runs and sweeps in flight: {len(work)}")
    for w in work:
        what = f"{w['kind']:<5} {w['dt']:<24} {w['id']}"
        lines.append(f"  {w['user']:<16} {what} {w['status']} {w['progress']}")
    library = found.get("library", {})
    counts = ", ".join(f"{k} {v}" for k, v in sorted(library.get("assets", {}).items()))
    more = " (counting stopped early)" if library.get("truncated") else ""
    lines.append(
        f"library: {counts or 'no assets'}; {library.get('files', 0)} files, "
        f"{_mib(library.get('bytes', 0))}{more}"
    )
    queue = found.get("curation", [])
    lines.append(f"curation queue: {len(queue)}")
    for r in queue:
        lines.append(f"  #{r['id']} {r['asset']} {r['version']} by {r['requester']}: {r['note']}")
    return "\n".join(lines)


def cmd_status(client: Any, args: argparse.Namespace) -> int:
    found = client.call("GET", "status") or {}
    if args.json:
        print(json.dumps(found, indent=2))
    else:
        print(format_status(found))
    down = [s["name"] for s in found.get("services", []) if not s.get("ok")]
    if down:
        print(f"dtaas: down: {', '.join(down)}", file=sys.stderr)
        return DOWN
    return OK


def add_admin_commands(sub: Any) -> None:
    admin = sub.add_parser("admin", help="the platform's status, for admins")
    verbs = admin.add_subparsers(dest="admin_command", required=True, metavar="COMMAND")
    status = verbs.add_parser("status", help="services, servers, work in flight, library, queue")
    status.add_argument("--hub", help="the hub's URL (default $DTAAS_HUB_URL)")
    status.add_argument("--token", help="an admin's API token (default $DTAAS_TOKEN)")
    status.add_argument("--json", action="store_true", help="print the status as JSON")
    status.set_defaults(func=cmd_status, target=target)
