"""Correct at any size: no sheet passes Excel's limits, and no write XlsxWriter drops passes silently."""

from __future__ import annotations

import warnings
from contextlib import contextmanager

import pytest

from sheetkit.cells import TextWorkbook
from sheetkit.styles import WriteError


@pytest.mark.parametrize("write", [
    lambda ws: ws.write_string(1_048_576, 0, "past the last row"),
    lambda ws: ws.write_number(0, 16_384, 1),
    lambda ws: ws.write_string(0, -1, "no such column"),
    lambda ws: ws.write_string(0, 0, "x" * 32_768),  # XlsxWriter would cut it and return -2
    lambda ws: ws.data_validation(0, 0, 0, 0, {"validate": "list", "source": ["x" * 200, "y" * 100]}),
    lambda ws: ws.set_column(16_384, 16_384, 10),
    lambda ws: ws.merge_range(0, 0, 1_048_576, 1, ""),
])
def test_a_dropped_write_raises_rather_than_passing_silently(tmp_path, write):
    wb = TextWorkbook(str(tmp_path / "x.xlsx"))
    ws = wb.add_worksheet("Sheet")
    with _quiet(), pytest.raises(WriteError, match="XlsxWriter dropped"):
        write(ws)
    wb.close()


def test_a_dropped_defined_name_raises(tmp_path):
    wb = TextWorkbook(str(tmp_path / "x.xlsx"))
    wb.add_worksheet("Sheet")
    with _quiet(), pytest.raises(WriteError, match="define_name"):
        wb.define_name("bad name", "=Sheet!$A$1")
    wb.close()


@contextmanager
def _quiet():
    """XlsxWriter's own warning is beside the point: the return value is what is checked."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield
