"""Ctrl-C and requests to stop, held off while a step that must not be cut in two runs.

Putting a command's outputs in place (or undoing that), and starting a worker process, are
each done whole: Ctrl-C (SIGINT), a request to stop (SIGTERM) or Ctrl-Break on Windows that
arrives meanwhile is noted, and takes effect the moment the step is over. Only the main thread
can hold signals; anywhere else the step simply runs.
"""

from __future__ import annotations

import signal
import threading
from contextlib import contextmanager

STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGBREAK") if hasattr(signal, name))


class held:
    """``with held() as stop:`` runs the block whole; ``stop.stopping`` says whether a stop was asked meanwhile.

    On leaving the block normally, a noted signal is raised again, so it does what it would have
    done (Ctrl-C raises KeyboardInterrupt); when the block is left by an exception, the run is
    ending anyway and the noted signal is dropped.
    """

    def __init__(self) -> None:
        self.noted: int | None = None
        self._previous: dict[int, object] = {}

    def __enter__(self) -> "held":
        if threading.current_thread() is threading.main_thread():
            for sig in STOP_SIGNALS:
                previous = signal.getsignal(sig)
                if previous is not None:  # None: a handler set outside Python, which cannot be put back
                    self._previous[sig] = previous
                    signal.signal(sig, self._note)
        return self

    def _note(self, signum, frame) -> None:
        if self.noted is None:
            self.noted = signum

    @property
    def stopping(self) -> bool:
        """Whether a signal arrived that asks the run to stop (one the program ignores does not)."""
        return self.noted is not None and self._previous.get(self.noted) is not signal.SIG_IGN

    def __exit__(self, kind, exc, tb) -> bool:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        if kind is None and self.stopping:
            signal.raise_signal(self.noted)
        return False


@contextmanager
def blocked():
    """Stop signals kept pending by the system while the block runs (where it can), then delivered.

    A process started inside the block begins with them blocked too, as a forked or spawned
    worker does until it has chosen to ignore them (see sheetkit.common.sandbox).
    """
    mask = getattr(signal, "pthread_sigmask", None)
    if mask is None or threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = mask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        yield
    finally:
        mask(signal.SIG_SETMASK, previous)


def unblock() -> None:
    """In a worker that now ignores stop signals: let the rest through again."""
    mask = getattr(signal, "pthread_sigmask", None)
    if mask is not None:
        mask(signal.SIG_UNBLOCK, STOP_SIGNALS)


def forget_handled_interrupt() -> None:
    """Make sure the process ends with the status sheetkit chose after it handled a Ctrl-C.

    CPython marks a KeyboardInterrupt that leaves code run by exec() of a string (as dataclasses
    make their methods, while modules are imported) as unhandled, even when sheetkit caught it
    later, and at exit then kills the process with SIGINT instead of exiting with status 130.
    Running any string clears that mark.
    """
    exec("pass")


def came_from_interrupt(exc: BaseException) -> bool:
    """Whether `exc` is a Ctrl-C in disguise: Python 3.11 wraps an exception met while a class is being
    made (a KeyboardInterrupt during an import, say) in a RuntimeError."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, KeyboardInterrupt):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False
