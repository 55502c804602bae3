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

No worker outlives the run. Workers are stopped however the run ends (an error, Ctrl-C, a
request to stop), and each is started whole: a Ctrl-C arriving while a worker starts waits
until it is started and known, so it is stopped with the others. A worker ignores Ctrl-C
itself (the terminal sends it to every process of the command; the parent stops its workers)
and ends when its parent does: it holds no other end of the pipes to the parent, so it sees
the parent go, and on Linux the system also kills it then (``PR_SET_PDEATHSIG``), even when
it is busy reading. On Windows, where workers are spawned and hold only their own pipe, a
worker ends when the parent's end of its pipe closes.
"""

from __future__ import annotations

import ctypes
import multiprocessing as mp
import os
import pickle
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import Any, Callable, Iterable, Iterator

from . import interrupts

try:
    import resource
except ImportError:  # Windows
    resource = None


@dataclass(frozen=True)
class Failure:
    """Why an input produced no result."""

    reason: str  # 'timeout', 'crashed' or 'error'
    detail: str
    error: BaseException | None = field(default=None, compare=False)  # what the function raised, when it travels


@dataclass(frozen=True)
class Limits:
    seconds: float | None = 30.0  # None: no time limit (for work on trusted inputs, such as building workbooks)
    memory_bytes: int = 1024 * 1024 * 1024  # 0: no memory limit
    workers: int = 0  # 0: one per core
    result_bytes: int = 64 * 1024 * 1024  # results are unpickled in the parent, outside the worker's limits

    def worker_count(self, jobs: int) -> int:
        wanted = self.workers or os.cpu_count() or 1
        return max(1, min(wanted, jobs))


def run_isolated(func: Callable[..., Any], inputs: Iterable[Any], limits: Limits = Limits(),
                 shared: Any = None) -> Iterator[tuple[int, Any]]:
    """Yield (index, result or Failure) for every input, in completion order.

    With `shared`, each worker is handed it once when it starts and calls ``func(shared, input)``:
    what every input needs alike (a framework and its layout, say) is not sent again with each.

    Every worker is stopped when the generator ends, is closed, or is left by an exception; a
    caller that may stop early closes it (``with contextlib.closing(run_isolated(...))``).
    """
    todo = list(enumerate(inputs))
    if not todo:
        return
    ctx = start_context()
    guard = memory_guard()
    workers: list[_Worker] = []
    queue = list(reversed(todo))
    scratch = None
    try:
        # The workers' temporary files go in one folder of this run's, removed here once they are
        # stopped: a worker killed midway (at a Ctrl-C) cannot remove its own.
        with interrupts.held():  # made and known as one step, so it is always removed
            scratch = tempfile.mkdtemp(prefix="sheetkit-work-")
        for _ in range(limits.worker_count(len(todo))):
            workers.append(_Worker(ctx, func, limits, guard, shared, scratch))  # known before it starts, so always stopped
            workers[-1].start()
        for worker in workers:
            if queue:
                worker.give(*queue.pop())
        while any(w.busy for w in workers):
            busy = [w for w in workers if w.busy]
            deadline = min(w.deadline for w in busy)
            wait_for = None if deadline == float("inf") else max(0.0, deadline - time.monotonic())
            ready = wait([w.conn for w in busy], timeout=wait_for)
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
        with interrupts.held():  # a second Ctrl-C waits until every worker is stopped
            for worker in workers:
                worker.stop()
            if scratch is not None:
                shutil.rmtree(scratch, ignore_errors=True)


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


# The parent's ends of the workers' pipes. A forked worker inherits a copy of each and closes
# them all at once: were it to keep one, it would never see the parent go.
_PARENT_ENDS: set[Connection] = set()


class _Worker:
    def __init__(self, ctx, func, limits: Limits, guard: str, shared: Any = None, scratch: str | None = None):
        self.ctx, self.func, self.limits, self.guard, self.shared = ctx, func, limits, guard, shared
        self.scratch = scratch
        self.index: int | None = None
        self.deadline = 0.0
        self.process = self.conn = None

    @property
    def busy(self) -> bool:
        return self.index is not None

    def start(self) -> None:
        """Start the worker process, whole: a Ctrl-C meanwhile takes effect once it is started and known."""
        self.ready = False
        with interrupts.held(), interrupts.blocked():
            self.conn, child = self.ctx.Pipe()
            _PARENT_ENDS.add(self.conn)
            self.process = self.ctx.Process(target=_serve, args=(child, self.func, self.limits.memory_bytes,
                                                                 self.guard, os.getpid(), self.shared, self.scratch),
                                            daemon=True)
            try:
                self.process.start()
            finally:
                child.close()

    def give(self, index: int, item: Any) -> None:
        self.index = index
        try:
            self.conn.send(item)
        except OSError:  # the idle worker was gone (killed from outside): a fresh one takes the input
            self.restart()
            try:
                self.conn.send(item)
            except OSError as exc:  # not a closed output pipe ('| head'), which the command line ends quietly on
                raise RuntimeError(f"could not hand work to a fresh worker process ({exc})") from None
        self._arm()

    def _arm(self) -> None:
        """The time limit runs from when the worker is ready: a spawned one may still be starting."""
        if self.limits.seconds is None:
            self.deadline = float("inf")
            return
        self.deadline = time.monotonic() + self.limits.seconds + (0.0 if self.ready else STARTUP_SECONDS)

    def time_out(self) -> Failure:
        started = self.ready
        self.restart()
        if not started:
            return Failure("timeout", f"the worker process did not start within {STARTUP_SECONDS:.0f} s")
        return Failure("timeout", f"stopped after {self.limits.seconds:.0f} s")

    def receive(self) -> Any:
        try:
            message = self.conn.recv_bytes(self.limits.result_bytes)
        except (EOFError, OSError) as exc:
            code = self.process.exitcode
            self.restart()
            if "bad message length" in str(exc):  # recv_bytes refused an answer over the limit
                return Failure("error", f"its result was larger than {self.limits.result_bytes / 2**20:.0f} MB")
            return Failure("crashed", f"the worker process stopped unexpectedly (exit code {code})")
        if not self.ready and message == READY:
            self.ready = True
            self._arm()
            return _PENDING
        ok, value = pickle.loads(message)
        if ok:
            return value
        detail, error = value
        return Failure("error", detail, error)

    def restart(self) -> None:
        self.stop()
        self.start()

    def stop(self) -> None:
        """End the worker, whatever state it is in (also one whose start was cut short)."""
        if self.process is not None and self.process.pid is not None:
            if self.process.is_alive():
                self.process.kill()
            self.process.join(timeout=5)
        if self.conn is not None:
            _PARENT_ENDS.discard(self.conn)
            self.conn.close()


def _serve(conn: Connection, func: Callable, memory_bytes: int, guard: str, parent: int, shared: Any = None,
           scratch: str | None = None) -> None:
    # Ctrl-C and requests to stop are the parent's to handle: it stops the workers and cleans up.
    # They were blocked while this process started, so one sent meanwhile is dropped here, not half-handled.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "SIGBREAK"):
        signal.signal(signal.SIGBREAK, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    interrupts.unblock()
    for end in list(_PARENT_ENDS):  # inherited by fork; the parent alone may hold them
        end.close()
    _PARENT_ENDS.clear()
    _die_with(parent)
    if scratch is not None:
        tempfile.tempdir = scratch  # the parent removes it, whatever becomes of this worker
    if memory_bytes:
        _limit_memory(memory_bytes, guard)
    conn.send_bytes(READY)
    while True:
        try:
            item = conn.recv()
        except EOFError:
            return
        try:
            conn.send((True, func(item) if shared is None else func(shared, item)))
        except MemoryError:
            conn.send((False, ("ran out of memory", None)))
        except BaseException as exc:  # noqa: BLE001 - the worker must answer whatever happened
            conn.send((False, (f"{type(exc).__name__}: {exc}", _travels(exc))))


def _travels(exc: BaseException) -> BaseException | None:
    """The exception itself when it can be sent to the parent (an OSError naming its file, say), else None."""
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:  # noqa: BLE001 - any exception may refuse to be pickled, each in its own way
        return None
    return exc


PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def _die_with(parent: int) -> None:
    """On Linux, have the system kill this worker when its parent ends, even mid-read; elsewhere the
    closed pipe tells it. A parent already gone by now means the worker ends at once."""
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):  # no C library to ask: the closed pipe still tells it
            pass
    if os.getppid() != parent:
        os._exit(0)


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
