"""The consolidated workbook: one module per sheet, run in order by :mod:`.workbook`."""

from .responses import write_responses_csv
from .workbook import write_consolidated

__all__ = ["write_consolidated", "write_responses_csv"]
