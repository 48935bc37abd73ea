"""Execute one lifecycle notebook with papermill, observed: progress, live output, stop.

A papermill engine of our own reports each cell as it starts and finishes and
exposes the kernel, so a run can be cancelled or timed out by killing it. Stream
output goes to the run's log as it is produced.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import nbformat
import papermill
from jupyter_client.kernelspec import KernelSpecManager
from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import NBClientEngine, papermill_engines
from papermill.exceptions import PapermillExecutionError
from papermill.utils import merge_kwargs, remove_args

from ..record import RECORD_MIMETYPE

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
ENGINE_NAME = "dtaas"


class StepStopped(RuntimeError):
    """Raised inside the engine to end a step that was asked to stop."""


class StepObserver:
    """Shared between the executing thread and the event loop: progress and stop requests."""

    def __init__(
        self,
        on_cell: Callable[[int, int, int], None] | None = None,
        prologue: str | None = None,
        epilogue: Callable[[], str | None] | None = None,
    ):
        # on_cell(current, done, total): current is the 1-based code cell running now
        self.on_cell = on_cell
        # code the kernel runs, unseen in the notebook, before its first cell and after
        # its last one (when none failed): a respawn's restore, the step's saves
        self.prologue = prologue
        self.epilogue = epilogue
        self.client: PapermillNotebookClient | None = None
        self.stop_reason: str | None = None
        self.cells_total = 0
        self.cells_done = 0
        # the code cell running now: its index among all cells (as papermill counts),
        # its 1-based number among code cells, and its first line of source
        self.cell_index: int | None = None
        self.code_cell = 0
        self.cell_line = ""
        self._lock = threading.Lock()

    def started(self, client: PapermillNotebookClient, code_cells: int) -> None:
        with self._lock:
            self.client = client
            self.cells_total = code_cells
        if self.stop_reason:
            self.kill_kernel()

    def cell_started(self, cell_index: int | None = None, source: str = "") -> None:
        self.cell_index = cell_index
        self.code_cell = self.cells_done + 1
        self.cell_line = next((line.strip() for line in source.splitlines() if line.strip()), "")
        if self.on_cell:
            self.on_cell(self.cells_done + 1, self.cells_done, self.cells_total)

    def where(self) -> str:
        """``code cell 2 (time.sleep(120))``: the cell running now, for an error message."""
        if not self.code_cell:
            return ""
        line = self.cell_line if len(self.cell_line) <= 60 else self.cell_line[:57] + "..."
        return f"code cell {self.code_cell}" + (f" ({line})" if line else "")

    def cell_done(self) -> None:
        self.cells_done += 1
        if self.on_cell:
            self.on_cell(self.cells_done, self.cells_done, self.cells_total)

    def stop(self, reason: str) -> None:
        """Ask the step to end now: the kernel is killed, the step ends with ``reason``."""
        self.stop_reason = reason
        self.kill_kernel()

    def kill_kernel(self) -> None:
        with self._lock:
            km = getattr(self.client, "km", None)
        provisioner = getattr(km, "provisioner", None)
        pid = getattr(provisioner, "pid", None) or getattr(
            getattr(provisioner, "process", None), "pid", None
        )
        if pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


class HiddenCellError(RuntimeError):
    """Code the runtime ran in the kernel, around the notebook's cells, failed."""


class ObservedClient(PapermillNotebookClient):
    """papermill's client, running the observer's prologue and epilogue in the kernel."""

    def __init__(self, nb_man, observer: StepObserver | None = None, **kw):
        super().__init__(nb_man, **kw)
        self.observer = observer

    def hidden(self, code: str, what: str) -> None:
        """Run ``code`` silently (no outputs, no history); HiddenCellError if it fails."""
        msg_id = self.kc.execute(code, silent=True, store_history=False, allow_stdin=False)
        reply = self.wait_for_reply(msg_id)
        content = (reply or {}).get("content", {})
        if content.get("status") != "ok":
            detail = f"{content.get('ename', 'Error')}: {content.get('evalue', '')}"
            raise HiddenCellError(f"{what} failed: {detail}")

    def papermill_execute_cells(self):
        observer = self.observer
        if observer is not None and observer.prologue:
            self.hidden(observer.prologue, "restoring the snapshot")
        super().papermill_execute_cells()
        failed = self.nb.metadata.get("papermill", {}).get("exception")
        if observer is not None and observer.epilogue and not failed and not observer.stop_reason:
            code = observer.epilogue()
            if code:
                self.hidden(code, "the end of the step (saving)")


class ObservedEngine(NBClientEngine):
    """papermill's nbclient engine, reporting to a StepObserver."""

    @classmethod
    def execute_managed_notebook(
        cls,
        nb_man,
        kernel_name,
        observer: StepObserver | None = None,
        log_output=False,
        stdout_file=None,
        stderr_file=None,
        start_timeout=60,
        execution_timeout=None,
        kernel_env=None,
        kernel_cwd=None,
        **kwargs,
    ):
        kwargs = remove_args(["input_path", "timeout", "startup_timeout"], **kwargs)
        final_kwargs = merge_kwargs(
            kwargs,
            timeout=execution_timeout,
            startup_timeout=start_timeout,
            kernel_name=kernel_name,
            log_output=log_output,
            stdout_file=stdout_file,
            stderr_file=stderr_file,
        )
        client = ObservedClient(nb_man, observer=observer, **final_kwargs)
        if observer is not None:
            code = [c for c in nb_man.nb.cells if c.cell_type == "code"]
            on_start, on_complete = nb_man.cell_start, nb_man.cell_complete

            def cell_start(cell, cell_index=None, **kw):
                if observer.stop_reason:  # asked to stop before the kernel could be killed
                    observer.code_cell = 0  # between cells: none was running
                    raise StepStopped(observer.stop_reason)
                if cell.cell_type == "code":
                    observer.cell_started(cell_index, cell.source)
                return on_start(cell, cell_index=cell_index, **kw)

            def cell_complete(cell, cell_index=None, **kw):
                result = on_complete(cell, cell_index=cell_index, **kw)
                if cell.cell_type == "code":
                    observer.cell_done()
                return result

            nb_man.cell_start, nb_man.cell_complete = cell_start, cell_complete
            observer.started(client, len(code))
        # the kernel's own working folder and environment: papermill's cwd would change
        # the whole server process's folder while the kernel starts (runs race on it)
        launch = {}
        if kernel_env is not None:
            launch["env"] = kernel_env
        if kernel_cwd is not None:
            launch["cwd"] = str(kernel_cwd)
        return client.execute(**launch)


papermill_engines.register(ENGINE_NAME, ObservedEngine)


@dataclass
class StepOutcome:
    error: str | None = None
    traceback: str | None = None
    cell: int | None = None
    stopped: str | None = None
    recorded: dict[str, Any] = field(default_factory=dict)


def read_recorded(notebook: Path) -> dict[str, Any]:
    """The values recorded with ``dtaas.record``, in cell order (a later one wins)."""
    recorded: dict[str, Any] = {}
    if not notebook.is_file():
        return recorded
    nb = nbformat.read(notebook, as_version=4)
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            item = out.get("data", {}).get(RECORD_MIMETYPE)
            if isinstance(item, dict) and "name" in item:
                recorded[item["name"]] = item.get("value")
    return recorded


@functools.lru_cache(maxsize=16)
def kernel_language(kernel_name: str) -> str | None:
    """The language of the kernel a step runs on. papermill needs it to write the
    parameters it injects, and a notebook written by hand may not say it."""
    try:
        return KernelSpecManager().get_kernel_spec(kernel_name).language or None
    except Exception:  # an unknown kernel: papermill then says what is wrong
        return None


def execute_step(
    notebook: Path,
    output: Path,
    parameters: dict[str, Any],
    cwd: Path,
    kernel_name: str = "python3",
    observer: StepObserver | None = None,
    stream: IO[str] | None = None,
    env: dict[str, str] | None = None,
) -> StepOutcome:
    """Run ``notebook`` into ``output``; a failing cell gives an outcome, not an exception.

    The kernel starts in ``cwd`` with ``env`` (the server's environment if None).
    """
    outcome = StepOutcome()
    observer = observer or StepObserver()
    try:
        papermill.execute_notebook(
            str(notebook),
            str(output),
            parameters=parameters,
            kernel_name=kernel_name,
            kernel_env=env,
            kernel_cwd=cwd,
            language=kernel_language(kernel_name),
            engine_name=ENGINE_NAME,
            observer=observer,
            progress_bar=False,
            log_output=False,
            stdout_file=stream,
            stderr_file=stream,
        )
    except PapermillExecutionError as e:
        outcome.cell = e.cell_index
        outcome.error = f"cell {e.cell_index}: {e.ename}: {e.evalue}"
        outcome.traceback = ANSI.sub("", "\n".join(e.traceback))
    except Exception as e:  # a kernel that died or was stopped, an unreadable notebook
        outcome.error = f"{type(e).__name__}: {e}"
        where = observer.where()
        if where:  # say which cell was running when it ended
            outcome.cell = observer.cell_index
            outcome.error = f"{where}: {outcome.error}"
        if observer.stop_reason is None and ("dead" in str(e).lower() or "died" in str(e).lower()):
            outcome.error = f"the kernel died while running {where or 'the notebook'}: {e}"
    if observer.stop_reason:
        outcome.stopped = observer.stop_reason
        outcome.error = observer.stop_reason
        if observer.where() and observer.stop_reason != "cancelled":
            outcome.error = f"{observer.stop_reason} in {observer.where()}"
    outcome.recorded = read_recorded(output)
    return outcome
