#!/usr/bin/python3
"""Open a workbook in LibreOffice's own window on a 1366x768 screen and say what that screen shows.

Standalone: it does not import sheetkit. Run it with a Python that has LibreOffice's UNO
bridge (on Debian and Ubuntu, the system /usr/bin/python3 with the python3-uno package), on an
X display (Xvfb is enough; without DISPLAY the tool starts its own Xvfb, 1366x768x24):

    /usr/bin/python3 tests/lo_uno_screen.py WORKBOOK.xlsx [--png SCREEN.png]

The workbook opens as a person opens it (the sheet and zoom it stores), in a window the
size of the screen. The JSON report on stdout::

    {"sheet": "Dashboard", "zoom": 100,
     "visible": {"first_row": 1, "last_row": 31, "first_column": "A", "last_column": "K"},
     "fully_visible": {"last_row": 30, "last_column": "J"},   # rows and columns not cut at the edge
     "png": path or null}

Rows are numbered from 1 and columns are letters, as a person sees them. With --png the
screen is saved with ImageMagick's `import` (when installed). LibreOffice and any Xvfb the
tool started are always stopped.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lo_uno_fill as lo  # noqa: E402  (the process and profile handling, shared)

SCREEN = (1366, 768)


class VisibleOffice(lo.Office):
    """A soffice with its window on the display, not headless."""

    def start(self) -> None:
        (self.profile / "user").mkdir(parents=True, exist_ok=True)
        (self.profile / "user" / "registrymodifications.xcu").write_text(_settings(), "utf-8")
        last = ""
        for attempt in range(1, lo.LAUNCH_ATTEMPTS + 1):
            pipe = f"sheetkit_screen_{os.getpid()}_{attempt}"
            with open(self.log, "ab") as log:
                self.proc = subprocess.Popen(
                    [self.soffice, "--nologo", "--norestore", "--nodefault", "--nolockcheck", "--nofirststartwizard",
                     f"-env:UserInstallation={self.profile.as_uri()}", f"--accept=pipe,name={pipe};urp;"],
                    stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)
            try:
                self.ctx = self._connect(pipe)
                self.desktop = self.ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop",
                                                                                 self.ctx)
                return
            except lo.FillError as exc:
                last = str(exc)
                self._kill()
                time.sleep(2)
        raise lo.FillError(f"could not start LibreOffice in a window: {last}; log: {self._log_tail()}")


def _settings() -> str:
    """A first-run profile that opens no tips or what's-new bar over the sheet."""
    items = [("/org.openoffice.Office.Common/Misc", "ShowTipOfTheDay", "false"),
             ("/org.openoffice.Office.Common/Misc", "FirstRun", "false"),
             ("/org.openoffice.Setup/Office", "FirstStartWizardCompleted", "true")]
    body = "\n".join(f'<item oor:path="{p}"><prop oor:name="{n}" oor:op="fuse"><value>{v}</value></prop></item>'
                     for p, n, v in items)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<oor:items xmlns:oor="http://openoffice.org/2001/registry" '
            'xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n'
            f"{body}\n</oor:items>\n")


def column_letters(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def look(office: VisibleOffice, source: Path, png: Path | None) -> dict:
    url = source.resolve().as_uri()
    doc = office.desktop.loadComponentFromURL(url, "_blank", 0, ())
    frame = doc.getCurrentController().getFrame()
    frame.getContainerWindow().setPosSize(0, 0, SCREEN[0], SCREEN[1], 15)
    time.sleep(3)  # let the window lay itself out at its new size
    controller = doc.getCurrentController()
    visible = controller.getVisibleRange()
    sheet = controller.getActiveSheet()
    full_row, full_col = visible.EndRow, visible.EndColumn
    # The last row and column are often cut at the window's edge: count them only when wholly in view.
    area = controller.getPropertyValue("VisibleArea")  # 1/100 mm
    rows, cols = sheet.getRows(), sheet.getColumns()
    top = sum(rows.getByIndex(r).Height for r in range(0, visible.EndRow + 1))
    left = sum(cols.getByIndex(c).Width for c in range(0, visible.EndColumn + 1))
    if top > area.Y + area.Height:
        full_row -= 1
    if left > area.X + area.Width:
        full_col -= 1
    report = {"sheet": sheet.getName(), "zoom": controller.getPropertyValue("ZoomValue"),
              "visible": {"first_row": visible.StartRow + 1, "last_row": visible.EndRow + 1,
                          "first_column": column_letters(visible.StartColumn),
                          "last_column": column_letters(visible.EndColumn)},
              "fully_visible": {"last_row": full_row + 1, "last_column": column_letters(full_col)},
              "png": None}
    if png is not None and shutil.which("import"):
        subprocess.run(["import", "-window", "root", str(png)], check=True, timeout=60)
        report["png"] = str(png)
    doc.close(True)
    return report


def start_xvfb() -> tuple[subprocess.Popen, str]:
    """An Xvfb of the screen's size on a display number it picks itself (-displayfd), so runs never collide."""
    read, write = os.pipe()
    proc = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", f"{SCREEN[0]}x{SCREEN[1]}x24",
                             "-nolisten", "tcp"], pass_fds=(write,), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    os.close(write)
    with os.fdopen(read) as handle:
        number = handle.readline().strip()  # written once the display accepts connections
    if not number:
        proc.kill()
        raise lo.FillError("Xvfb did not start")
    return proc, f":{number}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workbook")
    parser.add_argument("--png", default=None)
    parser.add_argument("--soffice", default=os.environ.get("SOFFICE") or shutil.which("soffice") or "/usr/bin/soffice")
    args = parser.parse_args()
    own_display = not os.environ.get("DISPLAY")
    error = ""
    for _ in range(3):  # a display another program starts at the same moment can take ours: start afresh
        xvfb = None
        work = Path(tempfile.mkdtemp(prefix="lo-screen-"))
        office = VisibleOffice(args.soffice, "en-GB", work)
        try:
            if own_display:
                xvfb, os.environ["DISPLAY"] = start_xvfb()
            office.start()
            copy = work / Path(args.workbook).name
            shutil.copy(args.workbook, copy)  # lock files stay in the private folder
            print(json.dumps(look(office, copy, Path(args.png).resolve() if args.png else None)))
            return 0
        except lo.FillError as exc:
            error = f"{type(exc).__name__}: {exc}"
        except Exception as exc:  # a UNO failure: report it, never hang
            print(json.dumps({"error": f"{type(exc).__name__}: {exc}"}))
            return 1
        finally:
            office.close()
            shutil.rmtree(work, ignore_errors=True)
            if xvfb is not None:
                xvfb.terminate()
                xvfb.wait(timeout=10)
    print(json.dumps({"error": error}))
    return 1


if __name__ == "__main__":
    sys.exit(main())
