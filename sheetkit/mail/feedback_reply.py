"""Asking each partner to reply to their feedback: what they are asked about, the reply sheet added to
their feedback workbook, and the feedback's own manifest, which identifies the replies.

A partner is asked to reply on every rating where they sit apart from the other partners or stand
in one camp of a split (by the consolidated workbook's own rule), and on the items the lead marks
for discussion (``ingest --discuss``) that they rated. Their feedback workbook then carries the
sheet 'Your reply' (:mod:`sheetkit.workbook.reply`) and a build id, as a return does; the feedback's
manifest (``feedback-manifest.csv``, kept in the exercise folder beside the exercise's own manifest,
not in the folder sent) lists who was asked, with each workbook's build id and the reply-by date,
so ``ingest --replies`` and ``chase --replies`` read the replies exactly as returns are read.
A partner asked about nothing still gets a sealed workbook (of the kind that asks for no reply), so
it is recognised wherever it turns up, and is left out of the manifest.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path

from sheetkit.common.own_files import FEEDBACK_KIND, PASSWORD_FILE, REPLY_KIND, SHEET_REPLY
from sheetkit.common.text import normalise_name
from sheetkit.framework.keys import AnswerKey
from sheetkit.roster.contacts import Contact
from sheetkit.roster.manifest import Entry, read_manifest, read_password, write_manifest
from sheetkit.workbook import FormWorkbook, ReplyLayout, WorkbookFacts, draw_reply, plan_reply, seal

DISCUSS_ALL = "all"  # --discuss all: every rated item is for discussion
DISCUSSED = "marked for discussion"

@dataclass
class ReplyRequest:
    """What one partner's feedback workbook asks them to reply on, and what identifies it."""

    layout: ReplyLayout
    facts: WorkbookFacts
    shown: dict[str, tuple[str, str, str]]  # rating key -> their rating, the others', where they sit
    contact: Contact

    @property
    def asks(self) -> bool:
        return bool(self.layout.asked)


def exercise_password(manifest: str | Path | None, chosen: str | None, framework, round_name: str) -> str:
    """The sheet password: the one given, else the exercise's (kept beside its manifest), else one made from
    the exercise, so the same feedback is the same bytes each time it is written. Locking the sheets guards
    against slips, not against anyone determined; nothing sheetkit reads depends on it."""
    if chosen:
        return chosen
    kept = read_password(Path(manifest).parent / PASSWORD_FILE) if manifest else None
    seed = "\x1f".join(("sheetkit feedback", framework.fingerprint, round_name))
    return kept or hashlib.sha256(seed.encode("utf-8")).hexdigest()[:12]


def plan_request(con, respondent: str, comparisons, contact: Contact, round_name: str, written_at: dt.datetime,
                 deadline: dt.date, password: str, return_to: str = "", discuss: frozenset[str] = frozenset(),
                 replaces: str = "") -> ReplyRequest:
    """What `respondent` is asked to reply on (from their comparisons with the others), and their workbook's facts."""
    marked = discuss if DISCUSS_ALL not in discuss else {c.row.owner_id for c in comparisons}
    asked = [c for c in comparisons if (c.apart or c.row.owner_id in marked) and _rated(c)]
    keys = tuple(_key(c.row) for c in asked)
    layout = plan_reply(con.framework, keys, kind=REPLY_KIND if keys else FEEDBACK_KIND)
    built_at = written_at.astimezone(dt.timezone.utc).replace(microsecond=0).isoformat()
    facts = WorkbookFacts(respondent, contact.organisation, contact.email, round_name, deadline, return_to,
                          _build_id(con.framework, respondent, round_name, built_at, replaces), built_at, password)
    shown = {_key(c.row): (_mine(c), _others(c), c.apart or DISCUSSED) for c in asked}
    return ReplyRequest(layout, facts, shown, contact)


def add_reply(wb: FormWorkbook, request: ReplyRequest, fmt: dict) -> None:
    """Add the reply sheet (when something is asked) and seal the workbook. Call it after every other sheet."""
    if request.asks:
        draw_reply(wb, wb.add_worksheet(SHEET_REPLY), request.layout, request.facts, request.shown, fmt)
    seal(wb, request.layout, request.facts)


def write_reply_manifest(path: Path, requests: list[tuple[ReplyRequest, str, str]], kept: Path | None) -> None:
    """The feedback's manifest: one row per partner asked to reply, (request, workbook file name, its SHA-256)."""
    first = requests[0][0] if requests else None
    previous = _previous_ids(kept, first.layout.framework.id, first.facts.round) if first and kept else {}
    entries = []
    for request, name, sha in requests:
        if not request.asks:
            continue
        facts, person, fw = request.facts, request.contact, request.layout.framework
        entries.append(Entry(facts.respondent, person.organisation, person.email, person.contact, "", name, sha,
                             fw.id, fw.version, fw.fingerprint, facts.round, facts.deadline.isoformat(),
                             facts.built_at, facts.build_id, previous.get(normalise_name(facts.respondent), "")))
    write_manifest(path, entries)


def replaced_ids(listing: Path, framework_id: str, round_name: str) -> dict[str, str]:
    """The build id of each partner's feedback already listed in the feedback manifest `listing` for this
    exercise (by normalised name), which the one now written replaces."""
    kept = _kept(listing, framework_id, round_name)
    return {entry.key: entry.build_id for entry in kept}


def _kept(path: Path, framework_id: str, round_name: str) -> list[Entry]:
    """The rows of a feedback manifest already written, when it is of this exercise (another's is replaced)."""
    if not path.is_file():
        return []
    entries = read_manifest(path).entries
    return entries if all(e.framework_id == framework_id and e.round == round_name for e in entries) else []


def _previous_ids(kept: Path, framework_id: str, round_name: str) -> dict[str, str]:
    """Each partner's earlier feedback build ids, oldest first, from the manifest the new one replaces."""
    return {e.key: " ".join(i for i in (e.previous_build_ids, e.build_id) if i)
            for e in _kept(kept, framework_id, round_name)}


def _build_id(framework, respondent: str, round_name: str, built_at: str, replaces: str) -> str:
    """A short id for one feedback workbook, the same whenever the same inputs are written; a new one for a
    partner's re-issued feedback differs from the one it replaces."""
    seed = "\x1f".join(("feedback", framework.fingerprint, normalise_name(respondent), round_name, built_at)
                       + ((replaces,) if replaces else ()))
    return hashlib.sha256(seed.encode("utf-8")).hexdigest()[:16]


def _key(row) -> str:
    return AnswerKey.of(row.level, row.owner_id, row.field.id)


def _rated(comparison) -> bool:
    return comparison.mine is not None or bool(comparison.mine_text)


def _mine(comparison) -> str:
    return str(comparison.mine) if comparison.mine is not None else f"'{comparison.mine_text}' (not on the scale)"


def _others(comparison) -> str:
    others = comparison.others
    if not others:
        return "no other partner rated it"
    many = "s" if len(others) != 1 else ""
    return f"median {comparison.others_median:g}, from {min(others)} to {max(others)} ({len(others)} partner{many})"
