"""`almguard serve`: build the service from its config and run it under uvicorn."""

from __future__ import annotations

import errno
import logging
import socket
from pathlib import Path

from ..errors import AlmguardError
from ..errors import ServiceUnavailable as ServiceUnavailable  # re-exported
from .config import load_config
from .store import redact


def serve(config_path: Path | None, *, host: str | None = None, port: int | None = None,
          log_level: str = "info") -> int:
    try:
        import uvicorn
    except ImportError:
        raise ServiceUnavailable("the service needs its extra: pip install "
                                 "'almguard[service]'") from None
    from .api import create_app
    from .service import Service

    config = load_config(config_path)
    bind_host = host or config.listen.host
    bind_port = config.listen.port if port is None else port
    # Bind before anything starts (migrations, schedules): a busy port is one line and
    # exit 2, not uvicorn's multi-line error and exit 3; and no other process can take the
    # port between a check and uvicorn's own bind.
    sock = listen_socket(bind_host, bind_port)
    try:
        logging.basicConfig(level=log_level.upper(),
                            format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        quiet_libraries()
        service = Service(config)
        app = create_app(service)
        logging.getLogger("almguard.service").info(
            "almguard service on http://%s:%d (database %s, %d schedules, %d tokens)",
            bind_host, sock.getsockname()[1], redact(config.database), len(config.schedules),
            len(config.tokens))
        server = uvicorn.Server(uvicorn.Config(
            app, host=bind_host, port=bind_port, log_level=log_level, proxy_headers=False,
            server_header=False, timeout_graceful_shutdown=10))
        server.run(sockets=[sock])
    finally:
        sock.close()
    return 0


# Libraries that log at INFO for every rendered report (WeasyPrint: a line per PDF/HTML
# page step; fontTools: font subsetting). Their warnings and errors still reach the log.
QUIET_LOGGERS = ("weasyprint", "fontTools")


def quiet_libraries() -> None:
    """The service's log carries our lines and the libraries' warnings, not their chatter."""
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def listen_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to host:port as uvicorn binds one (IPv6 if the host has a colon,
    SO_REUSEADDR), or an AlmguardError in one line saying why it cannot be."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    shown = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            why = "the port is already in use (another almguard serve?); pick another with " \
                  "--port or listen.port"
        elif isinstance(exc, socket.gaierror):
            why = f"unknown host ({exc.strerror})"
        else:
            why = (exc.strerror or str(exc)).lower()
        raise AlmguardError(f"cannot listen on {shown}: {why}") from None
    return sock
