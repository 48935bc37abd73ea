"""A mock physical incubator on MQTT, and the messages it speaks.

The plant is ``thermal.Plant`` (the incubator-thermal model with its own "true" parameters and
a noisy air sensor), stepped one step at a time. It talks to the world as a real incubator
would, through two topics under the user's prefix (``dt/<user>/``):

- ``<prefix>incubator/<id>/temperature``: after every step, the air sensor's reading,
  ``{"t": 125.0, "T": 24.31, "heater_on": 1}`` (``t`` in seconds of the plant's own clock,
  ``T`` in degC, ``heater_on`` what the heater did during the step that ended at ``t``);
- ``<prefix>incubator/<id>/heater``: commands, ``{"on": true}`` (an optional ``"t"`` names the
  reading the command answers). The plant holds the last command until the next one.

Run as a program it is the incubator on a bench, outside any twin::

    python incubator_plant.py --id 1 --period 0.5      # Ctrl-C ends it

(in a DTaaS workspace it connects with ``dtaas.services.mqtt()``; ``--host``/``--port`` name
another broker). The incubator twin runs the same class as a live step (parameter
``role: plant``), so Lab shows the plant's own series beside the shadow's.
"""

from __future__ import annotations

import contextlib
import json
import math
import re
import socket
import threading
from typing import Any

__all__ = [
    "HEATER",
    "TEMPERATURE",
    "MockIncubator",
    "command",
    "no_delay",
    "parse_command",
    "parse_reading",
    "reading",
    "topic",
]

TEMPERATURE = "temperature"
HEATER = "heater"
QOS = 1
INCUBATOR_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def topic(prefix: str, incubator_id: str, kind: str) -> str:
    """``<prefix>incubator/<id>/<kind>``; the id is one plain topic level (no ``/ + #``)."""
    if not isinstance(incubator_id, str) or not INCUBATOR_ID.match(incubator_id):
        raise ValueError(f"an incubator id is 1-64 of [A-Za-z0-9_-], not {incubator_id!r}")
    if kind not in (TEMPERATURE, HEATER):
        raise ValueError(f"kind must be {TEMPERATURE!r} or {HEATER!r}")
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    return f"{prefix}incubator/{incubator_id}/{kind}"


def _number(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, not {value!r}")
    return float(value)


def _json(payload: bytes | str) -> Any:
    try:
        return json.loads(payload)
    except (ValueError, UnicodeDecodeError) as e:
        raise ValueError(f"not JSON: {e}") from None


def reading(t: float, T: float, heater_on: bool | None = None) -> bytes:
    """The temperature message of one step."""
    message: dict[str, Any] = {"t": _number(t, "t"), "T": _number(T, "T")}
    if heater_on is not None:
        message["heater_on"] = int(bool(heater_on))
    return json.dumps(message).encode()


def parse_reading(payload: bytes | str) -> dict[str, Any]:
    """``{"t", "T", "heater_on"}`` of a temperature message (``heater_on`` None if absent);
    ValueError saying what is wrong with one that is not."""
    data = _json(payload)
    if not isinstance(data, dict):
        raise ValueError("a reading is a JSON object with t and T")
    on = data.get("heater_on")
    if on is not None and on not in (0, 1, True, False):
        raise ValueError(f"heater_on must be 0 or 1, not {on!r}")
    return {
        "t": _number(data.get("t"), "t"),
        "T": _number(data.get("T"), "T"),
        "heater_on": None if on is None else bool(on),
    }


def command(on: bool, t: float | None = None) -> bytes:
    """The heater message: on or off (answering the reading at ``t``)."""
    message: dict[str, Any] = {"on": bool(on)}
    if t is not None:
        message["t"] = _number(t, "t")
    return json.dumps(message).encode()


def parse_command(payload: bytes | str) -> bool:
    """On or off from a heater message: ``{"on": true}``, or a bare ``true``/``false``/1/0."""
    data = _json(payload)
    value = data.get("on") if isinstance(data, dict) else data
    if value in (True, False, 0, 1) and not isinstance(value, float):
        return bool(value)
    raise ValueError(f"a heater command is {{'on': true|false}}, not {payload!r}")


def no_delay(client) -> None:
    """Send each small message at once (no Nagle wait of some 40 ms for the last one's ack)."""
    sock = client.socket()
    if sock is not None and hasattr(sock, "setsockopt"):
        with contextlib.suppress(OSError):  # not TCP (a websocket): nothing to do
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class MockIncubator:
    """A plant behind MQTT: :meth:`step` steps it with the heater command it holds and
    publishes the air sensor's reading; commands arriving on the heater topic change what it
    holds. ``client`` is a connected paho-mqtt 2 client whose network loop runs (the
    platform's, ``dtaas.services.mqtt()``, subscribes again by itself after a reconnect)."""

    def __init__(self, plant, client, prefix: str, incubator_id: str = "1", qos: int = QOS):
        self.plant = plant
        self.client = client
        self.qos = qos
        self.temperature_topic = topic(prefix, incubator_id, TEMPERATURE)
        self.heater_topic = topic(prefix, incubator_id, HEATER)
        self.heater_on = False
        self.commands = 0
        self.rejected = 0
        self.last_error: str | None = None
        self._lock = threading.Lock()
        client.message_callback_add(self.heater_topic, self._on_command)
        client.subscribe(self.heater_topic, qos)
        no_delay(client)

    def _on_command(self, client, userdata, message) -> None:
        try:
            on = parse_command(message.payload)
        except ValueError as e:
            self.rejected += 1
            self.last_error = str(e)
            return
        with self._lock:
            self.heater_on = on
            self.commands += 1

    def step(self) -> dict[str, float]:
        """One step of the plant with the command held now; the reading is published."""
        with self._lock:
            on = self.heater_on
        z = self.plant.step(on)
        self.client.publish(self.temperature_topic, reading(self.plant.t, z, on), self.qos)
        return {
            "t": self.plant.t,
            "T_air": z,
            "T_air_true": self.plant.T_air,
            "T_heater": self.plant.T_heater,
            "heater_on": int(on),
            "energy_J": self.plant.energy_J,
        }

    def close(self) -> None:
        self.client.message_callback_remove(self.heater_topic)
        self.client.unsubscribe(self.heater_topic)


def _connect(host: str | None, port: int):
    """A client with its loop running: the platform's (``dtaas.services.mqtt()``), or one
    of its own to ``host``."""
    if host is None:
        import os

        import dtaas

        return dtaas.services.mqtt(), os.environ.get("DTAAS_MQTT_PREFIX", "")
    from paho.mqtt.client import CallbackAPIVersion, Client

    client = Client(CallbackAPIVersion.VERSION2)
    client.connect(host, port)
    client.loop_start()
    return client, ""


def main(argv: list[str] | None = None) -> None:
    import argparse
    import sys
    import time
    from pathlib import Path

    here = Path(__file__).resolve().parent
    sys.path.insert(0, str(here.parent.parent / "models" / "incubator-thermal"))
    import thermal

    parser = argparse.ArgumentParser(description="A mock incubator on MQTT")
    parser.add_argument("--id", default="1", help="the incubator's id in its topics")
    parser.add_argument("--period", type=float, default=0.5, help="wall-clock s per step")
    parser.add_argument("--step", type=float, default=5.0, help="simulated s per step")
    parser.add_argument("--mismatch", type=float, default=0.05, help="true params off the model")
    parser.add_argument("--noise", type=float, default=0.1, help="sensor noise, K")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--host", help="a broker of your own (default: the platform's)")
    parser.add_argument("--port", type=int, default=1883)
    parser.add_argument("--prefix", help="topic prefix (default: the platform's, dt/<user>/)")
    args = parser.parse_args(argv)

    client, prefix = _connect(args.host, args.port)
    true = thermal.perturbed(thermal.NOMINAL, args.mismatch)
    plant = thermal.Plant(true, args.step, None, args.noise, args.seed)
    incubator = MockIncubator(plant, client, args.prefix or prefix, args.id)
    print(f"publishing to {incubator.temperature_topic}, commands on {incubator.heater_topic}")
    try:
        while True:
            r = incubator.step()
            heater = "on" if r["heater_on"] else "off"
            print(f"t={r['t']:.0f} s  T_air={r['T_air']:.2f} degC  heater {heater}")
            time.sleep(args.period)
    except KeyboardInterrupt:
        pass
    finally:
        incubator.close()
        client.disconnect()
        client.loop_stop()


if __name__ == "__main__":
    main()
