"""The fast executor: a twin's step run for many scenarios in warm kernels.

A papermill run pays about 1.8 s per scenario for a kernel and its bookkeeping. Here each
worker is one real Jupyter kernel, started once in the twin's run context, that has
already done the step's imports. For each scenario the kernel's namespace is reset
(``%reset -f``: nothing a scenario set is seen by the next), the parameters are injected
where papermill would inject them (after the cell tagged ``parameters``, else first, with
papermill's own translator), and the step's cells run one by one. Recorded values come
from the ``dtaas.record`` outputs, as in a run; an executed notebook is written only for
the scenarios that are kept.
"""

from __future__ import annotations

import ast
import contextlib
import copy
import json
import os
import queue
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
from jupyter_client.manager import KernelManager
from papermill.iorw import load_notebook_node
from papermill.parameterize import parameterize_notebook
from papermill.translators import translate_parameters
from papermill.utils import find_first_tagged_cell_index

from ..runs.engine import ANSI, kernel_language
from .driver import RESULT_MIMETYPE

KEEP = ("all", "failures", "none")


@dataclass
class StepProgram:
    """A step's notebook, split where papermill injects parameters."""

    notebook: nbformat.NotebookNode
    kernel_name: str = "python3"

    def __post_init__(self) -> None:
        self.language = kernel_language(self.kernel_name) or "python"
        cells = self.notebook.cells
        index = find_first_tagged_cell_index(self.notebook, "parameters")
        self.before = [c.source for c in cells[: index + 1] if c.cell_type == "code"]
        self.after = [c.source for c in cells[index + 1 :] if c.cell_type == "code"]

    @classmethod
    def read(cls, path: Path, kernel_name: str = "python3") -> StepProgram:
        return cls(load_notebook_node(str(path)), kernel_name)  # with papermill's metadata

    def cells(self, parameters: dict[str, Any]) -> list[str]:
        injected = translate_parameters(self.kernel_name, self.language, parameters, "Parameters")
        return [*self.before, injected, *self.after]

    def imports(self) -> str:
        """The step's top-level import statements, to warm a kernel with."""
        lines = []
        for source in [*self.before, *self.after]:
            try:
                tree = ast.parse(source)
            except SyntaxError:  # a magic, or an error the scenario will report
                continue
            lines += [
                ast.get_source_segment(source, node) or ""
                for node in tree.body
                if isinstance(node, (ast.Import, ast.ImportFrom))
            ]
        return "\n".join(line for line in lines if line)

    def executed(self, parameters: dict[str, Any], outputs: list[list[dict]]) -> Any:
        """The notebook as papermill would have written it, with the outputs we saw."""
        nb = parameterize_notebook(
            copy.deepcopy(self.notebook),
            parameters,
            kernel_name=self.kernel_name,
            language=self.language,
        )
        code = [c for c in nb.cells if c.cell_type == "code"]
        for cell, outs in zip(code, outputs, strict=False):
            cell.outputs = [nbformat.from_dict(o) for o in outs]
        return nb


@dataclass
class ScenarioResult:
    index: int
    status: str  # succeeded | failed | cancelled
    recorded: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    traceback: str | None = None
    cell: int | None = None
    duration_s: float = 0.0
    notebook: str | None = None  # kept: relative to the sweep folder
    worker: int = 0


class ScenarioFailed(Exception):
    pass


class WarmKernel:
    """One worker: a kernel in the twin's run context, reused for scenario after scenario."""

    def __init__(self, number: int, kernel_name: str, env: dict[str, str], cwd: Path):
        self.number = number
        self.km = KernelManager(kernel_name=kernel_name)
        self.km.start_kernel(env=env, cwd=str(cwd))
        self.kc = self.km.blocking_client()
        self.kc.start_channels()
        try:
            self.kc.wait_for_ready(timeout=60)
        except RuntimeError:  # died at start: nothing of it is left behind
            self.stop()
            raise

    def execute(
        self, code: str, silent: bool = False, timeout: float | None = None
    ) -> tuple[list[dict], dict[str, Any]]:
        """Run ``code``; its outputs as notebook outputs, and the reply's content."""
        msg_id = self.kc.execute(code, silent=silent, store_history=False, allow_stdin=False)
        outputs: list[dict] = []
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            wait = None if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                msg = self.kc.get_iopub_msg(timeout=wait)
            except queue.Empty:
                raise TimeoutError(f"the scenario ran longer than {timeout:g} s") from None
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "status" and content["execution_state"] == "idle":
                break
            if kind == "stream":
                outputs.append({"output_type": "stream", **content})
            elif kind in ("display_data", "execute_result"):
                out = {
                    "output_type": kind,
                    "data": content["data"],
                    "metadata": content["metadata"],
                }
                if kind == "execute_result":
                    out["execution_count"] = content.get("execution_count")
                outputs.append(out)
            elif kind == "error":
                outputs.append({"output_type": "error", **content})
        reply = self.kc.get_shell_msg(timeout=60)
        while reply["parent_header"].get("msg_id") != msg_id:
            reply = self.kc.get_shell_msg(timeout=60)
        return outputs, reply["content"]

    def restart(self, warm: str) -> None:
        """A new kernel process in place of one stuck in a scenario, warmed again.

        (An interrupt can land while the kernel reads its request and lose the reply.)"""
        self.km.restart_kernel(now=True)
        self.kc.wait_for_ready(timeout=60)
        self.execute(warm, silent=True)

    def stop(self) -> None:
        try:
            self.kc.stop_channels()
        finally:
            self.km.shutdown_kernel(now=True)


class Workers:
    """A pool of warm kernels for one step of one twin; scenarios are taken from a queue."""

    def __init__(
        self,
        program: StepProgram,
        env: dict[str, str],
        cwd: Path,
        count: int,
        prologue: str = "",
    ):
        self.program = program
        self.env = env
        self.cwd = cwd
        self.count = max(1, count)
        self.prologue = prologue
        self.kernels: list[WarmKernel] = []
        self._cancel = threading.Event()

    def start(self) -> None:
        """Start and warm every kernel at once (their starts overlap)."""
        self.cwd.mkdir(parents=True, exist_ok=True)
        errors: list[BaseException] = []

        def one(number: int) -> None:
            try:
                kernel = self._started(number)
                _, reply = kernel.execute(self.warm_code, silent=True)
                if reply.get("status") != "ok":  # the scenarios will say which import fails
                    kernel.execute("import dtaas.whatif.driver", silent=True)
                self.kernels.append(kernel)
            except BaseException as e:  # noqa: BLE001 (said once all have started)
                errors.append(e)

        threads = [threading.Thread(target=one, args=(i,)) for i in range(self.count)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors and not self.kernels:
            raise RuntimeError(f"no worker kernel started: {errors[0]}")

    def _started(self, number: int, attempts: int = 3) -> WarmKernel:
        """A kernel, tried again when one dies at start: jupyter_client picks its ports by
        binding and releasing them, and kernels starting at once elsewhere can take them."""
        for attempt in range(attempts):
            try:
                return WarmKernel(number, self.program.kernel_name, self.env, self.cwd)
            except RuntimeError:
                if attempt == attempts - 1:
                    raise
        raise AssertionError("unreachable")

    @property
    def warm_code(self) -> str:
        return "import dtaas.whatif.driver\n" + self.program.imports()

    def reset(self) -> None:
        """Ready for another sweep."""
        self._cancel.clear()

    def cancel(self) -> None:
        """No scenario starts after this; those running end (each within its timeout)."""
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def run_one(
        self,
        kernel: WarmKernel,
        index: int,
        parameters: dict[str, Any],
        folder: Path,
        context: dict[str, Any],
        keep: str,
        timeout: float | None,
        collect: Callable[[Path], None] | None = None,
    ) -> ScenarioResult:
        """One scenario on one kernel, in one request; a failure is a result, never raised.

        ``collect`` reads the scenario's folder before it is cleared (a calibration reads
        the series the step recorded there)."""
        started = time.monotonic()
        scenario_dir = folder / "scenarios" / str(index)
        result = ScenarioResult(index=index, status="succeeded", worker=kernel.number)
        call = (
            "__import__('dtaas.whatif.driver').whatif.driver.run_scenario("
            f"{self.program.cells(parameters)!r}, {str(self.cwd)!r}, {str(scenario_dir)!r}, "
            f"{str(scenario_dir / '.context.json')!r}, "
            f"{json.dumps({**context, 'parameters': parameters})!r}, {keep != 'none'!r}, "
            f"{self.prologue!r})"
        )
        outputs: list[list[dict]] = []
        try:
            shown, reply = kernel.execute(call, silent=True, timeout=timeout)
            found = next(
                (o["data"][RESULT_MIMETYPE] for o in shown if RESULT_MIMETYPE in o.get("data", {})),
                None,
            )
            if found is None:
                detail = f"{reply.get('ename')}: {reply.get('evalue')}"
                raise ScenarioFailed(f"the scenario did not finish ({detail})")
            result.recorded = found.get("recorded") or {}
            outputs = found.get("outputs") or []
            result.status = found["status"]
            result.error, result.cell = found.get("error"), found.get("cell")
            result.traceback = ANSI.sub("", found.get("traceback") or "") or None
            if result.status == "interrupted":
                result.status = "cancelled" if self.cancelled else "failed"
        except TimeoutError as e:
            result.status, result.error = "failed", str(e)
            kernel.restart(self.warm_code)
        except ScenarioFailed as e:
            result.status, result.error = "failed", str(e)
        result.duration_s = round(time.monotonic() - started, 4)
        if collect is not None and result.status == "succeeded":
            collect(scenario_dir)
        wanted = keep == "all" or (keep == "failures" and result.status == "failed")
        if wanted:
            notebooks = folder / "notebooks"
            notebooks.mkdir(exist_ok=True)
            nbformat.write(self.program.executed(parameters, outputs), notebooks / f"{index}.ipynb")
            result.notebook = f"notebooks/{index}.ipynb"
        elif scenario_dir.is_dir():
            shutil.rmtree(scenario_dir, ignore_errors=True)
        return result

    def run(
        self,
        scenarios: list[tuple[int, dict[str, Any]]],
        folder: Path,
        context: dict[str, Any],
        keep: str,
        done: Callable[[ScenarioResult], None],
        timeout: float | None = None,
    ) -> None:
        """Every scenario, spread over the kernels; ``done`` is called for each (any thread)."""
        todo: queue.Queue = queue.Queue()
        for item in scenarios:
            todo.put(item)

        def work(kernel: WarmKernel) -> None:
            while not self.cancelled:
                try:
                    index, parameters = todo.get_nowait()
                except queue.Empty:
                    return
                done(self.run_one(kernel, index, parameters, folder, context, keep, timeout))

        threads = [threading.Thread(target=work, args=(k,), daemon=True) for k in self.kernels]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    def stop(self) -> None:
        for kernel in self.kernels:
            with contextlib.suppress(Exception):  # a kernel that is gone already
                kernel.stop()
        self.kernels = []


def scratch(folder: Path) -> None:
    """The scenarios' scratch folder, removed once a sweep is over (kept ones stay)."""
    scenarios = folder / "scenarios"
    if scenarios.is_dir():
        for entry in os.scandir(scenarios):
            if not os.listdir(entry.path):
                os.rmdir(entry.path)
