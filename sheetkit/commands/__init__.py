"""One library function per command, each returning a result with ``to_dict()``, ``render()``
and ``exit_code``: build, ingest (validate is :func:`sheetkit.returns.validate_returns`), chase
and the framework catalogue.
"""

from .build import BuildOptions, BuildResult, build_workbooks
from .ingest import IngestOptions, ingest_returns
from .chase import ChaseOptions, ChaseResult, chase
from .frameworks import list_available, show_framework, check_files

__all__ = [
    "BuildOptions",
    "BuildResult",
    "build_workbooks",
    "IngestOptions",
    "ingest_returns",
    "ChaseOptions",
    "ChaseResult",
    "chase",
    "list_available",
    "show_framework",
    "check_files",
]
