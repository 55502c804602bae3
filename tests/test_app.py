"""sheetkit's page, without a browser: its guards, its folders, and the library calls behind it.

The whole job clicked through in a real browser is tests/test_app_browser.py (slow tier).
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

pytest.importorskip("flask", reason="the page's dependencies are the 'app' extra: pip install '.[app]'")

import sheetkit  # noqa: E402
from click.testing import CliRunner  # noqa: E402
from sheetkit.app import commands, exercises, guard, steps  # noqa: E402
from sheetkit.app.web import create_app  # noqa: E402
from sheetkit.cli import cli  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "test-token"


@pytest.fixture
def page(tmp_path):
    home = tmp_path / "exercises"
    home.mkdir()
    app = create_app(home, TOKEN)
    return app, app.test_client(), home


def _start_form(app, **changes) -> dict:
    form = {"csrf_token": app.config["SHEETKIT_CSRF"], "name": "Anytown 2026", "framework": "lga-cbo",
            "round": "2026 Q4", "deadline-day": "31", "deadline-month": "1", "deadline-year": "2099",
            "return_to": "lead@anytown.gov.uk",
            "respondents": (io.BytesIO((ROOT / "samples" / "respondents.csv").read_bytes()), "respondents.csv")}
    form.update(changes)
    return {k: v for k, v in form.items() if v is not None}


def _start(app, client, **changes):
    return client.post(f"/{TOKEN}/start", data=_start_form(app, **changes), content_type="multipart/form-data")


def test_every_name_of_the_library_face_the_page_calls_resolves():
    for name in sheetkit.__all__:
        assert getattr(sheetkit, name) is not None, name


# -- the guards ---------------------------------------------------------------------------
def test_every_page_needs_the_token(page):
    app, client, _ = page
    assert client.get(f"/{TOKEN}/").status_code == 200
    for path in ("/", "/frameworks", f"/{TOKEN}x/", f"/{TOKEN[:-1]}/", "/static/app.css", f"/x/{TOKEN}/"):
        answer = client.get(path)
        assert answer.status_code == 403, path
        assert TOKEN not in answer.get_data(as_text=True)
    assert client.get(f"/{TOKEN}/static/govuk/govuk-frontend.min.css").status_code == 200


def test_only_local_host_names_are_answered(page):
    _, client, _ = page
    assert client.get(f"/{TOKEN}/", headers={"Host": "127.0.0.1:8000"}).status_code == 200
    assert client.get(f"/{TOKEN}/", headers={"Host": "evil.example:8000"}).status_code == 400


def test_headers_forbid_framing_other_sites_and_caching(page):
    _, client, _ = page
    headers = client.get(f"/{TOKEN}/").headers
    assert headers["X-Frame-Options"] == "DENY"
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["Cache-Control"] == "no-store"


def test_a_form_without_its_token_or_from_another_site_is_refused(page):
    app, client, home = page
    without = _start_form(app, csrf_token=None)
    assert client.post(f"/{TOKEN}/start", data=without, content_type="multipart/form-data").status_code == 400
    wrong = _start_form(app, csrf_token="guess")
    assert client.post(f"/{TOKEN}/start", data=wrong, content_type="multipart/form-data").status_code == 400
    other_site = client.post(f"/{TOKEN}/start", data=_start_form(app), content_type="multipart/form-data",
                             headers={"Sec-Fetch-Site": "cross-site"})
    assert other_site.status_code == 403
    assert list(home.iterdir()) == []


def test_uploads_have_ingests_limits(page):
    app, client, _ = page
    assert app.config["MAX_CONTENT_LENGTH"] == sheetkit.MAX_CONTAINER_BYTES
    assert app.config["MAX_FORM_PARTS"] >= sheetkit.MAX_MEMBERS
    too_big = client.post(f"/{TOKEN}/start", data=b"x", content_type="multipart/form-data; boundary=b",
                          environ_overrides={"CONTENT_LENGTH": str(sheetkit.MAX_CONTAINER_BYTES + 1)})
    assert too_big.status_code == 413
    assert f"at most {sheetkit.MAX_MEMBERS} files" in too_big.get_data(as_text=True)


def test_more_files_than_ingest_opens_at_once_are_refused(page, monkeypatch):
    app, client, home = page
    assert _start(app, client).status_code == 303
    monkeypatch.setattr(guard, "upload_files", lambda: 2)
    files = [(io.BytesIO(b"x"), f"{n}.xlsx") for n in range(3)]
    answer = client.post(f"/{TOKEN}/e/anytown-2026/returns", data={"csrf_token": app.config["SHEETKIT_CSRF"],
                                                                  "returns": files},
                         content_type="multipart/form-data")
    assert answer.status_code == 400 and "Add at most 2 files at a time" in answer.get_data(as_text=True)
    assert not any((home / "anytown-2026" / "returns").iterdir())


# -- names typed on the page stay inside the home folder -----------------------------------
@pytest.mark.parametrize("typed, folder", [("../../evil", "evil"), ("..", ""), ("/etc/passwd", "etc-passwd"),
                                           ("C:\\Windows", "c-windows"), ("Ynys Môn 2026", "ynys-mon-2026")])
def test_an_exercise_name_becomes_a_plain_folder_name(typed, folder):
    assert exercises.slug(typed) == folder
    assert folder == "" or exercises.is_slug(folder)


@pytest.mark.parametrize("typed, kept", [("../../evil.xlsx", "evil.xlsx"), ("..\\..\\evil.xlsx", "evil.xlsx"),
                                         (".hidden.xlsx", "hidden.xlsx"), ("CON.xlsx", "_CON.xlsx"),
                                         ("a:b*c?.xlsx", "a_b_c_.xlsx"), ("~$lock.xlsx", "lock.xlsx"),
                                         ("", "return"), ("Housing return.xlsx", "Housing return.xlsx")])
def test_an_uploaded_file_name_loses_its_folders(typed, kept):
    assert exercises.safe_file_name(typed) == kept


def test_a_path_traversal_stays_inside_home(page):
    app, client, home = page
    assert _start(app, client, name="../../outside").status_code == 303
    assert (home / "outside" / "workbooks").is_dir()
    assert not (home.parent.parent / "outside").exists()
    upload = {"csrf_token": app.config["SHEETKIT_CSRF"],
              "returns": [(io.BytesIO(b"not a workbook"), "../../../escaped.xlsx")]}
    client.post(f"/{TOKEN}/e/outside/returns", data=upload, content_type="multipart/form-data")
    assert (home / "outside" / "returns" / "escaped.xlsx").is_file()
    assert not list(home.parent.rglob("escaped.xlsx"))[1:]
    for path in ("/e/..%2F..%2Fetc/returns", "/e/../../etc", "/e/%2e%2e/returns"):
        assert client.get(f"/{TOKEN}{path}").status_code in (403, 404)
    with pytest.raises(exercises.OutsideHome):
        exercises.inside(home, home / ".." / "elsewhere")


# -- the job ------------------------------------------------------------------------------
def test_starting_an_exercise_builds_what_build_builds(page):
    app, client, home = page
    answer = _start(app, client)
    assert answer.status_code == 303, answer.get_data(as_text=True)
    exercise = exercises.find(home, "anytown-2026")
    records = exercise.records()
    assert (records.framework_id, records.round, records.deadline) == ("lga-cbo", "2026 Q4", "2099-01-31")
    assert len(records.entries) == 7
    assert (exercise.folder / "respondents.csv").read_bytes() == (ROOT / "samples" / "respondents.csv").read_bytes()
    shown = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "7 workbooks and their e-mail drafts are ready to send" in shown
    assert f"--out {exercise.workbooks}" in shown and "--round &#39;2026 Q4&#39;" in shown


def test_the_zip_for_partners_holds_only_workbooks_and_drafts(page):
    app, client, home = page
    _start(app, client)
    exercise = exercises.find(home, "anytown-2026")
    names = zipfile.ZipFile(io.BytesIO(client.get(f"/{TOKEN}/e/anytown-2026/send.zip").data)).namelist()
    assert len(names) == 14 and all(n.endswith((".xlsx", ".eml")) for n in names)
    # the lead's records: build keeps them in the exercise folder, never among what is sent
    for name in ("manifest.csv", "protection-password.txt"):
        assert (exercise.folder / name).is_file() and not (exercise.workbooks / name).exists()
    (exercise.workbooks / "manifest.xlsx").write_bytes(b"a lead's copy of the records")
    exercise.remember(manifest="manifest.csv", password_file="protection-password.txt")
    assert exercise.manifest == exercise.folder / "manifest.csv"
    names = zipfile.ZipFile(io.BytesIO(client.get(f"/{TOKEN}/e/anytown-2026/send.zip").data)).namelist()
    assert "manifest.csv" not in names and "protection-password.txt" not in names
    private = exercise.path("workbooks", "manifest.xlsx")
    assert private not in exercise.sent_files((private,))


def test_a_problem_with_the_form_is_linked_to_its_field(page):
    app, client, home = page
    answer = _start(app, client, name="", framework="", round="", respondents=None, return_to="not an address",
                    **{"deadline-day": "31", "deadline-month": "", "deadline-year": ""})
    html = answer.get_data(as_text=True)
    assert answer.status_code == 400 and "There is a problem" in html and "<title>Error: " in html
    for field in ("name", "framework", "respondents", "round", "deadline-day", "return_to"):
        assert f'href="#{field}"' in html, field
    assert list(home.iterdir()) == []


def test_a_library_error_is_shown_on_its_field_and_nothing_is_left(page):
    app, client, home = page
    answer = _start(app, client, **{"deadline-year": "2001"})
    html = answer.get_data(as_text=True)
    assert answer.status_code == 400 and 'href="#deadline-day"' in html and "in the past" in html
    bad_list = (io.BytesIO(b"who,organisation\nHousing,Anytown\n"), "partners.csv")
    answer = _start(app, client, respondents=bad_list)
    assert 'href="#respondents"' in answer.get_data(as_text=True)
    assert list(home.iterdir()) == []


def test_the_findings_by_partner_are_validates(page):
    app, client, home = page
    _start(app, client)
    exercise = exercises.find(home, "anytown-2026")
    sample = ROOT / "samples" / "lga-cbo" / "returns"
    upload = [(io.BytesIO(p.read_bytes()), p.name) for p in sorted(sample.iterdir())]
    answer = client.post(f"/{TOKEN}/e/anytown-2026/returns",
                         data={"csrf_token": app.config["SHEETKIT_CSRF"], "returns": upload},
                         content_type="multipart/form-data")
    assert answer.status_code == 200
    report = steps.check(exercise)
    direct = sheetkit.validate_returns([str(exercise.returns)], sheetkit.IngestOptions(manifest=str(exercise.manifest)))
    assert [f.to_dict() for f in report.findings] == [f.to_dict() for f in direct.findings]
    partners = steps.by_partner(report, exercise.records().respondents)
    shown = [f for p in partners for f in p.findings]
    assert sorted(map(repr, shown)) == sorted(repr(f) for f in direct.findings if f.code != "no-return")
    # the sample returns were built for another exercise: every one is refused, each for its partner
    assert all(p.state == "not returned" for p in partners if p.name in direct.chase)


def test_the_commands_shown_are_the_commands(tmp_path):
    exercise = exercises.Exercise(tmp_path, "anytown")
    shown = commands.ingest(exercise)
    assert shown.startswith(f"sheetkit ingest {exercise.returns} --out")
    assert commands.quote("2026 Q4", windows=True) == "'2026 Q4'"
    assert commands.quote("Carers' Centre", windows=True) == "'Carers'' Centre'"
    assert commands.quote(r"C:\Users\lead\exercises", windows=True) == r"C:\Users\lead\exercises"
    assert commands.quote("2026 Q4", windows=False) == "'2026 Q4'"


def test_the_command_says_how_to_install_what_it_lacks(monkeypatch):
    import sheetkit.app

    monkeypatch.setattr(sheetkit.app, "missing", lambda: ["flask"])
    result = CliRunner().invoke(cli, ["app", "--no-browser"])
    assert result.exit_code == 2
    assert 'pip install "sheetkit[app]"' in result.output and "Traceback" not in result.output


def test_the_default_home_is_the_users_data_folder():
    import platformdirs

    assert exercises.default_home() == Path(platformdirs.user_data_dir("sheetkit", appauthor=False)) / "exercises"


@pytest.mark.slow
def test_a_built_wheel_carries_the_pages_templates_and_govuk_frontend(tmp_path):
    import subprocess
    import sys

    built = subprocess.run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q", "-w", str(tmp_path)],
                           capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stderr
    wheel = next(tmp_path.glob("sheetkit-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in ("sheetkit/app/static/govuk/govuk-frontend.min.css", "sheetkit/app/static/govuk/govuk-frontend.min.js",
                 "sheetkit/app/static/govuk/LICENSE.txt", "sheetkit/app/static/govuk/SOURCE.md",
                 "sheetkit/app/static/app.js", "sheetkit/app/static/app.css", "sheetkit/app/templates/base.html",
                 "sheetkit/app/templates/returns.html"):
        assert name in names, name


def test_the_readme_states_the_pages_limits_as_they_are():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"({sheetkit.MAX_MEMBERS} files, {sheetkit.MAX_CONTAINER_BYTES // 2**20} MB at a time)" in readme
