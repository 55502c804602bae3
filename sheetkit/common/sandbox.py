"""Run a function over many inputs in worker processes that one bad input cannot take down.

Each worker has a memory limit, and each input a time limit. A worker that crashes (a reader
aborting on a crafted file), runs out of memory or overruns its time is killed and replaced;
that input alone gets a :class:`Failure`, and the others carry on. Work is spread over the
machine's cores because every return is independent.

The memory limit is what the operating system offers: an address-space limit (``resource``)
on Linux and macOS, a job object (pywin32's ``win32job``) on Windows. Where neither can be
had, workers run without one, and the time limit and the checks made before parsing still
apply; :func:`memory_guard` says which is in force. Workers are forked on Linux and spawned
elsewhere, so everything handed to them is picklable and defined at module level.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import pickle
import signal
import sys
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any, Callable, Iterable, Iterator

try:
    import resource
except ImportError:  # Windows
    resource = None


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
    ctx = start_context()
    guard = memory_guard()
    workers: list[_Worker] = [_Worker(ctx, func, limits, guard) for _ in range(limits.worker_count(len(todo)))]
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
                outcome = _PENDING
                if worker.conn in ready:
                    outcome = worker.receive()
                elif time.monotonic() >= worker.deadline:
                    outcome = worker.time_out()
                if outcome is not _PENDING:
                    yield worker.index, outcome
                    worker.index = None
                    if queue:
                        worker.give(*queue.pop())
    finally:
        for worker in workers:
            worker.stop()


_PENDING = object()  # what a worker said was not an answer yet (it said it had started)
READY = b"ready"  # a worker's first message; pickled answers never start like this
STARTUP_SECONDS = 120.0  # a spawned worker imports everything afresh; that time is not held against a file


def start_context():
    """Fork where it is cheap and safe (Linux); spawn elsewhere (Windows has nothing else, macOS advises it)."""
    fork = "fork" in mp.get_all_start_methods() and sys.platform.startswith("linux")
    return mp.get_context("fork" if fork else "spawn")


def memory_guard() -> str:
    """How workers' memory is limited here: 'rlimit', 'job object' or 'none' (time limit and checks only)."""
    if resource is not None:
        return "rlimit"
    if sys.platform == "win32":
        try:
            import win32job  # noqa: F401 - pywin32, installed with sheetkit on Windows
            return "job object"
        except ImportError:
            pass
    return "none"


class _Worker:
    def __init__(self, ctx, func, limits: Limits, guard: str):
        self.ctx, self.func, self.limits, self.guard = ctx, func, limits, guard
        self.index: int | None = None
        self.deadline = 0.0
        self._start()

    @property
    def busy(self) -> bool:
        return self.index is not None

    def _start(self) -> None:
        self.ready = False
        self.conn, child = self.ctx.Pipe()
        self.process = self.ctx.Process(target=_serve, args=(child, self.func, self.limits.memory_bytes, self.guard),
                                        daemon=True)
        self.process.start()
        child.close()

    def give(self, index: int, item: Any) -> None:
        self.index = index
        self.conn.send(item)
        self._arm()

    def _arm(self) -> None:
        """The time limit runs from when the worker is ready: a spawned one may still be starting."""
        self.deadline = time.monotonic() + self.limits.seconds + (0.0 if self.ready else STARTUP_SECONDS)

    def time_out(self) -> Failure:
        started = self.ready
        self.restart()
        if not started:
            return Failure("timeout", f"the reader did not start within {STARTUP_SECONDS:.0f} s")
        return Failure("timeout", f"stopped after {self.limits.seconds:.0f} s")

    def receive(self) -> Any:
        try:
            message = self.conn.recv_bytes(self.limits.result_bytes)
        except (EOFError, OSError) as exc:
            code = self.process.exitcode
            self.restart()
            if "bad message length" in str(exc):  # recv_bytes refused an answer over the limit
                return Failure("error", f"its result was larger than {self.limits.result_bytes / 2**20:.0f} MB")
            return Failure("crashed", f"the reader stopped unexpectedly (exit code {code})")
        if not self.ready and message == READY:
            self.ready = True
            self._arm()
            return _PENDING
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


def _serve(conn: Connection, func: Callable, memory_bytes: int, guard: str) -> None:
    # Ctrl-C and requests to stop are the parent's to handle: it stops the workers and cleans up.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if memory_bytes:
        _limit_memory(memory_bytes, guard)
    conn.send_bytes(READY)
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


def _limit_memory(memory_bytes: int, guard: str) -> None:
    """In a worker: limit its own memory the way the parent chose (the parent's choice holds under spawn too)."""
    if guard == "rlimit":
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    elif guard == "job object":
        import win32api
        import win32job

        job = win32job.CreateJobObject(None, "")
        info = win32job.QueryInformationJobObject(job, win32job.JobObjectExtendedLimitInformation)
        info["ProcessMemoryLimit"] = memory_bytes
        info["BasicLimitInformation"]["LimitFlags"] |= win32job.JOB_OBJECT_LIMIT_PROCESS_MEMORY
        win32job.SetInformationJobObject(job, win32job.JobObjectExtendedLimitInformation, info)
        win32job.AssignProcessToJobObject(job, win32api.GetCurrentProcess())
