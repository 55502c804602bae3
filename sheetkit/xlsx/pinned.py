"""What sheetkit relies on inside XlsxWriter beyond its documented API, checked before the first write.

sheetkit keeps respondents' text plain and lets answer rows grow by overriding a few of
XlsxWriter's private methods (see :mod:`sheetkit.xlsx.cells` and the respondent workbook's
writer), and it gives tables a title, which XlsxWriter accepts from 3.3 on. A release that
renames or reshapes one of these would break every workbook sheetkit writes, so
``pyproject.toml`` pins the releases the test suite has passed with (:data:`TESTED`), and
:func:`check_xlsxwriter` looks, once, before the first workbook is written, that each method
is there with the parameters sheetkit's overrides take. An install that got another release
anyway (pip's --no-deps, a system package) then stops with a message naming the installed
release, the tested range and the command that installs one, never with a traceback.
"""

from __future__ import annotations

import importlib
import inspect
import io
import warnings
from functools import lru_cache

from sheetkit.common.errors import SheetkitError

TESTED = (">=3.3", "<3.4")  # the XlsxWriter releases the tests pass with: pyproject.toml pins the same
# Worksheet method -> its parameters, as sheetkit's overrides receive them and call on.
METHODS = {
    "_write_string": ("self", "row", "col", "string", "cell_format"),
    # the record of what sheetkit writes in locked cells (workbook/writer.py FormWorksheet)
    "_write_number": ("self", "row", "col", "number", "cell_format"),
    "_write_datetime": ("self", "row", "col", "date", "cell_format"),
    "_write_url": ("self", "row", "col", "url", "cell_format", "string", "tip"),
    "_write_formula": ("self", "row", "col", "formula", "cell_format", "value"),
    "_xml_string_element": ("self", "index", "attributes"),
    "_xml_rich_inline_string": ("self", "string", "attributes"),
    "_xml_inline_string": ("self", "string", "preserve", "attributes"),
    "_prepare_formula": ("self", "formula", "expand_future_functions"),
    "_check_dimensions": ("self", "row", "col", "ignore_row", "ignore_col"),
    "_escape_control_characters": ("data",),
    "_xml_start_tag_unencoded": ("self", "tag", "attributes"),
    "_get_range_data": ("self", "row_start", "col_start", "row_end", "col_end"),  # a chart's cached values
}
NAMES = {"xlsxwriter.utility": ("_preserve_whitespace",), "xlsxwriter.worksheet": ("CellStringTuple",),
         "xlsxwriter.sharedstrings": ("SharedStringTable",)}
ATTRIBUTES = ("table", "tables", "constant_memory", "str_table")  # a new Worksheet's, read or set by sheetkit
TABLE_OPTIONS = ("title",)  # add_table options sheetkit gives beyond those every 3.x release takes


class UntestedLibrary(SheetkitError):
    """An installed library lacks something sheetkit relies on: a release the tests have not passed with."""


def install_hint() -> str:
    """The command that installs a tested XlsxWriter."""
    return f'pip install "XlsxWriter{",".join(TESTED)}"'


@lru_cache(maxsize=1)
def check_xlsxwriter() -> None:
    """Raise UntestedLibrary, saying what to install, unless the installed XlsxWriter has what sheetkit uses."""
    import xlsxwriter
    from xlsxwriter.worksheet import Worksheet

    problems = missing_parts(Worksheet, {name: importlib.import_module(name) for name in NAMES})
    if problems:
        raise UntestedLibrary(
            f"XlsxWriter {xlsxwriter.__version__} is installed, but sheetkit is tested with XlsxWriter "
            f"{', '.join(TESTED)}, and this release lacks what sheetkit relies on ({'; '.join(problems)}). "
            f"Nothing was written. Install a tested release: {install_hint()}")


def missing_parts(worksheet_class: type, modules: dict[str, object]) -> list[str]:
    """What `worksheet_class` and `modules` lack of what sheetkit uses, in words ([] when nothing)."""
    problems = [f"{module}.{name} is missing" for module, names in NAMES.items() for name in names
                if not hasattr(modules.get(module), name)]
    shared = getattr(modules.get("xlsxwriter.sharedstrings"), "SharedStringTable", None)
    if shared is not None and _parameters(getattr(shared, "_get_shared_string", None)) != ("self", "index"):
        problems.append("SharedStringTable._get_shared_string(self, index) is missing")  # read for a chart's cache
    for name, wanted in METHODS.items():
        method = getattr(worksheet_class, name, None)
        if method is None:
            problems.append(f"Worksheet.{name} is missing")
        elif _parameters(method) != wanted:
            problems.append(f"Worksheet.{name} takes ({', '.join(_parameters(method))}), not ({', '.join(wanted)})")
    if not problems:
        sheet = worksheet_class()
        problems += [f"a Worksheet has no '{name}'" for name in ATTRIBUTES if not hasattr(sheet, name)]
        problems += [f"add_table takes no '{option}' option" for option in TABLE_OPTIONS
                     if not _table_takes(worksheet_class, option)]
    return problems


def _table_takes(worksheet_class: type, option: str) -> bool:
    """Whether add_table accepts `option` (XlsxWriter warns of one it does not know, and drops it)."""
    import xlsxwriter

    class Probe(xlsxwriter.Workbook):
        pass

    Probe.worksheet_class = worksheet_class
    book = Probe(io.BytesIO(), {"in_memory": True})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        book.add_worksheet().add_table(0, 0, 1, 0, {option: "probe", "columns": [{"header": "probe"}]})
    return not caught


def _parameters(method) -> tuple[str, ...]:
    if method is None:
        return ()
    try:
        return tuple(inspect.signature(method).parameters)
    except (TypeError, ValueError):
        return ()
