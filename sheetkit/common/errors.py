"""Errors that stop a command as a whole. Problems inside files are findings, not errors."""


class SheetkitError(Exception):
    """Base class: the message is written for the user and says what to do."""

    exit_code = 2


class UsageError(SheetkitError):
    """The command was given something it cannot work with (an unknown id, a bad option value)."""


class FrameworkNotFound(UsageError):
    """No framework with the requested id is bundled or in the user's framework folders."""
