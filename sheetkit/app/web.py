"""The pages: Flask routes that read a form, call a step and render a GOV.UK-styled template.

Every route lives under ``/<token>/`` (see guard.py). Library errors are shown in an error
summary linked to the field they are about; anything unexpected gets a page that says what
to do, and never a traceback.
"""

from __future__ import annotations

import functools
import io
import re
import sys
import traceback
from pathlib import Path

from flask import Blueprint, Flask, Response, abort, redirect, render_template, request, send_file, send_from_directory, url_for
from jinja2 import ChoiceLoader, PackageLoader, PrefixLoader
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

import sheetkit

from . import commands, exercises, guard, steps
from .exercises import Exercise

STATIC = Path(__file__).resolve().parent / "static"
GOVUK_CSS = "govuk/govuk-frontend.min.css"
STATES = {"ok": ("Returned", "green"), "warnings": ("Returned, with warnings", "yellow"),
          "errors": ("Needs correcting", "red"), "not returned": ("Not returned", "grey")}


def create_app(home: Path, token: str | None = None, frameworks_dirs: tuple[str, ...] = (),
               debug: bool = False) -> Flask:
    """The page for the exercises under `home`, at /<token>/."""
    token = token or guard.new_secret()
    app = Flask(__name__, static_folder=None)
    app.jinja_loader = ChoiceLoader([PackageLoader("sheetkit.app", "templates"),
                                     PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")})])
    app.jinja_env.trim_blocks = app.jinja_env.lstrip_blocks = True
    app.config.update(SHEETKIT_HOME=home, SHEETKIT_TOKEN=token, SHEETKIT_CSRF=guard.new_secret(),
                      SHEETKIT_FRAMEWORKS=tuple(frameworks_dirs), SHEETKIT_DEBUG=debug)
    guard.protect(app, token, app.config["SHEETKIT_CSRF"])
    app.register_blueprint(_pages(), url_prefix=f"/{token}")
    _errors(app)

    @app.context_processor
    def _globals():
        return {"csrf_token": app.config["SHEETKIT_CSRF"], "states": STATES, "home": home,
                "sheetkit_version": sheetkit.__version__,
                "upload_files": guard.upload_files(), "upload_mb": guard.upload_bytes() // (1024 * 1024)}

    return app


def _cfg(name: str):
    from flask import current_app

    return current_app.config[name]


def _home() -> Path:
    return _cfg("SHEETKIT_HOME")


def _dirs() -> tuple[str, ...]:
    return _cfg("SHEETKIT_FRAMEWORKS")


def _exercise(name: str) -> Exercise:
    found = exercises.find(_home(), name)
    if found is None:
        abort(404)
    return found


def page(template: str, status: int = 200, **context):
    """Render a page; `errors` is a list of FieldErrors (or messages) shown in the error summary."""
    problems = context.pop("errors", [])
    summary, by_field = [], {}
    for problem in problems:
        name = getattr(problem, "field", "")
        text = str(problem)
        by_field.setdefault(name, text)
        summary.append({"text": text, "href": f"#{_anchor(name)}"} if name else {"text": text})
    return render_template(template, errors=summary, field_errors=by_field, **context), status


def _anchor(field_name: str) -> str:
    return "deadline-day" if field_name == "deadline" else field_name


def _problems(exc: Exception) -> list:
    if isinstance(exc, steps.FormErrors):
        return exc.problems
    return [exc]


def _pages() -> Blueprint:
    pages = Blueprint("pages", __name__)

    @pages.get("/")
    def home():
        found = exercises.exercises(_home())
        rows = []
        for exercise in found:
            try:
                records = exercise.records()
            except sheetkit.SheetkitError:
                records = None
            rows.append((exercise, records))
        return page("home.html", title="Your exercises", exercises=rows, command=commands.frameworks())

    @pages.get("/static/<path:name>")
    def static(name: str):
        if name == GOVUK_CSS:
            return Response(_govuk_css(), mimetype="text/css")
        return send_from_directory(STATIC, name, max_age=0)

    @pages.get("/frameworks")
    def frameworks():
        shown, errors = [], []
        for framework_id in steps.framework_ids(_dirs()):
            try:
                shown.append(sheetkit.load_framework(framework_id, _dirs()))
            except sheetkit.SheetkitError as exc:
                errors.append(exc)
        return page("frameworks.html", title="Frameworks", frameworks=shown, errors=errors,
                    command=commands.frameworks())

    @pages.get("/frameworks/<framework_id>")
    def framework(framework_id: str):
        if framework_id not in steps.framework_ids(_dirs()):
            abort(404)
        chosen = sheetkit.load_framework(framework_id, _dirs())
        return page("framework.html", title=chosen.title, framework=chosen, command=commands.show(framework_id))

    @pages.route("/start", methods=["GET", "POST"])
    def start():
        previous = exercises.find(_home(), request.values.get("previous", ""))
        ids = steps.framework_ids(_dirs())
        if request.method == "GET":
            form = steps.Start(previous=previous.name if previous else "",
                               framework=(previous.note().get("framework", "") if previous
                                          else request.args.get("framework", "")),
                               round=str(sheetkit.today().year) if not previous else "",
                               name=(previous.name + "-next-round" if previous else ""),
                               return_to=(previous.note().get("return_to", "") if previous else ""))
            return _start_page(form, ids, previous)
        upload = request.files.get("respondents")
        form = steps.Start(**{k: request.form.get(k, "") for k in ("name", "framework", "round", "return_to",
                                                                    "previous")},
                           day=request.form.get("deadline-day", ""), month=request.form.get("deadline-month", ""),
                           year=request.form.get("deadline-year", ""),
                           list_name=upload.filename if upload and upload.filename else "",
                           list_data=upload.read() if upload and upload.filename else b"")
        try:
            exercise, built, command = steps.start(_home(), form, _dirs())
        except sheetkit.SheetkitError as exc:
            return _start_page(form, ids, previous, errors=_problems(exc), status=400)
        exercise.remember(build_command=command)
        return redirect(url_for("pages.exercise", name=exercise.name, done="built"), 303)

    def _start_page(form, ids, previous, errors=(), status=200):
        return page("start.html", status=status, title="Start an exercise", form=form, framework_ids=ids,
                    previous=previous, errors=list(errors), command=_planned_build(form, previous))

    @pages.get("/e/<name>")
    def exercise(name: str):
        chosen = _exercise(name)
        errors, records = [], None
        try:
            records = chosen.records()
        except sheetkit.SheetkitError as exc:
            errors.append(exc)
        sent = chosen.sent_files(_private(chosen))
        return page("exercise.html", title=f"Exercise {chosen.name}", exercise=chosen, records=records, sent=sent,
                    returns=chosen.return_files(), done=request.args.get("done", ""), errors=errors,
                    command=chosen.note().get("build_command") or commands.validate(chosen))

    @pages.get("/e/<name>/send.zip")
    def send_zip(name: str):
        chosen = _exercise(name)
        data = chosen.partner_zip(_private(chosen))
        return _download(data, f"{chosen.name}-to-send.zip", "application/zip")

    @pages.route("/e/<name>/returns", methods=["GET", "POST"])
    def returns(name: str):
        chosen = _exercise(name)
        errors, added = [], []
        if request.method == "POST":
            files = [f for f in request.files.getlist("returns") if f and f.filename]
            if not files:
                errors.append(steps.FieldError("returns", "Choose the returned workbooks, zips or saved emails to add"))
            elif len(files) > guard.upload_files():
                errors.append(steps.FieldError("returns", f"Add at most {guard.upload_files()} files at a time"))
            else:
                added = [chosen.save_return(f.filename, f.read()) for f in files]
        report = None
        try:
            report = steps.check(chosen, _dirs())
        except sheetkit.SheetkitError as exc:
            errors.append(exc)
        records = _records(chosen, errors)
        partners = steps.by_partner(report, records.respondents if records else []) if report else []
        return page("returns.html", status=400 if errors and request.method == "POST" else 200,
                    title=f"Returns for {chosen.name}", exercise=chosen, report=report, partners=partners,
                    added=added, waiting=steps.not_returned(chosen, report), files=chosen.return_files(),
                    errors=errors, command=commands.validate(chosen))

    @pages.route("/e/<name>/compile", methods=["GET", "POST"])
    def compile(name: str):
        chosen = _exercise(name)
        errors, report = [], None
        if request.method == "POST":
            try:
                report = steps.compile_returns(chosen, _dirs())
            except sheetkit.SheetkitError as exc:
                errors.append(exc)
        return page("compile.html", status=400 if errors else 200, title=f"Compile {chosen.name}",
                    exercise=chosen, report=report, errors=errors, command=commands.ingest(chosen),
                    compiled=chosen.consolidated.is_file(), csv=chosen.responses_csv.is_file())

    @pages.get("/e/<name>/consolidated.xlsx")
    def consolidated(name: str):
        chosen = _exercise(name)
        if not chosen.consolidated.is_file():
            abort(404)
        return send_file(chosen.consolidated, as_attachment=True, download_name=f"{chosen.name}-consolidated.xlsx")

    @pages.get("/e/<name>/responses.csv")
    def responses(name: str):
        chosen = _exercise(name)
        if not chosen.responses_csv.is_file():
            abort(404)
        return send_file(chosen.responses_csv, as_attachment=True, download_name=f"{chosen.name}-responses.csv")

    @pages.route("/e/<name>/chase", methods=["GET", "POST"])
    def chase(name: str):
        chosen = _exercise(name)
        errors, result = [], None
        emails_from = request.form.get("emails_from", chosen.note().get("return_to", ""))
        if request.method == "POST":
            try:
                result = steps.draft_chasers(chosen, emails_from, _dirs())
            except sheetkit.SheetkitError as exc:
                errors.append(exc)
        return page("chase.html", status=400 if errors else 200, title=f"Chase {chosen.name}", exercise=chosen,
                    result=result, emails_from=emails_from, errors=errors, drafts=_latest_drafts(chosen),
                    command=commands.chase(chosen, emails_from))

    @pages.get("/e/<name>/chase.zip")
    def chase_zip(name: str):
        chosen = _exercise(name)
        drafts = _latest_drafts(chosen)
        if not drafts:
            abort(404)
        return _download(exercises.zip_files(drafts), f"{chosen.name}-chase-{drafts[0].parent.name}.zip",
                         "application/zip")

    return pages


@functools.cache
def _govuk_css() -> str:
    """GOV.UK Frontend's stylesheet as shipped, less its @font-face rules: GDS Transport is for
    services on GOV.UK, so its files are not shipped, and the text falls back to Arial (the next
    font the stylesheet names) without the browser ever asking for them."""
    return re.sub(r"@font-face\{[^}]*\}", "", (STATIC / GOVUK_CSS).read_text(encoding="utf-8"))


def _planned_build(form: steps.Start, previous: Exercise | None) -> str:
    """The build command the start form will run, with what has been typed so far (CAPITALS for the rest)."""
    exercise = Exercise(_home(), exercises.slug(form.name) or "NAME")
    try:
        deadline = form.deadline()
    except steps.FieldError:
        deadline = ""
    suffix = Path(form.list_name).suffix.lower() if form.list_name else ".csv"
    return commands.build(form.framework or "FRAMEWORK", exercise.path("respondents" + suffix), exercise,
                          form.round.strip() or "ROUND", deadline, form.return_to.strip() or "ADDRESS",
                          previous.consolidated if previous else None)


def _records(exercise: Exercise, errors: list):
    try:
        return exercise.records()
    except sheetkit.SheetkitError as exc:
        errors.append(exc)
        return None


def _private(exercise: Exercise) -> tuple[Path | None, ...]:
    """The lead's records as build reported them, never sent to partners."""
    note = exercise.note()
    found = []
    for key in ("manifest", "password_file"):
        relative = note.get(key)
        if isinstance(relative, str) and relative:
            try:
                found.append(exercise.path(*Path(relative).parts))
            except exercises.OutsideHome:
                continue
    return tuple(found)


def _latest_drafts(exercise: Exercise) -> list[Path]:
    """The drafts of the latest day chase wrote (chase writes one folder per day)."""
    folder = exercise.chase_dir
    if not folder.is_dir():
        return []
    days = sorted(p for p in folder.iterdir() if p.is_dir() and exercises.inside(exercise.home, p))
    for day in reversed(days):
        drafts = sorted(p for p in day.iterdir() if p.is_file() and p.suffix.lower() == ".eml")
        if drafts:
            return drafts
    return []


def _download(data: bytes, name: str, mimetype: str):
    return send_file(io.BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=name)


def _errors(app: Flask) -> None:
    @app.errorhandler(RequestEntityTooLarge)
    def _too_large(exc):
        return _error_page(413, "Too many files, or too large", [
            f"The page takes at most {guard.upload_files()} files and {guard.upload_bytes() // (1024 * 1024)} MB "
            f"at a time: the most sheetkit opens in one zip. Nothing was added.",
            "Add the returns in smaller batches."])

    @app.errorhandler(HTTPException)
    def _http(exc):
        if exc.code == 403:
            return ("Forbidden: open the page at the address sheetkit printed when it started (it holds a secret "
                    "key).\n", 403, {"Content-Type": "text/plain; charset=utf-8"})
        if exc.code == 400:
            return _error_page(400, "The form could not be used", [
                "The form was out of date or did not come from this page. Nothing was changed.",
                "Go back, reload the page and try again."])
        if exc.code == 404:
            return _error_page(404, "Page not found", ["There is no such page or exercise here.",
                                                       "Go to your exercises and choose one from the list."])
        return _error_page(exc.code or 500, exc.name, [exc.description or ""])

    @app.errorhandler(Exception)
    def _fault(exc):
        if isinstance(exc, OSError):
            return _error_page(500, "A file could not be used", [
                f"sheetkit could not use {getattr(exc, 'filename', '') or 'a file'} ({exc.strerror or exc}).",
                "If it is open in another program such as Excel, close it; check the disk has space; then try again."])
        if app.config.get("SHEETKIT_DEBUG"):
            traceback.print_exc()
        print(f"Internal error: {type(exc).__name__}: {exc}. Start the page with sheetkit --debug app to see "
              f"the details, and report them.", file=sys.stderr)
        return _error_page(500, "Something went wrong in sheetkit", [
            "This is a fault in sheetkit, not in your files. Nothing half-written was kept.",
            "Go back and try again. If it happens again, stop the page (Ctrl-C in its window), start it with "
            "sheetkit --debug app, repeat what you did and report what it prints."])


def _error_page(status: int, heading: str, lines: list[str]):
    """The page for a refusal or a fault; plain text where no page can be drawn (a request for
    another host name has no address to link back to)."""
    try:
        return render_template("error.html", title=heading, heading=heading, lines=lines, errors=[],
                               field_errors={}, command=""), status
    except Exception:
        return "\n".join([heading, *lines]) + "\n", status, {"Content-Type": "text/plain; charset=utf-8"}
