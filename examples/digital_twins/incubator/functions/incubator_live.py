"""The incubator's digital shadow over MQTT: the plant's readings in, heater commands out, the
estimate carried over readings it missed, and the series written to the platform's time-series
store. The messages are the mock incubator's (``common/tools/incubator-plant``)."""

from __future__ import annotations

import queue
import sys
import time
import uuid
from typing import Any

import numpy as np

PLANT_TOOL = "common/tools/incubator-plant"
SERIES = ("T_air", "T_estimated", "T_heater_estimated", "heater_on", "energy_J")
MAX_GAP_STEPS = 100_000  # readings missed before the estimate starts again from the sensor


def messages():
    """The mock incubator's module (its topics and messages), from the tool the twin declares."""
    try:
        import incubator_plant
    except ModuleNotFoundError:
        import dtaas

        sys.path.insert(0, str(dtaas.asset(PLANT_TOOL)))
        import incubator_plant
    return incubator_plant


def prefix() -> str:
    """This user's topic prefix, ``dt/<user>/``, as the platform gives it."""
    from dtaas.services.broker import prefix as platform_prefix

    return platform_prefix()


def new_history() -> str:
    """The id that tags one history of the twin in the store (create starts a new one)."""
    return uuid.uuid4().hex[:12]


class Link:
    """The shadow's end of the MQTT link: readings queue up as they arrive (on paho's
    thread); :meth:`readings` hands over the new ones in time order, :meth:`send` commands the
    heater. ``client`` is a connected paho-mqtt 2 client whose network loop runs (the
    platform's, ``dtaas.services.mqtt()``, subscribes again by itself after a reconnect)."""

    def __init__(self, client, topic_prefix: str, incubator_id: str = "1", qos: int = 1):
        m = messages()
        self._m = m
        self.client = client
        self.qos = qos
        self.temperature_topic = m.topic(topic_prefix, incubator_id, m.TEMPERATURE)
        self.heater_topic = m.topic(topic_prefix, incubator_id, m.HEATER)
        self.received = 0
        self.rejected = 0
        self.last_error: str | None = None
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        client.message_callback_add(self.temperature_topic, self._on_reading)
        client.subscribe(self.temperature_topic, qos)
        m.no_delay(client)

    def _on_reading(self, client, userdata, message) -> None:
        try:
            reading = self._m.parse_reading(message.payload)
        except ValueError as e:
            self.rejected += 1
            self.last_error = str(e)
            return
        reading["received"] = time.time()  # when it arrived: its time in the store
        self._queue.put(reading)
        self.received += 1

    def readings(self, after: float | None = None, wait_s: float = 0.0) -> list[dict[str, Any]]:
        """The readings that arrived since the last call, oldest first, those at or before
        ``after`` left out (a repeat, or what the shadow has already seen). ``wait_s``: how
        long to wait for the first one when none is there."""
        got = []
        try:
            got.append(self._queue.get(timeout=wait_s) if wait_s > 0 else self._queue.get_nowait())
            while True:
                got.append(self._queue.get_nowait())
        except queue.Empty:
            pass
        got.sort(key=lambda r: r["t"])
        return [r for r in got if after is None or r["t"] > after + 1e-9]

    def send(self, on: bool, t: float | None = None) -> None:
        self.client.publish(self.heater_topic, self._m.command(on, t), self.qos)

    def close(self) -> None:
        self.client.message_callback_remove(self.temperature_topic)
        self.client.unsubscribe(self.temperature_topic)


def advance(kf, reading: dict, kf_t: float | None, step_s: float, heater_on: bool, T_ambient):
    """Bring the estimate to the reading's time and correct it with the reading.

    The filter steps ``step_s`` at a time: readings missed in between (the shadow was stopped,
    or a message was lost) are predicted over with the heater as the plant held it (what the
    reading says it did, else ``heater_on``). Returns how many steps the estimate moved (0: the
    reading is not newer than the estimate)."""
    n = 1 if kf_t is None else round((reading["t"] - kf_t) / step_s)
    if n < 1:
        return 0
    on = heater_on if reading.get("heater_on") is None else reading["heater_on"]
    u = [1.0 if on else 0.0, T_ambient]
    z = reading["T"]
    if n > MAX_GAP_STEPS:  # far too long to predict over: start again from the sensor
        kf.x = np.array([z, z], dtype=float)
        n = 1
    for _ in range(n - 1):
        kf.predict(u)
    kf.step(u, [z])
    return n


def open_store():
    """The platform's time-series store, or None (said why) when it cannot be reached: the
    shadow goes on without it."""
    import dtaas

    try:
        return dtaas.services.timeseries()
    except (ConnectionError, OSError, RuntimeError, ImportError) as e:
        print(f"time series not stored: {e}", file=sys.stderr)
        return None


def series_name(incubator_id: str, name: str = "") -> str:
    """``incubator/<id>/<name>``: the store's name of one of the shadow's series (without
    ``name``: the prefix a frame of them is written under)."""
    return f"incubator/{incubator_id}/{name}" if name else f"incubator/{incubator_id}"


def write_rows(store, incubator_id: str, rows: list[dict], tags: dict[str, Any]) -> int:
    """The values of some readings, each of ``SERIES`` in its series
    (``incubator/<id>/<name>``), at the time each reading arrived, tagged with ``tags`` and
    the incubator's own time of the reading (``t_s``). Returns the points written."""
    if store is None or not rows:
        return 0
    import pandas as pd

    frame = pd.DataFrame({name: [float(r[name]) for r in rows] for name in SERIES})
    frame["t"] = [r["received"] for r in rows]
    try:
        return store.write(
            series_name(incubator_id), frame, tags=[{**tags, "t_s": r["t"]} for r in rows]
        )
    except (ConnectionError, OSError) as e:  # the store is down: the shadow goes on
        print(f"{len(rows)} readings not stored: {e}", file=sys.stderr)
        return 0


def read_history(store, incubator_id: str, history: str | None):
    """The stored series of one history of the twin as one frame: a row per reading
    (``t`` when it arrived, ``t_s`` the incubator's time), a column per series."""
    import pandas as pd

    frame = store.read([series_name(incubator_id, name) for name in SERIES])
    if frame.empty:
        return pd.DataFrame(columns=["t", "t_s", "run", *SERIES])
    tags = frame["tags"].apply(lambda tg: tg if isinstance(tg, dict) else {})
    frame = frame.assign(
        name=frame["series"].str.rsplit("/", n=1).str[-1],
        t_s=tags.apply(lambda tg: tg.get("t_s")),
        run=tags.apply(lambda tg: tg.get("run")),
        history=tags.apply(lambda tg: tg.get("history")),
    )
    if history is not None:
        frame = frame[frame["history"] == history]
    wide = frame.pivot_table(index=["t_s", "t", "run"], columns="name", values="value")
    return wide.reset_index().sort_values("t_s").reset_index(drop=True)


def shadow_state(base: dict, tick: int, kf, kf_t, ctrl, model, energy_J: float, history: str):
    """``state.json`` of the shadow on MQTT: what ``base`` (the state it started from) holds,
    with its estimate, the time of the last reading it took, its controller and its count of
    the heater's energy. It holds no plant: the incubator is out there."""
    return {
        **(base or {}),
        "tick": int(tick),
        "t": kf_t,
        "estimator": kf.state(),
        "model": model.to_dict(),
        "heater_on": ctrl.on,
        "source": "mqtt",
        "kf_t": kf_t,
        "shadow_energy_J": float(energy_J),
        "history": history,
    }
