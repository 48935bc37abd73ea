"""The platform's MQTT broker from a notebook: ``dtaas.services.mqtt()``.

The hub gives every server (and so every kernel) its broker endpoint and the user's own
credentials in the environment: ``DTAAS_MQTT_HOST``, ``DTAAS_MQTT_PORT``,
``DTAAS_MQTT_USERNAME``, ``DTAAS_MQTT_PASSWORD``, and ``DTAAS_MQTT_PREFIX`` (``dt/<user>/``).
A user may read and write below their prefix and below ``dt/groups/<group>/`` of each of
their groups; the broker silently drops anything else.

    import dtaas.services
    from dtaas.services.broker import topic

    client = dtaas.services.mqtt()
    client.on_message = lambda c, u, msg: print(msg.topic, msg.payload)
    client.subscribe(topic("sensors/#"))
    client.publish(topic("sensors/t1"), b"21.5")
"""

from __future__ import annotations

import os
import threading
import time
from typing import Any

import paho.mqtt.client as mqtt

from . import ServiceUnavailable

SERVICE = "MQTT broker"
# CONNACK reason codes that mean "not these credentials" (MQTT 5 and their 3.1.1 forms)
REFUSED_CREDENTIALS = {134, 135, 4, 5}
READ_CHUNK = 65536


def prefix() -> str:
    """This user's own topic prefix, ``dt/<user>/``."""
    found = os.environ.get("DTAAS_MQTT_PREFIX")
    if found:
        return found
    user = os.environ.get("DTAAS_MQTT_USERNAME")
    if not user:
        raise ServiceUnavailable(SERVICE, "DTAAS_MQTT_USERNAME is not set in this server")
    return f"dt/{user}/"


def topic(name: str = "#") -> str:
    """``name`` below this user's prefix: ``topic("sensors/t1")`` is ``dt/<user>/sensors/t1``."""
    return prefix() + name.lstrip("/")


def group_topic(group: str, name: str = "#") -> str:
    """``name`` below a group's prefix, ``dt/groups/<group>/``, for the group's members."""
    if not group or any(c in group for c in "/+#"):
        raise ValueError(f"{group!r} is not a group name")
    return f"dt/groups/{group}/{name.lstrip('/')}"


class BrokerClient(mqtt.Client):
    """paho-mqtt's ``Client`` whose subscriptions are made again after every reconnect
    (the broker keeps no session), so a restart of the broker loses no subscription.

    ``on_connect`` may be set as usual; it is called after the subscriptions are renewed.
    """

    def __init__(self, *args: Any, **kwargs: Any):
        self._subscriptions: dict[str, Any] = {}
        self._rbuf, self._rpos = b"", 0
        self._user_on_connect = None
        self._first_connect = None
        super().__init__(*args, **kwargs)

    @property  # type: ignore[override]
    def on_connect(self):
        return self._connected

    @on_connect.setter
    def on_connect(self, func) -> None:
        self._user_on_connect = func

    def _connected(self, client, userdata, flags, reason, properties) -> None:
        if not reason.is_failure and self._subscriptions:
            super().subscribe(list(self._subscriptions.items()))
        first, self._first_connect = self._first_connect, None
        if first is not None:
            first(reason)
        if self._user_on_connect is not None:
            self._user_on_connect(client, userdata, flags, reason, properties)

    def subscribe(self, topic, qos=0, options=None, properties=None):
        result = super().subscribe(topic, qos, options, properties)
        if isinstance(topic, str):
            self._subscriptions[topic] = options if options is not None else qos
        elif isinstance(topic, tuple):
            self._subscriptions[topic[0]] = topic[1]
        else:
            self._subscriptions.update(dict(topic))
        return result

    def unsubscribe(self, topic, properties=None):
        for name in [topic] if isinstance(topic, str) else topic:
            self._subscriptions.pop(name, None)
        return super().unsubscribe(topic, properties)

    # paho reads each packet with two or three recv calls and one select: at thousands of
    # small messages a second that is most of a kernel's time. Read the socket in chunks
    # and hand paho its bytes from them, and go on reading while some are left.

    def _sock_recv(self, bufsize: int) -> bytes:
        if self._rpos >= len(self._rbuf):
            data = super()._sock_recv(max(bufsize, READ_CHUNK))
            if len(data) <= bufsize:
                return data
            self._rbuf, self._rpos = data, 0
        start = self._rpos
        self._rpos = min(start + bufsize, len(self._rbuf))
        return self._rbuf[start : self._rpos]

    def loop_read(self, max_packets: int = 1):
        rc = super().loop_read(max_packets)
        while rc == mqtt.MQTT_ERR_SUCCESS and self._sock is not None and self._buffered():
            rc = super().loop_read(max_packets)
        return rc

    def _buffered(self) -> bool:
        return self._rpos < len(self._rbuf)

    def _sock_close(self) -> None:
        self._rbuf, self._rpos = b"", 0
        super()._sock_close()

    def close(self) -> None:
        """Disconnect and stop the network thread."""
        self.disconnect()
        self.loop_stop()


def _endpoint() -> tuple[str, int, str, str]:
    env = os.environ
    missing = [
        name
        for name in ("DTAAS_MQTT_HOST", "DTAAS_MQTT_PORT", "DTAAS_MQTT_USERNAME")
        if not env.get(name)
    ]
    if missing:
        raise ServiceUnavailable(
            SERVICE,
            f"{', '.join(missing)} not set: this server was not started by a hub that runs "
            "the broker (a server started before the broker existed gets it when restarted)",
        )
    try:
        port = int(env["DTAAS_MQTT_PORT"])
    except ValueError:
        raise ServiceUnavailable(SERVICE, f"DTAAS_MQTT_PORT={env['DTAAS_MQTT_PORT']!r}") from None
    return (
        env["DTAAS_MQTT_HOST"],
        port,
        env["DTAAS_MQTT_USERNAME"],
        env.get("DTAAS_MQTT_PASSWORD", ""),
    )


def connect(
    client_id: str | None = None, timeout: float = 5.0, keepalive: int = 60, **kwargs: Any
) -> BrokerClient:
    """A paho-mqtt client connected to the platform's broker as this user, its network
    loop running in a thread (``client.close()`` ends both).

    Extra keyword arguments go to ``paho.mqtt.client.Client`` (``protocol=``,
    ``userdata=``, ...). Refused credentials raise ``PermissionError``; a broker that is
    down or does not answer within ``timeout`` seconds raises ``ServiceUnavailable``.
    After a lost connection the client reconnects by itself (every 1 to 5 s) and
    subscribes again to what it had subscribed.
    """
    host, port, user, pw = _endpoint()
    where = f"{host}:{port}"
    deadline = time.monotonic() + timeout
    client = BrokerClient(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id or "", **kwargs)
    client.username_pw_set(user, pw)
    client.connect_timeout = timeout
    client.reconnect_delay_set(min_delay=1, max_delay=5)
    answered = threading.Event()
    reasons: list = []

    def first(reason) -> None:
        if reason.is_failure:
            client.disconnect()  # no retry of refused credentials; the loop ends at once
        reasons.append(reason)
        answered.set()

    client._first_connect = first
    try:
        client.connect(host, port, keepalive)
    except OSError as e:
        raise ServiceUnavailable(SERVICE, f"{where}: {e or type(e).__name__}") from e
    client.loop_start()
    if not answered.wait(max(0.0, deadline - time.monotonic())):
        client.close()
        raise ServiceUnavailable(SERVICE, f"{where} did not answer within {timeout:g}s")
    reason = reasons[0]
    if reason.is_failure:
        client.close()
        if reason.value in REFUSED_CREDENTIALS:
            raise PermissionError(
                f"the MQTT broker at {where} refused user {user!r}: {reason} (the "
                "credentials come from DTAAS_MQTT_USERNAME and DTAAS_MQTT_PASSWORD, which "
                "the hub sets when it starts this server)"
            )
        raise ServiceUnavailable(SERVICE, f"{where} refused the connection: {reason}")
    return client


__all__ = ["BrokerClient", "connect", "group_topic", "prefix", "topic"]
