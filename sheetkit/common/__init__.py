"""What every stage shares: errors and findings (the catalogue of codes), Excel's limits, the
clock, text helpers, the marks of sheetkit's own files, lists read as people save them, worker
processes that one bad file cannot take down, every output of a command written all or nothing,
and Ctrl-C held off while a step that must not be cut in two runs.
"""

from .errors import SheetkitError, UsageError, FrameworkNotFound
from .findings import ERROR, WARNING, CATALOGUE, Code, Finding, count
from .outputs import AllOrNothing, OutputError, placed, refuse_inputs_as_outputs
from .sandbox import Failure, Limits, run_isolated
from .tables import Table, read_table, write_csv
from .progress import progress
from . import clock
from . import interrupts
from . import limits
from . import own_files
from . import text

__all__ = [
    "SheetkitError",
    "UsageError",
    "FrameworkNotFound",
    "ERROR",
    "WARNING",
    "CATALOGUE",
    "Code",
    "Finding",
    "count",
    "AllOrNothing",
    "OutputError",
    "placed",
    "refuse_inputs_as_outputs",
    "Failure",
    "Limits",
    "run_isolated",
    "Table",
    "read_table",
    "write_csv",
    "progress",
    "clock",
    "interrupts",
    "limits",
    "own_files",
    "text",
]
