"""Drawing a partner's reply sheet into their feedback workbook, where :mod:`sheetkit.workbook.reply` puts it,
and sealing the workbook as a return is sealed: its metadata (with a build id) on a hidden sheet and as
document properties, and every sheet locked.
"""

from __future__ import annotations

from sheetkit.common.own_files import REPLY_META_KEYS, SHEET_META, SHEET_REPLY
from sheetkit.framework.fields import excel_rule, field_type
from sheetkit.xlsx.cells import write_text
from sheetkit.xlsx.styles import WORKBOOK_OPTIONS, add_formats, ok, strict_xlsxwriter
from sheetkit.xlsx.text_fit import points_needed
from .layout import TEXT_FONT
from .reply import ReplyLayout, reply_meta
from .writer import PROTECT_OPTIONS, FormWorkbook, WorkbookFacts, _written_meta, write_written

LISTED = ("asks", "sheets")  # metadata kept on the metadata sheet only
REPLY_ROOM = 64.0  # points: room for a few lines of why and evidence, growing as the partner types
TITLE = "Your reply: keep or revise your ratings"


def draw_reply(wb, ws, layout: ReplyLayout, facts: WorkbookFacts, shown: dict[str, tuple[str, str, str]],
               fmt: dict) -> None:
    """The reply sheet: a note on what to do, then one row per rating asked about; `shown` gives, by rating
    key, what the partner rated, the others' ratings and where that puts them (locked beside the row)."""
    table = layout.reply
    write_text(ws, 0, 0, TITLE, fmt["title"])
    write_text(ws, 1, 0, guidance(facts), fmt["note"])
    write_text(ws, 2, 0, "The yellow cells are yours to fill in; the rest is locked. Leave a row blank if you have "
                         "nothing to add on that item.", fmt["note"])
    for col, column in enumerate(table.columns):
        ws.set_column(col, col, column.width)
        write_text(ws, table.header_row, col, column.header, fmt["header"])
    ws.set_row(table.header_row, max(points_needed(c.header, c.width, TEXT_FONT) for c in table.columns))
    pending: dict = {}
    for line, rated in zip(table.rows, layout.asked):
        write_text(ws, line.row, table.col("ref"), line.ref, fmt["ref"])
        write_text(ws, line.row, table.col("text"), line.text, fmt["label"])
        texts = [(line.text, table.columns[table.col("text")].width, TEXT_FONT)]
        for n, text in enumerate(shown.get(rated.key, ("", "", ""))):
            col = table.col("previous", n)
            write_text(ws, line.row, col, text, fmt["previous"])
            texts.append((text, table.columns[col].width, 9))
        for answer in line.answers:
            write_text(ws, answer.row, answer.col, None, fmt[field_type(answer.field).style])
            pending.setdefault(answer.field, []).append(answer)
        ws.set_row(line.row, min(409.0, max([REPLY_ROOM] + [points_needed(*t) for t in texts])))
        ws.growing_rows.add(line.row)
    _validations(ws, layout, pending)
    ws.freeze_panes(table.header_row + 1, table.col("text") + 1)
    _print_setup(ws, layout, facts)
    ws.protect(facts.password, PROTECT_OPTIONS)


def guidance(facts: WorkbookFacts) -> str:
    """What the reply sheet asks, and by when."""
    return (f"On each row, pick Keep or Revise; if you revise, pick your revised rating. Say why, and add any "
            f"evidence we should see. Then save the workbook and send it back to "
            f"{facts.return_to or 'the person who sent it'} by {facts.deadline.day} {facts.deadline:%B %Y}.")


def _validations(ws, layout: ReplyLayout, pending: dict) -> None:
    """One rule per field over all its cells: the dropdowns a partner picks from, checked again on reading."""
    for f, answers in pending.items():
        options = excel_rule(f, layout.framework)
        if options is None:
            continue
        cells = " ".join(a.cell for a in answers)
        first = answers[0]
        ok(ws.data_validation(first.row, first.col, first.row, first.col, dict(options, multi_range=cells)),
           f"the validation of '{first.sheet}' {cells[:40]}")


def _print_setup(ws, layout: ReplyLayout, facts: WorkbookFacts) -> None:
    """As the feedback's other sheets print: A4 landscape fitted to its width, the header row repeated,
    every page headed by the sheet's title and footed by the partner."""
    ws.set_paper(9)  # A4
    ws.set_landscape()
    ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(layout.reply.header_row)
    ws.set_header(f"&L{TITLE}", {"margin": 0.25})
    ws.set_footer(f"&L{facts.respondent.replace('&', '&&')[:80]}&CPage &P of &N", {"margin": 0.25})


def seal(wb, layout: ReplyLayout, facts: WorkbookFacts) -> None:
    """Add the hidden metadata sheet and document properties a return carries (with the reply's kind, what
    it asks about and the workbook's other sheets, which hold nothing to read, and the record of what was
    written in locked cells, so one typed over is told as on a return), and lock every sheet not yet locked. Call it once every other sheet is in the workbook."""
    info = tuple(ws.get_name() for ws in wb.worksheets() if ws.get_name() not in (SHEET_REPLY, SHEET_META))
    meta = _written_meta(facts.meta(layout.framework)) | reply_meta(tuple(r.key for r in layout.asked), info,
                                                                   layout.kind)
    assert tuple(meta)[-len(REPLY_META_KEYS):] == REPLY_META_KEYS
    ws = wb.add_worksheet(SHEET_META)
    for row, (key, value) in enumerate(meta.items()):
        write_text(ws, row, 0, key)
        write_text(ws, row, 1, value)
    write_written(wb, ws, len(meta) + 1)  # after a blank row, as on a return's metadata sheet
    ws.hide()
    for sheet in wb.worksheets():
        if not sheet.protect_options:
            sheet.protect(facts.password, PROTECT_OPTIONS)
    for key, value in meta.items():  # the lists stay on the sheet: a property holds 255 characters at most
        if key not in LISTED:
            ok(wb.set_custom_property(f"sheetkit_{key}", value), f"document property {key}")


def write_reply_workbook(path: str, layout: ReplyLayout, facts: WorkbookFacts,
                         shown: dict[str, tuple[str, str, str]] | None = None) -> None:
    """A workbook holding the reply sheet alone, sealed: the reply sheet as a partner's feedback carries it,
    without the feedback's own sheets (the reader learns the reply table's shape from one, see returns/intact.py)."""
    with strict_xlsxwriter():
        wb = FormWorkbook(path, WORKBOOK_OPTIONS)
        try:
            if layout.asked:
                draw_reply(wb, wb.add_worksheet(SHEET_REPLY), layout, facts, shown or {}, add_formats(wb))
            seal(wb, layout, facts)
        finally:
            wb.close()
