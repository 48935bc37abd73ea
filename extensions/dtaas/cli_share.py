"""``dtaas share|grants|revoke|fork|publish|publications|curation|approve|reject``.

Sharing twins and assets with users, groups or the whole organisation, forking what
others share, and publishing to the common library, from a terminal. Every call goes
through the workspace server's library proxy (``dtaas/api/library/...``), so the
library knows who asks. A refusal is one line naming the field at fault.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import urllib.parse
from typing import Any

OK, USAGE = 0, 2
ASSET_TYPES = ("digital_twins", "functions", "models", "tools", "data")


def segment(part: str) -> str:
    return urllib.parse.quote(part, safe=":")


def cli(client) -> Any:
    """The running command line's module, whose errors its ``main`` reports (it is
    ``__main__``, not ``dtaas.cli``, under ``python -m dtaas.cli``)."""
    return sys.modules[type(client).__module__]


def asset_path(ref: str, scope: str | None = None) -> tuple[str, str, str]:
    """``DT`` (with ``--scope``, default private) or ``SCOPE/TYPE/NAME`` as the library
    URL's scope token, type and name (``mine`` is ``private``); ValueError says what
    is wrong."""
    parts = ref.strip("/").split("/")
    if len(parts) == 1 and parts[0]:
        return scope or "private", "digital_twins", parts[0]
    if len(parts) != 3 or not all(parts):
        raise ValueError(
            f"asset {ref!r} is not DT or SCOPE/TYPE/NAME (e.g. private/digital_twins/my-twin)"
        )
    if scope is not None:
        raise ValueError("--scope is for a twin named alone; SCOPE/TYPE/NAME names its own")
    token, asset_type, name = parts
    if asset_type not in ASSET_TYPES:
        raise ValueError(f"type {asset_type!r} is not one of {', '.join(ASSET_TYPES)}")
    return ("private" if token == "mine" else token), asset_type, name


def where_of(client, ref: str, scope: str | None = None) -> tuple[str, str, str]:
    try:
        return asset_path(ref, scope)
    except ValueError as e:
        raise cli(client).UsageError(str(e)) from None


def endpoint(scope: str, asset_type: str, name: str, *rest: str) -> str:
    parts = ["library", "assets", segment(scope), asset_type, segment(name)]
    return "/".join(parts + [segment(r) for r in rest])


def shown(scope: str, asset_type: str, name: str) -> str:
    return f"{scope}/{asset_type}/{name}"


def ref_token(scope: str) -> str:
    """A library URL's scope token as an asset reference writes it."""
    return "mine" if scope == "private" else scope


def subject(grant: dict[str, Any]) -> str:
    if grant.get("organisation"):
        return "organisation"
    if grant.get("user"):
        return f"user {grant['user']}"
    return f"group {grant.get('group')}"


def table(rows: list[tuple[Any, ...]]) -> str:
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows
    )


def naming_field(payload: Any, message: str) -> str:
    """The message, led by the field it is about when it does not already name it."""
    field = payload.get("field") if isinstance(payload, dict) else None
    if isinstance(field, str) and field and not re.search(rf"\b{re.escape(field)}\b", message):
        return f"{field}: {message}"
    return message


def problem_line(p: dict[str, Any]) -> str:
    where = str(p.get("file") or "")
    if p.get("line"):
        where += f":{p['line']}"
    field = f" {p['field']}:" if p.get("field") else ""
    return " ".join(f"{where}:{field} {p.get('message', '')}".split())


def call(client, method: str, path: str, body: Any = None) -> Any:
    """One call; a refusal's first line names its field, a manifest's problems follow."""
    Refused = cli(client).Refused  # noqa: N806 (a class)
    try:
        return client.call(method, path, body)
    except Refused as e:
        payload = e.payload if isinstance(e.payload, dict) else {}
        lines = [naming_field(payload, e.lines[0]), *e.lines[1:]]
        lines += [problem_line(p) for p in payload.get("problems") or [] if isinstance(p, dict)]
        raise Refused(e.status, lines, e.payload) from None


def subject_body(args: argparse.Namespace) -> dict[str, Any]:
    if args.organisation:
        return {"organisation": True}
    if args.user is not None:
        return {"user": args.user}
    return {"group": args.group}


# --- grants -------------------------------------------------------------------------------


def cmd_share(client, args: argparse.Namespace) -> int:
    where = where_of(client, args.asset, args.scope)
    body = {**subject_body(args), "role": args.role}
    grant = call(client, "POST", endpoint(*where, "grants"), body) or {}
    print(f"grant {grant.get('id')}: {subject(grant)} may {grant.get('role')} {shown(*where)}")
    return OK


def cmd_grants(client, args: argparse.Namespace) -> int:
    where = where_of(client, args.asset, args.scope)
    grants = (call(client, "GET", endpoint(*where, "grants")) or {}).get("grants") or []
    if args.json:
        print(json.dumps(grants, indent=2))
        return OK
    if not grants:
        print(f"{shown(*where)} is shared with nobody")
        return OK
    rows: list[tuple[Any, ...]] = [("ID", "SUBJECT", "ROLE", "BY", "MODIFIED")]
    for g in grants:
        modified = g.get("modified") or g.get("created") or ""
        rows.append((g.get("id"), subject(g), g.get("role"), g.get("created_by") or "", modified))
    print(table(rows))
    return OK


def cmd_revoke(client, args: argparse.Namespace) -> int:
    Refused, UsageError = cli(client).Refused, cli(client).UsageError  # noqa: N806 (classes)
    where = where_of(client, args.asset, args.scope)
    wanted = subject_body(args) if (args.user or args.group or args.organisation) else None
    if (args.grant_id is None) == (wanted is None):
        raise UsageError("revoke: give GRANT_ID or one of --user, --group, --organisation")
    grants = (call(client, "GET", endpoint(*where, "grants")) or {}).get("grants") or []
    if wanted is not None:
        key = next(iter(wanted))
        found = [g for g in grants if g.get(key) == wanted[key]]
        if not found:
            name = "the organisation" if key == "organisation" else f"{key} {wanted[key]}"
            raise Refused(404, [f"{name} holds no grant on {shown(*where)}"])
        grant = found[0]
    else:
        grant = next((g for g in grants if str(g.get("id")) == args.grant_id), None)
        if grant is None:
            raise Refused(404, [f"no grant {args.grant_id} on {shown(*where)}"])
    call(client, "DELETE", endpoint(*where, "grants", str(grant["id"])))
    print(f"revoked grant {grant['id']}: {subject(grant)} {grant.get('role')} {shown(*where)}")
    return OK


# --- forks and publishing ----------------------------------------------------------------


def cmd_fork(client, args: argparse.Namespace) -> int:
    where = where_of(client, args.ref)
    body = {k: v for k, v in (("name", args.name), ("version", args.version)) if v is not None}
    item = call(client, "POST", endpoint(*where, "fork"), body) or {}
    name = item.get("name") or args.name or where[2]
    print(f"forked {shown(*where)} into private/{item.get('type') or where[1]}/{name}")
    if item.get("path"):
        print(f"path: {item['path']}")
    return OK


def cmd_publish(client, args: argparse.Namespace) -> int:
    scope, asset_type, name = where_of(client, args.asset, args.scope)
    body: dict[str, Any] = {
        "asset": f"{ref_token(scope)}/{asset_type}/{name}",
        "version": args.version,
    }
    if args.note is not None:
        body["note"] = args.note
    req = call(client, "POST", "library/publish", body) or {}
    print(
        f"publish request {req.get('id')}: {req.get('asset')} {req.get('version')} "
        f"-> {req.get('target')}: {req.get('status')}"
    )
    return OK


def format_requests(requests: list[dict[str, Any]], who: bool) -> str:
    head = ("ID", *(("REQUESTER",) if who else ()), "ASSET", "VERSION", "STATUS", "NOTE")
    rows: list[tuple[Any, ...]] = [head]
    for r in requests:
        status = r.get("status") or ""
        note = r.get("reason") if status == "rejected" and r.get("reason") else r.get("note")
        note = " ".join(str(note or "").split())
        note = note if len(note) <= 60 else note[:57] + "..."
        rows.append(
            (
                r.get("id"),
                *((r.get("requester") or "",) if who else ()),
                r.get("asset") or "",
                r.get("version") or "",
                status,
                note,
            )
        )
    return table(rows)


def cmd_publications(client, args: argparse.Namespace) -> int:
    requests = (call(client, "GET", "library/publish") or {}).get("requests") or []
    if args.json:
        print(json.dumps(requests, indent=2))
    elif not requests:
        print("no publish requests")
    else:
        print(format_requests(requests, who=False))
    return OK


def cmd_curation(client, args: argparse.Namespace) -> int:
    if args.request_id is None:
        data = call(client, "GET", "library/publish?queue=pending") or {}
        requests = data.get("requests") or []
        if args.json:
            print(json.dumps(requests, indent=2))
        elif not requests:
            print("no pending publish requests")
        else:
            print(format_requests(requests, who=True))
        return OK
    req = call(client, "GET", f"library/publish/{segment(args.request_id)}") or {}
    if args.json:
        print(json.dumps(req, indent=2))
        return OK
    print(
        f"request {req.get('id')}: {req.get('asset')} {req.get('version')} -> "
        f"{req.get('target')} by {req.get('requester')}: {req.get('status')}"
    )
    if req.get("note"):
        print(f"note: {' '.join(str(req['note']).split())}")
    if req.get("reason"):
        print(f"reason: {' '.join(str(req['reason']).split())}")
    for p in req.get("problems") or []:
        print(f"problem: {problem_line(p)}")
    for d in req.get("diff") or []:
        print(f"{d.get('status')}: {d.get('path')}")
        if args.diff and d.get("diff"):
            print(d["diff"].rstrip("\n"))
    return OK


def cmd_approve(client, args: argparse.Namespace) -> int:
    req = call(client, "POST", f"library/publish/{segment(args.request_id)}/approve", {}) or {}
    print(f"approved request {req.get('id')}: {req.get('target')} version {req.get('version')}")
    return OK


def cmd_reject(client, args: argparse.Namespace) -> int:
    path = f"library/publish/{segment(args.request_id)}/reject"
    req = call(client, "POST", path, {"reason": args.reason}) or {}
    print(f"rejected request {req.get('id')}: {req.get('asset')} {req.get('version')}")
    return OK


# --- arguments ------------------------------------------------------------------------


def add_share_commands(sub, conn: argparse.ArgumentParser, scope_name) -> None:
    """The sharing and publishing commands under the main parser's subcommands."""

    def asset(p: argparse.ArgumentParser, what: str = "DT") -> None:
        p.add_argument("asset", metavar=what, help="a twin of yours, or SCOPE/TYPE/NAME")
        p.add_argument(
            "--scope", type=scope_name, help="library of the twin: private (default), group:NAME"
        )

    def subjects(p: argparse.ArgumentParser, required: bool) -> None:
        who = p.add_mutually_exclusive_group(required=required)
        who.add_argument("--user", help="a user of the hub")
        who.add_argument("--group", help="a group of the hub")
        who.add_argument("--organisation", action="store_true", help="everyone on the hub")

    share = sub.add_parser("share", parents=[conn], help="let a user or group use a twin")
    asset(share)
    subjects(share, required=True)
    share.add_argument("--role", required=True, help="view, run, fork or edit")
    share.set_defaults(func=cmd_share)

    grants = sub.add_parser("grants", parents=[conn], help="who a twin is shared with")
    asset(grants)
    grants.add_argument("--json", action="store_true")
    grants.set_defaults(func=cmd_grants)

    revoke = sub.add_parser("revoke", parents=[conn], help="take a grant back")
    asset(revoke)
    revoke.add_argument("grant_id", metavar="GRANT_ID", nargs="?", help="from dtaas grants")
    subjects(revoke, required=False)
    revoke.set_defaults(func=cmd_revoke)

    fork = sub.add_parser("fork", parents=[conn], help="copy a shared asset into your library")
    fork.add_argument("ref", metavar="SCOPE/TYPE/NAME", help="e.g. user:alice/digital_twins/msd")
    fork.add_argument("--name", help="name of the copy (default: the same)")
    fork.add_argument("--version", help="an earlier published version of a common asset")
    fork.set_defaults(func=cmd_fork)

    publish = sub.add_parser("publish", parents=[conn], help="ask to publish to common")
    asset(publish)
    publish.add_argument("--version", required=True, help="N.N or N.N.N")
    publish.add_argument("--note", help="what changed, for the curators")
    publish.set_defaults(func=cmd_publish)

    pubs = sub.add_parser("publications", parents=[conn], help="your publish requests")
    pubs.add_argument("--json", action="store_true")
    pubs.set_defaults(func=cmd_publications)

    curation = sub.add_parser(
        "curation", parents=[conn], help="pending publish requests (curators), or one of them"
    )
    curation.add_argument("request_id", metavar="ID", nargs="?")
    curation.add_argument("--diff", action="store_true", help="print each file's diff")
    curation.add_argument("--json", action="store_true")
    curation.set_defaults(func=cmd_curation)

    approve = sub.add_parser("approve", parents=[conn], help="publish a request (curators)")
    approve.add_argument("request_id", metavar="ID")
    approve.set_defaults(func=cmd_approve)

    reject = sub.add_parser("reject", parents=[conn], help="turn a request down (curators)")
    reject.add_argument("request_id", metavar="ID")
    reject.add_argument("--reason", required=True, help="told to the requester")
    reject.set_defaults(func=cmd_reject)
