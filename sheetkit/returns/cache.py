"""The re-ingest cache: each return's checked result, kept between runs of ingest.

Ingest is run again each time a late return arrives. What checking a return finds depends only
on the file's bytes, the framework and sheetkit itself, so the result is kept under a key made
of all three (the file's SHA-256; the framework's id, version and fingerprint and the framework
ids known; sheetkit's version and a digest of its code) and used again only when all of them
are the same. An entry holds the checked return as JSON (never pickle: a cache file is data,
never code) and its rows of the consolidated workbook's long tables, encoded ahead (see
sheetkit.report.prepared), which the workbook takes as they are. So every entry is signed
(HMAC-SHA256) with a key sheetkit keeps outside the cache folder (:func:`cache_key`), written
whole or not at all, and checked when read: one that fails (changed by anyone or anything other
than sheetkit, damaged, or for something else) is ignored with a finding and its return read
again. Beside the entries, :class:`KeptComparisons` keeps what comparing the Action plan's texts
found, so that a re-ingest compares only the texts it has not seen. The folder is safe to delete at
any time.

Entries are keyed by content, so one folder serves every exercise: by default sheetkit's folder
in the user's cache (``~/.cache/sheetkit/returns`` on Linux, ``%LOCALAPPDATA%\\sheetkit\\Cache\\returns``
on Windows), never the shared folder the consolidated workbook is written to. ``--cache DIR`` or
``$SHEETKIT_CACHE_DIR`` chooses another. The key is a file of random bytes made on first use in
sheetkit's folder of the user's data (``~/.local/share/sheetkit/cache-key`` on Linux,
``%LOCALAPPDATA%\\sheetkit\\cache-key`` on Windows; ``$SHEETKIT_DATA_DIR`` for another), readable by
the user alone.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import heapq
from array import array
from bisect import bisect_left
import hmac
import json
import os
import secrets
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

FORMAT = 2
CACHE_ENV_VAR = "SHEETKIT_CACHE_DIR"
DATA_ENV_VAR = "SHEETKIT_DATA_DIR"
MAGIC = b"sheetkit re-ingest cache entry 2\n"
COMPARISONS_MAGIC = b"sheetkit re-ingest cache comparisons 1\n"
SUFFIX = ".entry"
KEY_BYTES = 32


def default_cache_folder() -> Path:
    """Where the re-ingest cache is kept when --cache is not given."""
    chosen = os.environ.get(CACHE_ENV_VAR, "").strip()
    return Path(chosen) if chosen else Path(platformdirs.user_cache_dir("sheetkit", appauthor=False)) / "returns"



def cache_key(cache_folder: Path) -> bytes:
    """The key entries are signed with: made on first use, kept in sheetkit's data folder (never inside
    the cache folder), readable by the user alone. OSError when it cannot be had."""
    chosen = os.environ.get(DATA_ENV_VAR, "").strip()
    folder = Path(chosen) if chosen else Path(platformdirs.user_data_dir("sheetkit", appauthor=False))
    path = folder / "cache-key"
    if path.resolve().is_relative_to(Path(cache_folder).resolve()):
        raise OSError(f"the key {path} would be inside the cache folder; give another --cache")
    try:
        key = path.read_bytes()
    except FileNotFoundError:
        key = _new_key(path)
    if len(key) != KEY_BYTES:
        raise OSError(f"the key {path} is damaged; delete it, and the cache folder")
    return key


def _new_key(path: Path) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(KEY_BYTES)
    try:
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
    except FileExistsError:  # made by another ingest a moment ago
        return path.read_bytes()
    with os.fdopen(handle, "wb") as out:
        out.write(key)
    return key


_FIELDS = {f.name for f in fields(CheckedReturn)} - {"answers", "prepared"}  # answers travel as spool rows
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
        self.stamp = _stamp(framework) | {"known": sorted(known_ids)}
        self._key = _digest(self.stamp)
        self.findings: list[Finding] = []
        self.hits = 0
        try:
            self._signing: bytes | None = cache_key(self.folder)
        except OSError as exc:
            self._signing = None
            self._unwritable(f"its key could not be had ({exc.strerror if exc.strerror else str(exc)[:160]})")

    def path(self, sha256: str) -> Path:
        """The entry for a file with this content, under this key."""
        return self.folder / f"{hashlib.sha256((self._key + sha256).encode()).hexdigest()}{SUFFIX}"

    def get(self, sha256: str, shown: str) -> CheckedReturn | None:
        """The checked return stored for this content, or None (absent, or ignored with a finding)."""
        if self._signing is None:
            return None
        path = self.path(sha256)
        try:
            data = path.read_bytes()
        except (FileNotFoundError, NotADirectoryError):  # not kept yet (or no folder: reported when writing)
            return None
        except OSError as exc:
            return self._ignored(path, shown, f"it could not be read ({exc.strerror or exc})")
        body = memoryview(data)[len(MAGIC) + 32:]  # a view: an entry is mostly encoded rows, copied once below
        if not data.startswith(MAGIC) or len(data) < len(MAGIC) + 40:
            return self._ignored(path, shown, "it is damaged (it is not a whole entry)")
        if not hmac.compare_digest(data[len(MAGIC):len(MAGIC) + 32], self._sign(body)):
            return self._ignored(path, shown, "it is damaged or was changed since sheetkit wrote it (its signature "
                                              "does not match)")
        try:
            header_size = int.from_bytes(body[:8], "big")
            entry = json.loads(bytes(body[8:8 + header_size]))
            if entry.get("stamp") != self.stamp or entry.get("sha256") != sha256:
                raise ValueError("it was written for another file, framework or version of sheetkit")
            checked = _decode(entry["return"])
            checked.prepared = _decode_prepared(entry.get("prepared"), body[8 + header_size:])
        except (ValueError, TypeError, KeyError, AttributeError, UnicodeDecodeError, IndexError) as exc:
            return self._ignored(path, shown, f"it is damaged ({str(exc)[:120] or type(exc).__name__})")
        self.hits += 1
        return checked

    def put(self, sha256: str, checked: CheckedReturn) -> None:
        """Store a checked return (its answers as spool rows, and what was prepared from them), signed,
        whole or not at all."""
        if self._signing is None:
            return
        path = self.path(sha256)
        try:
            index, blobs = _encode_prepared(checked.prepared)
            header = json.dumps({"stamp": self.stamp, "sha256": sha256, "return": _encode(checked), "prepared": index},
                                ensure_ascii=False, separators=(",", ":")).encode("utf-8", "surrogatepass")
            body = len(header).to_bytes(8, "big") + header + b"".join(blobs)
            _write_whole(path, MAGIC + self._sign(body) + body)
        except (OSError, TypeError, ValueError) as exc:  # TypeError: a value JSON cannot hold
            self._unwritable(exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)[:120])

    def _sign(self, body: bytes) -> bytes:
        return _signature(self._signing, body)

    def _unwritable(self, why: str) -> None:
        if not any(f.code == "cache-unwritable" for f in self.findings):
            self.findings.append(Finding("cache-unwritable", f"the re-ingest cache {printable(str(self.folder))} "
                                         f"could not be written ({why}); the next ingest reads those returns "
                                         f"again", file=printable(str(self.folder))))

    def _ignored(self, path: Path, shown: str, why: str) -> None:
        self.findings.append(Finding("cache-ignored", f"the re-ingest cache entry {printable(path.name)} for "
                                     f"{shown} was ignored: {why}; the return was read again",
                                     file=printable(str(path))))
        return None


def _stamp(framework: Framework) -> dict:
    """What a kept result depends on besides its input: sheetkit (its version and code) and the framework."""
    return {"format": FORMAT, "sheetkit": __version__, "code": code_digest(),
            "framework": [framework.id, framework.version, framework.fingerprint]}


def _digest(stamp: dict) -> str:
    return hashlib.sha256(json.dumps(stamp, sort_keys=True).encode()).hexdigest()


def _signature(key: bytes, body: bytes) -> bytes:
    """The HMAC-SHA256 every file of the cache is signed with."""
    return hmac.new(key, body, hashlib.sha256).digest()


def _write_whole(path: Path, data: bytes) -> None:
    """Write `data` to `path` whole or not at all (a temporary file beside it, then renamed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = None
    try:
        with held():  # the temporary file is known as soon as it exists, so it is never left behind
            handle, temp = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".partial")
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temp, path)
    except BaseException:
        if temp:
            Path(temp).unlink(missing_ok=True)
        raise


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
    values["asks"] = tuple(data["asks"])
    for name in _TIMES:
        values[name] = dt.datetime.fromisoformat(data[name]) if data[name] else None
    return CheckedReturn(**values)


def _encode_prepared(prepared) -> tuple[dict | None, list[bytes]]:
    """What was prepared from a return (its actions, and its encoded rows by table) as JSON and blobs."""
    if prepared is None:
        return None, []
    actions, encoded = prepared
    blobs: list[bytes] = [encoded["responses"]]
    index = {"actions": actions, "responses": len(encoded["responses"]), "tables": {}}
    for table in ("evidence", "record"):
        index["tables"][table] = [[section, item, len(block)] for section, item, block in encoded[table]]
        blobs += [block for _, _, block in encoded[table]]
    index["tables"]["actions"] = [len(block) for block in encoded["actions"]]
    blobs += encoded["actions"]
    return index, blobs


def _decode_prepared(index: dict | None, blobs: memoryview):
    if index is None:
        return None
    at = index["responses"]
    encoded = {"responses": bytes(blobs[:at])}
    for table in ("evidence", "record"):
        encoded[table] = []
        for section, item, size in index["tables"][table]:
            encoded[table].append((section, item, bytes(blobs[at:at + size])))
            at += size
    encoded["actions"] = []
    for size in index["tables"]["actions"]:
        encoded["actions"].append(bytes(blobs[at:at + size]))
        at += size
    if at != len(blobs):
        raise ValueError("its encoded rows are not the length its index says")
    return [tuple(row) for row in index["actions"]], encoded


class KeptComparisons:
    """What comparing the Action plan's texts found, kept between runs of ingest beside the returns' entries
    (sheetkit.consolidate.plan.Comparisons): a re-ingest compares only the texts it has not compared before.

    A pair of texts is kept as a 64-bit digest keyed with the cache's signing key (so no one can make two
    texts that share one), in two sorted arrays, found near-identical or not; the file, one for each
    framework and version of sheetkit, holds the pairs the last run compared, signed as entries are, and is
    ignored with a finding when its signature fails."""

    def __init__(self, folder: Path, framework: Framework):
        self.folder = Path(folder)
        self.path = self.folder / f"{_digest(_stamp(framework))}.comparisons"
        self.findings: list[Finding] = []
        self.recalled = self.made = 0
        self._near, self._apart = array("Q"), array("Q")
        self._found: tuple[array, array] = (array("Q"), array("Q"))  # (near, apart) compared in this run
        try:
            self._signing: bytes | None = cache_key(self.folder)
        except OSError:  # the returns' cache reports it
            self._signing = None
            return
        self._load()

    def recall(self, earlier: str, later: str) -> bool | None:
        pair = self._pair(earlier, later)
        for kept, found in ((self._near, True), (self._apart, False)):
            at = bisect_left(kept, pair)
            if at < len(kept) and kept[at] == pair:
                self.recalled += 1
                self._found[0 if found else 1].append(pair)
                return found
        return None

    def remember(self, earlier: str, later: str, near: bool) -> None:
        self.made += 1
        self._found[0 if near else 1].append(self._pair(earlier, later))

    def keep(self) -> None:
        """Write what this run compared (and recalled), signed, whole or not at all."""
        if self._signing is None:
            return
        near, apart = (_sorted_once(found) for found in self._found)
        body = len(near).to_bytes(8, "big") + near.tobytes() + apart.tobytes()
        try:
            _write_whole(self.path, COMPARISONS_MAGIC + _signature(self._signing, body) + body)
        except OSError:  # the next run compares them again; the returns' cache reports an unwritable folder
            pass

    def _pair(self, earlier: str, later: str) -> int:
        text = f"{earlier}\0{later}".encode("utf-8", "surrogatepass")
        return int.from_bytes(hashlib.blake2b(text, digest_size=8, key=self._signing or b"").digest(), "big")

    def _load(self) -> None:
        try:
            data = self.path.read_bytes()
        except OSError:  # not kept yet, or unreadable: compared again
            return
        head = len(COMPARISONS_MAGIC)
        body = data[head + 32:]
        whole = data.startswith(COMPARISONS_MAGIC) and len(body) >= 8 and (len(body) - 8) % 8 == 0
        if not whole:
            return self._ignored("it is damaged (it is not a whole file)")
        if not hmac.compare_digest(data[head:head + 32], _signature(self._signing, body)):
            return self._ignored("it is damaged or was changed since sheetkit wrote it (its signature does not match)")
        count = int.from_bytes(body[:8], "big")
        values = array("Q")
        values.frombytes(body[8:])
        if count > len(values):
            return self._ignored("it is damaged (it is not a whole file)")
        self._near, self._apart = values[:count], values[count:]

    def _ignored(self, why: str) -> None:
        self.findings.append(Finding("cache-ignored", f"the re-ingest cache's comparisons of the Action plan's "
                                     f"texts ({printable(self.path.name)}) were ignored: {why}; the texts were "
                                     f"compared again", file=printable(str(self.path))))


def _sorted_once(values: array, chunk: int = 1 << 16) -> array:
    """`values` sorted, each once: sorted a chunk at a time and merged, so that at most one chunk is ever
    held as Python integers (a national collection compares millions of pairs)."""
    runs = [array("Q", sorted(values[start:start + chunk])) for start in range(0, len(values), chunk)]
    merged, last = array("Q"), None
    for value in heapq.merge(*runs):
        if value != last:
            merged.append(value)
            last = value
    return merged
