"""The email drafts that carry each built workbook: the cover note from ``email.txt``, addressed
to the respondent's contact, written by :func:`sheetkit.mail.drafts.write_draft`."""

from __future__ import annotations

from pathlib import Path

from sheetkit.framework.model import Framework
from sheetkit.roster.addresses import parse_addresses
from sheetkit.roster.respondents import Respondent
from .drafts import Draft, fill_template, write_draft


def write_email(path: Path, framework: Framework, person: Respondent, facts, workbook: Path, name: str) -> Path:
    """Write the draft carrying `workbook` (attached as `name`) to `path`, and return the path."""
    subject, body = render_cover_note(framework, person, facts)
    addressee = person.contact or person.name
    found = parse_addresses(person.email).found
    to = tuple((who or (addressee if len(found) == 1 else ""), address) for who, address in found)
    back = parse_addresses(facts.return_to)
    reply_to = back.text if len(back.found) == 1 and not back.bad else ""
    draft = Draft(subject, body, to, attachment=workbook, attachment_name=name, reply_to=reply_to)
    return write_draft(path, draft)


def render_cover_note(framework: Framework, person: Respondent, facts) -> tuple[str, str]:
    """The subject line and body of the cover note, from the email.txt template."""
    return fill_template("email.txt", {
        "framework_title": framework.title,
        "publisher": framework.source.publisher,
        "respondent": person.name,
        "addressee": person.contact or person.name,
        "round": facts.round,
        "deadline": facts.deadline.strftime("%A %d %B %Y"),
        "return_to": facts.return_to or "the commissioning team",
        "sender": facts.return_to or "The commissioning team",
    }, facts.templates or None)
