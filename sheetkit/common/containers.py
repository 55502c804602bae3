"""The containers a workbook's bytes start as: a zip (.xlsx, .xlsm, .xlsb, .ods) or an OLE
compound file (.xls, and any workbook saved with a password). Told by their first bytes alone,
whatever the file's name; which workbook a container holds is the returns' format registry's
business (sheetkit.returns.file_formats)."""

from __future__ import annotations

ZIP, OLE = "zip", "ole"
MAGIC = {ZIP: b"PK\x03\x04", OLE: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"}


def container_of(head: bytes) -> str:
    """The container a file's first bytes say it is (ZIP or OLE), or '' for neither."""
    return next((name for name, magic in MAGIC.items() if head.startswith(magic)), "")
