"""Malformed and tricky URLs get a 4xx at every layer, never a 500 and never a file
from outside its library."""

from __future__ import annotations

import socket

import pytest

from tests.hub import Hub

pytestmark = pytest.mark.integration

LIBRARY_FILES = "/services/library/api/assets/common/digital_twins/mass-spring-damper/files/"
TRICKS = [
    "%ff",
    "%c0%ae%c0%ae/%c0%ae%c0%ae/hub/passwords.json",
    "..%2f..%2f..%2fhub%2fpasswords.json",
    "%2e%2e/%2e%2e/%2e%2e/hub/passwords.json",
    "%252e%252e%252f%252e%252e%252fhub%252fpasswords.json",
    "dt.yaml%00.png",
    "%2fetc%2fpasswd",
    "a" * 5000,
]


def raw_get(hub: Hub, path: str, token: str) -> tuple[int, bytes]:
    """A GET sent byte for byte, as a client that does not normalise URLs would."""
    with socket.create_connection(("127.0.0.1", hub.port), timeout=10) as s:
        s.sendall(
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: token {token}\r\n"
            "Connection: close\r\n\r\n".encode()
        )
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


@pytest.mark.parametrize("trick", TRICKS)
def test_tricky_library_paths_through_the_proxy_are_refused(hub: Hub, alice, trick):
    status, body = raw_get(hub, LIBRARY_FILES + trick, alice["token"])
    assert 400 <= status < 500, (status, body[:200])
    assert b"admin" not in body and b"root:" not in body


@pytest.mark.parametrize("prefix", ["/", "/hub/", "/user/alice/", "/services/library/api/"])
def test_invalid_percent_encoding_is_a_400_with_json_at_the_proxy(hub: Hub, alice, prefix):
    for bad in ("%ff", "%c0%ae", "%e2%82", "x%zz"):
        status, body = raw_get(hub, prefix + bad, alice["token"])
        assert 400 <= status < 500, (prefix + bad, status, body[:200])
        assert b'"status":400' in body.replace(b" ", b"")
