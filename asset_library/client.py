"""Calling the library service as a user, with that user's token."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest, HTTPResponse
from tornado.httputil import HTTPHeaders

from .errors import APIError

# what a streamed answer keeps of the service's headers
PASSED_HEADERS = ("Content-Type", "Content-Length", "Content-Disposition", "Last-Modified", "ETag")
MAX_JSON_BYTES = 64 << 20  # a JSON answer is read whole; a file is streamed


def is_json(content_type: str) -> bool:
    kind = content_type.split(";", 1)[0].strip().lower()
    return kind == "application/json" or kind.endswith("+json")


class LibraryClient:
    """Async client for the library REST API (``/services/library/api/``)."""

    def __init__(self, base_url: str, token: str, timeout: float = 20.0):
        self.base_url = base_url.rstrip("/") + "/"
        self.token = token
        self.timeout = timeout

    def _request(self, method: str, endpoint: str, query: str, body: Any, **kwargs) -> HTTPRequest:
        if not self.base_url or not self.token:
            raise APIError(503, "the library service is not configured for this server")
        url = f"{self.base_url}api/{quote(endpoint, safe='/:')}" + (f"?{query}" if query else "")
        if method in ("GET", "DELETE") and body is None:
            data = None
        elif isinstance(body, bytes):
            data = body  # a file's bytes, passed as they are
        else:
            try:
                data = json.dumps(body if body is not None else {}, allow_nan=False)
            except ValueError:
                raise APIError(
                    400, "the request body holds a number that is not finite", field="body"
                ) from None
        return HTTPRequest(
            url,
            method=method,
            headers={
                "Authorization": f"token {self.token}",
                "Accept": "application/json",
                "Content-Type": "application/octet-stream"
                if isinstance(body, bytes)
                else "application/json",
            },
            body=data,
            allow_nonstandard_methods=True,
            request_timeout=self.timeout,
            **kwargs,
        )

    @staticmethod
    def _refusal(code: int, body: bytes | None) -> APIError:
        """The service's error answer as an APIError with its fields; a 5xx becomes 502."""
        fields: dict[str, Any] = {"message": f"library service answered {code}"}
        if body:
            with contextlib.suppress(ValueError, AttributeError, TypeError):
                data = json.loads(body)
                if isinstance(data, dict):
                    fields.update(data)
        fields.pop("status", None)
        message = str(fields.pop("message"))
        return APIError(502 if code >= 500 else code, message, **fields)

    async def request(
        self, method: str, endpoint: str, query: str = "", body: Any = None
    ) -> tuple[int, Any]:
        """Call ``api/<endpoint>``; errors come back as APIError with the service's body."""
        request = self._request(method, endpoint, query, body)
        try:
            resp = await AsyncHTTPClient().fetch(request)
        except HTTPClientError as e:
            raise self._refusal(e.code, e.response.body if e.response else None) from None
        except OSError as e:
            raise APIError(502, f"library service unreachable: {e}") from None
        try:
            return resp.code, json.loads(resp.body) if resp.body else None
        except ValueError:
            raise APIError(502, f"library service answered {endpoint!r} with no JSON") from None

    async def stream(
        self,
        endpoint: str,
        query: str,
        start: Callable[[int, HTTPHeaders], None],
        write: Callable[[bytes], None],
    ) -> tuple[int, Any] | None:
        """``GET api/<endpoint>``, passing a file through as it arrives.

        A successful answer that is not JSON (or is a download, with a
        Content-Disposition) is handed on unchanged: ``start(status, headers)``
        once, then ``write(chunk)`` for each chunk, and None is returned. A JSON
        answer comes back parsed, like ``request``; an error answer raises
        APIError. The client's timeout bounds the whole transfer.
        """
        state: dict[str, Any] = {"status": 0, "headers": HTTPHeaders(), "passing": False}
        buffer = bytearray()

        def on_header(line: str) -> None:
            line = line.rstrip("\r\n")
            if line.startswith("HTTP/"):
                state["status"] = int(line.split(" ", 2)[1])
                state["headers"] = HTTPHeaders()
            elif line:
                state["headers"].parse_line(line)
            else:  # the end of the headers
                headers, status = state["headers"], state["status"]
                download = "Content-Disposition" in headers
                if 200 <= status < 300 and (
                    download or not is_json(headers.get("Content-Type", ""))
                ):
                    state["passing"] = True
                    passed = HTTPHeaders()
                    for name in PASSED_HEADERS:
                        if name in headers:
                            passed[name] = headers[name]
                    start(status, passed)

        def on_chunk(chunk: bytes) -> None:
            if state["passing"]:
                write(chunk)
            elif len(buffer) + len(chunk) <= MAX_JSON_BYTES:
                buffer.extend(chunk)
            else:
                state["too_big"] = True

        request = self._request(
            "GET",
            endpoint,
            query,
            None,
            header_callback=on_header,
            streaming_callback=on_chunk,
            follow_redirects=False,
            decompress_response=False,  # passed on as sent: Content-Length stays right
        )
        try:
            resp: HTTPResponse = await AsyncHTTPClient().fetch(request, raise_error=False)
        except OSError as e:
            resp = None
            error: Exception | None = e
        else:
            error = resp.error if resp.code == 599 else None
        if state["passing"]:
            if error is not None:  # the headers went out already: the transfer just ends
                raise ConnectionError(f"library download of {endpoint!r} broke off: {error}")
            return None
        if error is not None:
            raise APIError(502, f"library service unreachable: {error}")
        if resp.code >= 400:
            raise self._refusal(resp.code, bytes(buffer))
        if state.get("too_big"):
            raise APIError(502, f"library service answered {endpoint!r} with too much JSON")
        try:
            return resp.code, json.loads(bytes(buffer)) if buffer else None
        except ValueError:
            raise APIError(502, f"library service answered {endpoint!r} with no JSON") from None

    async def download(self, endpoint: str, write: Callable[[bytes], None], limit: int) -> int:
        """``GET api/<endpoint>``, a file, its bytes handed to ``write`` as they arrive;
        returns how many. An error answer raises APIError; an answer that is JSON, not a
        file, or longer than ``limit`` bytes, raises APIError 502 (what came is written)."""
        received = {"bytes": 0, "over": False}

        def start(status: int, headers: HTTPHeaders) -> None:
            return None

        def sink(chunk: bytes) -> None:
            if received["over"]:
                return
            received["bytes"] += len(chunk)
            if received["bytes"] > limit:
                received["over"] = True
                return
            write(chunk)

        try:
            answer = await self.stream(endpoint, "", start, sink)
        except ConnectionError as e:
            raise APIError(502, str(e)) from None
        if answer is not None:
            raise APIError(502, f"library service answered {endpoint!r} with JSON, not a file")
        if received["over"]:
            raise APIError(502, f"{endpoint!r} is larger than {limit} bytes", limit=limit)
        return received["bytes"]

    async def get(self, endpoint: str, query: str = "") -> Any:
        return (await self.request("GET", endpoint, query))[1]

    async def assets(self) -> list[dict[str, Any]]:
        return (await self.get("assets"))["assets"]
