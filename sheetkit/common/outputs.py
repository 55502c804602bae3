"""Where results are written: never over an input, and every file whole or not at all.

Each output is written to a hidden ``.NAME.partial`` file beside it and moved into place only
when every output has been written, so an output is either the complete new file or the
file as it was. Temporary files are removed however the run ends (an error, a full disk,
Ctrl-C). A file that cannot be written (open in Excel, read-only, the disk full) stops the
run with a message that names the file and says what to do.
"""

from __future__ import annotations

import errno
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Callable

from xlsxwriter.exceptions import FileCreateError

from .errors import SheetkitError, UsageError
from .text import printable

_LOCKED = {errno.EACCES, errno.EPERM, errno.EROFS, errno.EBUSY, errno.ETXTBSY}
_FULL = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC), errno.EFBIG}
_WINDOWS_LOCKED = {32, 33}  # ERROR_SHARING_VIOLATION, ERROR_LOCK_VIOLATION


class OutputError(SheetkitError):
    """An output file could not be written; nothing half-written was left behind."""

    exit_code = 4


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


def _temp(path: Path) -> Path:
    return path.with_name(f".{path.name}.partial")


class AllOrNothing:
    """Write several outputs through temporary files; move them into place together on success.

        outputs = AllOrNothing({"--out": out, "--csv": csv})
        outputs.check()  # before the long work
        with outputs:
            outputs.write("--out", lambda temp: write_workbook(temp))
    """

    def __init__(self, outputs: dict[str, Path | None], what: dict[str, str] | None = None,
                 option: str | None = None):
        self.outputs = {option: Path(path) for option, path in outputs.items() if path is not None}
        self.what = what or {}
        self.option = option  # the folder option that names them all, when the keys are the files in that folder

    def check(self) -> None:
        """Fail now, before any work, if an output cannot be written (locked, read-only, no folder)."""
        for option, path in self.outputs.items():
            with self._explained(option, path):
                path.parent.mkdir(parents=True, exist_ok=True)
                if path.exists():
                    with open(path, "r+b"):  # fails if the file is read-only or another program locks it
                        pass
                with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", suffix=".probe"):
                    pass

    def add(self, option: str, path: Path, what: str) -> None:
        """Another output, found to be needed once the work has started; checked at once."""
        self.outputs[option], self.what[option] = Path(path), what
        with self._explained(option, self.outputs[option]):
            self.check()

    def temp(self, option: str) -> Path:
        """Where `option`'s file is written before it is moved into place."""
        return _temp(self.outputs[option])

    def write(self, option: str, write: Callable[[str], None]) -> None:
        """Call `write` with the temporary path for `option`'s file."""
        path = self.outputs[option]
        with self._explained(option, path):
            write(str(_temp(path)))

    def temporary(self, option: str) -> Path:
        """Where `option`'s file is while the run lasts (for a later output that reads an earlier one)."""
        return _temp(self.outputs[option])

    def __enter__(self) -> "AllOrNothing":
        return self

    def __exit__(self, kind, exc, tb) -> None:
        try:
            if kind is None:
                self.check()
                for option, path in self.outputs.items():
                    with self._explained(option, path):
                        os.replace(_temp(path), path)
        finally:
            for path in self.outputs.values():
                for leftover in (_temp(path), _temp(path).with_name(_temp(path).name + ".stream")):
                    try:
                        leftover.unlink()
                    except FileNotFoundError:
                        pass

    def _explained(self, option: str, path: Path):
        if self.option:
            return _explained(self.option, path, self.what.get(option, "the output"), "folder")
        return _explained(option, path, self.what.get(option, "the output"))


@contextmanager
def _explained(option: str, path: Path, what: str, other: str = "file"):
    """Turn an OSError met while writing `path` into an OutputError that says what to do."""
    try:
        yield
    except FileCreateError as exc:  # XlsxWriter wraps the error it met when saving
        if not isinstance(exc.args[0], OSError):
            raise
        raise OutputError(explain(exc.args[0], path, what, option, other)) from None
    except OSError as exc:
        raise OutputError(explain(exc, path, what, option, other)) from None


def explain(exc: OSError, path: Path, what: str, option: str | None, other: str = "file") -> str:
    """A message for a file that could not be written: which file, why, and what to do."""
    name = printable(str(path))
    elsewhere = f"give {option} another {other}" if option else f"choose another {other}"
    unchanged = f"Nothing was written: {name} is as it was." if path.exists() else "Nothing was written."
    if exc.errno in _FULL:
        return (f"cannot write {what} {name}: the disk is full. Free some space, or {elsewhere}, and run "
                f"again. {unchanged}")
    if exc.errno in _LOCKED or getattr(exc, "winerror", None) in _WINDOWS_LOCKED or isinstance(exc, PermissionError):
        return (f"cannot write {what} {name}: it is open in another program (such as Excel) or read-only. Close "
                f"it in Excel (or {elsewhere}), and run again. {unchanged}")
    reason = exc.strerror or type(exc).__name__
    return (f"cannot write {what} {name} ({reason}). Check that the folder exists and that you may write "
            f"there, and run again. {unchanged}")
