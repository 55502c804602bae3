"""The Dashboard's words: the headline sentence and the tiles, written from the consolidated data."""

from __future__ import annotations

from sheetkit.consolidate.agreement import SPLIT
from sheetkit.consolidate.consolidation import Consolidation, RatingRow, low_limit
from sheetkit.framework.model import Scale


def item_name(con: Consolidation, row: RatingRow) -> str:
    """'Standard 4', 'Essential feature 1a', or the section's rating caption."""
    return f"{con.framework.labels['item']} {row.owner_id}" if row.level == "item" else row.caption


def section_title(con: Consolidation, section_id: str) -> str:
    return next(s.title for s in con.framework.sections if s.id == section_id)


def returns_phrase(con: Consolidation) -> str:
    n = len(con.respondents)
    if not con.roster:
        return f"{n} partner{'s' if n != 1 else ''} returned"
    missing = [p.name for p in con.missing]
    said = f"{n} of {len(con.roster)} partners returned"
    return said + (f"; not yet returned: {', '.join(missing)}" if missing else "; all returned")


def disagreement_phrase(con: Consolidation) -> str:
    top = con.disagreements(1)
    items = con.framework.labels["item"].lower()
    if not top:
        return f"No {items} meets the rule for disagreement (see Notes)."
    row = top[0]
    a = row.agreement
    if a.kind == SPLIT:
        said = (f"Partners are split most on {item_name(con, row)}: {', '.join(a.low)} rate it "
                f"{_span(row, a.low)}, {', '.join(a.high)} {_span(row, a.high)}.")
    else:
        name = next(iter(a.apart))
        said = (f"Partners disagree most on {item_name(con, row)}, where {name} rates {row.values[name]} "
                f"and the others {_span(row, [p for p in row.values if p != name])}.")
    total = len(con.item_rows())
    for name, n in con.apart_counts().items():
        if n > 1:
            said += f" {name} sits apart on {n} of {total} {items}s."
    return said


def _span(row: RatingRow, people: list[str]) -> str:
    values = [row.values[p] for p in people]
    return str(min(values)) if min(values) == max(values) else f"{min(values)}-{max(values)}"


def headline(con: Consolidation) -> str:
    """One or two sentences: returns, overall rating, strongest and weakest section, the main disagreement."""
    parts = [returns_phrase(con) + "."]
    scale = con.scale
    if con.overall is not None and scale is not None:
        parts.append(f"Overall rating {con.overall:.1f} on a scale of {min(scale.values)} to {max(scale.values)}.")
    ranked = con.ranked_sections()
    if len(ranked) > 1:
        label = con.framework.labels["section"].lower()
        (best, high), (worst, low) = ranked[0], ranked[-1]
        parts.append(f"Strongest {label}: {section_title(con, best)} ({high:.1f}); "
                     f"weakest: {section_title(con, worst)} ({low:.1f}).")
    parts.append(disagreement_phrase(con))
    return " ".join(parts)


def legend(scale: Scale) -> str:
    """What the points of the scale mean, as briefly as the scale allows."""
    if not any(lv.label for lv in scale.levels):
        return (f"{min(scale.values)} lowest, {max(scale.values)} highest; the publisher gives no meaning to "
                f"the points in between")
    return " · ".join(f"{lv.value} {lv.label}" for lv in scale.levels)


def tiles(con: Consolidation) -> list[tuple[str, str, str]]:
    """(label, value, detail) for the Dashboard's four tiles."""
    scale = con.scale
    n = len(con.respondents)
    if con.roster:
        missing = [p.name for p in con.missing]
        returns = (f"{n} of {len(con.roster)}", "Not yet returned: " + ", ".join(missing) if missing
                   else "Every partner asked has returned")
    else:
        returns = (str(n), "Who was asked is not known (no manifest given)")
    if con.overall is not None and scale is not None:
        rating = (f"{con.overall:.1f} of {max(scale.values)}", legend(scale))
    else:
        rating = ("none", "No ratings were counted")
    items = con.item_rows()
    label = con.framework.labels["item"].lower()
    splits = sum(1 for r in items if r.agreement.kind == SPLIT)
    flagged = sum(1 for r in items if r.agreement.flagged)
    apart = "; ".join(f"{name} sits apart on {k}" for name, k in con.apart_counts().items())
    detail = f"Partners split on {splits}; " + (apart or "nobody sits apart")
    if con.groups:
        detail += f"; groups differ on {sum(1 for r in items if r.groups_differ)}"
    acts = con.actions
    low = f" (ratings of {int(low_limit(scale))} or less)" if scale else ""
    carried = con.store.count_carried()
    if carried:  # last round's answers left as pre-filled: said, and kept out of this round's figures
        returns = (returns[0], f"{returns[1]}. {carried} answer(s) left as last round pre-filled them and not "
                               f"confirmed: shown as carried, not counted")
    return [
        ("Returns", *returns),
        ("Overall rating", *rating),
        ("Disagreement", f"{flagged} of {len(items)} {label}s", detail),
        ("Actions", f"{acts.total}", f"{acts.high} high priority · {acts.incomplete} without owner or date · "
                                     f"{len(con.unactioned)} low ratings{low} with no action"),
    ]
