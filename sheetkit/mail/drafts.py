"""Email drafts for the lead to review and send: a template filled in, written as a .eml file.

A draft carries ``X-Unsent: 1`` so Outlook opens it as a message to send, not a received one;
Thunderbird opens it with "Edit as new". Non-ASCII names are encoded as MIME requires
(RFC 2047 in headers, RFC 2231 for attachment file names), so "Môn" arrives as "Môn".
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP
from email.headerregistry import Address
from email.utils import format_datetime
from pathlib import Path
from string import Template

from .emails import XLSX_TYPE
from sheetkit.common.errors import UsageError
from sheetkit.framework.library import TEMPLATES_ENV_VAR, template_text


@dataclass(frozen=True)
class Draft:
    """One email, ready to write: who to, from whom, what it says and what it carries."""

    subject: str
    body: str
    to_name: str = ""
    to_address: str = ""
    sender: str = ""
    attachment: Path | None = None
    attachment_name: str = ""  # the name it is attached as, when the file is still a temporary one
    date: dt.datetime | None = None  # when given, the draft is dated and given a Message-ID from its content


def fill_template(name: str, values: dict[str, str], folder: Path | None = None) -> tuple[str, str]:
    """The subject and body of template `name`, from `folder` when it has one, else sheetkit's own.

    The first line of a template is ``Subject: ...``; a blank line follows it. Placeholders
    are ``$name``; runs of blank lines left by empty placeholders are closed up.
    """
    text = read_template(name, folder)
    filled = Template(text).safe_substitute(values)
    first, _, body = filled.partition("\n")
    if not first.startswith("Subject:"):
        own = Path(folder or os.environ.get(TEMPLATES_ENV_VAR) or ".") / name
        raise UsageError(f"template {own if own.is_file() else name}, line 1: expected 'Subject: ...', found '{first[:60]}'; the first line of "
                         f"an email template is its subject")
    body = re.sub(r"\n[ \t]*\n(?:[ \t]*\n)+", "\n\n", body.strip("\n")) + "\n"
    return first.removeprefix("Subject:").strip(), body


def read_template(name: str, folder: Path | None = None) -> str:
    """A template's text: the user's copy in `folder` (or $SHEETKIT_TEMPLATES) if it has one, else sheetkit's."""
    return template_text(name, folder or os.environ.get(TEMPLATES_ENV_VAR) or None)


def write_draft(path: Path, draft: Draft) -> Path:
    """Write `draft` to `path` as a .eml message and return the path."""
    message = EmailMessage(policy=SMTP)
    message["Subject"] = draft.subject
    if draft.to_address:
        user, _, domain = draft.to_address.rpartition("@")
        message["To"] = Address(draft.to_name, user, domain)
    if draft.sender:
        message["From"] = draft.sender
        message["Reply-To"] = draft.sender
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
