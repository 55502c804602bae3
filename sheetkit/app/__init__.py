"""`sheetkit app`: the whole job on a local web page, for those who never open a terminal.

The page runs on this computer only (127.0.0.1, a secret in its address), calls the same
library functions the commands call, and keeps each exercise in a folder laid out as the
commands lay it out, so the page and the commands can take turns. Its web dependencies are
an optional extra: ``pip install "sheetkit[app]"``.
"""

from __future__ import annotations

NEEDS = ("flask", "govuk_frontend_jinja")  # importable names of the 'app' extra


def missing() -> list[str]:
    """The 'app' extra's modules that are not installed."""
    from importlib.util import find_spec

    return [name for name in NEEDS if find_spec(name) is None]


def serve(*args, **kwargs):
    """Start the page and serve it until Ctrl-C (see server.serve)."""
    from .server import serve as _serve

    return _serve(*args, **kwargs)
