"""Who a return is from and what it was built for, read from its metadata sheet, and whether
that is this exercise's framework, version and wording. A return that fails here is rejected
whole: none of its answers could be trusted to mean what this exercise's layout says.
"""

from __future__ import annotations

import datetime as dt

from sheetkit.common.findings import Finding
from sheetkit.framework.model import Framework
from sheetkit import __version__
from sheetkit.common.own_files import (FEEDBACK_KIND, LAYOUTS, REPLY_KIND, RETURN_KIND, SHEET_META, layout_version,
                                       meta_cell, meta_kind)
from .reader import RawReturn
from .model import CheckedReturn


def identify(raw: RawReturn) -> CheckedReturn:
    """The return's identity from its metadata; unreadable or foreign files are rejected."""
    checked = CheckedReturn(raw.path, raw.sha256, kind=raw.kind, saved_at=raw.saved_at, saved_by=raw.saved_by,
                            created_by=raw.created_by, findings=list(raw.findings))
    if not raw.readable:
        checked.reject(raw.findings[0].message)
        return checked
    meta = raw.meta
    version = layout_version(meta)
    if version is not None and version not in LAYOUTS:
        built_by = meta.get("sheetkit_version") or "a newer version"
        checked.findings.append(Finding("layout-newer", f"the workbook was built by sheetkit {built_by} with layout "
                                        f"version {version}; this sheetkit ({__version__}) reads layouts "
                                        f"{min(LAYOUTS)} to {max(LAYOUTS)}. Install sheetkit {built_by} or later "
                                        f"(pip install --upgrade \"sheetkit>={built_by}\") and run again",
                                        file=raw.path, sheet=SHEET_META, cell=meta_cell("format")))
        checked.reject(f"built by sheetkit {built_by} (layout {version}), newer than this sheetkit")
        return checked
    if version is None or not meta.get("framework_id"):
        message = (f"no sheetkit metadata (sheet '{SHEET_META}' and document properties are missing or do not "
                   f"identify a framework); this is not a workbook built by sheetkit")
        checked.findings.append(Finding("not-sheetkit", message, file=raw.path, sheet=SHEET_META, cell="A1"))
        checked.reject("not built by sheetkit")
        return checked
    checked.layout = version
    checked.built_as = meta_kind(meta)
    checked.respondent = meta.get("respondent", "")
    checked.organisation = meta.get("organisation", "")
    checked.round = meta.get("round", "")
    checked.framework_id = meta.get("framework_id", "")
    checked.version = meta.get("framework_version", "")
    checked.fingerprint = meta.get("fingerprint", "")
    checked.build_id = meta.get("build_id", "")
    checked.built_at = meta.get("built_at", "")
    checked.return_to = meta.get("return_to", "")
    checked.deadline = meta.get("deadline", "")
    _check_late(checked, meta.get("deadline", ""))
    if raw.has_macros:
        checked.findings.append(Finding("macros-ignored", f"the file is a {raw.kind} workbook with macros; only "
                                        f"cell values were read and no macro was run", file=raw.path))
    return checked


def _check_late(checked: CheckedReturn, deadline_text: str) -> None:
    try:
        deadline = dt.date.fromisoformat(deadline_text)
    except ValueError:
        return
    if checked.saved_at and checked.saved_at.date() > deadline:
        checked.findings.append(Finding("return-late", f"the workbook was last saved on "
                                        f"{checked.saved_at.date().isoformat()}, after the deadline of "
                                        f"{deadline.isoformat()}", file=checked.file, sheet=SHEET_META,
                                        cell=meta_cell("deadline")))


def check_framework(checked: CheckedReturn, framework: Framework, known_ids: set[str]) -> None:
    """Reject a return built from another framework, version or wording."""
    where = {"file": checked.file, "sheet": SHEET_META}
    if checked.framework_id not in known_ids:
        checked.findings.append(Finding("framework-unknown", f"the workbook is for framework "
                                        f"'{checked.framework_id}', which sheetkit does not have; this exercise "
                                        f"uses '{framework.id}'", cell=meta_cell("framework_id"), **where))
        checked.reject(f"unknown framework ({checked.framework_id})")
    elif checked.framework_id != framework.id:
        checked.findings.append(Finding("framework-mismatch", f"the workbook is for '{checked.framework_id}' but "
                                        f"this exercise uses '{framework.id}'", cell=meta_cell("framework_id"), **where))
        checked.reject(f"another framework ({checked.framework_id})")
    elif checked.version != framework.version:
        checked.findings.append(Finding("version-mismatch", f"the workbook was built from version "
                                        f"'{checked.version}' of {framework.id}; the current version is "
                                        f"'{framework.version}'", cell=meta_cell("framework_version"), **where))
        checked.reject(f"framework version {checked.version}, expected {framework.version}")
    elif checked.fingerprint != framework.fingerprint:
        checked.findings.append(Finding("fingerprint-mismatch", f"the workbook's framework fingerprint "
                                        f"{checked.fingerprint[:12]}... differs from {framework.id} version "
                                        f"{framework.version} ({framework.fingerprint[:12]}...): its wording was "
                                        f"changed without a new version", cell=meta_cell("fingerprint"), **where))
        checked.reject("framework wording differs")


def check_kind(checked: CheckedReturn, expected: str) -> None:
    """Reject a partner's feedback given among returns, and a return (or feedback asking no reply) among replies."""
    if checked.built_as == expected:
        return
    who = checked.respondent or "a partner"
    if checked.built_as == RETURN_KIND:
        message = (f"this is {who}'s self-assessment workbook, not a reply to their feedback; returns belong in the "
                   f"returns folder, so nothing in it was read as a reply")
    elif checked.built_as == FEEDBACK_KIND and expected == REPLY_KIND:
        message = (f"this is {who}'s feedback workbook, which asks for no reply (they sit with the other partners on "
                   f"every item), so there is nothing in it to read")
    elif expected == RETURN_KIND:
        message = (f"this is {who}'s feedback workbook, sent back as their reply, not a self-assessment return; "
                   f"nothing in it was compiled as a return. Put replies in the folder you give to ingest --replies")
    else:
        message = f"this workbook was built as '{checked.built_as}', not as '{expected}'; nothing in it was read"
    checked.findings.append(Finding("kind-mismatch", message, file=checked.file))
    checked.reject(f"a {checked.built_as.replace('-', ' ')} workbook, not a {expected.replace('-', ' ')}")

