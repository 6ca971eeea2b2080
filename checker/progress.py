"""Progress on stderr: a spinner for steps that run past a second (terminals only), and
optional phase timings (``--timings``) for benchmarks and slow registries."""

from __future__ import annotations

import sys
import threading
import time
from contextlib import contextmanager
from typing import Iterator

from rich.console import Console


class Progress:
    def __init__(self, enabled: bool | None = None, delay: float = 1.0,
                 timings: bool = False) -> None:
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self.delay = delay
        self.timings = timings
        self.console = Console(stderr=True)

    @contextmanager
    def step(self, message: str, key: str = "") -> Iterator[None]:
        start = time.perf_counter()
        status = self.console.status(message + "...") if self.enabled else None
        timer = threading.Timer(self.delay, status.start) if status else None
        if timer:
            timer.daemon = True
            timer.start()
        try:
            yield
        finally:
            if timer and status:
                timer.cancel()
                status.stop()
            if self.timings:
                print(f"almguard: timing {key or message}: {time.perf_counter() - start:.3f}s",
                      file=sys.stderr)
