"""Where results are written: never over an input, and every output of a command whole or not at all.

A command gathers everything it writes in one :class:`AllOrNothing`: files that replace others
(the manifest, ``chase.csv``, the consolidated workbook), new files (workbooks, drafts), files
in folders made for the run (a day's drafts, the feedback folder), and files an earlier run
wrote that this one takes away (that day's earlier drafts). It does not matter which folder
each is in. Every file is written first to a hidden temporary file beside its final name
(``.NAME.<run>.partial``); only when all of them are written are they put in place:

1. every target is checked: an existing file is opened for writing, so one open in Excel on
   Windows, read-only or immutable is found now, and every folder is probed, all before
   anything moves;
2. each file is renamed into place, the file it replaces first set aside under a hidden name
   (``.NAME.<run>.aside``);
3. when every rename has succeeded, the files set aside are deleted.

If a rename fails (a file locked after the check) or Ctrl-C arrives during these steps, the
renames done are undone and the files set aside are put back. Temporary files, files set
aside and folders made for the run are removed however the run ends: an error, a full disk,
Ctrl-C or a request to stop. A file that cannot be written stops the run with a message that
names it and says what to do.
"""

from __future__ import annotations

import errno
import os
import secrets
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from xlsxwriter.exceptions import FileCreateError

from .errors import SheetkitError, UsageError
from .interrupts import held
from .text import printable

_LOCKED = {errno.EACCES, errno.EPERM, errno.EROFS, errno.EBUSY, errno.ETXTBSY}
_FULL = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC), errno.EFBIG}
_WINDOWS_LOCKED = {32, 33}  # ERROR_SHARING_VIOLATION, ERROR_LOCK_VIOLATION


class OutputError(SheetkitError):
    """An output file could not be written; nothing half-written was left behind."""

    exit_code = 4


_PLACED: list[Path] = []


def placed() -> list[Path]:
    """Every output this process has put in place: what a Ctrl-C that comes afterwards can no longer undo."""
    return list(_PLACED)


def refuse_inputs_as_outputs(outputs: dict[str, Path], reads: list[str | Path]) -> None:
    """Refuse outputs that are a file sheetkit reads, lie inside a folder it reads, or are the same as each other.

    `outputs` maps each option (``--out``) to its path; `reads` are the files and folders the
    command reads (returns and their folders, the manifest, framework folders). Links and other
    spellings of a path count as the file they lead to.
    """
    folders = [Path(given) for given in reads if Path(given).is_dir()]
    files = {_identity(Path(given)): Path(given) for given in reads if Path(given).is_file()}
    for folder in folders:
        for root, _, names in os.walk(folder):
            files.update({_identity(Path(root, name)): Path(root, name) for name in names})
    named = list(outputs.items())
    for n, (option, path) in enumerate(named):
        for folder in folders:
            if _inside(path, folder):
                raise _refusal(option, path, f"is inside {printable(str(folder))}, a folder sheetkit reads; "
                                             f"write it outside that folder")
        if path.exists() and _identity(path) in files:
            raise _refusal(option, path, f"is {printable(str(files[_identity(path)]))}, a file sheetkit reads; "
                                         f"write it to another file")
        for other, other_path in named[n + 1:]:
            if _same(path, other_path):
                raise _refusal(option, path, f"is also given as {other}; give each output its own file")


def _refusal(option: str, path: Path, why: str) -> UsageError:
    return UsageError(f"{option} {printable(str(path))} {why}. Nothing was written, and no input was changed.")


def _identity(path: Path) -> tuple[int, int] | Path:
    """What makes two names the same file: its device and inode where the system has them."""
    try:
        stat = path.stat()
    except OSError:
        return path.resolve()
    return (stat.st_dev, stat.st_ino) if stat.st_ino else path.resolve()


def _same(a: Path, b: Path) -> bool:
    if a.exists() and b.exists():
        return _identity(a) == _identity(b)  # also a hard link, or another spelling on a case-insensitive disk
    return os.path.normcase(a.resolve()) == os.path.normcase(b.resolve())


def _inside(path: Path, folder: Path) -> bool:
    """Whether `path`, existing or not, is `folder` or anywhere below it (through links too)."""
    target, inside = path.resolve(), _identity(folder)
    return any(_identity(parent) == inside for parent in (target, *target.parents) if parent.exists())


@dataclass
class _Output:
    """One file a command writes (or takes away), and where it is while the run lasts."""

    path: Path
    what: str  # 'the consolidated workbook', as messages name it
    option: str | None  # the option that names it or its folder, for "give --out another file"
    other: str  # what that option names: 'file' or 'folder'
    temp: Path
    aside: Path
    removed: bool = False  # an existing file the run takes away
    existed: bool | None = None  # whether the target was there when first checked
    moved: str = ""  # '', 'aside' (the file it replaces set aside), 'placed'


class AllOrNothing:
    """Every output of one command, written to temporary files and put in place together, or not at all.

        with AllOrNothing({"--out": out, "--csv": csv}, {"--out": "the consolidated workbook"}) as outputs:
            outputs.check()  # before the long work: a locked output is found now
            ...  # the long work
            outputs.write("--out", lambda temp: write_workbook(temp))
        # on leaving: every file written is put in place, or none, and folders made for nothing are gone

    The keys of the first argument are the options that name the files, or (with `option`) the
    names of files that lie in the folder that option names.
    """

    def __init__(self, outputs: dict[str, Path | None] | None = None, what: dict[str, str] | None = None,
                 option: str | None = None):
        self._run = secrets.token_hex(4)  # marks every temporary file of this run, and nothing else
        self._items: dict[str, _Output] = {}
        self._made: list[Path] = []  # folders made for the run, outermost first
        self._kept: set[Path] = set()  # files set aside that could not be put back: never deleted
        self._active = False  # inside the with block: only then is anything made on disk
        self._probed: set[Path] = set()  # folders found writable in the current round of checks
        for key, path in (outputs or {}).items():
            if path is not None:
                self._register(key, Path(path), (what or {}).get(key, "the output"), option or key,
                               "folder" if option else "file")

    @property
    def outputs(self) -> dict[str, Path]:
        """Each output's key and final path."""
        return {key: out.path for key, out in self._items.items() if not out.removed}

    def add(self, key: str, path: Path, what: str, option: str | None = None, other: str = "file") -> None:
        """Another output (named by `option`, or lying in the `other` it names); checked at once inside the
        with block, by check() before it."""
        out = self._register(key, Path(path), what, option, other)
        if self._active:
            self._check(out)

    def remove(self, key: str, path: Path, what: str, option: str | None = None, other: str = "folder") -> None:
        """An existing file the run takes away when it puts its outputs in place (an earlier draft, say)."""
        out = self._register(key, Path(path), what, option, other)
        out.removed = True
        if self._active:
            self._check(out)

    def check(self) -> None:
        """Fail now if an output cannot be written (locked, read-only, no folder), making the folders it needs.

        Call it inside the with block, so that folders it makes are taken away again if the run fails."""
        self._probed = set()
        for out in self._items.values():
            self._check(out)

    def check_folder(self, folder: Path, what: str, option: str | None = None) -> None:
        """Fail now if files cannot be written into `folder` (made if missing), before they are known by name."""
        probe = self._register(f"folder {folder}", Path(folder) / "_", what, option, "folder")
        try:
            self._check(probe)
        finally:
            del self._items[f"folder {folder}"]

    def temp(self, key: str) -> Path:
        """Where `key`'s file is written while the run lasts; it is put in place if it is there at the end."""
        out = self._items[key]
        self._make_folder(out)
        return out.temp

    def explained(self, key: str):
        """A context in which an OSError met writing `key`'s file becomes an OutputError naming that file."""
        return _explained(self._items[key])

    def write(self, key: str, write: Callable[[str], None]) -> None:
        """Call `write` with the temporary path of `key`'s file."""
        out = self._items[key]
        with _explained(out):
            write(str(self.temp(key)))

    def __enter__(self) -> "AllOrNothing":
        self._active = True
        return self

    def __exit__(self, kind, exc, tb) -> None:
        try:
            if kind is None:
                self._put_in_place()
        finally:
            with held():  # a second Ctrl-C waits until the temporary files are gone
                self._clear()
            self._active = False

    def _register(self, key: str, path: Path, what: str, option: str | None, other: str) -> _Output:
        stem = f".{path.name}.{self._run}"
        self._items[key] = _Output(path, what, option, other, path.with_name(stem + ".partial"),
                                   path.with_name(stem + ".aside"))
        return self._items[key]

    def _make_folder(self, out: _Output) -> None:
        """Make the folder `out` goes into, and any missing above it, each remembered so a failed run
        takes it away again."""
        if not self._active:  # outside the with block nothing would take them away
            raise RuntimeError("AllOrNothing: files are written only inside its with block")
        missing = []
        for folder in (out.path.parent, *out.path.parent.parents):
            if os.path.lexists(folder):
                break
            missing.append(folder)
        with _explained(out):
            for folder in reversed(missing):
                self._made.append(folder)  # remembered first: a Ctrl-C between the two cannot lose it
                folder.mkdir(exist_ok=True)

    def _check(self, out: _Output) -> None:
        """Whether `out` can be written: its folder made and probed, an existing target opened for writing."""
        self._make_folder(out)
        with _explained(out):
            exists = os.path.lexists(out.path)
            out.existed = exists if out.existed is None else out.existed
            if exists and out.path.is_dir():
                raise IsADirectoryError(errno.EISDIR, "it is a folder", str(out.path))
            if exists:
                with open(out.path, "r+b"):  # fails if another program (Excel) holds it, or it is read-only
                    pass
            if out.path.parent in self._probed:
                return
            with held():  # made and gone before a Ctrl-C can act
                with tempfile.NamedTemporaryFile(dir=out.path.parent, prefix=f".{out.path.name}.{self._run}.",
                                                 suffix=".probe"):
                    pass
            self._probed.add(out.path.parent)

    def _put_in_place(self) -> None:
        """Check every target, then rename each file into place; undo them all if any fails or Ctrl-C comes."""
        moving = [out for out in self._items.values() if out.removed or out.temp.exists()]
        with held() as stop:
            self._probed = set()
            try:
                for out in moving:  # nothing moves until every target is known to be writable
                    self._check(out)
                for out in moving:
                    with _explained(out):
                        _move(out)
            except BaseException as exc:
                self._undo(moving, exc)
                raise
            if stop.stopping:  # as if Ctrl-C had come just before: everything as it was
                self._undo(moving, None)
                return
            for out in moving:
                _unlink(out.aside)
            _PLACED.extend(out.path for out in moving if not out.removed)

    def _undo(self, moving: list[_Output], cause: BaseException | None) -> None:
        """Put every file back as it was; say exactly what could not be put back, and where it is."""
        trouble = []
        for out in reversed(moving):
            try:
                _move_back(out)
            except OSError as exc:
                if os.path.lexists(out.aside):
                    self._kept.add(out.aside)
                trouble.append(f"{printable(str(out.path))} could not be put back as it was "
                               f"({exc.strerror or exc})" + (f"; its earlier version is {printable(str(out.aside))}: "
                                                            f"rename it back once the file is free"
                                                            if os.path.lexists(out.aside) else ""))
        if trouble:
            first = f"{cause} " if isinstance(cause, SheetkitError) else ""
            raise OutputError(f"{first}Undoing the files already moved failed: {'; '.join(trouble)}.") from None

    def _clear(self) -> None:
        """Remove this run's temporary files, and the folders made for it that nothing was put in."""
        mark = f".{self._run}."
        for folder in {out.path.parent for out in self._items.values()}:
            try:
                entries = list(os.scandir(folder))
            except OSError:
                continue
            for entry in entries:
                if entry.name.startswith(".") and mark in entry.name and Path(entry.path) not in self._kept:
                    _unlink(Path(entry.path))
        for folder in reversed(self._made):
            try:
                folder.rmdir()  # only if empty: nothing the run or anyone else put there is removed
            except OSError:
                pass


def _move(out: _Output) -> None:
    if os.path.lexists(out.path):
        os.replace(out.path, out.aside)
        out.moved = "aside"
    if not out.removed:
        os.replace(out.temp, out.path)
        out.moved = "placed"


def _move_back(out: _Output) -> None:
    if out.moved == "placed" and not os.path.lexists(out.aside):
        os.unlink(out.path)
    elif out.moved:
        os.replace(out.aside, out.path)
    out.moved = ""


def _unlink(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass
    except OSError:  # a scanner holding it for a moment, say: a stray hidden file, never a lost output
        pass


@contextmanager
def _explained(out: _Output):
    """Turn an OSError met while writing `out` into an OutputError that says what to do."""
    try:
        yield
    except FileCreateError as exc:  # XlsxWriter wraps the error it met when saving
        if not isinstance(exc.args[0], OSError):
            raise
        raise OutputError(explain(exc.args[0], out.path, out.what, out.option, out.other, out.existed)) from None
    except OSError as exc:
        raise OutputError(explain(exc, out.path, out.what, out.option, out.other, out.existed)) from None


def explain(exc: OSError, path: Path, what: str, option: str | None, other: str = "file",
            existed: bool | None = None) -> str:
    """A message for a file that could not be written: which file, why, and what to do."""
    name = printable(str(path))
    elsewhere = f"give {option} another {other}" if option else f"choose another {other}"
    existed = os.path.lexists(path) if existed is None else existed
    unchanged = f"Nothing was written: {name} is as it was." if existed else "Nothing was written."
    if exc.errno in _FULL:
        return (f"cannot write {what} {name}: the disk is full. Free some space, or {elsewhere}, and run "
                f"again. {unchanged}")
    locked = (exc.errno in _LOCKED or getattr(exc, "winerror", None) in _WINDOWS_LOCKED
              or isinstance(exc, PermissionError))
    if locked and _about(exc, path):
        return (f"cannot write {what} {name}: it is open in another program (such as Excel) or read-only. Close "
                f"it in Excel (or {elsewhere}), and run again. {unchanged}")
    if locked:  # the folder refused a new file (the temporary one, or a folder inside it)
        folder = printable(str(Path(os.fsdecode(exc.filename)).parent if exc.filename else path.parent))
        return (f"cannot write {what} {name}: the folder {folder} cannot be written to (it is read-only, or you "
                f"may not write there). Make it writable, or {elsewhere}, and run again. {unchanged}")
    if isinstance(exc, IsADirectoryError) and _about(exc, path):
        return f"cannot write {what} {name}: it is a folder. Give a file name ({elsewhere}), and run again. {unchanged}"
    reason = exc.strerror or type(exc).__name__
    return (f"cannot write {what} {name} ({reason}). Check that the folder exists and that you may write "
            f"there, and run again. {unchanged}")


def _about(exc: OSError, path: Path) -> bool:
    """Whether the error is about the file itself (rather than its folder or a temporary file beside it)."""
    named = [n for n in (exc.filename, exc.filename2) if n is not None]
    return not named or any(os.path.normcase(os.fsdecode(n)) == os.path.normcase(str(path)) for n in named)
