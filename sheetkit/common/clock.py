"""The one clock sheetkit reads: every "today" and "now" in sheetkit comes from here.

Deadlines, lateness, chase wording and the times written into outputs all depend on the date,
so they ask this module rather than the system clock directly. A test (or a reproducible run)
sets the clock with :func:`frozen`, or for a whole process, including worker processes and
subprocesses, with the ``SHEETKIT_NOW`` environment variable (an ISO date or date-time, e.g.
``2027-02-28`` or ``2027-02-28T09:30:00+00:00``).
"""

from __future__ import annotations

import datetime as dt
import os
from contextlib import contextmanager
from typing import Iterator

ENVIRONMENT = "SHEETKIT_NOW"
_fixed: dt.datetime | None = None


def now() -> dt.datetime:
    """The current moment, timezone-aware, in the local timezone."""
    fixed = _fixed or _from_environment()
    return (fixed or dt.datetime.now(dt.timezone.utc)).astimezone()


def today() -> dt.date:
    """Today's date where sheetkit runs."""
    return now().date()


def utc_now() -> dt.datetime:
    """The current moment in UTC, to the second (what sheetkit records in its own files)."""
    return now().astimezone(dt.timezone.utc).replace(microsecond=0)


def parse(value: str | dt.date | dt.datetime) -> dt.datetime:
    """A moment from an ISO date or date-time; a date means noon UTC that day, a naive time means UTC."""
    if isinstance(value, str):
        text = value.strip()
        value = dt.datetime.fromisoformat(text) if "T" in text or " " in text else dt.date.fromisoformat(text)
    if not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day, 12, 0)
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


@contextmanager
def frozen(at: str | dt.date | dt.datetime) -> Iterator[dt.datetime]:
    """Within the block, the clock stands still at `at` (see :func:`parse`)."""
    global _fixed
    before, _fixed = _fixed, parse(at)
    try:
        yield _fixed
    finally:
        _fixed = before


def _from_environment() -> dt.datetime | None:
    value = os.environ.get(ENVIRONMENT, "").strip()
    if not value:
        return None
    try:
        return parse(value)
    except ValueError:
        raise ValueError(f"{ENVIRONMENT}={value!r} is not an ISO date or date-time (e.g. 2027-02-28)") from None
