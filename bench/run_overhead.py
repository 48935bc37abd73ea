"""What the run API costs on top of papermill, for a trivial one-cell notebook (``x = 1``).

Starts a real ``jupyter server`` (with the ``dtaas`` extension, enabled by the installed
config) on a temporary workspace holding a private DT ``bench``, then times 20 runs
from ``POST dtaas/api/runs`` until the record says "succeeded" (polled every 10 ms), and
20 direct ``papermill.execute_notebook`` calls (alternating with them), after one
uncounted warm-up of each.

Run with the project's venv: ``.venv/bin/python bench/run_overhead.py``. Prints one JSON
line, ``{"platform_s": median, "papermill_s": median, "ratio": platform/papermill}``;
diagnostics go to stderr.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import papermill

from dtaas.cli import Client, Refused, Unreachable

RUNS = 20
POLL_S = 0.01
KERNEL = "python3"


def say(*args: object) -> None:
    print(*args, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_notebook(path: Path) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": KERNEL, "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell("x = 1")]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)


def make_workspace(root: Path) -> Path:
    """A workspace with the private DT ``bench``: one step, one cell."""
    dt = root / "digital_twins" / "bench"
    write_notebook(dt / "lifecycle" / "execute.ipynb")
    (dt / "dt.yaml").write_text(
        "name: bench\nlifecycle:\n  execute: {notebook: lifecycle/execute.ipynb}\n"
    )
    return dt / "lifecycle" / "execute.ipynb"


def start_server(workspace: Path, token: str, log: Path) -> tuple[subprocess.Popen, str]:
    """A jupyter server on a free port; returns it and its base URL once it answers."""
    port = free_port()
    cmd = [
        sys.executable,
        "-m",
        "jupyter_server",
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--ServerApp.token={token}",
        f"--ServerApp.root_dir={workspace}",
    ]
    if os.geteuid() == 0:
        cmd.append("--allow-root")
    # outside a hub: no hub credentials, or the server would try to use them
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTERHUB_", "DTAAS_"))}
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            cmd,
            cwd=workspace,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}/"
    client = Client(url, token)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"jupyter server exited with {proc.returncode}; see {log}")
        try:
            client.call("GET", "runs", limit=1)
            return proc, url
        except (Unreachable, Refused):
            time.sleep(0.1)
    raise SystemExit(f"jupyter server did not answer within 60 s; see {log}")


def stop_server(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)


def time_platform_run(client: Client) -> float:
    """Seconds from POST runs to the record saying succeeded."""
    start = time.perf_counter()
    run = client.call("POST", "runs", {"dt": "bench", "scope": "private", "steps": ["execute"]})
    while True:
        record = client.call("GET", f"runs/{run['id']}")
        if record["status"] == "succeeded":
            return time.perf_counter() - start
        if record["status"] in ("failed", "cancelled"):
            raise SystemExit(f"bench run {run['id']} {record['status']}: {record.get('error')}")
        time.sleep(POLL_S)


def time_papermill_run(notebook: Path, output: Path) -> float:
    start = time.perf_counter()
    papermill.execute_notebook(str(notebook), str(output), kernel_name=KERNEL, progress_bar=False)
    return time.perf_counter() - start


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="dtaas-bench-run-"))
    workspace = work / "workspace"
    notebook = make_workspace(workspace)
    token = secrets.token_hex(16)
    proc, url = start_server(workspace, token, work / "server.log")
    try:
        client = Client(url, token)
        say(f"server {url} (pid {proc.pid}), workspace {workspace}")
        time_platform_run(client)  # warm-ups: first kernel start, imports
        time_papermill_run(notebook, work / "warmup.ipynb")
        platform, direct = [], []
        for i in range(RUNS):  # alternated, so a busy moment on the machine hits both alike
            platform.append(time_platform_run(client))
            direct.append(time_papermill_run(notebook, work / f"direct-{i}.ipynb"))
        say("platform runs (s):", " ".join(f"{t:.3f}" for t in platform))
        say("papermill runs (s):", " ".join(f"{t:.3f}" for t in direct))
    finally:
        stop_server(proc)
        shutil.rmtree(work, ignore_errors=True)
    platform_s, papermill_s = statistics.median(platform), statistics.median(direct)
    print(
        json.dumps(
            {
                "platform_s": round(platform_s, 4),
                "papermill_s": round(papermill_s, 4),
                "ratio": round(platform_s / papermill_s, 3),
            }
        )
    )


if __name__ == "__main__":
    main()
