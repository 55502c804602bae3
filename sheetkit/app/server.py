"""Start the page: bind 127.0.0.1 on a free port, print the address, open the browser, serve until Ctrl-C."""

from __future__ import annotations

import threading
import webbrowser
from pathlib import Path
from typing import Callable

import socketserver

from werkzeug.serving import WSGIRequestHandler, make_server

from . import guard
from .exercises import default_home
from .web import create_app

HOST = "127.0.0.1"  # this computer only; never another address


class _QuietHandler(WSGIRequestHandler):
    """No line per request: the console keeps the address, and the secret in it is not repeated."""

    def log_request(self, *args, **kwargs) -> None:
        pass


def serve(home: Path | None = None, port: int = 0, open_browser: bool = True, frameworks_dirs: tuple[str, ...] = (),
          debug: bool = False, say: Callable[[str], None] = print, ready: Callable | None = None) -> None:
    """Serve the page for the exercises under `home` until interrupted (KeyboardInterrupt).

    The first line said is the address, with its secret; `ready(server, address)` is called once
    the server listens (tests use it to stop the server)."""
    home = Path(home) if home else default_home()
    home.mkdir(parents=True, exist_ok=True)
    token = guard.new_secret()
    app = create_app(home.resolve(), token, frameworks_dirs, debug)
    try:
        server = make_server(HOST, port, app, threaded=True, request_handler=_QuietHandler)
    except OSError as exc:
        from sheetkit import UsageError

        raise UsageError(f"cannot listen on {HOST} port {port} ({exc.strerror or exc}); another program may use "
                         f"it: give another --port, or leave --port out to take a free one") from None
    address = f"http://{HOST}:{server.server_port}/{token}/"
    say(address)
    say(f"sheetkit's page is running. Exercises are kept in {home}.")
    say("Keep this window open while you use the page; press Ctrl-C here to stop it.")
    if open_browser:
        threading.Thread(target=webbrowser.open, args=(address,), daemon=True).start()
    if ready:
        ready(server, address)
    try:
        # the standard loop, not werkzeug's, which swallows Ctrl-C: the command exits 130 on it
        socketserver.BaseServer.serve_forever(server, poll_interval=0.2)
    finally:
        server.server_close()
