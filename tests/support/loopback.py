"""One base for the tests' stand-in HTTP servers: bound to 127.0.0.1 on a free port, served from a daemon thread.

The socket is bound when the server is made, so ``port`` and ``url`` are known before it starts; ``start()`` (or
``with``) serves, ``stop()`` (or leaving the ``with``) shuts it down and closes the socket. Handlers derive from
``QuietHandler``, which keeps pytest's output clean and answers with ``send_body``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self


class QuietHandler(BaseHTTPRequestHandler):
    """A request handler that does not log every request to stderr."""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - http.server's signature
        return None

    def send_body(self, status: int, data: bytes, content_type: str | None = None,
                  headers: Iterable[tuple[str, str]] = ()) -> None:
        """Answer ``status`` with ``data`` (Content-Type when given, Content-Length, then ``headers`` in order)."""
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for key, value in headers:
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)


class LoopbackServer:
    """A threaded HTTP server on 127.0.0.1 (ephemeral port); subclass it or hold one."""

    def __init__(self, handler: type[BaseHTTPRequestHandler], *, name: str = "loopback",
                 server_class: type[ThreadingHTTPServer] = ThreadingHTTPServer) -> None:
        self.httpd = server_class(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self._thread = threading.Thread(target=self.httpd.serve_forever, name=name, daemon=True)
        self._closed = False

    @property
    def port(self) -> int:
        return int(self.httpd.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Shut down and close the socket; a second call (or one before ``start``) does no harm."""
        if self._closed:
            return
        self._closed = True
        if self._thread.ident is not None:
            self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()
