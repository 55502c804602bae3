"""The challenge-day pack: a printable page for each contested item, for the panel that agrees a position.

An item is contested when, counting the ratings partners revised after their feedback, partners
are split on it or one sits apart; the lead can add items (``ingest --discuss``). Each item's page
(one sheet, printed on one A4 landscape page) gives the framework's own wording, each partner's
rating (self-assessed and now) with the evidence they gave and their reply, and space to write the
agreed position, which the lead then types into the consolidated workbook's Moderation sheet. A
first sheet lists the items, with why each is on the agenda.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sheetkit.common.own_files import AGREED_POSITION, AGREED_RATING, MODERATION_SHEET
from sheetkit.common.text import clip
from sheetkit.consolidate.agreement import SPLIT
from sheetkit.consolidate.consolidation import Consolidation, RatingRow
from sheetkit.consolidate.moderation import Moderation, ModerationRow
from sheetkit.framework.model import SHEET_NAME_FORBIDDEN, Item
from sheetkit.xlsx.cells import TextWorkbook, write_text
from sheetkit.xlsx.styles import FONT, WORKBOOK_OPTIONS, add_formats, row_height, strict_xlsxwriter
from sheetkit.xlsx.text_fit import fit_units

EVIDENCE_CHARS = 300  # of a partner's evidence on an item's page; the whole text is on the Evidence sheet
REPLY_CHARS = 300
SIZE = 9  # points: the page's body text, so that an item with six or seven partners fits one page
COLUMNS = (("Partner", 18), ("Self-assessed", 9), ("Their reply", 9), ("Rating now", 7),
           ("Evidence they gave (first words)", 72), ("Why, and evidence added in their reply", 60))
WIDTH = sum(width for _, width in COLUMNS)
EXTRA = {"box": {"font_name": FONT, "font_size": SIZE, "border": 1, "valign": "top", "text_wrap": True},
         "small": {"font_name": FONT, "font_size": SIZE, "valign": "top", "text_wrap": True},
         "head": {"font_name": FONT, "font_size": SIZE, "bold": True, "border": 1, "valign": "top", "text_wrap": True,
                  "bg_color": "#DCE6F1"},
         "big": {"bold": True, "font_name": FONT, "font_size": 14, "text_wrap": True, "valign": "top"},
         "centre": {"font_name": FONT, "font_size": SIZE, "border": 1, "valign": "top", "align": "center",
                    "text_wrap": True}}


@dataclass
class Contested:
    """One item on the agenda: its rating row (counting revisions) and why it is there."""

    row: RatingRow
    why: str
    sheet: str = ""


def contested(con: Consolidation, discuss: frozenset[str] = frozenset()) -> list[Contested]:
    """The items partners are split on, or one sits apart on, counting revised ratings; then those marked for
    discussion. In framework order."""
    out = []
    for row in con.ratings:
        if row.agreement.flagged:
            kind = "Split" if row.agreement.kind == SPLIT else "Sits apart"
            out.append(Contested(row, f"{kind}: {row.ends_text()}"))
        elif row.owner_id in discuss or "all" in discuss:
            out.append(Contested(row, "marked for discussion"))
    return out


def write_pack(path: str, con: Consolidation, moderation: Moderation | None, round_name: str,
               compiled_at: dt.datetime, discuss: frozenset[str] = frozenset()) -> None:
    """Write the pack to `path`: the agenda, then a page for each contested item."""
    agenda = contested(con, discuss)
    replies = {(m.partner, m.rated.key): m for m in (moderation.rows if moderation else [])}
    evidence = _evidence(con)
    with strict_xlsxwriter():
        wb = TextWorkbook(path, WORKBOOK_OPTIONS)
        try:
            f = add_formats(wb)
            f.update({name: wb.add_format(spec) for name, spec in EXTRA.items()})
            first = wb.add_worksheet("Agenda")
            taken = {"agenda"}
            for entry in agenda:
                entry.sheet = _sheet_name(con, entry.row, taken)
                _page(wb.add_worksheet(entry.sheet), f, con, entry, replies, evidence, round_name)
            _agenda(first, f, con, agenda, round_name, compiled_at)
            first.activate()
            wb.set_properties({"title": f"{con.framework.title}: challenge-day pack, {round_name}",
                               "author": "sheetkit", "created": compiled_at.replace(tzinfo=None)})
        finally:
            wb.close()


def _agenda(ws, f, con: Consolidation, agenda: list[Contested], round_name: str, compiled_at: dt.datetime) -> None:
    ws.set_column(0, 0, 14)
    ws.set_column(1, 1, 60)
    ws.set_column(2, 2, 60)
    write_text(ws, 0, 0, f"Challenge day: {con.framework.title}, {round_name}", f["title"])
    note = (f"The items partners are split on, or where one partner sits apart, counting the ratings revised after "
            f"the feedback (compiled {compiled_at:%d %B %Y}). Each has a page of its own. Record each agreed position "
            f"in the consolidated workbook's {MODERATION_SHEET} sheet.")
    write_text(ws, 1, 0, note, f["text"])
    ws.merge_range(1, 0, 1, 2, None, f["text"])
    write_text(ws, 1, 0, note, f["text"])
    ws.set_row(1, row_height([(note, 134, 11)]))
    for col, text in enumerate(("Page", con.framework.labels["item"], "Why it is on the agenda")):
        write_text(ws, 3, col, text, f["header"])
    for n, entry in enumerate(agenda, start=4):
        write_text(ws, n, 0, entry.sheet, f["text"])
        write_text(ws, n, 1, entry.row.caption, f["text"])
        write_text(ws, n, 2, entry.why, f["text"])
        ws.set_row(n, row_height([(entry.row.caption, 60, 11), (entry.why, 60, 11)]))
    if not agenda:
        write_text(ws, 4, 0, "No item is contested: partners agree on every item (see the Ratings sheet).", f["text"])
    _print(ws, f"Challenge day, {round_name}", portrait=False)


def _page(ws, f, con: Consolidation, entry: Contested, replies: dict, evidence: dict, round_name: str) -> None:
    row = entry.row
    for col, (_, width) in enumerate(COLUMNS):
        ws.set_column(col, col, width)
    last = len(COLUMNS) - 1
    label = _label(con, row)
    _wide(ws, f, 0, last, row.caption if row.caption.startswith(label) else f"{label}: {row.caption}", "big", 16)
    _wide(ws, f, 1, last, f"On the agenda because: {entry.why}. Round {round_name}.", "small", SIZE)
    at = 3
    write_text(ws, at, 0, "What the framework says", f["heading"])
    for text in _wording(con, row):
        at += 1
        _wide(ws, f, at, last, text, "small", SIZE)
    at += 2
    write_text(ws, at, 0, "Where each partner stands", f["heading"])
    at += 1
    for col, (text, _) in enumerate(COLUMNS):
        write_text(ws, at, col, text, f["head"])
    ws.set_row(at, row_height([(text, width, SIZE) for text, width in COLUMNS]))
    for partner in _partners(con, row):
        at += 1
        m: ModerationRow | None = replies.get((partner, row.key))
        said = _reply_text(m)
        shown = evidence.get((partner, row.owner_id), "") if row.level == "item" else ""
        values = (partner, _self(row, partner), (m.decision + (f" {m.revised}" if m.revised else "")) if m else "",
                  row.values.get(partner), _clipped(shown), said)
        for col, value in enumerate(values):
            style = f["centre"] if col in (1, 2, 3) else f["box"]
            if isinstance(value, int):
                ws.write_number(at, col, value, style)
            else:
                write_text(ws, at, col, "" if value is None else str(value), style)
        ws.set_row(at, row_height([(str(v), w, SIZE) for v, (_, w) in zip(values, COLUMNS) if isinstance(v, str)]))
    at += 2
    write_text(ws, at, 0, "Agreed position", f["heading"])
    for label, height in ((AGREED_RATING, 24), (AGREED_POSITION, 72)):
        at += 1
        write_text(ws, at, 0, label.split(" (")[0], f["label"])
        ws.merge_range(at, 1, at, last, None, f["box"])
        ws.set_row(at, height)
    at += 1
    _wide(ws, f, at, last, f"Afterwards, type the agreed rating and position into the consolidated workbook's "
                           f"{MODERATION_SHEET} sheet ('{AGREED_RATING}', '{AGREED_POSITION}') on each partner's row "
                           f"for this item; the next round shows it to them as agreed last round.", "small", SIZE)
    _print(ws, f"{_label(con, row)}, {round_name}", portrait=False, last_row=at, last_col=last)


def _clipped(text: str) -> str:
    if len(text) <= EVIDENCE_CHARS:
        return text
    return clip(text, EVIDENCE_CHARS) + " (all of it is on the consolidated workbook's Evidence sheet)"


def _wide(ws, f, row: int, last: int, text: str, style: str, size: int) -> None:
    ws.merge_range(row, 0, row, last, None, f[style])
    write_text(ws, row, 0, text, f[style])
    ws.set_row(row, row_height([(text, WIDTH, size)]))


def _print(ws, footer: str, portrait: bool, last_row: int | None = None, last_col: int | None = None) -> None:
    ws.set_paper(9)
    if not portrait:
        ws.set_landscape()
    ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.6)
    ws.fit_to_pages(1, 1)
    if last_row is not None:
        ws.print_area(0, 0, last_row, last_col)
    ws.set_footer(f"&L{footer.replace('&', '&&')[:80]}&R&P of &N")
    ws.hide_gridlines(2)


def _label(con: Consolidation, row: RatingRow) -> str:
    return f"{con.framework.labels['item']} {row.owner_id}" if row.level == "item" else \
        f"{con.framework.labels['section']} {row.section_id}"


def _wording(con: Consolidation, row: RatingRow) -> list[str]:
    """The framework's own words for the rated thing: its statements (or the section's description)."""
    if row.level == "item":
        item: Item = next(i for _, i in con.framework.items() if i.id == row.owner_id)
        texts = [item.description] if item.description else []
        return texts + [f"{st.id} {st.text}" if st.id != item.id else st.text for st in item.statements]
    section = next(s for s in con.framework.sections if s.id == row.section_id)
    return [section.description or section.title]


def _partners(con: Consolidation, row: RatingRow) -> list[str]:
    return [p for p in con.respondents
            if p in row.values or p in row.flagged or p in row.self_assessed or p in row.carried]


def _self(row: RatingRow, partner: str):
    if partner in row.self_assessed:
        value = row.self_assessed[partner]
        if value is None and partner in row.carried:
            return f"{row.carried[partner]} (carried from last round)"
        return value if value is not None else row.flagged.get(partner, "")
    if partner in row.flagged:
        return f"'{row.flagged[partner]}' (not on the scale)"
    if partner in row.carried:
        return f"{row.carried[partner]} (carried from last round, not confirmed)"
    return row.values.get(partner)


def _reply_text(m: ModerationRow | None) -> str:
    if m is None or not m.file:
        return m.outcome if m is not None and m.asked else ""
    parts = [f"Why: {m.reason}" if m.reason else "", f"Evidence added: {m.evidence}" if m.evidence else ""]
    return clip("\n".join(p for p in parts if p) or m.outcome, REPLY_CHARS)


def _evidence(con: Consolidation) -> dict[tuple[str, str], str]:
    """(partner, item id) -> the evidence they gave on the item, each answer on its own line."""
    found: dict[tuple[str, str], list[str]] = {}
    for partner, answer in con.store.evidence():
        if answer.item_id and answer.field.role != "action":
            where = answer.statement_id or answer.item_id
            found.setdefault((partner, answer.item_id), []).append(f"{where}: {answer.text}")
    return {key: "\n".join(texts) for key, texts in found.items()}


def _sheet_name(con: Consolidation, row: RatingRow, taken: set[str]) -> str:
    text = "".join(" " if ch in SHEET_NAME_FORBIDDEN else ch for ch in _label(con, row))
    base = fit_units(" ".join(text.split()).strip("'"), 26).strip() or "Item"
    name, n = base, 2
    while name.lower() in taken:
        name, n = f"{base} ({n})", n + 1
    taken.add(name.lower())
    return name
