"""Run a function over many inputs in worker processes that one bad input cannot take down.

Each worker has an address-space limit, and each input a time limit. A worker that crashes
(a reader aborting on a crafted file), runs out of memory or overruns its time is killed and
replaced; that input alone gets a :class:`Failure`, and the others carry on. Work is spread
over the machine's cores because every return is independent.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import pickle
import resource
import signal
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any, Callable, Iterable, Iterator


@dataclass(frozen=True)
class Failure:
    """Why an input produced no result."""

    reason: str  # 'timeout', 'crashed' or 'error'
    detail: str


@dataclass(frozen=True)
class Limits:
    seconds: float = 30.0
    memory_bytes: int = 1024 * 1024 * 1024
    workers: int = 0  # 0: one per core
    result_bytes: int = 64 * 1024 * 1024  # results are unpickled in the parent, outside the worker's limits

    def worker_count(self, jobs: int) -> int:
        wanted = self.workers or os.cpu_count() or 1
        return max(1, min(wanted, jobs))


def run_isolated(func: Callable[[Any], Any], inputs: Iterable[Any], limits: Limits = Limits()) -> Iterator[tuple[int, Any]]:
    """Yield (index, result or Failure) for every input, in completion order."""
    todo = list(enumerate(inputs))
    if not todo:
        return
    ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else mp.get_context()
    workers: list[_Worker] = [_Worker(ctx, func, limits) for _ in range(limits.worker_count(len(todo)))]
    queue = list(reversed(todo))
    try:
        for worker in workers:
            if queue:
                worker.give(*queue.pop())
        while any(w.busy for w in workers):
            busy = [w for w in workers if w.busy]
            deadline = min(w.deadline for w in busy)
            ready = wait([w.conn for w in busy], timeout=max(0.0, deadline - time.monotonic()))
            for worker in busy:
                outcome = None
                if worker.conn in ready:
                    outcome = worker.receive()
                elif time.monotonic() >= worker.deadline:
                    outcome = Failure("timeout", f"stopped after {limits.seconds:.0f} s")
                    worker.restart()
                if outcome is not None:
                    yield worker.index, outcome
                    worker.index = None
                    if queue:
                        worker.give(*queue.pop())
    finally:
        for worker in workers:
            worker.stop()


class _Worker:
    def __init__(self, ctx, func, limits: Limits):
        self.ctx, self.func, self.limits = ctx, func, limits
        self.index: int | None = None
        self.deadline = 0.0
        self._start()

    @property
    def busy(self) -> bool:
        return self.index is not None

    def _start(self) -> None:
        self.conn, child = self.ctx.Pipe()
        self.process = self.ctx.Process(target=_serve, args=(child, self.func, self.limits.memory_bytes), daemon=True)
        self.process.start()
        child.close()

    def give(self, index: int, item: Any) -> None:
        self.index = index
        self.deadline = time.monotonic() + self.limits.seconds
        self.conn.send(item)

    def receive(self) -> Any:
        try:
            message = self.conn.recv_bytes(self.limits.result_bytes)
        except (EOFError, OSError) as exc:
            code = self.process.exitcode
            self.restart()
            if "bad message length" in str(exc):  # recv_bytes refused an answer over the limit
                return Failure("error", f"its result was larger than {self.limits.result_bytes / 2**20:.0f} MB")
            return Failure("crashed", f"the reader stopped unexpectedly (exit code {code})")
        ok, value = pickle.loads(message)
        return value if ok else Failure("error", value)

    def restart(self) -> None:
        self.stop()
        self._start()

    def stop(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(timeout=5)
        self.conn.close()


def _serve(conn: Connection, func: Callable, memory_bytes: int) -> None:
    # Ctrl-C and requests to stop are the parent's to handle: it stops the workers and cleans up.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if memory_bytes:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    while True:
        try:
            item = conn.recv()
        except EOFError:
            return
        try:
            conn.send((True, func(item)))
        except MemoryError:
            conn.send((False, "ran out of memory while reading"))
        except BaseException as exc:  # noqa: BLE001 - the worker must answer whatever happened
            conn.send((False, f"{type(exc).__name__}: {exc}"))
