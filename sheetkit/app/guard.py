"""What keeps the page to the one person who started it: the address token, a form token, limits, headers.

- Every page and file is under ``/<token>/``, a random secret printed once when the page starts;
  any other path is refused (403), so no other program or web page on the machine can drive it
  without being given the address.
- Every form carries a second secret (``csrf_token``), checked on every POST, and a POST whose
  browser says it came from another site (``Sec-Fetch-Site``) is refused. A small per-run
  secret is enough here: the page has one user and no cookies, so Flask-WTF's sessions would
  add a dependency and a secret key to keep, and protect nothing more.
- Only the host names 127.0.0.1 and localhost are answered (against DNS rebinding).
- An upload is limited as ingest limits one container: at most ``MAX_CONTAINER_BYTES`` in all
  and ``MAX_MEMBERS`` files.
- Responses forbid framing, inline scripts and any request to another site (Content-Security-
  Policy), and are never cached.
"""

from __future__ import annotations

import secrets

from flask import Flask, abort, request

import sheetkit

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; "
       "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")
FORM_FIELDS = 20  # the most fields a form of the page has, besides its files


def upload_bytes() -> int:
    return sheetkit.MAX_CONTAINER_BYTES


def upload_files() -> int:
    return sheetkit.MAX_MEMBERS


def protect(app: Flask, token: str, csrf: str) -> None:
    """Refuse what does not come from the page's own user, and set the headers on every answer."""
    app.config.update(MAX_CONTENT_LENGTH=upload_bytes(), MAX_FORM_PARTS=upload_files() + FORM_FIELDS,
                      TRUSTED_HOSTS=["127.0.0.1", "localhost"])
    prefix = f"/{token}/"

    @app.before_request
    def _check():
        if not secrets.compare_digest(request.path[: len(prefix)].encode(), prefix.encode()):
            abort(403)
        if request.method == "POST":
            site = request.headers.get("Sec-Fetch-Site", "same-origin")
            if site not in ("same-origin", "none"):
                abort(403)
            if not secrets.compare_digest(request.form.get("csrf_token", "").encode(), csrf.encode()):
                abort(400)

    @app.after_request
    def _headers(response):
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cache-Control"] = "no-store"
        response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
        return response


def new_secret() -> str:
    return secrets.token_urlsafe(24)
