"""The kernel's side of the fast executor: one scenario in one request.

Each cell runs through IPython's own ``run_cell`` (magics, display, the traceback a run
shows), so a scenario behaves as the step does in a run; its outputs are captured per
cell. A message to the kernel costs milliseconds, so the whole scenario is one request
and its result one display output of our own type.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from typing import Any

from IPython import get_ipython
from IPython.display import display
from IPython.utils.capture import capture_output

from ..record import RECORD_MIMETYPE

RESULT_MIMETYPE = "application/vnd.dtaas.scenario+json"


def _clear(shell: Any) -> None:
    """A fresh namespace: every name the user made goes (``%reset`` also runs a full
    garbage collection, 40 ms or more once scipy is loaded)."""
    ns, hidden = shell.user_ns, shell.user_ns_hidden
    for name in [n for n in ns if n not in hidden]:
        if not (name.startswith("__") and name.endswith("__")):
            del ns[name]


def _outputs(captured: Any) -> list[dict[str, Any]]:
    outs: list[dict[str, Any]] = []
    if captured.stdout:
        outs.append({"output_type": "stream", "name": "stdout", "text": captured.stdout})
    if captured.stderr:
        outs.append({"output_type": "stream", "name": "stderr", "text": captured.stderr})
    for rich in captured.outputs:
        outs.append({"output_type": "display_data", "data": rich.data, "metadata": rich.metadata})
    return outs


def run_scenario(
    cells: list[str],
    base: str,
    folder: str,
    context_file: str,
    context_json: str,
    keep_outputs: bool,
    prologue: str = "",
) -> None:
    """Run one scenario's cells in a fresh namespace in ``folder``; display the result."""
    shell = get_ipython()
    os.chdir(base)
    _clear(shell)
    if "dtaas.kernel" in sys.modules:  # what the last scenario's live API kept
        sys.modules["dtaas.kernel"]._reset()
    os.makedirs(folder, exist_ok=True)
    os.chdir(folder)
    context = json.loads(context_json)
    context["output_dir"] = folder  # where the scenario works and its series go
    source = context.pop("state_source", None)
    if source:  # a state folder of its own, as the twin's was: scenarios never share one
        state = os.path.join(folder, ".state")
        shutil.rmtree(state, ignore_errors=True)
        shutil.copytree(source, state, symlinks=True)
        context["state_dir"] = state
        os.environ["DTAAS_STATE_DIR"] = state
    with open(context_file, "w") as f:
        json.dump(context, f)
    os.environ["DTAAS_OUTPUT_DIR"] = folder
    os.environ["DTAAS_CONTEXT"] = context_file
    os.environ["DTAAS_RUN_ID"] = str(context.get("run_id", ""))
    os.environ["DTAAS_RUN_DIR"] = str(context.get("run_dir", folder))
    result: dict[str, Any] = {"status": "succeeded", "recorded": {}, "outputs": []}
    if prologue:
        shell.run_cell(prologue, store_history=False, silent=True)
    for number, source in enumerate(cells):
        with capture_output(display=True) as captured:
            run = shell.run_cell(source, store_history=False)
        for rich in captured.outputs:
            item = rich.data.get(RECORD_MIMETYPE)
            if isinstance(item, dict) and "name" in item:
                result["recorded"][item["name"]] = item.get("value")
        if keep_outputs:
            result["outputs"].append(_outputs(captured))
        error = run.error_before_exec or run.error_in_exec
        if error is not None:
            etype = type(error).__name__
            result.update(
                status="interrupted" if isinstance(error, KeyboardInterrupt) else "failed",
                error=f"code cell {number + 1}: {etype}: {error}",
                cell=number,
                traceback=_traceback(shell, error),
            )
            if keep_outputs:
                result["outputs"][-1].append(
                    {
                        "output_type": "error",
                        "ename": etype,
                        "evalue": str(error),
                        "traceback": result["traceback"].splitlines(),
                    }
                )
            break
    os.chdir(base)
    sys.stdout.flush()
    display({RESULT_MIMETYPE: result, "text/plain": result["status"]}, raw=True)


def _traceback(shell: Any, error: BaseException) -> str:
    try:
        lines = shell.InteractiveTB.structured_traceback(
            type(error), error, error.__traceback__, tb_offset=1
        )
        return "\n".join(lines)
    except Exception:  # noqa: BLE001 (a traceback that cannot be formatted: its message)
        return f"{type(error).__name__}: {error}"
