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
        with click.progressbar(items, length=length, label=label, file=sys.stderr) as bar:
            yield from bar
    else:
        yield from items
