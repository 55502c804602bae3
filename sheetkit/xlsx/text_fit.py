"""How much room text needs in a cell: lines, row heights, and text cut to fit a limit.

Spreadsheets give a row at most 409 points and a sheet name at most 31 UTF-16 units; these
estimates (measured against LibreOffice's rendering with Calibri-width columns) let the layout
split long framework text over several rows and the writer size every row for its text.
"""

from __future__ import annotations

SAFE_ROW_POINTS = 380.0  # split framework text that would need more than this (a row holds at most 409)


def fit_units(text: str, limit: int) -> str:
    """The longest prefix of text within `limit` UTF-16 code units (how spreadsheets count)."""
    while len(text.encode("utf-16-le")) // 2 > limit:
        text = text[:-1]
    return text


def lines_needed(text: str, width: float, size: int) -> int:
    """Lines a wrapped text takes in a column `width` characters wide at font `size`, wrapped as
    spreadsheets wrap it: word by word, a word too long for a line (a web address) broken anywhere."""
    # a column is about 7 pixels a character wide; Arial averages at most 0.6 of its point size a
    # character (LibreOffice fits a little more on a line, Excel more still)
    per_line = max(1, int(width * 7 / (size * 0.6)))
    return sum(_wrapped_lines(part, per_line) for part in str(text).split("\n"))


def _wrapped_lines(paragraph: str, per_line: int) -> int:
    lines, used = 1, 0
    for word in paragraph.split(" "):
        if used and used + 1 + len(word) > per_line:  # the word goes to the next line
            lines, used = lines + 1, 0
        used += (1 if used else 0) + len(word)
        while used > per_line:  # a word longer than a line is broken
            lines, used = lines + 1, used - per_line
    return lines


def points_needed(text: str, width: float, size: int) -> float:
    """Row height in points that shows a wrapped text in full."""
    return lines_needed(text, width, size) * size * 1.25 + 4 if text else 0.0


def split_for_row(text: str, width: float, size: int) -> list[str]:
    """The text in parts that each fit one row (under the 409-point limit), split between
    paragraphs, and within a paragraph too long for one row, between words."""
    if not text or points_needed(text, width, size) <= SAFE_ROW_POINTS:
        return [text]
    paragraphs = _pack(text.split("\n"), "\n", width, size)
    return [part for para in paragraphs for part in _pack(para.split(" "), " ", width, size)]


def _pack(pieces: list[str], joiner: str, width: float, size: int) -> list[str]:
    """Pieces joined back together, starting a new part wherever the next would not fit a row."""
    parts, current = [], ""
    for piece in pieces:
        candidate = f"{current}{joiner}{piece}" if current else piece
        if current and points_needed(candidate, width, size) > SAFE_ROW_POINTS:
            parts.append(current)
            current = piece
        else:
            current = candidate
    return parts + [current]
