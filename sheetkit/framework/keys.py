"""The stable name of every answer: ``level/owner/field``, formatted and parsed here alone.

``item/7/rating`` is item 7's rating, ``statement/1.2/evidence`` the evidence for statement
1.2, ``section/2/summary`` a section's summary answer, ``framework/-/vision`` and
``signoff/-/completed_by`` the Start sheet's questions, ``action/3/owner`` the owner of the
third action, ``unplaced/Sheet name/B7`` whatever was typed where no question sits
(``…/B7/comment``, a comment on that cell; ``…/B7/drawing 1``, the text of a text box anchored there), and
``reply/item|7|rating/revised`` a partner's reply to their feedback on item 7's rating (the rated answer's
own key, its slashes written as ``|``). The writer, the reader, the spool, the reports and the next round all name
answers through :class:`AnswerKey`, so the format can change in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

ANSWER_LEVELS = ("framework", "item", "statement", "section", "action", "signoff", "unplaced", "reply")


@dataclass(frozen=True)
class AnswerKey:
    """The name of one answer: its level, its owner (an id, a number, or '-') and its field."""

    level: str
    owner: str
    field: str

    def __str__(self) -> str:
        return f"{self.level}/{self.owner}/{self.field}"

    @classmethod
    def parse(cls, text: str) -> "AnswerKey":
        """The key written as `text`; ValueError when it is not one."""
        return _parsed(str(text))

    @property
    def parts(self) -> tuple[str, str, str]:
        """(level, owner, field)."""
        return self.level, self.owner, self.field

    @classmethod
    def of(cls, level: str, owner: str, field: str) -> str:
        """The key of a field at `level`, as text: ``AnswerKey.of('item', '7', 'rating')``."""
        return str(cls(level, owner or "-", field))

    @classmethod
    def item(cls, item_id: str, field: str) -> str:
        return cls.of("item", item_id, field)

    @classmethod
    def statement(cls, statement_id: str, field: str) -> str:
        return cls.of("statement", statement_id, field)

    @classmethod
    def section(cls, section_id: str, field: str) -> str:
        return cls.of("section", section_id, field)

    @classmethod
    def action(cls, number: int | str, field: str) -> str:
        return cls.of("action", str(number), field)

    @classmethod
    def unplaced(cls, sheet: str, cell: str, comment: bool = False, drawing: int = 0) -> str:
        """What was typed in a cell no question claims (or a comment on it, or the text of the
        `drawing`-th drawing anchored there, counted from one)."""
        suffix = "/comment" if comment else f"/drawing {drawing}" if drawing else ""
        return cls.of("unplaced", sheet, cell + suffix)

    @classmethod
    def reply(cls, rated: str, field: str) -> str:
        """The key of a reply's `field` about the rated answer `rated` ('item/7/rating')."""
        return cls.of("reply", rated.replace("/", "|"), field)

    @property
    def rated(self) -> str:
        """A reply key's rated answer: 'item/7/rating' for 'reply/item|7|rating/revised'."""
        level, rest = self.owner.split("|", 1)
        owner, field = rest.rsplit("|", 1)
        return str(AnswerKey(level, owner, field))

    @staticmethod
    def level_of(text: str) -> str:
        """The level of a key written as text ('item' for 'item/7/rating'), without checking the rest."""
        return str(text).split("/", 1)[0]

    @property
    def number(self) -> int:
        """An action key's row number."""
        return int(self.owner)

    @property
    def is_comment(self) -> bool:
        """Whether an unplaced key names a comment on a cell rather than the cell's value."""
        return self.level == "unplaced" and self.field.endswith("/comment")

    @property
    def is_drawing(self) -> bool:
        """Whether an unplaced key names a drawing's text (a text box anchored at the cell)."""
        return self.level == "unplaced" and "/drawing " in self.field

    @property
    def cell(self) -> str:
        """An unplaced key's cell ('B7')."""
        return self.field.split("/", 1)[0]


@lru_cache(maxsize=1 << 15)  # every return names the same few hundred answers
def _parsed(text: str) -> AnswerKey:
    parts = text.split("/", 2)
    if len(parts) != 3 or parts[0] not in ANSWER_LEVELS:
        raise ValueError(f"'{text}' is not an answer key (level/owner/field)")
    return AnswerKey(*parts)
