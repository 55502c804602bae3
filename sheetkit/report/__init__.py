"""The consolidated workbook: one module per sheet, run in order by :mod:`.workbook`; and the challenge-day pack."""

from .responses import write_responses_csv
from .workbook import write_consolidated
from .pack import write_pack

__all__ = ["write_consolidated", "write_responses_csv", "write_pack"]
