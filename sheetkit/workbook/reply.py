"""A partner's reply to their feedback, laid out as a respondent workbook's tables are.

A feedback workbook that asks for a reply carries the sheet 'Your reply': one row per rating the
partner is asked about (where they sit apart from the other partners, stand in one camp of a
split, or the lead marked the item for discussion), with the item's Ref and caption locked, what
they rated and where that puts them shown locked beside it, and four cells to fill in: keep or
revise the rating, the revised rating, why, and evidence they add. The workbook's hidden metadata
carries a build id, its kind and the ratings it asks about, so :func:`plan_for` gives the reader
this layout from a returned reply, and the returns reader finds and checks its answers by Ref,
label and header with the same rules and findings as a return's.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache

from sheetkit.common.own_files import FEEDBACK_KIND, REPLY_KIND, SHEET_REPLY, meta_kind
from sheetkit.framework.fields import field_type
from sheetkit.framework.keys import AnswerKey
from sheetkit.framework.model import Framework, Rated, ResponseField, rated_things
from .layout import REF_HEADER, AnswerCell, Column, Row, SheetTable, TextCell

DECISION = ResponseField("decision", "Keep or revise your rating", "decision", "reply")
REASON = ResponseField("reason", "Why", "text", "reply")
EVIDENCE = ResponseField("evidence", "Evidence you add", "text", "reply")
REVISED = "revised"  # the revised rating's field id: a rating field on the rated thing's own scale
SHOWN = ("Your rating", "The others' ratings", "Where you sit")  # locked, beside each row's caption
WIDTHS = {"ref": 8, "text": 40, "shown": (11, 20, 20), "decision": 17, "revised": 15, "reason": 40,
          "evidence": 40}


def revised_field(scale_id: str) -> ResponseField:
    """The revised rating of a thing rated on `scale_id`."""
    return ResponseField(REVISED, "Your revised rating", "rating", "reply", scale=scale_id)


def header(f: ResponseField) -> str:
    """An answer column's header: the field's label and what goes in it, 'Why (type here)'."""
    return f"{f.label} {field_type(f).hint}"


@dataclass(eq=False)
class ReplyLayout:
    """The reply sheet of one feedback workbook, as the writer draws it and the reader finds it.

    It has the attributes the returns reader uses of a :class:`~sheetkit.workbook.layout.WorkbookLayout`
    (tables, texts, answers, sheet names), and none of a return's sign-off or action plan.
    """

    framework: Framework
    reply: SheetTable
    asked: tuple[Rated, ...]
    info_sheets: tuple[str, ...] = ()  # the feedback's other sheets: shown, nothing to read on them
    texts: list[TextCell] = field(default_factory=list)
    follow_up: bool = False
    kind: str = REPLY_KIND

    @property
    def tables(self) -> list[SheetTable]:
        return [self.reply]

    @property
    def sheet_names(self) -> list[str]:
        """The sheets holding answers (a missing one is reported)."""
        return [SHEET_REPLY]

    @property
    def answers(self) -> list[AnswerCell]:
        return self.reply.answers

    framework_answers = signoff_answers = action_answers = property(lambda self: [])

    def action_cell(self, number: int, field_id: str) -> AnswerCell:
        raise KeyError(f"a reply has no action plan (action {number}, {field_id})")

    def rated(self, key: str) -> Rated:
        """The rated thing a reply's answer key is about."""
        return next(r for r in self.asked if r.key == AnswerKey.parse(key).rated)


def plan_reply(framework: Framework, asks: tuple[str, ...], info_sheets: tuple[str, ...] = (),
               kind: str = REPLY_KIND) -> ReplyLayout:
    """The reply sheet asking about the ratings `asks` (answer keys, in framework order), after the
    feedback's `info_sheets`."""
    return _plan(framework, tuple(asks), tuple(info_sheets), kind)


@lru_cache(maxsize=256)
def _plan(framework: Framework, asks: tuple[str, ...], info_sheets: tuple[str, ...], kind: str) -> ReplyLayout:
    wanted = set(asks)
    asked = tuple(r for r in rated_things(framework) if r.key in wanted)
    columns = [Column(REF_HEADER, WIDTHS["ref"], "ref"), Column(framework.labels["item"], WIDTHS["text"], "text")]
    columns += [Column(text, width, "previous") for text, width in zip(SHOWN, WIDTHS["shown"])]
    first_answer = len(columns)
    columns += [Column(header(f), WIDTHS[f.id], "answer") for f in (DECISION, revised_field(""), REASON, EVIDENCE)]
    table = SheetTable(SHEET_REPLY, "Your reply", columns)
    texts = []
    for n, rated in enumerate(asked, start=table.header_row + 1):
        fields = (DECISION, revised_field(rated.field.scale), REASON, EVIDENCE)
        # A row is found by its Ref alone (each rated thing has its own), so a deleted or edited title
        # column loses no reply; the title is framework wording, checked as such.
        cells = tuple(AnswerCell(AnswerKey.reply(rated.key, f.id), SHEET_REPLY, n, col, f, rated.section_id,
                                 rated.owner_id if rated.level == "item" else "", ref=rated.ref,
                                 header=columns[col].header)
                      for col, f in enumerate(fields, start=first_answer))
        table.rows.append(Row("field", n, rated.ref, rated.caption, answers=cells))
        texts.append(TextCell(SHEET_REPLY, n, table.col("text"), rated.caption, f"the title of {rated.ref}",
                              columns[table.col("text")].header))
    return ReplyLayout(framework, table, asked, info_sheets, texts, kind=kind)


def reply_meta(asks: tuple[str, ...], info_sheets: tuple[str, ...], kind: str = REPLY_KIND) -> dict[str, str]:
    """The metadata a feedback workbook adds to a return's: its kind, what it asks about, its other sheets."""
    return {"kind": kind, "asks": json.dumps(list(asks)), "sheets": json.dumps(list(info_sheets), ensure_ascii=False)}


def plan_from_meta(framework: Framework, meta: dict[str, str]) -> ReplyLayout | None:
    """The reply layout a built feedback workbook has, from its metadata; None for a return."""
    kind = meta_kind(meta)
    if kind not in (REPLY_KIND, FEEDBACK_KIND):
        return None
    return plan_reply(framework, _listed(meta.get("asks", "")), _listed(meta.get("sheets", "")), kind)


def _listed(text: str) -> tuple[str, ...]:
    """A JSON list of texts, as the metadata records it; () for anything else (a damaged value)."""
    try:
        value = json.loads(text)
    except ValueError:
        return ()
    return tuple(str(v) for v in value) if isinstance(value, list) else ()
