"""The marks of every file sheetkit writes, in one place: what its writer puts in and what its
readers (and the returns folder, which skips sheetkit's own outputs) look for.

- the respondent's workbook: its fixed sheet names and the keys of its hidden metadata sheet;
- the consolidated workbook: its metadata sheet, the Responses table's name and columns, and the
  words its document title carries;
- a partner's feedback workbook, which asks for a reply: its kind, the ratings it asks about, its
  reply sheet;
- the consolidated workbook's Moderation sheet, whose agreed positions the next round reads back;
- the lead's records: the manifest's and the password file's names, and the password file's
  first words.
"""

from __future__ import annotations

import datetime as dt
import hashlib

# -- the respondent's workbook ---------------------------------------------------------------
SHEET_START = "Start"
SHEET_SCALE = "Scale"
SHEET_ACTIONS = "Action plan"
SHEET_META = "_sheetkit"
SHEET_LISTS = "_lists"
RESERVED_SHEETS = (SHEET_START, SHEET_SCALE, SHEET_ACTIONS, SHEET_META, SHEET_LISTS)
CRITERIA_NAME = "sk_criteria"  # the defined name of the action plan's list of criteria, on SHEET_LISTS
# The layout a workbook is built with, recorded in it as 'sheetkit-return/N'. Every layout a released
# sheetkit built is still read (returns/check.py dispatches on it); a workbook of a newer layout is
# refused, naming the sheetkit that built it. Which sheetkit first built each layout:
LAYOUTS = {
    1: "0.1.0",  # one table per section, answers at fixed cells listed on the metadata sheet
    2: "0.1.0",  # a form per section: answers found by each row's Ref and label and each column's header
    3: "0.2.0",  # a pre-filled follow-up workbook asks 'Still true?' and records what it was pre-filled with
}  # (0.2.0 is the release after 0.1.0; the version is raised, with its changelog section, when it is made)
LAYOUT_VERSION = max(LAYOUTS)
FORMAT_PREFIX = "sheetkit-return/"
META_FORMAT = f"{FORMAT_PREFIX}{LAYOUT_VERSION}"
# Metadata sheet rows: key in column A, value in column B. Keys added later are written only when
# they say something, so a workbook that does not use them is as it was.
META_KEYS = ("format", "framework_id", "framework_version", "fingerprint", "framework_title",
             "respondent", "organisation", "email", "round", "deadline", "return_to",
             "build_id", "built_at", "sheetkit_version", "previous_round", "prefilled")
# Below the metadata, after a blank row, the metadata sheet records what sheetkit wrote in each
# sheet's locked cells, so that one typed over can be told: a row 'locked:<sheet>' followed by the
# digests of those values (see written_digest), and a row 'computed:<sheet>' followed by the cells
# holding sheetkit's own formulas, whose shown values change as the respondent fills the workbook.
WRITTEN_ROW = len(META_KEYS) + 1
LOCKED_PREFIX = "locked:"
COMPUTED_PREFIX = "computed:"
DIGESTS_PER_CELL = 3_000  # 9 characters each, well inside a cell's 32,767
# After that record and a blank row, a pre-filled follow-up workbook records what each answer cell
# started with: a row PREFILLED_HEADING, then one row per answer (its key, the value given).
PREFILLED_HEADING = "prefilled answers"


def written_digest(value) -> str:
    """A short digest of a value as a cell shows it (whitespace folded; a date as 2026-12-31; 3.0 as 3),
    the same for the value sheetkit wrote and for that value read back from any program's file."""
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        value = value.date()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = value.isoformat() if isinstance(value, dt.date) else str(value)
    return hashlib.sha256(" ".join(text.split()).encode("utf-8", "surrogatepass")).hexdigest()[:8]


def written_cells(digests) -> list[str]:
    """The texts of the cells after 'locked:<sheet>' listing a sheet's digests: sorted, DIGESTS_PER_CELL a cell."""
    ordered = sorted(set(digests))
    return [" ".join(ordered[n:n + DIGESTS_PER_CELL]) for n in range(0, len(ordered), DIGESTS_PER_CELL)]


# -- a partner's feedback workbook, and their reply ------------------------------------------
# Built with the respondent workbook's metadata (META_KEYS) and these keys after them: "kind" tells
# a feedback workbook from a return (which has no kind), "asks" lists the rating keys it asks the
# partner to reply on and "sheets" its sheets that hold no answers (both as JSON lists).
RETURN_KIND = "return"
REPLY_KIND = "feedback-reply"  # feedback asking for a reply on the items listed in "asks"
FEEDBACK_KIND = "feedback"  # feedback that asks for no reply: the partner sits with the others throughout
REPLY_META_KEYS = ("kind", "asks", "sheets")
SHEET_REPLY = "Your reply"

# -- the consolidated workbook ---------------------------------------------------------------
CONSOLIDATED_META_SHEET = "_sheetkit"
CONSOLIDATED_FORMAT = "sheetkit-consolidated/1"
CONSOLIDATED_META_KEYS = ("format", "framework_id", "framework_version", "fingerprint", "round", "compiled_at",
                          "sheetkit_version")
CONSOLIDATED_TITLE = "consolidated self-assessment"  # in the document title: '<framework>: consolidated ...'
CONSOLIDATED_AUTHOR = "sheetkit"
RESPONSES_SHEET = "Responses"
# `type` is the answer's field type (rating, date, text...), so that a reader of the table alone can type its values.
RESPONSE_COLUMNS = ("round", "respondent", "section", "item", "statement", "field", "type", "value", "status", "file",
                    "sheet", "cell", "key")

# The Moderation sheet: every reply beside the self-assessment, and two columns the lead fills in
# after the challenge day, read back by the next round (sheetkit.rounds.load).
MODERATION_SHEET = "Moderation"
AGREED_RATING = "Agreed rating (you fill in)"
AGREED_POSITION = "Agreed position (you fill in)"
MODERATION_KEY = "key"
MODERATION_PARTNER = "Partner"
MODERATION_COUNTED = "Rating counted"

# -- the lead's records ----------------------------------------------------------------------
MANIFEST = "manifest.csv"
# The feedback's manifest (who was asked to reply, each feedback workbook's build id) is a record of
# the lead's too: it goes to the exercise folder beside the exercise's manifest, under its own name.
FEEDBACK_MANIFEST = "feedback-manifest.csv"
PASSWORD_FILE = "protection-password.txt"
PASSWORD_HEADER = "Sheet protection password for the "


def layout_version(meta: dict[str, str]) -> int | None:
    """The layout version a workbook's metadata records ('sheetkit-return/2' -> 2); None when it
    does not say it is a sheetkit return."""
    text = meta.get("format", "")
    if not text.startswith(FORMAT_PREFIX):
        return None
    number = text[len(FORMAT_PREFIX):]
    return int(number) if number.isdigit() else None


def meta_cell(key: str) -> str:
    """Where a metadata value sits on a respondent workbook's metadata sheet, e.g. 'B2' for framework_id."""
    return f"B{META_KEYS.index(key) + 1}"


def meta_kind(meta: dict[str, str]) -> str:
    """What a workbook built by sheetkit is for: RETURN_KIND, REPLY_KIND or FEEDBACK_KIND."""
    return meta.get("kind", "").strip() or RETURN_KIND


def read_consolidated_meta(rows: list[list]) -> dict[str, str]:
    """A consolidated workbook's metadata, from its metadata sheet's rows; {} when the rows are not sheetkit's."""
    meta = {str(r[0]).strip(): str(r[1]).strip() for r in rows
            if len(r) >= 2 and str(r[0]).strip() in CONSOLIDATED_META_KEYS}
    return meta if meta.get("format") == CONSOLIDATED_FORMAT else {}
