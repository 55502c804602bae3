"""Last round, as plain data: each respondent's answers and actions, in this framework's ids.

The next round starts from the last one: ``build --previous`` shows each respondent what they
said last time and lists their actions for follow-up, and ``ingest --previous`` compares the
two rounds. Both read last round through :func:`load_previous`, from either

- last round's consolidated workbook (its hidden metadata sheet says which framework, version
  and round it compiles; its Responses sheet holds every answer with its key), or
- last round's returns folder with the manifest build wrote, validated as ingest would.

Respondents are matched by name after normalising (case and spaces), and a renames list
(columns ``previous`` and ``current``) covers organisations that changed their name. When the
framework's version changed, an item map (see :mod:`sheetkit.framework.item_map`) says which old ids
became which new ones; nothing is matched by guesswork.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Iterable

from sheetkit.common.errors import UsageError
from sheetkit.framework.action_plan import NO_ROLE, column_for_role
from sheetkit.framework.model import Framework
from sheetkit.framework.item_map import IdMap, identity_map, read_item_map
from sheetkit.framework.keys import AnswerKey
from sheetkit.common.text import normalise_name
from sheetkit.common.tables import read_table
from sheetkit.common.findings import Finding
from sheetkit.common.own_files import (AGREED_POSITION, AGREED_RATING, MODERATION_COUNTED, MODERATION_KEY,
                                       MODERATION_PARTNER, MODERATION_SHEET)
from sheetkit.framework.fields import rating_value
from sheetkit.rounds.model import Agreed, PreviousAction, PreviousRespondent, PreviousRound
from .responses import open_consolidated, responses_grid, responses_sheets

NOT_CARRIED = ("signoff", "unplaced")  # a sign-off is given afresh each round; unplaced text has no home


def load_previous(path: str | Path, framework: Framework, renames: str | Path | None = None,
                  item_map: str | Path | None = None) -> PreviousRound:
    """Read last round from its consolidated workbook or returns folder, in `framework`'s ids.

    Raises UsageError, naming the file and what to do, when `path` is neither, when it is of
    another framework, or when the framework's version changed and no item map was given.
    """
    path = Path(path)
    if path.is_dir():
        rows, meta = _from_returns_folder(path, framework)
    elif path.is_file():
        rows, meta = _from_consolidated(path)
    else:
        raise UsageError(f"--previous {path}: no such file or folder; give last round's consolidated workbook "
                         f"(the .xlsx ingest wrote) or last round's returns folder")
    if meta["framework_id"] != framework.id:
        raise UsageError(f"--previous {path} compiles framework '{meta['framework_id']}', not '{framework.id}'; "
                         f"give last round's workbook for {framework.id}")
    ids = _id_map(path, meta["framework_version"], framework, item_map)
    previous = PreviousRound(path, meta["round"], meta["framework_id"], meta["framework_version"], {},
                             not_comparable=ids.not_comparable(framework))
    _collect(previous, rows, ids, framework)
    previous.findings = ids.findings + _settle(previous, meta.get("moderation", []), ids, framework)
    if renames:
        previous.renames = _read_renames(renames)
    return previous


def _id_map(path: Path, version: str, framework: Framework, item_map) -> IdMap:
    if item_map:
        return read_item_map(item_map, version, framework)
    if version != framework.version:
        raise UsageError(f"--previous {path} was compiled from version {version} of {framework.id}, and this round "
                         f"uses version {framework.version}; give --item-map FILE saying which of last version's "
                         f"ids became which of this one's (see docs/framework-format.md, 'Item maps')")
    return identity_map(framework)


def _collect(previous: PreviousRound, rows: Iterable[tuple[str, str, object]], ids: IdMap, fw: Framework) -> None:
    """Sort (respondent, key, value) rows into respondents' answers and actions, in the new ids: an action is
    an Action plan row, or an item's own action questions (the item fields whose roles make an action)."""
    on_rows: dict[str, dict[int, dict[str, object]]] = {}
    under_items: dict[str, dict[str, dict[str, object]]] = {}
    roles = {f.id: f.role for f in fw.fields("item")}
    for person, key, value in rows:
        name = normalise_name(person)
        who = previous.respondents.setdefault(name, PreviousRespondent(person, {}, []))
        parts = AnswerKey.parse(key)
        if parts.level in NOT_CARRIED:
            continue
        if parts.level == "action" and parts.owner.isdigit():
            on_rows.setdefault(name, {}).setdefault(int(parts.owner), {})[parts.field] = value
            continue
        new_key = ids.key(parts)
        if new_key is None:
            continue
        who.answers[new_key] = value
        mapped = AnswerKey.parse(new_key)
        column = column_for_role(fw.action_columns, roles.get(mapped.field, NO_ROLE)) if mapped.level == "item" else None
        if column is not None:
            under_items.setdefault(name, {}).setdefault(mapped.owner, {}).setdefault(column.id, value)
    order = {item.id: n for n, (_, item) in enumerate(fw.items())}
    for name, who in previous.respondents.items():
        planned = [PreviousAction(f"#{n}", _values(values, ids, fw), n)
                   for n, values in sorted(on_rows.get(name, {}).items())]
        written = [PreviousAction(f"{fw.labels['item']} {item}", _values(values, ids, fw) | {"criterion": item})
                   for item, values in sorted(under_items.get(name, {}).items(), key=lambda kv: order.get(kv[0], 0))]
        who.actions = [a for a in planned + written if a.action]


def _values(values: dict[str, object], ids: IdMap, fw: Framework) -> dict[str, object]:
    """An action's values by column, as this round reads them: criteria in this framework's ids, dates as dates
    (a date typed as text is left out), everything else as text."""
    out: dict[str, object] = {}
    for column_id, value in values.items():
        kind = fw.action_column(column_id).type if column_id in {c.id for c in fw.action_columns} else "text"
        if kind == "date":
            out[column_id] = value.date() if isinstance(value, dt.datetime) else (
                value if isinstance(value, dt.date) else None)
        else:
            out[column_id] = _text(value)
    if out.get("criterion"):
        out["criterion"] = ids.criterion(str(out["criterion"]))
    return out


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _read_renames(path: str | Path) -> dict[str, str]:
    table = read_table(path, "previous", "the renames list (columns previous and current)")
    if "current" not in table.headers:
        raise UsageError(f"{path}: the renames list needs a 'current' column beside 'previous' "
                         f"(last round's name, this round's name)")
    return {normalise_name(row["current"]): normalise_name(row["previous"])
            for _, row in table.rows if row.get("previous") and row.get("current")}


def _from_consolidated(path: Path) -> tuple[list[tuple[str, str, object]], dict[str, str]]:
    """(respondent, key, value) of every counted answer in a consolidated workbook, and its metadata."""
    book, meta = open_consolidated(path, f"--previous {path}", "give the workbook ingest wrote last round, or last "
                                   "round's returns folder with its manifest.csv")
    rows = [row for name in responses_sheets(book.sheet_names)
            for row in _response_rows(path, name, book.get_sheet_by_name(name).to_python(), meta["round"])]
    if MODERATION_SHEET in book.sheet_names:
        meta["moderation"] = _moderation_rows(book.get_sheet_by_name(MODERATION_SHEET).to_python())
    return rows, meta


def _moderation_rows(grid: list[list]) -> list[dict[str, object]]:
    """The rows of last round's Moderation sheet, by column name, with the row number a person sees."""
    wanted = {MODERATION_PARTNER, MODERATION_KEY, AGREED_RATING, AGREED_POSITION}
    header = next((n for n, row in enumerate(grid) if wanted <= {str(v).strip() for v in row}), None)
    if header is None:
        return []
    names = [str(v).strip() for v in grid[header]]
    return [dict(zip(names, row), _row=n + 1) for n, row in enumerate(grid[header + 1:], start=header + 1)]


def _settle(previous: PreviousRound, rows: list[dict[str, object]], ids: IdMap, framework: Framework) -> list[Finding]:
    """Each respondent's ratings as revised after their feedback and as agreed at the challenge day, from last
    round's Moderation sheet (the lead's two columns); what cannot be carried is reported."""
    findings = []
    for row in rows:
        person, key = _text(row.get(MODERATION_PARTNER)), _text(row.get(MODERATION_KEY))
        rating, position = row.get(AGREED_RATING), _text(row.get(AGREED_POSITION))
        said = _text(rating) or position
        who = previous.respondents.get(normalise_name(person))
        try:
            new_key = ids.key(AnswerKey.parse(key)) if key else None
        except ValueError:
            new_key = None
        if who is None or new_key is None:
            if said:
                findings.append(_not_carried(previous, row, f"it names no partner and rating of last round "
                                                            f"(Partner '{person}', key '{key}')"))
            continue
        counted = row.get(MODERATION_COUNTED)
        if isinstance(counted, (int, float)) and counted != who.answers.get(new_key):
            who.revised[new_key] = int(counted)
        if not said:
            continue
        level = _agreed_level(rating, framework, new_key)
        if _text(rating) and level is None:
            findings.append(_not_carried(previous, row, f"the agreed rating '{_text(rating)}' is not on the scale"))
        if level is not None or position:
            who.agreed[new_key] = Agreed(level, position)
    return findings


def _agreed_level(value, framework: Framework, key: str) -> int | None:
    """An agreed rating as typed by the lead (7, '7' or '7 - Good'), as a level of the rating's own scale."""
    parts = AnswerKey.parse(key)
    fields = {f.id: f for f in framework.fields(parts.level) if f.type == "rating"}
    if parts.field not in fields or not _text(value):
        return None
    return rating_value(value, [(lv.value, lv.choice) for lv in framework.scale(fields[parts.field].scale).levels])


def _not_carried(previous: PreviousRound, row: dict[str, object], why: str) -> Finding:
    return Finding("agreed-invalid", f"row {row['_row']} of the {MODERATION_SHEET} sheet records an agreed position, "
                   f"but {why}; it is not carried into this round (its words are, if any)", file=previous.source.name,
                   sheet=MODERATION_SHEET, cell=f"A{row['_row']}")


def _response_rows(path: Path, sheet: str, grid: list[list], round_name: str) -> Iterable[tuple[str, str, object]]:
    found = responses_grid(grid)
    if found is None:
        raise UsageError(f"--previous {path}, sheet '{sheet}': no header row with 'respondent' and 'key' columns "
                         f"(a table too long for a workbook is kept in a CSV beside it instead); give last "
                         f"round's returns folder with its manifest.csv as --previous")
    header, body = found
    cols = {name: n for n, name in enumerate(header)}
    for row in body:
        person, key, status = row[cols["respondent"]], row[cols["key"]], row[cols["status"]]
        if "round" in cols and row[cols["round"]] != round_name:
            continue  # a round that workbook compared itself with, not its own
        if person and key and status == "ok":
            yield str(person), str(key), _as_value(row[cols["value"]])


def _as_value(value):
    if isinstance(value, dt.datetime):
        return value.date()
    return value


def _from_returns_folder(path: Path, framework: Framework) -> tuple[list[tuple[str, str, object]], dict[str, str]]:
    """The accepted answers of last round's returns, validated as ingest validates them."""
    from sheetkit.returns.outcome import CheckOptions
    from sheetkit.returns.check import validate_returns
    from sheetkit.common.own_files import MANIFEST
    from sheetkit.returns.model import ACCEPTED

    manifest = next((p / MANIFEST for p in (path, path.parent) if (p / MANIFEST).is_file()), None)
    if manifest is None:
        raise UsageError(f"--previous {path}: no {MANIFEST} in the folder or beside it; give last round's "
                         f"consolidated workbook instead, or put last round's manifest.csv in the folder")
    report = validate_returns([str(path)], CheckOptions(manifest=str(manifest), framework_id=framework.id,
                                                        keep_answers=True))
    accepted = [r for r in report.returns if r.status == ACCEPTED]
    if not accepted:
        raise UsageError(f"--previous {path}: none of last round's returns could be read as {framework.id} "
                         f"version {framework.version} (if the framework's version changed, give last round's "
                         f"consolidated workbook and an --item-map)")
    rows = [(r.respondent, a.key, a.value) for r in accepted for a in r.answers if a.usable]
    meta = {"framework_id": framework.id, "framework_version": accepted[0].version or framework.version,
            "round": report.round}
    return rows, meta
