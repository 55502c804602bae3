"""Each return's rows of the long tables, encoded once, where the return is read.

The Responses, Evidence, Record and All actions tables hold a row per answer, item or action of
every return: most of the consolidated workbook. Encoding them all in the one process that writes
the workbook made it the slowest step, so each reader worker encodes its own return's rows as it
checks the return (:func:`prepare_return`), with the same row functions and the same encoder
(:mod:`sheetkit.xlsx.stream`) the writer uses, and the re-ingest cache keeps them. The writer then
puts the blocks in order (the answer store sorts them as it sorts the answers), numbers the rows
and fills in what only it knows: the style numbers and the file's name as the folder shows it
(:func:`numbered`). Every value is encoded as before: text as an inline string, escaped, never a
formula or a link. The marks stand where those go; a cell's text can never hold them, since the
encoder writes control characters escaped.

With ``SHEETKIT_VERIFY_FAST_PATHS`` the writer encodes every row itself as well and compares.
"""

from __future__ import annotations

from typing import Iterable

from sheetkit.consolidate.actions import ACTION_LEVELS, action_rows, actions_of
from sheetkit.framework.model import Framework
from sheetkit.returns.model import answers_from_rows
from sheetkit.workbook.layout import WorkbookLayout
from sheetkit.xlsx.stream import ROW_MARK, Raw, RowEncoder
from . import all_actions, evidence, record, responses
from .base import fitted_row
from .encoded import FILE_MARK, ROW_SEPARATOR
from .workbook import stream_style_numbers



def prepare_return(layout: WorkbookLayout, rows: list[tuple], respondent: str, round_name: str) -> tuple[list, dict]:
    """(the return's actions as the answer store keeps them, its encoded long-table rows) from its stored
    answer rows, its respondent and its round: what AnswerSpool.add takes."""
    fw = layout.framework
    answers = answers_from_rows(layout, rows)
    order = sorted(range(len(rows)), key=lambda n: rows[n][1])  # by the layout's order; as stored among ties
    actions = actions_of(fw, [a for a in answers if a.key.split("/", 1)[0] in ACTION_LEVELS])
    words = evidence.criteria(fw)
    file = Raw(FILE_MARK)
    shown = all_actions.encoded_columns(fw)
    ids, captions = [c.id for c in shown], all_actions.item_captions(fw)
    actions_encoder = _encoder([c.width for c in all_actions.columns_of(shown)], True)
    return action_rows(layout, actions), {
        "responses": _block(_encoder(responses.WIDTHS, False), (
            responses.response_row(round_name, respondent, file, answers[n]) for n in order)),
        "evidence": _grouped(rows, order, 11, lambda n: evidence.evidence_row(words, respondent, answers[n]),
                             _encoder([c.width for c in evidence.COLUMNS], True)),
        "record": _record(fw, rows, order, answers, respondent),
        "actions": [_encode(actions_encoder, all_actions.action_row(captions, ids, respondent, action))
                    for action in actions],
    }


def _encoder(widths, wrap: bool):
    styles = stream_style_numbers()
    numbers = [styles["text" if wrap else "text_line"], styles["integer"], styles["number"], styles["date"]]
    return _Fitted(numbers, list(widths)) if wrap else RowEncoder(*numbers, len(widths), same_number=True)


class _Fitted(RowEncoder):
    def __init__(self, numbers: list[int], widths: list[float]):
        super().__init__(*numbers, len(widths), same_number=True)
        self.widths = widths

    def row(self, number, values) -> str:
        return fitted_row(super().row(number, values), number, values, self.widths)


def _encode(encoder: RowEncoder, values) -> bytes:
    return encoder.row(ROW_MARK.decode(), values).encode("utf-8")


def _block(encoder: RowEncoder, rows: Iterable[tuple]) -> bytes:
    return ROW_SEPARATOR.join(_encode(encoder, values) for values in rows)


def _grouped(rows: list[tuple], order: list[int], flag: int, make, encoder) -> list[tuple[int, int, bytes]]:
    """(section order, item order, block) of the rows whose `flag` column is set, one block per item."""
    blocks: dict[tuple[int, int], list[bytes]] = {}
    for n in sorted((n for n in order if rows[n][flag]), key=lambda n: (rows[n][9], rows[n][10], rows[n][1])):
        blocks.setdefault((rows[n][9], rows[n][10]), []).append(_encode(encoder, make(n)))
    return [(section, item, ROW_SEPARATOR.join(block)) for (section, item), block in blocks.items()]


def _record(fw: Framework, rows, order, answers, respondent) -> list[tuple[int, int, bytes]]:
    """The record's rows of one return, each with the section and item order of its first answer."""
    picked = sorted((n for n in order if rows[n][12] and answers[n].field.level in ("item", "section")),
                    key=lambda n: (rows[n][9], rows[n][10], rows[n][1]))
    keys = {id(answers[n]): (rows[n][9], rows[n][10]) for n in picked}
    encoder = _encoder([c.width for c in record.framework_columns(fw)], True)
    return [(*keys[id(group[0])], _encode(encoder, row))
            for group, row in record.record_groups(fw, ((respondent, answers[n]) for n in picked))]
