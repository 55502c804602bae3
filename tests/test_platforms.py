"""Where councils work: Windows habits, the CSVs Excel and LibreOffice write, and valid files for Excel.

LibreOffice stands in for Excel where Excel cannot run: it re-saves lists as CSV with the
options Excel users meet (semicolons, UTF-8 or Windows-1252), and opens every kind of
workbook sheetkit writes. The Windows-like lane of .ci/run runs this file with workers
spawned and no ``resource`` module (see conftest.py).
"""

from __future__ import annotations

import email
import hashlib
import json
import os
import shutil
import subprocess
import sys
import warnings
import zipfile
from email import policy
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from conftest import IN_CI, WINDOWS_LIKE, build, fill, random_answers
from sheetkit.cli import cli
from sheetkit.common.errors import UsageError
from sheetkit.commands.ingest import IngestOptions, ingest_returns
from sheetkit.returns.check import validate_returns
from sheetkit.roster.manifest import read_manifest
from sheetkit.common.own_files import MANIFEST
from sheetkit.roster.respondents import load_respondents
from sheetkit.framework.library import get_framework
from sheetkit.rounds.load import load_previous
from sheetkit.common.sandbox import Limits, memory_guard, start_context

ROOT = Path(__file__).resolve().parents[1]
WELSH = ["Cyngor Sir Ynys Môn", "Fire and Rescue £ Fund", "Cyngor Gwynedd", "Tŷ Hafan"]
CP1252_SAFE = WELSH[:3]  # 'ŷ' has no place in Windows-1252


# -- Windows: no `resource`, spawned workers, a cp1252 console -------------------------------
def test_the_windows_like_lane_is_what_windows_offers():
    if not WINDOWS_LIKE:
        pytest.skip("runs in the Windows-like lane of .ci/run (SHEETKIT_TEST_WINDOWS_LIKE=1)")
    with pytest.raises(ImportError):
        import resource  # noqa: F401
    assert start_context().get_start_method() == "spawn"
    assert memory_guard() == "none"


SPAWNED_SANDBOX = """
import os, sys, time
sys.modules["resource"] = None
from sheetkit.returns.reader import file_sha256
from sheetkit.common.sandbox import Failure, Limits, memory_guard, run_isolated, start_context
assert start_context().get_start_method() == "spawn", start_context().get_start_method()
assert memory_guard() == "none"
limits = Limits(seconds=5, workers=2)
print(sorted(run_isolated(file_sha256, [sys.argv[1]], limits)))
print(sorted((i, type(r).__name__, getattr(r, "reason", "")) for i, r in run_isolated(os._exit, [3], limits)))
print(sorted((i, getattr(r, "reason", "")) for i, r in run_isolated(time.sleep, [0, 60], Limits(seconds=2, workers=2))))
"""


@pytest.mark.slow  # a new Python process; the Windows-like lane runs it too
def test_the_sandbox_spawns_workers_without_resource(tmp_path):
    """As on Windows: results come back, a crash and a time-out fail only their own input."""
    target = tmp_path / "a file.txt"
    target.write_bytes(b"Ynys M\xc3\xb4n")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    script = SPAWNED_SANDBOX.replace("import os, sys, time\n", "import os, sys, time\nimport multiprocessing\n"
                                     "multiprocessing.get_all_start_methods = lambda: ['spawn']\n")
    run = subprocess.run([sys.executable, "-c", script, str(target)], capture_output=True, text=True, env=env,
                         timeout=120)
    assert run.returncode == 0, run.stderr[-3000:]
    digest, crash, timed = run.stdout.splitlines()
    assert digest == f"[(0, '{hashlib.sha256(target.read_bytes()).hexdigest()}')]"
    assert crash == "[(0, 'Failure', 'crashed')]"
    assert timed == "[(0, ''), (1, 'timeout')]"


def test_ingest_runs_in_this_process_with_whatever_start_method_is_in_force(tmp_path):
    """In the Windows-like lane this is ingest with spawned workers and no memory rlimit."""
    built = build("ipc-audit", tmp_path / "built", names=("Cyngor Sir Ynys Môn",))
    returns = tmp_path / "returns"
    returns.mkdir()
    fill(built[0], returns / built[0].name, random_answers("ipc-audit"))
    report = validate_returns([str(returns)], IngestOptions(manifest=str(tmp_path / "built" / MANIFEST),
                                                           limits=Limits(seconds=60, workers=1)))
    assert [r.status for r in report.returns] == ["accepted"], report.render()
    assert report.returns[0].respondent == "Cyngor Sir Ynys Môn"


@pytest.mark.slow  # a new Python process; the Windows-like lane runs it too
def test_python_m_sheetkit_on_a_cp1252_console(tmp_path, tiny_dir):
    """A Windows console or pipe in cp1252 cannot show 'ŷ'; the command must still finish and say what it did."""
    env = dict(os.environ, PYTHONIOENCODING="cp1252", PYTHONPATH=str(ROOT))
    args = [sys.executable, "-m", "sheetkit", "build", "tiny", "--out", str(tmp_path / "out"), "--round", "2026",
            "--deadline", "2099-01-31"] + [a for name in WELSH for a in ("--respondent", name)]
    run = subprocess.run(args, capture_output=True, env=env, timeout=300)
    assert run.returncode == 0, run.stderr.decode("cp1252", "replace")
    shown = run.stdout.decode("cp1252")
    assert "Cyngor Sir Ynys Môn" in shown and "T? Hafan" in shown and "UnicodeEncodeError" not in shown
    failing = subprocess.run([sys.executable, "-m", "sheetkit", "validate", str(tmp_path / "out"), "--manifest",
                              str(tmp_path / "out" / "nope Môn.csv")], capture_output=True, env=env, timeout=300)
    assert failing.returncode == 2 and "Môn" in failing.stderr.decode("cp1252")


# -- Lists as Excel and LibreOffice save them -------------------------------------------------
@pytest.mark.parametrize("encoding, separator, bom", [("utf-8", ",", True), ("utf-8", ";", False),
                                                      ("cp1252", ";", False), ("cp1252", ",", False)])
def test_respondents_csv_in_every_form_excel_saves(tmp_path, encoding, separator, bom):
    rows = [["name", "organisation", "email"]] + [[n, "Anytown; Council, £", f"{i}@x.org"]
                                                  for i, n in enumerate(CP1252_SAFE)]
    text = "\r\n".join(separator.join(f'"{c}"' if separator in c or "," in c or ";" in c else c for c in r)
                       for r in rows) + "\r\n"
    path = tmp_path / "respondents.csv"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode(encoding))
    people = load_respondents(str(path))
    assert [p.name for p in people.people] == CP1252_SAFE
    assert {p.organisation for p in people.people} == {"Anytown; Council, £"}
    assert bool(people.warnings) == (encoding == "cp1252")
    if people.warnings:
        assert str(path) in people.warnings[0] and "Windows-1252" in people.warnings[0]


@pytest.mark.parametrize("content, expected", [
    (b"team,email\nHousing,h@x.org\n", ["row 1", "no 'name' column", "'team', 'email'"]),
    (b"name\tteam\nHousing\tx\n", ["row 1", "one cell", "tabs"]),
    (b"name,email\nHousing,h@x.org,extra\n", ["row 2", "column C", "more cells"]),
    (b"\x81\x8d\x8f name\n", ["row 1", "neither UTF-8 nor Windows-1252", "CSV UTF-8"]),
    (b"", ["empty", "'name' column"]),
])
def test_a_list_that_cannot_be_read_says_where_and_what_to_do(tmp_path, content, expected):
    path = tmp_path / "people.csv"
    path.write_bytes(content)
    with pytest.raises(UsageError) as caught:
        load_respondents(str(path))
    message = str(caught.value)
    assert str(path) in message
    for part in expected:
        assert part in message


def test_a_list_is_read_as_a_workbook_or_as_text_by_its_content_whatever_its_name(tmp_path):
    book = openpyxl.Workbook()
    book.active.append(["name", "email"])
    book.active.append(["Housing", "h@x.org"])
    for name in ("respondents.xlsx", "respondents.csv", "respondents"):
        book.save(tmp_path / name)
        assert [p.name for p in load_respondents(str(tmp_path / name)).people] == ["Housing"], name
    (tmp_path / "export.xlsx").write_bytes(b"name,email\nHealth,x@y.org\n")  # a CSV saved under a workbook's name
    (tmp_path / "unicode.txt").write_bytes("name\tx\nHealth,\n".replace("\t", ",").encode("utf-16"))  # Excel's "Unicode text"
    (tmp_path / "pasted.csv").write_bytes(b"name,email\nHeal\x00th,x@y.org\n")  # a stray zero byte in a cell
    for name in ("export.xlsx", "unicode.txt", "pasted.csv"):
        assert [p.name for p in load_respondents(str(tmp_path / name)).people] == ["Health"], name
    cut = tmp_path / "cut.xlsx"
    cut.write_bytes((tmp_path / "respondents.xlsx").read_bytes()[:300])
    with pytest.raises(UsageError, match="cannot be read as a workbook"):
        load_respondents(str(cut))


@pytest.fixture(scope="module")
def soffice():
    found = shutil.which("soffice") or ("/usr/bin/soffice" if Path("/usr/bin/soffice").exists() else None)
    if found is None:
        if IN_CI:
            pytest.fail("LibreOffice (soffice) is not installed; .ci/run installs it")
        pytest.skip("LibreOffice (soffice) is not installed")
    return found


CSV_UTF8_IN = "CSV:44,34,76,1"  # comma, double quote, UTF-8, from line 1: how a user opens a CSV UTF-8
SAVE_AS = {  # the choices of LibreOffice's "Save as CSV" dialogue (Excel's "CSV UTF-8" and "CSV")
    "semicolon-utf8": ("csv", "csv:Text - txt - csv (StarCalc):59,34,76"),
    "comma-ansi": ("csv", "csv:Text - txt - csv (StarCalc):44,34,ANSI"),
    "xlsx": ("xlsx", "xlsx:Calc MS Excel 2007 XML"),
    "ods": ("ods", "ods:calc8"),
}


def lo_convert(soffice: str, source: Path, how: str, out_dir: Path, profile: Path, infilter: str = CSV_UTF8_IN) -> Path:
    """Open `source` in LibreOffice headless and save it the way `how` names; the new file."""
    suffix, target = SAVE_AS[how]
    out_dir.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    for _ in range(2):  # a fresh profile's first start occasionally converts nothing
        run = subprocess.run([soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
                              f"--infilter={infilter}", "--convert-to", target, "--outdir", str(out_dir), str(source)],
                             capture_output=True, text=True, timeout=240, env=env)
        made = out_dir / f"{source.stem}.{suffix}"
        if made.exists():
            return made
    pytest.fail(f"soffice made no {how} from {source.name}: {run.stdout[-500:]} {run.stderr[-500:]}")


@pytest.mark.libreoffice
@pytest.mark.parametrize("how", list(SAVE_AS))
def test_a_respondents_list_saved_by_libreoffice_reads_back_intact(soffice, tmp_path, how):
    names = CP1252_SAFE if how == "comma-ansi" else WELSH
    source = tmp_path / "respondents.csv"
    source.write_text("name,organisation,email,contact\n" + "".join(
        f'"{n}","Anytown Council, £",p{i}@anytown.gov.uk,Siân Jones\n' for i, n in enumerate(names)),
        encoding="utf-8-sig")
    saved = lo_convert(soffice, source, how, tmp_path / how, tmp_path / "profile")
    people = load_respondents(str(saved))
    assert [p.name for p in people.people] == names
    assert {(p.organisation, p.contact) for p in people.people} == {("Anytown Council, £", "Siân Jones")}
    assert [p.email for p in people.people] == [f"p{i}@anytown.gov.uk" for i in range(len(names))]
    assert bool(people.warnings) == (how == "comma-ansi")


@pytest.mark.libreoffice
@pytest.mark.parametrize("how", ["semicolon-utf8", "comma-ansi"])
def test_a_manifest_resaved_by_libreoffice_still_drives_validate(soffice, tmp_path, tiny_dir, how):
    names = CP1252_SAFE if how == "comma-ansi" else WELSH
    built = build("tiny", tmp_path / "built", names=names)
    returns = tmp_path / "returns"
    returns.mkdir()
    fill(built[0], returns / built[0].name, random_answers("tiny"))
    saved = lo_convert(soffice, tmp_path / "built" / MANIFEST, how, tmp_path / how, tmp_path / "profile")
    manifest = read_manifest(saved)
    assert manifest.respondents == names and manifest.framework_id == "tiny" and manifest.round == "2026 Q4"
    report = validate_returns([str(returns)], IngestOptions(manifest=str(saved)))
    assert [r.status for r in report.returns] == ["accepted"], report.render()
    assert report.chase == names[1:]
    codes = [f.code for f in report.findings]
    assert ("list-not-utf8" in codes) == (how == "comma-ansi") and "respondent-unknown" not in codes


# -- Templates -------------------------------------------------------------------------------
def test_templates_can_be_overridden_by_option_or_environment(tmp_path, tiny_dir, monkeypatch):
    mine = tmp_path / "texts"
    mine.mkdir()
    (mine / "email.txt").write_text("Subject: Hunanasesiad $respondent\n\nAnnwyl $addressee, erbyn $deadline.\n",
                                    encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["build", "tiny", "--out", str(out), "--respondent", "Cyngor Sir Ynys Môn",
                                      "--emails", "--templates", str(mine), "--deadline", "2099-01-31"])
    assert result.exit_code == 0, result.output
    (eml,) = out.glob("*.eml")
    message = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert message["Subject"] == "Hunanasesiad Cyngor Sir Ynys Môn"
    assert "Annwyl Cyngor Sir Ynys Môn, erbyn Saturday 31 January 2099." in message.get_body(("plain",)).get_content()
    start = openpyxl.load_workbook(next(out.glob("*.xlsx"))).worksheets[0]
    bundled_start = (ROOT / "templates" / "instructions.txt").read_text(encoding="utf-8").split()[0]
    assert any(str(c.value).startswith(bundled_start) for row in start.iter_rows() for c in row if c.value)

    (mine / "instructions.txt").write_text("Llenwch bob cell las erbyn $deadline.\n", encoding="utf-8")
    monkeypatch.setenv("SHEETKIT_TEMPLATES", str(mine))
    again = CliRunner().invoke(cli, ["build", "tiny", "--out", str(tmp_path / "env"), "--respondent", "Tŷ Hafan",
                                     "--deadline", "2099-01-31"])
    assert again.exit_code == 0, again.output
    start = openpyxl.load_workbook(next((tmp_path / "env").glob("*.xlsx"))).worksheets[0]
    texts = [c.value for row in start.iter_rows() for c in row if c.value]
    assert "Llenwch bob cell las erbyn 31 January 2099." in texts


def test_a_missing_template_folder_is_refused_before_anything_is_built(tmp_path, tiny_dir):
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["build", "tiny", "--out", str(out), "--respondent", "Housing",
                                      "--templates", str(tmp_path / "no-such")])
    assert result.exit_code == 2 and "no-such" in result.output and "--templates" in result.output
    assert not out.exists() or not any(out.iterdir())


# -- Every file sheetkit writes is valid Office Open XML ---------------------------------------
@pytest.fixture(scope="module")
def every_kind(tmp_path_factory):
    """A built workbook, a filled return, consolidated workbooks of one and of three returns, and the
    moderation step's: a feedback workbook, a reply, a consolidated workbook with replies and a pack."""
    root = tmp_path_factory.mktemp("kinds")
    names = ("Cyngor Sir Ynys Môn", "Housing", "Carers' Centre & <Partners>")
    built = build("swia-commissioning", root / "built", names=names)
    returns = root / "returns"
    returns.mkdir()
    for n, path in enumerate(built):
        fill(path, returns / path.name, random_answers("swia-commissioning", seed=n, lean=(-0.5, 0, 0.5)[n]))
    kinds = {"built": built[0], "filled": returns / built[0].name}
    for label, paths in (("consolidated-1", [returns / built[0].name]), ("consolidated-3", [returns])):
        out = root / f"{label}.xlsx"
        report = ingest_returns([str(p) for p in paths], IngestOptions(out=out, csv=root / f"{label}.csv"))
        assert report.out == out, report.render()
        kinds[label] = out
    follow_up = root / "follow-up"  # next round's workbook, pre-filled from this one's, asking 'Still true?'
    framework = get_framework("swia-commissioning")
    build(framework.id, follow_up, names=names[:1], round_name="2027 Q4",
          previous=load_previous(kinds["consolidated-3"], framework), prefill=True)
    kinds["follow-up"] = next(follow_up.glob("*.xlsx"))
    kinds.update(_moderation_kinds(root, returns, names[0]))
    return kinds


def _moderation_kinds(root: Path, returns: Path, name: str) -> dict[str, Path]:
    """A feedback workbook asking for a reply, that reply filled in, and the consolidated workbook and
    challenge-day pack compiled with it."""
    from sheetkit.framework.keys import AnswerKey

    ingest_returns([str(returns)], IngestOptions(out=root / "first.xlsx", feedback=root / "feedback",
                                                 discuss=("all",), use_cache=False))
    source = root / "feedback" / f"feedback_{name}.xlsx"
    replies = root / "replies"
    replies.mkdir()
    fill(source, replies / source.name, {AnswerKey.reply("item/1a/rating", "decision"): "Revise",
                                         AnswerKey.reply("item/1a/rating", "revised"): "2 - Weak: Important weaknesses",
                                         AnswerKey.reply("item/1a/rating", "reason"): "Why & <why not>"})
    report = ingest_returns([str(returns)], IngestOptions(
        out=root / "consolidated-replies.xlsx", replies=replies, replies_manifest=root / "feedback-manifest.csv",
        pack=root / "pack.xlsx", use_cache=False))
    assert report.replies and [r.status for r in report.replies.returns] == ["accepted"], report.render()
    return {"feedback": source, "reply": replies / source.name, "consolidated-replies": root / "consolidated-replies.xlsx",
            "pack": root / "pack.xlsx"}


KINDS = ["built", "filled", "follow-up", "consolidated-1", "consolidated-3", "feedback", "reply",
         "consolidated-replies", "pack"]


@pytest.fixture(scope="module")
def validator() -> str:
    """openxml-audit, kept in its own environment: its lxml would change how openpyxl writes the samples."""
    found = os.environ.get("SHEETKIT_OOXML_VALIDATOR") or shutil.which("openxml-audit")
    if not found:
        reason = ("the schema validator openxml-audit is not installed; .ci/run installs it into .venv-ooxml "
                  "and names it in $SHEETKIT_OOXML_VALIDATOR")
        pytest.fail(reason) if IN_CI else pytest.skip(reason)
    return found


def _schema_errors(validator: str, path: Path) -> list[str]:
    """Every error openxml-audit finds in any part of `path`, against the Office 2019 (transitional) schemas."""
    run = subprocess.run([validator, "--format", "office2019", "--output", "json", "--max-errors", "0", str(path)],
                         capture_output=True, text=True, timeout=300)
    try:
        (report,) = json.loads(run.stdout)
    except ValueError:
        pytest.fail(f"openxml-audit gave no report (exit {run.returncode}): {run.stdout[-500:]} {run.stderr[-500:]}")
    return [f"{e['part_uri']} {e['path']}: {e['description']}" for e in report["errors"] if e["severity"] == "error"]


# A filled return is saved by openpyxl, standing in for the respondent's spreadsheet program. openpyxl
# writes a font's child elements (name, family, b, color, sz) in another order than the one the
# validator's schema expects; Excel and LibreOffice open such files. Nothing else is let through.
OPENPYXL_FONT_ORDER = "/xl/styles.xml /styleSheet[1]/fonts[1]/font["


@pytest.mark.slow  # every kind of file, made through a whole round and its moderation
@pytest.mark.parametrize("kind", KINDS)
def test_every_part_is_valid_against_the_office_open_xml_schemas(validator, every_kind, kind):
    errors = _schema_errors(validator, every_kind[kind])
    if kind in ("filled", "reply"):
        errors = [e for e in errors if not e.startswith(OPENPYXL_FONT_ORDER)]
    assert errors == []


@pytest.mark.slow  # every kind of file, made through a whole round and its moderation
def test_the_schema_check_catches_a_part_out_of_order(validator, every_kind, tmp_path):
    """The check can fail: the consolidated workbook with one sheet's columns moved after its data."""
    source = every_kind["consolidated-3"]
    broken = tmp_path / "broken.xlsx"
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(broken, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = data.decode("utf-8")
                cols = text[text.index("<cols>"):text.index("</cols>") + len("</cols>")]
                data = text.replace(cols, "", 1).replace("</sheetData>", "</sheetData>" + cols, 1).encode("utf-8")
            zout.writestr(item, data)
    assert any("cols" in e for e in _schema_errors(validator, broken))


@pytest.mark.slow  # every kind of file, made through a whole round and its moderation
@pytest.mark.parametrize("kind", KINDS)
def test_openpyxl_opens_every_kind_without_a_warning(every_kind, kind):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        wb = openpyxl.load_workbook(every_kind[kind])
    assert wb.sheetnames


@pytest.mark.libreoffice
def test_libreoffice_opens_every_kind_without_repair(every_kind, soffice, tmp_path):
    """Headless LibreOffice converts each to .ods; a file it had to repair would fail or lose its sheets."""
    for kind in KINDS:
        source = every_kind[kind]
        made = lo_convert(soffice, source, "ods", tmp_path / kind, tmp_path / "profile", infilter="Calc MS Excel 2007 XML")
        assert _filled_rows(made) == _filled_rows(source), kind


def _filled_rows(path: Path) -> dict[str, int]:
    """Each sheet's number of rows with anything in them, as python-calamine reads the file."""
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(path))
    return {name: sum(1 for row in book.get_sheet_by_name(name).to_python() if any(v != "" for v in row))
            for name in book.sheet_names}
