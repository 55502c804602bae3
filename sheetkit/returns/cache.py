"""The re-ingest cache: each return's checked result, kept between runs of ingest.

Ingest is run again each time a late return arrives. What checking a return finds depends only
on the file's bytes, the framework and sheetkit itself, so the result is kept under a key made
of all three (the file's SHA-256; the framework's id, version and fingerprint and the framework
ids known; sheetkit's version and a digest of its code) and used again only when all of them
are the same. Entries are JSON, never pickle (a cache file is data, never code), each written
whole or not at all, and checked when read: one that cannot be read is ignored with a finding
and its return read again. The folder is safe to delete at any time.

Entries are keyed by content, so one folder serves every exercise: by default sheetkit's folder
in the user's cache (``~/.cache/sheetkit/returns`` on Linux, ``%LOCALAPPDATA%\\sheetkit\\Cache\\returns``
on Windows), never the shared folder the consolidated workbook is written to. ``--cache DIR`` or
``$SHEETKIT_CACHE_DIR`` chooses another.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import tempfile
from dataclasses import asdict, fields
from functools import lru_cache
from pathlib import Path

import platformdirs

from sheetkit import __version__
from sheetkit.common.findings import Finding
from sheetkit.common.interrupts import held
from sheetkit.framework.model import Framework
from sheetkit.common.text import printable
from .model import CheckedReturn

FORMAT = 1
CACHE_ENV_VAR = "SHEETKIT_CACHE_DIR"


def default_cache_folder() -> Path:
    """Where the re-ingest cache is kept when --cache is not given."""
    chosen = os.environ.get(CACHE_ENV_VAR, "").strip()
    return Path(chosen) if chosen else Path(platformdirs.user_cache_dir("sheetkit", appauthor=False)) / "returns"
_FIELDS = {f.name for f in fields(CheckedReturn)} - {"answers"}  # answers travel as spool rows
_TIMES = ("saved_at", "file_time")


@lru_cache(maxsize=1)
def code_digest() -> str:
    """A digest of sheetkit's own code: a changed reader or check never meets an old entry."""
    digest = hashlib.sha256()
    package = Path(__file__).resolve().parents[1]  # all of sheetkit
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


class ReturnCache:
    """Checked returns by file content, in `folder`, for one framework and one sheetkit."""

    def __init__(self, folder: Path, framework: Framework, known_ids: frozenset[str]):
        self.folder = Path(folder)
        self.stamp = {"format": FORMAT, "sheetkit": __version__, "code": code_digest(),
                      "framework": [framework.id, framework.version, framework.fingerprint],
                      "known": sorted(known_ids)}
        self._key = hashlib.sha256(json.dumps(self.stamp, sort_keys=True).encode()).hexdigest()
        self.findings: list[Finding] = []
        self.hits = 0

    def path(self, sha256: str) -> Path:
        """The entry for a file with this content, under this key."""
        return self.folder / f"{hashlib.sha256((self._key + sha256).encode()).hexdigest()}.json"

    def get(self, sha256: str, shown: str) -> CheckedReturn | None:
        """The checked return stored for this content, or None (absent, or ignored with a finding)."""
        path = self.path(sha256)
        try:
            data = path.read_bytes()
        except (FileNotFoundError, NotADirectoryError):  # not kept yet (or no folder: reported when writing)
            return None
        except OSError as exc:
            return self._ignored(path, shown, f"it could not be read ({exc.strerror or exc})")
        try:
            entry = json.loads(data)
            if entry.get("stamp") != self.stamp or entry.get("sha256") != sha256:
                raise ValueError("it was written for another file, framework or version of sheetkit")
            checked = _decode(entry["return"])
        except (ValueError, TypeError, KeyError, AttributeError, UnicodeDecodeError) as exc:
            return self._ignored(path, shown, f"it is damaged ({str(exc)[:120] or type(exc).__name__})")
        self.hits += 1
        return checked

    def put(self, sha256: str, checked: CheckedReturn) -> None:
        """Store a checked return (with its answers as spool rows), whole or not at all."""
        path = self.path(sha256)
        try:
            entry = json.dumps({"stamp": self.stamp, "sha256": sha256, "return": _encode(checked)},
                               ensure_ascii=False, separators=(",", ":"))
            self.folder.mkdir(parents=True, exist_ok=True)
            temp = None
            try:
                with held():  # the temporary file is known as soon as it exists, so it is never left behind
                    handle, temp = tempfile.mkstemp(dir=self.folder, prefix=".", suffix=".partial")
                with os.fdopen(handle, "w", encoding="utf-8", errors="surrogatepass") as out:
                    out.write(entry)
                os.replace(temp, path)
            except BaseException:
                if temp:
                    Path(temp).unlink(missing_ok=True)
                raise
        except (OSError, TypeError, ValueError) as exc:  # TypeError: a value JSON cannot hold
            why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)[:120]
            if not any(f.code == "cache-unwritable" for f in self.findings):
                self.findings.append(Finding("cache-unwritable", f"the re-ingest cache {printable(str(self.folder))} "
                                             f"could not be written ({why}); the next ingest reads those returns "
                                             f"again", file=printable(str(self.folder))))

    def _ignored(self, path: Path, shown: str, why: str) -> None:
        self.findings.append(Finding("cache-ignored", f"the re-ingest cache entry {printable(path.name)} for "
                                     f"{shown} was ignored: {why}; the return was read again",
                                     file=printable(str(path))))
        return None


def _encode(checked: CheckedReturn) -> dict:
    out = {name: getattr(checked, name) for name in _FIELDS}
    out["findings"] = [asdict(f) for f in checked.findings]
    for name in _TIMES:
        out[name] = out[name].isoformat() if out[name] else None
    return out


def _decode(data: dict) -> CheckedReturn:
    if set(data) != _FIELDS:
        raise ValueError(f"its fields are not a return's ({', '.join(sorted(set(data) ^ _FIELDS))[:80]})")
    values = dict(data)
    values["findings"] = [Finding(**f) for f in data["findings"]]
    values["rows"] = [tuple(row) for row in data["rows"]]
    values["placed"] = {key: tuple(where) for key, where in data["placed"].items()}
    for name in _TIMES:
        values[name] = dt.datetime.fromisoformat(data[name]) if data[name] else None
    return CheckedReturn(**values)
