"""A progress indication on stderr for steps that take a while (terminals only)."""

from __future__ import annotations

import sys
import threading
from contextlib import contextmanager
from typing import Iterator

from rich.console import Console


class Progress:
    """Shows a spinner for the current step once it has run for more than `delay` seconds."""

    def __init__(self, enabled: bool | None = None, delay: float = 1.0) -> None:
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self.delay = delay
        self.console = Console(stderr=True)

    @contextmanager
    def step(self, message: str) -> Iterator[None]:
        if not self.enabled:
            yield
            return
        status = self.console.status(message)
        timer = threading.Timer(self.delay, status.start)
        timer.daemon = True
        timer.start()
        try:
            yield
        finally:
            timer.cancel()
            status.stop()
