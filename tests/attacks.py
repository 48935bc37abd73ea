"""Inputs an attacker would send, and a loopback host that tells whether a server
reached out: shared by the library's and the runtime's security tests."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def alias_bomb(levels: int = 9) -> str:
    """Nine aliases of nine aliases ...: a few hundred bytes, 9**levels values."""
    names = "abcdefghijklmnop"
    lines = ["title: bomb", "lifecycle: {execute: x.ipynb}", "a: &a [x,x,x,x,x,x,x,x,x]"]
    for i in range(1, levels):
        refs = ",".join([f"*{names[i - 1]}"] * 9)
        lines.append(f"{names[i]}: &{names[i]} [{refs}]")
    return "\n".join(lines) + "\n"


class CountingHost(ThreadingHTTPServer):
    """A schema host on loopback that answers every GET and counts it; a manifest's
    remote ``$ref`` pointing here shows whether anything was fetched."""

    daemon_threads = True

    def __init__(self, body: bytes = b'{"type": "string"}'):
        self.hits: list[str] = []
        host = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's name)
                host.hits.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "application/schema+json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def close(self) -> None:
        self.shutdown()
        self.server_close()
