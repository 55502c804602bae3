"""Problems found in framework files and returned workbooks, as data.

Every problem sheetkit can report has a stable code in ``CATALOGUE``, with its severity,
what it means, what the lead should do about it and how a respondent is told of it: one entry
per code, in one table. Checks create :class:`Finding` objects and collect
them; nothing is raised one problem at a time. The README's table of finding codes is
generated from this catalogue (``sheetkit codes``), so the two cannot drift.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Iterable

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class Code:
    """One kind of problem: its severity, what it means and what the lead should do, and how the
    respondent reads it in a correction request.

    `respondent` is that wording, with ``{value}`` (what the cell holds), ``{label}`` (the
    question), ``{levels}`` (a rating scale's levels) and ``{choices}`` (a dropdown's entries);
    blank means the finding's own message is used. `lead_only` marks problems the lead settles
    (which file to use, a late return): nothing for the respondent to put right.
    """

    severity: str
    meaning: str
    action: str
    respondent: str = ""
    lead_only: bool = False


CATALOGUE: dict[str, Code] = {
    # framework files
    "yaml-invalid": Code(ERROR, "The framework file is not valid YAML.", "Fix the syntax at the line shown (often indentation or an unquoted colon)."),
    "key-unknown": Code(ERROR, "A key is not part of the framework format.", "Use one of the keys listed in docs/framework-format.md; the message suggests the nearest."),
    "key-missing": Code(ERROR, "A required key is missing.", "Add the key shown."),
    "value-invalid": Code(ERROR, "A value has the wrong type or form.", "Give the value in the form the message describes."),
    "id-duplicate": Code(ERROR, "Two sections, items, statements or fields share an id.", "Give each one its own id; ids must never be reused."),
    "level-outside-scale": Code(ERROR, "An item's level uses a value its rating scale does not have.", "Use only the scale's values, or add the level to the scale."),
    "scale-unknown": Code(ERROR, "A rating field names a scale that is not defined.", "Name one of the framework's scales."),
    "field-unknown": Code(ERROR, "A rating's evidence list names a field that does not exist.", "Name a field of the same level or of the statement level."),
    "text-too-long": Code(WARNING, "A text is longer than a spreadsheet cell holds (32,767 characters).", "Shorten the text; the full value is kept in the Responses CSV.", respondent='this text is longer than a spreadsheet cell can hold; we have kept all of it, but a shorter version would be easier to read'),
    # files
    "not-a-workbook": Code(ERROR, "The file is not a spreadsheet sheetkit can read (CSV, old .xls, empty, or another kind of file).", "Ask the respondent to send the workbook they were given, saved as .xlsx.", respondent='we could not open the file as an Excel workbook; please save it as an Excel workbook (.xlsx) and send it again'),
    "file-unreadable": Code(ERROR, "The file is damaged or truncated and cannot be read.", "Ask the respondent to save the workbook again and resend it.", respondent='the file arrived damaged and could not be opened; please save it again and resend it'),
    "file-too-large": Code(ERROR, "The file, or a part inside it, is far larger than any return could be.", "Ask the respondent to resend the workbook; do not open it.", respondent='the file is far larger than the workbook could be; please send the workbook again'),
    "file-unsafe": Code(ERROR, "The file contains XML constructs that spreadsheets never write (a DTD or entity declarations).", "Do not open the file; ask the respondent to resend the workbook.", respondent='the file could not be opened safely; please send the workbook again, saved as .xlsx'),
    "password-protected": Code(ERROR, "The workbook is encrypted with a password to open.", "Ask the respondent to remove the password (File > Info > Protect Workbook) and resend.", respondent='the workbook has a password to open it; please remove the password (File > Info > Protect Workbook) and send it again'),
    "parts-unreadable": Code(WARNING, "The file's comments, merged cells, drawings or links could not be read (a part no spreadsheet program writes that way), so any there are not reported; its values were read.", "Open the return with care and look for comments, text boxes, merged answer cells and links yourself.", lead_only=True),
    "macros-ignored": Code(WARNING, "The workbook contains macros; sheetkit read only the values and ran nothing.", "No action needed unless you did not expect macros; answers were read.", lead_only=True),
    "old-format": Code(WARNING, "The return was saved as .xls (Excel 97-2003); sheetkit read its values and metadata.", "No action needed; check long answers (that format can cut text at 255 characters) and ask for .xlsx next time.", respondent='the workbook was saved in the old .xls format; we could read it, but long answers may have been cut short, so please save it as an Excel workbook (.xlsx) next time'),
    "format-limited": Code(WARNING, "The return was saved in a format whose comments, error values, formulas, merged cells and drawings sheetkit cannot read (such as .xlsb, Excel's binary workbook); its values and metadata were read.", "Open the return with care and look for comments, error values and merged answer cells yourself; ask for .xlsx next time.", respondent='the workbook was saved in a format we can only partly read; we read your answers, but not any comments or notes with them, so please save it as an Excel workbook (.xlsx) next time'),
    "reader-failed": Code(ERROR, "Reading the file crashed, ran out of memory or took too long, so it was stopped.", "Ask the respondent to resend the workbook, saved as .xlsx.", respondent='the file could not be read; please save it as an Excel workbook (.xlsx) and send it again'),
    "layout-newer": Code(ERROR, "The workbook was built by a newer sheetkit, with a layout this version cannot read.", "Install the sheetkit version the message names (or a later one) and run again; nothing is wrong with the return.", lead_only=True),
    "not-sheetkit": Code(ERROR, "The workbook was not built by sheetkit (its metadata sheet is missing or unreadable).", "Send the respondent the workbook built for them and ask them to fill that in.", respondent='this is not the workbook we sent; please fill in the workbook attached and send that'),
    # identity
    "framework-unknown": Code(ERROR, "The workbook names a framework sheetkit does not have.", "Add the framework file with --frameworks-dir, or check which exercise this return belongs to.", respondent='this is the workbook for another self-assessment; please fill in the workbook for this one (attached)'),
    "framework-mismatch": Code(ERROR, "The workbook is for a different framework from the rest of the returns.", "Ingest it with the returns of its own exercise.", respondent='this is the workbook for another self-assessment; please fill in the workbook for this one (attached)'),
    "version-mismatch": Code(ERROR, "The workbook was built from another version of the framework.", "Send the respondent a workbook built from the current version and copy their answers across.", respondent='this workbook was made from an earlier version of the framework; please copy your answers into the workbook attached and send that'),
    "fingerprint-mismatch": Code(ERROR, "The framework's wording has changed since the workbook was built, without a new version number.", "Rebuild the workbooks, or restore the framework file the workbooks were built from.", respondent='this workbook was made from different wording of the framework; please copy your answers into the workbook attached and send that'),
    "round-mismatch": Code(ERROR, "The workbook belongs to another assessment round.", "Check it is this round's return; if it is last round's, ask the respondent for this round's. To compare with last round, give last round's consolidated workbook to ingest as --previous.", respondent='this is the workbook for another assessment round; please fill in the workbook for this round (attached)'),
    "item-not-mapped": Code(WARNING, "Last round used another version of the framework, and the item map does not say what one of its ids became, so those answers are not compared or carried.", "Add the id to the item map (old id: new id), or list it under 'dropped' if it has no successor.", lead_only=True),
    "statement-changed": Code(ERROR, "A framework statement in the workbook was edited.", "Answers stay, but check with the respondent what they meant; the expected text is in the message.", respondent='the printed wording here was changed; please put it back as it was, and write any comment in the yellow answer cells instead'),
    "sheet-missing": Code(ERROR, "A sheet of the workbook is missing, so its answers could not be read.", "Ask the respondent to resend the workbook without deleting or renaming sheets.", respondent='this sheet is missing from the workbook you sent, so none of its answers could be read; please send the whole workbook, without deleting or renaming sheets'),
    "sheet-renamed": Code(WARNING, "A sheet was renamed; sheetkit read its answers from the renamed sheet.", "No action needed; ask respondents not to rename sheets.", respondent='this sheet was renamed; we could still read it, but please keep the sheet names as they were'),
    "list-not-utf8": Code(WARNING, "The manifest was not saved as UTF-8 (Excel's plain 'CSV' writes Windows-1252), so it was read as Windows-1252.", "Check that accented names read correctly; save it as 'CSV UTF-8' to be sure.", lead_only=True),
    "respondent-unknown": Code(WARNING, "The respondent is not in the build manifest.", "Check who sent it; add them to the respondents list if they should be there.", lead_only=True),
    # answers
    "rating-out-of-scale": Code(ERROR, "A rating is not one of the scale's levels (pasted values bypass the dropdown).", "Ask the respondent which level they meant; the value is kept but left out of the statistics.", respondent="the rating '{value}' is not one of {levels}; please pick from the list"),
    "rating-missing": Code(WARNING, "A rating was left blank.", "Chase the respondent if the rating matters.", respondent="no rating is given; please pick one from the list"),
    "rating-without-evidence": Code(WARNING, "A rating was given with no evidence where the framework asks for it.", "Ask the respondent for the evidence behind the rating.", respondent='a rating is given with no evidence behind it; please add a few words on what it is based on'),
    "date-invalid": Code(ERROR, "A date cell holds something that is not a date (such as 'n/a' or 'next month').", "Ask for a real date; the text is kept but not used as a date.", respondent="'{value}' is not a date; please type a date such as 2027-03-31, or leave the cell blank"),
    "date-ambiguous": Code(ERROR, "A date was typed as text whose day and month order cannot be known (such as '1/2/2026').", "Ask the respondent to pick the date again or type it as 2026-02-01; sheetkit never guesses.", respondent="the date '{value}' could be read as day/month or as month/day; please pick it again, or type it as year-month-day, such as 2027-02-01"),
    "date-out-of-range": Code(ERROR, "A date cell holds a date outside 2000 to 2100, the range the cell accepts (a number pasted into a date cell, such as 2027, reads as a day counted from 1900).", "Ask the respondent for the date meant; the cell is kept, not counted.", respondent="the date is outside 2000 to 2100; please type the date you mean, such as 2027-03-31"),
    "cell-unreadable": Code(ERROR, "A value could not be checked (an unusual character or form made its check fail); it is kept as typed and not counted.", "Read the value in the message and ask the respondent what they meant; the rest of the return was read.", respondent="we could not read '{value}'; please type it again plainly, or pick it from the list"),
    "sheet-unreadable": Code(ERROR, "Checking one sheet's answers failed, so none of them could be placed; everything typed on the sheet is kept as unplaced.", "Read the sheet's values in Responses (status 'unplaced') and move what matters by hand; this is a fault in sheetkit, so please report the message.", lead_only=True),
    "priority-invalid": Code(WARNING, "A priority is not High, Medium or Low.", "Ask which priority was meant; the value is kept.", respondent="the priority '{value}' is not one of {choices}; please pick from the list"),
    "choice-invalid": Code(WARNING, "A dropdown cell holds a value that is not one of its choices.", "Check the value with the respondent; it is kept as typed.", respondent="'{value}' is not one of the choices; please pick from the list"),
    "action-incomplete": Code(WARNING, "An action has no owner or no due date.", "Ask the respondent who will do it and by when.", respondent="this is blank, though the action is given; please say who will do it and by when"),
    "return-late": Code(WARNING, "The return was saved after the deadline in the workbook.", "No action needed: it is included; note it if lateness matters.", lead_only=True),
    "return-empty": Code(WARNING, "The workbook came back with no answers at all.", "Chase the respondent: they may have sent the blank workbook.", respondent='the workbook came back with no answers in it; perhaps the blank copy was sent by mistake? Please send the filled-in one'),
    # where answers were found
    "table-not-found": Code(ERROR, "A sheet's header row (Ref, question and answer columns) could not be found, so none of its answers could be placed.", "Everything typed on the sheet is kept as unplaced in Responses; ask the respondent to resend the workbook with its headings intact.", respondent='the headings of this sheet were changed or removed, so none of its answers could be read; please put the headings back as they were, or copy your answers into the workbook we sent'),
    "column-missing": Code(ERROR, "An answer column was deleted or its heading changed, so its answers could not be read.", "Ask the respondent to restore the column (or resend); nothing in it was counted.", respondent='an answer column was deleted or its heading changed, so nothing in it could be read; please put it back as it was'),
    "column-missing-text": Code(WARNING, "A column of framework text (such as the prompts) was deleted or renamed.", "No action needed for the answers; the framework's wording in it was not checked.", lead_only=True),
    "row-missing": Code(WARNING, "A row that carries answers was not found (deleted, or its Ref or label changed).", "Check with the respondent; its answers could not be read and are not reported as blank.", respondent='a row with answers was deleted, or its reference or label changed, so its answers could not be read; please put it back as it was'),
    "row-duplicated": Code(ERROR, "Several rows carry the same Ref and label (a copied row), so none was read as that answer.", "Ask the respondent which row holds their answer; all the values are kept as unplaced.", respondent='this row was copied, so we cannot tell which copy holds your answer; please delete the extra copy'),
    "column-sorted-alone": Code(ERROR, "An answer column was sorted on its own: ratings now stand on other questions' rows and other answers on ratings' rows, which typing never leaves, so the values in that stretch were set aside.", "Ask the respondent to undo the sort (or resend the workbook); the values set aside are kept as unplaced in Responses.", respondent='this column was sorted on its own, so its answers no longer sit beside their questions; please undo the sort, or copy your answers into the workbook we sent'),
    "column-looks-sorted": Code(WARNING, "An answer column's values stand in an order a sort of that column alone leaves (texts in alphabetical order, choices out of their own order, values gathered at one end); typing can leave them so too, so they were read where they stand.", "Check in Responses that the column's values sit beside their questions; if they do not, ask the respondent to undo the sort.", lead_only=True),
    "locked-cell-changed": Code(WARNING, "A cell outside the answer cells holds something sheetkit did not write there: a locked cell typed over after unprotecting the sheet (last round's answer, a fact on the Start sheet, the Scale), or a cell sheetkit left empty.", "Read what was typed in Responses (status 'unplaced'); move it by hand if it is an answer.", respondent="this cell was filled in by us and locked; please put back what it said, and type your answers in the yellow cells instead"),
    "content-outside-layout": Code(WARNING, "Something was typed where no answer belongs (beside or below a table, in an added row).", "Read it in Responses (status 'unplaced') and move it by hand if it is an answer.", respondent='something was typed outside the answer cells; if it is an answer, please move it into the yellow cell where it belongs'),
    "extra-sheet": Code(WARNING, "The return has a sheet sheetkit did not build (an added or copied sheet).", "Its filled cells are kept in Responses as unplaced; read them and move what matters by hand.", respondent='a sheet was added; we kept what it holds, but please put your answers in the yellow cells of the sheets we sent'),
    "formula-without-value": Code(WARNING, "A cell holds a formula whose result was never saved, so it has no value to read.", "Ask the respondent to type the value itself, or to open and save the workbook in Excel or LibreOffice.", respondent='this cell holds a formula with no saved result; please type the value itself'),
    "error-value": Code(WARNING, "A cell shows an error value such as #N/A; it was not counted.", "Ask the respondent what they meant to enter.", respondent='this cell shows an error (such as #N/A); please type the value you meant'),
    "cell-comment": Code(WARNING, "A cell comment (note) was added; its text is kept in Responses.", "Read the comment; it may qualify an answer.", lead_only=True),
    "text-changed": Code(WARNING, "Framework wording other than a statement (a prompt, level, label or illustration) was edited.", "Answers stay; the expected and found text are in the message.", respondent='the printed wording here was changed; we kept your answers, but please leave the printed text as it was'),
    "answers-merged": Code(ERROR, "Answer cells were merged, and the merged cell's text may hold several answers (LibreOffice can move the hidden cells' text into the first cell), so it was not read as an answer.", "Read the text in Responses (status 'unplaced') and ask the respondent to unmerge the cells and put each answer back in its own cell.", respondent="these answer cells were merged, so we cannot tell which answer the text belongs to; please unmerge them (Format > Merge and Unmerge Cells) and put each answer back in its own yellow cell"),
    "cells-merged": Code(WARNING, "Cells were merged over an answer cell; each answer was read from its own cell.", "No action needed; check the answers if the merge hid one.", respondent='cells were merged here; we could still read your answers, but please unmerge them so that every answer stays visible'),
    "drawing-found": Code(WARNING, "A text box, shape, picture or chart was added to a sheet; its text is kept in Responses as unplaced.", "Read the text (status 'unplaced'); move it by hand if it is an answer.", respondent='a text box or drawing was added here; we kept its text, but please type your answers in the yellow cells instead'),
    "formula-unsafe": Code(ERROR, "A formula or link stored in the return could harm whoever opens it in Excel or LibreOffice (a link to another file, DDE, HYPERLINK, WEBSERVICE...); sheetkit read only the cell's stored value and ran nothing.", "Do not open the return in a spreadsheet program; ask the respondent to type the value itself, without the formula, and resend.", respondent='this cell holds a formula that reaches outside the workbook; please type the value itself instead of the formula'),
    "cell-link": Code(WARNING, "A cell links to a web page or a file outside the workbook; its text is kept, the link is not.", "Check the link before following it.", lead_only=True),
    "text-at-limit": Code(WARNING, "A text is exactly as long as a spreadsheet cell holds (32,767 characters), so the program that saved the return has probably cut it.", "Ask the respondent for the rest of the text (sent another way, or the workbook saved as .ods).", respondent='this text is as long as a spreadsheet cell can hold and was probably cut short when the file was saved; please send us the rest of it another way'),
    "sign-off-missing": Code(WARNING, "Nobody signed the return off on its Start sheet.", "Ask who completed and approved the return if it matters.", respondent='nobody has signed the return off; please add who completed and approved it'),
    # returns
    "superseded": Code(WARNING, "Another return from the same respondent replaces this one (a later save, a re-issued workbook, the same answers, or the lead's --prefer).", "No action needed; check the one used is the one they meant.", lead_only=True),
    "return-conflict": Code(ERROR, "A respondent sent more than one return and the files' evidence (who saved them, when, from which build) does not say which to use; sheetkit used one for now.", "Check both files named in the message and run again with --prefer FILE naming the one to use.", lead_only=True),
    "return-forwarded": Code(ERROR, "The workbook was last saved by someone who belongs to another respondent (the manifest's contact for them, or, when the manifest names no contacts, the person who saved their returns): it may have been forwarded or swapped and filled in for them, so it is not compiled (a warning when nothing tells the two apart).", "Ask who filled it in; if its respondent did send it, run again with --prefer FILE.", lead_only=True),
    "build-unknown": Code(ERROR, "The workbook carries a build id the manifest does not record: it was built for another exercise (another council's, or another build), so its answers are not compiled (a warning when there is no manifest to check against).", "Check where it came from (the message names its exercise); if it really is this respondent's return for this exercise, run again with --prefer FILE.", respondent="this is not the workbook we sent you for this self-assessment (it was made for another exercise); please fill in the workbook attached and send that"),
    "respondent-renamed": Code(WARNING, "The workbook names its respondent differently from the manifest row its build id belongs to; it is counted as the manifest's respondent.", "No action needed if the manifest's name is right.", lead_only=True),
    "answer-carried": Code(WARNING, "Answers were left exactly as they were pre-filled from last round and not confirmed ('Still true?' left blank), or said to be changed but left as they were; they are compiled as 'carried', counted apart and left out of this round's figures.", "Ask the respondent to confirm (Yes: still true) or update them if this round's view matters.", respondent="some answers are still exactly as we filled them in from last year, and 'Still true?' beside them is not answered; please pick 'Yes: still true' or change the answer"),
    "return-unchanged": Code(ERROR, "The return is the workbook as it was sent: byte for byte (its SHA-256 is the manifest's), or, in a workbook that started with last round's answers, every answer left as it was with nothing typed or confirmed. Nothing in it is compiled.", "Chase the respondent: they are on the chase list as 'returned unchanged'.", respondent="the workbook came back exactly as we sent it, with nothing filled in or confirmed; please fill it in (or confirm last round's answers that are still true), save it and send it again"),
    "duplicate-file": Code(WARNING, "The identical file was received more than once.", "No action needed; only one copy is used.", lead_only=True),
    # replies to feedback, and the agreed positions
    "kind-mismatch": Code(ERROR, "A partner's feedback workbook was given where returns were expected, or a return (or feedback that asks for no reply) where replies were expected.", "Move the file: returns go in the returns folder, replies to feedback in the folder given with --replies; nothing in it was compiled.", lead_only=True),
    "reply-unclear": Code(ERROR, "A reply's choice and its revised rating disagree (Revise with no revised rating, or Keep, or no choice, with a revised rating), so the self-assessed rating stands.", "Ask the partner which they meant; until they say, the self-assessed rating is counted and both are shown on the Moderation sheet.", respondent="on this row, the choice (Keep or Revise) and the revised rating disagree ('{value}'); please pick Revise with a revised rating, or Keep with the revised rating left blank"),
    "revision-without-reason": Code(WARNING, "A rating was revised with no reason given.", "Ask the partner why, if it matters; the revised rating is counted.", respondent="a revised rating is given with no reason; please add a few words on why"),
    "reply-unmatched": Code(WARNING, "A partner replied to their feedback, but no return of theirs is counted this round, so the reply changes no rating.", "Check why their return is not counted (see Returns); the reply is listed on the Moderation sheet.", lead_only=True),
    "agreed-invalid": Code(WARNING, "An agreed rating recorded on last round's Moderation sheet is not on the scale, or its row names no partner and item of last round, so it is not carried.", "Correct the row on last round's Moderation sheet (its Partner and key columns name whose rating it is) and run again.", lead_only=True),
    "carried-action-unknown": Code(WARNING, "A row of this round's action plan says it carries on one of last round's actions, but last round's workbook lists no such action for that partner, or another row already carries it.", "Check the row with the partner; until then it is not shown against last round's actions on the Trend sheet.", lead_only=True),
    "no-return": Code(WARNING, "A respondent in the manifest has no usable return: nothing was received, or what was received was rejected (the message says why).", "Chase the respondent, telling them what was wrong with what they sent.", lead_only=True),
    # the returns folder
    "container-unreadable": Code(ERROR, "A zip file or saved email in the folder could not be opened safely, so the workbooks inside it were not read.", "Open it yourself with care, save the workbooks into the folder, and run again.", lead_only=True),
    "container-empty": Code(WARNING, "A zip file or saved email in the folder holds no workbook.", "No action needed if it was not meant to hold a return.", lead_only=True),
    "outlook-message": Code(ERROR, "An Outlook message (.msg) could not be read, or an attachment in it is itself a message, so a workbook in it may have been missed.", "Open the message in Outlook, save the attached workbook into the folder, and run again.", lead_only=True),
    "table-kept-out": Code(WARNING, "A table of the consolidated workbook is too long for it (more sheets of 1,048,576 rows than can sensibly be opened), so it was written as a CSV file beside the workbook instead.", "Open the CSV file named in the message (or filter it with a database or pandas); the workbook's Contents and Notes sheets say the same.", lead_only=True),
    "cache-ignored": Code(WARNING, "An entry of the re-ingest cache could not be used (damaged, or written for something else), so its return was read again.", "No action needed; delete the cache folder if this keeps happening.", lead_only=True),
    "cache-unwritable": Code(WARNING, "The re-ingest cache folder could not be written, so the next ingest will read every return again.", "Check that the folder (beside --out, or --cache) can be written, or use --no-cache.", lead_only=True),
    "output-skipped": Code(WARNING, "A file sheetkit wrote itself (a consolidated workbook, responses CSV or manifest) is in the folder and was skipped.", "No action needed; keep outputs outside the returns folder to silence this.", lead_only=True),
    "file-skipped": Code(WARNING, "A file in the folder is neither a workbook nor a container of workbooks (a PDF, a Word document, an image...).", "No action needed unless a return was sent in that form; then ask for the workbook.", lead_only=True),
    "name-not-text": Code(WARNING, "The file's name holds bytes that are not text (common in names from Windows shares and zip files); reports and the consolidated workbook show each such byte as \\xHH.", "Rename the file if you want its name shown as it is.", lead_only=True),
}


@dataclass(frozen=True)
class Finding:
    """One problem, located as precisely as the input allows."""

    code: str
    message: str
    file: str = ""
    sheet: str = ""
    cell: str = ""
    line: int | None = None
    path: str = ""
    severity: str = ""

    def __post_init__(self) -> None:
        if self.code not in CATALOGUE:
            raise ValueError(f"unknown finding code {self.code!r}")
        if not self.severity:
            object.__setattr__(self, "severity", CATALOGUE[self.code].severity)

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    @property
    def action(self) -> str:
        return CATALOGUE[self.code].action

    def location(self) -> str:
        """Where the problem is, as 'file, sheet 'X', cell B7' or 'file:12 (sections[0].id)'."""
        parts = [self.file] if self.file else []
        if self.line is not None:
            parts = [f"{self.file}:{self.line}"]
        if self.path:
            parts.append(f"at {self.path}")
        if self.sheet:
            parts.append(f"sheet '{self.sheet}'")
        if self.cell:
            parts.append(f"cell {self.cell}")
        return ", ".join(parts)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["action"] = self.action
        return data

    def render(self) -> str:
        return f"{self.severity.upper()} [{self.code}] {self.location()}: {self.message}"


def count(findings: Iterable[Finding]) -> tuple[int, int]:
    """Return (errors, warnings) among findings."""
    errors = warnings = 0
    for finding in findings:
        if finding.is_error:
            errors += 1
        else:
            warnings += 1
    return errors, warnings
