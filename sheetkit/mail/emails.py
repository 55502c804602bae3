"""Email drafts (.eml) that carry a respondent's workbook and a cover note from a template."""

from __future__ import annotations

from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formataddr
from pathlib import Path
from string import Template

from sheetkit.framework.model import Framework
from sheetkit.framework.library import template_text
from sheetkit.roster.respondents import Respondent

XLSX_TYPE = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def write_email(path: Path, framework: Framework, person: Respondent, facts, workbook: Path, name: str) -> Path:
    """Write the draft carrying `workbook` (attached as `name`) to `path`, and return the path."""
    subject, body = render_cover_note(framework, person, facts)
    message = EmailMessage(policy=SMTP)
    message["Subject"] = subject
    if person.email:
        message["To"] = formataddr((person.contact or person.name, person.email))
    if "@" in facts.return_to:
        message["Reply-To"] = facts.return_to
    message["X-Unsent"] = "1"  # opens as a draft in Outlook and Thunderbird
    message.set_content(body)
    message.add_attachment(workbook.read_bytes(), maintype=XLSX_TYPE[0], subtype=XLSX_TYPE[1], filename=name)
    path.write_bytes(message.as_bytes())
    return path


def render_cover_note(framework: Framework, person: Respondent, facts) -> tuple[str, str]:
    """The subject line and body of the cover note, from the email.txt template."""
    text = Template(template_text("email.txt", facts.templates)).safe_substitute(
        framework_title=framework.title,
        publisher=framework.source.publisher,
        respondent=person.name,
        addressee=person.contact or person.name,
        round=facts.round,
        deadline=facts.deadline.strftime("%A %d %B %Y"),
        return_to=facts.return_to or "the commissioning team",
        sender=facts.return_to or "The commissioning team",
    )
    first, _, body = text.partition("\n")
    return first.removeprefix("Subject:").strip(), body.lstrip("\n")
