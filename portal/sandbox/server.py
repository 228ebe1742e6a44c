"""A threaded HTTP server for the sandbox app, started and stopped from code or a command.

Standard library ``wsgiref`` with two changes: one thread per request (a hanging request must
not block the others) and support for the "drop" fault, which closes the socket without a
reply when the app raises ``DropConnection``.
"""

from __future__ import annotations

import socket
import struct
import sys
import threading
from socketserver import ThreadingMixIn
from typing import IO, Any, cast
from wsgiref.simple_server import ServerHandler, WSGIRequestHandler, WSGIServer

from portal.sandbox.app import WSGIApp
from portal.sandbox.faults import DropConnection


class _ServerHandler(ServerHandler):
    request_handler: WSGIRequestHandler

    def handle_error(self) -> None:
        if isinstance(sys.exc_info()[1], DropConnection):
            _abort(self.request_handler.connection)
            return
        super().handle_error()


def _abort(connection: socket.socket) -> None:
    """Reset the connection: the client sees it die with no status line at all."""
    try:
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        connection.close()
    except OSError:
        return


class _RequestHandler(WSGIRequestHandler):
    def handle(self) -> None:
        self.raw_requestline = self.rfile.readline(65537)
        if len(self.raw_requestline) > 65536:
            self.send_error(414)
            return
        if not self.parse_request():
            return
        handler = _ServerHandler(
            self.rfile,
            cast(IO[bytes], self.wfile),
            self.get_stderr(),
            self.get_environ(),
            multithread=True,
        )
        handler.request_handler = self
        handler.run(self.server.get_app())  # type: ignore[attr-defined]

    def log_message(self, format: str, *args: Any) -> None:
        # Quiet by design: request lines carry card numbers and this is a test double.
        return


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True


class SandboxServer:
    """Serve ``app`` on ``host:port`` (port 0: any free port) in a background thread."""

    def __init__(self, app: WSGIApp, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self._httpd = _ThreadingServer((host, port), _RequestHandler)
        self._httpd.set_app(app)
        self._thread: threading.Thread | None = None

    @property
    def host(self) -> str:
        return str(self._httpd.server_address[0])

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def root_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> SandboxServer:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, name="paytronix-sandbox", daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread until interrupted (the management command)."""
        try:
            self._httpd.serve_forever()
        finally:
            self._httpd.server_close()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
