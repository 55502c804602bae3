#!/usr/bin/python3
"""Fill a workbook in a real LibreOffice, as a respondent would, and save it as .xlsx and .ods.

Standalone: it does not import sheetkit. Run it with a Python that has LibreOffice's UNO
bridge (on Debian and Ubuntu, the system /usr/bin/python3 with the python3-uno package):

    /usr/bin/python3 tests/lo_uno_fill.py INPUT.xlsx PLAN.json OUT_BASENAME

PLAN.json is either a list of cells, or an object::

    {"locale": "en-GB",
     "cells":  [{"sheet": "Action plan", "cell": "E5", "text": "31/12/2026"},
                {"sheet": "Action plan", "cell": "F5", "text": "High", "how": "pick"}],
     "locked": [{"sheet": "Start", "cell": "A1"}]}

How a cell is filled ("how"):

``type`` (default)
    Keystrokes into the selected cell, then Enter, through LibreOffice's own UI test
    machinery (the ``org.libreoffice.uitest.UITest`` service): the text goes through
    Calc's input handler exactly as typing does, so it is parsed in the locale (dates,
    numbers), AutoCorrect and AutoInput apply, data validation can refuse it, and sheet
    protection refuses typing into locked cells. A newline in the text is typed as
    Ctrl+Enter, Calc's line break within a cell.
``pick``
    Opens the cell's validation dropdown and picks the entry whose text equals "text".
``paste``
    Puts "text" into the cell as text through the API (XCell.setString). Like pasting,
    it bypasses data validation; note that the API also ignores sheet protection.
``value``
    Puts the number float("text") into the cell through the API (a pasted number).
``copy``
    Copies the cell named by "from" (on the same sheet) and pastes it into the cell, with
    Ctrl+C and Ctrl+V's own commands (.uno:Copy, .uno:Paste), so the cell gets what a paste
    brings: the source's value and look, on a sheet that stays protected.

Cells to look at ("shown": [{"sheet": ..., "cell": ...}]) are read after everything is filled
and the document recalculated: the report gives each one's shown text, and a PDF of that cell
alone, printed as LibreOffice draws it (its conditional formats applied), under "pdf".

Locked cells ("locked") are typed into (the text "Typed over a locked cell" unless the
entry gives one) and reported as refused when their content is unchanged.

If the UI test service is missing (method "dispatch", or --method dispatch), typing falls
back to the dispatcher's .uno:EnterString, which parses in the locale and honours sheet
protection but skips validation, AutoCorrect and AutoInput.

LibreOffice runs headless with a fresh profile (-env:UserInstallation) whose locale is
set to the plan's locale, on a private pipe; the input is copied to a private folder
first so lock files never land beside it. The JSON report on stdout says what every cell
held before and after, which locked cells were refused and where the files were saved.
soffice is always stopped at the end, and the whole run is bounded by --timeout.

Exit status: 0 done; 1 something failed (the report says what under "error", or a cell's
"error"); 2 bad command line; 3 timed out.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

try:
    import uno
    from com.sun.star.beans import PropertyValue
except ImportError:  # pragma: no cover - depends on the Python used
    sys.stderr.write("lo_uno_fill.py needs the LibreOffice UNO bridge (python3-uno); run it with the "
                     "system Python, e.g. /usr/bin/python3\n")
    sys.exit(2)

XLSX_FILTER = "Calc MS Excel 2007 XML"
ODS_FILTER = "calc8"
FILTERS = {"xlsx": XLSX_FILTER, "ods": ODS_FILTER}
LOCKED_TEXT = "Typed over a locked cell"
HOWS = ("type", "pick", "paste", "value", "copy")
CONNECT_SECONDS = 60
LAUNCH_ATTEMPTS = 2
_CELL = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d+)$")
_our_groups: list[int] = []  # soffice process groups, killed by the watchdog on a time-out
_our_dirs: list[Path] = []  # temporary folders, removed by the watchdog on a time-out


class FillError(Exception):
    pass


def prop(name: str, value) -> PropertyValue:
    p = PropertyValue()
    p.Name, p.Value = name, value
    return p


def cell_position(name: str) -> tuple[int, int]:
    """(column, row), both from zero, of 'E7'."""
    match = _CELL.match(name.strip())
    if not match:
        raise FillError(f"'{name}' is not a cell name such as E7")
    col = 0
    for ch in match[1].upper():
        col = col * 26 + ord(ch) - 64
    return col - 1, int(match[2]) - 1


# -- LibreOffice process ----------------------------------------------------------------
def profile_settings(locale: str) -> str:
    """registrymodifications.xcu for a fresh profile: the locale a respondent would have."""
    items = [
        ("/org.openoffice.Setup/L10N", "ooSetupSystemLocale", locale),
        ("/org.openoffice.Office.Linguistic/General", "DefaultLocale", locale),
    ]
    body = "\n".join(
        f'<item oor:path="{path}"><prop oor:name="{name}" oor:op="fuse"><value>{value}</value></prop></item>'
        for path, name, value in items)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<oor:items xmlns:oor="http://openoffice.org/2001/registry" '
            'xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n'
            f"{body}\n</oor:items>\n")


class Office:
    """One headless soffice with its own profile and pipe, always stopped by close().

    With `dialogs`, soffice runs without --headless on LibreOffice's own display-less window
    system (SAL_USE_VCLPLUGIN=svp), so that dialogs open and can be answered through the UI test
    service as a person answers them (--headless cancels every dialog unseen)."""

    def __init__(self, soffice: str, locale: str, work: Path, dialogs: bool = False):
        self.soffice, self.locale, self.work, self.dialogs = soffice, locale, work, dialogs
        self.proc: subprocess.Popen | None = None
        self.profile = Path(tempfile.mkdtemp(prefix="lo-profile-"))
        _our_dirs.append(self.profile)
        self.log = work / "soffice.log"
        self.ctx = None
        self.desktop = None

    def start(self) -> None:
        (self.profile / "user").mkdir(parents=True, exist_ok=True)
        (self.profile / "user" / "registrymodifications.xcu").write_text(profile_settings(self.locale), "utf-8")
        temp = self.work / "tmp"  # soffice's own temporary files stay in the private folder
        temp.mkdir(exist_ok=True)
        env = dict(os.environ, TMPDIR=str(temp), TMP=str(temp), TEMP=str(temp))
        mode = ["--headless"]
        if self.dialogs:
            env["SAL_USE_VCLPLUGIN"], mode = "svp", []
        last = ""
        for attempt in range(1, LAUNCH_ATTEMPTS + 1):
            pipe = f"sheetkit_lo_{os.getpid()}_{uuid.uuid4().hex[:12]}"
            with open(self.log, "ab") as log:
                self.proc = subprocess.Popen(
                    [self.soffice, *mode, "--invisible", "--nologo", "--norestore", "--nodefault",
                     "--nolockcheck", "--nofirststartwizard", f"-env:UserInstallation={self.profile.as_uri()}",
                     f"--accept=pipe,name={pipe};urp;StarOffice.ComponentContext"],
                    stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env, start_new_session=True)
            _our_groups.append(self.proc.pid)
            try:
                self.ctx = self._connect(pipe)
                smgr = self.ctx.ServiceManager
                self.desktop = smgr.createInstanceWithContext("com.sun.star.frame.Desktop", self.ctx)
                return
            except FillError as exc:
                last = str(exc)
                self._kill()
        raise FillError(f"could not start LibreOffice after {LAUNCH_ATTEMPTS} attempts: {last}; "
                        f"log: {self._log_tail()}")

    def _connect(self, pipe: str):
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
        deadline = time.monotonic() + CONNECT_SECONDS
        error = ""
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise FillError(f"soffice exited with status {self.proc.returncode} before accepting a connection")
            try:
                return resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
            except Exception as exc:  # NoConnectException until soffice listens
                error = str(exc)
                time.sleep(0.25)
        raise FillError(f"no connection to soffice within {CONNECT_SECONDS} s ({error})")

    def setting(self, path: str, name: str):
        provider = self.ctx.ServiceManager.createInstanceWithContext(
            "com.sun.star.configuration.ConfigurationProvider", self.ctx)
        access = provider.createInstanceWithArguments("com.sun.star.configuration.ConfigurationAccess",
                                                      (prop("nodepath", path),))
        return access.getByName(name)

    def close(self) -> None:
        if self.desktop is not None:
            # A dialog left open (dialogs mode) would block terminate(): wait a little, then kill.
            quit_ = threading.Thread(target=self._terminate, daemon=True)
            quit_.start()
            quit_.join(15)
        if self.proc is not None:
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                pass
        self._kill()
        shutil.rmtree(self.profile, ignore_errors=True)

    def _terminate(self) -> None:
        try:
            self.desktop.terminate()
        except Exception:  # the bridge goes away as soffice quits
            pass

    def _kill(self) -> None:
        """Stop the whole process group (the soffice wrapper and soffice.bin)."""
        if self.proc is None:
            return
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                break
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                self.proc.poll()  # reap the wrapper, or the group never looks empty
                try:
                    os.killpg(self.proc.pid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.1)
            else:
                continue
            break
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass

    def _log_tail(self) -> str:
        try:
            return self.log.read_text("utf-8", "replace")[-800:].strip() or "(empty)"
        except OSError:
            return "(none)"


# -- filling ------------------------------------------------------------------------------
class Filler:
    def __init__(self, office: Office, doc, method: str):
        self.office, self.doc = office, doc
        ctx = office.ctx
        self.smgr = ctx.ServiceManager
        self.controller = doc.getCurrentController()
        self.frame = self.controller.getFrame()
        self.dispatcher = self.smgr.createInstanceWithContext("com.sun.star.frame.DispatchHelper", ctx)
        self.ui = self._grid = None
        if method in ("auto", "keys"):
            try:
                self.ui = self.smgr.createInstanceWithContext("org.libreoffice.uitest.UITest", ctx)
            except Exception:
                self.ui = None
            if self.ui is None and method == "keys":
                raise FillError("the org.libreoffice.uitest.UITest service is not available in this LibreOffice")
        self.method = "keys" if self.ui is not None else "dispatch"
        if self.ui is not None:
            self.grid()

    # where
    def sheet(self, name: str):
        sheets = self.doc.getSheets()
        if not sheets.hasByName(name):
            raise FillError(f"no sheet '{name}' (sheets: {', '.join(sheets.getElementNames())})")
        return sheets.getByName(name)

    def go_to(self, sheet_name: str, cell: str, controller=None, frame=None):
        controller = controller or self.controller
        sheet = self.sheet(sheet_name)
        controller.setActiveSheet(sheet)
        self.dispatcher.executeDispatch(frame or self.frame, ".uno:GoToCell", "", 0, (prop("ToPoint", cell),))
        return sheet.getCellRangeByName(cell)

    # how
    def grid(self):
        """The document's cell grid, found once: a refusal leaves a message box behind (headless
        LibreOffice never shows it) that the UI test service then takes for the top window."""
        if self._grid is None:
            self._grid = self.ui.getTopFocusWindow().getChild("grid_window")
        return self._grid

    def type_keys(self, text: str) -> None:
        grid = self.grid()
        for n, line in enumerate(text.split("\n")):
            if n:
                grid.executeAction("TYPE", (prop("KEYCODE", "CTRL+RETURN"),))
            if line:
                grid.executeAction("TYPE", (prop("TEXT", line),))
        grid.executeAction("TYPE", (prop("KEYCODE", "RETURN"),))

    def enter_string(self, text: str, frame=None) -> None:
        self.dispatcher.executeDispatch(frame or self.frame, ".uno:EnterString", "", 0, (prop("StringName", text),))

    def pick(self, cell_name: str, text: str) -> str | None:
        """Choose `text` from the cell's dropdown; return an error message, or None."""
        if self.ui is None:
            self.enter_string(text)
            return None
        col, row = cell_position(cell_name)
        self.grid().executeAction("LAUNCH", (prop("SELECTMENU", ""), prop("COL", str(col)), prop("ROW", str(row))))
        try:
            entries = self.ui.getTopFocusWindow().getChild("list")
        except Exception:
            return "no dropdown list opened for this cell"
        count = int(_state(entries).get("Children", "0"))
        texts = []
        for index in range(count):
            entry = entries.getChild(str(index))
            texts.append(_state(entry).get("Text", ""))
            if texts[-1] == text:
                entry.executeAction("SELECT", ())
                entries.executeAction("TYPE", (prop("KEYCODE", "RETURN"),))
                return None
        entries.executeAction("TYPE", (prop("KEYCODE", "ESCAPE"),))
        return f"'{text}' is not in the dropdown ({'; '.join(texts)})"

    def fill(self, entry: dict) -> dict:
        sheet_name, cell_name, text = entry["sheet"], entry["cell"], str(entry.get("text", ""))
        how = entry.get("how", "type")
        report = {"sheet": sheet_name, "cell": cell_name, "text": text, "how": how}
        if how not in HOWS:
            report["error"] = f"unknown how '{how}'; use one of {', '.join(HOWS)}"
            return report
        cell = self.go_to(sheet_name, cell_name)
        report["before"] = content(cell)
        error = None
        if how == "type":
            self.type_keys(text) if self.ui is not None else self.enter_string(text)
        elif how == "pick":
            error = self.pick(cell_name, text)
        elif how == "paste":
            cell.setString(text)
        elif how == "copy":
            self.go_to(sheet_name, entry.get("from", ""))
            self.dispatcher.executeDispatch(self.frame, ".uno:Copy", "", 0, ())
            self.go_to(sheet_name, cell_name)
            self.dispatcher.executeDispatch(self.frame, ".uno:Paste", "", 0, ())
        else:
            try:
                cell.setValue(float(text))
            except ValueError:
                error = f"'{text}' is not a number"
        report["after"] = content(cell)
        report["changed"] = report["after"] != report["before"]
        if error:
            report["error"] = error
        return report

    def try_locked(self, entry: dict) -> dict:
        sheet_name, cell_name = entry["sheet"], entry["cell"]
        text = str(entry.get("text") or LOCKED_TEXT)
        sheet = self.sheet(sheet_name)
        cell = sheet.getCellRangeByName(cell_name)
        report = {"sheet": sheet_name, "cell": cell_name, "text": text,
                  "sheet_protected": bool(sheet.isProtected()),
                  "cell_locked": bool(cell.getPropertyValue("CellProtection").IsLocked),
                  "before": content(cell)}
        if self.ui is not None:
            self.go_to(sheet_name, cell_name)
            self.type_keys(text)
        else:
            # Each refusal shows a message box; in headless LibreOffice 7.4 a second one from the
            # same view through the dispatcher crashes soffice, so every attempt gets its own view.
            self._locked_in_new_view(sheet_name, cell_name, text)
        report["after"] = content(cell)
        report["refused"] = report["after"] == report["before"]
        return report

    def _locked_in_new_view(self, sheet_name: str, cell_name: str, text: str) -> None:
        before = _controllers(self.doc)
        self.dispatcher.executeDispatch(self.frame, ".uno:NewWindow", "", 0, ())
        new = [c for c in _controllers(self.doc) if not any(c == old for old in before)]
        if not new:
            raise FillError("could not open a second view of the document")
        controller = new[-1]
        # The extra view stays open: closing it closes the (hidden) document too.
        self.go_to(sheet_name, cell_name, controller, controller.getFrame())
        self.enter_string(text, controller.getFrame())


    def show(self, entry: dict, folder: Path, n: int) -> dict:
        """A cell as it is now shown, and a PDF of it alone as LibreOffice prints it."""
        cell = self.sheet(entry["sheet"]).getCellRangeByName(entry["cell"])
        pdf = folder / f"shown-{n}.pdf"
        selection = uno.Any("[]com.sun.star.beans.PropertyValue", (prop("Selection", cell),))
        self.doc.storeToURL(pdf.as_uri(), (prop("FilterName", "calc_pdf_Export"), prop("FilterData", selection)))
        return {"sheet": entry["sheet"], "cell": entry["cell"], "string": cell.getString(), "pdf": str(pdf)}


def _controllers(doc) -> list:
    found, enum = [], doc.getControllers()
    while enum.hasMoreElements():
        found.append(enum.nextElement())
    return found


def _state(ui_object) -> dict:
    return {p.Name: p.Value for p in ui_object.getState()}


def content(cell) -> dict:
    """What a cell holds: its kind (EMPTY, VALUE, TEXT, FORMULA), shown text, value and formula."""
    return {"type": cell.getType().value, "string": cell.getString(), "value": cell.getValue(),
            "formula": cell.getFormula()}


# -- main -----------------------------------------------------------------------------------
def load_plan(path: str) -> dict:
    with open(path, encoding="utf-8") as handle:
        plan = json.load(handle)
    if isinstance(plan, list):
        plan = {"cells": plan}
    if not isinstance(plan, dict):
        raise FillError("the plan must be a list of cells or an object with 'cells' and 'locked'")
    for key in ("cells", "locked", "shown"):
        entries = plan.setdefault(key, [])
        for n, entry in enumerate(entries):
            if not isinstance(entry, dict) or not entry.get("sheet") or not entry.get("cell"):
                raise FillError(f"{key}[{n}] needs 'sheet' and 'cell'")
            cell_position(entry["cell"])
    return plan


def run(args: argparse.Namespace, report: dict) -> None:
    """Fill and save as the arguments say, recording everything in `report` as it goes."""
    plan = load_plan(args.plan)
    locale = plan.get("locale") or args.locale
    source = Path(args.input).resolve()
    if not source.is_file():
        raise FillError(f"no such file: {source}")
    out_base = Path(args.out_basename).resolve()
    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    unknown = [f for f in formats if f not in FILTERS]
    if unknown:
        raise FillError(f"unknown format(s) {', '.join(unknown)}; use xlsx and/or ods")
    work = Path(tempfile.mkdtemp(prefix="lo-uno-fill-"))
    _our_dirs.append(work)
    office = Office(args.soffice, locale, work)
    report.update(input=str(source), locale=locale)
    try:
        private = work / ("input" + source.suffix.lower())
        shutil.copyfile(source, private)
        office.start()
        report["libreoffice"] = str(office.setting("/org.openoffice.Setup/Product", "ooSetupVersionAboutBox"))
        report["locale_setting"] = str(office.setting("/org.openoffice.Setup/L10N", "ooSetupSystemLocale"))
        # Not hidden: keystrokes need the document's (virtual) window. Headless shows nothing.
        doc = office.desktop.loadComponentFromURL(private.as_uri(), "_default", 0, (
            prop("Hidden", args.method == "dispatch"), prop("MacroExecutionMode", 0), prop("UpdateDocMode", 0)))
        if doc is None:
            raise FillError(f"LibreOffice could not open {source.name}")
        filler = Filler(office, doc, args.method)
        report["method"] = filler.method
        report["cells"], report["locked"] = [], []
        for entry in plan["cells"]:
            report["cells"].append(filler.fill(entry))
        for entry in plan["locked"]:
            report["locked"].append(filler.try_locked(entry))
        report["refused"] = [{"sheet": r["sheet"], "cell": r["cell"]} for r in report["locked"] if r["refused"]]
        report["outputs"] = {}
        out_base.parent.mkdir(parents=True, exist_ok=True)
        doc.calculateAll()
        report["shown"] = [filler.show(entry, out_base.parent, n) for n, entry in enumerate(plan["shown"])]
        for fmt in formats:
            saved = work / f"output.{fmt}"
            doc.storeToURL(saved.as_uri(), (prop("FilterName", FILTERS[fmt]), prop("Overwrite", True)))
            target = out_base.with_name(out_base.name + f".{fmt}")
            shutil.move(str(saved), target)
            report["outputs"][fmt] = str(target)
        doc.close(True)
    finally:
        office.close()
        shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("input", help="the workbook to fill (.xlsx or .ods); it is not changed")
    parser.add_argument("plan", help="JSON: the cells to fill and the locked cells to try")
    parser.add_argument("out_basename", help="where to save, without extension: .xlsx and .ods are added")
    parser.add_argument("--soffice", default=os.environ.get("SOFFICE") or shutil.which("soffice") or "/usr/bin/soffice")
    parser.add_argument("--locale", default="en-GB", help="LibreOffice's locale unless the plan gives one")
    parser.add_argument("--formats", default="xlsx,ods", help="comma-separated: xlsx, ods")
    parser.add_argument("--method", choices=("auto", "keys", "dispatch"), default="auto",
                        help="keys: typed through the UI test service; dispatch: .uno:EnterString")
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds for the whole run")
    args = parser.parse_args(argv)

    def give_up():
        sys.stdout.write(json.dumps({"error": f"timed out after {args.timeout:.0f} s"}) + "\n")
        sys.stdout.flush()
        for pid in _our_groups:
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for folder in _our_dirs:
            shutil.rmtree(folder, ignore_errors=True)
        os._exit(3)

    watchdog = threading.Timer(args.timeout, give_up)
    watchdog.daemon = True
    watchdog.start()
    report: dict = {}
    try:
        run(args, report)
        status = 1 if any("error" in c for c in report.get("cells", [])) else 0
    except FillError as exc:
        report["error"], status = str(exc), 1
    except Exception as exc:  # a UNO failure, e.g. soffice crashed: report it, never hang
        report["error"], status = f"{type(exc).__name__}: {exc}", 1
    finally:
        watchdog.cancel()
    json.dump(report, sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")
    return status


if __name__ == "__main__":
    sys.exit(main())
