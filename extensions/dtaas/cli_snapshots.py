"""``dtaas save|stop|snapshots|respawn``: Save and respawn from a terminal."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

OK, FAILED = 0, 1


def format_size(size: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size} B"


def format_snapshots(snapshots: list[dict[str, Any]]) -> str:
    """The ``dtaas snapshots`` table, columns aligned."""
    rows = [("ID", "DT", "STEP", "TICK", "SIZE", "WRITTEN", "LABEL")]
    for s in snapshots:
        tick = "" if s.get("tick") is None else str(s["tick"])
        rows.append(
            (
                s.get("id", ""),
                s.get("dt", ""),
                s.get("step") or "",
                tick,
                format_size(s.get("bytes_total") or 0),
                format_size(s.get("bytes_written") or 0),
                s.get("label") or "",
            )
        )
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )


def cmd_save(client, args: argparse.Namespace) -> int:
    from .cli import quote

    body = {"label": args.label} if args.label else {}
    saved = client.call("POST", f"runs/{quote(args.run_id)}/save", body) or {}
    if "run" in saved:  # a snapshot
        where = f" at tick {saved['tick']}" if saved.get("tick") is not None else ""
        skipped = saved.get("skipped") or []
        print(saved["id"])
        print(
            f"saved run {args.run_id}{where}: {len(saved.get('files') or [])} files, "
            f"{len(saved.get('variables') or [])} variables, "
            f"{format_size(saved.get('bytes_written') or 0)} written",
            file=sys.stderr,
        )
        for s in skipped:
            print(f"  not saved: {s['name']} ({s['type']}): {s['reason']}", file=sys.stderr)
    else:
        print(f"run {args.run_id}: the snapshot is taken when its running step ends")
    return OK


def cmd_stop(client, args: argparse.Namespace) -> int:
    from .cli import quote

    run = client.call("POST", f"runs/{quote(args.run_id)}/stop") or {}
    how = "stopping after its tick" if run.get("stop_requested") else run.get("status", "")
    print(f"run {args.run_id}: {how}")
    return OK


def cmd_snapshots(client, args: argparse.Namespace) -> int:
    data = client.call("GET", "snapshots", dt=args.dt, limit=args.limit) or {}
    print(format_snapshots(data.get("snapshots") or []))
    return OK


def cmd_snapshot(client, args: argparse.Namespace) -> int:
    from .cli import quote

    print(json.dumps(client.call("GET", f"snapshots/{quote(args.snapshot_id)}"), indent=2))
    return OK


def cmd_respawn(client, args: argparse.Namespace) -> int:
    from .cli import follow_and_summarise, quote

    body: dict[str, Any] = {}
    for key in ("step", "profile", "timeout"):
        if getattr(args, key) is not None:
            body[key] = getattr(args, key)
    if args.params:
        body["parameters"] = dict(args.params)
    run = client.call("POST", f"snapshots/{quote(args.snapshot_id)}/respawn", body)
    if not args.follow:
        print(run["id"])
        return OK
    print(f"run {run['id']} of {run.get('dt')} from snapshot {args.snapshot_id}", file=sys.stderr)
    return follow_and_summarise(client, run)


def add_snapshot_commands(
    sub, conn: argparse.ArgumentParser, positive_int, seconds, parse_param
) -> None:
    save = sub.add_parser("save", parents=[conn], help="take a snapshot of a run")
    save.add_argument("run_id", metavar="RUN_ID")
    save.add_argument("--label", help="a label for the snapshot")
    save.set_defaults(func=cmd_save)

    stop = sub.add_parser(
        "stop", parents=[conn], help="stop a live run after its tick (then terminate)"
    )
    stop.add_argument("run_id", metavar="RUN_ID")
    stop.set_defaults(func=cmd_stop)

    snapshots = sub.add_parser("snapshots", parents=[conn], help="list snapshots, newest first")
    snapshots.add_argument("--dt", help="only snapshots of this digital twin")
    snapshots.add_argument("--limit", type=positive_int, metavar="N", help="at most N")
    snapshots.set_defaults(func=cmd_snapshots)

    snapshot = sub.add_parser("snapshot", parents=[conn], help="print a snapshot as JSON")
    snapshot.add_argument("snapshot_id", metavar="SNAPSHOT_ID")
    snapshot.set_defaults(func=cmd_snapshot)

    respawn = sub.add_parser("respawn", parents=[conn], help="start a run from a snapshot")
    respawn.add_argument("snapshot_id", metavar="SNAPSHOT_ID")
    respawn.add_argument("--step", help="the step to run (default: the snapshot's step)")
    respawn.add_argument("--profile", help="compute profile (runs on a new server)")
    respawn.add_argument("--timeout", type=seconds, metavar="SECONDS", help="time limit")
    respawn.add_argument(
        "-p",
        "--param",
        dest="params",
        action="append",
        type=parse_param,
        metavar="KEY=VALUE",
        help="override a parameter of the snapshot, value read as YAML",
    )
    respawn.add_argument(
        "--follow",
        action="store_true",
        help="show progress and log until the run ends; exit 0 only on success",
    )
    respawn.set_defaults(func=cmd_respawn)
