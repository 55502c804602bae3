"""The returns folder as it arrives: which files to read, and what to say about the rest.

The lead saves attachments into a folder. :func:`collect_returns` walks the paths given and
looks at every file by its content, not its name: workbooks are handed to the reader; a .zip
or a saved email (.eml) is opened and the workbooks inside it are extracted, with the same
size, count and ratio checks the reader makes, into a temporary folder (never beside the
returns; a zip inside a zip is opened one level deep); sheetkit's own outputs are skipped with
a note. Every file is named relative to the folder given, and a file that came in a container
is named after it too ("returns.zip » Housing.xlsx"). A name that is not valid text (bytes a
Windows share or a zip produced) is still read, and shown with the odd bytes escaped.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import io
import os
import re
import shutil
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from sheetkit.common.findings import Finding
from sheetkit.common.interrupts import held
from .file_formats import ENCRYPTED_STREAMS, OLE, ZIP, Members, container_of, recognise, suffixes, zip_members
from .reader import CENTRAL_ENTRY, MAX_FILE_BYTES, MAX_MEMBERS, MAX_RATIO, MAX_TOTAL_BYTES
from sheetkit.common.text import printable
from sheetkit.common.own_files import CONSOLIDATED_AUTHOR, CONSOLIDATED_TITLE, PASSWORD_HEADER, RESPONSE_COLUMNS

SEPARATOR = " » "
MAX_CONTAINER_BYTES = 200 * 1024 * 1024
MAX_DEPTH = 2  # containers in the folder are at depth 0, those inside them at 1; deeper ones are not opened
_HEADER_LINE = re.compile(rb"^[A-Za-z][A-Za-z0-9-]*:[ \t]")
_MAIL_HEADERS = (b"\nfrom:", b"\nto:", b"\nsubject:", b"\nreceived:", b"\nmessage-id:", b"\ndate:")
_SKIPPED_NAMES = ("~$", ".~lock", ".")  # Excel and LibreOffice lock files, hidden files
_DOCUMENT_PARTS = ("word/document.xml", "ppt/presentation.xml")
_OLE_DOCUMENTS = {"WordDocument", "PowerPoint Document"}


@dataclass
class ReturnFile:
    """One file to read: where it is, and how every message names it."""

    path: str
    name: str
    modified: dt.datetime | None = None


@dataclass
class Collection:
    """The files to read and the findings about everything else; extracted files live until close()."""

    files: list[ReturnFile] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # name -> what it is, for files that are not workbooks
    temp: str | None = None

    def close(self) -> None:
        if self.temp:
            shutil.rmtree(self.temp, ignore_errors=True)
            self.temp = None

    def __enter__(self) -> "Collection":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def scratch(self) -> str:
        """A new empty folder for one extracted file (so extracted names never collide)."""
        if self.temp is None:
            with held():  # known as soon as it exists, so close() always removes it
                self.temp = tempfile.mkdtemp(prefix="sheetkit-returns-")
        return tempfile.mkdtemp(dir=self.temp)



def collect_returns(paths: list[str]) -> Collection:
    """Every file to read from `paths` (files, or folders searched recursively), containers opened.

    Files extracted from containers are removed by the collection's close(), or here if the
    search stops (an error, Ctrl-C)."""
    found = Collection()
    seen: set[Path] = set()
    try:
        for given in paths:
            for path, name in _walk(given, several=len(paths) > 1):
                real = Path(path).resolve()
                if real in seen:
                    continue
                seen.add(real)
                _classify(found, path, name, depth=0, named=not Path(given).is_dir())
    except BaseException:
        found.close()
        raise
    return found


def _walk(given: str, several: bool):
    """(path, shown name) for every file under `given`; names relative to the folder given."""
    top = Path(given)
    if not top.is_dir():
        yield given, printable(given)
        return
    prefix = printable(given.rstrip("/\\")) + os.sep if several else ""
    for root, dirs, files in os.walk(given):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.startswith(_SKIPPED_NAMES):
                continue
            path = os.path.join(root, name)
            yield path, prefix + printable(os.path.relpath(path, given))


def _classify(found: Collection, path: str, name: str, depth: int, named: bool = False) -> None:
    """Decide what one file is and add it, open it, or note it."""
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as handle:
            head = handle.read(4096)
    except OSError:
        found.files.append(ReturnFile(path, name))  # the reader reports exactly what is wrong
        return
    suffix = Path(name).suffix.lower()
    container = container_of(head)
    if container == ZIP:
        _classify_zip(found, path, name, depth, size, suffix)
    elif container == OLE:
        kind = _open_outlook(found, path, name, depth, size)
        if kind == "document" and suffix not in suffixes():
            _skip(found, name, "an old-style Word or PowerPoint document")
        elif kind != "message":
            _add(found, path, name)  # a workbook, encrypted or not, or damaged: the reader says which
    elif _is_email(head, suffix):
        _open_email(found, path, name, depth, size)
    elif _own_csv(head):
        found.findings.append(Finding("output-skipped", f"this is {_own_csv(head)} written by sheetkit, not a "
                                      f"return; it was skipped", file=name))
    elif suffix in suffixes() + (".csv",) or named:
        _add(found, path, name)  # the reader says what it is instead
    else:
        _skip(found, name, _what(head, suffix))


def _skip(found: Collection, name: str, what: str) -> None:
    """Note a file that is not a workbook, and keep what it is for the chase ("a PDF document")."""
    found.findings.append(Finding("file-skipped", f"this is {what}, not a workbook; it was skipped", file=name))
    found.skipped[name] = what


def _add(found: Collection, path: str, name: str) -> None:
    try:
        stamp = dt.datetime.fromtimestamp(os.path.getmtime(path), tz=dt.timezone.utc)
    except OSError:
        stamp = None
    found.files.append(ReturnFile(path, name, stamp))


def _classify_zip(found: Collection, path: str, name: str, depth: int, size: int, suffix: str) -> None:
    if size > MAX_CONTAINER_BYTES:
        return _unopened(found, path, name, suffix, f"it is {size / 1e6:.0f} MB, far larger than a set of returns")
    with open(path, "rb") as handle:
        blob = handle.read()
    if blob.count(CENTRAL_ENTRY) > MAX_MEMBERS:
        return _unopened(found, path, name, suffix, f"it holds over {MAX_MEMBERS} files")
    try:
        archive = zipfile.ZipFile(io.BytesIO(blob))
        names = set(archive.namelist())
    except (zipfile.BadZipFile, ValueError, EOFError) as exc:
        return _unopened(found, path, name, suffix, f"it is damaged ({exc})")
    with archive:
        if _is_workbook(archive, names):
            if _is_consolidated(archive, names):
                found.findings.append(Finding("output-skipped", "this is a consolidated workbook written by "
                                              "sheetkit ingest, not a return; it was skipped", file=name))
            else:
                _add(found, path, name)
        elif names & set(_DOCUMENT_PARTS) or "mimetype" in names:
            _skip_or_read(found, path, name, suffix, "a document (Word, PowerPoint or OpenDocument)")
        else:
            _open_zip(found, archive, name, depth)


def _unopened(found: Collection, path: str, name: str, suffix: str, why: str) -> None:
    if suffix in suffixes():
        _add(found, path, name)  # named as a workbook: the reader makes its own checks and reports them
    else:
        found.findings.append(Finding("container-unreadable", f"the zip file was not opened: {why}", file=name))


def _skip_or_read(found: Collection, path: str, name: str, suffix: str, what: str) -> None:
    if suffix in suffixes():
        _add(found, path, name)
    else:
        _skip(found, name, what)


def _open_zip(found: Collection, archive: zipfile.ZipFile, name: str, depth: int) -> None:
    """Extract the zip's files (after the reader's checks) and classify each one."""
    if depth >= MAX_DEPTH:
        found.findings.append(Finding("container-unreadable", "the zip file is inside another zip file; only one "
                                      "level of zip files is opened. Unzip it and run again", file=name))
        return
    members = [m for m in archive.infolist() if not m.is_dir()]
    problem = _zip_problem(members)
    if problem:
        found.findings.append(Finding("container-unreadable", f"the zip file was not opened: {problem}", file=name))
        return
    before = len(found.files)
    for member in members:
        inner = f"{name}{SEPARATOR}{printable(member.filename)}"
        base = PurePosixPath(member.filename.replace("\\", "/")).name
        if base.startswith(_SKIPPED_NAMES) or member.filename.startswith("__MACOSX/"):
            continue
        try:
            with archive.open(member) as handle:  # stops at the declared size and checks the CRC
                data = handle.read(member.file_size + 1)
        except (zipfile.BadZipFile, RuntimeError, EOFError, ValueError, NotImplementedError) as exc:
            found.findings.append(Finding("container-unreadable", f"this file could not be taken out of the zip "
                                          f"file ({exc})", file=inner))
            continue
        _classify(found, _extract(found, base, data), inner, depth + 1)
    _note_if_empty(found, before, name, "zip file")


def _zip_problem(members: list[zipfile.ZipInfo]) -> str:
    """Why a zip must not be opened ('' when it may): the reader's limits and safe paths."""
    if len(members) > MAX_MEMBERS:
        return f"it holds {len(members)} files"
    if sum(m.file_size for m in members) > MAX_TOTAL_BYTES:
        return f"it expands to {sum(m.file_size for m in members) / 1e6:.0f} MB"
    for m in members:
        parts = PurePosixPath(m.filename.replace("\\", "/")).parts
        if m.filename.startswith(("/", "\\")) or ".." in parts or re.match(r"^[A-Za-z]:", m.filename):
            return f"the path {printable(m.filename)} inside it points outside the zip file"
        if m.flag_bits & 0x1:
            return "it is protected with a password; ask for the workbooks themselves"
        ratio = m.file_size / max(m.compress_size, 1)
        if m.file_size > MAX_FILE_BYTES or (ratio > MAX_RATIO and m.file_size > 1_000_000):
            return f"{printable(m.filename)} inside it expands to {m.file_size / 1e6:.0f} MB (ratio {ratio:.0f}:1)"
    return ""


def _extract(found: Collection, base: str, data: bytes) -> str:
    safe = re.sub(r"[^\w.() -]", "_", base)[-100:] or "file"
    target = os.path.join(found.scratch(), safe)
    with open(target, "wb") as handle:
        handle.write(data)
    return target


def _note_if_empty(found: Collection, before: int, name: str, what: str) -> None:
    if len(found.files) == before:
        found.findings.append(Finding("container-empty", f"the {what} holds no workbook", file=name))


def _is_email(head: bytes, suffix: str) -> bool:
    if suffix == ".eml":
        return True
    lowered = b"\n" + head.lower()
    return bool(_HEADER_LINE.match(head)) and any(h in lowered for h in _MAIL_HEADERS) and (
        b"\nmime-version:" in lowered or b"\ncontent-type:" in lowered)


def _open_email(found: Collection, path: str, name: str, depth: int, size: int) -> None:
    """The workbooks attached to a saved email (and to emails attached to it)."""
    if size > MAX_CONTAINER_BYTES:
        found.findings.append(Finding("container-unreadable", f"the email is {size / 1e6:.0f} MB; it was not "
                                      f"opened", file=name))
        return
    with open(path, "rb") as handle:
        message = email.message_from_binary_file(handle, policy=email.policy.default)
    if message.get("X-Unsent") == "1":
        found.findings.append(Finding("output-skipped", "this is an email draft written by sheetkit build, not a "
                                      "return; it was skipped", file=name))
        return
    before = len(found.files)
    for part in message.walk():
        filename = part.get_filename()
        if not filename or part.is_multipart():
            continue
        data = part.get_payload(decode=True) or b""
        inner = f"{name}{SEPARATOR}{printable(filename)}"
        if len(data) > MAX_FILE_BYTES:
            found.findings.append(Finding("container-unreadable", f"the attachment is {len(data) / 1e6:.0f} MB, "
                                          f"far larger than a return; it was not read", file=inner))
            continue
        _classify(found, _extract(found, PurePosixPath(filename.replace("\\", "/")).name, data), inner, depth + 1)
    _note_if_empty(found, before, name, "email")


def _open_outlook(found: Collection, path: str, name: str, depth: int, size: int) -> str:
    """The workbooks attached to an Outlook message (.msg). What the compound file is: 'message'
    (handled here), 'document' (Word, PowerPoint), or '' (a workbook, or unreadable)."""
    import olefile

    try:
        ole = olefile.OleFileIO(path)
    except Exception:  # noqa: BLE001 - a damaged compound file: the reader reports it
        return ""
    with ole:
        try:
            entries = ole.listdir(streams=True, storages=True)
            if not any(e[0].startswith("__substg1.0_") or e[0] == "__properties_version1.0" for e in entries):
                tops = {e[0] for e in entries}
                workbook = tops & ENCRYPTED_STREAMS or recognise(OLE, Members(frozenset(tops)))
                return "document" if tops & _OLE_DOCUMENTS and not workbook else ""
            if size > MAX_CONTAINER_BYTES:
                raise ValueError(f"it is {size / 1e6:.0f} MB")
            attached = _outlook_attachments(ole, entries)
        except Exception as exc:  # noqa: BLE001 - olefile raises several types for damaged files
            found.findings.append(Finding("outlook-message", f"this Outlook message could not be read ({exc}); "
                                          f"open it in Outlook, save the attached workbook into the folder and "
                                          f"run again", file=name))
            return "message"
    before = len(found.files)
    for filename, data in attached:
        inner = f"{name}{SEPARATOR}{printable(filename)}"
        if data is None:
            found.findings.append(Finding("outlook-message", "this attachment is itself a message or too large; open "
                                          "it in Outlook and save the workbook into the folder", file=inner))
            continue
        _classify(found, _extract(found, PurePosixPath(filename.replace("\\", "/")).name, data), inner, depth + 1)
    _note_if_empty(found, before, name, "Outlook message")
    return "message"


def _outlook_attachments(ole, entries: list[list[str]]) -> list[tuple[str, bytes | None]]:
    """(file name, bytes) of each attachment of a .msg: its long name and its binary data stream
    (MS-OXMSG: PidTagAttachLongFilename 3707, PidTagAttachFilename 3704, PidTagAttachDataBinary 3701)."""
    attached = []
    for folder in sorted({e[0] for e in entries if len(e) > 1 and e[0].startswith("__attach_version1.0_#")}):
        streams = {e[1]: e for e in entries if e[0] == folder and len(e) == 2}
        filename = next((_outlook_text(ole, streams[s]) for s in ("__substg1.0_3707001F", "__substg1.0_3704001F",
                         "__substg1.0_3707001E", "__substg1.0_3704001E") if s in streams), "") or folder
        data_stream = streams.get("__substg1.0_37010102")
        if data_stream is None or ole.get_size(data_stream) > MAX_FILE_BYTES:
            attached.append((filename, None))
        else:
            attached.append((filename, ole.openstream(data_stream).read()))
    return attached


def _outlook_text(ole, entry: list[str]) -> str:
    raw = ole.openstream(entry).read(4096)
    if entry[-1].endswith("001F"):
        return raw.decode("utf-16-le", "replace").rstrip("\x00")
    return raw.decode("cp1252", "replace").rstrip("\x00")


def _own_csv(head: bytes) -> str:
    """What sheetkit output a CSV is ('' when it is not one): the responses table or the manifest."""
    first = head.lstrip(b"\xef\xbb\xbf").split(b"\n", 1)[0].strip().decode("utf-8", "replace")
    columns = {c.strip() for c in first.split(",")}
    if {"respondent", "field", "value", "status", "key"} <= columns <= set(RESPONSE_COLUMNS):  # any version's
        return "the responses CSV"
    if {"respondent", "build_id"} <= columns:
        return "the build manifest"
    if head.startswith(PASSWORD_HEADER.encode()):
        return "the protection password file"
    return ""


def _is_workbook(archive: zipfile.ZipFile, names: set[str]) -> bool:
    return bool(recognise(ZIP, zip_members(archive, names)))


def _is_consolidated(archive: zipfile.ZipFile, names: set[str]) -> bool:
    if "docProps/core.xml" not in names or "docProps/custom.xml" in names:
        return False  # every return carries sheetkit's custom properties; the consolidated workbook none
    info = archive.getinfo("docProps/core.xml")
    core = archive.read(info) if info.file_size < 100_000 else b""
    return f">{CONSOLIDATED_AUTHOR}<".encode() in core and CONSOLIDATED_TITLE.encode() in core


def _what(head: bytes, suffix: str) -> str:
    if head.startswith(b"%PDF"):
        return "a PDF document"
    if head[:4] in (b"\x89PNG", b"GIF8") or head[:3] == b"\xff\xd8\xff":
        return "an image"
    return f"a {suffix} file" if suffix else "a file of an unknown kind"
