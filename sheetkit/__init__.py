"""sheetkit: self-assessment workbooks for commissioning frameworks, built and compiled."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("sheetkit")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0"
