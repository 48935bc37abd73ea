"""What the platform services carry, each measured on its own instance (no hub).

- ``mqtt_msgs_per_s``: messages per second from one publisher to one subscriber through
  the platform's broker (the supervisor ``python -m platform_services.mqtt``, with the
  configuration, password file and ACL it writes), for 10 s on loopback: QoS 0, 16-byte
  payloads; the subscriber is ``dtaas.services.mqtt()`` as notebooks use it, the publisher
  writes prebuilt packets straight to its socket (so it is not what limits the figure),
  each in its own process. The figure is what the subscriber received over the time it
  received; ``mqtt_sent`` and ``mqtt_received`` say how many went out and how many
  arrived (the broker drops QoS 0 messages a subscriber is too slow to take), and
  ``mqtt_subscriber_cpu_us_per_msg`` and ``mqtt_broker_cpu_us_per_msg`` the CPU time each
  message cost the subscriber and mosquitto (other load on the machine leaves them be).
- ``ts_write_points_per_s``: points per second written by ``dtaas.services.timeseries()``
  into the platform's time-series store (the supervisor ``python -m
  platform_services.timeseries``, its cluster made in a fresh folder, a user prepared as
  before a spawn): 1,000,000 points of one series in batches of 10,000 (each one COPY),
  on loopback. ``ts_read_points_per_s``: the same points read back as one DataFrame.

Run with the project's venv: ``.venv/bin/python bench/services.py [figure ...]`` (default:
every figure). Prints one JSON line; diagnostics go to stderr.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MQTT_SECONDS = 10.0
MQTT_PAYLOAD = b"0123456789abcdef"
TS_POINTS = 1_000_000
TS_BATCH = 10_000


def say(*args: object) -> None:
    print(*args, file=sys.stderr, flush=True)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- MQTT -------------------------------------------------------------------------


def _mqtt_subscriber(env: dict, topic: str, ready, result) -> None:
    """Counts what arrives on ``topic`` until the message ``stop``."""
    os.environ.update(env)
    import dtaas.services

    counted = {"n": 0, "first": 0.0, "last": 0.0, "cpu": time.process_time()}
    done = multiprocessing.Event()

    def on_message(client, userdata, msg) -> None:
        if msg.payload == b"stop":
            done.set()
            return
        now = time.perf_counter()
        if counted["n"] == 0:
            counted["first"] = now
        counted["n"] += 1
        counted["last"] = now

    client = dtaas.services.mqtt(client_id="bench-subscriber")
    client.on_message = on_message
    subscribed = multiprocessing.Event()
    client.on_subscribe = lambda *a: subscribed.set()
    client.subscribe(topic, qos=0)
    client.subscribe(topic + "/stop", qos=1)
    subscribed.wait(5)
    ready.set()
    done.wait(MQTT_SECONDS + 60)
    counted["cpu"] = time.process_time() - counted["cpu"]
    client.close()
    result.put(counted)


def _mqtt_string(data: bytes) -> bytes:
    return len(data).to_bytes(2, "big") + data


def _mqtt_packet(kind: int, body: bytes) -> bytes:
    """A packet with its fixed header (MQTT 3.1.1: type and flags, remaining length)."""
    length, n = b"", len(body)
    while True:
        n, digit = divmod(n, 128)
        length += bytes([digit | (0x80 if n else 0)])
        if not n:
            return bytes([kind]) + length + body


def _mqtt_publish(env: dict, topic: str, seconds: float) -> int:
    """Publishes for ``seconds`` as fast as the broker reads; returns how many.

    The packets are made once and written in batches straight to the socket, so the
    figure is the broker's and the subscriber's, not the cost of making packets here.
    """
    import socket

    sock = socket.create_connection((env["DTAAS_MQTT_HOST"], int(env["DTAAS_MQTT_PORT"])), 5)
    user, password = env["DTAAS_MQTT_USERNAME"].encode(), env["DTAAS_MQTT_PASSWORD"].encode()
    connect = _mqtt_string(b"MQTT") + bytes([4, 0xC2]) + (60).to_bytes(2, "big")
    connect += b"".join(map(_mqtt_string, (b"bench-publisher", user, password)))
    sock.sendall(_mqtt_packet(0x10, connect))
    if sock.recv(4) != b"\x20\x02\x00\x00":
        raise RuntimeError("the broker refused the publisher")
    batch_size = 500
    batch = _mqtt_packet(0x30, _mqtt_string(topic.encode()) + MQTT_PAYLOAD) * batch_size
    sent = 0
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        sock.sendall(batch)  # blocks while the broker is behind
        sent += batch_size
    stop = _mqtt_string(f"{topic}/stop".encode()) + (1).to_bytes(2, "big") + b"stop"
    sock.sendall(_mqtt_packet(0x32, stop))  # QoS 1: answered once the broker has it
    if sock.recv(4)[:1] != b"\x40":
        raise RuntimeError("the broker did not acknowledge the last message")
    sock.sendall(b"\xe0\x00")
    sock.close()
    return sent


def mqtt_msgs_per_s() -> dict:
    from hub_config.settings import load_settings
    from platform_services import mqtt

    with tempfile.TemporaryDirectory(prefix="dtaas-bench-mqtt-") as tmp:
        data = Path(tmp)
        (data / "services").mkdir(mode=0o700)
        port = _free_port()
        settings = load_settings({"DTAAS_DATA_DIR": tmp, "DTAAS_MQTT_PORT": str(port)})
        entry = mqtt.service(settings)
        mqtt.prepare_user(settings, "bench", [])
        env = mqtt.user_env(settings, "bench")
        supervisor = subprocess.Popen(
            entry["command"],
            cwd=entry["cwd"],
            env={**os.environ, **entry["environment"]},
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 10
            while not mqtt.health(settings, timeout=1)["ok"]:
                if time.monotonic() > deadline:
                    raise RuntimeError("the broker did not start")
                time.sleep(0.1)
            topic = "dt/bench/load"
            ctx = multiprocessing.get_context("fork")
            ready, result = ctx.Event(), ctx.Queue()
            sub = ctx.Process(target=_mqtt_subscriber, args=(env, topic, ready, result))
            sub.start()
            if not ready.wait(10):
                raise RuntimeError("the subscriber did not subscribe")
            say(f"publishing to mosquitto on 127.0.0.1:{port} for {MQTT_SECONDS:g}s")
            broker = mqtt.broker_pid(mqtt.layout(settings))
            broker_cpu = _cpu_seconds(broker)
            sent = _mqtt_publish(env, topic, MQTT_SECONDS)
            counted = result.get(timeout=60)
            broker_cpu = _cpu_seconds(broker) - broker_cpu
            sub.join(10)
        finally:
            supervisor.terminate()
            supervisor.wait(10)
    span = counted["last"] - counted["first"]
    rate = counted["n"] / span if span > 0 else 0.0
    n = max(counted["n"], 1)
    return {
        "mqtt_msgs_per_s": round(rate),
        "mqtt_sent": sent,
        "mqtt_received": counted["n"],
        # CPU time per message, which other load on the machine does not change
        "mqtt_subscriber_cpu_us_per_msg": round(counted["cpu"] / n * 1e6, 2),
        "mqtt_broker_cpu_us_per_msg": round(broker_cpu / n * 1e6, 2),
    }


def _cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# --- time series ------------------------------------------------------------------


def ts_write_points_per_s() -> dict:
    from hub_config.settings import load_settings
    from platform_services import timeseries

    with tempfile.TemporaryDirectory(prefix="dtaas-bench-ts-") as tmp:
        data = Path(tmp)
        data.chmod(0o711)  # as the hub leaves it: the cluster is first made in a folder here
        (data / "services").mkdir(mode=0o700)
        port = _free_port()
        settings = load_settings({"DTAAS_DATA_DIR": tmp, "DTAAS_TIMESERIES_PORT": str(port)})
        entry = timeseries.service(settings)
        supervisor = subprocess.Popen(
            entry["command"],
            cwd=entry["cwd"],
            env={**os.environ, **entry["environment"]},
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 60
            while not timeseries.health(settings)["ok"]:
                if time.monotonic() > deadline or supervisor.poll() is not None:
                    raise RuntimeError("the time-series store did not start")
                time.sleep(0.2)
            timeseries.prepare_user(settings, "bench", [])
            os.environ.update(timeseries.user_env(settings, "bench"))
            return _ts_figures()
        finally:
            supervisor.terminate()
            supervisor.wait(30)


def _ts_figures() -> dict:
    import numpy as np

    import dtaas.services

    rng = np.random.default_rng(0)
    values = rng.normal(20.0, 1.0, TS_POINTS)
    start = 1_700_000_000.0
    times = start + np.arange(TS_POINTS) * 0.01  # 100 Hz
    with dtaas.services.timeseries() as store:
        say(f"writing {TS_POINTS:,} points in batches of {TS_BATCH:,} to {store.database}")
        began = time.perf_counter()
        for i in range(0, TS_POINTS, TS_BATCH):
            store.write("bench/T", values[i : i + TS_BATCH], t=times[i : i + TS_BATCH])
        wrote = time.perf_counter() - began
        began = time.perf_counter()
        frame = store.read("bench/T")
        read = time.perf_counter() - began
    if len(frame) != TS_POINTS or not np.array_equal(frame["value"].to_numpy(), values):
        raise RuntimeError("the points read back are not the points written")
    return {
        "ts_write_points_per_s": round(TS_POINTS / wrote),
        "ts_read_points_per_s": round(TS_POINTS / read),
        "ts_points": TS_POINTS,
        "ts_batch": TS_BATCH,
    }


FIGURES = {"mqtt": mqtt_msgs_per_s, "timeseries": ts_write_points_per_s}


def main(argv: list[str]) -> int:
    names = argv or list(FIGURES)
    unknown = [n for n in names if n not in FIGURES]
    if unknown:
        say(f"unknown figure {unknown[0]!r}; one of {', '.join(FIGURES)}")
        return 2
    figures: dict = {}
    for name in names:
        figures.update(FIGURES[name]())
    print(json.dumps(figures), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
