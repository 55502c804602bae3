"""The Dashboard's words: the brief (one line of facts per question a manager asks) and the Cover's headline,
written from the consolidated data."""

from __future__ import annotations

from sheetkit.consolidate.agreement import SPLIT
from sheetkit.consolidate.consolidation import Consolidation, RatingRow, low_limit
from sheetkit.framework.model import Scale, item_caption


def item_name_of(fw, item) -> str:
    """An item as a reader names it: 'Standard 5: Good commissioning promotes ...' (its caption, led by the
    framework's word for an item and its id unless the caption already starts so)."""
    caption = item_caption(item)
    lead = f"{fw.labels['item']} {item.id}"
    return caption if caption.casefold().startswith(lead.casefold()) else f"{lead}: {caption}"


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
    return said + (f"; not yet returned: {_listed(missing)}" if missing else "; all returned")


def _listed(names: list[str], most: int = 8) -> str:
    """Names, the first `most` of a long list and how many more."""
    return ", ".join(names) if len(names) <= most else ", ".join(names[:most]) + f" and {len(names) - most} more"


def people(names: list[str], most: int = 3) -> str:
    """'Housing', 'Housing and Public Health', 'Housing, Public Health and 4 others'."""
    if len(names) <= 1:
        return "".join(names)
    if len(names) <= most:
        return ", ".join(names[:-1]) + " and " + names[-1]
    return ", ".join(names[:most - 1]) + f" and {len(names) - most + 1} others"


def missing_phrase(con: Consolidation) -> str:
    """Who has not returned, each with who to contact: 'Carers' Centre (Jo Evans, hello@carers.example)'."""
    if not con.roster:
        return "Who was asked is not known: no manifest was given"
    if not con.missing:
        return "Every partner asked has returned"
    shown = [p.name + (f" ({', '.join(x for x in (p.contact, p.email) if x)})" if p.contact or p.email else "")
             for p in con.missing]
    return "Not yet returned: " + _listed(shown, 4)


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
    if con.revised:
        parts.append(f"After their feedback, partners revised {con.revised} rating{'s' if con.revised != 1 else ''}; "
                     f"the figures count the revised ratings (see Moderation).")
    return " ".join(parts)


def legend(scale: Scale) -> str:
    """What the points of the scale mean, as briefly as the scale allows."""
    if not any(lv.label for lv in scale.levels):
        return (f"{min(scale.values)} lowest, {max(scale.values)} highest; the publisher gives no meaning to "
                f"the points in between")
    return " · ".join(f"{lv.value} {lv.label}" for lv in scale.levels)


def brief(con: Consolidation, actions: str, since: str = "", trend: list[str] = ()) -> list[tuple[str, str]]:
    """The Dashboard's first lines: (what the line is about, what it says), one per question a manager asks.
    `actions` is the count of actions every sheet uses; `trend` the lines comparing with last round (`since`)."""
    scale, items = con.scale, con.framework.labels["item"].lower()
    lines = [("Returns", f"{returns_phrase(con).split(';')[0]}. {missing_phrase(con)}.")]
    carried = con.store.count_carried()
    if carried:  # last round's answers left as pre-filled: said, and kept out of this round's figures
        lines.append(("Carried", f"{carried} answer(s) left as last round pre-filled them and not confirmed: "
                                 f"shown as carried on Responses, not counted in this round's figures."))
    if con.overall is not None and scale is not None:
        overall = f"{con.overall:.1f} on a scale of {min(scale.values)} to {max(scale.values)} ({legend(scale)})."
    else:
        overall = "No ratings were counted."
    ranked = con.ranked_sections()
    if len(ranked) > 1:
        label = con.framework.labels["section"].lower()
        (best, high), (worst, low) = ranked[0], ranked[-1]
        overall += (f" Strongest {label}: {section_title(con, best)} ({high:.1f}); weakest: "
                    f"{section_title(con, worst)} ({low:.1f}).")
    lines.append(("Overall", overall))
    gaps = con.gaps()
    if gaps:
        names = {item.id: item_name_of(con.framework, item) for _, item in con.framework.items()}
        lines.append((f"Lowest {items}s", "; ".join(f"{names.get(g.owner_id, g.caption)} ({g.stat('mean'):.1f})"
                                                    for g in gaps) + "."))
    disagree = disagreement_phrase(con)
    if con.groups:
        differ = sum(1 for r in con.item_rows() if r.groups_differ)
        disagree += f" Groups of partners differ on {differ} of {len(con.item_rows())} {items}s."
    lines.append(("Disagreement", disagree))
    if con.revised:
        lines.append(("Replies", f"After their feedback, partners revised {con.revised} "
                                 f"rating{'s' if con.revised != 1 else ''}; the figures count the revised ratings "
                                 f"(see Moderation)."))
    low = sum(1 for _ in con.unactioned)
    if scale is not None and low:
        actions += f" {low} rating{'s' if low != 1 else ''} of {int(low_limit(scale))} or less {'have' if low != 1 else 'has'} no action (Low, no action)."
    lines.append(("Actions", actions))
    if trend:
        lines += [(f"Since {since}", trend[0])] + [("", line) for line in trend[1:]]
    return lines
