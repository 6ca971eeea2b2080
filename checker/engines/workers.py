"""Worker processes for the embedded engine, each with its own regorus engine loaded once.

One pipe per worker and a queue of idle ones: a call borrows a worker, sends it (query,
input text), and gets the engine's JSON answer back as text. That costs a gate a few
hundred microseconds per call where a ProcessPoolExecutor's queues and threads cost it
milliseconds. Calls from several threads run on as many workers side by side (the pipes
release the GIL while they wait). A worker that dies fails the call it held and breaks
the pool: every call after it fails too (an EngineError, never an answer) until the
owner replaces the pool.
"""

from __future__ import annotations

import queue
import signal
import threading
from concurrent.futures import ThreadPoolExecutor
from multiprocessing import get_context
from multiprocessing.connection import Connection
from typing import Any, Iterable, Iterator, Sequence

from ..errors import EngineError, PolicyError
from ..policyset import Module
from .interface import FINDINGS, bounded_map, probe_input

_OK, _POLICY, _ENGINE = 0, 1, 2


def _serve(conn: Connection, modules: Sequence[Module], data: dict[str, Any]) -> None:
    """A worker's life: build the engine, then answer (query, text) until told to stop."""
    from .embedded import evaluate_raw, new_engine

    signal.signal(signal.SIGINT, signal.SIG_IGN)   # Ctrl-C is the parent's to handle
    failure: tuple[Any, ...] | None = None
    engine: Any = None
    try:
        engine = new_engine(modules, data)
        # the engine prepares every module on its first evaluation (about half a second
        # for almguard's policies): do it now, while the parent is still loading
        evaluate_raw(engine, probe_input(), FINDINGS)
    except PolicyError as exc:
        failure = (_POLICY, exc.message, exc.file, exc.line)
    except Exception as exc:  # noqa: BLE001 - reported to the caller of every request
        failure = (_ENGINE, f"the embedded engine failed to start: {exc}")
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        if failure is not None:
            conn.send(failure)
            continue
        query, text = job
        try:
            conn.send((_OK, evaluate_raw(engine, text, query)))
        except PolicyError as exc:
            conn.send((_POLICY, exc.message, exc.file, exc.line))
        except EngineError as exc:
            conn.send((_ENGINE, exc.message))


class _Worker:
    def __init__(self, modules: Sequence[Module], data: dict[str, Any]) -> None:
        ctx = get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_serve, args=(child, tuple(modules), data),
                                   daemon=True, name="almguard-engine")
        self.process.start()
        child.close()

    def call(self, query: str, text: str) -> str:
        self.conn.send((query, text))
        reply = self.conn.recv()
        if reply[0] == _OK:
            return str(reply[1])
        if reply[0] == _POLICY:
            raise PolicyError(reply[1], file=reply[2], line=reply[3])
        raise EngineError(reply[1])

    def stop(self, timeout: float = 2.0) -> None:
        try:
            self.conn.send(None)
        except OSError:
            pass
        self.process.join(timeout)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(timeout)
        self.conn.close()


class WorkerPool:
    """`size` engine processes. call() and map() may be used from any thread."""

    def __init__(self, size: int, modules: Sequence[Module], data: dict[str, Any]) -> None:
        self._workers = [_Worker(modules, data) for _ in range(max(size, 1))]
        self._idle: queue.Queue[_Worker] = queue.Queue()
        for worker in self._workers:
            self._idle.put(worker)
        self._broken = threading.Event()
        self._threads = ThreadPoolExecutor(max_workers=len(self._workers),
                                           thread_name_prefix="almguard-engine-call")

    @property
    def size(self) -> int:
        return len(self._workers)

    def pids(self) -> list[int]:
        return [w.process.pid for w in self._workers if w.process.pid is not None]

    def call(self, query: str, text: str) -> str:
        """The answer of one idle worker (waiting for one to be free)."""
        worker = self._borrow()
        try:
            answer = worker.call(query, text)
        except (PolicyError, EngineError):
            self._idle.put(worker)
            raise
        except BaseException as exc:   # the worker died mid-call (or its pipe broke): its
            self._broken.set()         # state is unknown, so the pool fails closed
            if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                raise
            reason = str(exc) or ("it exited" if isinstance(exc, EOFError)
                                  else type(exc).__name__)
            raise EngineError(f"embedded engine worker failed: {reason}") from None
        self._idle.put(worker)
        return answer

    def map(self, query: str, texts: Iterable[str]) -> Iterator[str]:
        """The answers for many inputs, in order, on every worker at once (a bounded
        number in flight, so a large scan never holds every partition's text)."""
        return bounded_map(self._threads, lambda text: self.call(query, text), texts,
                           window=2 * self.size)

    def _borrow(self) -> _Worker:
        while True:
            if self._broken.is_set():
                raise EngineError("embedded engine worker failed: a worker of this pool "
                                  "died")
            try:
                return self._idle.get(timeout=0.2)
            except queue.Empty:
                continue

    @property
    def broken(self) -> bool:
        return self._broken.is_set()

    def close(self) -> None:
        self._broken.set()
        self._threads.shutdown(wait=False, cancel_futures=True)
        for worker in self._workers:
            worker.stop()
