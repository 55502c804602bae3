"""The returns folder as a lead really has it, end to end: built, filled returns that were
forwarded and re-saved by someone else in LibreOffice, re-issued, zipped (one zip inside
another), attached to a saved email, saved without an extension, saved as .xls by LibreOffice
and as .ods by Gnumeric, beside identical copies, last round's return, sheetkit's own outputs
and a PDF. The register, the findings and the compiled answers are checked."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import re
import shutil
import subprocess
import zipfile
from email.message import EmailMessage
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from conftest import build, fill, random_answers
from hostile import compound_file
from outlook import outlook_message
from sheetkit.commands.build import BuildOptions, build_workbooks
from sheetkit.cli import cli
from sheetkit.returns.file_formats import normalised_ods
from sheetkit.commands.ingest import IngestOptions, ingest_returns
from sheetkit.workbook.plan import plan_workbook
from sheetkit.framework.library import get_framework
from sheetkit.roster.respondents import Respondent
from sheetkit.returns.folder import collect_returns
from sheetkit.common.text import printable

FW = "lga-cbo"
ROUND = "2026 Q4"
PEOPLE = {  # respondent -> contact email in the manifest
    "Adult Social Care": "ann.smith@asc.example", "Housing": "harry.jones@housing.example", "Health": "",
    "Police": "", "Fire": "", "Libraries": "", "Parks": "", "Carers": "carol.king@carers.example", "Schools": "", "Transport": "",
    "Museums": "", "Ports": "", "Leisure": "",
}
SOFFICE = shutil.which("soffice") or ("/usr/bin/soffice" if Path("/usr/bin/soffice").exists() else None)
SSCONVERT = shutil.which("ssconvert")


def at(day: int, hour: int = 9) -> dt.datetime:
    return dt.datetime(2026, 12, day, hour)


def set_author(path: Path, name: str, saved: dt.datetime | None = None) -> Path:
    """Record `name` as the person who last saved the workbook (and when), as Excel does in
    docProps/core.xml."""
    with zipfile.ZipFile(path) as archive:
        parts = [(info, archive.read(info.filename)) for info in archive.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in parts:
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"<cp:lastModifiedBy>[^<]*</cp:lastModifiedBy>|<cp:lastModifiedBy/>", b"", data)
                data = data.replace(b"</cp:coreProperties>",
                                    b"<cp:lastModifiedBy>" + name.encode() + b"</cp:lastModifiedBy></cp:coreProperties>")
                if saved:
                    data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                                  rb"\g<1>" + saved.strftime("%Y-%m-%dT%H:%M:%SZ").encode() + rb"\g<2>", data)
            archive.writestr(info, data)
    return path


def soffice_convert(source: Path, fmt: str, out_dir: Path, profile: Path) -> Path:
    """Save `source` in another format with LibreOffice (its own profile, so runs do not collide)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    target = {"xlsx": "xlsx:Calc MS Excel 2007 XML", "xls": "xls:MS Excel 97"}[fmt]
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    for _ in range(2):  # a fresh profile's first start occasionally converts nothing
        subprocess.run([SOFFICE, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
                        "--convert-to", target, "--outdir", str(out_dir), str(source)],
                       capture_output=True, timeout=240, env=env)
        converted = out_dir / f"{source.stem}.{fmt}"
        if converted.exists():
            return converted
    pytest.fail(f"LibreOffice did not convert {source.name} to {fmt}")


def gnumeric_ods(source: Path, target: Path) -> Path:
    subprocess.run([SSCONVERT, str(source), str(target)], capture_output=True, timeout=120, check=True)
    return target


def email_with(attachment: Path, target: Path) -> Path:
    message = EmailMessage()
    message["From"] = "Parks <parks@parks.example>"
    message["To"] = "commissioning@anytown.example"
    message["Subject"] = "Our self-assessment"
    message["Date"] = "Fri, 04 Dec 2026 10:00:00 +0000"
    message.set_content("Please find our return attached.")
    message.add_attachment(attachment.read_bytes(), maintype="application",
                           subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet", filename=attachment.name)
    target.write_bytes(bytes(message))
    return target


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """The lead's folder, its manifest, and what each respondent typed into the file that should count."""
    if not (SOFFICE and SSCONVERT):
        pytest.skip("needs LibreOffice (soffice) and Gnumeric (ssconvert) to make the .xls and Gnumeric returns")
    root = tmp_path_factory.mktemp("folder")
    people = [Respondent(name, email=email) for name, email in PEOPLE.items()]
    built_at = dt.datetime(2026, 11, 2, 9, tzinfo=dt.timezone.utc)
    result = build_workbooks(get_framework(FW), people, BuildOptions(out_dir=root / "built", round=ROUND,
                                                                     password="secret", now=built_at,
                                                                     records=root / "built",
                                                                     deadline="2026-12-31"))
    built = {f.respondent.name: f.workbook for f in result.files}
    first_police = root / "first-police.xlsx"
    shutil.copy(built["Police"], first_police)
    reissue = build_workbooks(get_framework(FW), [people[3]], BuildOptions(  # re-issued into the same folder
        out_dir=root / "built", records=root / "built", round=ROUND, password="secret",
        now=built_at + dt.timedelta(days=14),
        deadline="2026-12-31", force=True))
    manifest = root / "built" / "manifest.csv"
    police = next(row for row in csv.DictReader(manifest.open(encoding="utf-8-sig")) if row["respondent"] == "Police")
    assert police["previous_build_ids"] and police["previous_build_ids"] != police["build_id"]
    last_year = build(FW, root / "last", names=("Museums",), round_name="2025")[0]
    work, returns = root / "work", root / "returns"
    work.mkdir()
    returns.mkdir()
    typed = {name: random_answers(FW, seed=n + 1) for n, name in enumerate(PEOPLE)}
    expected = {}  # respondent -> the file name whose answers should be compiled

    def put(name: str, target: Path, saved: dt.datetime, author: str = "", source: Path | None = None,
            answers: dict | None = None) -> Path:
        target.parent.mkdir(parents=True, exist_ok=True)
        fill(source or built[name], target, answers or typed[name], saved_at=saved)
        return set_author(target, author) if author else target

    expected["Adult Social Care"] = "Adult Social Care/return.xlsx"
    put("Adult Social Care", returns / expected["Adult Social Care"], at(3), "Ann Smith")
    expected["Housing"] = "Housing/return.xlsx"
    put("Housing", returns / expected["Housing"], at(2), "Harry Jones")
    # forwarded: Housing filled in Adult Social Care's workbook and saved it in LibreOffice
    forward = work / "forward" / built["Adult Social Care"].name
    forward.parent.mkdir()
    fill(built["Adult Social Care"], forward, random_answers(FW, seed=99))
    resaved = soffice_convert(forward, "xlsx", work / "forward-lo", root / "profile")
    set_author(resaved, "Harry Jones")
    (returns / "from housing").mkdir()
    shutil.copy(resaved, returns / "from housing" / resaved.name)
    # identical copies: the manifest's name wins over "Copy of"
    expected["Health"] = f"Health/{built['Health'].name}"
    put("Health", returns / expected["Health"], at(4))
    shutil.copy(returns / expected["Health"], returns / f"Copy of {built['Health'].name}")
    # re-issued: the first workbook filled, then the re-issued one
    put("Police", returns / "police-first.xlsx", at(1), source=first_police, answers=random_answers(FW, seed=77))
    expected["Police"] = "police-reissued.xlsx"
    put("Police", returns / expected["Police"], at(5), source=reissue.files[0].workbook)
    # a zip holding one return and a zip with another
    inner = work / "more.zip"
    with zipfile.ZipFile(inner, "w") as archive:
        archive.write(put("Libraries", work / "Libraries.xlsx", at(3)), "Libraries.xlsx")
    with zipfile.ZipFile(returns / "returns.zip", "w") as archive:
        archive.write(put("Fire", work / "Fire.xlsx", at(3)), "Fire.xlsx")
        archive.write(inner, "more.zip")
    expected["Fire"], expected["Libraries"] = "returns.zip » Fire.xlsx", "returns.zip » more.zip » Libraries.xlsx"
    # a saved email with the return attached
    email_with(put("Parks", work / built["Parks"].name, at(4)), returns / "parks reply.eml")
    expected["Parks"] = f"parks reply.eml » {built['Parks'].name}"
    leisure = put("Leisure", work / "Leisure return.xlsx", at(4))
    (returns / "leisure.msg").write_bytes(outlook_message("Our return", [("Leisure return.xlsx", leisure.read_bytes())]))
    expected["Leisure"] = "leisure.msg » Leisure return.xlsx"
    # no extension; .xls from LibreOffice; .ods from Gnumeric
    put("Carers", returns / "carers-return", at(4), "Carol King")
    # a colleague at Carers, named for no other respondent, revises Carol's return in LibreOffice
    revision = dict(typed["Carers"])
    revision[next(k for k, v in revision.items() if isinstance(v, str) and k.startswith("statement/"))] = "Revised"
    typed["Carers"] = revision
    first = put("Carers", work / "carers" / "carers-revised.xlsx", at(2), "Carol King", answers=revision)
    resaved = soffice_convert(first, "xlsx", work / "carers-lo", root / "profile")
    expected["Carers"] = "carers-revised.xlsx"
    shutil.copy(set_author(resaved, "Sam Patel", saved=at(9)), returns / expected["Carers"])
    expected["Schools"] = "schools.xls"
    xls = soffice_convert(put("Schools", work / "schools.xlsx", at(4)), "xls", work / "xls", root / "profile")
    shutil.copy(xls, returns / expected["Schools"])
    expected["Transport"] = "transport.ods"
    gnumeric_ods(put("Transport", work / "transport.xlsx", at(4)), returns / expected["Transport"])
    # last round's workbook, sheetkit's own outputs from an earlier run, and a cover letter
    put("Museums", returns / "museums.xlsx", at(4), source=last_year)
    earlier = root / "earlier"
    shutil.copytree(returns / "Health", earlier / "in")
    ingest_returns([str(earlier / "in")], IngestOptions(out=earlier / "consolidated.xlsx", csv=earlier / "responses.csv"))
    (returns / "old").mkdir()
    for made in ("consolidated.xlsx", "responses.csv"):
        shutil.copy(earlier / made, returns / "old" / made)
    shutil.copy(manifest, returns / "manifest.csv")
    (returns / "cover letter.pdf").write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    return root, returns, manifest, typed, expected


@pytest.fixture(scope="module")
def ingested(folder, tmp_path_factory):
    root, returns, manifest, typed, expected = folder
    out = tmp_path_factory.mktemp("out")
    report = ingest_returns([str(returns)], IngestOptions(out=out / "c.xlsx", csv=out / "r.csv", manifest=str(manifest)))
    return report, out


def test_every_file_in_the_folder_is_used_or_named_in_a_finding(folder, ingested):
    _, returns, _, _, expected = folder
    report, _ = ingested
    status = {r.file: r.status for r in report.returns}
    assert {name: status.get(file) for name, file in expected.items()} == {name: "accepted" for name in expected}
    assert status["from housing/lga-cbo_adult-social-care_2026-q4.xlsx"] == "rejected"
    assert status["Copy of lga-cbo_health_2026-q4.xlsx"] == "duplicate"
    assert status["police-first.xlsx"] == "superseded"
    assert status["museums.xlsx"] == "rejected"
    noted = {f.file: f.code for f in report.findings if f.code in ("output-skipped", "file-skipped")}
    assert noted == {"old/consolidated.xlsx": "output-skipped", "old/responses.csv": "output-skipped",
                     "manifest.csv": "output-skipped", "cover letter.pdf": "file-skipped"}
    on_disk = {p.relative_to(returns).as_posix() for p in returns.rglob("*") if p.is_file()}
    named = set(status) | set(noted)
    assert {n.split(" » ")[0] for n in named} == on_disk


def test_the_forwarded_workbook_is_held_back_and_named(ingested):
    report, _ = ingested
    [forwarded] = [f for f in report.findings if f.code == "return-forwarded"]
    assert forwarded.is_error and forwarded.file == "from housing/lga-cbo_adult-social-care_2026-q4.xlsx"
    assert "Harry Jones" in forwarded.message and "Housing/return.xlsx" in forwarded.message
    asc = [r for r in report.returns if r.respondent == "Adult Social Care" and r.status == "accepted"]
    assert [r.file for r in asc] == ["Adult Social Care/return.xlsx"] and asc[0].saved_by == "Ann Smith"


def test_reissue_copies_and_formats_are_explained(ingested):
    report, _ = ingested
    by_file = {r.file: r for r in report.returns}
    [superseded] = by_file["police-first.xlsx"].findings
    assert superseded.code == "superseded" and "re-issued workbook" in superseded.message
    assert "police-reissued.xlsx" in superseded.message
    [duplicate] = by_file["Copy of lga-cbo_health_2026-q4.xlsx"].findings
    assert "Health/lga-cbo_health_2026-q4.xlsx" in duplicate.message
    assert [f.code for f in by_file["schools.xls"].findings] == ["old-format"]
    assert by_file["transport.ods"].kind == "ods" and by_file["transport.ods"].errors == 0
    assert not [f for f in report.findings if f.code == "return-conflict"]
    [note] = by_file["carers-return"].findings
    assert note.code == "superseded" and by_file["carers-return"].status == "superseded"
    for fact in ("carers-revised.xlsx", "by Sam Patel", "by Carol King", "2026-12-09 09:00", "2026-12-04 09:00",
                 "a colleague at Carers revising it", '--prefer "carers-return"'):
        assert fact in note.message


def test_the_chase_list_says_what_was_received(ingested):
    report, _ = ingested
    assert report.chase == ["Museums", "Ports"]
    assert report.chase_why == {"Museums": "received but rejected: museums.xlsx (round 2025, expected 2026 Q4)",
                                "Ports": "nothing received"}
    assert "Ports (nothing received)" in report.render()


def test_compiled_answers_come_from_the_chosen_files(folder, ingested):
    _, _, _, typed, expected = folder
    _, out = ingested
    with open(out / "r.csv", newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    cells = {c.key: c for c in plan_workbook(get_framework(FW)).answers}
    for person, file in expected.items():
        theirs = {(r["sheet"], r["cell"]): r for r in rows if r["respondent"] == person}
        assert {r["file"] for r in theirs.values()} == {file}, person
        assert len(theirs) == len(typed[person]), person
        for key, value in typed[person].items():
            if key in cells and isinstance(value, str) and cells[key].field.type in ("text", "person"):
                assert theirs[(cells[key].sheet, cells[key].cell)]["value"] == value, (person, key)
    assert not any(r["respondent"] == "Museums" for r in rows)
    register = list(openpyxl.load_workbook(out / "c.xlsx", read_only=True)["Returns"].iter_rows(values_only=True))
    register = [dict(zip(register[3], r)) for r in register[4:]]  # the table's header is on row 4
    files = [r["File"] for r in register if r["File"]]
    assert set(expected.values()) <= set(files) and "Housing/return.xlsx" in files
    assert ("Ports", "nothing received") in [(r["Partner"], r["Why"]) for r in register]


def test_prefer_chooses_the_forwarded_file_and_the_report_says_so(folder, tmp_path):
    _, returns, manifest, _, _ = folder
    chosen = "from housing/lga-cbo_adult-social-care_2026-q4.xlsx"
    result = CliRunner().invoke(cli, ["validate", str(returns), "--manifest", str(manifest), "--prefer", chosen,
                                      "--json"])
    report = json.loads(result.output)
    status = {r["file"]: r["status"] for r in report["returns"]}
    assert status[chosen] == "accepted" and status["Adult Social Care/return.xlsx"] == "superseded"
    assert report["preferred"] == [chosen]
    text = CliRunner().invoke(cli, ["validate", str(returns), "--manifest", str(manifest), "--prefer", chosen])
    assert f"Chosen with --prefer: {chosen}" in text.output
    wrong = CliRunner().invoke(cli, ["validate", str(returns), "--prefer", "nothing-like-this.xlsx"])
    assert wrong.exit_code == 2 and "names none of the returns" in wrong.output


def test_a_name_that_is_not_valid_text_is_read_and_shown_printably(tmp_path):
    built = build(FW, tmp_path / "built", names=("Housing",))
    folder = tmp_path / "returns"
    folder.mkdir()
    odd = os.path.join(os.fsencode(folder), b"housing-\xe9t\xe9.xlsx")
    try:
        fill(built[0], Path(os.fsdecode(odd)), {"statement/1.1/evidence": "Minutes"})
    except (OSError, UnicodeError) as exc:
        pytest.skip(f"this file system refuses names that are not valid UTF-8 ({exc})")
    result = CliRunner().invoke(cli, ["ingest", str(folder), "--out", str(tmp_path / "c.xlsx"), "--json"])
    assert result.exit_code == 0, result.output
    assert [r["file"] for r in json.loads(result.output)["returns"]] == ["housing-\\xe9t\\xe9.xlsx"]
    text = CliRunner().invoke(cli, ["validate", str(folder)])
    assert "accepted   housing-\\xe9t\\xe9.xlsx  Housing" in text.output
    assert printable(os.fsdecode(b"a\xffb\n.xlsx")) == "a\\xffb\\n.xlsx"


def test_containers_that_must_not_be_opened_are_reported(tmp_path):
    folder = tmp_path / "returns"
    folder.mkdir()
    with zipfile.ZipFile(folder / "escape.zip", "w") as archive:
        archive.writestr("../../outside.xlsx", b"PK\x03\x04")
    with zipfile.ZipFile(folder / "bomb.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("big.xlsx", b"\0" * 30_000_000)
    with zipfile.ZipFile(folder / "notes.zip", "w") as archive:
        archive.writestr("notes.txt", "hello")
    with zipfile.ZipFile(folder / "notes.odt", "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
    (folder / "cover letter.doc").write_bytes(compound_file({"WordDocument": b"\xec\xa5"}))
    (folder / "disguised.pdf").write_bytes(compound_file({"Workbook": b"\x09\x08"}))
    with zipfile.ZipFile(folder / "crowded.zip", "w") as archive:
        for n in range(501):
            archive.writestr(f"{n}.xlsx", b"")
    deeper = tmp_path / "level2.zip"
    with zipfile.ZipFile(deeper, "w") as archive:
        archive.writestr("x.txt", "x")
    with zipfile.ZipFile(tmp_path / "level1.zip", "w") as archive:
        archive.write(deeper, "level2.zip")
    with zipfile.ZipFile(folder / "nested.zip", "w") as archive:
        archive.write(tmp_path / "level1.zip", "level1.zip")
    (folder / "message.msg").write_bytes(outlook_message("Forwarded", [("FW: our return", None),
                                                                                ("notes.txt", b"hello")]))
    with collect_returns([str(folder)]) as found:
        codes = {f.file: (f.code, f.message) for f in found.findings}
        temp = found.temp
    assert [f.name for f in found.files] == ["disguised.pdf"]  # a workbook, whatever its name says
    assert codes["escape.zip"][0] == "container-unreadable" and "outside the zip" in codes["escape.zip"][1]
    assert codes["bomb.zip"][0] == "container-unreadable" and "big.xlsx" in codes["bomb.zip"][1]
    assert codes["notes.zip » notes.txt"][0] == "file-skipped"
    assert codes["notes.odt"][0] == "file-skipped"
    assert codes["cover letter.doc"][0] == "file-skipped" and "Word" in codes["cover letter.doc"][1]
    assert codes["crowded.zip"] == ("container-unreadable", "the zip file was not opened: it holds over 500 files")
    assert codes["notes.zip"][0] == "container-empty"
    assert codes["nested.zip » level1.zip » level2.zip"][0] == "container-unreadable"
    assert codes["message.msg » FW: our return"][0] == "outlook-message"  # an email attached to the email
    assert codes["message.msg » notes.txt"][0] == "file-skipped"
    assert codes["message.msg"][0] == "container-empty"
    assert not (tmp_path / "outside.xlsx").exists() and not (temp and Path(temp).exists())


MANIFEST_XML = (b'<?xml version="1.0" encoding="UTF-8"?>\n<manifest:manifest '
                b'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
                b'<manifest:file-entry manifest:full-path="/" manifest:media-type='
                b'"application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry '
                b'manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>')


def test_gnumeric_indented_ods_minimal_reproduction(tmp_path):
    """python-calamine stops at whitespace between a row's cells and drops <text:line-break/>;
    the normalised copy reads both."""
    from python_calamine import CalamineError, CalamineWorkbook

    content = (b'<?xml version="1.0" encoding="UTF-8"?>\n<office:document-content '
               b'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
               b'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
               b'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">\n'
               b'  <office:body>\n    <office:spreadsheet>\n      <table:table table:name="Sheet1">\n'
               b'        <table:table-row>\n'
               b'          <table:table-cell office:value-type="string"><text:p>a  b</text:p></table:table-cell>\n'
               b'          <table:table-cell office:value-type="float" office:value="2"><text:p>2</text:p>'
               b'</table:table-cell>\n        </table:table-row>\n        <table:table-row>\n'
               b'          <table:table-cell office:value-type="string"><text:p>line one<text:line-break/>line two'
               b'</text:p></table:table-cell>\n        </table:table-row>\n      </table:table>\n'
               b'    </office:spreadsheet>\n  </office:body>\n</office:document-content>\n')
    path = tmp_path / "indented.ods"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet", zipfile.ZIP_STORED)
        archive.writestr("content.xml", content)
        archive.writestr("META-INF/manifest.xml", MANIFEST_XML)
    # When this stops raising, python-calamine reads indented .ods itself and file_formats'
    # normalising step can go.
    with pytest.raises(CalamineError, match="table-cell"):
        CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    with zipfile.ZipFile(path) as archive:
        fixed = normalised_ods(archive)
    rows = CalamineWorkbook.from_filelike(io.BytesIO(fixed)).get_sheet_by_index(0).to_python()
    assert rows == [["a  b", 2.0], ["line one\nline two", ""]]
    flat = re.sub(rb">\s+<", b"><", content)  # not indented: read, but the line break is dropped
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet", zipfile.ZIP_STORED)
        archive.writestr("content.xml", flat)
        archive.writestr("META-INF/manifest.xml", MANIFEST_XML)
    assert CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()[1][0] == "line oneline two"
