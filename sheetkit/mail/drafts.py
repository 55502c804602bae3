"""Email drafts for the lead to review and send: a template filled in, written as a .eml file.
Every draft sheetkit writes (the build's cover notes, the chase, the feedback) goes through
:func:`write_draft`, and every template through :func:`fill_template`.

A draft carries ``X-Unsent: 1`` so Outlook opens it as a message to send, not a received one;
Thunderbird opens it with "Edit as new". Non-ASCII names are encoded as MIME requires
(RFC 2047 in headers, RFC 2231 for attachment file names), so "Môn" arrives as "Môn".
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP
from email.headerregistry import Address
from email.utils import format_datetime
from pathlib import Path
from string import Template

from sheetkit.common.errors import UsageError
from sheetkit.framework.library import template_path, template_text
from sheetkit.roster.addresses import one_line, parse_addresses

XLSX_TYPE = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@dataclass(frozen=True)
class Draft:
    """One email, ready to write: who to, from whom, what it says and what it carries."""

    subject: str
    body: str
    to: tuple[tuple[str, str], ...] = ()  # (name, address) of each recipient
    sender: str = ""  # the From line (and Reply-To, unless reply_to says otherwise)
    attachment: Path | None = None
    attachment_name: str = ""  # the name it is attached as, when the file is still a temporary one
    date: dt.datetime | None = None  # when given, the draft is dated and given a Message-ID from its content
    reply_to: str = ""


def fill_template(name: str, values: dict[str, str], folder: Path | str | None = None) -> tuple[str, str]:
    """The subject and body of template `name`, from `folder` (else $SHEETKIT_TEMPLATES) when it has
    one, else sheetkit's own.

    The first line of a template is ``Subject: ...``; a blank line follows it. Placeholders
    are ``$name``, and one the template's writer does not fill in is refused with the file and
    line; runs of blank lines left by empty placeholders are closed up. An empty `values` only
    checks the template.
    """
    text = template_text(name, folder)
    filled = Template(text).safe_substitute(values)
    first, _, body = filled.partition("\n")
    if not first.startswith("Subject:"):
        raise UsageError(f"template {template_path(name, folder)}, line 1: expected 'Subject: ...', found "
                         f"'{first[:60]}'; the first line of an email template is its subject")
    body = re.sub(r"\n[ \t]*\n(?:[ \t]*\n)+", "\n\n", body.strip("\n")) + "\n"
    return one_line(first.removeprefix("Subject:")), body


def sender_line(text: str, option: str = "--emails-from") -> str:
    """The lead's own address for From and Reply-To, checked: '' when none is given."""
    if not text.strip():
        return ""
    parsed = parse_addresses(text)
    if parsed.bad or len(parsed.found) != 1:
        raise UsageError(f"{option} '{one_line(text)}' is not one email address; give it as "
                         f"lead@council.gov.uk or \"Commissioning Team <lead@council.gov.uk>\"")
    return parsed.text


def write_draft(path: Path, draft: Draft) -> Path:
    """Write `draft` to `path` as a .eml message and return the path."""
    message = EmailMessage(policy=SMTP)
    message["Subject"] = one_line(draft.subject)
    if draft.to:
        message["To"] = [_address(name, address) for name, address in draft.to]
    if draft.sender:
        message["From"] = draft.sender
    if draft.reply_to or draft.sender:
        message["Reply-To"] = draft.reply_to or draft.sender
    if draft.date is not None:
        message["Date"] = format_datetime(draft.date)
    message["X-Unsent"] = "1"
    message.set_content(draft.body, cte="quoted-printable")  # 7-bit safe through any program
    if draft.attachment is not None:
        message.add_attachment(draft.attachment.read_bytes(), maintype=XLSX_TYPE[0], subtype=XLSX_TYPE[1],
                               filename=draft.attachment_name or draft.attachment.name)
        message.set_boundary(_boundary(message))
    if draft.date is not None:
        message["Message-ID"] = _message_id(message)
    path.write_bytes(message.as_bytes())
    return path


def _address(name: str, address: str) -> Address:
    user, _, domain = address.rpartition("@")
    return Address(one_line(name), user, domain)


def safe_file_name(name: str) -> str:
    """A file name made from a respondent's name that every system accepts, keeping letters such as 'ô'."""
    return re.sub(r'[<>:"/\\|?*\x00-\x1f]+', "-", name).strip(" .-")[:80] or "respondent"


def _message_id(message: EmailMessage) -> str:
    """An id made from the whole draft, so the same draft always has the same id and another draft another."""
    return f"<{hashlib.sha256(message.as_bytes()).hexdigest()[:32]}@sheetkit.invalid>"


def _boundary(message: EmailMessage) -> str:
    """A boundary made from the content, so the same draft is the same bytes (base64 never holds '=_')."""
    digest = hashlib.sha256(b"".join(part.as_bytes() for part in message.iter_parts())).hexdigest()
    return f"=_sheetkit_{digest[:32]}"
