"""``dtaas sweep`` and ``dtaas sweeps``: what-if from a terminal."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

OK, FAILED, INTERRUPTED = 0, 1, 130
POLL_S = 0.5


def parse_range(text: str) -> tuple[str, Any]:
    """``k1=5:20`` a range to vary, ``k1=a,b,c`` choices, ``k1=5`` a fixed value."""
    from .cli import parse_param, parse_value

    key, _, value = text.partition("=")
    if ":" in value:
        low, _, high = value.partition(":")
        bounds = [parse_value(low), parse_value(high)]
        if not all(isinstance(b, (int, float)) and not isinstance(b, bool) for b in bounds):
            raise argparse.ArgumentTypeError(f"expected NAME=LOW:HIGH with numbers, got {text!r}")
        return key.strip(), {"range": bounds}
    if "," in value:
        return key.strip(), {"range": [parse_value(v) for v in value.split(",")]}
    return parse_param(text)


def sweep_body(args: argparse.Namespace) -> dict[str, Any]:
    body: dict[str, Any] = {
        "dt": args.dt,
        "step": args.step,
        "design": {"kind": args.design, "n": args.n, "seed": args.seed},
    }
    ranges, fixed = {}, {}
    for key, value in args.params or []:
        if isinstance(value, dict) and "range" in value:
            ranges[key] = value["range"]
        else:
            fixed[key] = value
    body["ranges"] = ranges
    if fixed:
        body["parameters"] = fixed
    if args.constraint:
        body["design"]["constraint"] = args.constraint
    for key in ("objectives", "constraints"):
        if getattr(args, key):
            body[key] = getattr(args, key)
    for key in ("config", "scope", "keep", "backend", "snapshot"):
        if getattr(args, key) is not None:
            body[key] = getattr(args, key)
    return body


def format_sweep(sweep: dict[str, Any]) -> str:
    eta = sweep.get("eta_s")
    line = f"{sweep.get('done', 0)}/{sweep.get('total', 0)} scenarios"
    if sweep.get("failed"):
        line += f", {sweep['failed']} failed"
    if eta is not None and sweep.get("status") == "running":
        line += f", ETA {eta:.0f} s"
    return f"{line} ({sweep.get('status')})"


def follow_sweep(client, sweep: dict[str, Any]) -> dict[str, Any]:
    """A progress bar (done of total, ETA) until the sweep ends; plain lines on a pipe."""
    from .cli import quote

    path = f"sweeps/{quote(sweep['id'])}"
    bar, last = None, ""
    try:
        while sweep.get("status") not in ("succeeded", "failed", "cancelled"):
            time.sleep(POLL_S)
            sweep = client.call("GET", path)
            if sys.stderr.isatty():
                if bar is None:
                    from tqdm import tqdm

                    bar = tqdm(total=sweep["total"], file=sys.stderr, unit="scenario")
                bar.n = sweep["done"]
                bar.set_postfix_str(f"{sweep.get('failed', 0)} failed", refresh=False)
                bar.refresh()
            elif (text := format_sweep(sweep)) != last:
                print(text, file=sys.stderr, flush=True)
                last = text
    finally:
        if bar is not None:
            bar.close()
    return sweep


def format_results(results: dict[str, Any], objectives: list[str], top: int) -> str:
    rows = results.get("rows") or []
    ranked = sorted(
        rows, key=lambda r: (r.get("rank") is None, r.get("rank") or 0, -(r.get("score") or 0))
    )
    names = sorted({k for r in rows for k in (r.get("parameters") or {})})
    varied = [n for n in names if len({repr(r["parameters"].get(n)) for r in rows}) > 1]
    header = ["#", "RANK", *varied, *objectives, "STATUS"]
    table = [header]
    for r in ranked[:top]:
        rec = r.get("recorded") or {}
        table.append(
            [
                str(r["scenario"]),
                "" if r.get("rank") is None else str(r["rank"]),
                *(_short(r["parameters"].get(n)) for n in varied),
                *(_short(rec.get(o)) for o in objectives),
                r.get("status", ""),
            ]
        )
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
                     for row in table)  # fmt: skip


def _short(value: Any) -> str:
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def cmd_sweep(client, args: argparse.Namespace) -> int:
    from .cli import quote

    sweep = client.call("POST", "sweeps", sweep_body(args))
    if not args.follow:
        print(sweep["id"])
        return OK
    print(f"sweep {sweep['id']} of {sweep['dt']}: {sweep['total']} scenarios", file=sys.stderr)
    try:
        sweep = follow_sweep(client, sweep)
    except KeyboardInterrupt:
        print(f"\ncancelling sweep {sweep['id']}", file=sys.stderr)
        client.call("POST", f"sweeps/{quote(sweep['id'])}/cancel")
        return INTERRUPTED
    results = client.call("GET", f"sweeps/{quote(sweep['id'])}/results")
    objectives = [o["name"] for o in sweep.get("objectives") or []]
    print(format_results(results, objectives, args.top))
    print(f"sweep {sweep['id']} {format_sweep(sweep)}; results in {sweep['dir']}/results.csv")
    return OK if sweep["status"] == "succeeded" else FAILED


def cmd_sweeps(client, args: argparse.Namespace) -> int:
    data = client.call("GET", "sweeps", dt=args.dt) or {}
    for s in data.get("sweeps") or []:
        print(f"{s['id']}  {s['dt']}  {s['design'].get('kind')}  {format_sweep(s)}")
    return OK


def cmd_calibrate(client, args: argparse.Namespace) -> int:
    from .cli import quote

    mapping = {}
    for item in args.map or []:
        series, sep, column = item.partition("=")
        if not sep or not series or not column:
            raise argparse.ArgumentTypeError(f"--map takes SERIES=COLUMN, got {item!r}")
        mapping[series] = column
    body: dict[str, Any] = {
        "dt": args.dt,
        "data": args.data,
        "fit": [p.strip() for p in args.fit.split(",") if p.strip()],
        "time_column": args.time_column,
    }
    if mapping:  # else the data's columns named as the twin's records
        body["mapping"] = mapping
    for key in ("step", "scope", "config", "save_as"):
        if getattr(args, key) is not None:
            body[key] = getattr(args, key)
    record = client.call("POST", "calibrations", body)
    print(f"calibration {record['id']} of {record['dt']}", file=sys.stderr)
    last = -1
    while record["status"] in ("queued", "running"):
        time.sleep(POLL_S)
        record = client.call("GET", f"calibrations/{quote(record['id'])}")
        if record.get("evaluations") != last:
            last = record.get("evaluations")
            print(f"{last} simulations", file=sys.stderr, flush=True)
    if record["status"] != "succeeded":
        print(f"calibration {record['id']} failed: {record.get('error')}")
        return FAILED
    for name, value in (record.get("values") or {}).items():
        err = (record.get("std_errors") or {}).get(name)
        print(f"{name} = {value:.6g}" + (f" ± {err:.2g}" if err is not None else ""))
    for series, q in ((record.get("report") or {}).get("series") or {}).items():
        r2 = q.get("r2")
        print(f"{series}: rmse {q.get('rmse'):.3g}" + (f", R² {r2:.4f}" if r2 is not None else ""))
    print(f"report and residual plot in {record['dir']}/")
    return OK


def add_whatif_commands(sub, conn: argparse.ArgumentParser, positive_int) -> None:
    sweep = sub.add_parser("sweep", parents=[conn], help="run scenarios of a digital twin")
    sweep.add_argument("dt", metavar="DT")
    sweep.add_argument("--step", default="execute", help="the step each scenario runs")
    sweep.add_argument(
        "--design",
        default="lhs",
        choices=["grid", "random", "lhs", "sobol", "saltelli", "morris"],
        help="how scenarios are drawn",
    )
    sweep.add_argument("-n", type=positive_int, default=20, help="number of scenarios (or base)")
    sweep.add_argument("--seed", type=int, default=0)
    sweep.add_argument(
        "-p",
        "--param",
        dest="params",
        action="append",
        type=parse_range,
        metavar="NAME=LOW:HIGH",
        help="vary NAME between LOW and HIGH (NAME=a,b for choices; NAME=V fixes it)",
    )
    sweep.add_argument(
        "--objective", dest="objectives", action="append", metavar="min:NAME", help="repeatable"
    )
    sweep.add_argument(
        "--constraint", help="on parameters, e.g. 'k1 > 2 * k2' (scenarios failing it are left out)"
    )
    sweep.add_argument(
        "--require",
        dest="constraints",
        action="append",
        metavar="NAME<=V",
        help="a constraint on a recorded value (repeatable)",
    )
    sweep.add_argument("--config", help="start from a named configuration")
    sweep.add_argument("--scope", help="private, common or group:NAME")
    sweep.add_argument("--keep", choices=["all", "failures", "none"], help="notebooks kept")
    sweep.add_argument("--backend", help="local (default) or dask")
    sweep.add_argument("--snapshot", help="start every scenario from this snapshot")
    sweep.add_argument("--top", type=positive_int, default=10, help="rows shown (default 10)")
    sweep.add_argument("--follow", action="store_true", help="show progress, then the results")
    sweep.set_defaults(func=cmd_sweep)

    calibrate = sub.add_parser(
        "calibrate", parents=[conn], help="fit parameters of a digital twin to measured data"
    )
    calibrate.add_argument("dt", metavar="DT")
    calibrate.add_argument("--data", required=True, help="a data asset, e.g. mine/data/run7.csv")
    calibrate.add_argument("--fit", required=True, help="parameters to fit, comma-separated")
    calibrate.add_argument(
        "--map",
        action="append",
        metavar="SERIES=COLUMN",
        help="a recorded time series and the data column it is fitted to (repeatable; "
        "default: the columns named as recorded values)",
    )
    calibrate.add_argument("--time-column", dest="time_column", default="t")
    calibrate.add_argument("--step", help="the step that simulates (default execute)")
    calibrate.add_argument("--scope", help="private, common or group:NAME")
    calibrate.add_argument("--config", help="start from a named configuration")
    calibrate.add_argument("--save-as", dest="save_as", help="save the fit as this configuration")
    calibrate.set_defaults(func=cmd_calibrate)

    sweeps = sub.add_parser("sweeps", parents=[conn], help="list sweeps, newest first")
    sweeps.add_argument("--dt", help="only sweeps of this digital twin")
    sweeps.set_defaults(func=cmd_sweeps)
