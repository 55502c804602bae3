"""What checking the returns is asked to do, and what `validate` and `ingest` found: the report
they print (as text, or as JSON with --json) and take their exit status from.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from sheetkit.common.findings import Finding, count
from sheetkit.common.own_files import RETURN_KIND
from sheetkit.framework.model import Framework
from sheetkit.roster.respondents import Respondent
from sheetkit.common.sandbox import Limits
from .model import ACCEPTED, REJECTED, CheckedReturn


@dataclass
class CheckOptions:
    """What checking a folder of returns is asked to do (all `validate` does; `ingest` adds its outputs)."""

    manifest: str | None = None
    manifest_found: str = ""  # how the manifest was found when --manifest did not name it
    framework_id: str | None = None
    frameworks_dirs: tuple[str, ...] = ()
    progress: bool = False
    limits: Limits = field(default_factory=Limits)
    prefer: tuple[str, ...] = ()  # files the lead chose over a respondent's other returns
    cache: Path | None = None  # the re-ingest cache folder (default: sheetkit's folder in the user's cache)
    use_cache: bool = True  # ingest only: validate never writes
    expect: str = RETURN_KIND  # what the files should be: returns, or partners' replies to their feedback
    # Every answer of each return kept in the report, as the library's callers expect; the commands that
    # only report (validate, chase) keep just those a finding points at (for the correction drafts'
    # wording), so that their memory stays flat however many returns there are.
    keep_answers: bool = True


@dataclass
class IngestReport:
    """What validate and ingest found: the report --json prints and the exit code follows."""

    framework: Framework | None
    round: str
    returns: list[CheckedReturn]
    findings: list[Finding]
    chase: list[str] = field(default_factory=list)
    out: Path | None = None
    csv: Path | None = None
    expected: int | None = None
    feedback: Path | None = None
    chase_why: dict[str, str] = field(default_factory=dict)
    preferred: list[str] = field(default_factory=list)
    asked: list[Respondent] = field(default_factory=list)  # from the manifest, with contacts and groups
    previous: Path | None = None  # last round's workbook the consolidated workbook compares with
    unusable: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # respondent -> (file, why) received
    manifest: str | None = None  # the manifest the returns were checked against
    manifest_found: str = ""  # how it was found, when --manifest did not name it
    replies: "IngestReport | None" = None  # the partners' replies to their feedback, checked as returns are
    pack: Path | None = None  # the challenge-day pack written
    reused: list[str] = field(default_factory=list)  # files (as shown) whose checked result the re-ingest cache held

    @property
    def exit_code(self) -> int:
        if not any(r.status == ACCEPTED for r in self.returns):
            return 2
        errors, _ = count(self.findings)
        rejected = any(r.status == REJECTED for r in self.returns)
        return 1 if errors or rejected else 0

    def to_dict(self) -> dict:
        errors, warnings = count(self.findings)
        return {
            "framework": ({"id": self.framework.id, "version": self.framework.version,
                           "fingerprint": self.framework.fingerprint} if self.framework else None),
            "round": self.round,
            "valid": self.exit_code == 0,
            "errors": errors,
            "warnings": warnings,
            "expected": self.expected,
            "manifest": self.manifest,
            "returns": [_return_dict(r) for r in self.returns],
            "chase": self.chase,
            "chase_why": self.chase_why,
            "preferred": self.preferred,
            "findings": [f.to_dict() for f in self.findings],
            "out": str(self.out) if self.out else None,
            "csv": str(self.csv) if self.csv else None,
            "feedback": str(self.feedback) if self.feedback else None,
            "previous": str(self.previous) if self.previous else None,
            "replies": self.replies.to_dict() if self.replies else None,
            "pack": str(self.pack) if self.pack else None,
            "from_cache": self.reused,
        }

    def render(self) -> str:
        lines = [f.render() for f in self.findings]
        lines.append("")
        for ret in self.returns:
            who = ret.respondent or "(unknown respondent)"
            lines.append(f"{ret.status:<10} {ret.file}  {who}  "
                         f"{ret.errors} error(s), {ret.warnings} warning(s)" + (f"  [{ret.reason}]" if ret.reason else ""))
        statuses = Counter(r.status for r in self.returns)
        errors, warnings = count(self.findings)
        summary = ", ".join(f"{n} {s}" for s, n in statuses.items()) or "no returns"
        fw = f"{self.framework.id} version {self.framework.version}" if self.framework else "no framework"
        lines.append(f"{len(self.returns)} file(s) for {fw}, round {self.round or '?'}: {summary}; "
                     f"{errors} error(s), {warnings} warning(s)")
        lines.append(f"Manifest: {self.manifest} ({self.manifest_found})" if self.manifest and self.manifest_found
                     else f"Manifest: {self.manifest}" if self.manifest else
                     "No manifest: nobody can be chased and no build id was checked (give --manifest)")
        if not any(r.status == ACCEPTED for r in self.returns):
            lines.append("No return could be used, so nothing was compiled; see the problems above.")
        if self.reused:
            lines.append(f"Not read again ({len(self.reused)} of {len(self.returns)}): unchanged since an earlier "
                         f"ingest, their checked results came from the re-ingest cache")
        if self.preferred:
            lines.append(f"Chosen with --prefer: {', '.join(self.preferred)}")
        if self.chase:
            lines.append(f"Still to chase ({len(self.chase)}): " + ", ".join(
                f"{name} ({self.chase_why[name]})" if name in self.chase_why else name for name in self.chase))
        if self.out:
            lines.append(f"Consolidated workbook: {self.out}")
        if self.previous:
            lines.append(f"Compared with last round: {self.previous} (see the Trend sheet)")
        if self.csv:
            lines.append(f"Responses CSV: {self.csv}")
        if self.feedback:
            lines.append(f"Each respondent's feedback workbook and email draft: {self.feedback}")
        if self.replies:
            lines += self._replies_lines()
        if self.pack:
            lines.append(f"Challenge-day pack: {self.pack}")
        return "\n".join(lines)

    def _replies_lines(self) -> list[str]:
        """The replies to the feedback: how many files, who replied, who is still to reply."""
        replies = self.replies
        statuses = Counter(r.status for r in replies.returns)
        summary = ", ".join(f"{n} {s}" for s, n in statuses.items()) or "none"
        lines = [f"Replies to the feedback: {len(replies.returns)} file(s), {summary} (their problems are listed "
                 f"above with the returns'; see the Moderation sheet)"]
        if replies.manifest:
            lines.append(f"Feedback's manifest: {replies.manifest}"
                         + (f" ({replies.manifest_found})" if replies.manifest_found else ""))
        for ret in replies.returns:
            lines.append(f"  {ret.status:<10} {ret.file}  {ret.respondent or '(unknown partner)'}"
                         + (f"  [{ret.reason}]" if ret.reason else ""))
        if replies.chase:
            lines.append(f"Still to reply ({len(replies.chase)}): " + ", ".join(replies.chase))
        return lines


def _return_dict(ret: CheckedReturn) -> dict:
    return {
        "file": ret.file, "respondent": ret.respondent, "organisation": ret.organisation,
        "status": ret.status, "reason": ret.reason, "round": ret.round, "framework_id": ret.framework_id,
        "framework_version": ret.version, "sha256": ret.sha256,
        "saved_at": ret.saved_at.isoformat() if ret.saved_at else None,
        "saved_by": ret.saved_by, "created_by": ret.created_by, "build_id": ret.build_id, "kind": ret.kind,
        "ratings_given": ret.ratings_given, "ratings_asked": ret.ratings_asked,
        "answers": ret.answer_count, "signed_off_by": ret.signed_off_by, "signed_off_on": ret.signed_off_on,
        "errors": ret.errors, "warnings": ret.warnings,
        "findings": [f.to_dict() for f in ret.findings],
    }
