"""sheetkit's page in a real browser, as a lead would use it (slow tier).

The real command (`sheetkit app`) is started on a free port with a temporary home folder, and
the system's Chromium, driven by Playwright, clicks through the whole job: read a framework,
start an exercise from the sample respondents, download what to send, add two filled returns
(one in a zip), read the findings by partner, compile and open the consolidated workbook, draft
chasers, and start the next round. Every page is photographed at 1366x768 (into the folder in
$SHEETKIT_APP_SCREENSHOTS when set, to be looked at). Chromium is never downloaded: the tests use
/usr/bin/chromium (or $SHEETKIT_CHROMIUM) and skip, or under CI fail, without it.
"""

from __future__ import annotations

import csv
import http.client
import io
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path

import pytest

from conftest import fill, random_answers, unavailable

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("SHEETKIT_CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]
SIZE = {"width": 1366, "height": 768}
TYPED = "Typed into a return for the page's browser test"


class Server:
    """`sheetkit app` running in a subprocess, and the address it printed first."""

    def __init__(self, home: Path):
        self.home = home
        self.process = subprocess.Popen([sys.executable, "-m", "sheetkit", "app", "--home", str(home), "--no-browser"],
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
        first = []
        reader = threading.Thread(target=lambda: first.append(self.process.stdout.readline()), daemon=True)
        reader.start()
        reader.join(30)
        if not first or not first[0].startswith("http://"):
            self.process.kill()
            pytest.fail(f"sheetkit app printed no address: {first} {self.process.stderr.read()}")
        self.address = first[0].strip()
        parts = urllib.parse.urlsplit(self.address)
        self.port, self.token = parts.port, parts.path.strip("/")

    def url(self, path: str = "") -> str:
        return self.address + path

    def stop(self) -> tuple[int, str]:
        """Ctrl-C, as a person would press it: (exit status, what was printed on stderr)."""
        if os.name == "nt":
            self.process.terminate()
        else:
            self.process.send_signal(signal.SIGINT)
        try:
            _, err = self.process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            _, err = self.process.communicate()
        return self.process.returncode, err


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    running = Server(tmp_path_factory.mktemp("home"))
    yield running
    if running.process.poll() is None:
        running.stop()


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("playwright is not installed (pip install '.[test]')")
    if not Path(CHROMIUM).exists():
        unavailable(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium, or set SHEETKIT_CHROMIUM)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser, tmp_path):
    context = browser.new_context(viewport=SIZE, accept_downloads=True, locale="en-GB")
    opened = context.new_page()
    opened.set_default_timeout(15_000)
    problems = []
    opened.on("console", lambda m: problems.append(m.text) if m.type == "error" and not _refusal(m.text) else None)
    opened.on("pageerror", lambda e: problems.append(str(e)))
    opened.on("response", lambda r: problems.append(f"{r.status} for {r.url} from {r.frame.url}") if r.status in (403, 404, 500) else None)
    opened.on("request", lambda r: problems.append(f"outside request {r.url}")
              if not r.url.startswith(("http://127.0.0.1", "data:", "blob:")) else None)
    yield opened
    context.close()
    assert problems == [], "the page logged errors or asked for something outside it"


def _refusal(message: str) -> bool:
    """Chromium's console line for a page answered 400 (a form to put right): expected, not a fault."""
    return "the server responded with a status of 400" in message


def snap(page, name: str, top: bool = True) -> None:
    """A 1366x768 screenshot of the page (from its top), kept when $SHEETKIT_APP_SCREENSHOTS names a folder."""
    if top:
        page.evaluate("window.scrollTo(0, 0)")
    folder = os.environ.get("SHEETKIT_APP_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"))
    else:
        page.screenshot()
    assert page.evaluate("document.documentElement.lang") == "en"
    assert page.title().endswith("– sheetkit")


def download(page, click, folder: Path) -> Path:
    with page.expect_download() as started:
        click()
    target = folder / started.value.suggested_filename
    started.value.save_as(target)
    return target


def test_the_whole_job_in_a_browser(server, page, tmp_path):
    import openpyxl

    import sheetkit

    page.goto(server.url())
    snap(page, "1-home")
    # 1. choose a framework, and read it
    page.get_by_role("link", name="Frameworks", exact=True).click()
    snap(page, "2-frameworks")
    framework = sheetkit.load_framework("lga-cbo")
    row = page.locator("tr", has=page.get_by_role("link", name=framework.title))
    counts = framework.counts()
    assert row.locator("td").all_inner_texts()[-3:] == [str(counts[k]) for k in ("sections", "items", "statements")]
    page.get_by_role("link", name=framework.title).click()
    assert page.locator("h1").inner_text() == framework.title
    assert page.get_by_text(framework.sections[0].title).count() >= 1
    snap(page, "3-framework")
    page.get_by_role("button", name="Start an exercise with this framework").click()

    # 2. start an exercise from the sample respondents, and download what to send
    assert page.locator("#framework").input_value() == "lga-cbo"
    page.get_by_label("Name of the exercise").fill("Anytown 2026")
    page.locator("input[name=respondents]").set_input_files(str(ROOT / "samples" / "respondents.csv"))
    page.get_by_label("Round").fill("2026 Q4")
    page.get_by_label("Day").fill("31")
    page.get_by_label("Month").fill("1")
    page.get_by_label("Year").fill("2099")
    page.get_by_label("Your email address").fill("lead@anytown.gov.uk")
    snap(page, "4-start")
    page.get_by_role("button", name="Build the workbooks").click()
    assert "7 workbooks and their e-mail drafts are ready to send" in page.inner_text("main")
    assert "sheetkit build lga-cbo --respondents" in page.inner_text(".sheetkit-command")
    snap(page, "5-exercise")
    sent = download(page, lambda: page.get_by_role("button", name="Download the workbooks and drafts (zip)").click(),
                    tmp_path)
    with zipfile.ZipFile(sent) as archive:
        names = archive.namelist()
        assert len(names) == 14 and all(n.endswith((".xlsx", ".eml")) for n in names)
        assert not {"manifest.csv", "protection-password.txt"} & set(names)
        archive.extractall(tmp_path / "sent")
    workbooks = sorted((tmp_path / "sent").glob("*.xlsx"))
    opened = openpyxl.load_workbook(workbooks[0])
    assert any(name.startswith("1 ") for name in opened.sheetnames)  # the first section's sheet

    # 3. two partners fill in their workbooks; add one as it came and one in a zip
    answers = random_answers("lga-cbo", 3) | {"statement/1.1/evidence": TYPED}
    (tmp_path / "filled").mkdir()
    first = fill(workbooks[0], tmp_path / "filled" / workbooks[0].name, answers)
    wrong = random_answers("lga-cbo", 4) | {"item/2/rating": 11}  # off the 1-10 scale: a correction to ask for
    second = fill(workbooks[1], tmp_path / "filled" / workbooks[1].name, wrong)
    bundle = tmp_path / "filled" / "late returns.zip"
    with zipfile.ZipFile(bundle, "w") as archive:
        archive.write(second, second.name)
    page.get_by_role("link", name="2. Add the returns and see what is wrong").click()
    page.locator("input[name=returns]").set_input_files([str(first), str(bundle)])
    page.get_by_role("button", name="Add and check").click()
    assert "2 file(s) added" in page.inner_text("main")
    snap(page, "6-returns")
    page.evaluate("document.getElementById('partners-heading').scrollIntoView()")
    snap(page, "6-returns-findings", top=False)
    page.evaluate("document.querySelector('.sheetkit-partner').scrollIntoView()")
    snap(page, "6-returns-what-is-wrong", top=False)
    _check_findings_match_validate(page, server, tmp_path)

    # 4. compile, download the consolidated workbook and the CSV, and find the typed answer
    page.get_by_role("link", name="Compile the consolidated workbook").click()
    page.get_by_role("button", name="Compile", exact=True).click()
    assert "compiled from 2 return(s)" in page.inner_text("main")
    snap(page, "7-compile")
    consolidated = download(page, lambda: page.locator("#download-consolidated").click(), tmp_path)
    cells = [str(c) for sheet in openpyxl.load_workbook(consolidated, read_only=True).worksheets
             for row in sheet.iter_rows(values_only=True) for c in row if c]
    assert TYPED in cells
    table = download(page, lambda: page.locator("#download-csv").click(), tmp_path)
    assert TYPED in table.read_text(encoding="utf-8-sig")

    # draft chasers and corrections, and download them
    page.get_by_role("link", name="draft reminders and corrections").click()
    assert page.get_by_label("Your email address").input_value() == "lead@anytown.gov.uk"
    page.get_by_role("button", name="Draft the e-mails").click()
    assert "draft(s) written; nothing was sent" in page.inner_text("main")
    snap(page, "8-chase")
    drafts = download(page, lambda: page.locator("#download-chase").click(), tmp_path)
    with zipfile.ZipFile(drafts) as archive:
        reminders = [n for n in archive.namelist() if n.startswith("reminder_")]
        corrections = [n for n in archive.namelist() if n.startswith("correction_")]
    assert len(reminders) == 5 and all(n.endswith(".eml") for n in reminders)
    assert len(corrections) == 1  # the return rated 11 on a scale of 1 to 10

    # 5. the next round, from this exercise, with the same partners
    page.get_by_role("link", name="Exercise anytown-2026").click()
    page.get_by_role("link", name="5. Start the next round from this exercise").click()
    assert page.get_by_label("Name of the exercise").input_value() == "anytown-2026-next-round"
    page.get_by_label("Round").fill("2027 Q4")
    page.get_by_label("Your email address").fill("lead@anytown.gov.uk")
    snap(page, "9-next-round")
    page.get_by_role("button", name="Build the workbooks").click()
    assert "7 workbooks and their e-mail drafts are ready to send" in page.inner_text("main")
    command = page.inner_text(".sheetkit-command")
    assert "--previous" in command and "anytown-2026" in command and "consolidated.xlsx" in command


def _check_findings_match_validate(page, server, tmp_path):
    """The findings table shows, partner by partner, what `sheetkit validate` reports for the same files."""
    import sheetkit

    exercise = server.home / "anytown-2026"
    manifest = next(p for p in (exercise / "manifest.csv", exercise / "workbooks" / "manifest.csv") if p.is_file())
    report = sheetkit.validate_returns([str(exercise / "returns")], sheetkit.IngestOptions(manifest=str(manifest)))
    rows = page.locator("table.sheetkit-findings tbody tr")
    shown = sorted(tuple(rows.nth(n).locator("td").nth(c).inner_text().strip() for c in range(3))
                   + (rows.nth(n).locator("td").nth(3).inner_text().split(None, 1)[1].strip(),)
                   for n in range(rows.count()))
    expected = sorted((f.file, f.sheet, f.cell, f.message) for f in report.findings if f.code != "no-return")
    assert shown == expected
    assert any(f.is_error and f.file.endswith(".zip » " + f.file.split(" » ")[-1]) for f in report.findings)
    waiting = page.locator("#not-returned").inner_text()
    assert all(name in waiting for name in report.chase) and len(report.chase) == 5
    states = page.locator("#partners tbody tr")
    assert states.count() == 7
    for n in range(7):
        name, state = states.nth(n).locator("th").inner_text(), states.nth(n).locator("td").first.inner_text()
        assert ("Not returned" in state) == (name in report.chase), (name, state)


def test_keyboard_only_start_form_and_error_summary(server, page):
    from playwright.sync_api import expect

    page.goto(server.url("start"))
    # submit the empty form: the error summary takes the focus, and each link moves it to its field
    page.locator("#name").focus()
    page.keyboard.press("Enter")
    expect(page.locator(".govuk-error-summary")).to_be_focused()
    snap(page, "10-start-errors")
    for target in ("name", "framework", "respondents", "return_to"):  # the round starts as this year
        page.locator(f".govuk-error-summary a[href='#{target}']").focus()
        page.keyboard.press("Enter")
        assert page.evaluate("document.activeElement.id") == target
    # tab through the form and submit it with Enter
    page.locator("input[name=respondents]").set_input_files(str(ROOT / "samples" / "respondents.csv"))
    page.locator("#name").focus()
    page.keyboard.press("Control+A")
    page.keyboard.type("By keyboard")
    order = []
    for _ in range(12):
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement.id || document.activeElement.textContent.trim()")
        order.append(focused)
        if focused == "framework":
            page.keyboard.type("lga-cbo")
        elif focused == "round":
            page.keyboard.press("Control+A")
            page.keyboard.type("2026 Q4")
        elif focused == "return_to":
            page.keyboard.press("Control+A")
            page.keyboard.type("lead@anytown.gov.uk")
            break
    assert [f for f in order if f in ("framework", "round", "deadline-day", "deadline-month", "deadline-year",
                                      "return_to")] == ["framework", "round", "deadline-day", "deadline-month",
                                                        "deadline-year", "return_to"]
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("by-keyboard")
    assert "7 workbooks and their e-mail drafts are ready to send" in page.inner_text("main")


def test_requests_without_the_token_are_refused(server):
    for path in ("/", "/start", f"/{server.token[:-2]}/", "/static/app.css"):
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"http://127.0.0.1:{server.port}{path}", timeout=10)
        assert refused.value.code == 403
        assert server.token not in refused.value.read().decode()


def test_a_post_without_the_form_token_is_refused(server):
    body = urllib.parse.urlencode({"emails_from": "lead@anytown.gov.uk"}).encode()
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(urllib.request.Request(server.url("e/anytown-2026/chase"), data=body), timeout=10)
    assert refused.value.code == 400


def test_an_oversized_upload_is_refused_with_a_clear_message(server):
    import sheetkit

    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    connection.putrequest("POST", f"/{server.token}/e/anytown-2026/returns")
    connection.putheader("Content-Type", "multipart/form-data; boundary=x")
    connection.putheader("Content-Length", str(sheetkit.MAX_CONTAINER_BYTES + 1))
    connection.endheaders()
    answer = connection.getresponse()
    text = answer.read().decode()
    assert answer.status == 413
    assert f"at most {sheetkit.MAX_MEMBERS} files and {sheetkit.MAX_CONTAINER_BYTES // 2**20} MB" in text
    assert "smaller batches" in text


def _other_addresses() -> list[str]:
    """This machine's addresses other than loopback (hostname -I, else the name's own)."""
    found = set()
    if shutil.which("hostname"):
        run = subprocess.run(["hostname", "-I"], capture_output=True, text=True)
        found |= set(run.stdout.split()) if run.returncode == 0 else set()
    try:
        found |= {info[4][0] for info in socket.getaddrinfo(socket.gethostname(), None)}
    except OSError:
        pass
    return sorted(a for a in found if not a.startswith(("127.", "::1")) and a != "::1")


def test_the_page_is_not_reachable_on_other_addresses(server):
    addresses = _other_addresses()
    if not addresses:
        pytest.skip("this machine has no address other than loopback to try")
    for address in addresses:
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.settimeout(3)
            assert probe.connect_ex((address, server.port)) != 0, f"the page answered on {address}"


def test_ctrl_c_stops_the_page_quietly(tmp_path):
    running = Server(tmp_path / "home")
    assert urllib.request.urlopen(running.url(), timeout=10).status == 200
    status, err = running.stop()
    assert status == 130 if os.name != "nt" else status != 0
    assert "Traceback" not in err
