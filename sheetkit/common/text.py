"""Small text helpers every stage uses, one copy each: cell names, names compared as people
mean them, text clipped for a message, values shown as the respondent sees them, and text made
safe to print or to store.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache

_UNREPRESENTABLE = re.compile("[\ud800-\udfff]")  # undecodable bytes of a file name, as os.fsdecode keeps them
_UNPRINTABLE_TEXT = re.compile("[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff]")
_CELL = re.compile(r"\$?([A-Za-z]{1,3})\$?(\d+)$")


@lru_cache(maxsize=1024)
def column_letters(col: int) -> str:
    """'A' for column 0, 'AB' for column 27."""
    letters = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


@lru_cache(maxsize=1 << 16)  # the same few thousand cells, named again in every return
def cell_name(row: int, col: int) -> str:
    """'B7' for row 6, column 1 (both counted from zero)."""
    return f"{column_letters(col)}{row + 1}"


def cell_position(name: str) -> tuple[int, int] | None:
    """(row, col) counted from zero for a cell name such as 'B7' or '$B$7'; None when it is not one."""
    match = _CELL.match(name.strip())
    if not match:
        return None
    col = 0
    for ch in match[1].upper():
        col = col * 26 + ord(ch) - 64
    return int(match[2]) - 1, col - 1


def normalise_name(name: str) -> str:
    """Names compare ignoring case and runs of spaces: 'Adult  Social care' = 'adult social care'."""
    return " ".join(str(name).split()).casefold()


def utf16_length(text: str) -> int:
    """The length of text as spreadsheets count it (characters outside the BMP count twice)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def clip(text: str, limit: int = 200) -> str:
    """Text cut to `limit` characters with '...', for messages and the short boxes Excel allows."""
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


def as_text(value) -> str:
    """A cell value as the respondent sees it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def printable(name: str) -> str:
    """A file name as text that can always be shown: undecodable bytes and control characters escaped."""
    try:
        text = name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:
        text = name.encode("utf-8", "backslashreplace").decode("ascii")
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)


def printable_text(text: str) -> str:
    """Text for a terminal: undecodable bytes and control characters shown as \\xHH; tabs and line breaks kept."""
    return _UNPRINTABLE_TEXT.sub(_shown_as_escape, text)


def encodable(text: str) -> str:
    """`text` with the characters no file can hold (undecodable bytes of a name) shown as \\xHH."""
    return _UNREPRESENTABLE.sub(_shown_as_escape, text)


def holds_unrepresentable(text: str) -> bool:
    """Whether `text` (typically a file name) holds characters that encodable() must replace."""
    return bool(_UNREPRESENTABLE.search(text))


def _shown_as_escape(match: re.Match) -> str:
    code = ord(match.group())
    if 0xDC80 <= code <= 0xDCFF:  # an undecodable byte, as os.fsdecode keeps it
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
