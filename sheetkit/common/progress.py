"""A progress bar on standard error, shown only for more than a handful of items."""

from __future__ import annotations

import sys
from typing import Iterable, Iterator, TypeVar

import click

THRESHOLD = 5
T = TypeVar("T")


def progress(items: Iterable[T], enabled: bool, label: str, length: int | None = None) -> Iterator[T]:
    """Yield items, drawing a bar when enabled and there are more than THRESHOLD of them."""
    length = len(items) if length is None else length  # type: ignore[arg-type]
    if enabled and length > THRESHOLD:
        with click.progressbar(items, length=length, label=label, file=_Drawn(sys.stderr)) as bar:
            yield from bar
    else:
        yield from items


class _Drawn:
    """Standard error as the bar draws on it: if its reader goes (``2>&1 | head``), the bar stops, the work goes on."""

    def __init__(self, stream):
        self._stream = stream
        self._gone = False

    def write(self, text: str) -> int:
        if not self._gone:
            try:
                self._stream.write(text)
            except OSError:
                self._gone = True
        return len(text)

    def flush(self) -> None:
        if not self._gone:
            try:
                self._stream.flush()
            except OSError:
                self._gone = True

    def isatty(self) -> bool:
        return not self._gone and self._stream.isatty()

    def __getattr__(self, name: str):
        return getattr(self._stream, name)
