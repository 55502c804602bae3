"""Item maps: which of a framework's old ids became which new ones when its version changed.

An item map is a small YAML file the lead writes once per version change::

    framework: lga-cbo
    from_version: "2015.1"      # the version last round's workbooks were built from
    items:                      # last version's item id: this version's item id
      "1": "1"
      "2": "3"
    statements:                 # optional: the same for statement ids
      "2.1": "3.1"
    sections:                   # optional: the same for section ids
      "1": "1"
    changed: ["5"]              # this version's items whose wording or scale changed
    dropped: ["13"]             # last version's items with no successor

An item that changed wording or scale, and a new item nothing maps to, are left out of every
comparison with their reason. A last-version id the map does not mention is reported (finding
``item-not-mapped``) and its answers are not carried: sheetkit never guesses a match.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from sheetkit.common.errors import UsageError
from sheetkit.common.findings import Finding
from .model import Framework
from .keys import AnswerKey

LEVELS = {"item": "items", "statement": "statements", "section": "sections"}


@dataclass
class IdMap:
    """Old ids to new, per level; what it could not map is remembered and reported."""

    ids: dict[str, dict[str, str]]  # level ('item', 'statement', 'section') -> old id -> new id
    changed: dict[str, str] = field(default_factory=dict)  # new item id -> why it is not comparable
    dropped: frozenset[str] = frozenset()
    source: str = ""
    from_version: str = ""
    unmapped: dict[str, set[str]] = field(default_factory=dict)  # level -> old ids seen but not mapped

    def key(self, parts: AnswerKey) -> str | None:
        """The answer key in the new ids, or None when its owner has no successor."""
        if parts.level not in self.ids:
            return str(parts)
        new = self.ids[parts.level].get(parts.owner)
        if new is None:
            if not (parts.level == "item" and parts.owner in self.dropped):
                self.unmapped.setdefault(parts.level, set()).add(parts.owner)
            return None
        if parts.level == "item" and new in self.changed:
            return None
        return str(AnswerKey(parts.level, new, parts.field))

    def criterion(self, old: str) -> str:
        """The id an action's criterion has now; the old id when it has no successor."""
        return self.ids["statement"].get(old) or self.ids["item"].get(old) or old

    def not_comparable(self, framework: Framework) -> dict[str, str]:
        """This framework's items left out of comparisons with last round, and why."""
        reached = set(self.ids["item"].values())
        out = {item.id: f"new in version {framework.version}" for _, item in framework.items()
               if item.id not in reached}
        out.update(self.changed)
        return out

    @property
    def findings(self) -> list[Finding]:
        """One finding per level whose old ids the map left out, naming them."""
        return [Finding("item-not-mapped", f"last round's {_plural(level, len(olds))} {_listed(olds)} "
                        f"{'is' if len(olds) == 1 else 'are'} not in the item map, so {'its' if len(olds) == 1 else 'their'} "
                        f"answers are not carried to this version; add them under '{LEVELS[level]}' "
                        f"(old id: new id), or under 'dropped' if they have no successor", file=self.source)
                for level, olds in sorted(self.unmapped.items())]


def _plural(level: str, n: int) -> str:
    return level if n == 1 else f"{level}s"


def _listed(ids: set[str], most: int = 12) -> str:
    ordered = sorted(ids, key=_natural)
    shown = ", ".join(ordered[:most])
    return shown + (f" and {len(ordered) - most} more" if len(ordered) > most else "")


def identity_map(framework: Framework) -> IdMap:
    """The map for a round built from the same version: every id is itself."""
    ids = {"item": {i.id: i.id for _, i in framework.items()},
           "statement": {s.id: s.id for _, _, s in framework.statements()},
           "section": {s.id: s.id for s in framework.sections}}
    return IdMap(ids)


def read_item_map(path: str | Path, from_version: str, framework: Framework) -> IdMap:
    """Read and check an item map for last round's `from_version` to `framework`'s version."""
    data = _load(Path(path))
    where = f"--item-map {path}"
    if str(data.get("framework", framework.id)) != framework.id:
        raise UsageError(f"{where} maps framework '{data['framework']}', not '{framework.id}'")
    declared = str(data.get("from_version", ""))
    if declared and declared != from_version:
        raise UsageError(f"{where} maps from version {declared}, but last round used version {from_version}; "
                         f"give the map from {from_version}")
    known = identity_map(framework).ids
    ids = {level: _level_ids(data, key, known[level], where) for level, key in LEVELS.items()}
    changed_ids = _id_list(data, "changed", where)
    unknown = [i for i in changed_ids if i not in known["item"]]
    if unknown:
        raise UsageError(f"{where}: 'changed' names {', '.join(unknown)}, which are not items of {framework.id} "
                         f"version {framework.version}; list this version's item ids there")
    changed = {i: f"wording or scale changed since version {from_version}" for i in changed_ids}
    return IdMap(ids, changed, frozenset(_id_list(data, "dropped", where)), str(path), from_version)


def _load(path: Path) -> dict:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise UsageError(f"--item-map {path}: no such file") from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise UsageError(f"--item-map {path}: cannot be read as YAML ({exc})") from None
    if not isinstance(data, dict):
        raise UsageError(f"--item-map {path}: expected keys such as 'from_version' and 'items' "
                         f"(see docs/framework-format.md, 'Item maps')")
    return data


def _level_ids(data: dict, key: str, known: dict[str, str], where: str) -> dict[str, str]:
    given = data.get(key) or {}
    if not isinstance(given, dict):
        raise UsageError(f"{where}: '{key}' must map last version's ids to this version's, e.g. \"2\": \"3\"")
    ids = {str(old): str(new) for old, new in given.items()}
    unknown = sorted({new for new in ids.values() if new not in known}, key=_natural)
    if unknown:
        raise UsageError(f"{where}: '{key}' maps to {', '.join(unknown)}, which this version does not have; "
                         f"check the new ids against `sheetkit frameworks show`")
    return ids


def _id_list(data: dict, key: str, where: str) -> list[str]:
    given = data.get(key) or []
    if not isinstance(given, list):
        raise UsageError(f"{where}: '{key}' must be a list of ids, e.g. [\"5\", \"7\"]")
    return [str(i) for i in given]


def _natural(text: str) -> list:
    return [int(p) if p.isdigit() else p for p in text.replace(".", " ").split()]
