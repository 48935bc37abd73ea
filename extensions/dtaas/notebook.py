"""``dtaas.twin()``: a twin driven from a notebook, through the workspace's own REST API.

The kernel talks to its server as the CLI does (``$JUPYTERHUB_SERVICE_URL`` and
``$JUPYTERHUB_API_TOKEN``, or ``$DTAAS_URL`` and ``$DTAAS_TOKEN``), so a run or a sweep
started here is the same as one started in Lab: it is listed there, it survives the
notebook, and it is checked the same way.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Any

from .cli import Client, api_token, quote, server_url

POLL_S = 0.3
ENDED = ("succeeded", "failed", "cancelled")


class TwinError(RuntimeError):
    """The server refused a request, or a run ended other than succeeded."""


def _client() -> Client:
    return Client(server_url(None, dict(os.environ)), api_token(None, dict(os.environ)))


@dataclass
class RunResult:
    id: str
    status: str
    recorded: dict[str, Any]
    outputs: str  # the run's outputs folder, relative to the workspace
    error: str | None = None
    record: dict[str, Any] = field(default_factory=dict, repr=False)


class Sweep:
    """A sweep started from a notebook: watch it, cancel it, resume it, read its results."""

    def __init__(self, client: Client, record: dict[str, Any]):
        self.client = client
        self.record = record
        self.id: str = record["id"]

    def refresh(self) -> dict[str, Any]:
        self.record = self.client.call("GET", f"sweeps/{quote(self.id)}")
        return self.record

    @property
    def done(self) -> bool:
        return self.record.get("status") in ENDED

    def watch(self) -> Sweep:
        """A progress bar (done of total, failed) until the sweep ends."""
        from tqdm.std import tqdm

        with tqdm(total=self.record["total"], unit="scenario") as bar:
            while not self.done:
                time.sleep(POLL_S)
                self.refresh()
                bar.n = self.record["done"]
                bar.set_postfix_str(f"{self.record.get('failed', 0)} failed", refresh=False)
                bar.refresh()
        return self

    def wait(self) -> Sweep:
        while not self.done:
            time.sleep(POLL_S)
            self.refresh()
        return self

    def cancel(self) -> Sweep:
        self.record = self.client.call("POST", f"sweeps/{quote(self.id)}/cancel")
        return self

    def resume(self) -> Sweep:
        self.record = self.client.call("POST", f"sweeps/{quote(self.id)}/resume")
        return self

    def results(self) -> Any:
        """One row per finished scenario: parameters, recorded values, status, rank, run."""
        from .whatif.results import results_frame

        data = self.client.call("GET", f"sweeps/{quote(self.id)}/results")
        return results_frame(data.get("rows") or [])

    def analysis(self) -> dict[str, Any] | None:
        return self.client.call("GET", f"sweeps/{quote(self.id)}/results").get("analysis")

    def __repr__(self) -> str:
        r = self.record
        progress = f"{r.get('done')}/{r.get('total')} {r.get('status')}"
        return f"<Sweep {self.id} of {r.get('dt')}: {progress}>"


class Twin:
    """A digital twin of the workspace (private, a group's or common)."""

    def __init__(self, name: str, scope: str | None = None, client: Client | None = None):
        self.name = name
        self.scope = scope
        self.client = client or _client()

    def _body(self, **extra: Any) -> dict[str, Any]:
        body: dict[str, Any] = {"dt": self.name, **extra}
        if self.scope:
            body["scope"] = self.scope
        return body

    def run(self, step: str = "execute", config: str | None = None, **parameters: Any) -> RunResult:
        """Run one step with these parameters and wait for it: its recorded values."""
        body = self._body(steps=[step], parameters=parameters)
        if config:
            body["config"] = config
        try:
            record = self.client.call("POST", "runs", body)
            while record.get("status") not in ENDED:
                time.sleep(POLL_S)
                record = self.client.call("GET", f"runs/{quote(record['id'])}")
        except Exception as e:  # Refused, Unreachable: one clear line
            raise TwinError(str(e)) from None
        return RunResult(
            id=record["id"],
            status=record["status"],
            recorded=record.get("recorded") or {},
            outputs=f"{record.get('dir')}/outputs",
            error=record.get("error"),
            record=record,
        )

    def explore(self, step: str = "execute") -> Any:
        """Sliders from the schema; each change re-runs the twin, plotted against the defaults."""
        from .widgets import Explorer

        return Explorer(self, step)

    def sweep(
        self,
        ranges: dict[str, Any],
        design: str = "lhs",
        n: int = 20,
        seed: int = 0,
        objectives: list[str] = (),
        watch: bool = True,
        **options: Any,
    ) -> Sweep:
        """Start a sweep (see the runtime API's SweepRequest for ``options``), and watch it."""
        body = self._body(
            design={"kind": design, "n": n, "seed": seed},
            ranges=ranges,
            objectives=list(objectives),
            **options,
        )
        try:
            sweep = Sweep(self.client, self.client.call("POST", "sweeps", body))
        except Exception as e:
            raise TwinError(str(e)) from None
        return sweep.watch() if watch else sweep


def twin(name: str, scope: str | None = None) -> Twin:
    """``tw = dtaas.twin("mass-spring-damper")``; the scope is found when not given."""
    return Twin(name, scope)
