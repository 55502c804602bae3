"""From a folder of returned files to checked returns: files found (zips and e-mails opened),
each read safely, identified, its answers located and checked, and the rules across returns
settled. `validate` is this stage alone.
"""

from .folder import ReturnFile, collect_returns
from .reader import RawReturn, read_return, file_sha256
from .model import Answer, CheckedReturn, ACCEPTED, REJECTED, SUPERSEDED, DUPLICATE
from .outcome import CheckOptions, IngestReport
from .check import validate_returns, check_returns, check_return
from .builds import roster
from .settle import base_name, settle, whose_file

__all__ = [
    "ReturnFile",
    "collect_returns",
    "RawReturn",
    "read_return",
    "file_sha256",
    "Answer",
    "CheckedReturn",
    "ACCEPTED",
    "REJECTED",
    "SUPERSEDED",
    "DUPLICATE",
    "CheckOptions",
    "IngestReport",
    "validate_returns",
    "check_returns",
    "check_return",
    "settle",
    "roster",
    "whose_file",
    "base_name",
]
