"""What a what-if sweep costs against calling the model in a plain Python loop.

The model takes 20 ms of CPU per call (a busy loop, as a small simulation would). N = 200
scenarios of a one-parameter twin whose execute step calls it and records the result:

- ``loop_s``: the model called 200 times in a plain Python loop in one process;
- ``sweep_s``: the platform's sweep on the local backend (warm kernels, one per core),
  from the request to the last result, once its kernels are warm (a first, uncounted sweep
  of the same step warms them, as a user's second sweep finds them); ``cold_sweep_s`` is
  that first sweep, kernel starts included;
- ``ratio`` = sweep_s / loop_s (2 cores: 0.5 is the physical limit);
- ``papermill_ratio``: one papermill run per scenario, for reference (10 runs timed, the
  mean scaled to 200);
- ``dask_ratio``: the same sweep on the dask backend (a LocalCluster of 2 workers), warm,
  over loop_s; null when dask is not installed.

Run with the project's venv: ``.venv/bin/python bench/whatif_sweep.py``. Prints one JSON
line; diagnostics go to stderr.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import papermill
import yaml

from dtaas.runs.manager import RunManager
from dtaas.whatif.manager import SweepManager

N = 200
MODEL_S = 0.02
MODEL = f"""
def model(k):
    import time
    t0 = time.perf_counter()
    x = 0.0
    while time.perf_counter() - t0 < {MODEL_S}:
        x += k * 1e-9
    return k * 2 + x * 0
"""


def say(*args: object) -> None:
    print(*args, file=sys.stderr, flush=True)


def write_twin(workspace: Path) -> Path:
    folder = workspace / "digital_twins" / "bench"
    (folder / "lifecycle").mkdir(parents=True)
    (folder / "models").mkdir()
    (folder / "models" / "busy.py").write_text(MODEL)
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nb.metadata["language_info"] = {"name": "python"}
    params = nbformat.v4.new_code_cell("k = 1.0")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [
        nbformat.v4.new_code_cell("import dtaas\nfrom busy import model"),
        params,
        nbformat.v4.new_code_cell("dtaas.record('y', model(k))"),
    ]
    nbformat.write(nb, folder / "lifecycle" / "execute.ipynb")
    manifest = {
        "title": "bench",
        "parameters": {
            "type": "object",
            "properties": {"k": {"type": "number", "minimum": 0, "maximum": 1, "default": 0.5}},
        },
        "lifecycle": {"execute": "lifecycle/execute.ipynb"},
        "records": {"y": {}},
    }
    (folder / "dt.yaml").write_text(yaml.safe_dump(manifest))
    return folder


def loop_seconds() -> float:
    namespace: dict = {}
    exec(MODEL, namespace)  # noqa: S102 (the benchmark's own model)
    started = time.perf_counter()
    for i in range(N):
        namespace["model"](i / N)
    return time.perf_counter() - started


async def sweep_seconds(manager: SweepManager, backend: str) -> float:
    body = {
        "dt": "bench",
        "design": {"kind": "random", "n": N, "seed": 1},
        "ranges": {"k": [0, 1]},
        "keep": "none",
        "backend": backend,
    }
    started = time.perf_counter()
    record = await manager.submit(body)
    await manager.wait()
    elapsed = time.perf_counter() - started
    record = manager.get(record.id)
    assert record.status == "succeeded" and record.done == N and not record.failed, record
    return elapsed


def papermill_seconds(folder: Path, out: Path) -> float:
    runs = 10
    started = time.perf_counter()
    for i in range(runs):
        papermill.execute_notebook(
            str(folder / "lifecycle" / "execute.ipynb"),
            str(out / f"{i}.ipynb"),
            parameters={"k": i / runs},
            cwd=str(folder / "models"),
            progress_bar=False,
        )
    return (time.perf_counter() - started) / runs * N


async def sweeps(workspace: Path) -> dict[str, float | None]:
    manager = SweepManager(RunManager(workspace))
    try:
        cold = await sweep_seconds(manager, "local")
        warm = await sweep_seconds(manager, "local")
        say(f"local sweep: cold {cold:.2f} s, warm {warm:.2f} s")
        dask = None
        if "dask" in manager.extra_backends:
            try:
                await sweep_seconds(manager, "dask")
                dask = await sweep_seconds(manager, "dask")
                say(f"dask sweep (warm): {dask:.2f} s")
            except ImportError as e:
                say(f"dask: {e}")
        return {"cold": cold, "warm": warm, "dask": dask}
    finally:
        manager.shutdown()


def main() -> None:
    root = Path(tempfile.mkdtemp(prefix="dtaas-bench-whatif-"))
    try:
        folder = write_twin(root)
        loop = loop_seconds()
        say(f"plain loop: {loop:.2f} s")
        timed = asyncio.run(sweeps(root))
        (root / "papermill").mkdir()
        pm = papermill_seconds(folder, root / "papermill")
        say(f"papermill, scaled to {N}: {pm:.1f} s")
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print(
        json.dumps(
            {
                "loop_s": round(loop, 3),
                "sweep_s": round(timed["warm"], 3),
                "cold_sweep_s": round(timed["cold"], 3),
                "ratio": round(timed["warm"] / loop, 3),
                "papermill_ratio": round(pm / loop, 2),
                "dask_ratio": None if timed["dask"] is None else round(timed["dask"] / loop, 3),
            }
        )
    )


if __name__ == "__main__":
    main()
