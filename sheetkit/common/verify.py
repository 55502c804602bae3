"""Fast paths checked against their full paths, when asked: ``SHEETKIT_VERIFY_FAST_PATHS``.

Where sheetkit takes a shortcut that must give exactly what the full path gives (a sheet read
at its planned cells, a file's notes found from their marks), the full path can be run as well
and the two compared. The test suite sets ``SHEETKIT_VERIFY_FAST_PATHS`` to a file: every
difference is written there (worker processes included) and raised, and the run fails.
"""

from __future__ import annotations

import os
from typing import Callable

ENV = "SHEETKIT_VERIFY_FAST_PATHS"


def verifying() -> bool:
    """Whether fast paths are to be checked against their full paths."""
    return bool(os.environ.get(ENV))


def verified(full: Callable[[], object], fast: object, what: str) -> None:
    """In verifying mode, `full()` must equal `fast`; a difference is logged and raised."""
    if not verifying():
        return
    expected = full()
    if expected != fast:
        difference(f"the fast path for {what} differs from the full path: {fast!r:.2000} != {expected!r:.2000}")


def difference(message: str) -> None:
    """Log a fast path's difference (to the file ``SHEETKIT_VERIFY_FAST_PATHS`` names) and raise it."""
    log = os.environ.get(ENV, "")
    if log not in ("", "1"):
        with open(log, "a", encoding="utf-8") as handle:
            handle.write(message.replace("\n", " ") + "\n")
    raise AssertionError(message)
