"""The exercise folders the page manages: one folder per exercise under the home folder.

Inside an exercise folder the layout is the one the commands write, so the page and the
commands can take turns on the same exercise::

    <home>/<exercise>/respondents.csv   the respondents list as uploaded (.csv, .xlsx or .ods)
    <home>/<exercise>/workbooks/        what `build --out` writes: what is sent to the partners
    <home>/<exercise>/returns/          the returns as uploaded (zips and saved emails kept whole)
    <home>/<exercise>/consolidated.xlsx and responses.csv, what `ingest --out --csv` writes
    <home>/<exercise>/chase/            what `chase --out` writes
    <home>/<exercise>/exercise.json     what the page remembers that no command keeps

The lead's private records (``manifest.csv``, ``protection-password.txt``) are wherever
``build`` put them; the page takes their place from what ``build`` returned, and for an
exercise the commands made, looks in the exercise folder and then in ``workbooks/``.

No name typed on the page reaches the file system unchecked: an exercise name becomes a folder
name through :func:`slug`, an uploaded file's name through :func:`safe_file_name`, and every
path is checked to lie inside the home folder (:func:`inside`).
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import shutil
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path

import sheetkit

WORKBOOKS, RETURNS, CHASE = "workbooks", "returns", "chase"
CONSOLIDATED, RESPONSES_CSV, NOTE = "consolidated.xlsx", "responses.csv", "exercise.json"
MANIFEST, PASSWORD_FILE = "manifest.csv", "protection-password.txt"
LIST_SUFFIXES = (".csv", ".xlsx", ".ods")  # what load_respondents reads
SENT_SUFFIXES = (".xlsx", ".eml")  # the only files that go to the partners
PRIVATE = (MANIFEST, PASSWORD_FILE)
SLUG_LENGTH = 60
_SLUG = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,%d})" % (SLUG_LENGTH - 1))
_WINDOWS_RESERVED = {"con", "prn", "aux", "nul", *(f"com{n}" for n in range(10)), *(f"lpt{n}" for n in range(10))}
_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')


class OutsideHome(sheetkit.UsageError):
    """A path that would leave the home folder."""


def default_home() -> Path:
    """Where exercises are kept when --home is not given: the user's data folder."""
    import platformdirs

    return Path(platformdirs.user_data_dir("sheetkit", appauthor=False)) / "exercises"


def slug(name: str) -> str:
    """An exercise name as a folder name: lower-case letters, digits and hyphens only."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:SLUG_LENGTH].strip("-")


def is_slug(text: str) -> bool:
    return bool(_SLUG.fullmatch(text))


def safe_file_name(name: str, fallback: str = "return") -> str:
    """An uploaded file's name with any folder part, control or reserved character removed."""
    base = re.split(r"[/\\]", name or "")[-1]
    base = _UNSAFE.sub("_", unicodedata.normalize("NFC", base)).strip().lstrip(".~$ ").rstrip(". ")
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, ""
    if stem.split(".")[0].lower() in _WINDOWS_RESERVED:
        stem = "_" + stem
    suffix = suffix[:10]
    stem = stem[: 120 - len(suffix)]
    return (f"{stem}.{suffix}" if suffix else stem) if stem else fallback + (f".{suffix}" if suffix else "")


def inside(home: Path, path: Path) -> Path:
    """`path` resolved, or OutsideHome when it is not inside `home`."""
    resolved = path.resolve()
    if not resolved.is_relative_to(home.resolve()):
        raise OutsideHome(f"{path} is outside the folder of exercises {home}; the page works only inside it")
    return resolved


@dataclass
class Exercise:
    """One exercise folder and what is known about it from its files."""

    home: Path
    name: str  # the folder's name (a slug)

    @property
    def folder(self) -> Path:
        return inside(self.home, self.home / self.name)

    def path(self, *parts: str) -> Path:
        return inside(self.home, self.folder.joinpath(*parts))

    @property
    def workbooks(self) -> Path:
        return self.path(WORKBOOKS)

    @property
    def returns(self) -> Path:
        return self.path(RETURNS)

    @property
    def chase_dir(self) -> Path:
        return self.path(CHASE)

    @property
    def consolidated(self) -> Path:
        return self.path(CONSOLIDATED)

    @property
    def responses_csv(self) -> Path:
        return self.path(RESPONSES_CSV)

    # -- the page's note ---------------------------------------------------------------
    def note(self) -> dict:
        try:
            data = json.loads(self.path(NOTE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def remember(self, **values) -> None:
        data = self.note() | {k: v for k, v in values.items() if v is not None}
        self.path(NOTE).write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

    # -- the lead's records, wherever build put them -------------------------------------
    @property
    def manifest(self) -> Path | None:
        recorded = self.note().get("manifest")
        candidates = [recorded] if isinstance(recorded, str) and recorded else []
        candidates += [MANIFEST, f"{WORKBOOKS}/{MANIFEST}"]
        for relative in candidates:
            try:
                path = self.path(*Path(relative).parts)
            except OutsideHome:
                continue
            if path.is_file():
                return path
        return None

    def records(self):
        """The manifest as read (framework, round, deadline, who was asked), or None before a build."""
        path = self.manifest
        return sheetkit.read_manifest(path) if path else None

    @property
    def respondents_list(self) -> Path | None:
        return next((p for s in LIST_SUFFIXES if (p := self.path("respondents" + s)).is_file()), None)

    @property
    def previous(self) -> Path | None:
        """Last round's consolidated workbook, when this exercise was started from another."""
        name = self.note().get("previous", "")
        if not (isinstance(name, str) and is_slug(name)):
            return None
        path = Exercise(self.home, name).consolidated
        return path if path.is_file() else None

    def return_files(self) -> list[Path]:
        if not self.returns.is_dir():
            return []
        return sorted(p for p in self.returns.iterdir() if p.is_file())

    def save_return(self, name: str, data: bytes) -> tuple[str, bool]:
        """Keep one uploaded file in returns/ under a safe name: (the name kept, True if new).

        A file with the same bytes as one already there is not kept twice; another file of the
        same name is kept beside it as 'name (2).xlsx'."""
        folder = self.returns
        folder.mkdir(parents=True, exist_ok=True)
        wanted = safe_file_name(name)
        digest = hashlib.sha256(data).digest()
        for existing in folder.iterdir():
            if existing.is_file() and existing.stat().st_size == len(data) and _digest(existing) == digest:
                return existing.name, False
        stem, dot, suffix = wanted.rpartition(".")
        if not dot:
            stem, suffix = wanted, ""
        target, n = inside(self.home, folder / wanted), 1
        while target.exists():
            n += 1
            target = inside(self.home, folder / (f"{stem} ({n}).{suffix}" if suffix else f"{stem} ({n})"))
        target.write_bytes(data)
        return target.name, True

    def partner_zip(self, private: tuple[Path | None, ...] = ()) -> bytes:
        """The workbooks and email drafts to send, as one zip; never the lead's records."""
        return zip_files(self.sent_files(private))

    def sent_files(self, private: tuple[Path | None, ...] = ()) -> list[Path]:
        kept_back = {p.resolve() for p in private if p} | {self.path(WORKBOOKS, n) for n in PRIVATE}
        kept_back |= {p for p in (self.manifest,) if p}
        if not self.workbooks.is_dir():
            return []
        return sorted(p for p in self.workbooks.iterdir()
                      if p.is_file() and p.suffix.lower() in SENT_SUFFIXES and p.name not in PRIVATE
                      and p.resolve() not in kept_back)


def _digest(path: Path) -> bytes:
    return hashlib.sha256(path.read_bytes()).digest()


def zip_files(paths: list[Path]) -> bytes:
    """The files, by name only, in one zip held in memory (an exercise's files are small)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in paths:
            archive.write(path, path.name)
    return buffer.getvalue()


def exercises(home: Path) -> list[Exercise]:
    """Every exercise folder under `home`: one with a manifest or a note of the page."""
    if not home.is_dir():
        return []
    found = [Exercise(home, p.name) for p in sorted(home.iterdir()) if p.is_dir() and is_slug(p.name)]
    return [e for e in found if e.manifest or e.path(NOTE).is_file()]


def find(home: Path, name: str) -> Exercise | None:
    """The exercise called `name` (a slug), or None."""
    if not is_slug(name):
        return None
    exercise = Exercise(home, name)
    return exercise if exercise.folder.is_dir() else None


def new_folder(home: Path, name: str) -> Exercise:
    """A new, empty exercise folder for the exercise called `name` (any text; made a slug)."""
    folder_name = slug(name)
    if not folder_name:
        raise sheetkit.UsageError("give the exercise a name with at least one letter or digit")
    exercise = Exercise(home, folder_name)
    if exercise.folder.exists():
        raise sheetkit.UsageError(f"there is already an exercise called '{folder_name}' in {home}; choose "
                                  f"another name")
    exercise.folder.mkdir(parents=True)
    return exercise


def remove(exercise: Exercise) -> None:
    """Remove an exercise folder the page made and could not finish."""
    shutil.rmtree(exercise.folder, ignore_errors=True)
