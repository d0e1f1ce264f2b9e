"""One HTTP server on 127.0.0.1 at a random port, in a daemon thread: the test platform's and the fake Canvas's."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class LoopbackServer:
    """Start with `start(handler_class)`, stop with `stop()`; `url` is ``http://127.0.0.1:<port>``."""

    def __init__(self, name: str):
        self.name = name
        self.url = ""
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self, handler_class: type[BaseHTTPRequestHandler]) -> str:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler_class)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        server = self._server
        self._thread = threading.Thread(
            target=lambda: server.serve_forever(poll_interval=0.05), name=self.name, daemon=True
        )
        self._thread.start()
        return self.url

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)
            self._server = None


class JsonHandler(BaseHTTPRequestHandler):
    """Small helpers for handlers that answer JSON and HTML."""

    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # quiet: the fakes record what they were asked
        pass

    def send(self, status: int, body: bytes, content_type: str, headers: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def send_json(self, status: int, data, headers: dict | None = None, content_type: str = "application/json") -> None:
        self.send(status, json.dumps(data).encode(), content_type, headers)

    def send_html(self, status: int, page: str) -> None:
        self.send(status, page.encode(), "text/html; charset=utf-8")

    def read_body(self) -> tuple[dict, list[tuple[str, str]]]:
        """The request body as a dict (last value wins) and as ordered pairs (for repeated keys)."""
        import urllib.parse

        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode() if length else ""
        if self.headers.get("Content-Type", "").startswith("application/json"):
            data = json.loads(raw or "{}")
            return data, list(data.items())
        pairs = urllib.parse.parse_qsl(raw, keep_blank_values=True)
        return dict(pairs), pairs
