"""Email addresses and names as people type them into a list: several addresses in one cell
("a@x.org; b@x.org", "Ann Smith <a@x.org>, b@x.org"), line breaks from Alt+Enter, stray spaces.

What comes out is fit for an email header: each address checked, each name on one line with
no control characters. Anything that is not an address is handed back, so that the caller can
refuse it with its row (build) or say so (chase).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from email.utils import getaddresses

# The address forms a draft can carry in any mail program: ASCII local part and domain, a dot in the domain.
_ADDRESS = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
                      r"@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+")
_ANGLED = re.compile(r"<([^<>]*)>")
_BETWEEN = re.compile(r"[;\n\r]+")  # what always separates addresses; a comma may sit inside a name


@dataclass(frozen=True)
class Addresses:
    """What one cell of addresses holds: the addresses, each with the name typed beside it, and
    whatever was not an address."""

    found: tuple[tuple[str, str], ...] = ()  # (name typed with it, or '', address)
    bad: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        """The addresses as the manifest keeps them: 'Ann Smith <a@x.org>; b@x.org'."""
        return "; ".join(f"{name} <{address}>" if name else address for name, address in self.found)


def one_line(text: object) -> str:
    """Text fit for one line of a header or a file name's neighbour: line breaks (Alt+Enter) and
    runs of spaces folded into one space, control characters dropped."""
    folded = " ".join(str(text or "").split())
    return "".join(ch for ch in folded if unicodedata.category(ch) not in ("Cc", "Cs"))


def parse_addresses(text: object) -> Addresses:
    """The addresses in a cell, whichever way they were separated (';', ',', spaces, line breaks)."""
    found: list[tuple[str, str]] = []
    bad: list[str] = []
    for piece in _BETWEEN.split(str(text or "")):
        piece = piece.strip()
        if not piece:
            continue
        angled = _ANGLED.findall(piece)
        if len(angled) == 1 and piece.endswith(">"):  # 'Smith, Ann <a@x.org>': the comma is the name's
            _take(_name(_ANGLED.sub(" ", piece)), angled[0], found, bad, piece)
            continue
        if angled:  # 'Ann Smith <a@x.org>, b@x.org'
            for name, address in getaddresses([piece]):
                _take(_name(name), address, found, bad, f"{name} <{address}>" if name else address)
            continue
        for word in re.split(r"[,\s]+", piece):
            if word:
                _take("", word.strip("<>\"'()"), found, bad, word)
    unique = tuple(dict.fromkeys(found))
    return Addresses(unique, tuple(one_line(b) for b in bad))


def _name(text: str) -> str:
    return one_line(text).strip(" ,\"'")


def _take(name: str, address: str, found: list, bad: list, typed: str) -> None:
    address = address.strip().rstrip(".")
    if address.lower().startswith("mailto:"):
        address = address[7:]
    if _ADDRESS.fullmatch(address) and len(address) <= 254:
        found.append((name, address))
    else:
        bad.append(typed)
