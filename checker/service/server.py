"""`almguard serve`: build the service from its config and run it under uvicorn."""

from __future__ import annotations

import logging
from pathlib import Path

from ..errors import AlmguardError
from .config import load_config
from .store import redact


class ServiceUnavailable(AlmguardError):
    """The service's optional dependencies are not installed."""


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
    logging.basicConfig(level=log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    service = Service(config)
    app = create_app(service)
    bind_host = host or config.listen.host
    bind_port = config.listen.port if port is None else port
    logging.getLogger("almguard.service").info(
        "almguard service on http://%s:%d (database %s, %d schedules, %d tokens)",
        bind_host, bind_port, redact(config.database), len(config.schedules),
        len(config.tokens))
    uvicorn.run(app, host=bind_host, port=bind_port, log_level=log_level,
                proxy_headers=False, server_header=False, timeout_graceful_shutdown=10)
    return 0
