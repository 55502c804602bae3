"""A respondent's workbook printed as a person prints it: LibreOffice to PDF, every page read.

A blank workbook prints in no more pages than the README states, every page's header names
what is on it (a section's full title, or the sheet), and each sheet breaks only where
sheetkit put its page breaks: a row that overran a page would add a page LibreOffice chose.
"""

from __future__ import annotations

import re
import subprocess
import zipfile

import openpyxl
import pytest

from conftest import build, libreoffice_or_skip
from sheetkit.framework.library import get_framework

# The README's figures ("What the workbooks contain"): A4 pages of a blank workbook, LibreOffice 7.4.
PAGES = {"lga-cbo": 33, "swia-commissioning": 41}


def _page_texts(pdf) -> list[str]:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, timeout=60).stdout
    count = int(re.search(r"^Pages:\s+(\d+)", info, re.M)[1])
    return [subprocess.run(["pdftotext", "-layout", "-f", str(n), "-l", str(n), str(pdf), "-"], capture_output=True,
                           text=True, timeout=60).stdout for n in range(1, count + 1)]


def _manual_breaks(path) -> dict[str, int]:
    """Sheet name -> how many page breaks sheetkit stored on it."""
    names = [ws.title for ws in openpyxl.load_workbook(path).worksheets]
    with zipfile.ZipFile(path) as archive:
        return {name: len(re.findall(r"<brk ", archive.read(f"xl/worksheets/sheet{n}.xml").decode()))
                for n, name in enumerate(names, start=1)}


@pytest.mark.libreoffice
@pytest.mark.parametrize("framework_id", sorted(PAGES))
def test_a_blank_workbook_prints_in_few_pages_each_naming_its_section(framework_id, tmp_path):
    soffice = libreoffice_or_skip(uno=False)
    (path,) = build(framework_id, tmp_path / "built", names=("Housing",))
    run = subprocess.run([soffice, f"-env:UserInstallation=file://{tmp_path / 'profile'}", "--headless",
                          "--convert-to", "pdf", "--outdir", str(tmp_path), str(path)],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    pages = _page_texts(tmp_path / f"{path.stem}.pdf")
    assert len(pages) <= PAGES[framework_id], len(pages)
    fw = get_framework(framework_id)
    wb = openpyxl.load_workbook(path)
    visible = [ws for ws in wb.worksheets if ws.sheet_state == "visible"]
    named = {ws.title: ws.title for ws in visible}
    for section, ws in zip(fw.sections, visible[2:]):
        named[ws.title] = ws["A1"].value  # the section's title as its sheet shows it
        assert section.title in named[ws.title], (section.title, named[ws.title])
    seen = {title: 0 for title in named}
    for n, text in enumerate(pages, start=1):
        first = next(line for line in text.splitlines() if line.strip())
        sheet = next((title for title, name in sorted(named.items(), key=lambda kv: -len(kv[1]))
                      if first.strip().startswith(name)), None)
        assert sheet, f"page {n} names no section or sheet in its header: {first.strip()!r}"
        seen[sheet] += 1
    breaks = _manual_breaks(path)
    for title, count in seen.items():
        assert count == breaks[title] + 1, (title, count, breaks[title])  # no page LibreOffice had to add
