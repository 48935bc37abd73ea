"""Execute one lifecycle notebook with papermill and read back what it recorded."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
import papermill
from papermill.exceptions import PapermillExecutionError

from ..record import RECORD_MIMETYPE

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


@dataclass
class StepOutcome:
    error: str | None = None
    traceback: str | None = None
    cell: int | None = None
    recorded: dict[str, Any] = field(default_factory=dict)
    log: list[str] = field(default_factory=list)


def read_outputs(notebook: Path) -> tuple[dict[str, Any], list[str]]:
    """The values recorded with ``dtaas.record`` and the text streams, in cell order."""
    recorded: dict[str, Any] = {}
    log: list[str] = []
    if not notebook.is_file():
        return recorded, log
    nb = nbformat.read(notebook, as_version=4)
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if RECORD_MIMETYPE in data:
                item = data[RECORD_MIMETYPE]
                recorded[item["name"]] = item["value"]
            elif out.get("output_type") == "stream":
                log.extend(str(out.get("text", "")).splitlines())
    return recorded, log


def execute_step(
    notebook: Path,
    output: Path,
    parameters: dict[str, Any],
    cwd: Path,
    kernel_name: str = "python3",
) -> StepOutcome:
    """Run ``notebook`` into ``output``; a failing cell gives an outcome, not an exception."""
    outcome = StepOutcome()
    try:
        papermill.execute_notebook(
            str(notebook),
            str(output),
            parameters=parameters,
            cwd=str(cwd),
            kernel_name=kernel_name,
            progress_bar=False,
            log_output=False,
        )
    except PapermillExecutionError as e:
        outcome.cell = e.cell_index
        outcome.error = f"cell {e.cell_index}: {e.ename}: {e.evalue}"
        outcome.traceback = ANSI.sub("", "\n".join(e.traceback))
    except Exception as e:  # a kernel that died, a notebook that cannot be read
        outcome.error = f"{type(e).__name__}: {e}"
    outcome.recorded, outcome.log = read_outputs(output)
    return outcome
