"""The snapshot manager: lists, labels, diffs and deletes snapshots, and saves ended runs."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from traitlets import Float, Integer, Type
from traitlets.config import LoggingConfigurable

from ..digital_twins import RequestError
from ..jsonsafe import shorten
from ..runs.model import RunRecord, new_run_id
from ..runs.store import RUN_ID_RE
from .model import OUTPUTS_PREFIX, STATE_PREFIX, Snapshot, diff
from .store import MAX_LABEL, SnapshotStore


class SnapshotManager(LoggingConfigurable):
    """Snapshots of one workspace's runs; the store is pluggable."""

    store_class = Type(
        SnapshotStore, klass=SnapshotStore, config=True, help="Where snapshots are kept."
    )
    save_timeout = Float(
        60, config=True, help="Seconds a save of a live run may take before it is reported failed."
    )
    shutdown_save_timeout = Float(
        5, config=True, help="Seconds the server waits for live runs to be saved as it stops."
    )
    import_max_bytes = Integer(
        8 << 30,
        config=True,
        help="Bytes of new blobs an import of a snapshot shared with this user may bring.",
    )

    def __init__(self, workspace: Path, **kwargs: Any):
        super().__init__(**kwargs)
        self.workspace = workspace
        self.store = self.store_class(workspace)

    @staticmethod
    def new_id() -> str:
        return new_run_id()

    @staticmethod
    def check_label(body: dict[str, Any], required: bool = False) -> str:
        label = body.get("label")
        if label is None and not required:
            return ""
        if not isinstance(label, str) or len(label) > MAX_LABEL or "\x00" in label:
            raise RequestError(
                400, f"label must be a string of at most {MAX_LABEL} characters", field="label"
            )
        return label.strip()

    def get(self, snapshot_id: str) -> Snapshot:
        if not isinstance(snapshot_id, str) or not RUN_ID_RE.match(snapshot_id):
            raise RequestError(
                400,
                f"{shorten(snapshot_id, 80)!r} is not a snapshot id",
                field="snapshot",
                snapshot=shorten(snapshot_id, 80),
            )
        found = self.store.get(snapshot_id)
        if found is None:
            raise RequestError(404, f"no snapshot with id {snapshot_id!r}", snapshot=snapshot_id)
        return found

    def list(self, dt: str | None = None, limit: int | None = None) -> list[Snapshot]:
        return self.store.all(dt, limit)

    def relabel(self, snapshot_id: str, body: dict[str, Any]) -> Snapshot:
        return self.store.relabel(self.get(snapshot_id), self.check_label(body, required=True))

    def delete(self, snapshot_id: str) -> None:
        self.store.delete(self.get(snapshot_id))

    def diff(self, snapshot_id: str, other: str | None) -> dict[str, Any]:
        if other is None:
            raise RequestError(400, "missing query argument 'other'", field="other")
        return diff(self.get(snapshot_id), self.get(other))

    def save_ended(self, record: RunRecord, run_dir: Path, state_dir: Path, label: str) -> Snapshot:
        """What an ended run left: its state folder and outputs, with no kernel variables.

        Blocking: run it off the event loop.
        """
        snapshot = Snapshot(
            id=self.new_id(),
            dt=record.dt,
            scope=record.scope,
            run=record.id,
            step=next((r.step for r in reversed(record.step_results) if r.started), None),
            label=label,
            live=False,
            tick=(record.live or {}).get("tick"),
            parameters=record.parameters,
            config=record.config,
            dt_hash=record.dt_hash,
            environment=record.environment,
            recorded=record.recorded,
            state_dir=record.state_dir,
            note="taken after the run ended: its kernel's variables are gone",
        )
        files = self.store.capture(
            [(STATE_PREFIX, state_dir), (OUTPUTS_PREFIX, run_dir / "outputs")], in_memory=False
        )
        return self.store.finish(snapshot, files, [])

    async def wait_for(
        self, snapshot_id: str, dt: str, error_file: Path, timeout: float
    ) -> Snapshot:
        """The snapshot a kernel was asked to write, once it is there; 500 with the
        kernel's reason if it failed, 504 if it takes longer than ``timeout``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            found = await asyncio.to_thread(self.store.get, snapshot_id, dt)
            if found is not None:
                return found
            if error_file.is_file():
                reason = error_file.read_text(errors="replace")[:500]
                raise RequestError(500, f"the save failed in the kernel: {reason}")
            await asyncio.sleep(0.05)
        raise RequestError(
            504,
            f"the kernel did not write snapshot {snapshot_id} within {timeout:g} s "
            "(a tick that takes longer holds the save until it ends)",
            snapshot=snapshot_id,
        )
