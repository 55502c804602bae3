"""Who saved a return, and whose contact that person is: the evidence for forwarded and swapped
workbooks. Evidence, never identity: a return is the respondent's whose build id it carries
(see :mod:`sheetkit.returns.builds`); who saved it only says whether someone else may have
filled it in.

Names are compared as people write them: 'Ann Smith', 'Smith, Ann', 'ann.smith@council.gov.uk'
and 'Ann Smith (Head of Housing)' are the same person.
"""

from __future__ import annotations

import re
from typing import Iterable

from .model import CheckedReturn

# names that say nothing about who filled a workbook in: the builder's own, and the defaults
# spreadsheet programs and shared machines use when no user name is set
NOT_AN_AUTHOR = frozenset({"", "sheetkit", "user", "windows user", "microsoft office user", "office user", "owner",
                           "admin", "administrator", "author", "unknown", "libreoffice", "openpyxl", "python"})
_WORDS = re.compile(r"[^\W_\d]+")


def author(ret: CheckedReturn) -> str:
    """Who last saved the return, as the file records it ('' when it records no one useful)."""
    name = " ".join((ret.saved_by or "").split())
    return "" if name.lower() in NOT_AN_AUTHOR else name


def person_key(name: str) -> str:
    """A person's name or email address, compared loosely: 'Ann Smith', 'smith, ann' and
    'ann.smith@council.gov.uk' are the same person."""
    text = name.strip().lower()
    if "@" in text:
        text = text.split("@", 1)[0]
    return " ".join(sorted(_WORDS.findall(text)))


def same_person(saver: str, contact: str) -> bool:
    """Whether the person who saved a file (as the file records them) is the contact named: the
    same words, or every word of a full name found in a longer contact entry ('Ann Smith' in
    'Ann Smith (Head of Housing)')."""
    a, c = person_key(saver), person_key(contact)
    if not a or not c:
        return False
    if a == c:
        return True
    words, theirs = a.split(), set(c.split())
    return len(words) >= 2 and set(words) <= theirs


def is_contact(saver: str, contacts: Iterable[str]) -> bool:
    """Whether `saver` is one of `contacts` (names and email addresses from the manifest)."""
    return any(same_person(saver, c) for c in contacts)
