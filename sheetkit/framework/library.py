"""Where frameworks and templates live: bundled with sheetkit, or in the user's own folders.

User folders come from ``--frameworks-dir`` and the ``SHEETKIT_FRAMEWORKS`` environment
variable (several folders separated by the OS path separator). A user's framework with the
same id as a bundled one takes precedence, so a council can pin its own copy.

The email and instruction texts come from ``build --templates DIR``, else from the folder in
``SHEETKIT_TEMPLATES``, else from the bundled templates; a user's folder need hold only the
files it changes.
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass
from pathlib import Path
from string import Template
from typing import Iterable

from sheetkit.common.errors import FrameworkNotFound, UsageError
from .model import Framework
from .file import FrameworkFileError, load_framework

ENV_VAR = "SHEETKIT_FRAMEWORKS"
TEMPLATES_ENV_VAR = "SHEETKIT_TEMPLATES"
TEMPLATES = ("email.txt", "instructions.txt", "instructions-next-round.txt")
_PACKAGE = Path(__file__).resolve().parents[1]  # the sheetkit package


def data_dir(name: str) -> Path:
    """A bundled data folder ('frameworks' or 'templates'), installed or in a source tree."""
    installed = _PACKAGE / "_data" / name
    if installed.is_dir():
        return installed
    source_tree = _PACKAGE.parent / name
    if source_tree.is_dir():
        return source_tree
    raise UsageError(f"sheetkit's bundled {name} folder is missing from {installed}; reinstall sheetkit")


def templates_dir(chosen: str | Path | None = None) -> Path | None:
    """The user's template folder (`chosen`, else $SHEETKIT_TEMPLATES), checked; None for the bundled ones."""
    folder = chosen or os.environ.get(TEMPLATES_ENV_VAR, "")
    if not folder:
        return None
    where = "--templates" if chosen else f"${TEMPLATES_ENV_VAR}"
    folder = Path(folder)
    if not folder.is_dir():
        raise UsageError(f"template folder {folder} does not exist; check {where} (it may hold "
                         f"{' and '.join(TEMPLATES)})")
    if not any((folder / name).is_file() for name in TEMPLATES):
        raise UsageError(f"template folder {folder} holds neither {' nor '.join(TEMPLATES)}; check {where}")
    for name in TEMPLATES:
        if (folder / name).is_file():
            template_text(name, folder)  # a file that cannot be read, or an unknown placeholder, stops the build here
    return folder


_CHASE = ("addressee", "respondent", "organisation", "framework_title", "round", "deadline", "deadline_line",
          "attachment_line", "return_how", "sender", "history", "received")
_CORRECTION = _CHASE + ("return_file", "problem_count", "problems", "fine", "optional")
# Every template and the placeholders its writer fills in: any other $name would reach partners as typed.
PLACEHOLDERS: dict[str, tuple[str, ...]] = {
    "email.txt": ("framework_title", "publisher", "respondent", "addressee", "round", "deadline", "return_to",
                  "sender"),
    "instructions.txt": ("deadline", "return_to", "section", "answer"),
    "instructions-next-round.txt": ("previous_round", "answers_start", "carried_actions"),
    "reminder.txt": _CHASE,
    "reminder-again.txt": _CHASE,
    "correction.txt": _CORRECTION,
    "correction-again.txt": _CORRECTION,
    "reply-reminder.txt": _CHASE + ("reply_sheet",),
    "reply-reminder-again.txt": _CHASE + ("reply_sheet",),
    "reply-correction.txt": _CORRECTION + ("reply_sheet",),
    "reply-correction-again.txt": _CORRECTION + ("reply_sheet",),
    "feedback.txt": ("addressee", "respondent", "framework_title", "round", "others", "workbook", "evidence_line",
                     "apart", "not_counted", "reply", "sender"),
}


def template_path(name: str, folder: str | Path | None = None) -> Path:
    """Where a template is read from: the user's copy in `folder` (else $SHEETKIT_TEMPLATES) when it
    has one, else the bundled one."""
    folder = folder or os.environ.get(TEMPLATES_ENV_VAR) or None
    if folder and (Path(folder) / name).is_file():
        return Path(folder) / name
    return data_dir("templates") / name


def template_text(name: str, folder: str | Path | None = None) -> str:
    """The text of a template, its placeholders checked: the user's copy in `folder` when it has one,
    else the bundled one."""
    path = template_path(name, folder)
    text = _read_template(path)
    _check_placeholders(path, name, text)
    return text


def fill_template_text(name: str, values: dict[str, str], folder: str | Path | None = None) -> str:
    """A template filled in with `values` (which must give each of its placeholders)."""
    missing = set(PLACEHOLDERS[name]) - set(values)
    assert not missing, f"{name} is filled without {missing}"
    return Template(template_text(name, folder)).safe_substitute(values)


def _check_placeholders(path: Path, name: str, text: str) -> None:
    """Refuse a placeholder the template's writer does not fill in, with the file and the line."""
    known = PLACEHOLDERS.get(name)
    if known is None:
        return
    for match in Template.pattern.finditer(text):
        word = match.group("named") or match.group("braced")
        if word and word not in known:
            line = text.count("\n", 0, match.start()) + 1
            near = nearest(word, list(known))
            hint = f" Did you mean ${near[0]}?" if near else ""
            raise UsageError(f"template {path}, line {line}: ${word} is not a placeholder of {name}, so it would "
                             f"reach respondents as typed.{hint} Its placeholders are "
                             f"{', '.join('$' + k for k in known)}; write $$ for a dollar sign")


def _read_template(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path}: not UTF-8 text (byte {exc.start}); save the template as UTF-8 "
                         f"(in Notepad: Save as, Encoding: UTF-8)") from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot be read ({exc.strerror or exc})") from None


@dataclass(frozen=True)
class FrameworkEntry:
    id: str
    path: Path
    bundled: bool


def framework_dirs(extra: Iterable[str | Path] = ()) -> list[tuple[Path, bool]]:
    """Folders searched for frameworks, user folders first."""
    dirs: list[tuple[Path, bool]] = [(Path(d), False) for d in extra if d]
    env = os.environ.get(ENV_VAR, "")
    dirs += [(Path(d), False) for d in env.split(os.pathsep) if d]
    dirs.append((data_dir("frameworks"), True))
    return dirs


def list_frameworks(extra_dirs: Iterable[str | Path] = ()) -> list[FrameworkEntry]:
    """Every framework file found, by id (from the file name), the first found winning."""
    found: dict[str, FrameworkEntry] = {}
    for folder, bundled in framework_dirs(extra_dirs):
        if not folder.is_dir():
            if not bundled:
                raise UsageError(f"framework folder {folder} does not exist; check --frameworks-dir or ${ENV_VAR}")
            continue
        for path in sorted(list(folder.glob("*.yaml")) + list(folder.glob("*.yml"))):
            found.setdefault(path.stem, FrameworkEntry(path.stem, path, bundled))
    return sorted(found.values(), key=lambda e: e.id)


def get_framework(framework_id: str, extra_dirs: Iterable[str | Path] = ()) -> Framework:
    """Load a framework by id; an unknown id raises FrameworkNotFound naming the nearest ids."""
    entries = {e.id: e for e in list_frameworks(extra_dirs)}
    entry = entries.get(framework_id)
    if entry is None:
        near = nearest(framework_id, list(entries))
        hint = f" Did you mean: {', '.join(near)}?" if near else ""
        raise FrameworkNotFound(
            f"no framework with id '{framework_id}'.{hint} Known: {', '.join(entries) or 'none'}. "
            f"Run 'sheetkit frameworks' to list them."
        )
    framework = load_framework(entry.path)
    if framework.id != framework_id:
        raise UsageError(f"{entry.path} declares id '{framework.id}' but is named '{framework_id}.yaml'; rename one to match")
    return framework


def nearest(wanted: str, known: list[str]) -> list[str]:
    """Known names that look like `wanted`: containing it, or close in spelling."""
    lowered = wanted.lower()
    containing = [k for k in known if lowered and (lowered in k.lower() or k.lower() in lowered)]
    close = difflib.get_close_matches(wanted, known, n=3, cutoff=0.5)
    return list(dict.fromkeys(containing + close))[:3]


def is_path_like(value: str) -> bool:
    return value.endswith((".yaml", ".yml")) and Path(value).is_file()


def resolve_framework(reference: str, extra_dirs: Iterable[str | Path] = ()) -> Framework:
    """A framework by id, or by the path of a YAML file."""
    if is_path_like(reference):
        return load_framework(reference)
    return get_framework(reference, extra_dirs)


__all__ = ["FrameworkFileError", "get_framework", "list_frameworks", "resolve_framework", "template_text",
           "fill_template_text", "template_path", "PLACEHOLDERS"]
